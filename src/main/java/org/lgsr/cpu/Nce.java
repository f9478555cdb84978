package org.lgsr.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.lgsr.model.cpu.Simd;
import org.lgsr.model.cpu.Vec;
import org.lgsr.util.Parallel;

/**
 * The global encoder's loss L_g (TF's {@code nce_loss} with S negatives shared by a batch of N
 * pairs, MODEL.md 3.4): the project's one CPU implementation. The CPU engine's
 * {@code GlobalEncoder} runs it through an instance ({@link #forwardBackward}, parallel, no
 * allocation per batch); the GPU engine's CPU backend runs the same code through {@link #step};
 * the static stage methods are the CPU twins of the kernels in {@code cuda/nce.cu}, which the
 * GPU tests compare the kernels with. With {@code v_i = E[inputs[i]]}:
 * <pre>
 *   t_i   = v_i . theta[labels[i]] + bias[labels[i]] - trueLogQ[i]
 *   s_ik  = v_i . theta[sampled[k]] + bias[sampled[k]] - sampledLogQ[k]  (removed when removeHits
 *           and sampled[k] == labels[i])
 *   loss  = (1/N) sum_i [softplus(-t_i) + sum_k softplus(s_ik)]
 *   dTrue_i = (sigmoid(t_i) - 1) / N,  dL_ik = sigmoid(s_ik) / N  (0 where removed)
 * </pre>
 * ({@code softplus(x) = max(x, 0) + log1p(e^-|x|)}, TF's sigmoid cross-entropy with labels 1 and
 * 0.) Gradients are <em>added</em> to {@code gE}, {@code gTheta}, {@code gBias}.
 *
 * <p><b>The batch, in the device's order</b> (DeviceNceStep): gather Vin = E[inputs] (N, d)
 * and ThetaS = theta[sampled] (S, d); the logits Vin ThetaS^T; {@link #nceLossGrad} (logits to
 * dL in place, rowLoss, dTrue, dVin = dTrue_i theta[labels[i]], the per-32-row column sums of dL);
 * dVin += dL ThetaS; dThetaS = dL^T Vin; {@link #nceScatter}; {@link #nceLossSum}. The per-row
 * and scatter sums follow the kernels' orders (the warp butterfly, the per-warp and per-block
 * column sums, rows added in order, the 256-thread double sum of the loss); the three products
 * are register-blocked (Vec.gemm, each element one fma chain in its inner index's order; cuBLAS
 * has its own order). exp and log1p are float: with the Vector API a polynomial exp (a few ulps)
 * and a log1p polynomial (below 2e-7 relative), else {@code (float) Math.exp}, {@code log1p}; CUDA's
 * {@code expf}, {@code log1pf} are within a few ulps too, so kernels and twins agree to a few
 * ulps, not bit for bit. nce_scatter's atomics add in an unspecified order; here rows are added
 * in order.
 *
 * <p><b>Work split.</b> The row pass (gather, logits, loss and dL, dVin) runs in blocks of
 * {@link #BLOCK} rows; dThetaS in tiles of (sampled columns, d rows), each summing over all rows
 * in order; the scatter in chunks of d columns (each adding rows in the order above) plus one
 * task for the bias. Every output element has one writer and one summation order: results do
 * not depend on the thread count.
 *
 * <p>Static methods: array arguments are followed by their offsets, in the kernels' argument
 * order, and check the kernels' limits ({@link #MAX_D}, {@link #MAX_S}); instances have none.
 */
public final class Nce implements AutoCloseable {
    /** Warps per block of nce_loss_grad (NCE_WARPS). */
    public static final int WARPS = 8;
    /** Pairs per block of nce_loss_grad (NCE_ROWS): the rows of one column-sum part. */
    public static final int ROWS = 32;
    /** Largest d (NCE_MAX_D). */
    public static final int MAX_D = 256;
    /** Largest S (NCE_MAX_S). */
    public static final int MAX_S = 1024;
    /** Threads of nce_loss_sum's single block. */
    static final int SUM_THREADS = 32 * WARPS;
    /** Rows per task of the row pass: whole column-sum parts and whole 3-row gemm tiles. */
    static final int BLOCK = 3 * ROWS;
    /** Rows per accumulation block of dThetaS (an NB x PANEL block of dL is 64 KiB: L2). */
    static final int NB = 256;
    /**
     * Sampled columns per panel: the logits / dL, ThetaS^T and dThetaS^T are kept panel-major
     * (each panel of PANEL columns contiguous, rows of PANEL floats), so that the products read
     * them with a short row stride instead of S floats (2 KiB at S = 512, which maps a panel's
     * rows onto a few L1 sets). A last remainder narrower than a vector joins the panel before.
     */
    static final int PANEL = 64;
    /** d rows per dThetaS task (a multiple of 5: the rows of {@link Lanes#tile5x4}). */
    static final int JC = 25;
    /** Columns of d per scatter task. */
    static final int SCATTER_COLS = 48;
    /**
     * System property: {@code false} keeps the plain loops even where the Vector API is usable
     * (for the tests' comparisons; the plain loops are also the fallback). Read by the
     * constructor and by each static stage call.
     */
    public static final String VECTOR_PROPERTY = "lgsr.nce.vector";

    private final int d;
    private final int maxN;
    private final int maxS;
    private final Parallel par;
    private final boolean vector;
    private final float[] vin;      // (N, d) gathered input rows
    private final float[] thetaS;   // (S, d) gathered sampled rows
    private final float[] thetaSt;  // (d, S) the same, transposed, panel-major (the logits' right operand)
    private final float[] sb;       // (S) bias[sampled[k]] - sampledLogQ[k]
    private final float[] logits;   // (N, S) logits, then dL, panel-major
    private final float[] rowLoss;  // (N)
    private final float[] dTrue;    // (N)
    private final float[] dVin;     // (N, d)
    private final float[] colPart;  // (parts, S)
    private final float[] dThetaSt; // (d, S) panel-major
    private final float[] dThetaS;  // (S, d)
    private final float[][] lanes;  // per task of the row pass: 32 lanes, 32 true logits, 32 label rows of theta
    /** Nanoseconds per stage of {@link #forwardBackward}: packing, row pass, dThetaS, scatter. */
    private final long[] stageNanos = new long[4];
    /** The next task of {@link #tasks}. */
    private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * A workspace for batches of at most {@code maxN} pairs and {@code maxS} negatives at width
     * {@code d}, on {@code threads} threads.
     */
    public Nce(int d, int maxN, int maxS, int threads) {
        if (d < 1 || maxN < 1 || maxS < 1) throw new IllegalArgumentException("d, N, S must be >= 1: " + d + ", " + maxN + ", " + maxS);
        this.d = d;
        this.maxN = maxN;
        this.maxS = maxS;
        this.par = new Parallel(threads);
        this.vector = vectorAllowed() && d >= Simd.lanes();
        vin = new float[maxN * d];
        thetaS = new float[maxS * d];
        thetaSt = new float[maxS * d];
        sb = new float[maxS];
        logits = new float[Math.multiplyExact(maxN, maxS)];
        rowLoss = new float[maxN];
        dTrue = new float[maxN];
        dVin = new float[maxN * d];
        colPart = new float[parts(maxN) * maxS];
        dThetaSt = new float[maxS * d];
        dThetaS = new float[maxS * d];
        lanes = new float[(maxN + BLOCK - 1) / BLOCK][2 * ROWS + ROWS * d];
    }

