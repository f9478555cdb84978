package org.lgsr.gpu;

/**
 * A cuBLAS handle, reached through the project's JNI library (JCublas cannot load against
 * CUDA 13's libcublas.so.13). Matrices are column-major, as in cuBLAS: a row-major product
 * C = A B (A: m x k, B: k x n, all row-major) is {@code sgemm(false, false, n, m, k, 1, B, n, A, k, 0, C, n)}.
 * Must be created and used with a {@link GpuContext} current (the primary context, which the
 * runtime API inside cuBLAS shares). On the simulated device the products run on the CPU in
 * the sim library ({@link org.lgsr.gpu.sim.SimDriver#sgemm}: float products in k order, FP32
 * whatever the math mode), so that the code that calls cuBLAS is the same on both.
 */
public final class Cublas implements AutoCloseable {
    /** FP32: full float32 products (CUBLAS_DEFAULT_MATH); TF32: tensor cores with TF32 inputs. */
    public enum MathMode {
        FP32(0), TF32(3);

        final int value;

        MathMode(int value) {
            this.value = value;
        }
    }

    private static String loadError;
    private static boolean tried;
    private long handle;
    private final boolean sim = Driver.get().simulated();

    /** Null when cuBLAS can be used, else one line naming what was searched. */
    public static synchronized String loadError() {
        if (Driver.get().simulated()) return null;
        return cudaLoadError();
    }

    /** Whether the real cuBLAS loads (null) or why not, whatever the process's driver is. */
    static synchronized String cudaLoadError() {
        if (!tried) {
            tried = true;
            loadError = CublasNative.loadLibrary();
            if (loadError == null) loadError = CublasNative.load();
        }
        return loadError;
    }

    /** The soname that was opened (libcublas.so.13 or .12); null when none. */
    public static String libraryName() {
        if (Driver.get().simulated()) return "the simulated device's CPU sgemm";
        return loadError() == null ? CublasNative.libraryName() : null;
    }

    public Cublas() {
        String err = loadError();
        if (err != null) throw new CudaException(err);
        handle = sim ? -1 : CublasNative.create();
    }

    /** Later calls run on {@code stream} (null: the legacy default stream). */
    public void setStream(CudaStream stream) {
        if (!sim) CublasNative.setStream(handle(), stream == null ? 0L : stream.address());
    }

    public void setMathMode(MathMode mode) {
        if (!sim) CublasNative.setMathMode(handle(), mode.value);
    }

    /** C = alpha op(A) op(B) + beta C, column-major, on raw device addresses. */
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                      float beta, long c, int ldc) {
        if (sim) {
            handle();
            org.lgsr.gpu.sim.SimDriver.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        CublasNative.sgemm(handle(), transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** The strided-batched product; strides in elements. */
    public void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
                                    long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC,
                                    int batchCount) {
        if (sim) {
            handle();
            org.lgsr.gpu.sim.SimDriver.sgemmStridedBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc,
                    strideC, batchCount);
            return;
        }
        CublasNative.sgemmStridedBatched(handle(), transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, strideA, b, ldb,
                strideB, beta, c, ldc, strideC, batchCount);
    }

    private long handle() {
        if (handle == 0) throw new IllegalStateException("cuBLAS handle used after close");
        return handle;
    }

    @Override
    public void close() {
        if (handle == 0) return;
        long h = handle;
        handle = 0;
        if (!sim) CublasNative.destroy(h);
    }
}
