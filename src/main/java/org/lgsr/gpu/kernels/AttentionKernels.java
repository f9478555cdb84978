package org.lgsr.gpu.kernels;

import org.lgsr.gpu.CudaStream;
import org.lgsr.gpu.DeviceInfo;
import org.lgsr.gpu.KernelModule;

/**
 * Launches of {@code cuda/attention.cu}: the fused causal self-attention with residual and
 * LayerNorm1, forward and backward (twins: {@link org.lgsr.cpu.Attention}). One block per
 * session, {@code 32 * min(4, T)} threads, the session's K and V (forward) or V/K, Q, dR and two
 * T x T tiles (backward) in dynamic shared memory: at most 104 KB at T = 32, d = 256, above 48 KB
 * opted in at launch ({@link KernelModule#launch}; sm_80 and sm_90 allow it). Addresses are raw device
 * pointers ({@code DeviceBuffer.address() + 4 * offset}); shapes as in the kernel file.
 */
public final class AttentionKernels {
    /** The most slots per session (one key per lane of a warp). */
    public static final int MAX_T = 32;
    /** The widest model (eight columns per lane). */
    public static final int MAX_D = 256;
    /** Dynamic shared memory of the largest shape (backward at T = 32, d = 256): 104 KB, under sm_80's 163 KB. */
    public static final int MAX_SHARED_BYTES = (3 * MAX_T * MAX_D + 2 * MAX_T * MAX_T) * Float.BYTES;
    /** Warps per block (one warp per row, rows round-robin). */
    public static final int WARPS = 4;

    private final KernelModule module;
    private final DeviceInfo device;

    /** Launcher over the loaded kernels; {@code device} is the device they run on. */
    public AttentionKernels(KernelModule module, DeviceInfo device) {
        this.module = module;
        this.device = device;
    }

    /** The device these launches target. */
    public DeviceInfo device() {
        return device;
    }

    /** Threads per block for T slots: 32 * min(WARPS, T). */
    public static int threads(int T) {
        return 32 * Math.min(WARPS, T);
    }

    /** Dynamic shared memory of attention_forward: K and V of a session, 2 T d floats. */
    public static int forwardSharedBytes(int T, int d) {
        return 2 * T * d * Float.BYTES;
    }

    /** Dynamic shared memory of attention_backward: V then K, Q, dR (3 T d floats) and two T x T tiles. */
    public static int backwardSharedBytes(int T, int d) {
        return (3 * T * d + 2 * T * T) * Float.BYTES;
    }

    /** Throws IllegalArgumentException unless attention_forward takes (B, T, d). */
    public static void checkForward(int B, int T, int d) {
        checkSizes("attention_forward", B, T, d);
    }

    /** Throws IllegalArgumentException unless attention_backward takes (B, T, d). */
    public static void checkBackward(int B, int T, int d) {
        checkSizes("attention_backward", B, T, d);
    }

    /**
     * attention_forward: from Q, K, V, X (B, T, d), len (B), maskA (B, T, T) or 0, gamma, beta
     * (d), writes A (B, T, T), S, XH (B, T, d) and RS (B, T) for every row (padded rows: A 0,
     * S = LN(X)). Twin: {@link org.lgsr.cpu.Attention#attentionForward}.
     */
    public void attentionForward(long q, long k, long v, long x, long len, long maskA, long gamma, long beta, int B, int T,
                                 int d, long a, long s, long xh, long rs, CudaStream stream) {
        checkForward(B, T, d);
        nonZero("attention_forward", new long[] {q, k, v, x, len, gamma, beta, a, s, xh, rs},
                "Q", "K", "V", "X", "len", "gamma", "beta", "A", "S", "XH", "RS");
        module.launch("attention_forward", B, threads(T), forwardSharedBytes(T, d), stream, q, k, v, x, len, maskA, gamma,
                beta, B, T, d, a, s, xh, rs);
    }

