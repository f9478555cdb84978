package org.lgsr.model.cpu;

import org.lgsr.util.Parallel;

import java.util.Arrays;
import org.lgsr.model.Batch;
import org.lgsr.model.DropoutMasks;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.ParamLayout;
import org.lgsr.model.Parameters;
import org.lgsr.model.ReferenceModel;
import org.lgsr.model.Variant;

/**
 * The float CPU engine of the recommendation module: the same computation as
 * {@link ReferenceModel} (read that class for the equations), batched, with preallocated
 * activations and llm.c-style forward/backward pairs.
 *
 * <p>Activations kept for the backward pass (T = maxLen, rows left-aligned, only the first
 * {@code len[b]} slots of a row are computed; the rest are never read):
 * <pre>
 *   X, Q, K, V          (B, T, d)   X = dropout(E[v] + P[pos])
 *   A                   (B, T, T)   attention softmax before dropout
 *   S, xh1 / rs1        (B, T, d) / (B, T)   LN1 output, normalized input / 1/std
 *   H1pre, H1           (B, T, d)   S W1 + b1, dropout(ReLU(H1pre))
 *   F, xh2 / rs2        (B, T, d) / (B, T)   LN2 output ...
 *   G, alpha            (B, T, d), (B, T)    F Wa2 + f_t Wa1, aggregation weights (LGSR-C)
 *   cat, catD           (B, c)      [f_t ; s_l] and its dropout
 *   sf                  (B, d)      session embedding
 *   z                   (B, n)      logits, then probabilities, then dLoss/dz
 *   ET, dET             (d, n)      E transposed and the score part of dE transposed
 * </pre>
 * Rows of the batch are split into {@link #CHUNKS} fixed chunks; each chunk accumulates its
 * weight gradients in its own buffer and the chunks are summed in order, and the sparse
 * gradients of E and P are scattered serially: the result is bit-identical for any thread
 * count.
 */
public final class CpuModel implements AutoCloseable {
    public static final int CHUNKS = 16;
    /** Phase indices of {@link #times} (nanoseconds, accumulated). */
    public static final int T_FORWARD = 0, T_SCORES = 1, T_SOFTMAX = 2, T_SCORES_BACKWARD = 3, T_BACKWARD = 4;
    public static final String[] PHASES = {"forward", "scores", "softmax", "scoresBackward", "backward"};

    private final ModelConfig cfg;
    private final ParamLayout L;
    private final int d, T, n, cd, cap;
    private final boolean aggregate;
    private final Parallel par;
    public final long[] times = new long[PHASES.length];
    /** Nanoseconds of the last step's scores and softmax phases. */
    private final long[] scoreNs = new long[2];

    private final float[] X, Q, K, V, A, S, xh1, rs1, H1pre, H1, F, xh2, rs2, G, alpha, cat, catD, sf, dsf, dX;
    /** Scalar path: logits (B, n) and E transposed / its gradient (d, n); allocated on first use. */
    private float[] z, et, det;
    /** Vector path ({@link VecKernels}): E in item panels, and the fused step's buffers (first use). */
    private final boolean simd;
    private float[] etp;
    private Object step;
    /** Transposed weights (out, in) for the backward products dx = dy W^T. */
    private final float[] WqT, WkT, WvT, W1T, W2T, Wa1T, Wa2T, W3T;
    private final float[][] chunkGrad;
    private final Scratch[] scratch;
    private boolean etFresh;

    private final class Scratch {
        final float[] r = new float[T * d], dF = new float[T * d], dR2 = new float[T * d], dH = new float[T * d], dS = new float[T * d];
        final float[] dQ = new float[T * d], dK = new float[T * d], dV = new float[T * d], dG = new float[T * d];
        final float[] u = new float[d], du = new float[d], dcat = new float[cd], e = new float[T], dalpha = new float[T], dA = new float[T];
    }

    public CpuModel(ModelConfig cfg, int capacity, int threads) {
        this(cfg, capacity, threads, true);
    }