    /**
     * Nanoseconds spent so far in each stage of {@link #forwardBackward}: {packing the sampled
     * rows, the row pass (gather, logits, loss and dL, dVin), dThetaS, the scatter and the loss
     * sum}; a copy.
     */
    public long[] stageNanos() {
        return stageNanos.clone();
    }

    /** Whether the Vector API bodies run (when S is at least one vector too). */
    public boolean vectorized() {
        return vector;
    }

    /** The number of column-sum parts (blocks of nce_loss_grad) for {@code n} pairs. */
    public static int parts(int n) {
        return (n + ROWS - 1) / ROWS;
    }

    /**
     * One batch: returns its loss (0 for n = 0) and adds the gradients to {@code gE} (E's layout
     * at {@code gEOff}), {@code gTheta} and {@code gBias}; E is read at {@code eOff}, theta, bias
     * and their gradients at offset 0. See the class comment.
     */
    public double forwardBackward(float[] e, int eOff, float[] theta, float[] bias, int[] inputs, int[] labels, float[] trueLogQ,
                                  int n, int[] sampled, float[] sampledLogQ, int s, boolean removeHits, float[] gE, int gEOff,
                                  float[] gTheta, float[] gBias) {
        return forwardBackward(e, eOff, theta, 0, bias, 0, inputs, labels, trueLogQ, n, sampled, sampledLogQ, s, removeHits,
                gE, gEOff, gTheta, 0, gBias, 0);
    }

    /** {@link #forwardBackward} with theta, bias and their gradients at offsets. */
    public double forwardBackward(float[] e, int eOff, float[] theta, int thetaOff, float[] bias, int biasOff, int[] inputs,
                                  int[] labels, float[] trueLogQ, int n, int[] sampled, float[] sampledLogQ, int s,
                                  boolean removeHits, float[] gE, int gEOff, float[] gTheta, int gThetaOff, float[] gBias,
                                  int gBiasOff) {
        if (n > maxN || s > maxS || s < 1) throw new IllegalArgumentException("batch " + n + " x " + s + " exceeds " + maxN + " x " + maxS);
        if (n == 0) return 0.0;
        final int dd = d;
        final boolean vec = vector && s >= Simd.lanes();
        final float scale = 1.0f / n;
        long t0 = System.nanoTime();
        final int np = panelCount(s);
        for (int k = 0; k < s; k++) {
            int row = thetaOff + sampled[k] * dd;
            System.arraycopy(theta, row, thetaS, k * dd, dd);
            int p = Math.min(np - 1, k / PANEL), k0 = p * PANEL, w = panelWidth(p, np, s);
            for (int j = 0; j < dd; j++) thetaSt[k0 * dd + j * w + k - k0] = theta[row + j];
            sb[k] = bias[biasOff + sampled[k]] - sampledLogQ[k];
        }
        long t1 = System.nanoTime();
        // the row pass: gather, logits, nce_loss_grad, dVin += dL ThetaS (panel by panel, so each
        // element of dVin is still one fma chain over k = 0..S-1)
        tasks((n + BLOCK - 1) / BLOCK, task -> {
            int i0 = task * BLOCK, i1 = Math.min(n, i0 + BLOCK), m = i1 - i0;
            for (int i = i0; i < i1; i++) System.arraycopy(e, eOff + inputs[i] * dd, vin, i * dd, dd);
            for (int p = 0; p < np; p++) {
                int k0 = p * PANEL, w = panelWidth(p, np, s);
                gemm(vec, m, dd, w, vin, i0 * dd, dd, 1, thetaSt, k0 * dd, w, logits, k0 * n + i0 * w, w, 0);
            }
            lossGradRows(vec, i0, i1, logits, 0, n, vin, 0, theta, thetaOff, bias, biasOff, labels, 0, sampled, 0, sb, trueLogQ, 0,
                    s, dd, removeHits, scale, rowLoss, 0, dTrue, 0, dVin, 0, colPart, 0, lanes[task]);
            for (int p = 0; p < np; p++) {
                int k0 = p * PANEL, w = panelWidth(p, np, s);
                gemm(vec, m, w, dd, logits, k0 * n + i0 * w, w, 1, thetaS, k0 * dd, dd, dVin, i0 * dd, dd, 2);
            }
        });
        long t2 = System.nanoTime();
        // dThetaS^T (d, S) = Vin^T dL, tiles of (a panel, JC rows of d), rows in order
        final int jBlocks = (dd + JC - 1) / JC;
        tasks(np * jBlocks, task -> {
            int p = task / jBlocks, jc = task % jBlocks;
            int k0 = p * PANEL, w = panelWidth(p, np, s);
            int j0 = jc * JC, j1 = Math.min(dd, j0 + JC);
            boolean tall = vec && Lanes.L == 16 && w == 4 * Lanes.L;
            for (int ib = 0; ib < n; ib += NB) {
                int ie = Math.min(n, ib + NB), j = j0;
                if (tall) {
                    for (; j + 5 <= j1; j += 5) {
                        Lanes.tile5x4(ie - ib, vin, ib * dd + j, dd, logits, k0 * n + ib * w, dThetaSt, k0 * dd + j * w, ib != 0);
                    }
                }
                if (j < j1) {
                    gemm(vec, j1 - j, ie - ib, w, vin, ib * dd + j, 1, dd, logits, k0 * n + ib * w, w, dThetaSt, k0 * dd + j * w, w,
                            ib == 0 ? 0 : 2);
                }
            }
            for (int k = 0; k < w; k++) {
                for (int j = j0; j < j1; j++) dThetaS[(k0 + k) * dd + j] = dThetaSt[k0 * dd + j * w + k];
            }
        });
        long t3 = System.nanoTime();
        // nce_scatter: chunks of d columns, and the bias
        int chunks = (dd + SCATTER_COLS - 1) / SCATTER_COLS;
        int parts = parts(n);
        tasks(chunks + 1, task -> {
            if (task == chunks) {
                scatterBias(gBias, gBiasOff, dTrue, 0, labels, 0, n, colPart, 0, parts, sampled, 0, s);
            } else {
                int j0 = task * SCATTER_COLS;
                scatterColumns(vec, j0, Math.min(dd, j0 + SCATTER_COLS), gE, gEOff, gTheta, gThetaOff, vin, 0, dVin, 0, dTrue, 0,
                        inputs, 0, labels, 0, n, dThetaS, 0, sampled, 0, s, dd);
            }
        });
        double loss = nceLossSum(rowLoss, 0, n);
        long t4 = System.nanoTime();
        stageNanos[0] += t1 - t0;
        stageNanos[1] += t2 - t1;
        stageNanos[2] += t3 - t2;
        stageNanos[3] += t4 - t3;
        return loss;
    }

