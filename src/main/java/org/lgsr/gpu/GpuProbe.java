package org.lgsr.gpu;


/**
 * Whether this process can compute on a GPU: a CUDA driver (libcuda.so.1) that JCuda loads, a
 * device that answers, and CUDA kernels in the jar. Probed once; {@link #summary} is one line.
 * Where no driver is installed JCuda's first call throws UnsatisfiedLinkError with a long
 * multi-line message: it is caught here, once, and reported as "no CUDA driver".
 */
public record GpuProbe(boolean available, String summary) {
    private static GpuProbe cached;
    private static GpuProbe cachedSim;

    /** Whether a real GPU answers (the CUDA driver, whatever the process's driver is); probed once. */
    public static synchronized GpuProbe get() {
        if (cached == null) cached = probe(Drivers.cuda());
        return cached;
    }

    /** The process's driver: the GPU's probe, or the simulated device's when it was chosen. */
    public static synchronized GpuProbe current() {
        Driver d = Driver.get();
        if (!d.simulated()) return get();
        if (cachedSim == null) cachedSim = probe(d);
        return cachedSim;
    }

    private static GpuProbe probe(Driver driver) {
        try {
            int count = driver.deviceCount();
            if (count == 0) return new GpuProbe(false, "CUDA driver present but no CUDA device");
            DeviceInfo info = driver.device(0);
            if (!driver.simulated() && !KernelModule.fatbinPresent()) {
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
