package org.lgsr.gpu;

import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/** A CUDA stream (non-blocking with respect to the legacy default stream). */
public final class CudaStream implements AutoCloseable {
    /** JCuda keeps the handle in a protected field; this subclass reads it for cuBLAS. */
    static final class Handle extends CUstream {
        long address() {
            return getNativePointer();
        }
    }

    private final Handle handle = new Handle();
    private boolean closed;

    public CudaStream() {
        Cuda.check(JCudaDriver.cuStreamCreate(handle, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    }

    public CUstream handle() {
        checkOpen();
        return handle;
    }

    /** The raw cudaStream_t / CUstream value (for the JNI library). */
    public long address() {
        checkOpen();
        return handle.address();
    }

    public void synchronize() {
        Cuda.check(JCudaDriver.cuStreamSynchronize(handle()), "cuStreamSynchronize");
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("CUDA stream used after close");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Cuda.check(JCudaDriver.cuStreamDestroy(handle), "cuStreamDestroy");
    }
}