    /**
     * An engine for batches of up to {@code capacity} rows on {@code threads} threads; with
     * {@code simd} false it never uses the Vector API kernels (otherwise it does where
     * {@link Simd#available()} and the width is at least one vector).
     */
    public CpuModel(ModelConfig cfg, int capacity, int threads, boolean simd) {
        this.cfg = cfg;
        this.L = new ParamLayout(cfg);
        this.d = cfg.dim();
        this.T = cfg.maxLen();
        this.n = cfg.numItems();
        this.cd = cfg.variant().catDim(d);
        this.cap = capacity;
        this.aggregate = cfg.variant() == Variant.LGSR_C;
        this.par = new Parallel(threads);
        int btd = capacity * T * d;
        X = new float[btd];
        Q = new float[btd];
        K = new float[btd];
        V = new float[btd];
        A = new float[capacity * T * T];
        S = new float[btd];
        xh1 = new float[btd];
        rs1 = new float[capacity * T];
        H1pre = new float[btd];
        H1 = new float[btd];
        F = new float[btd];
        xh2 = new float[btd];
        rs2 = new float[capacity * T];
        G = new float[aggregate ? btd : 0];
        alpha = new float[capacity * T];
        cat = new float[capacity * cd];
        catD = new float[capacity * cd];
        sf = new float[capacity * d];
        dsf = new float[capacity * d];
        dX = new float[btd];
        this.simd = simd && Simd.available() && d >= Simd.lanes();
        WqT = new float[d * d];
        WkT = new float[d * d];
        WvT = new float[d * d];
        W1T = new float[d * d];
        W2T = new float[d * d];
        Wa1T = new float[aggregate ? d * d : 0];
        Wa2T = new float[aggregate ? d * d : 0];
        W3T = new float[cd * d];
        chunkGrad = new float[CHUNKS][L.total() - L.denseStart()];
        scratch = new Scratch[CHUNKS];
        for (int c = 0; c < CHUNKS; c++) scratch[c] = new Scratch();
    }

    public ModelConfig config() {
        return cfg;
    }

    public ParamLayout layout() {
        return L;
    }

    /** Whether this engine runs the Vector API kernels. */
    public boolean usesSimd() {
        return simd;
    }

    /** Session embeddings s_f of the last batch, (B, d). */
    public float[] sessionEmbeddings() {
        return sf;
    }

    // ------------------------------------------------------------------ small dense kernels

    /** y (rows, out) = x (rows, in) W (in, out) [+ bias]. */
    private void matmul(float[] x, int xo, int rows, int in, float[] w, int wo, int out, float[] bias, int bo, float[] y, int yo) {
        matmul(simd, x, xo, rows, in, w, wo, out, bias, bo, y, yo);
    }

    /** y (rows, out) = x (rows, in) W (in, out) [+ bias], with the Vector API kernel when {@code simd} and out fills a vector. */
    static void matmul(boolean simd, float[] x, int xo, int rows, int in, float[] w, int wo, int out, float[] bias, int bo, float[] y, int yo) {
        if (simd && out >= Simd.lanes()) VecKernels.gemm(rows, in, out, x, xo, in, 1, w, wo, out, y, yo, out, bias == null ? 0 : 1, bias, bo);
        else scalarMatmul(x, xo, rows, in, w, wo, out, bias, bo, y, yo);
    }

    /** y (rows, out) += x (rows, in) W (in, out). */
    private void matmulAdd(float[] x, int xo, int rows, int in, float[] w, int wo, int out, float[] y, int yo) {
        matmulAdd(simd, x, xo, rows, in, w, wo, out, y, yo);
    }

    /** y (rows, out) += x (rows, in) W (in, out), with the Vector API kernel when {@code simd} and out fills a vector. */
    static void matmulAdd(boolean simd, float[] x, int xo, int rows, int in, float[] w, int wo, int out, float[] y, int yo) {
        if (simd && out >= Simd.lanes()) VecKernels.gemm(rows, in, out, x, xo, in, 1, w, wo, out, y, yo, out, 2, null, 0);
        else scalarMatmulAdd(x, xo, rows, in, w, wo, out, y, yo);
    }

