package org.lgsr.gpu;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

/**
 * A device's primary context, retained and made current on the creating thread. The primary
 * context is the one the CUDA runtime API uses, so cuBLAS (through lgsr_native) works on the
 * same memory and streams. Other threads call {@link #makeCurrent} before their first CUDA call.
 */
public final class GpuContext implements AutoCloseable {
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final DeviceInfo info;
    private boolean closed;

    private GpuContext(int ordinal) {
        JCudaDriver.setExceptionsEnabled(false);
        Cuda.check(JCudaDriver.cuInit(0), "cuInit");
        Cuda.check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        Cuda.check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        info = DeviceInfo.of(device, ordinal);
        makeCurrent();
    }

    /** Device {@code ordinal}'s primary context; throws CudaException with the probe's one line when there is no GPU. */
    public static GpuContext open(int ordinal) {
        GpuProbe p = GpuProbe.get();
        if (!p.available()) throw new CudaException("no usable GPU: " + p.summary());
        return new GpuContext(ordinal);
    }

    public void makeCurrent() {
        Cuda.check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    public DeviceInfo info() {
        return info;
    }

    /** Waits for all work on the device. */
    public void synchronize() {
        Cuda.check(JCudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Cuda.check(JCudaDriver.cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
    }
}
