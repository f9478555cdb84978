package org.lgsr.gpu;

import java.util.HashMap;
import java.util.Map;

/**
 * The kernels: every {@code cuda/*.cu}, built into one fatbin (sm_80, sm_90, compute_90 PTX),
 * loaded from the jar with cuModuleLoadData into the current context; kernels by their
 * {@code extern "C"} names, launched with {@link #launch}.
 */
public final class KernelModule implements AutoCloseable {
    private final Driver driver = Driver.get();
    private final long module;
    private final Map<String, Long> functions = new HashMap<>();
    private final Map<String, Integer> sharedOptIn = new HashMap<>();
    /** Dynamic shared memory a block gets without opting in. */
    public static final int DEFAULT_SHARED_BYTES = 48 * 1024;
    private boolean closed;

    /** Whether this jar was built with the kernels (nvcc present at build time). */
    public static boolean fatbinPresent() {
        return NativeResources.present(NativeResources.FATBIN);
    }

    /** Loads the fatbin into the current context (a {@link GpuContext} must be current). */
    public KernelModule() {
        byte[] image = driver.simulated() ? new byte[0] : NativeResources.read(NativeResources.FATBIN);
        if (image == null) throw new CudaException("this jar has no CUDA kernels (" + NativeResources.FATBIN + "): it was built without nvcc");
        module = driver.moduleLoad(image);
    }

    /** The kernel named {@code name}. */
    public synchronized long function(String name) {
        if (closed) throw new IllegalStateException("kernel module used after close");
        return functions.computeIfAbsent(name, n -> driver.function(module, n));
    }

    /**
     * Launches kernel {@code name} on a 1-D grid. Arguments, in the kernel's order: a
     * {@link DeviceBuffer} (its pointer), Integer (int), Long (long long / unsigned long long),
     * Float (float). Above 48 KB of dynamic shared memory the kernel is opted in first
     * (cuFuncSetAttribute, once per new maximum; sm_80 allows up to 163 KB, sm_90 227 KB).
     */
    public void launch(String name, int gridX, int blockX, int sharedBytes, CudaStream stream, Object... args) {
        if (gridX <= 0 || blockX <= 0) throw new IllegalArgumentException("kernel " + name + ": grid " + gridX + " x block " + blockX);
        if (sharedBytes > DEFAULT_SHARED_BYTES) optIn(name, sharedBytes);
        driver.launch(function(name), name, gridX, blockX, sharedBytes, stream == null ? 0 : stream.address(), args);
    }

    /** Lets kernel {@code name} use {@code bytes} of dynamic shared memory (above the default 48 KB). */
    private synchronized void optIn(String name, int bytes) {
        Integer now = sharedOptIn.get(name);
        if (now != null && now >= bytes) return;
        driver.setMaxDynamicSharedBytes(function(name), name, bytes);
        sharedOptIn.put(name, bytes);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        functions.clear();
        driver.moduleUnload(module);
    }
}
