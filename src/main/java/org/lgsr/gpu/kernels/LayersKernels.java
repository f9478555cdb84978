package org.lgsr.gpu.kernels;

import org.lgsr.cpu.Layers;
import org.lgsr.gpu.CudaStream;
import org.lgsr.gpu.DeviceInfo;
import org.lgsr.gpu.KernelModule;

/**
 * Launches of the kernels in {@code cuda/layers.cu} (twins: {@link Layers}). Addresses are raw
 * device pointers ({@code DeviceBuffer.address() + 4 * offset}); a mask address of 0 means
 * dropout off. Every method checks its sizes against the kernel's limits
 * ({@link IllegalArgumentException} naming the limit) and launches nothing for empty work
 * (except {@link #colSum}, which writes zeros for 0 rows).
 *
 * <p>Per kernel, {@code xxxFlops} and {@code xxxBytes} give the minimal floating-point
 * operations and the minimal device-memory bytes (each input read once, each output written
 * once; gathered rows count once per use) for the benchmark's floors.
 */
public final class LayersKernels {
    /** Threads per block of the grid-stride and LayerNorm kernels. */
    public static final int THREADS = 256;
    /** The widest row the kernels take. */
    public static final int MAX_D = 256;
    /** Warps per block of layer_norm_backward, at most. */
    public static final int LN_BACKWARD_MAX_WARPS = 8;
    /** Threads per block of l2_grad and l2_grad_sum. */
    public static final int L2_THREADS = 256;
    /** The most blocks of l2_grad's first stage (doubles of its scratch). */
    public static final int L2_MAX_BLOCKS = 1024;
    /** Elements per block of l2_grad's first stage, at least (where there are enough). */
    public static final int L2_PER_BLOCK = 4096;

    private final KernelModule module;
    private final int maxBlocks;

    /** Launches into {@code module}; grid-stride kernels get at most 16 blocks per multiprocessor of {@code device}. */
    public LayersKernels(KernelModule module, DeviceInfo device) {
        this.module = module;
        this.maxBlocks = Math.max(1, 16 * device.multiprocessors());
    }

    private int blocksFor(long threads) {
        return (int) Math.max(1, Math.min(maxBlocks, (threads + THREADS - 1) / THREADS));
    }

    // ---------------------------------------------------------------- dropout masks

    /** out[i] = kept ? 1/(1-rate) : 0 for i &lt; count (twin: Layers.dropoutMask; = DropoutMasks.fill bit for bit). */
    public void dropoutMask(long out, long count, long seed, int site, float rate, CudaStream stream) {
        checkCount(count);
        if (!(rate >= 0f && rate < 1f)) throw new IllegalArgumentException("dropout_mask: rate must be in [0, 1), got " + rate);
        if (count == 0) return;
        checkPointer(out, "out");
        module.launch("dropout_mask", blocksFor(count), THREADS, 0, stream, out, count, seed, site, rate);
    }

    /** Minimal floating-point operations of dropout_mask. */
    public static long dropoutMaskFlops(long count) {
        return count; // the comparison u >= rate; the hash is integer work
    }

    /** Minimal device-memory bytes (inputs read once, outputs written once) of dropout_mask. */
    public static long dropoutMaskBytes(long count) {
        return 4 * count;
    }

    // ---------------------------------------------------------------- forward

    /**
     * X = (E[items] + P[pos]) * mask, X (rows, d), items and pos (rows) int32 (twin:
     * Layers.embedInput). Indices are trusted: check them on the host. mask 0: no product.
     */
    public void embedInput(long X, long E, long P, long items, long pos, long mask, int rows, int d, CudaStream stream) {
        checkRows(rows, d, "embed_input");
        if (rows == 0) return;
        checkPointers("embed_input", X, E, P, items, pos);
        module.launch("embed_input", blocksFor((long) rows * d), THREADS, 0, stream, X, E, P, items, pos, mask, rows, d);
    }

    /** Minimal floating-point operations of embed_input. */
    public static long embedInputFlops(int rows, int d, boolean masked) {
        return (long) rows * d * (masked ? 2 : 1);
    }

