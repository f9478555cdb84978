package org.lgsr.gpu;

import java.util.HashMap;
import java.util.Map;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * The kernels: every {@code cuda/*.cu}, built into one fatbin (sm_80, sm_90, compute_90 PTX),
 * loaded from the jar with cuModuleLoadData into the current context; kernels by their
 * {@code extern "C"} names, launched with {@link #launch}.
 */
public final class KernelModule implements AutoCloseable {
    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new HashMap<>();
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
        byte[] image = NativeResources.read(NativeResources.FATBIN);
        if (image == null) throw new CudaException("this jar has no CUDA kernels (" + NativeResources.FATBIN + "): it was built without nvcc");
        Cuda.check(JCudaDriver.cuModuleLoadData(module, image), "cuModuleLoadData(lgsr_kernels.fatbin)");
    }

    /** The kernel named {@code name}. */
    public synchronized CUfunction function(String name) {
        if (closed) throw new IllegalStateException("kernel module used after close");
        return functions.computeIfAbsent(name, n -> {
            CUfunction f = new CUfunction();
            Cuda.check(JCudaDriver.cuModuleGetFunction(f, module, n), "cuModuleGetFunction(" + n + ")");
            return f;
        });
    }

    /**
     * Launches kernel {@code name} on a 1-D grid. Arguments, in the kernel's order: a
     * {@link DeviceBuffer} (its pointer), Integer (int), Long (long long / unsigned long long),
     * Float (float). Above 48 KB of dynamic shared memory the kernel is opted in first
     * (cuFuncSetAttribute, once per new maximum; sm_80 allows up to 163 KB, sm_90 227 KB).
     */
    public void launch(String name, int gridX, int blockX, int sharedBytes, CudaStream stream, Object... args) {
        NativePointerObject[] params = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof DeviceBuffer b) params[i] = Pointer.to(b.pointer());
            else if (a instanceof Integer v) params[i] = Pointer.to(new int[] {v});
            else if (a instanceof Long v) params[i] = Pointer.to(new long[] {v});
            else if (a instanceof Float v) params[i] = Pointer.to(new float[] {v});
            else throw new IllegalArgumentException("kernel " + name + " argument " + i + ": unsupported type " + (a == null ? "null" : a.getClass().getName()));
        }
        if (gridX <= 0 || blockX <= 0) throw new IllegalArgumentException("kernel " + name + ": grid " + gridX + " x block " + blockX);
        if (sharedBytes > DEFAULT_SHARED_BYTES) optIn(name, sharedBytes);
        Cuda.check(JCudaDriver.cuLaunchKernel(function(name), gridX, 1, 1, blockX, 1, 1, sharedBytes,
                stream == null ? null : stream.handle(), Pointer.to(params), null), "cuLaunchKernel(" + name + ")");
    }

    /** Lets kernel {@code name} use {@code bytes} of dynamic shared memory (above the default 48 KB). */
    private synchronized void optIn(String name, int bytes) {
        Integer now = sharedOptIn.get(name);
        if (now != null && now >= bytes) return;
        Cuda.check(JCudaDriver.cuFuncSetAttribute(function(name), CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
                "cuFuncSetAttribute(" + name + ", " + bytes + " bytes of dynamic shared memory; this GPU may allow less)");
        sharedOptIn.put(name, bytes);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        functions.clear();
        Cuda.check(JCudaDriver.cuModuleUnload(module), "cuModuleUnload");
    }
}
