package org.lgsr.gpu.bench;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.lgsr.cpu.Adam;
import org.lgsr.gpu.Cublas;
import org.lgsr.gpu.CudaEvent;
import org.lgsr.gpu.CudaStream;
import org.lgsr.gpu.DeviceFloats;
import org.lgsr.gpu.GpuContext;
import org.lgsr.gpu.GpuKernels;
import org.lgsr.gpu.KernelModule;
import org.lgsr.gpu.Nvtx;

/**
 * Micro-benchmarks of the GPU engine, each beside its ceiling measured in the same run:
 * Adam over 100M floats (28 bytes per element) against a device-to-device copy of the same
 * number of bytes (read + written); sgemm 4096^3 in FP32 and TF32 (python3 with torch is timed
 * beside it by scripts/device-check.sh). Times are CUDA events around each launch, median of
 * the repeats after warm-up; inputs are random (uniform [0, 1) from the Philox kernel), never zeros.
 * Usage: java -cp lgsr.jar org.lgsr.gpu.bench.GpuBench [JSON-OUT] [adam-elements]
 */
public final class GpuBench {
    static final int WARMUP = 3;
    static final int REPEATS = 20;

    private GpuBench() {
    }

    interface Work {
        void run();
    }

    static double medianMillis(CudaStream stream, Work w) {
        for (int i = 0; i < WARMUP; i++) w.run();
        stream.synchronize();
        double[] ms = new double[REPEATS];
        try (CudaEvent a = new CudaEvent(); CudaEvent b = new CudaEvent()) {
            for (int i = 0; i < REPEATS; i++) {
                a.record(stream);
                w.run();
                b.record(stream);
                ms[i] = b.millisSince(a);
            }
        }
        Arrays.sort(ms);
        return ms[REPEATS / 2];
    }

    /** A buffer of uniform [0, 1) floats drawn on the device (Philox stream {@code id} of a fresh seed). */
    static DeviceFloats random(long n, GpuKernels k, CudaStream stream, long seed, long id) {
        DeviceFloats d = new DeviceFloats(n);
        k.philoxUniform(d, n, seed, id, 0, stream);
        return d;
    }

    public static void main(String[] args) throws IOException {
        Path json = args.length > 0 ? Path.of(args[0]) : null;
        long n = args.length > 1 ? Long.parseLong(args[1]) : 100_000_000L;
        Map<String, Object> out = new LinkedHashMap<>();
        long seed = System.nanoTime();
        try (GpuContext ctx = GpuContext.open(0); CudaStream stream = new CudaStream(); KernelModule module = new KernelModule()) {
            out.put("device", ctx.info().oneLine());
            GpuKernels k = new GpuKernels(module, ctx.info());

            // Adam: reads p, g, m, v, writes p, m, v = 28 bytes per element
            double adamBytes = 28.0 * n;
            try (DeviceFloats p = random(n, k, stream, seed, 1); DeviceFloats g = random(n, k, stream, seed, 2); DeviceFloats m = random(n, k, stream, seed, 3);
                 DeviceFloats v = random(n, k, stream, seed, 4)) {
                float lrT = Adam.learningRate(1e-3f, 0.9f, 0.999f, 10);
                double ms;
                try (Nvtx.Range r = Nvtx.range("bench adam")) {
                    ms = medianMillis(stream, () -> k.adam(p, g, m, v, n, lrT, 0.9f, 0.999f, 1e-8f, stream));
                }
                out.put("adam", row(ms, adamBytes, 0));
            }
            // the ceiling: a copy that reads and writes the same 28 bytes per element
            long copyFloats = 7L * n / 2;
            try (DeviceFloats src = random(copyFloats, k, stream, seed, 5); DeviceFloats dst = new DeviceFloats(copyFloats)) {
                double ms = medianMillis(stream, () -> dst.copyFrom(src, stream));
                out.put("d2d_copy", row(ms, 8.0 * copyFloats, 0));
            }
            // Philox: 100M uniform floats written (4 bytes each)
            try (DeviceFloats u = new DeviceFloats(n)) {
                double ms = medianMillis(stream, () -> k.philoxUniform(u, n, 42, 7, 0, stream));
                out.put("philox_uniform", row(ms, 4.0 * n, 0));
            }
            // sgemm 4096^3
            String blasError = Cublas.loadError();
            if (blasError != null) {
                out.put("sgemm_error", blasError);
            } else {
                out.put("cublas", Cublas.libraryName());
                int s = 4096;
                try (Cublas blas = new Cublas(); DeviceFloats a = random((long) s * s, k, stream, seed, 6); DeviceFloats b = random((long) s * s, k, stream, seed, 7);
                     DeviceFloats c = new DeviceFloats((long) s * s)) {
                    blas.setStream(stream);
                    for (Cublas.MathMode mode : Cublas.MathMode.values()) {
                        blas.setMathMode(mode);
                        double ms = medianMillis(stream, () -> blas.sgemm(false, false, s, s, s, 1f, a.address(), s, b.address(), s, 0f,
                                c.address(), s));
                        out.put("sgemm_4096_" + mode.name().toLowerCase(), row(ms, 3.0 * 4 * s * s, 2.0 * s * s * s));
                    }
                }
            }
        }
        String text = new GsonBuilder().setPrettyPrinting().create().toJson(out);
        System.out.println(text);
        if (json != null) Files.writeString(json, text);
    }

    static Map<String, Object> row(double ms, double bytes, double flops) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("median_ms", ms);
        r.put("bytes", bytes);
        r.put("GB_per_s", bytes / (ms * 1e6));
        if (flops > 0) r.put("TFLOP_per_s", flops / (ms * 1e9));
        return r;
    }
}
