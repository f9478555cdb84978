package org.lgsr.model.cpu;

import java.util.Arrays;
import org.lgsr.model.Batch;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.NeuralKind;
import org.lgsr.model.neural.NeuralLayout;
import org.lgsr.model.neural.NeuralParameters;
import org.lgsr.model.neural.NeuralReference;
import org.lgsr.util.Parallel;

/**
 * The float CPU engine of the neural baselines (STAMP, GRU4Rec): the computation of
 * {@link NeuralReference} (read that class for the equations), batched, with preallocated
 * activations. The session encoders run row by row; the scoring of all items, softmax
 * cross-entropy and its two backward products are the LGSR module's ({@link ScoreLayer}).
 *
 * <p>Determinism: rows are split into {@link CpuModel#CHUNKS} fixed chunks, each accumulating its
 * dense weight gradients in its own buffer, summed in chunk order; the item tables' gradients are
 * scattered serially; so loss and gradient are bit-identical for any thread count.
 *
 * <p>Activations (T = maxLen, rows left-aligned, only the first {@code len[b]} slots computed):
 * <pre>
 * both     X (B, T, d)  the looked-up item embeddings;  sf (B, d) the session vectors
 * STAMP    SG (B, T, d) the attention sigmoids;  A (B, T) the weights a_i;  MS, MA, HS, HT (B, d)
 * GRU4Rec  GX (B, T, 3d) x Wx + bx;  H (B, T+1, d) the states, h_0 = 0;  Z, R, C, RH (B, T, d)
 * </pre>
 */
public final class NeuralCpuModel implements AutoCloseable {
    private static final int CHUNKS = CpuModel.CHUNKS;
    public static final String[] PHASES = {"forward", "scores", "backward"};

    private final NeuralConfig cfg;
    private final NeuralLayout L;
    private final boolean stamp, simd;
    private final int d, T, n, cap, g0;
    private final Parallel par;
    private final ScoreLayer score;
    /** Nanoseconds per phase of {@link #PHASES}, accumulated. */
    public final long[] times = new long[PHASES.length];

    private final float[] X, sf, dsf, dX;
    private final float[] SG, A, MS, MA, HS, HT;
    private final float[] GX, H, Z, R, C, RH;
    /** Transposed weights (out, in) for the products dx = dy W^T. */
    private final float[] W1T, W2T, W3T, WsT, WtT, WxT, UT, UhT;
    private final float[][] chunkGrad;
    private final Scratch[] scratch;

    private final class Scratch {
        final float[] v1 = new float[3 * d], v2 = new float[3 * d], v3 = new float[d], v4 = new float[d];
        final float[] rows1 = new float[T * 3 * d], rows2 = new float[T * 2 * d], rows3 = new float[T * d];
    }

    public NeuralCpuModel(NeuralConfig cfg, int capacity, int threads) {
        this(cfg, capacity, threads, true);
    }

    /** An engine for batches of up to {@code capacity} rows; {@code simd} false keeps it off the Vector API kernels. */
    public NeuralCpuModel(NeuralConfig cfg, int capacity, int threads, boolean simd) {
        this.cfg = cfg;
        this.L = new NeuralLayout(cfg);
        this.stamp = cfg.kind() == NeuralKind.STAMP;
        this.d = cfg.dim();
        this.T = cfg.maxLen();
        this.n = cfg.numItems();
        this.cap = capacity;
        this.g0 = L.denseStart();
        this.simd = simd && Simd.available() && d >= Simd.lanes();
        this.par = new Parallel(threads);
        this.score = new ScoreLayer(capacity, d, n, threads, simd);
        int btd = capacity * T * d;
        X = new float[btd];
        sf = new float[capacity * d];
        dsf = new float[capacity * d];
        dX = new float[btd];
        int s = stamp ? 1 : 0, r = 1 - s;
        SG = new float[s * btd];
        A = new float[s * capacity * T];
        MS = new float[s * capacity * d];
        MA = new float[s * capacity * d];
        HS = new float[s * capacity * d];
        HT = new float[s * capacity * d];
        GX = new float[r * 3 * btd];
        H = new float[r * capacity * (T + 1) * d];
        Z = new float[r * btd];
        R = new float[r * btd];
        C = new float[r * btd];
        RH = new float[r * btd];
        W1T = new float[s * d * d];
        W2T = new float[s * d * d];
        W3T = new float[s * d * d];
        WsT = new float[s * d * d];
        WtT = new float[s * d * d];
        WxT = new float[r * 3 * d * d];
        UT = new float[r * 2 * d * d];
        UhT = new float[r * d * d];
        chunkGrad = new float[CHUNKS][L.total() - g0];
        scratch = new Scratch[CHUNKS];
        for (int c = 0; c < CHUNKS; c++) scratch[c] = new Scratch();
    }

