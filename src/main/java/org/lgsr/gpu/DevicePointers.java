package org.lgsr.gpu;

/** Copies and memsets on raw device addresses (views inside allocations), through the process's {@link Driver}. */
public final class DevicePointers {
    private DevicePointers() {
    }

    /** Sets {@code count} 32-bit words from {@code address} to {@code bits}, queued on {@code stream}. */
    public static void memsetD32(long address, int bits, long count, CudaStream stream) {
        Driver.get().fill32(address, bits, count, stream == null ? 0 : stream.address());
    }

    /** Copies {@code bytes} from device address {@code src} to {@code dst}, queued on {@code stream}. */
    public static void copy(long dst, long src, long bytes, CudaStream stream) {
        Driver.get().copyDeviceToDevice(dst, src, bytes, stream == null ? 0 : stream.address());
    }

    /** Waits for {@code stream}, then copies {@code bytes} from device address {@code src} into {@code array} at byte {@code arrayByteOffset}. */
    public static void download(long src, Object array, long arrayByteOffset, long bytes, CudaStream stream) {
        stream.synchronize();
        Driver.get().copyDeviceToArray(array, arrayByteOffset, src, bytes);
    }
}
