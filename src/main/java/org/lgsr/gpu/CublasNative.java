package org.lgsr.gpu;

/**
 * The JNI library {@code liblgsr_native.so} (native/lgsr_native.c), loaded from the jar's
 * resources: cuBLAS through dlopen of libcublas.so.13 (then .12), and NVTX v3 ranges.
 * Addresses and the stream are raw values made by the driver API (see {@link Cublas}).
 */
final class CublasNative {
    private static String loadError;
    private static boolean tried;

    private CublasNative() {
    }

    /** Loads the JNI library once; null when loaded, else one line saying why not. */
    static synchronized String loadLibrary() {
        if (tried) return loadError;
        tried = true;
        loadError = NativeResources.loadLibrary(NativeResources.JNI_LIBRARY, null, "cmake");
        return loadError;
    }

    /** Opens cuBLAS (once); null when loaded, else one line naming what was searched. */
    static native String load();

    /** The soname that was opened, or null. */
    static native String libraryName();

    static native long create();

    static native void destroy(long handle);

    static native void setStream(long handle, long stream);

    static native void setMathMode(long handle, int mode);

    static native void sgemm(long handle, int transa, int transb, int m, int n, int k, float alpha, long a, int lda,
                             long b, int ldb, float beta, long c, int ldc);

    static native void sgemmStridedBatched(long handle, int transa, int transb, int m, int n, int k, float alpha,
                                           long a, int lda, long strideA, long b, int ldb, long strideB, float beta,
                                           long c, int ldc, long strideC, int batchCount);

    static native boolean nvtxAvailable();

    static native void nvtxPush(String name);

    static native void nvtxPop();
}