    /** Minimal device-memory bytes (inputs read once, outputs written once) of embed_input. */
    public static long embedInputBytes(int rows, int d, boolean masked) {
        return 4L * rows * d * (masked ? 4 : 3) + 8L * rows;
    }

    /** H1pre += bias (in place); H1 = max(0, H1pre) * mask, both (rows, d) (twin: Layers.biasReluDropout). */
    public void biasReluDropout(long H1pre, long H1, long bias, long mask, int rows, int d, CudaStream stream) {
        checkRows(rows, d, "bias_relu_dropout");
        if (rows == 0) return;
        checkPointers("bias_relu_dropout", H1pre, H1, bias);
        module.launch("bias_relu_dropout", blocksFor((long) rows * d), THREADS, 0, stream, H1pre, H1, bias, mask, rows, d);
    }

    /** Minimal floating-point operations of bias_relu_dropout. */
    public static long biasReluDropoutFlops(int rows, int d, boolean masked) {
        return (long) rows * d * (masked ? 3 : 2);
    }

    /** Minimal device-memory bytes (inputs read once, outputs written once) of bias_relu_dropout. */
    public static long biasReluDropoutBytes(int rows, int d, boolean masked) {
        return 4L * rows * d * (masked ? 4 : 3) + 4L * d;
    }

    /**
     * x = (R2 + bias) * mask + S; F = LayerNorm(x) with gamma, beta; saves XH (rows, d) and
     * RS (rows) (twin: Layers.biasDropoutResidualLayernorm). One warp per row.
     */
    public void biasDropoutResidualLayernorm(long R2, long bias, long mask, long S, long gamma, long beta, int rows, int d,
                                             long F, long XH, long RS, CudaStream stream) {
        checkRows(rows, d, "bias_dropout_residual_layernorm");
        if (rows == 0) return;
        checkPointers("bias_dropout_residual_layernorm", R2, bias, S, gamma, beta, F, XH, RS);
        int warpsPerBlock = THREADS / 32;
        int blocks = (int) Math.min(maxBlocks, (rows + warpsPerBlock - 1L) / warpsPerBlock);
        module.launch("bias_dropout_residual_layernorm", blocks, THREADS, 0, stream, R2, bias, mask, S, gamma, beta, rows, d,
                F, XH, RS);
    }

    /** Minimal floating-point operations of bias_dropout_residual_layernorm. */
    public static long biasDropoutResidualLayernormFlops(int rows, int d, boolean masked) {
        // x: 2 or 3; mean 1; variance 3; XH 1; F 2 per element; per row a division, sqrt, reciprocal
        return (long) rows * d * (masked ? 10 : 9) + 4L * rows;
    }

    /** Minimal device-memory bytes (inputs read once, outputs written once) of bias_dropout_residual_layernorm. */
    public static long biasDropoutResidualLayernormBytes(int rows, int d, boolean masked) {
        return 4L * rows * d * (masked ? 5 : 4) + 4L * rows + 12L * d;
    }

    // ---------------------------------------------------------------- backward

    /**
     * LayerNorm backward (twin: Layers.layerNormBackward): dX (rows, d) and per segment of
     * {@code segRows} consecutive rows the partial sums dGammaPart, dBetaPart (rows / segRows, d).
     * One block per segment, min(8, segRows) warps.
     */
    public void layerNormBackward(long dY, long XH, long RS, long gamma, int rows, int d, int segRows, long dX,
                                  long dGammaPart, long dBetaPart, CudaStream stream) {
        checkRows(rows, d, "layer_norm_backward");
        if (segRows < 1 || rows % segRows != 0) {
            throw new IllegalArgumentException("layer_norm_backward: segRows " + segRows + " must be >= 1 and divide rows " + rows);
        }
        if (rows == 0) return;
        checkPointers("layer_norm_backward", dY, XH, RS, gamma, dX, dGammaPart, dBetaPart);
        int warps = Math.min(LN_BACKWARD_MAX_WARPS, segRows);
        int blocks = Math.min(maxBlocks, rows / segRows);
        module.launch("layer_norm_backward", blocks, 32 * warps, 0, stream, dY, XH, RS, gamma, rows, d, segRows, dX,
                dGammaPart, dBetaPart);
    }

