package org.lgsr.gpu;

import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

/** A device buffer of int32 (also read as uint32 by kernels). */
public final class DeviceInts extends DeviceBuffer {
    public DeviceInts(long length) {
        super(length);
    }

    public static DeviceInts of(int[] host) {
        DeviceInts d = new DeviceInts(host.length);
        try {
            d.copyFrom(host);
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }

    public void copyFrom(int[] src) {
        copyFrom(src, 0, 0, src.length);
    }

    public void copyFrom(int[] src, int srcOffset, long dstOffset, int count) {
        checkRange(dstOffset, count);
        Cuda.check(JCudaDriver.cuMemcpyHtoD(pointer().withByteOffset(dstOffset * ELEMENT_BYTES),
                Pointer.to(src).withByteOffset((long) srcOffset * ELEMENT_BYTES), (long) count * ELEMENT_BYTES), "cuMemcpyHtoD");
    }

    public void copyTo(int[] dst) {
        copyTo(0, dst, 0, dst.length);
    }

    public void copyTo(long srcOffset, int[] dst, int dstOffset, int count) {
        checkRange(srcOffset, count);
        Cuda.check(JCudaDriver.cuMemcpyDtoH(Pointer.to(dst).withByteOffset((long) dstOffset * ELEMENT_BYTES),
                pointer().withByteOffset(srcOffset * ELEMENT_BYTES), (long) count * ELEMENT_BYTES), "cuMemcpyDtoH");
    }

    public int[] toArray() {
        if (length() > Integer.MAX_VALUE - 8) throw new IllegalStateException("device buffer of " + length() + " elements is too large for a Java array");
        int[] a = new int[(int) length()];
        copyTo(a);
        return a;
    }

    public void copyFrom(DeviceInts src, CudaStream stream) {
        copyFromDevice(src, stream);
    }

    public void fill(int value, CudaStream stream) {
        fillBits(value, stream);
    }
}
