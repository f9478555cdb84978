package org.lgsr.gpu.sim;

import java.nio.ByteBuffer;
import org.lgsr.gpu.NativeResources;

/**
 * The JNI functions of {@code liblgsr_sim.so} (native/sim): the simulated device's memory, its
 * kernel registry and launches (every {@code cuda/*.cu} compiled for the CPU, threads of a
 * block as fibers), and the CPU stand-ins of the two cuBLAS products. Loaded from the jar, or
 * from {@code $LGSR_SIM_LIBRARY} (an AddressSanitizer build, say).
 */
final class SimNative {
    private static String loadError;
    private static boolean tried;

    private SimNative() {
    }

    /** Null when the library is loaded, else one line saying why not. */
    static synchronized String load() {
        if (tried) return loadError;
        tried = true;
        loadError = NativeResources.loadLibrary(NativeResources.SIM_LIBRARY, "LGSR_SIM_LIBRARY", "cmake or g++");
        return loadError;
    }

    static native String version();

    /** Memory of {@code bytes}, 256-byte aligned, filled with 0xFF bytes (NaN floats, -1 ints); 0 when it fails. */
    static native long alloc(long bytes);

    static native void free(long address);

    static native void copy(long dst, long src, long bytes);

    static native void fromArray(long dst, Object array, long arrayByteOffset, long bytes);

    static native void toArray(Object array, long arrayByteOffset, long src, long bytes);

    static native void fill32(long dst, int bits, long count);

    static native ByteBuffer wrap(long address, long bytes);

    static native int kernelCount();

    static native String kernelName(int i);

    /** An opaque handle of kernel {@code name}; 0 when there is none. */
    static native long function(String name);

    /** One character per parameter: p pointer, i 4-byte integer, l 8-byte integer, f float, d double. */
    static native String signature(long function);

    /** Runs the whole grid; null on success, else one line naming the kernel and the problem. */
    static native String launch(long function, int gridX, int blockX, int sharedBytes, long[] args, int threads);

    static native void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                             float beta, long c, int ldc);

    static native void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
                                           long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC,
                                           int batch);
}
