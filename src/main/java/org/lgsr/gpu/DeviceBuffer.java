package org.lgsr.gpu;

/**
 * One device allocation of {@code length} elements of 4 bytes, freed by {@link #close}
 * (try-with-resources), never by a finalizer. Copies are synchronous unless they take a stream.
 */
public abstract sealed class DeviceBuffer implements AutoCloseable permits DeviceFloats, DeviceInts {
    static final int ELEMENT_BYTES = 4;
    private final Driver driver = Driver.get();
    private final long address;
    private final long length;
    private boolean closed;

    DeviceBuffer(long length) {
        if (length <= 0) throw new IllegalArgumentException("a device buffer needs at least one element, got " + length);
        this.length = length;
        this.address = driver.alloc(length * ELEMENT_BYTES);
    }

    public final long length() {
        return length;
    }

    public final long bytes() {
        return length * ELEMENT_BYTES;
    }

    /** The raw device address (for the JNI library: cuBLAS). */
    public final long address() {
        checkOpen();
        return address;
    }

    /** Sets every element to the 32-bit pattern {@code bits}. */
    final void fillBits(int bits, CudaStream stream) {
        driver.fill32(address(), bits, length, stream == null ? 0 : stream.address());
    }

    /** Copies all of {@code src} (same length) into this buffer, device to device. */
    final void copyFromDevice(DeviceBuffer src, CudaStream stream) {
        if (src.length != length) {
            throw new IllegalArgumentException("device copy of " + src.length + " elements into a buffer of " + length);
        }
        driver.copyDeviceToDevice(address(), src.address(), bytes(), stream == null ? 0 : stream.address());
    }

    /** Host to device: {@code count} elements of the host array behind {@code host}, from element {@code srcOffset}, to element {@code dstOffset}. */
    final void copyFromHost(Object host, int srcOffset, long dstOffset, int count) {
        checkRange(dstOffset, count);
        driver.copyArrayToDevice(address() + dstOffset * ELEMENT_BYTES, host, (long) srcOffset * ELEMENT_BYTES, (long) count * ELEMENT_BYTES, 0);
    }

    /** Device to host: {@code count} elements from element {@code srcOffset} into the host array behind {@code host} at {@code dstOffset}. */
    final void copyToHost(long srcOffset, Object host, int dstOffset, int count) {
        checkRange(srcOffset, count);
        driver.copyDeviceToArray(host, (long) dstOffset * ELEMENT_BYTES, address() + srcOffset * ELEMENT_BYTES, (long) count * ELEMENT_BYTES);
    }

    /** The length as a Java array length, or a clear error when it is too large for one. */
    final int arrayLength() {
        if (length > Integer.MAX_VALUE - 8) throw new IllegalStateException("device buffer of " + length + " elements is too large for a Java array");
        return (int) length;
    }

    final void checkRange(long offset, long count) {
        if (offset < 0 || count < 0 || offset + count > length) {
            throw new IndexOutOfBoundsException("elements [" + offset + ", " + (offset + count) + ") of a device buffer of " + length);
        }
    }

    final void checkOpen() {
        if (closed) throw new IllegalStateException("device buffer used after close");
    }

    @Override
    public final void close() {
        if (closed) return;
        closed = true;
        driver.free(address);
    }
}
