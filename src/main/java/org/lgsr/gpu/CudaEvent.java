package org.lgsr.gpu;


/** A CUDA event, for timing device work between two records on a stream. */
public final class CudaEvent implements AutoCloseable {
    private final Driver driver = Driver.get();
    private final long event;
    private boolean closed;

    public CudaEvent() {
        event = driver.eventCreate();
    }

    public void record(CudaStream stream) {
        driver.eventRecord(event, stream == null ? 0 : stream.address());
    }

    public void synchronize() {
        driver.eventSynchronize(event);
    }

    /** Milliseconds from {@code start} to this event (both recorded; waits for this one). */
    public float millisSince(CudaEvent start) {
        synchronize();
        return driver.eventElapsedMillis(start.event, event);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        driver.eventDestroy(event);
    }
}