    /** Minimal floating-point operations of layer_norm_backward. */
    public static long layerNormBackwardFlops(int rows, int d, int segRows) {
        // g 1; sums of g and g*XH 3; dX 4; dGamma 2, dBeta 1 per element; per row two divisions
        return 11L * rows * d + 2L * rows;
    }

    /** Minimal device-memory bytes (inputs read once, outputs written once) of layer_norm_backward. */
    public static long layerNormBackwardBytes(int rows, int d, int segRows) {
        return 4L * (3L * rows * d + rows + d + 2L * (rows / segRows) * d);
    }

    /** x *= mask over count floats (twin: Layers.mulMask); mask 0: nothing is launched. */
    public void mulMask(long x, long mask, long count, CudaStream stream) {
        checkCount(count);
        if (count == 0 || mask == 0) return;
        checkPointer(x, "x");
        module.launch("mul_mask", blocksFor(count), THREADS, 0, stream, x, mask, count);
    }

    /** Minimal floating-point operations of mul_mask. */
    public static long mulMaskFlops(long count, boolean masked) {
        return masked ? count : 0;
    }

    /** Minimal device-memory bytes (inputs read once, outputs written once) of mul_mask. */
    public static long mulMaskBytes(long count, boolean masked) {
        return masked ? 12 * count : 0;
    }

    /** out = x * mask over count floats, out and x disjoint (twin: Layers.mulMaskTo); mask 0: a copy. */
    public void mulMaskTo(long out, long x, long mask, long count, CudaStream stream) {
        checkCount(count);
        if (count == 0) return;
        checkPointers("mul_mask_to", out, x);
        module.launch("mul_mask_to", blocksFor(count), THREADS, 0, stream, out, x, mask, count);
    }

    /** Minimal floating-point operations of mul_mask_to. */
    public static long mulMaskToFlops(long count, boolean masked) {
        return masked ? count : 0;
    }

    /** Minimal device-memory bytes (inputs read once, outputs written once) of mul_mask_to. */
    public static long mulMaskToBytes(long count, boolean masked) {
        return (masked ? 12 : 8) * count;
    }

    /** dH = (H1pre &gt; 0 ? dH : 0) * mask over count floats (twin: Layers.reluDropoutBackward). */
    public void reluDropoutBackward(long dH, long H1pre, long mask, long count, CudaStream stream) {
        checkCount(count);
        if (count == 0) return;
        checkPointers("relu_dropout_backward", dH, H1pre);
        module.launch("relu_dropout_backward", blocksFor(count), THREADS, 0, stream, dH, H1pre, mask, count);
    }

    /** Minimal floating-point operations of relu_dropout_backward. */
    public static long reluDropoutBackwardFlops(long count, boolean masked) {
        return (masked ? 2 : 1) * count;
    }

    /** Minimal device-memory bytes (inputs read once, outputs written once) of relu_dropout_backward. */
    public static long reluDropoutBackwardBytes(long count, boolean masked) {
        return (masked ? 16 : 12) * count;
    }

    // ---------------------------------------------------------------- deterministic reductions

    /** Floats of scratch {@link #colSum} needs for (rows, cols): 0 when it runs in one stage. */
    public static long colSumScratchFloats(int rows, int cols) {
        int blocks = Layers.colSumBlocks(Math.max(0, rows), cols);
        return blocks == 1 ? 0 : (long) blocks * cols;
    }

