package org.lgsr.gpu.kernels;

import org.lgsr.cpu.Aggregate;
import org.lgsr.gpu.CudaStream;
import org.lgsr.gpu.DeviceInfo;
import org.lgsr.gpu.KernelModule;

/**
 * Launches of the kernels in {@code cuda/aggregate.cu} (twin: {@link Aggregate}): the LGSR-C
 * attentive aggregation and the LGSR-A last-item path. Arguments are raw device addresses
 * ({@code DeviceBuffer.address() + 4 * offset}); shapes as in {@link Aggregate}; {@code len}
 * is trusted to lie in [1, T] (the kernels clamp it, so a bad one gives wrong values, never an
 * access outside the arrays). {@code maskC} may be 0 (no dropout); every other address must not.
 * A batch of {@code B = 0} sessions launches nothing.
 *
 * <p>Per kernel, {@code xxxFlops} and {@code xxxBytes} give the minimal work for the benchmark's
 * floors: FLOPs counting each add, multiply, divide, compare (min, max, select) and exp as one;
 * bytes with each input read once and each output written once from device memory. They take
 * {@code valid}, the number of valid slots of the batch (the sum of len).
 */
public final class AggregateKernels {
    /** Threads per block of the grid-stride element kernels. */
    static final int THREADS = 256;
    private final KernelModule module;
    private final int maxBlocks;

    /** Launches on the kernels of {@code module}, sizing grids for {@code device}. */
    public AggregateKernels(KernelModule module, DeviceInfo device) {
        this.module = module;
        this.maxBlocks = Math.max(1, 16 * device.multiprocessors());
    }

    /** Ft (B, d) = F[b, len[b]-1] (twin: Aggregate.gatherLast). Limits: T, d >= 1. */
    public void gatherLast(long F, long len, int B, int T, int d, long Ft, CudaStream stream) {
        checkSizes("gather_last", B, T, d, Integer.MAX_VALUE, Integer.MAX_VALUE);
        checkAddresses("gather_last", F, len, Ft);
        if (B == 0) return;
        module.launch("gather_last", elementBlocks((long) B * d), THREADS, 0, stream, F, len, B, T, d, Ft);
    }

    /** dF[b, len[b]-1] += dFt[b] (twin: Aggregate.addLast). Limits: T, d >= 1. */
    public void addLast(long dF, long dFt, long len, int B, int T, int d, CudaStream stream) {
        checkSizes("add_last", B, T, d, Integer.MAX_VALUE, Integer.MAX_VALUE);
        checkAddresses("add_last", dF, dFt, len);
        if (B == 0) return;
        module.launch("add_last", elementBlocks((long) B * d), THREADS, 0, stream, dF, dFt, len, B, T, d);
    }

    /**
     * LGSR-C forward (twin: Aggregate.aggregateForward): G += U on every slot, alpha (B, T),
     * cat and catD (B, 2d); maskC (B, 2d) or 0. One block per session. Limits: 1 <= T <= 32,
     * 1 <= d <= 256.
     */
    public void aggregateForward(long G, long U, long F, long q, long len, long maskC, int B, int T, int d, boolean hard,
                                 long alpha, long cat, long catD, CudaStream stream) {
        checkSizes("aggregate_forward", B, T, d, Aggregate.MAX_T, Aggregate.MAX_D);
        checkAddresses("aggregate_forward", G, U, F, q, len, alpha, cat, catD);
        if (B == 0) return;
        module.launch("aggregate_forward", B, sessionThreads(d), 0, stream, G, U, F, q, len, maskC, B, T, d, hard ? 1 : 0,
                alpha, cat, catD);
    }

    /**
     * LGSR-C backward (twin: Aggregate.aggregateBackward): dF, dG (B, T, d) written on every
     * slot (0 where padded), dU, dqPart (B, d); G is the forward's (G + U). One block per
     * session. Limits: 1 <= T <= 32, 1 <= d <= 256.
     */
    public void aggregateBackward(long dCatD, long maskC, long G, long F, long alpha, long q, long len, int B, int T, int d,
                                  boolean hard, long dF, long dG, long dU, long dqPart, CudaStream stream) {
        checkSizes("aggregate_backward", B, T, d, Aggregate.MAX_T, Aggregate.MAX_D);
        checkAddresses("aggregate_backward", dCatD, G, F, alpha, q, len, dF, dG, dU, dqPart);
        if (B == 0) return;
        module.launch("aggregate_backward", B, sessionThreads(d), 0, stream, dCatD, maskC, G, F, alpha, q, len, B, T, d,
                hard ? 1 : 0, dF, dG, dU, dqPart);
    }

    /** LGSR-A forward (twin: Aggregate.lastForward): cat = F[b, len-1], catD = cat * maskC, (B, d). Limits: T, d >= 1. */
    public void lastForward(long F, long len, long maskC, int B, int T, int d, long cat, long catD, CudaStream stream) {
        checkSizes("last_forward", B, T, d, Integer.MAX_VALUE, Integer.MAX_VALUE);
        checkAddresses("last_forward", F, len, cat, catD);
        if (B == 0) return;
        module.launch("last_forward", elementBlocks((long) B * d), THREADS, 0, stream, F, len, maskC, B, T, d, cat, catD);
    }

