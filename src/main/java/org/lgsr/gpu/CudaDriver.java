package org.lgsr.gpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * {@link Driver} over the CUDA driver API through JCuda: a real GPU. Handles of streams, events,
 * modules and functions are the driver's own pointers; the JCuda objects behind them are kept
 * here (the engine holds a few streams and modules, and events up to the profiler's pool).
 */
final class CudaDriver implements Driver {
    private static volatile boolean opened;
    private final Map<Long, CUstream> streams = new HashMap<>();
    private final Map<Long, CUevent> events = new HashMap<>();
    private final Map<Long, CUmodule> modules = new HashMap<>();
    private final Map<Long, CUfunction> functions = new HashMap<>();
    private final Map<Long, Pointer> hostMemory = new HashMap<>();
    private CUdevice device;
    private CUcontext context;
    private boolean initialised;

    static boolean contextOpened() {
        return opened;
    }

    @Override
    public String kind() {
        return "cuda";
    }

    /** A device pointer at {@code address}. */
    static CUdeviceptr at(long address) {
        return new CUdeviceptr().withByteOffset(address);
    }

    private static Pointer host(Object array, long byteOffset) {
        Pointer p;
        if (array instanceof float[] a) p = Pointer.to(a);
        else if (array instanceof int[] a) p = Pointer.to(a);
        else if (array instanceof long[] a) p = Pointer.to(a);
        else if (array instanceof double[] a) p = Pointer.to(a);
        else if (array instanceof byte[] a) p = Pointer.to(a);
        else throw new IllegalArgumentException("host side of a copy: a primitive array, not " + (array == null ? "null" : array.getClass().getName()));
        return byteOffset == 0 ? p : p.withByteOffset(byteOffset);
    }

    private synchronized void init() {
        if (initialised) return;
        JCudaDriver.setExceptionsEnabled(false);
        Cuda.check(JCudaDriver.cuInit(0), "cuInit");
        initialised = true;
    }

    @Override
    public int deviceCount() {
        init();
        int[] count = new int[1];
        Cuda.check(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
        return count[0];
    }

    @Override
    public DeviceInfo device(int ordinal) {
        init();
        CUdevice dev = new CUdevice();
        Cuda.check(JCudaDriver.cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
        byte[] name = new byte[256];
        Cuda.check(JCudaDriver.cuDeviceGetName(name, name.length, dev), "cuDeviceGetName");
        int len = 0;
        while (len < name.length && name[len] != 0) len++;
        long[] mem = new long[1];
        Cuda.check(JCudaDriver.cuDeviceTotalMem(mem, dev), "cuDeviceTotalMem");
        return new DeviceInfo(ordinal, new String(name, 0, len, StandardCharsets.UTF_8),
                attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
                attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), mem[0],
                attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE));
    }

    private static int attribute(CUdevice dev, int attribute) {
        int[] v = new int[1];
        Cuda.check(JCudaDriver.cuDeviceGetAttribute(v, attribute, dev), "cuDeviceGetAttribute(" + CUdevice_attribute.stringFor(attribute) + ")");
        return v[0];
    }

    @Override
    public synchronized void contextRetain(int ordinal) {
        init();
        CUdevice dev = new CUdevice();
        Cuda.check(JCudaDriver.cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
        CUcontext ctx = new CUcontext();
        Cuda.check(JCudaDriver.cuDevicePrimaryCtxRetain(ctx, dev), "cuDevicePrimaryCtxRetain");
        device = dev;
        context = ctx;
        opened = true;
        contextMakeCurrent();
    }

    @Override
    public synchronized void contextMakeCurrent() {
        Cuda.check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    @Override
    public synchronized void contextRelease() {
        Cuda.check(JCudaDriver.cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
    }

    @Override
    public void contextSynchronize() {
        Cuda.check(JCudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    @Override
    public long alloc(long bytes) {
        Dptr p = new Dptr();
        Cuda.check(JCudaDriver.cuMemAlloc(p, bytes), "cuMemAlloc(" + bytes + " bytes)");
        return p.address();
    }

    @Override
    public void free(long address) {
        Cuda.check(JCudaDriver.cuMemFree(at(address)), "cuMemFree");
    }

    @Override
    public synchronized long allocHost(long bytes) {
        HostPtr p = new HostPtr();
        Cuda.check(JCudaDriver.cuMemAllocHost(p, bytes), "cuMemAllocHost(" + bytes + " bytes)");
        long a = p.address();
        hostMemory.put(a, p);
        return a;
    }

    @Override
    public synchronized void freeHost(long address) {
        Pointer p = hostMemory.remove(address);
        if (p == null) throw new IllegalArgumentException("freeHost: no page-locked memory at " + address);
        Cuda.check(JCudaDriver.cuMemFreeHost(p), "cuMemFreeHost");
    }

    @Override
    public synchronized ByteBuffer hostBuffer(long address, long bytes) {
        Pointer p = hostMemory.get(address);
        if (p == null) throw new IllegalArgumentException("hostBuffer: no page-locked memory at " + address);
        return p.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
    }

    private synchronized CUstream stream(long s) {
        if (s == 0) return null;
        CUstream st = streams.get(s);
        if (st == null) throw new IllegalArgumentException("no stream " + s);
        return st;
    }

    @Override
    public void fill32(long dst, int bits, long count, long stream) {
        if (stream == 0) Cuda.check(JCudaDriver.cuMemsetD32(at(dst), bits, count), "cuMemsetD32");
        else Cuda.check(JCudaDriver.cuMemsetD32Async(at(dst), bits, count, stream(stream)), "cuMemsetD32Async");
    }

    @Override
    public void copyDeviceToDevice(long dst, long src, long bytes, long stream) {
        if (stream == 0) Cuda.check(JCudaDriver.cuMemcpyDtoD(at(dst), at(src), bytes), "cuMemcpyDtoD");
        else Cuda.check(JCudaDriver.cuMemcpyDtoDAsync(at(dst), at(src), bytes, stream(stream)), "cuMemcpyDtoDAsync");
    }

    @Override
    public void copyArrayToDevice(long dst, Object array, long arrayByteOffset, long bytes, long stream) {
        if (stream == 0) Cuda.check(JCudaDriver.cuMemcpyHtoD(at(dst), host(array, arrayByteOffset), bytes), "cuMemcpyHtoD");
        else Cuda.check(JCudaDriver.cuMemcpyHtoDAsync(at(dst), host(array, arrayByteOffset), bytes, stream(stream)), "cuMemcpyHtoDAsync(pageable)");
    }

    @Override
    public void copyHostToDevice(long dst, long hostAddress, long bytes, long stream) {
        Pointer p = new Pointer().withByteOffset(hostAddress);
        Cuda.check(JCudaDriver.cuMemcpyHtoDAsync(at(dst), p, bytes, stream(stream)), "cuMemcpyHtoDAsync");
    }

    @Override
    public void copyDeviceToArray(Object array, long arrayByteOffset, long src, long bytes) {
        Cuda.check(JCudaDriver.cuMemcpyDtoH(host(array, arrayByteOffset), at(src), bytes), "cuMemcpyDtoH");
    }

    @Override
    public synchronized long streamCreate() {
        Stream s = new Stream();
        Cuda.check(JCudaDriver.cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        long h = s.address();
        streams.put(h, s);
        return h;
    }

    @Override
    public void streamSynchronize(long stream) {
        Cuda.check(JCudaDriver.cuStreamSynchronize(stream(stream)), "cuStreamSynchronize");
    }

    @Override
    public void streamDestroy(long stream) {
        CUstream s;
        synchronized (this) {
            s = streams.remove(stream);
        }
        if (s != null) Cuda.check(JCudaDriver.cuStreamDestroy(s), "cuStreamDestroy");
    }

    private synchronized CUevent event(long e) {
        CUevent ev = events.get(e);
        if (ev == null) throw new IllegalArgumentException("no event " + e);
        return ev;
    }

    @Override
    public synchronized long eventCreate() {
        Event e = new Event();
        Cuda.check(JCudaDriver.cuEventCreate(e, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        long h = e.address();
        events.put(h, e);
        return h;
    }

    @Override
    public void eventRecord(long event, long stream) {
        Cuda.check(JCudaDriver.cuEventRecord(event(event), stream(stream)), "cuEventRecord");
    }

    @Override
    public void eventSynchronize(long event) {
        Cuda.check(JCudaDriver.cuEventSynchronize(event(event)), "cuEventSynchronize");
    }

    @Override
    public float eventElapsedMillis(long start, long end) {
        float[] ms = new float[1];
        Cuda.check(JCudaDriver.cuEventElapsedTime(ms, event(start), event(end)), "cuEventElapsedTime");
        return ms[0];
    }

    @Override
    public void eventDestroy(long event) {
        CUevent e;
        synchronized (this) {
            e = events.remove(event);
        }
        if (e != null) Cuda.check(JCudaDriver.cuEventDestroy(e), "cuEventDestroy");
    }

    @Override
    public synchronized long moduleLoad(byte[] image) {
        Module m = new Module();
        Cuda.check(JCudaDriver.cuModuleLoadData(m, image), "cuModuleLoadData(lgsr_kernels.fatbin)");
        long h = m.address();
        modules.put(h, m);
        return h;
    }

    @Override
    public synchronized long function(long module, String name) {
        CUmodule m = modules.get(module);
        if (m == null) throw new IllegalArgumentException("no module " + module);
        Function f = new Function();
        Cuda.check(JCudaDriver.cuModuleGetFunction(f, m, name), "cuModuleGetFunction(" + name + ")");
        long h = f.address();
        functions.put(h, f);
        return h;
    }

    @Override
    public synchronized void moduleUnload(long module) {
        CUmodule m = modules.remove(module);
        if (m != null) Cuda.check(JCudaDriver.cuModuleUnload(m), "cuModuleUnload");
    }

    private synchronized CUfunction fn(long f) {
        CUfunction fn = functions.get(f);
        if (fn == null) throw new IllegalArgumentException("no function " + f);
        return fn;
    }

    @Override
    public void setMaxDynamicSharedBytes(long function, String name, int bytes) {
        Cuda.check(JCudaDriver.cuFuncSetAttribute(fn(function), CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
                "cuFuncSetAttribute(" + name + ", " + bytes + " bytes of dynamic shared memory; this GPU may allow less)");
    }

    @Override
    public void launch(long function, String name, int gridX, int blockX, int sharedBytes, long stream, Object[] args) {
        NativePointerObject[] params = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof DeviceBuffer b) params[i] = Pointer.to(new long[] {b.address()});
            else if (a instanceof Integer v) params[i] = Pointer.to(new int[] {v});
            else if (a instanceof Long v) params[i] = Pointer.to(new long[] {v});
            else if (a instanceof Float v) params[i] = Pointer.to(new float[] {v});
            else throw new IllegalArgumentException("kernel " + name + " argument " + i + ": unsupported type " + (a == null ? "null" : a.getClass().getName()));
        }
        Cuda.check(JCudaDriver.cuLaunchKernel(fn(function), gridX, 1, 1, blockX, 1, 1, sharedBytes, stream(stream),
                Pointer.to(params), null), "cuLaunchKernel(" + name + ")");
    }

    // JCuda objects whose native pointer (protected in NativePointerObject) is read by a subclass
    private static final class Dptr extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }
    }

    private static final class HostPtr extends Pointer {
        long address() {
            return getNativePointer();
        }
    }

    private static final class Stream extends CUstream {
        long address() {
            return getNativePointer();
        }
    }

    private static final class Event extends CUevent {
        long address() {
            return getNativePointer();
        }
    }

    private static final class Module extends CUmodule {
        long address() {
            return getNativePointer();
        }
    }

    private static final class Function extends CUfunction {
        long address() {
            return getNativePointer();
        }
    }
}