    /**
     * Tasks 0..n-1 handed out one at a time to the threads (a shared counter): on a busy machine a
     * thread that is descheduled holds up the stage by at most the task it is running. Which
     * thread runs a task does not change what the task computes.
     */
    private void tasks(int n, java.util.function.IntConsumer body) {
        int t = Math.min(par.threads(), n);
        if (t <= 1) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        next.set(0);
        par.forEach(t, w -> {
            for (int i; (i = next.getAndIncrement()) < n; ) body.accept(i);
        });
    }

    /** Panels of S columns: S / PANEL, the remainder a panel of its own when at least a vector wide. */
    static int panelCount(int s) {
        int np = s / PANEL;
        return np == 0 || s - np * PANEL >= Math.max(1, Simd.lanes()) ? np + 1 : np;
    }

    /** Width of panel p of np (columns p PANEL ..); the last takes what is left. */
    static int panelWidth(int p, int np, int s) {
        return p == np - 1 ? s - p * PANEL : PANEL;
    }

    // ------------------------------------------------------------------ the kernels' twins

    /**
     * trueLogQ[i] = (float) log(expectedCount(rankOfItem[labels[i]], numSampled, numTries)) in
     * double, as {@code LogUniformSampler.expectedCount} (twin of nce_true_logq); NaN where the
     * rank is negative (the label is no graph node). {@code logRange} = log(range + 1).
     */
    public static void nceTrueLogq(int[] labels, int labelsOff, int[] rankOfItem, int rankOff, int n, int numSampled,
                                   int numTries, double logRange, float[] trueLogQ, int trueOff) {
        for (int i = 0; i < n; i++) {
            int r = rankOfItem[rankOff + labels[labelsOff + i]];
            float q = Float.NaN;
            if (r >= 0) {
                double p = Math.log((r + 2.0) / (r + 1.0)) / logRange;
                double count = numTries == numSampled ? p * numSampled : -Math.expm1(numTries * Math.log1p(-p));
                q = (float) Math.log(count);
            }
            trueLogQ[trueOff + i] = q;
        }
    }

    /**
     * Twin of nce_loss_grad: {@code logits} (n, s) holds Vin ThetaS^T on entry, dLoss/dlogit on
     * exit; writes rowLoss (n, unscaled loss_i), dTrue (n), dVin (n, d) = dTrue_i
     * theta[labels[i]], colPart (parts(n), s) the per-block column sums of dL (within a block:
     * per warp in row order, then warps 0..7).
     */
    public static void nceLossGrad(float[] logits, int logitsOff, float[] vin, int vinOff, float[] theta, int thetaOff,
                                   float[] bias, int biasOff, int[] labels, int labelsOff, int[] sampled, int sampledOff,
                                   float[] sampledLogQ, int sampledLogQOff, float[] trueLogQ, int trueOff, int n, int s,
                                   int d, boolean removeHits, float scale, float[] rowLoss, int rowLossOff,
                                   float[] dTrue, int dTrueOff, float[] dVin, int dVinOff, float[] colPart,
                                   int colPartOff) {
        checkLimits(n, s, d);
        float[] sb = new float[s];
        for (int k = 0; k < s; k++) sb[k] = bias[biasOff + sampled[sampledOff + k]] - sampledLogQ[sampledLogQOff + k];
        boolean vec = vectorAllowed() && s >= Simd.lanes() && d >= Simd.lanes();
        lossGradRows(vec, 0, n, logits, logitsOff, 0, vin, vinOff, theta, thetaOff, bias, biasOff, labels, labelsOff, sampled,
                sampledOff, sb, trueLogQ, trueOff, s, d, removeHits, scale, rowLoss, rowLossOff, dTrue, dTrueOff, dVin, dVinOff,
                colPart, colPartOff, new float[2 * ROWS + ROWS * d]);
    }

    /**
     * Twin of nce_scatter, rows in order: for i &lt; n, gE[inputs[i]] += dVin[i],
     * gTheta[labels[i]] += dTrue[i] Vin[i], gBias[labels[i]] += dTrue[i]; then for k &lt; s,
     * gTheta[sampled[k]] += dThetaS[k], gBias[sampled[k]] += the sum of colPart[., k] over the
     * {@code parts} parts (lane l takes parts l, l + 32, ..., then the warp butterfly).
     */
    public static void nceScatter(float[] gE, int gEOff, float[] gTheta, int gThetaOff, float[] gBias, int gBiasOff,
                                  float[] vin, int vinOff, float[] dVin, int dVinOff, float[] dTrue, int dTrueOff,
                                  int[] inputs, int inputsOff, int[] labels, int labelsOff, int n, float[] dThetaS,
                                  int dThetaSOff, float[] colPart, int colPartOff, int parts, int[] sampled,
                                  int sampledOff, int s, int d) {
        boolean vec = vectorAllowed() && d >= Simd.lanes();
        for (int j0 = 0; j0 < d; j0 += SCATTER_COLS) {
            scatterColumns(vec, j0, Math.min(d, j0 + SCATTER_COLS), gE, gEOff, gTheta, gThetaOff, vin, vinOff, dVin, dVinOff, dTrue,
                    dTrueOff, inputs, inputsOff, labels, labelsOff, n, dThetaS, dThetaSOff, sampled, sampledOff, s, d);
        }
        scatterBias(gBias, gBiasOff, dTrue, dTrueOff, labels, labelsOff, n, colPart, colPartOff, parts, sampled, sampledOff, s);
    }