    /** LGSR-A backward (twin: Aggregate.lastBackward): dF (B, T, d) all written. Limits: T, d >= 1. */
    public void lastBackward(long dCatD, long maskC, long len, int B, int T, int d, long dF, CudaStream stream) {
        checkSizes("last_backward", B, T, d, Integer.MAX_VALUE, Integer.MAX_VALUE);
        checkAddresses("last_backward", dCatD, len, dF);
        if (B == 0) return;
        module.launch("last_backward", elementBlocks((long) B * T * d), THREADS, 0, stream, dCatD, maskC, len, B, T, d, dF);
    }

    /** Threads per block of the per-session kernels: d rounded up to a warp, within [64, 256]. */
    static int sessionThreads(int d) {
        return Math.min(256, Math.max(64, (d + 31) / 32 * 32));
    }

    private int elementBlocks(long work) {
        return (int) Math.max(1, Math.min(maxBlocks, (work + THREADS - 1) / THREADS));
    }

    private static void checkSizes(String kernel, int B, int T, int d, int maxT, int maxD) {
        if (B < 0) throw new IllegalArgumentException(kernel + ": B = " + B + " is negative");
        if (T < 1 || T > maxT) throw new IllegalArgumentException(kernel + ": T = " + T + " is outside [1, " + maxT + "]");
        if (d < 1 || d > maxD) throw new IllegalArgumentException(kernel + ": d = " + d + " is outside [1, " + maxD + "]");
    }

    private static void checkAddresses(String kernel, long... addresses) {
        for (long a : addresses) if (a == 0) throw new IllegalArgumentException(kernel + ": a required device address is 0");
    }

    // ------------------------------------------------------------------ floors

    /** gather_last: no arithmetic. */
    public static long gatherLastFlops(long B, int d) {
        return 0;
    }

    /** gather_last: len (4B), the last rows of F (4Bd) read, Ft (4Bd) written. */
    public static long gatherLastBytes(long B, int d) {
        return 4 * B + 8 * B * d;
    }

    /** add_last: one add per element of dFt. */
    public static long addLastFlops(long B, int d) {
        return B * d;
    }

    /** add_last: len (4B), dFt and the last rows of dF read (8Bd), those rows written (4Bd). */
    public static long addLastBytes(long B, int d) {
        return 4 * B + 12 * B * d;
    }

    /**
     * aggregate_forward: G += U (BTd); per valid element h (4) and q . h (2); softmax per valid
     * slot (max, subtract, exp, add, divide: 5); the weighted sum (2 per valid element); the
     * mask (2Bd, where there is one).
     */
    public static long aggregateForwardFlops(long B, int T, int d, long valid, boolean mask) {
        return B * T * d + 6 * valid * d + 5 * valid + 2 * valid * d + (mask ? 2 * B * d : 0);
    }

    /**
     * aggregate_forward: G read and written (8BTd), U (4Bd), the valid rows of F (4 valid d),
     * q (4d), len (4B), maskC (8Bd, where there is one) read; alpha (4BT), cat and catD (16Bd)
     * written.
     */
    public static long aggregateForwardBytes(long B, int T, int d, long valid, boolean mask) {
        return 8 * B * T * d + 4 * B * d + 4 * valid * d + 4L * d + 4 * B + (mask ? 8 * B * d : 0) + 4 * B * T + 16 * B * d;
    }

    /**
     * aggregate_backward: the mask (2Bd, where there is one); the last row's add (Bd); per valid
     * element dF (1), dalpha (2), h and h' together (6), dqPart (2), dG (2), dU (1); per valid
     * slot the dot (2) and de (2).
     */
    public static long aggregateBackwardFlops(long B, int T, int d, long valid, boolean mask) {
        return (mask ? 2 * B * d : 0) + B * d + 14 * valid * d + 4 * valid;
    }

    /**
     * aggregate_backward: dCatD (8Bd), maskC (8Bd, where there is one), the valid rows of G and
     * F (8 valid d), alpha on valid slots (4 valid), q (4d), len (4B) read; dF and dG (8BTd),
     * dU and dqPart (8Bd) written.
     */
    public static long aggregateBackwardBytes(long B, int T, int d, long valid, boolean mask) {
        return 8 * B * d + (mask ? 8 * B * d : 0) + 8 * valid * d + 4 * valid + 4L * d + 4 * B + 8 * B * T * d + 8 * B * d;
    }

    /** last_forward: the mask's multiply (Bd, where there is one). */
    public static long lastForwardFlops(long B, int d, boolean mask) {
        return mask ? B * d : 0;
    }

    /** last_forward: len (4B), the last rows of F (4Bd), maskC (4Bd, where there is one) read; cat, catD (8Bd) written. */
    public static long lastForwardBytes(long B, int d, boolean mask) {
        return 4 * B + 4 * B * d + (mask ? 4 * B * d : 0) + 8 * B * d;
    }

    /** last_backward: the mask's multiply (Bd, where there is one). */
    public static long lastBackwardFlops(long B, int d, boolean mask) {
        return mask ? B * d : 0;
    }

    /** last_backward: dCatD (4Bd), maskC (4Bd, where there is one), len (4B) read; dF (4BTd) written. */
    public static long lastBackwardBytes(long B, int T, int d, boolean mask) {
        return 4 * B * d + (mask ? 4 * B * d : 0) + 4 * B + 4 * B * T * d;
    }
}
