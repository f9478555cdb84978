package org.lgsr.gpu;


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
        copyFromHost(src, srcOffset, dstOffset, count);
    }

    public void copyTo(int[] dst) {
        copyTo(0, dst, 0, dst.length);
    }

    public void copyTo(long srcOffset, int[] dst, int dstOffset, int count) {
        copyToHost(srcOffset, dst, dstOffset, count);
    }

    public int[] toArray() {
        int[] a = new int[arrayLength()];
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
