package org.lgsr.gpu;

/**
 * NVTX v3 ranges (push/pop), so that Nsight Systems and Nsight Compute show phases by name:
 * {@code try (Nvtx.Range r = Nvtx.range("forward")) { ... }}. A no-op when the JNI library is
 * absent or was built without the NVTX v3 headers, and (inside NVTX) when no tool is attached.
 */
public final class Nvtx {
    private static final boolean ENABLED = CublasNative.loadLibrary() == null && CublasNative.nvtxAvailable();

    private Nvtx() {
    }

    public static boolean enabled() {
        return ENABLED;
    }

    public static void push(String name) {
        if (ENABLED) CublasNative.nvtxPush(name);
    }

    public static void pop() {
        if (ENABLED) CublasNative.nvtxPop();
    }

    /** A range closed by try-with-resources. */
    public static Range range(String name) {
        push(name);
        return new Range();
    }

    public static final class Range implements AutoCloseable {
        private boolean closed;

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            pop();
        }
    }
}
