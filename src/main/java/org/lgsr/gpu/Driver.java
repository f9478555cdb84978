package org.lgsr.gpu;

import java.nio.ByteBuffer;

/**
 * The seam between the GPU engine and the device: every call the engine's {@code gpu} classes
 * make of the CUDA driver, on raw addresses and opaque handles ({@code long}), with Java
 * primitive arrays on the host side. Two implementations: {@link CudaDriver} (the CUDA driver
 * through JCuda: a real GPU) and {@link org.lgsr.gpu.sim.SimDriver} (the simulated device: the
 * same {@code cuda/*.cu} kernels compiled for the CPU, device memory in host memory). Everything
 * above this interface (buffers, streams, events, the pinned ring, every launcher's grid, block,
 * shared-memory arithmetic and argument packing, {@code GpuBackend}) is the same code on both.
 *
 * <p>One driver per process, chosen before the first context opens ({@link #useSim}); the
 * default is the CUDA driver. Stream handle 0 is the legacy default stream (blocking).
 */
public interface Driver {
    /** "cuda" or "sim". */
    String kind();

    /** Whether this is the simulated device. */
    default boolean simulated() {
        return kind().equals("sim");
    }

    /** Initialises the driver; the number of devices, or throws {@link CudaException} / a LinkageError. */
    int deviceCount();

    /** What device {@code ordinal} is. */
    DeviceInfo device(int ordinal);

    /** Retains device {@code ordinal}'s primary context and makes it current on this thread. */
    void contextRetain(int ordinal);

    /** Makes the retained context current on this thread. */
    void contextMakeCurrent();

    /** Releases the primary context. */
    void contextRelease();

    /** Waits for all work of the context. */
    void contextSynchronize();

    /** Device memory of {@code bytes} (not initialised). */
    long alloc(long bytes);

    void free(long address);

    /** Page-locked host memory of {@code bytes}. */
    long allocHost(long bytes);

    void freeHost(long address);

    /** A direct buffer over page-locked host memory from {@link #allocHost}. */
    ByteBuffer hostBuffer(long address, long bytes);

    /** {@code count} 32-bit words at {@code dst} set to {@code bits}; stream 0: blocking. */
    void fill32(long dst, int bits, long count, long stream);

    /** Device to device; stream 0: blocking. */
    void copyDeviceToDevice(long dst, long src, long bytes, long stream);

    /** Host array (float[], int[], long[], double[], byte[]) to device; stream 0: blocking, else queued (the driver stages the pageable array before returning). */
    void copyArrayToDevice(long dst, Object array, long arrayByteOffset, long bytes, long stream);

    /** Page-locked host memory to device, queued on {@code stream}. */
    void copyHostToDevice(long dst, long hostAddress, long bytes, long stream);

    /** Device to host array, blocking (after all work of the legacy stream). */
    void copyDeviceToArray(Object array, long arrayByteOffset, long src, long bytes);

    /** A non-blocking stream. */
    long streamCreate();

    void streamSynchronize(long stream);

    void streamDestroy(long stream);

    long eventCreate();

    void eventRecord(long event, long stream);

    void eventSynchronize(long event);

    /** Milliseconds between two recorded, completed events. */
    float eventElapsedMillis(long start, long end);

    void eventDestroy(long event);

    /** Loads the kernels' image (the fatbin; the simulated device has its kernels built in and ignores it). */
    long moduleLoad(byte[] image);

    /** Kernel {@code name} of module {@code module}. */
    long function(long module, String name);

    void moduleUnload(long module);

    /** Lets {@code function} use {@code bytes} of dynamic shared memory (above 48 KB). */
    void setMaxDynamicSharedBytes(long function, String name, int bytes);

    /**
     * Launches {@code function} ({@code name}, for messages) on a 1-D grid; arguments in the
     * kernel's order: a {@link DeviceBuffer} (its address), Integer (int), Long (a pointer or
     * long long), Float (float).
     */
    void launch(long function, String name, int gridX, int blockX, int sharedBytes, long stream, Object[] args);

    // ------------------------------------------------------------------ the process's driver

    /** The process's driver (the CUDA driver unless {@link #useSim} was called). */
    static Driver get() {
        return Drivers.get();
    }

    /** Makes the simulated device the process's driver (before any context opens). */
    static void useSim() {
        Drivers.useSim();
    }
}
