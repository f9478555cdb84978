package org.lgsr.cpu;

/**
 * The global encoder's loss L_g (TF's {@code nce_loss}, MODEL.md 3.4); CPU twins of the kernels
 * in {@code cuda/nce.cu} and, in {@link #step}, of the whole device batch
 * ({@code org.lgsr.gpu.kernels.DeviceNceStep}) composed in the device's order. Computes what
 * {@link org.lgsr.graph.NceLoss#forwardBackward} computes (equal up to float rounding: the
 * sums run in the kernels' orders, not NceLoss's). With {@code v_i = E[inputs[i]]}:
 * <pre>
 *   t_i   = v_i . theta[labels[i]] + bias[labels[i]] - trueLogQ[i]
 *   s_ik  = v_i . theta[sampled[k]] + bias[sampled[k]] - sampledLogQ[k]  (removed when removeHits
 *           and sampled[k] == labels[i])
 *   loss  = (1/N) sum_i [softplus(-t_i) + sum_k softplus(s_ik)]
 *   dTrue_i = (sigmoid(t_i) - 1) / N,  dL_ik = sigmoid(s_ik) / N  (0 where removed)
 * </pre>
 * Gradients are added to {@code gE}, {@code gTheta}, {@code gBias}.
 *
 * <p>Each twin follows its kernel's summation order (the warp butterfly, the per-warp and
 * per-block column sums, the 256-thread double sum of the loss); {@code expf}, {@code log1pf}
 * are modelled by double {@code exp}, {@code log1p} rounded to float, so the kernels agree with
 * the twins to a few ulps, not bit for bit. The kernel's atomics in {@code nce_scatter} add in
 * an unspecified order; the twin adds rows in order.
 *
 * <p>Array arguments are followed by their offsets, in the kernels' argument order.
 */
public final class Nce {
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

    private Nce() {
    }

