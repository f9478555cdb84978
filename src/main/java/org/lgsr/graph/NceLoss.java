package org.lgsr.graph;

import org.lgsr.model.cpu.Simd;
import org.lgsr.util.Parallel;

/**
 * Forward and backward of the global module's loss on one batch (MODEL.md 3.4, paper eq. 5):
 * TF's {@code nce_loss} with sampled classes shared by the whole batch, in float, the CPU twin
 * of the CUDA kernel of the same name. {@link NceLossReference} is the same computation in
 * double, written for clarity, that the tests check against finite differences.
 *
 * <p>Shapes: {@code E} is (numItems, d) at {@code eOff} in the caller's array, {@code theta}
 * (numItems, d), {@code bias} (numItems); {@code inputs}, {@code labels} are (n) item ids,
 * {@code sampled} (S) item ids. With {@code v_i = E[inputs[i]]}:
 * <pre>
 *   t_i    = v_i . theta[labels[i]] + bias[labels[i]] - trueLogQ[i]
 *   s_ik   = v_i . theta[sampled[k]] + bias[sampled[k]] - sampledLogQ[k]
 *            (pair (i, k) removed when removeAccidentalHits and sampled[k] == labels[i])
 *   loss_i = xent(t_i, 1) + sum_k xent(s_ik, 0),  xent(x, z) = max(x,0) - x z + log(1 + e^-|x|)
 *   loss   = mean_i loss_i
 * </pre>
 * Gradients of {@code loss} are <em>added</em> to {@code eGrad} (layout of E, at
 * {@code eGradOff}), {@code thetaGrad} and {@code biasGrad}.
 *
 * <p>Where the Vector API is usable ({@code Simd.available()}, d and S at least one vector) and
 * the system property {@link #VECTOR_PROPERTY} is not {@code false}, the body runs in
 * {@link NceLossVec}: the three products through the register-blocked gemm and one fused pass
 * of vector exp / log1p / sigmoid over the (n, S) logits. It matches the double reference to
 * about 1e-6 (NceLossTest prints the measured errors; the tests allow 1e-5 relative for the
 * loss and 1e-5 of the table's largest element for each gradient), and like the loops below
 * it does not depend on the thread count. The rest of this comment describes the scalar
 * loops, kept as the fallback.
 *
 * <p>Work split (results independent of the thread count): logits and input gradients by
 * blocks of rows (logits four rows at a time); the sampled rows' gradients, transposed, by
 * blocks of the d columns, each summing over rows in order; scatters into the gradient
 * tables serial. The (n, S) matrix of logit
 * gradients is kept (n * S floats of scratch); inner loops are axpy's over d or S, which the
 * JIT vectorizes.
 */
public final class NceLoss implements AutoCloseable {
    private static final int ROWS_PER_TASK = 64;
    private static final int J_PER_TASK = 10;
    /**
     * System property read at construction: {@code false} keeps the scalar loops even where the
     * Vector API is usable (for comparisons; the scalar loops are also the fallback).
     */
    public static final String VECTOR_PROPERTY = "lgsr.nce.vector";

    private final int d;
    private final int maxRows;
    private final int maxSampled;
    private final Parallel par;
    private final float[] w;       // (S, d) sampled theta rows
    private final float[] wt;      // (d, S) the same, transposed
    private final float[] sb;      // (S) sampled bias - log Q
    private final float[] g;       // (n, S) d loss / d s_ik
    private final float[] gTrue;   // (n) d loss / d t_i
    private final float[] dv;      // (n, d) d loss / d v_i
    private final float[] dw;      // (S, d)
    private final float[] dwt;     // (d, S) dw transposed
    private final float[] dsb;     // (S)
    private final double[] rowLoss;
    private final float[] v;       // (n, d) gathered input rows (vector path)
    private final boolean vector;

    public NceLoss(int d, int maxRows, int maxSampled, int threads) {
        this.d = d;
        this.maxRows = maxRows;
        this.maxSampled = maxSampled;
        this.par = new Parallel(threads);
        this.w = new float[maxSampled * d];
        this.wt = new float[maxSampled * d];
        this.sb = new float[maxSampled];
        this.g = new float[maxRows * maxSampled];
        this.gTrue = new float[maxRows];
        this.dv = new float[maxRows * d];
        this.dw = new float[maxSampled * d];
        this.dwt = new float[maxSampled * d];
        this.dsb = new float[maxSampled];
        this.rowLoss = new double[maxRows];
        this.vector = Simd.available() && d >= Simd.lanes()
                && !"false".equalsIgnoreCase(System.getProperty(VECTOR_PROPERTY, "true"));
        this.v = vector ? new float[maxRows * d] : new float[0];
    }

