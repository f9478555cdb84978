package org.lgsr.gpu;

/** A failed CUDA, cuBLAS or GPU-setup call; the message names the call and the error. */
public final class CudaException extends RuntimeException {
    public CudaException(String message) {
        super(message);
    }
}