    /**
     * Twin of nce_loss_sum, the same double operations in the same order (so the same bits):
     * thread t of 256 sums rows t, t + 256, ..., then a tree over the threads; returns the sum / n.
     */
    public static double nceLossSum(float[] rowLoss, int rowLossOff, int n) {
        double[] acc = new double[SUM_THREADS];
        for (int t = 0; t < SUM_THREADS; t++) {
            double a = 0;
            for (int i = t; i < n; i += SUM_THREADS) a += rowLoss[rowLossOff + i];
            acc[t] = a;
        }
        for (int h = SUM_THREADS / 2; h > 0; h >>= 1) {
            for (int t = 0; t < h; t++) acc[t] += acc[t + h];
        }
        return acc[0] / n;
    }

    /**
     * Twin of the whole device batch ({@code DeviceNceStep.step}): nce_true_logq, then the batch
     * as {@link #forwardBackward} (one thread). Returns the batch loss (0 for n = 0) and adds the
     * gradients to gE, gTheta and gBias. {@code sampledLogQ[k]} = (float) log of the expected
     * count of sampled[k], as GlobalEncoder makes it.
     */
    public static double step(int d, float[] e, int eOff, float[] gE, int gEOff, float[] theta, int thetaOff,
                              float[] gTheta, int gThetaOff, float[] bias, int biasOff, float[] gBias, int gBiasOff,
                              int[] inputs, int[] labels, int n, int[] sampled, float[] sampledLogQ, int s,
                              int numTries, int[] rankOfItem, double logRange, boolean removeHits) {
        return step(d, e, eOff, gE, gEOff, theta, thetaOff, gTheta, gThetaOff, bias, biasOff, gBias, gBiasOff, inputs, labels, n,
                sampled, sampledLogQ, s, numTries, rankOfItem, logRange, removeHits, true);
    }

    /**
     * As above; {@code logQ} false leaves the log-Q correction of the true classes out (their log Q is 0, as the
     * caller's {@code sampledLogQ} then is: {@code --g-logq off}). theta may be E itself (the same array and
     * offset, with gTheta the same as gE: {@code --g-tie on}); the gradients of both roles then add up.
     */
    public static double step(int d, float[] e, int eOff, float[] gE, int gEOff, float[] theta, int thetaOff,
                              float[] gTheta, int gThetaOff, float[] bias, int biasOff, float[] gBias, int gBiasOff,
                              int[] inputs, int[] labels, int n, int[] sampled, float[] sampledLogQ, int s,
                              int numTries, int[] rankOfItem, double logRange, boolean removeHits, boolean logQ) {
        if (n == 0) return 0.0;
        checkLimits(n, s, d);
        float[] trueLogQ = new float[n];
        if (logQ) nceTrueLogq(labels, 0, rankOfItem, 0, n, s, numTries, logRange, trueLogQ, 0);
        try (Nce w = new Nce(d, n, s, 1)) {
            return w.forwardBackward(e, eOff, theta, thetaOff, bias, biasOff, inputs, labels, trueLogQ, n, sampled, sampledLogQ, s,
                    removeHits, gE, gEOff, gTheta, gThetaOff, gBias, gBiasOff);
        }
    }

    // ------------------------------------------------------------------ the stages' bodies

