package org.lgsr.gpu.sim;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.lgsr.gpu.CudaException;
import org.lgsr.gpu.DeviceBuffer;
import org.lgsr.gpu.DeviceInfo;
import org.lgsr.gpu.Driver;

/**
 * The simulated device: {@link Driver} over {@code liblgsr_sim.so}, in which every
 * {@code cuda/*.cu} is compiled unchanged for the CPU (native/sim/README.md). Device memory is
 * host memory (filled with 0xFF bytes when allocated: NaN floats, -1 ints); every operation runs
 * when it is called, in call order, so streams are trivially ordered and an event's time is the
 * host clock when it is recorded. The cuBLAS products run on a CPU sgemm of the library.
 *
 * <p>It also checks what a GPU would not say, or would say late: a copy or memset outside a live
 * allocation, a kernel pointer argument that points into no live allocation, an argument count
 * or type that does not match the kernel's parameters, a launch above 48 KB of dynamic shared
 * memory without the opt-in (a GPU refuses such a launch too), and, inside the library, bad
 * shapes, deadlocked barriers and shuffles with exited lanes. Each is a {@link CudaException}
 * naming the kernel or the call.
 *
 * <p>What it cannot show: the driver itself, cuBLAS's own kernels, the GPU's memory model (a
 * block's warps interleave only at barriers and shuffles here), and timing.
 */
public final class SimDriver implements Driver {
    /** Dynamic shared memory a kernel gets without opting in. */
    static final int DEFAULT_SHARED_BYTES = 48 * 1024;
    /** What the simulated device reports as its multiprocessors: the launchers cap grid-stride grids at 16 per multiprocessor. */
    static final int MULTIPROCESSORS = 2;

    private final TreeMap<Long, Long> live = new TreeMap<>();
    private final Map<Long, Long> eventTimes = new HashMap<>();
    private final Map<Long, Integer> sharedOptIn = new HashMap<>();
    private final Map<Long, String> signatures = new HashMap<>();
    private final int threads;
    private long nextHandle = 1;
    private boolean loaded;

    public SimDriver() {
        this.threads = threadsSetting();
    }

