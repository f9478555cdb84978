package org.lgsr.gpu.kernels;

import org.lgsr.cpu.Nce;
import org.lgsr.gpu.CudaStream;
import org.lgsr.gpu.DeviceInfo;
import org.lgsr.gpu.KernelModule;

/**
 * Launches of the kernels in {@code cuda/nce.cu} (the global encoder's loss L_g; twins in
 * {@link Nce}). Pointers
 * are raw device addresses ({@code DeviceBuffer.address() + 4 * offset}); limits: d &lt;=
 * {@link Nce#MAX_D}, S &lt;= {@link Nce#MAX_S}, N &gt;= 1. Indices (inputs, labels, sampled) are
 * trusted: check them on the host. Grid-stride kernels get at most {@code 16 x SMs} blocks of
 * 256 threads.
 *
 * <p>{@code nce_scatter} adds into the gradient tables with atomics: where rows share an item
 * the float additions land in an unspecified order, so those gradient elements can differ in
 * their last bits from run to run (and from the twin's row order). The other kernels are
 * deterministic.
 *
 * <p>The static {@code flops}/{@code bytes} give each kernel's minimal arithmetic (an
 * elementary function counts as one) and the bytes it must move through device memory (each
 * input read once, each output written once; a scattered addition as a read and a write of one
 * table element, repeats counted as distinct).
 */
public final class NceKernels {
    /** Threads per block of every launch here (NCE_THREADS). */
    public static final int THREADS = 32 * Nce.WARPS;
    private final KernelModule module;
    private final int maxBlocks;

    public NceKernels(KernelModule module, DeviceInfo device) {
        this.module = module;
        this.maxBlocks = Math.max(1, 16 * device.multiprocessors());
    }

    private int blocksFor(long threads) {
        return (int) Math.max(1, Math.min(maxBlocks, (threads + THREADS - 1) / THREADS));
    }

    /**
     * nce_true_logq: trueLogQ (n) = (float) log(expectedCount(rankOfItem[labels[i]], numSampled,
     * numTries)) in double ({@code LogUniformSampler.expectedCount}); NaN for a label without
     * rank. {@code logRange} = log(range + 1) (LogUniformSampler.logRange()), passed as its bits.
     */
    public void trueLogq(long labels, long rankOfItem, int n, int numSampled, int numTries, double logRange,
                         long trueLogQ, CudaStream stream) {
        checkN(n, "nce_true_logq");
        nonNull("nce_true_logq", labels, rankOfItem, trueLogQ);
        if (numSampled < 1 || numTries < numSampled) {
            throw new IllegalArgumentException("nce_true_logq: numSampled " + numSampled + " and numTries " + numTries
                    + " need 1 <= numSampled <= numTries");
        }
        module.launch("nce_true_logq", blocksFor(n), THREADS, 0, stream, labels, rankOfItem, n, numSampled, numTries,
                Double.doubleToRawLongBits(logRange), trueLogQ);
    }

    /**
     * nce_loss_grad: {@code logits} (n, s) = Vin ThetaS^T in, dLoss/dlogit out (sigmoid(x) *
     * scale, 0 for removed hits); writes rowLoss (n), dTrue (n), dVin (n, d) = dTrue_i
     * theta[labels[i]] and colPart ({@link Nce#parts}(n), s). See cuda/nce.cu.
     */
    public void lossGrad(long logits, long vin, long theta, long bias, long labels, long sampled, long sampledLogQ,
                         long trueLogQ, int n, int s, int d, boolean removeHits, float scale, long rowLoss, long dTrue,
                         long dVin, long colPart, CudaStream stream) {
        checkN(n, "nce_loss_grad");
        checkSd(s, d, "nce_loss_grad");
        nonNull("nce_loss_grad", logits, vin, theta, bias, labels, sampled, sampledLogQ, trueLogQ, rowLoss, dTrue, dVin,
                colPart);
        int shared = (Nce.WARPS + 2) * s * 4;
        module.launch("nce_loss_grad", Nce.parts(n), THREADS, shared, stream, logits, vin, theta, bias, labels, sampled,
                sampledLogQ, trueLogQ, n, s, d, removeHits ? 1 : 0, scale, rowLoss, dTrue, dVin, colPart);
    }