    /** The number of column-sum parts (blocks of nce_loss_grad) for {@code n} pairs. */
    public static int parts(int n) {
        return (n + ROWS - 1) / ROWS;
    }

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
        float[] part = new float[WARPS * s];
        float[] lanes = new float[32];
        for (int b = 0; b < parts(n); b++) {
            java.util.Arrays.fill(part, 0f);
            for (int w = 0; w < WARPS; w++) {
                for (int rr = w; rr < ROWS; rr += WARPS) {
                    int i = b * ROWS + rr;
                    if (i >= n) break;
                    int lab = labels[labelsOff + i];
                    int vo = vinOff + i * d, to = thetaOff + lab * d;
                    for (int l = 0; l < 32; l++) {
                        float acc = 0f;
                        for (int j = l; j < d; j += 32) acc = Math.fma(vin[vo + j], theta[to + j], acc);
                        lanes[l] = acc;
                    }
                    float dot = warpSum(lanes);
                    float t = dot + (bias[biasOff + lab] - trueLogQ[trueOff + i]);
                    float ut = expf(-Math.abs(t));
                    float trueLoss = Math.max(-t, 0f) + log1pf(ut);
                    float gt = -(t >= 0f ? ut : 1f) / (1f + ut) * scale;
                    int go = logitsOff + i * s;
                    java.util.Arrays.fill(lanes, 0f);
                    for (int k = 0; k < s; k++) {
                        float x = logits[go + k] + sb[k];
                        float gk = 0f;
                        if (!(removeHits && sampled[sampledOff + k] == lab)) {
                            float u = expf(-Math.abs(x));
                            lanes[k & 31] += Math.max(x, 0f) + log1pf(u);
                            gk = (x >= 0f ? 1f : u) / (1f + u) * scale;
                        }
                        logits[go + k] = gk;
                        part[w * s + k] += gk;
                    }
                    rowLoss[rowLossOff + i] = trueLoss + warpSum(lanes);
                    dTrue[dTrueOff + i] = gt;
                    int dvo = dVinOff + i * d;
                    for (int j = 0; j < d; j++) dVin[dvo + j] = gt * theta[to + j];
                }
            }
            for (int k = 0; k < s; k++) {
                float c = 0f;
                for (int w = 0; w < WARPS; w++) c += part[w * s + k];
                colPart[colPartOff + b * s + k] = c;
            }
        }
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
        for (int i = 0; i < n; i++) {
            float gt = dTrue[dTrueOff + i];
            int ge = gEOff + inputs[inputsOff + i] * d;
            int lab = labels[labelsOff + i];
            int gth = gThetaOff + lab * d;
            int ro = i * d;
            for (int j = 0; j < d; j++) {
                gE[ge + j] += dVin[dVinOff + ro + j];
                gTheta[gth + j] += gt * vin[vinOff + ro + j];
            }
            gBias[gBiasOff + lab] += gt;
        }
        float[] lanes = new float[32];
        for (int k = 0; k < s; k++) {
            int c = sampled[sampledOff + k];
            int gth = gThetaOff + c * d;
            for (int j = 0; j < d; j++) gTheta[gth + j] += dThetaS[dThetaSOff + k * d + j];
            java.util.Arrays.fill(lanes, 0f);
            for (int b = 0; b < parts; b++) lanes[b & 31] += colPart[colPartOff + b * s + k];
            gBias[gBiasOff + c] += warpSum(lanes);
        }
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
     * Twin of the whole device batch ({@code DeviceNceStep.step}), composing the kernel twins in
     * its order: nce_true_logq; gathers Vin = E[inputs], ThetaS = theta[sampled]; Ls = Vin
     * ThetaS^T; nce_loss_grad; dVin += dL ThetaS; dThetaS = dL^T Vin; nce_scatter;
     * nce_loss_sum. The products sum over their inner index in ascending order (cuBLAS's order
     * is its own). Returns the batch loss (NceLoss.forwardBackward's return; 0 for n = 0) and
     * adds the gradients to gE, gTheta and gBias. {@code sampledLogQ[k]} = (float) log of the
     * expected count of sampled[k], as GlobalEncoder makes it.
     */
    public static double step(int d, float[] e, int eOff, float[] gE, int gEOff, float[] theta, int thetaOff,
                              float[] gTheta, int gThetaOff, float[] bias, int biasOff, float[] gBias, int gBiasOff,
                              int[] inputs, int[] labels, int n, int[] sampled, float[] sampledLogQ, int s,
                              int numTries, int[] rankOfItem, double logRange, boolean removeHits) {
        if (n == 0) return 0.0;
        checkLimits(n, s, d);
        float[] trueLogQ = new float[n];
        nceTrueLogq(labels, 0, rankOfItem, 0, n, s, numTries, logRange, trueLogQ, 0);
        float[] vin = new float[n * d], thetaS = new float[s * d];
        gather(vin, e, eOff, inputs, n, d);
        gather(thetaS, theta, thetaOff, sampled, s, d);
        float[] logits = new float[n * s];
        // the three products as DeviceNceStep's cuBLAS calls (column-major views of the row-major arrays)
        Blas.sgemm(true, false, s, n, d, 1f, thetaS, 0, d, vin, 0, d, 0f, logits, 0, s);
        float[] rowLoss = new float[n], dTrue = new float[n], dVin = new float[n * d];
        int parts = parts(n);
        float[] colPart = new float[parts * s];
        nceLossGrad(logits, 0, vin, 0, theta, thetaOff, bias, biasOff, labels, 0, sampled, 0, sampledLogQ, 0, trueLogQ, 0,
                n, s, d, removeHits, 1.0f / n, rowLoss, 0, dTrue, 0, dVin, 0, colPart, 0);
        Blas.sgemm(false, false, d, n, s, 1f, thetaS, 0, d, logits, 0, s, 1f, dVin, 0, d);
        float[] dThetaS = new float[s * d];
        Blas.sgemm(false, true, d, s, n, 1f, vin, 0, d, logits, 0, s, 0f, dThetaS, 0, d);
        nceScatter(gE, gEOff, gTheta, gThetaOff, gBias, gBiasOff, vin, 0, dVin, 0, dTrue, 0, inputs, 0, labels, 0,
                n, dThetaS, 0, colPart, 0, parts, sampled, 0, s, d);
        return nceLossSum(rowLoss, 0, n);
    }

    /** out (rows, d) = table[off + idx[r] * d ...] (twin of embedding_gather at an offset). */
    private static void gather(float[] out, float[] table, int off, int[] idx, int rows, int d) {
        for (int r = 0; r < rows; r++) System.arraycopy(table, off + idx[r] * d, out, r * d, d);
    }

    /** The warp butterfly of nce_warp_sum: lane 0's value after x += x[lane ^ o], o = 16, 8, 4, 2, 1. */
    static float warpSum(float[] lanes) {
        float[] x = lanes.clone();
        float[] y = new float[32];
        for (int o = 16; o > 0; o >>= 1) {
            for (int l = 0; l < 32; l++) y[l] = x[l] + x[l ^ o];
            float[] tmp = x;
            x = y;
            y = tmp;
        }
        return x[0];
    }

    /** expf modelled as the float rounding of the double exp. */
    static float expf(float x) {
        return (float) Math.exp(x);
    }

    static float log1pf(float x) {
        return (float) Math.log1p(x);
    }

    private static void checkLimits(int n, int s, int d) {
        if (n < 1 || s < 1 || d < 1) throw new IllegalArgumentException("N, S, d must be >= 1: " + n + ", " + s + ", " + d);
        if (d > MAX_D) throw new IllegalArgumentException("d = " + d + " exceeds NCE_MAX_D = " + MAX_D);
        if (s > MAX_S) throw new IllegalArgumentException("S = " + s + " exceeds NCE_MAX_S = " + MAX_S);
    }
}