    /**
     * nce_loss_grad on rows [i0, i1) (i0 a multiple of {@link #ROWS}): per row the true logit
     * (lane l sums j = l, l + 32, ... by fma, then the warp butterfly), its loss and dTrue, the
     * sampled logits (x = logit + sb[k]) to dL and the row's softplus sum (lane k &amp; 31, then the
     * butterfly), dVin; then the column sums of each 32-row part. The logits are row-major with
     * row stride s at {@code lo} when {@code panelRows} is 0, else panel-major for a matrix of
     * {@code panelRows} rows (panel p at lo + p PANEL panelRows, rows of its width).
     */
    private static void lossGradRows(boolean vec, int i0, int i1, float[] logits, int lo, int panelRows, float[] vin, int vo,
                                     float[] theta, int to, float[] bias, int bo, int[] labels, int labo, int[] sampled, int so,
                                     float[] sb, float[] trueLogQ, int tqo, int s, int d, boolean remove, float scale,
                                     float[] rowLoss, int rlo, float[] dTrue, int dto, float[] dVin, int dvo, float[] colPart,
                                     int cpo, float[] lanes) {
        int np = panelRows == 0 ? 1 : panelCount(s);
        if (vec && Lanes.L == 16) {
            // the same operations with the 32 lanes in two vectors: per 32-row part the true
            // logits, then their loss and dTrue 16 rows at a time (the polynomial exp and log1p
            // of the sampled columns), then each row's sampled columns over all panels
            for (int r0 = i0; r0 < i1; r0 += ROWS) {
                int r1 = Math.min(i1, r0 + ROWS);
                // the labels' theta rows first (independent copies: their cache misses overlap)
                for (int i = r0; i < r1; i++) System.arraycopy(theta, to + labels[labo + i] * d, lanes, 2 * ROWS + (i - r0) * d, d);
                for (int i = r0; i < r1; i++) {
                    int lab = labels[labo + i];
                    lanes[ROWS + i - r0] = Lanes.dot32(vin, vo + i * d, lanes, 2 * ROWS + (i - r0) * d, d, lanes)
                            + (bias[bo + lab] - trueLogQ[tqo + i]);
                }
                Lanes.trueTerms(lanes, ROWS, r1 - r0, scale, rowLoss, rlo + r0, dTrue, dto + r0);
                for (int i = r0; i < r1; i++) {
                    int lab = labels[labo + i];
                    // the removal masks only for a row whose label is among the sampled (rare)
                    boolean rm = remove && Lanes.contains(sampled, so, s, lab);
                    Arrays.fill(lanes, 0, ROWS, 0f);
                    for (int p = 0; p < np; p++) {
                        int k0 = p * PANEL, w = panelRows == 0 ? s : panelWidth(p, np, s);
                        int g = panelRows == 0 ? lo + i * s : lo + k0 * panelRows + i * w;
                        Lanes.sampledRow(logits, g, k0, w, sb, sampled, so, lab, rm, scale, lanes);
                    }
                    rowLoss[rlo + i] = rowLoss[rlo + i] + warpSum(lanes);
                    Lanes.scaled(lanes, 2 * ROWS + (i - r0) * d, dTrue[dto + i], dVin, dvo + i * d, d);
                }
            }
        } else {
        for (int i = i0; i < i1; i++) {
            int lab = labels[labo + i];
            int vr = vo + i * d, tr = to + lab * d;
            Arrays.fill(lanes, 0f);
            if (vec) Lanes.laneDot(vin, vr, theta, tr, d, lanes);
            else for (int j = 0; j < d; j++) lanes[j & 31] = Math.fma(vin[vr + j], theta[tr + j], lanes[j & 31]);
            float dot = warpSum(lanes);
            float t = dot + (bias[bo + lab] - trueLogQ[tqo + i]);
            float ut = (float) Math.exp(-Math.abs(t));
            float trueLoss = Math.max(-t, 0f) + (float) Math.log1p(ut);
            float gt = -(t >= 0f ? ut : 1f) / (1f + ut) * scale;
            Arrays.fill(lanes, 0f);
            for (int p = 0; p < np; p++) {
                int k0 = p * PANEL, w = panelRows == 0 ? s : panelWidth(p, np, s);
                int g = panelRows == 0 ? lo + i * s : lo + k0 * panelRows + i * w;
                if (vec && w >= Simd.lanes()) {
                    Lanes.sampledRow(logits, g, k0, w, sb, sampled, so, lab, remove, scale, lanes);
                } else {
                    for (int kk = 0; kk < w; kk++) {
                        int k = k0 + kk;
                        float x = logits[g + kk] + sb[k];
                        float gk = 0f;
                        if (!(remove && sampled[so + k] == lab)) {
                            float u = (float) Math.exp(-Math.abs(x));
                            lanes[k & 31] += Math.max(x, 0f) + (float) Math.log1p(u);
                            gk = (x >= 0f ? 1f : u) / (1f + u) * scale;
                        }
                        logits[g + kk] = gk;
                    }
                }
            }
            rowLoss[rlo + i] = trueLoss + warpSum(lanes);
            dTrue[dto + i] = gt;
            int dv = dvo + i * d;
            if (vec) Lanes.scaled(theta, tr, gt, dVin, dv, d);
            else for (int j = 0; j < d; j++) dVin[dv + j] = gt * theta[tr + j];
        }
        }
        for (int r0 = i0; r0 < i1; r0 += ROWS) {
            int rows = Math.min(i1, r0 + ROWS) - r0, c = cpo + (r0 / ROWS) * s;
            for (int p = 0; p < np; p++) {
                int k0 = p * PANEL, w = panelRows == 0 ? s : panelWidth(p, np, s);
                int g = panelRows == 0 ? lo + r0 * s : lo + k0 * panelRows + r0 * w, stride = panelRows == 0 ? s : w;
                if (vec && w >= Simd.lanes()) {
                    Lanes.columnPart(logits, g, rows, stride, w, colPart, c + k0);
                } else {
                    for (int kk = 0; kk < w; kk++) {
                        float sum = 0f;
                        for (int wp = 0; wp < WARPS; wp++) {
                            float part = 0f;
                            for (int rr = wp; rr < rows; rr += WARPS) part += logits[g + rr * stride + kk];
                            sum += part;
                        }
                        colPart[c + k0 + kk] = sum;
                    }
                }
            }
        }
    }

    /** The scatter's gE and gTheta updates on columns [j0, j1): rows i in order, then sampled k in order. */
    private static void scatterColumns(boolean vec, int j0, int j1, float[] gE, int gEOff, float[] gTheta, int gThetaOff,
                                       float[] vin, int vinOff, float[] dVin, int dVinOff, float[] dTrue, int dTrueOff,
                                       int[] inputs, int inputsOff, int[] labels, int labelsOff, int n, float[] dThetaS,
                                       int dThetaSOff, int[] sampled, int sampledOff, int s, int d) {
        int w = j1 - j0;
        boolean v = vec && w >= Simd.lanes();
        for (int i = 0; i < n; i++) {
            float gt = dTrue[dTrueOff + i];
            int ge = gEOff + inputs[inputsOff + i] * d + j0;
            int gth = gThetaOff + labels[labelsOff + i] * d + j0;
            int ro = i * d + j0;
            if (v) {
                Lanes.add(dVin, dVinOff + ro, gE, ge, w);
                Lanes.axpy(gt, vin, vinOff + ro, gTheta, gth, w);
            } else {
                for (int j = 0; j < w; j++) {
                    gE[ge + j] += dVin[dVinOff + ro + j];
                    gTheta[gth + j] += gt * vin[vinOff + ro + j];
                }
            }
        }
        for (int k = 0; k < s; k++) {
            int gth = gThetaOff + sampled[sampledOff + k] * d + j0;
            int src = dThetaSOff + k * d + j0;
            if (v) Lanes.add(dThetaS, src, gTheta, gth, w);
            else for (int j = 0; j < w; j++) gTheta[gth + j] += dThetaS[src + j];
        }
    }

    /** The scatter's bias updates: labels' dTrue in row order, then each sampled column's parts. */
    private static void scatterBias(float[] gBias, int gBiasOff, float[] dTrue, int dTrueOff, int[] labels, int labelsOff, int n,
                                    float[] colPart, int colPartOff, int parts, int[] sampled, int sampledOff, int s) {
        for (int i = 0; i < n; i++) gBias[gBiasOff + labels[labelsOff + i]] += dTrue[dTrueOff + i];
        float[] lanes = new float[32];
        for (int k = 0; k < s; k++) {
            Arrays.fill(lanes, 0f);
            for (int b = 0; b < parts; b++) lanes[b & 31] += colPart[colPartOff + b * s + k];
            gBias[gBiasOff + sampled[sampledOff + k]] += warpSum(lanes);
        }
    }