    /** Whether the Vector API body ({@link NceLossVec}) runs (when S is at least one vector too). */
    public boolean vectorized() {
        return vector;
    }

    /** Returns the batch loss; see the class comment. */
    public double forwardBackward(float[] e, int eOff, float[] theta, float[] bias,
                                  int[] inputs, int[] labels, float[] trueLogQ, int n,
                                  int[] sampled, float[] sampledLogQ, int s, boolean removeAccidentalHits,
                                  float[] eGrad, int eGradOff, float[] thetaGrad, float[] biasGrad) {
        if (n > maxRows || s > maxSampled) {
            throw new IllegalArgumentException("batch " + n + " x " + s + " exceeds " + maxRows + " x " + maxSampled);
        }
        if (n == 0) return 0.0;
        final int dd = d;
        for (int k = 0; k < s; k++) {
            int row = sampled[k] * dd;
            System.arraycopy(theta, row, w, k * dd, dd);
            for (int j = 0; j < dd; j++) wt[j * s + k] = theta[row + j];
            sb[k] = bias[sampled[k]] - sampledLogQ[k];
        }
        if (vector && s >= Simd.lanes()) {
            NceLossVec.run(dd, e, eOff, theta, bias, inputs, labels, trueLogQ, n, sampled, s, removeAccidentalHits,
                    v, w, wt, sb, g, gTrue, dv, dwt, dsb, rowLoss, par);
        } else {
            scalarBody(e, eOff, theta, bias, inputs, labels, trueLogQ, n, sampled, s, removeAccidentalHits);
        }
        for (int j = 0; j < dd; j++) {
            for (int k = 0; k < s; k++) dw[k * dd + j] = dwt[j * s + k];
        }
        for (int k = 0; k < s; k++) {
            int row = sampled[k] * dd;
            int wo = k * dd;
            for (int j = 0; j < dd; j++) thetaGrad[row + j] += dw[wo + j];
            biasGrad[sampled[k]] += dsb[k];
        }
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += rowLoss[i];
            int vo = eOff + inputs[i] * dd;
            int lo = labels[i] * dd;
            float gt = gTrue[i];
            for (int j = 0; j < dd; j++) thetaGrad[lo + j] += gt * e[vo + j];
            biasGrad[labels[i]] += gt;
            int go = eGradOff + inputs[i] * dd;
            int dvo = i * dd;
            for (int j = 0; j < dd; j++) eGrad[go + j] += dv[dvo + j];
        }
        return total / n;
    }

    /** The scalar loops (fallback and comparison): g, gTrue, dv, dwt, dsb and rowLoss. */
    private void scalarBody(float[] e, int eOff, float[] theta, float[] bias, int[] inputs, int[] labels,
                            float[] trueLogQ, int n, int[] sampled, int s, boolean removeAccidentalHits) {
        final int dd = d;
        final float invN = 1.0f / n;
        // rows: logits, loss, logit gradients, input gradients
        par.forEach((n + ROWS_PER_TASK - 1) / ROWS_PER_TASK, task -> {
            int to = Math.min(n, (task + 1) * ROWS_PER_TASK);
            for (int i = task * ROWS_PER_TASK; i < to; i++) {
                int vo = eOff + inputs[i] * dd;
                int lab = labels[i];
                int to_ = lab * dd;
                int go = i * s;
                int blockBase = task * ROWS_PER_TASK + ((i - task * ROWS_PER_TASK) & ~3);
                if (blockBase + 4 <= to) {
                    if (i == blockBase) logits4(e, eOff, inputs, i, s, dd); // rows i..i+3
                } else {
                    System.arraycopy(sb, 0, g, go, s);
                    for (int j = 0; j < dd; j++) {
                        float a = e[vo + j];
                        int wo = j * s;
                        for (int k = 0; k < s; k++) g[go + k] += a * wt[wo + k];
                    }
                }
                float t = bias[lab] - trueLogQ[i];
                for (int j = 0; j < dd; j++) t += e[vo + j] * theta[to_ + j];
                double et = Math.exp(-Math.abs(t));
                double loss = Math.max(-t, 0) + Math.log(1.0 + et);
                float gt = (float) (((t >= 0 ? 1.0 : et) / (1.0 + et)) - 1.0) * invN;
                gTrue[i] = gt;
                for (int k = 0; k < s; k++) {
                    float x = g[go + k];
                    if (removeAccidentalHits && sampled[k] == lab) {
                        g[go + k] = 0f;
                    } else {
                        // xent(x, 0) and sigmoid(x) from one exp
                        double ex = Math.exp(-Math.abs(x));
                        double q = 1.0 + ex;
                        loss += Math.max(x, 0) + Math.log(q);
                        g[go + k] = (float) ((x >= 0 ? 1.0 : ex) / q) * invN;
                    }
                }
                rowLoss[i] = loss;
                int dvo = i * dd;
                for (int j = 0; j < dd; j++) dv[dvo + j] = gt * theta[to_ + j];
                for (int k = 0; k < s; k++) {
                    float a = g[go + k];
                    int wo = k * dd;
                    for (int j = 0; j < dd; j++) dv[dvo + j] += a * w[wo + j];
                }
            }
        });
        // sampled classes: dW[k][j] = sum_i g_ik v_i[j], in row order, computed transposed
        // (dwt[j][k]) so the inner loop runs over the S classes; task = a block of j, and
        // task "dd" the bias sums
        par.forEach((dd + J_PER_TASK - 1) / J_PER_TASK + 1, task -> {
            if (task == (dd + J_PER_TASK - 1) / J_PER_TASK) {
                java.util.Arrays.fill(dsb, 0, s, 0f);
                for (int i = 0; i < n; i++) {
                    int go = i * s;
                    for (int k = 0; k < s; k++) dsb[k] += g[go + k];
                }
                return;
            }
            int j0 = task * J_PER_TASK;
            int j1 = Math.min(dd, j0 + J_PER_TASK);
            java.util.Arrays.fill(dwt, j0 * s, j1 * s, 0f);
            for (int i = 0; i < n; i++) {
                int vo = eOff + inputs[i] * dd;
                int go = i * s;
                for (int j = j0; j < j1; j++) {
                    float a = e[vo + j];
                    int wo = j * s;
                    for (int k = 0; k < s; k++) dwt[wo + k] += a * g[go + k];
                }
            }
        });
    }

    /**
     * Sampled logits of rows {@code i..i+3} at once, sharing each load of {@code wt}; every
     * logit is summed in the same order (j ascending) as the one-row loop.
     */
    private void logits4(float[] e, int eOff, int[] inputs, int i, int s, int dd) {
        int g0 = i * s;
        int g1 = g0 + s;
        int g2 = g1 + s;
        int g3 = g2 + s;
        int v0 = eOff + inputs[i] * dd;
        int v1 = eOff + inputs[i + 1] * dd;
        int v2 = eOff + inputs[i + 2] * dd;
        int v3 = eOff + inputs[i + 3] * dd;
        float[] acc = g;
        for (int k = 0; k < s; k++) {
            float b = sb[k];
            acc[g0 + k] = b;
            acc[g1 + k] = b;
            acc[g2 + k] = b;
            acc[g3 + k] = b;
        }
        for (int j = 0; j < dd; j++) {
            float a0 = e[v0 + j];
            float a1 = e[v1 + j];
            float a2 = e[v2 + j];
            float a3 = e[v3 + j];
            int wo = j * s;
            for (int k = 0; k < s; k++) {
                float w = wt[wo + k];
                acc[g0 + k] += a0 * w;
                acc[g1 + k] += a1 * w;
                acc[g2 + k] += a2 * w;
                acc[g3 + k] += a3 * w;
            }
        }
    }

    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    /** TF's sigmoid_cross_entropy_with_logits, stable form. */
    static double xent(double x, double z) {
        return Math.max(x, 0) - x * z + Math.log1p(Math.exp(-Math.abs(x)));
    }

    @Override
    public void close() {
        par.close();
    }
}
