package org.lgsr.gpu;

/** A CUDA stream (non-blocking with respect to the legacy default stream). */
public final class CudaStream implements AutoCloseable {
    private final Driver driver = Driver.get();
    private final long handle;
    private boolean closed;

    public CudaStream() {
        handle = driver.streamCreate();
    }

    /** The raw cudaStream_t / CUstream value (for the JNI library). */
    public long address() {
        checkOpen();
        return handle;
    }

    public void synchronize() {
        driver.streamSynchronize(address());
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("CUDA stream used after close");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        driver.streamDestroy(handle);
    }
}