    public NeuralConfig config() {
        return cfg;
    }

    public NeuralLayout layout() {
        return L;
    }

    public boolean usesSimd() {
        return simd;
    }

    /** Session vectors of the last batch, (B, d). */
    public float[] sessionVectors() {
        return sf;
    }

    // ------------------------------------------------------------------ small dense products

    /** y (rows, out) = x (rows, in) W (in, out) [+ bias]. */
    private void mm(float[] x, int xo, int rows, int in, float[] w, int wo, int out, float[] bias, int bo, float[] y, int yo) {
        CpuModel.matmul(simd, x, xo, rows, in, w, wo, out, bias, bo, y, yo);
    }

    /** y (rows, out) += x (rows, in) W (in, out). */
    private void mmAdd(float[] x, int xo, int rows, int in, float[] w, int wo, int out, float[] y, int yo) {
        CpuModel.matmulAdd(simd, x, xo, rows, in, w, wo, out, y, yo);
    }

    /** dW (in, out) += x^T (in, rows) dy (rows, out). */
    private void outerAdd(float[] x, int xo, int rows, int in, float[] dy, int dyo, int out, float[] dw, int dwo) {
        CpuModel.outerAdd(simd, x, xo, rows, in, dy, dyo, out, dw, dwo);
    }

    private static void transpose(float[] w, int wo, int rows, int cols, float[] dst) {
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) dst[c * rows + r] = w[wo + r * cols + c];
    }

    private static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    // ------------------------------------------------------------------ STAMP, one row

    private void stampForward(float[] w, Batch bt, int b, Scratch sc) {
        final int t = bt.len[b], base = b * T * d, xt = base + (t - 1) * d, bd = b * d;
        final int eo = L.in.offset();
        Arrays.fill(MS, bd, bd + d, 0f);
        for (int i = 0; i < t; i++) {
            System.arraycopy(w, eo + bt.items[b * T + i] * d, X, base + i * d, d);
            for (int c = 0; c < d; c++) MS[bd + c] += X[base + i * d + c];
        }
        float inv = 1f / t;
        for (int c = 0; c < d; c++) MS[bd + c] *= inv;
        // common = x_t W2 + m_s W3 + ba; pre_i = x_i W1 + common
        float[] common = sc.v3;
        mm(X, xt, 1, d, w, L.W2.offset(), d, w, L.ba.offset(), common, 0);
        mmAdd(MS, bd, 1, d, w, L.W3.offset(), d, common, 0);
        mm(X, base, t, d, w, L.W1.offset(), d, null, 0, SG, base);
        final int w0 = L.w0.offset();
        Arrays.fill(MA, bd, bd + d, 0f);
        for (int i = 0; i < t; i++) {
            int o = base + i * d;
            float a = 0;
            for (int c = 0; c < d; c++) {
                float s = sigmoid(SG[o + c] + common[c]);
                SG[o + c] = s;
                a += w[w0 + c] * s;
            }
            A[b * T + i] = a;
            for (int c = 0; c < d; c++) MA[bd + c] += a * X[o + c];
        }
        mm(MA, bd, 1, d, w, L.Ws.offset(), d, w, L.bs.offset(), HS, bd);
        mm(X, xt, 1, d, w, L.Wt.offset(), d, w, L.bt.offset(), HT, bd);
        for (int c = 0; c < d; c++) {
            HS[bd + c] = (float) Math.tanh(HS[bd + c]);
            HT[bd + c] = (float) Math.tanh(HT[bd + c]);
            sf[bd + c] = HS[bd + c] * HT[bd + c];
        }
    }

    /** Backward of row b from dsf[b]: dense gradients into gr (offsets relative to the dense block), dLoss/dx_i into dX. */
    private void stampBackward(float[] w, Batch bt, int b, Scratch sc, float[] gr) {
        final int t = bt.len[b], base = b * T * d, xt = base + (t - 1) * d, bd = b * d;
        float[] dus = sc.v1, dut = sc.v2, dma = sc.v3, dsum = sc.v4, dpre = sc.rows3;
        for (int c = 0; c < d; c++) {
            float hs = HS[bd + c], ht = HT[bd + c];
            dus[c] = dsf[bd + c] * ht * (1 - hs * hs);
            dut[c] = dsf[bd + c] * hs * (1 - ht * ht);
        }
        outerAdd(MA, bd, 1, d, dus, 0, d, gr, L.Ws.offset() - g0);
        outerAdd(X, xt, 1, d, dut, 0, d, gr, L.Wt.offset() - g0);
        for (int c = 0; c < d; c++) {
            gr[L.bs.offset() - g0 + c] += dus[c];
            gr[L.bt.offset() - g0 + c] += dut[c];
        }
        mm(dus, 0, 1, d, WsT, 0, d, null, 0, dma, 0);
        Arrays.fill(dX, base, base + t * d, 0f);
        mmAdd(dut, 0, 1, d, WtT, 0, d, dX, xt);
        final int w0 = L.w0.offset(), gw0 = w0 - g0;
        Arrays.fill(dsum, 0f);
        for (int i = 0; i < t; i++) {
            int o = base + i * d;
            float a = A[b * T + i], da = 0;
            for (int c = 0; c < d; c++) {
                da += dma[c] * X[o + c];
                dX[o + c] += a * dma[c];
            }
            for (int c = 0; c < d; c++) {
                float s = SG[o + c];
                gr[gw0 + c] += da * s;
                float v = da * w[w0 + c] * s * (1 - s);
                dpre[i * d + c] = v;
                dsum[c] += v;
            }
        }
        outerAdd(X, base, t, d, dpre, 0, d, gr, L.W1.offset() - g0);
        mmAdd(dpre, 0, t, d, W1T, 0, d, dX, base);
        for (int c = 0; c < d; c++) gr[L.ba.offset() - g0 + c] += dsum[c];
        outerAdd(X, xt, 1, d, dsum, 0, d, gr, L.W2.offset() - g0);
        mmAdd(dsum, 0, 1, d, W2T, 0, d, dX, xt);
        outerAdd(MS, bd, 1, d, dsum, 0, d, gr, L.W3.offset() - g0);
        float[] dms = sc.v1; // dus is no longer needed
        mm(dsum, 0, 1, d, W3T, 0, d, null, 0, dms, 0);
        float inv = 1f / t;
        for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) dX[base + i * d + c] += dms[c] * inv;
    }

    // ------------------------------------------------------------------ GRU4Rec, one row

    private void gruForward(float[] w, Batch bt, int b, Scratch sc) {
        final int t = bt.len[b], base = b * T * d, gb = 3 * base, hb = b * (T + 1) * d;
        final int eo = L.in.offset();
        for (int i = 0; i < t; i++) System.arraycopy(w, eo + bt.items[b * T + i] * d, X, base + i * d, d);
        mm(X, base, t, d, w, L.Wx.offset(), 3 * d, w, L.bx.offset(), GX, gb);
        Arrays.fill(H, hb, hb + d, 0f);
        float[] gh = sc.v1, uc = sc.v3;
        for (int k = 0; k < t; k++) {
            int ho = hb + k * d, o = base + k * d, go = gb + k * 3 * d;
            mm(H, ho, 1, d, w, L.U.offset(), 2 * d, null, 0, gh, 0);
            for (int c = 0; c < d; c++) {
                Z[o + c] = sigmoid(GX[go + c] + gh[c]);
                float r = sigmoid(GX[go + d + c] + gh[d + c]);
                R[o + c] = r;
                RH[o + c] = r * H[ho + c];
            }
            mm(RH, o, 1, d, w, L.Uh.offset(), d, null, 0, uc, 0);
            for (int c = 0; c < d; c++) {
                float cand = (float) Math.tanh(GX[go + 2 * d + c] + uc[c]);
                C[o + c] = cand;
                float z = Z[o + c];
                H[ho + d + c] = (1 - z) * H[ho + c] + z * cand;
            }
        }
        System.arraycopy(H, hb + t * d, sf, b * d, d);
    }

    private void gruBackward(float[] w, Batch bt, int b, Scratch sc, float[] gr) {
        final int t = bt.len[b], base = b * T * d, hb = b * (T + 1) * d;
        float[] dgx = sc.rows1, dgh = sc.rows2, dac = sc.rows3;
        float[] dh = sc.v3, dhp = sc.v4, drh = sc.v1;
        System.arraycopy(dsf, b * d, dh, 0, d);
        for (int k = t - 1; k >= 0; k--) {
            int ho = hb + k * d, o = base + k * d, q = k * 3 * d, q2 = k * 2 * d;
            for (int c = 0; c < d; c++) {
                float z = Z[o + c], cand = C[o + c];
                float a = dh[c] * z * (1 - cand * cand);
                dac[k * d + c] = a;
                dgx[q + 2 * d + c] = a;
                dhp[c] = dh[c] * (1 - z);
                float dz = dh[c] * (cand - H[ho + c]) * z * (1 - z);
                dgx[q + c] = dz;
                dgh[q2 + c] = dz;
            }
            mm(dac, k * d, 1, d, UhT, 0, d, null, 0, drh, 0);
            for (int c = 0; c < d; c++) {
                float r = R[o + c];
                dhp[c] += drh[c] * r;
                float dr = drh[c] * H[ho + c] * r * (1 - r);
                dgx[q + d + c] = dr;
                dgh[q2 + d + c] = dr;
            }
            mmAdd(dgh, q2, 1, 2 * d, UT, 0, d, dhp, 0);
            System.arraycopy(dhp, 0, dh, 0, d);
        }
        outerAdd(RH, base, t, d, dac, 0, d, gr, L.Uh.offset() - g0);
        outerAdd(X, base, t, d, dgx, 0, 3 * d, gr, L.Wx.offset() - g0);
        outerAdd(H, hb, t, d, dgh, 0, 2 * d, gr, L.U.offset() - g0);
        int bo = L.bx.offset() - g0;
        for (int k = 0; k < t; k++) for (int c = 0; c < 3 * d; c++) gr[bo + c] += dgx[k * 3 * d + c];
        mm(dgx, 0, t, 3 * d, WxT, 0, d, null, 0, dX, base);
    }

    // ------------------------------------------------------------------ whole batch

    private int chunkFrom(int c, int B) {
        return (int) ((long) c * B / CHUNKS);
    }

    /** Session vectors of the batch into {@link #sessionVectors()}. */
    public void encode(NeuralParameters p, Batch bt) {
        if (bt.B > cap) throw new IllegalArgumentException("batch of " + bt.B + " exceeds capacity " + cap);
        final int B = bt.B;
        par.forEach(CHUNKS, c -> {
            for (int b = chunkFrom(c, B); b < chunkFrom(c + 1, B); b++) {
                if (stamp) stampForward(p.w, bt, b, scratch[c]);
                else gruForward(p.w, bt, b, scratch[c]);
            }
        });
    }

    /** Takes the current item table for {@link #scoreAll}; call again whenever the parameters changed. */
    public void refreshItemTable(NeuralParameters p) {
        score.pack(p.w);
    }

    /** Scores out (B, n) of every item for the batch, with the table of the last {@link #refreshItemTable}. */
    public void scoreAll(NeuralParameters p, Batch bt, float[] out) {
        encode(p, bt);
        score.scores(bt.B, sf, out);
    }

    /** One training step's forward and backward: returns the loss (mean cross-entropy + L2) and overwrites {@code p.g} with its gradient. */
    public double forwardBackward(NeuralParameters p, Batch bt) {
        if (bt.B > cap) throw new IllegalArgumentException("batch of " + bt.B + " exceeds capacity " + cap);
        final int B = bt.B;
        final float[] w = p.w, g = p.g;
        long t0 = System.nanoTime();
        if (stamp) {
            transpose(w, L.W1.offset(), d, d, W1T);
            transpose(w, L.W2.offset(), d, d, W2T);
            transpose(w, L.W3.offset(), d, d, W3T);
            transpose(w, L.Ws.offset(), d, d, WsT);
            transpose(w, L.Wt.offset(), d, d, WtT);
        } else {
            transpose(w, L.Wx.offset(), d, 3 * d, WxT);
            transpose(w, L.U.offset(), d, 2 * d, UT);
            transpose(w, L.Uh.offset(), d, d, UhT);
        }
        encode(p, bt);
        long t1 = System.nanoTime();
        double loss = score.step(B, sf, w, bt.target, g, dsf); // g[out table] = its score gradient
        long t2 = System.nanoTime();
        par.forEach(CHUNKS, c -> {
            float[] gr = chunkGrad[c];
            Arrays.fill(gr, 0f);
            for (int b = chunkFrom(c, B); b < chunkFrom(c + 1, B); b++) {
                if (stamp) stampBackward(w, bt, b, scratch[c], gr);
                else gruBackward(w, bt, b, scratch[c], gr);
            }
        });
        int len = L.total() - g0;
        Arrays.fill(g, g0, g0 + len, 0f);
        for (int c = 0; c < CHUNKS; c++) {
            float[] gr = chunkGrad[c];
            for (int i = 0; i < len; i++) g[g0 + i] += gr[i];
        }
        // the input table: its gradient is the scatter of dX (added to the score part for STAMP's shared table)
        if (L.in != L.out) Arrays.fill(g, L.in.offset(), L.in.end(), 0f);
        for (int b = 0; b < B; b++) {
            for (int i = 0; i < bt.len[b]; i++) {
                int eo = L.in.offset() + bt.items[b * T + i] * d, xo = (b * T + i) * d;
                for (int c = 0; c < d; c++) g[eo + c] += dX[xo + c];
            }
        }
        final float lam = cfg.lambda2();
        double l2 = 0;
        if (lam != 0f) {
            int total = L.total(), per = 1 << 16;
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
        Arrays.fill(g, L.out.offset(), L.out.offset() + d, 0f);
        Arrays.fill(g, L.in.offset(), L.in.offset() + d, 0f);
        long t3 = System.nanoTime();
        times[0] += t1 - t0;
        times[1] += t2 - t1;
        times[2] += t3 - t2;
        return loss + 0.5 * lam * l2;
    }

    @Override
    public void close() {
        try {
            score.close();
        } finally {
            par.close();
        }
    }
}
