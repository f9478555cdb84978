package org.lgsr.gpu;


/**
 * A device's primary context, retained and made current on the creating thread. The primary
 * context is the one the CUDA runtime API uses, so cuBLAS (through lgsr_native) works on the
 * same memory and streams. Other threads call {@link #makeCurrent} before their first CUDA call.
 */
public final class GpuContext implements AutoCloseable {
    private final Driver driver = Driver.get();
    private final DeviceInfo info;
    private boolean closed;

    private GpuContext(int ordinal) {
        info = driver.device(ordinal);
        driver.contextRetain(ordinal);
    }

    /** Device {@code ordinal}'s primary context; throws CudaException with the probe's one line when there is no GPU. */
    public static GpuContext open(int ordinal) {
        return open(Driver.get().simulated() ? GpuProbe.current() : GpuProbe.get(), ordinal);
    }

    /** {@link #open(int)} on the CUDA driver whatever the process's driver is (tests of the no-GPU message). */
    static GpuContext openCuda(int ordinal) {
        if (Driver.get().simulated()) {
            GpuProbe p = GpuProbe.get();
            if (!p.available()) throw new CudaException("no usable GPU: " + p.summary());
            throw new IllegalStateException("a GPU answers, but this process uses the simulated device");
        }
        return open(ordinal);
    }

    private static GpuContext open(GpuProbe p, int ordinal) {
        if (!p.available()) throw new CudaException((Driver.get().simulated() ? "no simulated device: " : "no usable GPU: ") + p.summary());
        return new GpuContext(ordinal);
    }

    public void makeCurrent() {
        driver.contextMakeCurrent();
    }

    public DeviceInfo info() {
        return info;
    }

    /** Waits for all work on the device. */
    public void synchronize() {
        driver.contextSynchronize();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        driver.contextRelease();
    }
}
