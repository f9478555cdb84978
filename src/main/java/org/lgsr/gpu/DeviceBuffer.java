package org.lgsr.gpu;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * One device allocation of {@code length} elements of 4 bytes, freed by {@link #close}
 * (try-with-resources), never by a finalizer. Copies are synchronous unless they take a stream.
 */
public abstract sealed class DeviceBuffer implements AutoCloseable permits DeviceFloats, DeviceInts {
    /** JCuda keeps the address in a protected field; this subclass reads it for cuBLAS. */
    static final class Ptr extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }
    }

    static final int ELEMENT_BYTES = 4;
    private final Ptr ptr = new Ptr();
    private final long length;
    private boolean closed;

    DeviceBuffer(long length) {
        if (length <= 0) throw new IllegalArgumentException("a device buffer needs at least one element, got " + length);
        this.length = length;
        Cuda.check(JCudaDriver.cuMemAlloc(ptr, length * ELEMENT_BYTES), "cuMemAlloc(" + length * ELEMENT_BYTES + " bytes)");
    }

    public final long length() {
        return length;
    }

    public final long bytes() {
        return length * ELEMENT_BYTES;
    }

    /** The buffer's device pointer (for kernel arguments and JCuda calls). */
    public final CUdeviceptr pointer() {
        checkOpen();
        return ptr;
    }

    /** The raw device address (for the JNI library: cuBLAS). */
    public final long address() {
        checkOpen();
        return ptr.address();
    }

    /** Sets every element to the 32-bit pattern {@code bits}. */
    final void fillBits(int bits, CudaStream stream) {
        if (stream == null) Cuda.check(JCudaDriver.cuMemsetD32(pointer(), bits, length), "cuMemsetD32");
        else Cuda.check(JCudaDriver.cuMemsetD32Async(pointer(), bits, length, stream.handle()), "cuMemsetD32Async");
    }

    /** Copies all of {@code src} (same length) into this buffer, device to device. */
    final void copyFromDevice(DeviceBuffer src, CudaStream stream) {
        if (src.length != length) {
            throw new IllegalArgumentException("device copy of " + src.length + " elements into a buffer of " + length);
        }
        if (stream == null) Cuda.check(JCudaDriver.cuMemcpyDtoD(pointer(), src.pointer(), bytes()), "cuMemcpyDtoD");
        else Cuda.check(JCudaDriver.cuMemcpyDtoDAsync(pointer(), src.pointer(), bytes(), stream.handle()), "cuMemcpyDtoDAsync");
    }

    /** Host to device: {@code count} elements of the host array behind {@code host}, from element {@code srcOffset}, to element {@code dstOffset}. */
    final void copyFromHost(jcuda.Pointer host, int srcOffset, long dstOffset, int count) {
        checkRange(dstOffset, count);
        Cuda.check(JCudaDriver.cuMemcpyHtoD(pointer().withByteOffset(dstOffset * ELEMENT_BYTES),
                host.withByteOffset((long) srcOffset * ELEMENT_BYTES), (long) count * ELEMENT_BYTES), "cuMemcpyHtoD");
    }

    /** Device to host: {@code count} elements from element {@code srcOffset} into the host array behind {@code host} at {@code dstOffset}. */
    final void copyToHost(long srcOffset, jcuda.Pointer host, int dstOffset, int count) {
        checkRange(srcOffset, count);
        Cuda.check(JCudaDriver.cuMemcpyDtoH(host.withByteOffset((long) dstOffset * ELEMENT_BYTES),
                pointer().withByteOffset(srcOffset * ELEMENT_BYTES), (long) count * ELEMENT_BYTES), "cuMemcpyDtoH");
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
        Cuda.check(JCudaDriver.cuMemFree(ptr), "cuMemFree");
    }
}
