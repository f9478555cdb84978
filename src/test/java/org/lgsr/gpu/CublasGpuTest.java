package org.lgsr.gpu;

import org.lgsr.TestData;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** cuBLAS through lgsr_native, against float64 products on the CPU. */
@Tag("gpu")
class CublasGpuTest {
    static GpuContext ctx;
    static CudaStream stream;
    static Cublas blas;
    final long seed = TestData.seed();
    final Random rnd = new Random(seed);

    @BeforeEach
    void open() {
        GpuTests.Session session = GpuTests.session();
        assumeTrue(Cublas.loadError() == null, "no cuBLAS: " + Cublas.loadError());
        if (ctx != null) return;
        ctx = session.context();
        stream = session.stream();
        blas = new Cublas();
        blas.setStream(stream);
    }

    @AfterAll
    static void close() {
        if (blas != null) blas.close();
    }

    /** Row-major C (m x n) = A (m x k) B (k x n), in float64. */
    static double[] product(float[] a, float[] b, int m, int n, int k, int batch) {
        double[] c = new double[batch * m * n];
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int t = 0; t < k; t++) s += (double) a[q * m * k + i * k + t] * b[q * k * n + t * n + j];
                    c[q * m * n + i * n + j] = s;
                }
            }
        }
        return c;
    }

    @Test
    void sgemmFp32AndTf32() {
        int m = 300, n = 257, k = 513;
        float[] a = GpuTests.gaussian(rnd, m * k, 1f), b = GpuTests.gaussian(rnd, k * n, 1f);
        double[] ref = product(a, b, m, n, k, 1);
        try (DeviceFloats da = DeviceFloats.of(a); DeviceFloats db = DeviceFloats.of(b); DeviceFloats dc = new DeviceFloats((long) m * n)) {
            for (Cublas.MathMode mode : Cublas.MathMode.values()) {
                dc.fill(Float.NaN, stream);
                blas.setMathMode(mode);
                // row-major C = A B is column-major C^T = B^T A^T
                blas.sgemm(false, false, n, m, k, 1f, db.address(), n, da.address(), k, 0f, dc.address(), n);
                stream.synchronize();
                double err = GpuTests.relativeError(dc.toArray(), ref);
                double bound = mode == Cublas.MathMode.FP32 ? 1e-5 : 2e-3;
                assertTrue(err < bound, mode + " relative error " + err + ", seed " + seed);
            }
        }
    }

    @Test
    void stridedBatched() {
        int m = 33, n = 65, k = 17, batch = 7;
        float[] a = GpuTests.gaussian(rnd, batch * m * k, 1f), b = GpuTests.gaussian(rnd, batch * k * n, 1f);
        double[] ref = product(a, b, m, n, k, batch);
        try (DeviceFloats da = DeviceFloats.of(a); DeviceFloats db = DeviceFloats.of(b); DeviceFloats dc = new DeviceFloats((long) batch * m * n)) {
            dc.fill(Float.NaN, stream);
            blas.setMathMode(Cublas.MathMode.FP32);
            blas.sgemmStridedBatched(false, false, n, m, k, 1f, db.address(), n, (long) k * n, da.address(), k, (long) m * k, 0f,
                    dc.address(), n, (long) m * n, batch);
            stream.synchronize();
            double err = GpuTests.relativeError(dc.toArray(), ref);
            assertTrue(err < 1e-5, "relative error " + err + ", seed " + seed);
        }
    }
}
