package org.lgsr.gpu;

/** Holds the process's {@link Driver}: the CUDA driver by default, the simulated device on request. */
final class Drivers {
    private static CudaDriver cuda;
    private static Driver current;

    private Drivers() {
    }

    /** The CUDA driver (whether or not it is the process's driver). */
    static synchronized CudaDriver cuda() {
        if (cuda == null) cuda = new CudaDriver();
        return cuda;
    }

    static synchronized Driver get() {
        if (current == null) current = cuda();
        return current;
    }

    static synchronized void useSim() {
        if (current != null && current.simulated()) return;
        if (CudaDriver.contextOpened()) {
            throw new IllegalStateException("the simulated device must be chosen before a CUDA context opens");
        }
        current = new org.lgsr.gpu.sim.SimDriver();
    }
}