    /**
     * out[c] (+)= sum over r of in[r, c], in (rows, cols), 1 &lt;= cols &lt;= 256 (twin:
     * Layers.colSum, bit for bit): the first stage into {@code scratch} ({@link #colSumScratchFloats}
     * floats; may be 0 when that is 0), the second into out. Deterministic.
     */
    public void colSum(long in, int rows, int cols, long out, boolean accumulate, long scratch, CudaStream stream) {
        if (rows < 0) throw new IllegalArgumentException("col_sum: rows must be >= 0, got " + rows);
        if (cols < 1 || cols > Layers.COL_SUM_THREADS) {
            throw new IllegalArgumentException("col_sum: cols must be in [1, " + Layers.COL_SUM_THREADS + "], got " + cols);
        }
        if ((long) rows * cols > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("col_sum: rows * cols must be < 2^31, got " + rows + " x " + cols);
        }
        checkPointer(out, "out");
        if (rows > 0) checkPointer(in, "in");
        int blocks = Layers.colSumBlocks(rows, cols);
        int acc = accumulate ? 1 : 0;
        if (blocks == 1) {
            module.launch("col_sum", 1, Layers.COL_SUM_THREADS, 0, stream, in, rows, cols, out, acc);
            return;
        }
        checkPointer(scratch, "scratch");
        module.launch("col_sum", blocks, Layers.COL_SUM_THREADS, 0, stream, in, rows, cols, scratch, 0);
        module.launch("col_sum", 1, Layers.COL_SUM_THREADS, 0, stream, scratch, blocks, cols, out, acc);
    }

    /** Minimal floating-point operations of col_sum. */
    public static long colSumFlops(int rows, int cols) {
        return (long) rows * cols;
    }

    /** Minimal device-memory bytes (inputs read once, outputs written once) of col_sum. */
    public static long colSumBytes(int rows, int cols, boolean accumulate) {
        return 4L * ((long) rows * cols + (accumulate ? 2L : 1L) * cols);
    }

    /** Blocks of l2_grad's first stage for count elements. */
    static int l2Blocks(long count) {
        return (int) Math.max(1, Math.min(L2_MAX_BLOCKS, (count + L2_PER_BLOCK - 1) / L2_PER_BLOCK));
    }

    /** Doubles of scratch {@link #l2Grad} needs for count elements. */
    public static long l2ScratchDoubles(long count) {
        return l2Blocks(count);
    }

    /**
     * g += lambda * w over count floats (bit for bit as Layers.l2Grad) and the sum of w^2 into
     * the double at {@code resultAddress} (to 1e-12 relative of the twin), through
     * {@code scratchAddress} ({@link #l2ScratchDoubles} doubles, 8-byte aligned). Deterministic.
     */
    public void l2Grad(long w, long g, long count, float lambda, long scratchAddress, long resultAddress, CudaStream stream) {
        checkCount(count);
        checkPointers("l2_grad", w, g, scratchAddress, resultAddress);
        if ((scratchAddress & 7) != 0 || (resultAddress & 7) != 0) {
            throw new IllegalArgumentException("l2_grad: scratch and result must be 8-byte aligned (doubles)");
        }
        int blocks = l2Blocks(count);
        module.launch("l2_grad", blocks, L2_THREADS, 0, stream, w, g, count, lambda, scratchAddress);
        module.launch("l2_grad_sum", 1, L2_THREADS, 0, stream, scratchAddress, blocks, resultAddress);
    }

    /** Minimal floating-point operations of l2_grad. */
    public static long l2GradFlops(long count) {
        return 4 * count;
    }

    /** Minimal device-memory bytes (inputs read once, outputs written once) of l2_grad. */
    public static long l2GradBytes(long count) {
        return 12 * count + 8;
    }

    // ---------------------------------------------------------------- checks

    private static void checkRows(int rows, int d, String kernel) {
        if (d < 1 || d > MAX_D) throw new IllegalArgumentException(kernel + ": d must be in [1, " + MAX_D + "], got " + d);
        if (rows < 0) throw new IllegalArgumentException(kernel + ": rows must be >= 0, got " + rows);
        if ((long) rows * d > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(kernel + ": rows * d must be < 2^31, got " + rows + " x " + d);
        }
    }

    private static void checkCount(long count) {
        if (count < 0) throw new IllegalArgumentException("count must be >= 0, got " + count);
    }

    private static void checkPointer(long p, String what) {
        if (p == 0) throw new IllegalArgumentException(what + " must not be a null device pointer");
    }

    private static void checkPointers(String kernel, long... ps) {
        for (int i = 0; i < ps.length; i++) {
            if (ps[i] == 0) throw new IllegalArgumentException(kernel + ": pointer argument " + i + " is null (only masks may be 0)");
        }
    }
}
