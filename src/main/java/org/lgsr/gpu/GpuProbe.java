package org.lgsr.gpu;

import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

/**
 * Whether this process can compute on a GPU: a CUDA driver (libcuda.so.1) that JCuda loads, a
 * device that answers, and CUDA kernels in the jar. Probed once; {@link #summary} is one line.
 * Where no driver is installed JCuda's first call throws UnsatisfiedLinkError with a long
 * multi-line message: it is caught here, once, and reported as "no CUDA driver".
 */
public record GpuProbe(boolean available, String summary) {
    private static GpuProbe cached;

    /** The probe's answer, computed on the first call. */
    public static synchronized GpuProbe get() {
        if (cached == null) cached = probe();
        return cached;
    }

    private static GpuProbe probe() {
        try {
            JCudaDriver.setExceptionsEnabled(false);
            int r = JCudaDriver.cuInit(0);
            if (r != 0) return new GpuProbe(false, "CUDA driver present but cuInit failed: " + Cuda.errorString(r));
            int[] count = new int[1];
            r = JCudaDriver.cuDeviceGetCount(count);
            if (r != 0) return new GpuProbe(false, "cuDeviceGetCount failed: " + Cuda.errorString(r));
            if (count[0] == 0) return new GpuProbe(false, "CUDA driver present but no CUDA device");
            CUdevice dev = new CUdevice();
            Cuda.check(JCudaDriver.cuDeviceGet(dev, 0), "cuDeviceGet(0)");
            DeviceInfo info = DeviceInfo.of(dev, 0);
            if (!KernelModule.fatbinPresent()) {
                return new GpuProbe(false, info.oneLine() + " found, but this jar has no CUDA kernels (built without nvcc)");
            }
            return new GpuProbe(true, info.oneLine());
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("libcuda.so")) return new GpuProbe(false, "no CUDA driver (libcuda.so.1 not found)");
            return new GpuProbe(false, "no CUDA driver (JCuda's driver-API native library did not load: "
                    + m.strip().split("\\R", 2)[0] + ")");
        } catch (CudaException e) {
            return new GpuProbe(false, e.getMessage());
        }
    }
}