    /** Worker threads per launch: {@code $LGSR_SIM_THREADS} or the number of processors. */
    static int threadsSetting() {
        String v = System.getenv("LGSR_SIM_THREADS");
        if (v != null && !v.isBlank()) {
            try {
                int t = Integer.parseInt(v.strip());
                if (t >= 1) return t;
            } catch (NumberFormatException e) {
                // fall through to the error
            }
            throw new CudaException("LGSR_SIM_THREADS must be a whole number >= 1, not '" + v + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private synchronized void load() {
        if (loaded) return;
        String err = SimNative.load();
        if (err != null) throw new CudaException(err);
        loaded = true;
    }

    /** Whether this jar carries the simulated device's library and it loads; null when it does, else why not. */
    public static String availability() {
        return SimNative.load();
    }

    @Override
    public String kind() {
        return "sim";
    }

    @Override
    public int deviceCount() {
        load();
        return 1;
    }

    @Override
    public DeviceInfo device(int ordinal) {
        load();
        if (ordinal != 0) throw new CudaException("the simulated device has one device (ordinal 0), not " + ordinal);
        return new DeviceInfo(0, "simulated device (" + SimNative.version() + ", " + threads + " CPU threads)", 9, 0, MULTIPROCESSORS,
                8L << 30, 50 << 20);
    }

    @Override
    public void contextRetain(int ordinal) {
        device(ordinal);
    }

    @Override
    public void contextMakeCurrent() {
    }

    @Override
    public void contextRelease() {
    }

    @Override
    public void contextSynchronize() {
    }

    @Override
    public synchronized long alloc(long bytes) {
        load();
        if (bytes <= 0) throw new CudaException("cuMemAlloc(" + bytes + " bytes): the size must be positive");
        long a = SimNative.alloc(bytes);
        if (a == 0) throw new CudaException("cuMemAlloc(" + bytes + " bytes) failed on the simulated device: out of host memory");
        live.put(a, bytes);
        return a;
    }

    @Override
    public synchronized void free(long address) {
        if (live.remove(address) == null) throw new CudaException("cuMemFree(" + Long.toHexString(address) + "): not the start of a live allocation");
        SimNative.free(address);
    }

    @Override
    public long allocHost(long bytes) {
        return alloc(bytes);
    }

    @Override
    public void freeHost(long address) {
        free(address);
    }

    @Override
    public ByteBuffer hostBuffer(long address, long bytes) {
        checkRange(address, bytes, "hostBuffer");
        return SimNative.wrap(address, bytes);
    }

    /** Throws unless [address, address + bytes) lies inside one live allocation. */
    private synchronized void checkRange(long address, long bytes, String what) {
        if (bytes < 0) throw new CudaException(what + ": negative size " + bytes);
        Map.Entry<Long, Long> e = live.floorEntry(address);
        if (e == null || address + bytes > e.getKey() + e.getValue()) {
            throw new CudaException(what + ": bytes [" + Long.toHexString(address) + ", +" + bytes + ") are not inside one live allocation"
                    + (e == null ? "" : " (nearest below: " + Long.toHexString(e.getKey()) + ", " + e.getValue() + " bytes)"));
        }
    }

    @Override
    public void fill32(long dst, int bits, long count, long stream) {
        checkRange(dst, 4 * count, "cuMemsetD32");
        SimNative.fill32(dst, bits, count);
    }

    @Override
    public void copyDeviceToDevice(long dst, long src, long bytes, long stream) {
        checkRange(dst, bytes, "cuMemcpyDtoD (destination)");
        checkRange(src, bytes, "cuMemcpyDtoD (source)");
        SimNative.copy(dst, src, bytes);
    }

    private static long arrayBytes(Object array) {
        if (array instanceof float[] a) return 4L * a.length;
        if (array instanceof int[] a) return 4L * a.length;
        if (array instanceof long[] a) return 8L * a.length;
        if (array instanceof double[] a) return 8L * a.length;
        if (array instanceof byte[] a) return a.length;
        throw new IllegalArgumentException("host side of a copy: a primitive array, not " + (array == null ? "null" : array.getClass().getName()));
    }

    private static void checkArray(Object array, long offset, long bytes, String what) {
        long n = arrayBytes(array);
        if (offset < 0 || bytes < 0 || offset + bytes > n) {
            throw new IndexOutOfBoundsException(what + ": bytes [" + offset + ", " + (offset + bytes) + ") of a host array of " + n + " bytes");
        }
    }

    @Override
    public void copyArrayToDevice(long dst, Object array, long arrayByteOffset, long bytes, long stream) {
        checkRange(dst, bytes, "cuMemcpyHtoD");
        checkArray(array, arrayByteOffset, bytes, "cuMemcpyHtoD");
        SimNative.fromArray(dst, array, arrayByteOffset, bytes);
    }

    @Override
    public void copyHostToDevice(long dst, long hostAddress, long bytes, long stream) {
        checkRange(dst, bytes, "cuMemcpyHtoDAsync (destination)");
        checkRange(hostAddress, bytes, "cuMemcpyHtoDAsync (page-locked source)");
        SimNative.copy(dst, hostAddress, bytes);
    }

    @Override
    public void copyDeviceToArray(Object array, long arrayByteOffset, long src, long bytes) {
        checkRange(src, bytes, "cuMemcpyDtoH");
        checkArray(array, arrayByteOffset, bytes, "cuMemcpyDtoH");
        SimNative.toArray(array, arrayByteOffset, src, bytes);
    }

    @Override
    public synchronized long streamCreate() {
        return nextHandle++;
    }

    @Override
    public void streamSynchronize(long stream) {
    }

    @Override
    public void streamDestroy(long stream) {
    }

    @Override
    public synchronized long eventCreate() {
        long h = nextHandle++;
        eventTimes.put(h, -1L);
        return h;
    }

    @Override
    public synchronized void eventRecord(long event, long stream) {
        if (!eventTimes.containsKey(event)) throw new CudaException("cuEventRecord: no event " + event);
        eventTimes.put(event, System.nanoTime());
    }

    @Override
    public void eventSynchronize(long event) {
    }

    @Override
    public synchronized float eventElapsedMillis(long start, long end) {
        Long a = eventTimes.get(start), b = eventTimes.get(end);
        if (a == null || b == null || a < 0 || b < 0) throw new CudaException("cuEventElapsedTime: an event that was never recorded");
        return (b - a) / 1e6f;
    }

    @Override
    public synchronized void eventDestroy(long event) {
        eventTimes.remove(event);
    }

    @Override
    public long moduleLoad(byte[] image) {
        load();
        return 1;
    }

    @Override
    public synchronized long function(long module, String name) {
        long f = SimNative.function(name);
        if (f == 0) throw new CudaException("cuModuleGetFunction(" + name + ") failed: the simulated device has no kernel of that name");
        signatures.put(f, SimNative.signature(f));
        return f;
    }

    @Override
    public void moduleUnload(long module) {
    }

    @Override
    public synchronized void setMaxDynamicSharedBytes(long function, String name, int bytes) {
        if (bytes > 227 * 1024) {
            throw new CudaException("cuFuncSetAttribute(" + name + ", " + bytes + " bytes of dynamic shared memory) failed: above sm_90's 227 KB");
        }
        sharedOptIn.put(function, bytes);
    }

    @Override
    public void launch(long function, String name, int gridX, int blockX, int sharedBytes, long stream, Object[] args) {
        String sig;
        int allowed;
        synchronized (this) {
            sig = signatures.get(function);
            allowed = sharedOptIn.getOrDefault(function, DEFAULT_SHARED_BYTES);
        }
        if (sig == null) throw new CudaException("cuLaunchKernel(" + name + "): not a function of the loaded module");
        if (sharedBytes > allowed) {
            throw new CudaException("cuLaunchKernel(" + name + "): " + sharedBytes + " bytes of dynamic shared memory, above the "
                    + allowed + " allowed" + (allowed == DEFAULT_SHARED_BYTES ? " without the opt-in (cuFuncSetAttribute)" : ""));
        }
        if (args.length != sig.length()) {
            throw new CudaException("cuLaunchKernel(" + name + "): " + args.length + " arguments for a kernel of " + sig.length() + " parameters");
        }
        long[] bits = new long[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            char t = sig.charAt(i);
            String bad = null;
            if (a instanceof DeviceBuffer b) {
                if (t != 'p') bad = "a device buffer";
                else bits[i] = b.address();
            } else if (a instanceof Long v) {
                if (t != 'p' && t != 'l') bad = "a long";
                else bits[i] = v;
            } else if (a instanceof Integer v) {
                if (t != 'i') bad = "an int";
                else bits[i] = v & 0xffffffffL;
            } else if (a instanceof Float v) {
                if (t != 'f') bad = "a float";
                else bits[i] = Float.floatToRawIntBits(v) & 0xffffffffL;
            } else if (a instanceof Double v) {
                if (t != 'd') bad = "a double";
                else bits[i] = Double.doubleToRawLongBits(v);
            } else {
                bad = a == null ? "null" : a.getClass().getName();
            }
            if (bad != null) {
                throw new CudaException("cuLaunchKernel(" + name + "): argument " + i + " is " + bad + " where the kernel takes " + kindName(t));
            }
            if (t == 'p' && bits[i] != 0) pointsIntoLive(bits[i], name, i);
        }
        String err = SimNative.launch(function, gridX, blockX, sharedBytes, bits, threads);
        if (err != null) throw new CudaException(err);
    }

    private synchronized void pointsIntoLive(long address, String name, int i) {
        Map.Entry<Long, Long> e = live.floorEntry(address);
        if (e == null || address >= e.getKey() + e.getValue()) {
            throw new CudaException("cuLaunchKernel(" + name + "): pointer argument " + i + " (" + Long.toHexString(address)
                    + ") points into no live allocation");
        }
    }

    private static String kindName(char t) {
        return switch (t) {
            case 'p' -> "a pointer";
            case 'i' -> "a 4-byte integer";
            case 'l' -> "an 8-byte integer";
            case 'f' -> "a float";
            case 'd' -> "a double";
            default -> "'" + t + "'";
        };
    }

    /** cublasSgemm on the CPU (column-major; the products in float, in k order). */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                             float beta, long c, int ldc) {
        SimNative.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** cublasSgemmStridedBatched on the CPU. */
    public static void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
                                           long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC,
                                           int batch) {
        SimNative.sgemmStridedBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
    }

    /** The kernels the library holds. */
    public static String[] kernels() {
        String err = SimNative.load();
        if (err != null) throw new CudaException(err);
        String[] names = new String[SimNative.kernelCount()];
        for (int i = 0; i < names.length; i++) names[i] = SimNative.kernelName(i);
        return names;
    }
}