    /** dW (in, out) += x^T (in, rows) dy (rows, out). */
    private void outerAdd(float[] x, int xo, int rows, int in, float[] dy, int dyo, int out, float[] dw, int dwo) {
        outerAdd(simd, x, xo, rows, in, dy, dyo, out, dw, dwo);
    }

    /** dW (in, out) += x^T (in, rows) dy (rows, out), with the Vector API kernel when {@code simd} and out fills a vector. */
    static void outerAdd(boolean simd, float[] x, int xo, int rows, int in, float[] dy, int dyo, int out, float[] dw, int dwo) {
        if (simd && out >= Simd.lanes()) VecKernels.gemm(in, rows, out, x, xo, 1, in, dy, dyo, out, dw, dwo, out, 2, null, 0);
        else scalarOuterAdd(x, xo, rows, in, dy, dyo, out, dw, dwo);
    }

    /** y (rows, out) = x (rows, in) W (in, out) [+ bias]; inner loop over out. */
    static void scalarMatmul(float[] x, int xo, int rows, int in, float[] w, int wo, int out, float[] bias, int bo, float[] y, int yo) {
        for (int r = 0; r < rows; r++) {
            int yr = yo + r * out;
            if (bias == null) Arrays.fill(y, yr, yr + out, 0f);
            else System.arraycopy(bias, bo, y, yr, out);
        }
        scalarMatmulAdd(x, xo, rows, in, w, wo, out, y, yo);
    }

    /** y (rows, out) += x (rows, in) W (in, out). */
    static void scalarMatmulAdd(float[] x, int xo, int rows, int in, float[] w, int wo, int out, float[] y, int yo) {
        for (int r = 0; r < rows; r++) {
            int yr = yo + r * out;
            for (int k = 0; k < in; k++) {
                float a = x[xo + r * in + k];
                int wr = wo + k * out;
                for (int c = 0; c < out; c++) y[yr + c] += a * w[wr + c];
            }
        }
    }

    /** dW (in, out) += x^T (in, rows) dy (rows, out). */
    static void scalarOuterAdd(float[] x, int xo, int rows, int in, float[] dy, int dyo, int out, float[] dw, int dwo) {
        for (int r = 0; r < rows; r++) {
            int dr = dyo + r * out;
            for (int k = 0; k < in; k++) {
                float a = x[xo + r * in + k];
                int wr = dwo + k * out;
                for (int c = 0; c < out; c++) dw[wr + c] += a * dy[dr + c];
            }
        }
    }