    /**
     * C (M, N) = init + A (M, K) B (K, N) as {@link Vec#gemm} (mode 0: init zero, 2: C), or plain
     * loops (each element summed in k order) without the Vector API or when N is under a vector.
     */
    private static void gemm(boolean vec, int M, int K, int N, float[] a, int ao, int ais, int aks, float[] b, int bo, int bs,
                             float[] c, int co, int cs, int mode) {
        if (vec && N >= Simd.lanes()) {
            Vec.gemm(M, K, N, a, ao, ais, aks, b, bo, bs, c, co, cs, mode, null, 0);
            return;
        }
        for (int i = 0; i < M; i++) {
            int cr = co + i * cs;
            if (mode == 0) Arrays.fill(c, cr, cr + N, 0f);
            for (int k = 0; k < K; k++) {
                float x = a[ao + i * ais + k * aks];
                int br = bo + k * bs;
                for (int j = 0; j < N; j++) c[cr + j] = Math.fma(x, b[br + j], c[cr + j]);
            }
        }
    }

    /** The warp butterfly of nce_warp_sum: lane 0's value after x += x[lane ^ o], o = 16, 8, 4, 2, 1. */
    static float warpSum(float[] lanes) {
        // only the lanes lane 0 depends on: x[l] + x[l ^ o] for l < o (a + b = b + a exactly)
        float[] x = lanes;
        float a0 = x[0] + x[16], a1 = x[1] + x[17], a2 = x[2] + x[18], a3 = x[3] + x[19];
        float a4 = x[4] + x[20], a5 = x[5] + x[21], a6 = x[6] + x[22], a7 = x[7] + x[23];
        float a8 = x[8] + x[24], a9 = x[9] + x[25], a10 = x[10] + x[26], a11 = x[11] + x[27];
        float a12 = x[12] + x[28], a13 = x[13] + x[29], a14 = x[14] + x[30], a15 = x[15] + x[31];
        float b0 = a0 + a8, b1 = a1 + a9, b2 = a2 + a10, b3 = a3 + a11, b4 = a4 + a12, b5 = a5 + a13, b6 = a6 + a14, b7 = a7 + a15;
        float c0 = b0 + b4, c1 = b1 + b5, c2 = b2 + b6, c3 = b3 + b7;
        float d0 = c0 + c2, d1 = c1 + c3;
        return d0 + d1;
    }

    private static boolean vectorAllowed() {
        return Simd.available() && !"false".equalsIgnoreCase(System.getProperty(VECTOR_PROPERTY, "true"));
    }

    private static void checkLimits(int n, int s, int d) {
        if (n < 1 || s < 1 || d < 1) throw new IllegalArgumentException("N, S, d must be >= 1: " + n + ", " + s + ", " + d);
        if (d > MAX_D) throw new IllegalArgumentException("d = " + d + " exceeds NCE_MAX_D = " + MAX_D);
        if (s > MAX_S) throw new IllegalArgumentException("S = " + s + " exceeds NCE_MAX_S = " + MAX_S);
    }

    @Override
    public void close() {
        par.close();
    }

    /**
     * The Vector API bodies of the row pass and the scatter (the same operations as the plain
     * loops above, lane by lane). A nested class so that it loads only when {@code Simd.available()}.
     */
    static final class Lanes {
        private static final VectorSpecies<Float> FS = Vec.SPECIES;
        private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, FS.vectorShape());
        private static final int L = FS.length();

        private Lanes() {
        }

        /** lanes[j &amp; 31] = fma(a[ao + j], b[bo + j], lanes[j &amp; 31]) for j = 0..n-1 in order (32 % L == 0). */
        static void laneDot(float[] a, int ao, float[] b, int bo, int n, float[] lanes) {
            int j = 0;
            for (; j + L <= n; j += L) {
                int l = j & 31;
                FloatVector.fromArray(FS, a, ao + j).fma(FloatVector.fromArray(FS, b, bo + j), FloatVector.fromArray(FS, lanes, l))
                        .intoArray(lanes, l);
            }
            for (; j < n; j++) lanes[j & 31] = Math.fma(a[ao + j], b[bo + j], lanes[j & 31]);
        }

        /**
         * Row {@code go} of the logits to dL (x = logit + sb[k]; sigmoid(x) scale, 0 where removed),
         * softplus(x) of the kept columns added to lanes[k &amp; 31]; one exp serves both: u =
         * e^-|x|, sigmoid(x) = (x &gt;= 0 ? 1 : u) / (1 + u), softplus(x) = max(x, 0) + log1p(u).
         */
        static void sampledRow(float[] g, int go, int k0, int w, float[] sb, int[] sampled, int so, int lab, boolean remove,
                               float scale, float[] lanes) {
            IntVector labV = IntVector.broadcast(IS, lab);
            int kk = 0;
            for (; kk + L <= w; kk += L) {
                int k = k0 + kk;
                FloatVector x = FloatVector.fromArray(FS, g, go + kk).add(FloatVector.fromArray(FS, sb, k));
                FloatVector u = Vec.exp(x.abs().neg());
                FloatVector grad = u.blend(1f, x.compare(VectorOperators.GE, 0f)).div(u.add(1f)).mul(scale);
                FloatVector sp = x.max(0f).add(log1p01(u));
                int l = k & 31;
                FloatVector acc = FloatVector.fromArray(FS, lanes, l);
                if (remove) {
                    VectorMask<Float> keep = IntVector.fromArray(IS, sampled, so + k).compare(VectorOperators.NE, labV).cast(FS);
                    acc.add(sp, keep).intoArray(lanes, l);
                    FloatVector.zero(FS).blend(grad, keep).intoArray(g, go + kk);
                } else {
                    acc.add(sp).intoArray(lanes, l);
                    grad.intoArray(g, go + kk);
                }
            }
            if (kk < w) {
                int k = k0 + kk;
                VectorMask<Float> in = FS.indexInRange(kk, w);
                FloatVector x = FloatVector.fromArray(FS, g, go + kk, in).add(FloatVector.fromArray(FS, sb, k, in));
                FloatVector u = Vec.exp(x.abs().neg());
                FloatVector grad = u.blend(1f, x.compare(VectorOperators.GE, 0f)).div(u.add(1f)).mul(scale);
                FloatVector sp = x.max(0f).add(log1p01(u));
                VectorMask<Float> keep = in;
                if (remove) {
                    keep = keep.and(IntVector.fromArray(IS, sampled, so + k, in.cast(IS)).compare(VectorOperators.NE, labV).cast(FS));
                }
                int l = k & 31;
                FloatVector acc = FloatVector.fromArray(FS, lanes, l);
                acc.add(sp, keep).intoArray(lanes, l);
                FloatVector.zero(FS).blend(grad, keep).intoArray(g, go + kk, in);
            }
        }