    /**
     * nce_scatter: gE[inputs[i]] += dVin[i], gTheta[labels[i]] += dTrue[i] Vin[i],
     * gBias[labels[i]] += dTrue[i] (i &lt; n); gTheta[sampled[k]] += dThetaS[k],
     * gBias[sampled[k]] += sum of colPart[., k] over {@code parts} parts (k &lt; s). Atomic.
     */
    public void scatter(long gE, long gTheta, long gBias, long vin, long dVin, long dTrue, long inputs, long labels, int n,
                        long dThetaS, long colPart, int parts, long sampled, int s, int d, CudaStream stream) {
        checkN(n, "nce_scatter");
        checkSd(s, d, "nce_scatter");
        nonNull("nce_scatter", gE, gTheta, gBias, vin, dVin, dTrue, inputs, labels, dThetaS, colPart, sampled);
        if (parts < 1) throw new IllegalArgumentException("nce_scatter: parts " + parts + " < 1");
        module.launch("nce_scatter", blocksFor(32L * ((long) n + s)), THREADS, 0, stream, gE, gTheta, gBias, vin, dVin,
                dTrue, inputs, labels, n, dThetaS, colPart, parts, sampled, s, d);
    }

    /** nce_loss_sum: the double at {@code out} (8-byte aligned) = sum of rowLoss[0, n) / n. One block. */
    public void lossSum(long rowLoss, int n, long out, CudaStream stream) {
        checkN(n, "nce_loss_sum");
        nonNull("nce_loss_sum", rowLoss, out);
        if (out % 8 != 0) throw new IllegalArgumentException("nce_loss_sum: out " + out + " is not 8-byte aligned");
        module.launch("nce_loss_sum", 1, THREADS, 0, stream, rowLoss, n, out);
    }

    // ---- minimal FLOPs and bytes (see the class comment) ----

    /** nce_true_logq: about 8 double operations per pair (two divisions, log, log1p, expm1, log, ...). */
    public static long trueLogqFlops(long n) {
        return 8 * n;
    }

    /** nce_true_logq: labels, rankOfItem[label], trueLogQ: 12 bytes per pair. */
    public static long trueLogqBytes(long n) {
        return 12 * n;
    }

    /**
     * nce_loss_grad: per logit 10 (+ bias term, |x|, exp, max, log1p, two adds, 1 + u, divide,
     * scale), column sums 1 more; per pair 3d + 12 (dot, dVin, the true term).
     */
    public static long lossGradFlops(long n, long s, long d) {
        return 11 * n * s + n * (3 * d + 12) + Nce.WARPS * s * ((n + Nce.ROWS - 1) / Nce.ROWS);
    }

    /**
     * nce_loss_grad: logits read and written (8 n s); Vin, theta[labels] read and dVin written
     * (12 n d); labels, trueLogQ, bias[labels] read, rowLoss, dTrue written (20 n); sampled,
     * sampledLogQ, bias[sampled] read (12 s); colPart written (4 s parts).
     */
    public static long lossGradBytes(long n, long s, long d) {
        long parts = (n + Nce.ROWS - 1) / Nce.ROWS;
        return 8 * n * s + 12 * n * d + 20 * n + 12 * s + 4 * s * parts;
    }

    /** nce_scatter: n d products, 2 n d + n + s d + s additions into tables, s parts column-sum additions. */
    public static long scatterFlops(long n, long s, long d) {
        long parts = (n + Nce.ROWS - 1) / Nce.ROWS;
        return 3 * n * d + n + s * d + s + s * parts;
    }

    /**
     * nce_scatter: dVin, Vin, dThetaS, colPart, dTrue, inputs, labels, sampled read; every
     * table element added to read and written (8 bytes).
     */
    public static long scatterBytes(long n, long s, long d) {
        long parts = (n + Nce.ROWS - 1) / Nce.ROWS;
        return 8 * n * d + 12 * n + 4 * s * d + 4 * s * parts + 4 * s + 8 * (2 * n * d + n + s * d + s);
    }

    /** nce_loss_sum: n additions and one division. */
    public static long lossSumFlops(long n) {
        return n + 1;
    }

    /** nce_loss_sum: rowLoss read, one double written. */
    public static long lossSumBytes(long n) {
        return 4 * n + 8;
    }

    private static void checkN(int n, String kernel) {
        if (n < 1) throw new IllegalArgumentException(kernel + ": N = " + n + " must be >= 1");
    }

    private static void checkSd(int s, int d, String kernel) {
        if (s < 1 || s > Nce.MAX_S) throw new IllegalArgumentException(kernel + ": S = " + s + " outside [1, NCE_MAX_S = " + Nce.MAX_S + "]");
        if (d < 1 || d > Nce.MAX_D) throw new IllegalArgumentException(kernel + ": d = " + d + " outside [1, NCE_MAX_D = " + Nce.MAX_D + "]");
    }

    private static void nonNull(String kernel, long... pointers) {
        for (int i = 0; i < pointers.length; i++) {
            if (pointers[i] == 0) throw new IllegalArgumentException(kernel + ": pointer argument " + i + " is 0");
        }
    }
}
