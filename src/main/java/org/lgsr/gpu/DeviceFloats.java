package org.lgsr.gpu;


/** A device buffer of float32. */
public final class DeviceFloats extends DeviceBuffer {
    public DeviceFloats(long length) {
        super(length);
    }

    /** A new buffer holding a copy of {@code host}. */
    public static DeviceFloats of(float[] host) {
        DeviceFloats d = new DeviceFloats(host.length);
        try {
            d.copyFrom(host);
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }

    /** Host to device: all of {@code src} into elements [0, src.length). */
    public void copyFrom(float[] src) {
        copyFrom(src, 0, 0, src.length);
    }

    public void copyFrom(float[] src, int srcOffset, long dstOffset, int count) {
        copyFromHost(src, srcOffset, dstOffset, count);
    }

    /** Device to host: elements [0, dst.length) into {@code dst}. */
    public void copyTo(float[] dst) {
        copyTo(0, dst, 0, dst.length);
    }

    public void copyTo(long srcOffset, float[] dst, int dstOffset, int count) {
        copyToHost(srcOffset, dst, dstOffset, count);
    }

    public float[] toArray() {
        float[] a = new float[arrayLength()];
        copyTo(a);
        return a;
    }

    /** Device to device: all of {@code src} (same length). */
    public void copyFrom(DeviceFloats src, CudaStream stream) {
        copyFromDevice(src, stream);
    }

    /** Every element set to {@code value} (NaN to poison an output before a kernel). */
    public void fill(float value, CudaStream stream) {
        fillBits(Float.floatToRawIntBits(value), stream);
    }
}