        /**
         * The true logit's dot product as {@link #laneDot} into 32 zero lanes, then {@link #warpSum},
         * with the lanes in two registers (L = 16; tmp[0 .. 32) for the last ones): lane j &amp; 31
         * takes j = l, l + 32, ... by fma.
         */
        static float dot32(float[] a, int ao, float[] b, int bo, int n, float[] tmp) {
            FloatVector lo = FloatVector.zero(FS), hi = lo;
            int j = 0;
            for (; j + 2 * L <= n; j += 2 * L) {
                lo = FloatVector.fromArray(FS, a, ao + j).fma(FloatVector.fromArray(FS, b, bo + j), lo);
                hi = FloatVector.fromArray(FS, a, ao + j + L).fma(FloatVector.fromArray(FS, b, bo + j + L), hi);
            }
            if (j + L <= n) {
                lo = FloatVector.fromArray(FS, a, ao + j).fma(FloatVector.fromArray(FS, b, bo + j), lo);
                j += L;
            }
            lo.intoArray(tmp, 0);
            hi.intoArray(tmp, L);
            for (; j < n; j++) tmp[j & 31] = Math.fma(a[ao + j], b[bo + j], tmp[j & 31]);
            return warpSum(tmp);
        }

        /**
         * For the true logits t[to .. to + cnt): loss[lo + r] = softplus(-t) = max(-t, 0) + log1p(u) and
         * grad[go + r] = -(t &gt;= 0 ? u : 1) / (1 + u) scale, u = e^-|t| (the polynomial exp and
         * log1p, as for the sampled columns).
         */
        static void trueTerms(float[] t, int to, int cnt, float scale, float[] loss, int lo, float[] grad, int go) {
            for (int r = 0; r < cnt; r += L) {
                VectorMask<Float> m = FS.indexInRange(r, cnt);
                FloatVector x = FloatVector.fromArray(FS, t, to + r, m);
                FloatVector u = Vec.exp(x.abs().neg());
                FloatVector g = FloatVector.broadcast(FS, 1f).blend(u, x.compare(VectorOperators.GE, 0f)).neg().div(u.add(1f)).mul(scale);
                x.neg().max(0f).add(log1p01(u)).intoArray(loss, lo + r, m);
                g.intoArray(grad, go + r, m);
            }
        }

        /** Whether v is among a[o .. o + n) (values and v non-negative). */
        static boolean contains(int[] a, int o, int n, int v) {
            IntVector vv = IntVector.broadcast(IS, v), acc = IntVector.broadcast(IS, Integer.MAX_VALUE);
            int k = 0;
            for (; k + L <= n; k += L) acc = acc.min(IntVector.fromArray(IS, a, o + k).lanewise(VectorOperators.XOR, vv));
            for (; k < n; k++) if (a[o + k] == v) return true;
            return acc.reduceLanes(VectorOperators.MIN) == 0;
        }

        /**
         * dThetaS^T rows j .. j + 4 of a 64-column panel (L = 16: 20 accumulators, a taller tile
         * than Vec.gemm's 3 rows, for the long sum over the batch rows): c[co + r 64 + (0..64)] =
         * (acc ? c : 0) + sum over i &lt; K in order of fma(a[ao + i as + r], b[bo + i 64 + (0..64)]),
         * each element one fma chain as in Vec.gemm (the same bits).
         */
        static void tile5x4(int K, float[] a, int ao, int as, float[] b, int bo, float[] c, int co, boolean acc) {
            int c0 = co + 0 * 4 * L;
            int c1 = co + 1 * 4 * L;
            int c2 = co + 2 * 4 * L;
            int c3 = co + 3 * 4 * L;
            int c4 = co + 4 * 4 * L;
            FloatVector x00 = acc ? FloatVector.fromArray(FS, c, c0 + 0 * L) : FloatVector.zero(FS), x01 = acc ? FloatVector.fromArray(FS, c, c0 + 1 * L) : FloatVector.zero(FS), x02 = acc ? FloatVector.fromArray(FS, c, c0 + 2 * L) : FloatVector.zero(FS), x03 = acc ? FloatVector.fromArray(FS, c, c0 + 3 * L) : FloatVector.zero(FS);
            FloatVector x10 = acc ? FloatVector.fromArray(FS, c, c1 + 0 * L) : FloatVector.zero(FS), x11 = acc ? FloatVector.fromArray(FS, c, c1 + 1 * L) : FloatVector.zero(FS), x12 = acc ? FloatVector.fromArray(FS, c, c1 + 2 * L) : FloatVector.zero(FS), x13 = acc ? FloatVector.fromArray(FS, c, c1 + 3 * L) : FloatVector.zero(FS);
            FloatVector x20 = acc ? FloatVector.fromArray(FS, c, c2 + 0 * L) : FloatVector.zero(FS), x21 = acc ? FloatVector.fromArray(FS, c, c2 + 1 * L) : FloatVector.zero(FS), x22 = acc ? FloatVector.fromArray(FS, c, c2 + 2 * L) : FloatVector.zero(FS), x23 = acc ? FloatVector.fromArray(FS, c, c2 + 3 * L) : FloatVector.zero(FS);
            FloatVector x30 = acc ? FloatVector.fromArray(FS, c, c3 + 0 * L) : FloatVector.zero(FS), x31 = acc ? FloatVector.fromArray(FS, c, c3 + 1 * L) : FloatVector.zero(FS), x32 = acc ? FloatVector.fromArray(FS, c, c3 + 2 * L) : FloatVector.zero(FS), x33 = acc ? FloatVector.fromArray(FS, c, c3 + 3 * L) : FloatVector.zero(FS);
            FloatVector x40 = acc ? FloatVector.fromArray(FS, c, c4 + 0 * L) : FloatVector.zero(FS), x41 = acc ? FloatVector.fromArray(FS, c, c4 + 1 * L) : FloatVector.zero(FS), x42 = acc ? FloatVector.fromArray(FS, c, c4 + 2 * L) : FloatVector.zero(FS), x43 = acc ? FloatVector.fromArray(FS, c, c4 + 3 * L) : FloatVector.zero(FS);
            for (int i = 0, br = bo, ar = ao; i < K; i++, br += 4 * L, ar += as) {
                FloatVector b0 = FloatVector.fromArray(FS, b, br + 0 * L);
                FloatVector b1 = FloatVector.fromArray(FS, b, br + 1 * L);
                FloatVector b2 = FloatVector.fromArray(FS, b, br + 2 * L);
                FloatVector b3 = FloatVector.fromArray(FS, b, br + 3 * L);
                FloatVector s0 = FloatVector.broadcast(FS, a[ar + 0]);
                x00 = b0.fma(s0, x00);
                x01 = b1.fma(s0, x01);
                x02 = b2.fma(s0, x02);
                x03 = b3.fma(s0, x03);
                FloatVector s1 = FloatVector.broadcast(FS, a[ar + 1]);
                x10 = b0.fma(s1, x10);
                x11 = b1.fma(s1, x11);
                x12 = b2.fma(s1, x12);
                x13 = b3.fma(s1, x13);
                FloatVector s2 = FloatVector.broadcast(FS, a[ar + 2]);
                x20 = b0.fma(s2, x20);
                x21 = b1.fma(s2, x21);
                x22 = b2.fma(s2, x22);
                x23 = b3.fma(s2, x23);
                FloatVector s3 = FloatVector.broadcast(FS, a[ar + 3]);
                x30 = b0.fma(s3, x30);
                x31 = b1.fma(s3, x31);
                x32 = b2.fma(s3, x32);
                x33 = b3.fma(s3, x33);
                FloatVector s4 = FloatVector.broadcast(FS, a[ar + 4]);
                x40 = b0.fma(s4, x40);
                x41 = b1.fma(s4, x41);
                x42 = b2.fma(s4, x42);
                x43 = b3.fma(s4, x43);
            }
            x00.intoArray(c, c0 + 0 * L);
            x01.intoArray(c, c0 + 1 * L);
            x02.intoArray(c, c0 + 2 * L);
            x03.intoArray(c, c0 + 3 * L);
            x10.intoArray(c, c1 + 0 * L);
            x11.intoArray(c, c1 + 1 * L);
            x12.intoArray(c, c1 + 2 * L);
            x13.intoArray(c, c1 + 3 * L);
            x20.intoArray(c, c2 + 0 * L);
            x21.intoArray(c, c2 + 1 * L);
            x22.intoArray(c, c2 + 2 * L);
            x23.intoArray(c, c2 + 3 * L);
            x30.intoArray(c, c3 + 0 * L);
            x31.intoArray(c, c3 + 1 * L);
            x32.intoArray(c, c3 + 2 * L);
            x33.intoArray(c, c3 + 3 * L);
            x40.intoArray(c, c4 + 0 * L);
            x41.intoArray(c, c4 + 1 * L);
            x42.intoArray(c, c4 + 2 * L);
            x43.intoArray(c, c4 + 3 * L);
        }

