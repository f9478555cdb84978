package org.lgsr.gpu;

import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/** Checks of CUDA driver API results: every call goes through {@link #check}. */
public final class Cuda {
    private Cuda() {
    }

    /** Throws a {@link CudaException} naming {@code call} and the CUDA error when {@code result} is not CUDA_SUCCESS. */
    public static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) throw new CudaException(call + " failed: " + errorString(result));
    }

    /** "CUDA_ERROR_NAME (code): the driver's description". */
    public static String errorString(int result) {
        String[] desc = new String[1];
        String text = null;
        try {
            if (JCudaDriver.cuGetErrorString(result, desc) == CUresult.CUDA_SUCCESS) text = desc[0];
        } catch (RuntimeException | LinkageError e) {
            // the description is a nicety; the name is enough
        }
        return CUresult.stringFor(result) + " (" + result + ")" + (text == null ? "" : ": " + text);
    }
}