    private static void transposeSmall(float[] w, int wo, int rows, int cols, float[] dst) {
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) dst[c * rows + r] = w[wo + r * cols + c];
    }

    /** LayerNorm of rows of x at xo into y and xh at yo: y = gamma * xhat + beta; saves rstd. */
    private void layerNormForward(float[] x, int xo, int rows, float[] w, int go, int beo, float[] y, float[] xh, int yo, float[] rs, int ro) {
        for (int r = 0; r < rows; r++) {
            int o = xo + r * d, oy = yo + r * d;
            float mean = 0;
            for (int c = 0; c < d; c++) mean += x[o + c];
            mean /= d;
            float var = 0;
            for (int c = 0; c < d; c++) {
                float t = x[o + c] - mean;
                var += t * t;
            }
            var /= d;
            float rstd = (float) (1.0 / Math.sqrt(var + ReferenceModel.LN_EPS));
            rs[ro + r] = rstd;
            for (int c = 0; c < d; c++) {
                float h = (x[o + c] - mean) * rstd;
                xh[oy + c] = h;
                y[oy + c] = w[go + c] * h + w[beo + c];
            }
        }
    }

    /** LayerNorm backward: dx (overwritten, offset 0) from dy (offset 0); accumulates dgamma, dbeta. */
    private void layerNormBackward(float[] dy, int rows, float[] xh, int xo, float[] rs, int ro, float[] w, int go, float[] gr, int ggo, int gbo, float[] dx) {
        for (int r = 0; r < rows; r++) {
            int o = r * d, h = xo + r * d;
            float m1 = 0, m2 = 0;
            for (int c = 0; c < d; c++) {
                float g = dy[o + c];
                gr[ggo + c] += g * xh[h + c];
                gr[gbo + c] += g;
                float dxh = g * w[go + c];
                m1 += dxh;
                m2 += dxh * xh[h + c];
            }
            m1 /= d;
            m2 /= d;
            float rstd = rs[ro + r];
            for (int c = 0; c < d; c++) dx[o + c] = rstd * (dy[o + c] * w[go + c] - m1 - xh[h + c] * m2);
        }
    }

    private float hs(float x) {
        if (cfg.hardSigmoid()) return Math.max(0f, Math.min(1f, 0.2f * x + 0.5f));
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    private float hsPrime(float x) {
        if (cfg.hardSigmoid()) {
            float y = 0.2f * x + 0.5f;
            return y > 0f && y < 1f ? 0.2f : 0f;
        }
        float s = (float) (1.0 / (1.0 + Math.exp(-x)));
        return s * (1 - s);
    }

    // ------------------------------------------------------------------ encoder (per row)

    /** Forward of row b up to s_f (eq. numbers: MODEL.md 2.3-2.7). mk null: dropout off. */
    private void encodeForward(float[] w, Batch bt, DropoutMasks mk, int b, Scratch sc) {
        final int t = bt.len[b];
        final int base = b * T * d;
        final float inv = (float) (1.0 / Math.sqrt(d));
        // X = dropout(E[v] + P[pos])                                     (t, d)
        for (int i = 0; i < t; i++) {
            int eo = L.E.offset() + bt.items[b * T + i] * d, po = L.P.offset() + bt.pos[b * T + i] * d, o = base + i * d;
            if (mk == null) for (int c = 0; c < d; c++) X[o + c] = w[eo + c] + w[po + c];
            else for (int c = 0; c < d; c++) X[o + c] = (w[eo + c] + w[po + c]) * mk.x[o + c];
        }
        matmul(X, base, t, d, w, L.Wq.offset(), d, null, 0, Q, base);
        matmul(X, base, t, d, w, L.Wk.offset(), d, null, 0, K, base);
        matmul(X, base, t, d, w, L.Wv.offset(), d, null, 0, V, base);
        // A = causal softmax(Q K^T / sqrt(d)); r = dropout(A) V + X      (t, t), (t, d)
        float[] r = sc.r;
        for (int i = 0; i < t; i++) {
            int ao = (b * T + i) * T, qo = base + i * d;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) {
                int ko = base + j * d;
                float s = 0;
                for (int c = 0; c < d; c++) s += Q[qo + c] * K[ko + c];
                s *= inv;
                A[ao + j] = s;
                if (s > max) max = s;
            }
            float sum = 0;
            for (int j = 0; j <= i; j++) {
                float e = (float) Math.exp(A[ao + j] - max);
                A[ao + j] = e;
                sum += e;
            }
            System.arraycopy(X, qo, r, i * d, d);
            for (int j = 0; j <= i; j++) {
                A[ao + j] /= sum;
                float a = mk == null ? A[ao + j] : A[ao + j] * mk.attn[ao + j];
                int vo = base + j * d;
                for (int c = 0; c < d; c++) r[i * d + c] += a * V[vo + c];
            }
        }
        // S = LN1(r)
        layerNormForward(r, 0, t, w, L.ln1g.offset(), L.ln1b.offset(), S, xh1, base, rs1, b * T);
        // H1 = dropout(ReLU(S W1 + b1)); r = dropout(H1 W2 + b2) + S; F = LN2(r)
        matmul(S, base, t, d, w, L.W1.offset(), d, w, L.b1.offset(), H1pre, base);
        for (int i = 0; i < t * d; i++) {
            float h = Math.max(0f, H1pre[base + i]);
            H1[base + i] = mk == null ? h : h * mk.ff1[base + i];
        }
        matmul(H1, base, t, d, w, L.W2.offset(), d, w, L.b2.offset(), r, 0);
        for (int i = 0; i < t * d; i++) r[i] = (mk == null ? r[i] : r[i] * mk.ff2[base + i]) + S[base + i];
        layerNormForward(r, 0, t, w, L.ln2g.offset(), L.ln2b.offset(), F, xh2, base, rs2, b * T);
        // aggregation (LGSR-C) and s_f = dropout(cat) W3
        int ft = base + (t - 1) * d, co = b * cd;
        System.arraycopy(F, ft, cat, co, d);
        if (aggregate) {
            matmul(F, ft, 1, d, w, L.Wa1.offset(), d, null, 0, sc.u, 0);
            matmul(F, base, t, d, w, L.Wa2.offset(), d, null, 0, G, base);
            int qo = L.q.offset();
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < t; i++) {
                int o = base + i * d;
                float e = 0;
                for (int c = 0; c < d; c++) {
                    float g = G[o + c] + sc.u[c];
                    G[o + c] = g;
                    e += w[qo + c] * hs(g);
                }
                sc.e[i] = e;
                if (e > max) max = e;
            }
            float sum = 0;
            for (int i = 0; i < t; i++) {
                float e = (float) Math.exp(sc.e[i] - max);
                alpha[b * T + i] = e;
                sum += e;
            }
            for (int c = 0; c < d; c++) cat[co + d + c] = 0f;
            for (int i = 0; i < t; i++) {
                float a = alpha[b * T + i] / sum;
                alpha[b * T + i] = a;
                int o = base + i * d;
                for (int c = 0; c < d; c++) cat[co + d + c] += a * F[o + c];
            }
        }
        if (mk == null) System.arraycopy(cat, co, catD, co, cd);
        else for (int k = 0; k < cd; k++) catD[co + k] = cat[co + k] * mk.cat[co + k];
        matmul(catD, co, 1, cd, w, L.W3.offset(), d, null, 0, sf, b * d);
    }

    /**
     * Backward of row b from dsf[b]: accumulates weight gradients into gr (dense block, offsets
     * relative to {@link ParamLayout#denseStart()}) and leaves dLoss/dX (after its dropout) in dX.
     */
    private void encodeBackward(float[] w, Batch bt, DropoutMasks mk, int b, Scratch sc, float[] gr) {
        final int t = bt.len[b];
        final int base = b * T * d, co = b * cd, ft = base + (t - 1) * d;
        final int g0 = L.denseStart();
        final float inv = (float) (1.0 / Math.sqrt(d));
        // s_f = catD W3
        outerAdd(catD, co, 1, cd, dsf, b * d, d, gr, L.W3.offset() - g0);
        matmul(dsf, b * d, 1, d, W3T, 0, cd, null, 0, sc.dcat, 0);
        if (mk != null) for (int k = 0; k < cd; k++) sc.dcat[k] *= mk.cat[co + k];
        float[] dF = sc.dF;
        Arrays.fill(dF, 0, t * d, 0f);
        for (int c = 0; c < d; c++) dF[(t - 1) * d + c] = sc.dcat[c];
        if (aggregate) {
            // s_l = sum_i alpha_i F_i
            float dot = 0;
            for (int i = 0; i < t; i++) {
                float a = alpha[b * T + i], da = 0;
                int o = base + i * d;
                for (int c = 0; c < d; c++) {
                    dF[i * d + c] += a * sc.dcat[d + c];
                    da += F[o + c] * sc.dcat[d + c];
                }
                sc.dalpha[i] = da;
                dot += a * da;
            }
            // e_i = q . h(G_i), G_i = F_i Wa2 + u, u = f_t Wa1
            int qo = L.q.offset();
            float[] dG = sc.dG, du = sc.du;
            Arrays.fill(du, 0f);
            for (int i = 0; i < t; i++) {
                float de = alpha[b * T + i] * (sc.dalpha[i] - dot);
                int o = base + i * d;
                for (int c = 0; c < d; c++) {
                    float g = G[o + c];
                    gr[qo - g0 + c] += de * hs(g);
                    float v = de * w[qo + c] * hsPrime(g);
                    dG[i * d + c] = v;
                    du[c] += v;
                }
            }
            outerAdd(F, base, t, d, dG, 0, d, gr, L.Wa2.offset() - g0);
            matmulAdd(dG, 0, t, d, Wa2T, 0, d, dF, 0);
            outerAdd(F, ft, 1, d, du, 0, d, gr, L.Wa1.offset() - g0);
            matmulAdd(du, 0, 1, d, Wa1T, 0, d, dF, (t - 1) * d);
        }
        // F = LN2(R2): dR2
        float[] dR2 = sc.dR2;
        layerNormBackward(dF, t, xh2, base, rs2, b * T, w, L.ln2g.offset(), gr, L.ln2g.offset() - g0, L.ln2b.offset() - g0, dR2);
        // R2 = dropout(H1 W2 + b2) + S
        float[] dH = sc.dH;
        for (int i = 0; i < t * d; i++) dH[i] = mk == null ? dR2[i] : dR2[i] * mk.ff2[base + i];
        outerAdd(H1, base, t, d, dH, 0, d, gr, L.W2.offset() - g0);
        for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) gr[L.b2.offset() - g0 + c] += dH[i * d + c];
        float[] dS = sc.dS;
        matmul(dH, 0, t, d, W2T, 0, d, null, 0, dS, 0); // dS holds dH1 for now
        // H1 = dropout(ReLU(S W1 + b1))
        for (int i = 0; i < t * d; i++) {
            float g = H1pre[base + i] > 0f ? dS[i] : 0f;
            dH[i] = mk == null ? g : g * mk.ff1[base + i];
        }
        outerAdd(S, base, t, d, dH, 0, d, gr, L.W1.offset() - g0);
        for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) gr[L.b1.offset() - g0 + c] += dH[i * d + c];
        System.arraycopy(dR2, 0, dS, 0, t * d);
        matmulAdd(dH, 0, t, d, W1T, 0, d, dS, 0);
        // S = LN1(R1): dR1 (in dR2's buffer)
        float[] dR1 = sc.dR2;
        layerNormBackward(dS, t, xh1, base, rs1, b * T, w, L.ln1g.offset(), gr, L.ln1g.offset() - g0, L.ln1b.offset() - g0, dR1);
        // R1 = dropout(A) V + X
        float[] dQ = sc.dQ, dK = sc.dK, dV = sc.dV, dA = sc.dA;
        Arrays.fill(dQ, 0, t * d, 0f);
        Arrays.fill(dK, 0, t * d, 0f);
        Arrays.fill(dV, 0, t * d, 0f);
        for (int i = 0; i < t; i++) {
            int ao = (b * T + i) * T;
            float dot = 0;
            for (int j = 0; j <= i; j++) {
                int vo = base + j * d;
                float a = mk == null ? A[ao + j] : A[ao + j] * mk.attn[ao + j];
                float s = 0;
                for (int c = 0; c < d; c++) {
                    s += dR1[i * d + c] * V[vo + c];
                    dV[j * d + c] += a * dR1[i * d + c];
                }
                if (mk != null) s *= mk.attn[ao + j];
                dA[j] = s;
                dot += s * A[ao + j];
            }
            for (int j = 0; j <= i; j++) {
                float ds = A[ao + j] * (dA[j] - dot) * inv;
                int ko = base + j * d, qo = base + i * d;
                for (int c = 0; c < d; c++) {
                    dQ[i * d + c] += ds * K[ko + c];
                    dK[j * d + c] += ds * Q[qo + c];
                }
            }
        }
        // Q, K, V = X Wq, X Wk, X Wv; dX = dR1 + dQ Wq^T + dK Wk^T + dV Wv^T, then X's dropout
        outerAdd(X, base, t, d, dQ, 0, d, gr, L.Wq.offset() - g0);
        outerAdd(X, base, t, d, dK, 0, d, gr, L.Wk.offset() - g0);
        outerAdd(X, base, t, d, dV, 0, d, gr, L.Wv.offset() - g0);
        System.arraycopy(dR1, 0, dX, base, t * d);
        matmulAdd(dQ, 0, t, d, WqT, 0, d, dX, base);
        matmulAdd(dK, 0, t, d, WkT, 0, d, dX, base);
        matmulAdd(dV, 0, t, d, WvT, 0, d, dX, base);
        if (mk != null) for (int i = 0; i < t * d; i++) dX[base + i] *= mk.x[base + i];
    }

    // ------------------------------------------------------------------ whole batch

    private int chunkFrom(int c, int B) {
        return (int) ((long) c * B / CHUNKS);
    }

    /** Session embeddings s_f of the batch (dropout off when mk is null) into {@link #sessionEmbeddings()}. */
    public void encode(Parameters p, Batch bt, DropoutMasks mk) {
        if (bt.B > cap) throw new IllegalArgumentException("batch of " + bt.B + " exceeds capacity " + cap);
        final int B = bt.B;
        par.forEach(CHUNKS, c -> {
            for (int b = chunkFrom(c, B); b < chunkFrom(c + 1, B); b++) encodeForward(p.w, bt, mk, b, scratch[c]);
        });
    }

    /** Recomputes E transposed; call whenever E changed before {@link #scoreAll}. */
    public void refreshItemTable(Parameters p) {
        if (simd) {
            if (etp == null) etp = new float[VecKernels.panels(n) * VecKernels.P * d];
            VecKernels.pack(p.w, n, d, etp, par); // E is the first n*d floats of w
        } else {
            if (et == null) et = new float[d * n];
            ScoreKernels.transpose(p.w, n, d, et, par);
        }
        etFresh = true;
    }

    /** Scores z (B, n) of every item for the batch with dropout off, into out (column 0 = 0). */
    public void scoreAll(Parameters p, Batch bt, float[] out) {
        if (!etFresh) refreshItemTable(p);
        encode(p, bt, null);
        if (simd) VecKernels.scores(sf, bt.B, d, etp, n, out, par);
        else ScoreKernels.scores(sf, bt.B, d, et, n, out, par);
    }

    /**
     * One training step's forward and backward: returns the loss (mean cross-entropy + L2) and
     * overwrites {@code p.g} with its gradient. {@code mk} null means dropout off.
     */
    public double forwardBackward(Parameters p, Batch bt, DropoutMasks mk) {
        if (bt.B > cap) throw new IllegalArgumentException("batch of " + bt.B + " exceeds capacity " + cap);
        final int B = bt.B;
        final float[] w = p.w, g = p.g;
        long t0 = System.nanoTime();
        // E changes every step, so the transposed copy is rebuilt here
        refreshItemTable(p);
        etFresh = false;
        transposeSmall(w, L.Wq.offset(), d, d, WqT);
        transposeSmall(w, L.Wk.offset(), d, d, WkT);
        transposeSmall(w, L.Wv.offset(), d, d, WvT);
        transposeSmall(w, L.W1.offset(), d, d, W1T);
        transposeSmall(w, L.W2.offset(), d, d, W2T);
        if (aggregate) {
            transposeSmall(w, L.Wa1.offset(), d, d, Wa1T);
            transposeSmall(w, L.Wa2.offset(), d, d, Wa2T);
        }
        transposeSmall(w, L.W3.offset(), cd, d, W3T);
        encode(p, bt, mk);
        long t1 = System.nanoTime();
        // scores, softmax cross-entropy (z becomes dLoss/dz = (p - onehot) / B), both backward
        // products; the vector path fuses them into two passes over item panels and writes
        // the score part of dE straight into g[E]
        double loss;
        if (simd) {
            if (step == null) step = new VecKernels.Step(cap, d, n, CHUNKS);
            loss = VecKernels.scoreStep((VecKernels.Step) step, sf, B, w, etp, bt.target, g, dsf, par, scoreNs) / B;
        } else {
            loss = scalarScoreStep(B, bt, w);
        }
        long t2 = t1 + scoreNs[0], t3 = t2 + scoreNs[1];
        long t4 = System.nanoTime();
        par.forEach(CHUNKS, c -> {
            float[] gr = chunkGrad[c];
            Arrays.fill(gr, 0f);
            for (int b = chunkFrom(c, B); b < chunkFrom(c + 1, B); b++) encodeBackward(w, bt, mk, b, scratch[c], gr);
        });
        // dense block: sum the chunks in order
        int g0 = L.denseStart(), len = L.total() - g0;
        Arrays.fill(g, g0, g0 + len, 0f);
        for (int c = 0; c < CHUNKS; c++) {
            float[] gr = chunkGrad[c];
            for (int i = 0; i < len; i++) g[g0 + i] += gr[i];
        }
        // E: the score part (transposed back), then the serial scatter of dX into E and P
        if (!simd) ScoreKernels.transpose(det, d, n, g, par); // g[E] (n, d) = dET^T; E is at offset 0
        Arrays.fill(g, L.P.offset(), L.P.end(), 0f);
        for (int b = 0; b < B; b++) {
            for (int i = 0; i < bt.len[b]; i++) {
                int eo = L.E.offset() + bt.items[b * T + i] * d, po = L.P.offset() + bt.pos[b * T + i] * d, xo = (b * T + i) * d;
                for (int c = 0; c < d; c++) {
                    g[eo + c] += dX[xo + c];
                    g[po + c] += dX[xo + c];
                }
            }
        }
        // L2 over every parameter; rows 0 of E and P stay fixed at zero
        final float lam = cfg.lambda2();
        double l2 = 0;
        if (lam != 0f) {
            int total = L.total();
            int per = 1 << 16;
            double[] part = new double[(total + per - 1) / per];
            par.forEach(part.length, k -> {
                double s = 0;
                for (int i = k * per; i < Math.min(total, (k + 1) * per); i++) {
                    float v = w[i];
                    s += v * v;
                    g[i] += lam * v;
                }
                part[k] = s;
            });
            for (double s : part) l2 += s;
        }
        Arrays.fill(g, L.E.offset(), L.E.offset() + d, 0f);
        Arrays.fill(g, L.P.offset(), L.P.offset() + d, 0f);
        long t5 = System.nanoTime();
        times[T_FORWARD] += t1 - t0;
        times[T_SCORES] += t2 - t1;
        times[T_SOFTMAX] += t3 - t2;
        times[T_SCORES_BACKWARD] += t4 - t3;
        times[T_BACKWARD] += t5 - t4;
        return loss + 0.5 * lam * l2;
    }

    /** The scalar path's scores, softmax cross-entropy and backward products (phase times into scoreNs). */
    private double scalarScoreStep(int B, Batch bt, float[] w) {
        if (z == null) {
            z = new float[Math.multiplyExact(cap, n)];
            det = new float[d * n];
        }
        long t1 = System.nanoTime();
        ScoreKernels.scores(sf, B, d, et, n, z, par);
        long t2 = System.nanoTime();
        // softmax cross-entropy over items 1..n-1; z becomes dLoss/dz = (p - onehot) / B
        double[] rowLoss = new double[B];
        int rowsPerTask = Math.max(1, (B + 4 * par.threads() - 1) / (4 * par.threads()));
        par.forEach((B + rowsPerTask - 1) / rowsPerTask, task -> {
            for (int b = task * rowsPerTask; b < Math.min(B, (task + 1) * rowsPerTask); b++) {
                int o = b * n;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 1; j < n; j++) max = Math.max(max, z[o + j]);
                double sum = 0;
                float zt = z[o + bt.target[b]];
                for (int j = 1; j < n; j++) {
                    float e = (float) Math.exp(z[o + j] - max);
                    z[o + j] = e;
                    sum += e;
                }
                rowLoss[b] = Math.log(sum) + max - zt;
                float scale = (float) (1.0 / (sum * B));
                for (int j = 1; j < n; j++) z[o + j] *= scale;
                z[o] = 0f;
                z[o + bt.target[b]] -= 1f / B;
            }
        });
        double loss = 0;
        for (double l : rowLoss) loss += l;
        loss /= B;
        long t3 = System.nanoTime();
        ScoreKernels.scoresBackwardE(sf, B, d, z, n, det, par);
        ScoreKernels.scoresBackwardS(z, B, n, w, d, dsf, par); // E is at offset 0 of w
        scoreNs[0] = t2 - t1;
        scoreNs[1] = t3 - t2;
        return loss;
    }

    @Override
    public void close() {
        par.close();
    }
}