        /** out[o + j] = a src[so + j], j &lt; n. */
        static void scaled(float[] src, int so, float a, float[] out, int o, int n) {
            int j = 0;
            for (; j + L <= n; j += L) FloatVector.fromArray(FS, src, so + j).mul(a).intoArray(out, o + j);
            for (; j < n; j++) out[o + j] = a * src[so + j];
        }

        /** dst[o + j] += src[so + j], j &lt; n. */
        static void add(float[] src, int so, float[] dst, int o, int n) {
            int j = 0;
            for (; j + L <= n; j += L) FloatVector.fromArray(FS, dst, o + j).add(FloatVector.fromArray(FS, src, so + j)).intoArray(dst, o + j);
            for (; j < n; j++) dst[o + j] += src[so + j];
        }

        /** dst[o + j] += a src[so + j] (the product rounded, then the sum), j &lt; n. */
        static void axpy(float a, float[] src, int so, float[] dst, int o, int n) {
            int j = 0;
            for (; j + L <= n; j += L) {
                FloatVector.fromArray(FS, dst, o + j).add(FloatVector.fromArray(FS, src, so + j).mul(a)).intoArray(dst, o + j);
            }
            for (; j < n; j++) dst[o + j] += a * src[so + j];
        }

        /**
         * colPart[c + k] for the rows g[go + r s ..], r &lt; rows (at most 32): per warp w the rows
         * w, w + 8, ... in order, then the warps in order.
         */
        static void columnPart(float[] g, int go, int rows, int stride, int w, float[] colPart, int c) {
            int k = 0;
            for (; k + L <= w; k += L) {
                FloatVector sum = FloatVector.zero(FS);
                for (int wp = 0; wp < WARPS; wp++) {
                    FloatVector part = FloatVector.zero(FS);
                    for (int rr = wp; rr < rows; rr += WARPS) part = part.add(FloatVector.fromArray(FS, g, go + rr * stride + k));
                    sum = sum.add(part);
                }
                sum.intoArray(colPart, c + k);
            }
            for (; k < w; k++) {
                float sum = 0f;
                for (int wp = 0; wp < WARPS; wp++) {
                    float part = 0f;
                    for (int rr = wp; rr < rows; rr += WARPS) part += g[go + rr * stride + k];
                    sum += part;
                }
                colPart[c + k] = sum;
            }
        }

        /**
         * log(1 + u) for u in [0, 1]: u P(u), P of degree 8 fitted (least squares on Chebyshev
         * nodes) to log1p(u) / u; below 2e-7 relative error in float (fma Horner), no division.
         */
        static FloatVector log1p01(FloatVector u) {
            FloatVector p = u.fma(0.005253457929939032f, -0.02958850748836994f);
            p = p.fma(u, FloatVector.broadcast(FS, 0.07836166769266129f));
            p = p.fma(u, FloatVector.broadcast(FS, -0.13674770295619965f));
            p = p.fma(u, FloatVector.broadcast(FS, 0.19111430644989014f));
            p = p.fma(u, FloatVector.broadcast(FS, -0.24844369292259216f));
            p = p.fma(u, FloatVector.broadcast(FS, 0.33319270610809326f));
            p = p.fma(u, FloatVector.broadcast(FS, -0.49999502301216125f));
            p = p.fma(u, FloatVector.broadcast(FS, 1f));
            return p.mul(u);
        }

        /** log1p01 on an array of {@link #L} values (for the tests). */
        static void log1p(float[] u, float[] out) {
            log1p01(FloatVector.fromArray(FS, u, 0)).intoArray(out, 0);
        }
    }
}
