package org.lgsr.gpu;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/** JCuda device pointers for raw addresses (views inside allocations, for copies and memsets). */
public final class DevicePointers {
    private DevicePointers() {
    }

    /**
     * A pointer whose value is {@code address}: JCuda passes a pointer as its native value plus
     * its byte offset, and a fresh pointer's native value is 0.
     */
    public static CUdeviceptr at(long address) {
        return new CUdeviceptr().withByteOffset(address);
    }

    /** Sets {@code count} 32-bit words from {@code address} to {@code bits}, queued on {@code stream}. */
    public static void memsetD32(long address, int bits, long count, CudaStream stream) {
        Cuda.check(JCudaDriver.cuMemsetD32Async(at(address), bits, count, stream.handle()), "cuMemsetD32Async");
    }

    /** Copies {@code bytes} from device address {@code src} to {@code dst}, queued on {@code stream}. */
    public static void copy(long dst, long src, long bytes, CudaStream stream) {
        Cuda.check(JCudaDriver.cuMemcpyDtoDAsync(at(dst), at(src), bytes, stream.handle()), "cuMemcpyDtoDAsync");
    }

    /** Waits for {@code stream}, then copies {@code bytes} from device address {@code src} into {@code host}. */
    public static void download(long src, jcuda.Pointer host, long bytes, CudaStream stream) {
        stream.synchronize();
        Cuda.check(JCudaDriver.cuMemcpyDtoH(host, at(src), bytes), "cuMemcpyDtoH");
    }
}