    /**
     * attention_backward: from dS, XH (B, T, d), RS (B, T), gamma (d), Q, K, V (B, T, d), A and
     * maskA (B, T, T; maskA or 0), len (B), writes dR, dQ, dK, dV (B, T, d; 0 on padded rows)
     * and the per-session LayerNorm partials dGammaPart, dBetaPart (B, d). Twin:
     * {@link org.lgsr.cpu.Attention#attentionBackward}.
     */
    public void attentionBackward(long dS, long xh, long rs, long gamma, long q, long k, long v, long a, long maskA,
                                  long len, int B, int T, int d, long dR, long dQ, long dK, long dV, long dGammaPart,
                                  long dBetaPart, CudaStream stream) {
        checkBackward(B, T, d);
        nonZero("attention_backward", new long[] {dS, xh, rs, gamma, q, k, v, a, len, dR, dQ, dK, dV, dGammaPart, dBetaPart},
                "dS", "XH", "RS", "gamma", "Q", "K", "V", "A", "len", "dR", "dQ", "dK", "dV", "dGammaPart", "dBetaPart");
        module.launch("attention_backward", B, threads(T), backwardSharedBytes(T, d), stream, dS, xh, rs, gamma, q, k, v, a,
                maskA, len, B, T, d, dR, dQ, dK, dV, dGammaPart, dBetaPart);
    }

    /** Pairs (i, j <= i) per full session. */
    private static long pairs(int T) {
        return (long) T * (T + 1) / 2;
    }

    /**
     * FLOPs of attention_forward on a full batch (every len = T; one per add, multiply, compare,
     * exp, divide): per pair 2d (score) + 1 (scale) + 5 (softmax) + 1 (mask) + 2d (A V), per
     * element 8 (LayerNorm).
     */
    public static long forwardFlops(int B, int T, int d) {
        return (long) B * (pairs(T) * (4L * d + 7) + 8L * T * d);
    }

    /**
     * Bytes of attention_forward through device memory, each input read once and each output
     * written once, tensors counted whole: Q, K, V, X, S, XH (6 B T d), A (B T T), maskA (B T T
     * when {@code masked}), RS (B T), len (B), gamma and beta (2 d); 4 bytes each.
     */
    public static long forwardBytes(int B, int T, int d, boolean masked) {
        long btd = (long) B * T * d, btt = (long) B * T * T;
        return 4L * (6 * btd + (masked ? 2 : 1) * btt + (long) B * T + B + 2L * d);
    }

    /**
     * FLOPs of attention_backward on a full batch: per pair 2d (dR . V) + 7 (mask, softmax
     * backward, A maskA) + 6d (dQ, dK, dV), per element 11 (LayerNorm backward and partials).
     */
    public static long backwardFlops(int B, int T, int d) {
        return (long) B * (pairs(T) * (8L * d + 7) + 11L * T * d);
    }

    /**
     * Bytes of attention_backward through device memory, tensors counted whole: dS, XH, Q, K, V
     * read and dR, dQ, dK, dV written (9 B T d), A (B T T), maskA (B T T when {@code masked}),
     * RS (B T), len (B), gamma (d), dGammaPart and dBetaPart (2 B d); 4 bytes each.
     */
    public static long backwardBytes(int B, int T, int d, boolean masked) {
        long btd = (long) B * T * d, btt = (long) B * T * T;
        return 4L * (9 * btd + (masked ? 2 : 1) * btt + (long) B * T + B + d + 2L * B * d);
    }

    private static void checkSizes(String kernel, int B, int T, int d) {
        if (B < 1) throw new IllegalArgumentException(kernel + ": B = " + B + " sessions; needs B >= 1");
        if (T < 1 || T > MAX_T) throw new IllegalArgumentException(kernel + ": T = " + T + " slots; the limit is 1 <= T <= " + MAX_T);
        if (d < 1 || d > MAX_D) throw new IllegalArgumentException(kernel + ": d = " + d + "; the limit is 1 <= d <= " + MAX_D);
    }


    private static void nonZero(String kernel, long[] addresses, String... names) {
        for (int i = 0; i < addresses.length; i++) {
            if (addresses[i] == 0) throw new IllegalArgumentException(kernel + ": " + names[i] + " is a null device address");
        }
    }
}
