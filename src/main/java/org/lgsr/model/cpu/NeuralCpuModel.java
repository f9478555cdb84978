package org.lgsr.model.cpu;

import java.util.Arrays;
import org.lgsr.model.Batch;
import org.lgsr.model.ParamLayout.View;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.NeuralDropout;
import org.lgsr.model.neural.NeuralKind;
import org.lgsr.model.neural.NeuralLayout;
import org.lgsr.model.neural.NeuralParameters;
import org.lgsr.model.neural.NeuralReference;
import org.lgsr.util.Parallel;

/**
 * The float CPU engine of the neural baselines (STAMP, GRU4Rec, NARM, SR-GNN): the computation of
 * {@link NeuralReference} (read that class for the equations), batched, with preallocated
 * activations. The session encoders run row by row; the scoring of all items, softmax
 * cross-entropy and its two backward products are the LGSR module's ({@link ScoreLayer}).
 *
 * <p>Determinism: rows are split into {@link CpuModel#CHUNKS} fixed chunks, each accumulating its
 * dense weight gradients in its own buffer, summed in chunk order; the item tables' gradients are
 * scattered serially; so loss and gradient are bit-identical for any thread count.
 *
 * <p>Activations (T = maxLen, rows left-aligned, only the first {@code len[b]} slots computed; h the
 * GRU width, d otherwise):
 * <pre>
 * all      X (B, T, d)  the looked-up embeddings (SR-GNN: of the session's distinct items);  sf (B, d) the session vectors
 * STAMP    SG (B, T, d) the attention sigmoids;  A (B, T) the weights a_i;  MS, MA, HS, HT (B, d)
 * GRU      GX (B, T, 3h) x Wx + bx;  H (B, T+1, h) the states, h_0 = 0;  Z, R, C, RH (B, T, h)   (GRU4Rec, NARM)
 * NARM     NSG (B, T, h) the attention sigmoids;  NA (B, T) the weights;  CAT (B, 2h) [h_t | c_l]
 *          code form: XM (B, T, d) and CM (B, 2h) the dropout factors of the GRU's inputs and of CAT
 * SR-GNN   NODE, ALIAS (B, T) the graph's nodes and each position's node;  M (B) the node counts;
 *          AIN, AOUT (B, T, T) the normalised adjacency (stride T);  NOFF (B) the slot of each row's first node:
 *          a chunk's nodes fill consecutive slots from its first row's b * T, so node-wise products run once per chunk;
 *          by node slot: X, PIN, POUT (the edge projections), INP (2d) [in | out], GI, GH (3d), RG, UG, CG, GN (the gates
 *          and new states), QN (the readout's projection);  SL, Q1V (B, d) the last node's state and projection;
 *          PSG (B, T, d), PA (B, T) the readout's sigmoids and weights per position;  CAT (B, 2d) [s_g | s_l]
 * </pre>
 */
public final class NeuralCpuModel implements AutoCloseable {
    private static final int CHUNKS = CpuModel.CHUNKS;
    public static final String[] PHASES = {"forward", "scores", "backward"};

    private final NeuralConfig cfg;
    private final NeuralLayout L;
    private final NeuralKind kind;
    private final boolean simd, code;
    private final int d, h, T, n, cap, g0;
    /** The dropout of the pass under way (NARM's code form only): evaluation's unless a training step says otherwise. */
    private NeuralDropout pass = NeuralDropout.EVAL;
    private final Parallel par;
    private final ScoreLayer score;
    /** Nanoseconds per phase of {@link #PHASES}, accumulated. */
    public final long[] times = new long[PHASES.length];

    private final float[] X, sf, dsf, dX;
    private final float[] SG, A, MS, MA, HS, HT;
    private final float[] GX, H, Z, R, C, RH;
    private final float[] NSG, NA, CAT, DHX, XM, CM;
    private final int[] NODE, ALIAS, M;
    private final float[] AIN, AOUT, PIN, POUT, INP, GI, GH, RG, UG, CG, GN, QN, SL, Q1V, PSG, PA;
    private final float[] DCAT, DG, DQN, DQ1, DSL, DGI, DGH, DINP, DPIN, DPOUT;
    private final int[] NOFF;
    /** Transposed weights (out, in) for the products dx = dy W^T. */
    private final float[] W1T, W2T, W3T, WsT, WtT, WxT, UT, UhT, A1T, A2T, WBT, WinT, WoutT, WihT, WhhT, Q1T, Q2T, WrT;
    private final float[][] chunkGrad;
    private final Scratch[] scratch;

    private final class Scratch {
        final int mx = Math.max(d, h);
        final float[] v1 = new float[3 * mx], v2 = new float[3 * mx], v3 = new float[2 * mx], v4 = new float[2 * mx];
        final float[] dpre = new float[T * mx]; // the attention pre-activations' gradient (STAMP, NARM)
        final boolean[] edge = new boolean[T * T];
        // the GRU's chunk-wide buffers: rows of the chunk (at most rmax), their (row, step) pairs (at most rmax T)
        final int rmax = cap / CHUNKS + 2;
        final int[] idx = new int[rmax], off = new int[rmax];
        final float[] hk = new float[rmax * mx], ghk = new float[rmax * 2 * mx], rhk = new float[rmax * mx], uck = new float[rmax * mx];
        final float[] dh = new float[rmax * mx], dhpk = new float[rmax * mx];
        final boolean gru = kind == NeuralKind.GRU4REC || kind == NeuralKind.NARM;
        final float[] dac = new float[gru ? rmax * T * h : 0], dgx = new float[gru ? rmax * T * 3 * h : 0], dgh = new float[gru ? rmax * T * 2 * h : 0];
        final float[] ga = new float[gru ? rmax * T * mx : 0];
        final int[] count = new int[2 * T];
        final float[] da = new float[T]; // NARM's code form: dLoss/d(attention weight) per position
    }

    public NeuralCpuModel(NeuralConfig cfg, int capacity, int threads) {
        this(cfg, capacity, threads, true);
    }

    /** An engine for batches of up to {@code capacity} rows; {@code simd} false keeps it off the Vector API kernels. */
    public NeuralCpuModel(NeuralConfig cfg, int capacity, int threads, boolean simd) {
        if (cfg.gru4recCode()) {
            throw new IllegalArgumentException("GRU4Rec's code form (--variant gru4rec-code) is not computed by the float engine: "
                    + "it trains session-parallel (Gru4RecParallel) and NeuralScorer scores it");
        }
        this.cfg = cfg;
        this.L = new NeuralLayout(cfg);
        this.kind = cfg.kind();
        this.code = cfg.code();
        this.d = cfg.dim();
        this.h = cfg.hidden();
        this.T = cfg.maxLen();
        this.n = cfg.numItems();
        this.cap = capacity;
        this.g0 = L.denseStart();
        this.simd = simd && Simd.available() && d >= Simd.lanes();
        this.par = new Parallel(threads);
        this.score = new ScoreLayer(capacity, d, n, threads, simd);
        int btd = capacity * T * d, bth = capacity * T * h;
        X = new float[btd];
        sf = new float[capacity * d];
        dsf = new float[capacity * d];
        dX = new float[btd];
        int s = kind == NeuralKind.STAMP ? 1 : 0, r = kind == NeuralKind.GRU4REC || kind == NeuralKind.NARM ? 1 : 0;
        int na = kind == NeuralKind.NARM ? 1 : 0, sg = kind == NeuralKind.SRGNN ? 1 : 0;
        SG = new float[s * btd];
        A = new float[s * capacity * T];
        MS = new float[s * capacity * d];
        MA = new float[s * capacity * d];
        HS = new float[s * capacity * d];
        HT = new float[s * capacity * d];
        GX = new float[r * 3 * bth];
        H = new float[r * capacity * (T + 1) * h];
        Z = new float[r * bth];
        R = new float[r * bth];
        C = new float[r * bth];
        RH = new float[r * bth];
        NSG = new float[na * bth];
        DHX = new float[r * bth];
        NA = new float[na * capacity * T];
        CAT = new float[(na * 2 * h + sg * 2 * d) * capacity];
        XM = new float[code ? btd : 0];
        CM = new float[code ? capacity * 2 * h : 0];
        NODE = new int[sg * capacity * T];
        ALIAS = new int[sg * capacity * T];
        M = new int[sg * capacity];
        AIN = new float[sg * capacity * T * T];
        AOUT = new float[sg * capacity * T * T];
        PIN = new float[sg * btd];
        POUT = new float[sg * btd];
        INP = new float[sg * 2 * btd];
        GI = new float[sg * 3 * btd];
        GH = new float[sg * 3 * btd];
        QN = new float[sg * btd];
        SL = new float[sg * capacity * d];
        Q1V = new float[sg * capacity * d];
        NOFF = new int[sg * capacity];
        DCAT = new float[sg * capacity * 2 * d];
        DG = new float[sg * btd];
        DQN = new float[sg * btd];
        DQ1 = new float[sg * capacity * d];
        DSL = new float[sg * capacity * d];
        DGI = new float[sg * 3 * btd];
        DGH = new float[sg * 3 * btd];
        DINP = new float[sg * 2 * btd];
        DPIN = new float[sg * btd];
        DPOUT = new float[sg * btd];
        RG = new float[sg * btd];
        UG = new float[sg * btd];
        CG = new float[sg * btd];
        GN = new float[sg * btd];
        PSG = new float[sg * btd];
        PA = new float[sg * capacity * T];
        W1T = new float[s * d * d];
        W2T = new float[s * d * d];
        W3T = new float[s * d * d];
        WsT = new float[s * d * d];
        WtT = new float[s * d * d];
        WxT = new float[r * 3 * h * d];
        UT = new float[r * 2 * h * h];
        UhT = new float[r * h * h];
        A1T = new float[na * h * h];
        A2T = new float[na * h * h];
        WBT = new float[na * 2 * h * d];
        WinT = new float[sg * d * d];
        WoutT = new float[sg * d * d];
        WihT = new float[sg * 6 * d * d];
        WhhT = new float[sg * 3 * d * d];
        Q1T = new float[sg * d * d];
        Q2T = new float[sg * d * d];
        WrT = new float[sg * 2 * d * d];
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

    private static void transpose(float[] w, View v, float[] dst) {
        int rows = v.rows(), cols = v.cols(), wo = v.offset();
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) dst[c * rows + r] = w[wo + r * cols + c];
    }

    private static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    /** The GRU's gates and NARM's attention: the sigmoid, or Theano's hard sigmoid clip(0.2 x + 0.5, 0, 1) in NARM's code form. */
    private float gate(float x) {
        return code ? Math.max(0f, Math.min(1f, 0.2f * x + 0.5f)) : sigmoid(x);
    }

    /** The gate's derivative from its value y. */
    private float gateGrad(float y) {
        return code ? (y > 0f && y < 1f ? 0.2f : 0f) : y * (1 - y);
    }

    /**
     * The additive attention of STAMP and NARM over rows i < t (width k): S[i] = sigmoid(S[i] + q) (S holds
     * the rows' own projections and is overwritten), a_i = v . S[i], out += sum_i a_i Y[i].
     */
    private static void attention(float[] S, int so, int t, int k, float[] q, float[] v, int vo, float[] a, int ao,
                                  float[] Y, int yo, float[] out, int oo) {
        for (int i = 0; i < t; i++) {
            int o = so + i * k;
            float ai = 0;
            for (int c = 0; c < k; c++) {
                float sg = sigmoid(S[o + c] + q[c]);
                S[o + c] = sg;
                ai += v[vo + c] * sg;
            }
            a[ao + i] = ai;
            for (int c = 0; c < k; c++) out[oo + c] += ai * Y[yo + i * k + c];
        }
    }

    /**
     * Backward of {@link #attention} from dout = dLoss/dout: dY[i] += a_i dout, gv += da_i S[i], dpre[i] = da_i v * S[i] (1 - S[i])
     * (dLoss/d(S[i]'s argument)), dq += sum_i dpre[i] (dq is overwritten).
     */
    private static void attentionBackward(float[] S, int so, int t, int k, float[] v, int vo, float[] a, int ao, float[] Y, int yo,
                                          float[] dout, int doo, float[] dY, int dyo, float[] gv, int gvo, float[] dpre, float[] dq) {
        Arrays.fill(dq, 0, k, 0f);
        for (int i = 0; i < t; i++) {
            int o = so + i * k, y = yo + i * k, dy = dyo + i * k;
            float ai = a[ao + i], da = 0;
            for (int c = 0; c < k; c++) {
                da += dout[doo + c] * Y[y + c];
                dY[dy + c] += ai * dout[doo + c];
            }
            for (int c = 0; c < k; c++) {
                float sg = S[o + c];
                gv[gvo + c] += da * sg;
                float g = da * v[vo + c] * sg * (1 - sg);
                dpre[i * k + c] = g;
                dq[c] += g;
            }
        }
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
        Arrays.fill(MA, bd, bd + d, 0f);
        attention(SG, base, t, d, common, w, L.w0.offset(), A, b * T, X, base, MA, bd);
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
        float[] dus = sc.v1, dut = sc.v2, dma = sc.v3, dsum = sc.v4, dpre = sc.dpre;
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
        attentionBackward(SG, base, t, d, w, L.w0.offset(), A, b * T, X, base, dma, 0, dX, base, gr, L.w0.offset() - g0, dpre, dsum);
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

    // ------------------------------------------------------------------ the GRU (GRU4Rec, NARM), one chunk of rows

    /**
     * The GRU over rows b0..b1 of one chunk, all rows stepping together: step k's state products are one
     * product over the rows still running (len > k) instead of one vector-matrix product per row.
     */
    private void gruForward(float[] w, Batch bt, int b0, int b1, Scratch sc) {
        final int eo = L.in.offset();
        int maxT = 0;
        for (int b = b0; b < b1; b++) {
            final int t = bt.len[b], base = b * T * d, hb = b * (T + 1) * h;
            for (int i = 0; i < t; i++) System.arraycopy(w, eo + bt.items[b * T + i] * d, X, base + i * d, d);
            if (code) { // NARM's code form: dropout on the GRU's inputs
                for (int i = 0; i < t * d; i++) {
                    XM[base + i] = pass.factor(NeuralDropout.SITE_INPUT, (long) base + i, NeuralConfig.CODE_DROP_INPUT);
                    X[base + i] *= XM[base + i];
                }
            }
            mm(X, base, t, d, w, L.Wx.offset(), 3 * h, w, L.bx.offset(), GX, b * T * 3 * h);
            Arrays.fill(H, hb, hb + h, 0f);
            maxT = Math.max(maxT, t);
        }
        final int[] idx = sc.idx;
        for (int k = 0; k < maxT; k++) {
            int na = 0;
            for (int b = b0; b < b1; b++) {
                if (bt.len[b] <= k) continue;
                System.arraycopy(H, b * (T + 1) * h + k * h, sc.hk, na * h, h);
                idx[na++] = b;
            }
            mm(sc.hk, 0, na, h, w, L.U.offset(), 2 * h, null, 0, sc.ghk, 0);
            for (int i = 0; i < na; i++) {
                int b = idx[i], o = b * T * h + k * h, go = b * T * 3 * h + k * 3 * h, ho = b * (T + 1) * h + k * h, gi = i * 2 * h;
                for (int c = 0; c < h; c++) {
                    Z[o + c] = gate(GX[go + c] + sc.ghk[gi + c]);
                    float r = gate(GX[go + h + c] + sc.ghk[gi + h + c]);
                    R[o + c] = r;
                    RH[o + c] = r * H[ho + c];
                }
                System.arraycopy(RH, o, sc.rhk, i * h, h);
            }
            mm(sc.rhk, 0, na, h, w, L.Uh.offset(), h, null, 0, sc.uck, 0);
            for (int i = 0; i < na; i++) {
                int b = idx[i], o = b * T * h + k * h, go = b * T * 3 * h + k * 3 * h, ho = b * (T + 1) * h + k * h;
                for (int c = 0; c < h; c++) {
                    float cand = (float) Math.tanh(GX[go + 2 * h + c] + sc.uck[i * h + c]);
                    C[o + c] = cand;
                    float z = Z[o + c];
                    H[ho + h + c] = (1 - z) * H[ho + c] + z * cand;
                }
            }
        }
    }

    /**
     * Backward of {@link #gruForward} for rows b0..b1 from DHX (row b's (t, h) block: dLoss/dh_(k+1)): dense
     * gradients into gr, dLoss/dx into dX. The steps run backwards with all rows together; the gates' gradients
     * of every (row, step) sit in compact chunk order, so each weight gradient is one product per chunk.
     */
    private void gruBackward(float[] w, Batch bt, int b0, int b1, Scratch sc, float[] gr) {
        final int[] idx = sc.idx, off = sc.off;
        int maxT = 0, rows = 0;
        for (int b = b0; b < b1; b++) {
            off[b - b0] = rows;
            rows += bt.len[b];
            maxT = Math.max(maxT, bt.len[b]);
        }
        final float[] dh = sc.dh, dac = sc.dac, dgx = sc.dgx, dgh = sc.dgh;
        Arrays.fill(dh, 0, (b1 - b0) * h, 0f);
        for (int k = maxT - 1; k >= 0; k--) {
            int na = 0;
            for (int b = b0; b < b1; b++) {
                if (bt.len[b] <= k) continue;
                int o = b * T * h + k * h, ho = b * (T + 1) * h + k * h, r0 = b - b0, ck = off[r0] + k;
                int q = ck * 3 * h, q2 = ck * 2 * h;
                for (int c = 0; c < h; c++) {
                    float dhc = dh[r0 * h + c] + DHX[o + c];
                    float z = Z[o + c], cand = C[o + c];
                    float a = dhc * z * (1 - cand * cand);
                    dac[ck * h + c] = a;
                    dgx[q + 2 * h + c] = a;
                    sc.dhpk[na * h + c] = dhc * (1 - z);
                    float dz = dhc * (cand - H[ho + c]) * gateGrad(z);
                    dgx[q + c] = dz;
                    dgh[q2 + c] = dz;
                }
                System.arraycopy(dac, ck * h, sc.hk, na * h, h);
                idx[na++] = b;
            }
            mm(sc.hk, 0, na, h, UhT, 0, h, null, 0, sc.uck, 0); // d(r * h) of the running rows
            for (int i = 0; i < na; i++) {
                int b = idx[i], o = b * T * h + k * h, ho = b * (T + 1) * h + k * h, ck = off[b - b0] + k;
                int q = ck * 3 * h, q2 = ck * 2 * h;
                for (int c = 0; c < h; c++) {
                    float r = R[o + c], drh = sc.uck[i * h + c];
                    sc.dhpk[i * h + c] += drh * r;
                    float dr = drh * H[ho + c] * gateGrad(r);
                    dgx[q + h + c] = dr;
                    dgh[q2 + h + c] = dr;
                }
                System.arraycopy(dgh, q2, sc.ghk, i * 2 * h, 2 * h);
            }
            mmAdd(sc.ghk, 0, na, 2 * h, UT, 0, h, sc.dhpk, 0);
            for (int i = 0; i < na; i++) System.arraycopy(sc.dhpk, i * h, dh, (idx[i] - b0) * h, h);
        }
        // the weight gradients, each one product over the chunk's (row, step) pairs
        final float[] ga = sc.ga;
        for (int b = b0; b < b1; b++) System.arraycopy(RH, b * T * h, ga, off[b - b0] * h, bt.len[b] * h);
        outerAdd(ga, 0, rows, h, dac, 0, h, gr, L.Uh.offset() - g0);
        for (int b = b0; b < b1; b++) System.arraycopy(H, b * (T + 1) * h, ga, off[b - b0] * h, bt.len[b] * h);
        outerAdd(ga, 0, rows, h, dgh, 0, 2 * h, gr, L.U.offset() - g0);
        for (int b = b0; b < b1; b++) System.arraycopy(X, b * T * d, ga, off[b - b0] * d, bt.len[b] * d);
        outerAdd(ga, 0, rows, d, dgx, 0, 3 * h, gr, L.Wx.offset() - g0);
        sumRows(dgx, 0, rows, 3 * h, gr, L.bx.offset() - g0);
        mm(dgx, 0, rows, 3 * h, WxT, 0, d, null, 0, ga, 0);
        for (int b = b0; b < b1; b++) System.arraycopy(ga, off[b - b0] * d, dX, b * T * d, bt.len[b] * d);
        if (code) {
            for (int b = b0; b < b1; b++) for (int i = b * T * d, e = i + bt.len[b] * d; i < e; i++) dX[i] *= XM[i];
        }
    }

    /** GRU4Rec's backward input: dLoss/dh_t of each row, from the scores. */
    private void gru4recBackward(Batch bt, int b) {
        int t = bt.len[b], o = b * T * h;
        Arrays.fill(DHX, o, o + (t - 1) * h, 0f);
        System.arraycopy(dsf, b * d, DHX, o + (t - 1) * h, h);
    }

    // ------------------------------------------------------------------ NARM, one row

    /** NARM's attention and decoder for row b, after {@link #gruForward}. */
    private void narmForward(float[] w, Batch bt, int b, Scratch sc) {
        final int t = bt.len[b], hb = b * (T + 1) * h, htO = hb + t * h, ob = b * T * h, cb = b * 2 * h;
        float[] q1 = sc.v3;
        mm(H, htO, 1, h, w, L.A1.offset(), h, null, 0, q1, 0);
        mm(H, hb + h, t, h, w, L.A2.offset(), h, null, 0, NSG, ob);
        System.arraycopy(H, htO, CAT, cb, h);
        Arrays.fill(CAT, cb + h, cb + 2 * h, 0f);
        if (!code) {
            attention(NSG, ob, t, h, q1, w, L.va.offset(), NA, b * T, H, hb + h, CAT, cb + h);
        } else {
            // the code form: e_j = va . hsig(h_t A1 + h_j A2), a = softmax(e), then dropout on CAT
            final int vo = L.va.offset(), ao = b * T;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < t; j++) {
                int o = ob + j * h;
                float e = 0;
                for (int c = 0; c < h; c++) {
                    float sg = gate(NSG[o + c] + q1[c]);
                    NSG[o + c] = sg;
                    e += w[vo + c] * sg;
                }
                NA[ao + j] = e;
                max = Math.max(max, e);
            }
            double sum = 0;
            for (int j = 0; j < t; j++) sum += (NA[ao + j] = (float) Math.exp(NA[ao + j] - max));
            float inv = (float) (1 / sum);
            for (int j = 0; j < t; j++) {
                float a = NA[ao + j] *= inv;
                for (int c = 0; c < h; c++) CAT[cb + h + c] += a * H[hb + h + j * h + c];
            }
            for (int c = 0; c < 2 * h; c++) {
                CM[cb + c] = pass.factor(NeuralDropout.SITE_CAT, (long) cb + c, NeuralConfig.CODE_DROP_CAT);
                CAT[cb + c] *= CM[cb + c];
            }
        }
        mm(CAT, cb, 1, 2 * h, w, L.WB.offset(), d, null, 0, sf, b * d);
    }

    private void narmBackward(float[] w, Batch bt, int b, Scratch sc, float[] gr) {
        final int t = bt.len[b], hb = b * (T + 1) * h, htO = hb + t * h, ob = b * T * h, cb = b * 2 * h, bd = b * d;
        final float[] dcat = sc.v2, dq1 = sc.v4, dpre = sc.dpre, dHx = DHX;
        final int xo = b * T * h; // row b's block of DHX
        outerAdd(CAT, cb, 1, 2 * h, dsf, bd, d, gr, L.WB.offset() - g0);
        mm(dsf, bd, 1, d, WBT, 0, 2 * h, null, 0, dcat, 0);
        Arrays.fill(dHx, xo, xo + t * h, 0f);
        if (!code) {
            attentionBackward(NSG, ob, t, h, w, L.va.offset(), NA, b * T, H, hb + h, dcat, h, dHx, xo, gr, L.va.offset() - g0, dpre, dq1);
        } else {
            for (int c = 0; c < 2 * h; c++) dcat[c] *= CM[cb + c];
            // the softmax's backward: de_j = a_j (da_j - sum_k a_k da_k), da_j = dc_l . h_j
            final int vo = L.va.offset(), ao = b * T;
            final float[] da = sc.da;
            float mean = 0;
            for (int j = 0; j < t; j++) {
                int y = hb + h + j * h;
                float a = NA[ao + j], s = 0;
                for (int c = 0; c < h; c++) {
                    s += dcat[h + c] * H[y + c];
                    dHx[xo + j * h + c] += a * dcat[h + c];
                }
                da[j] = s;
                mean += a * s;
            }
            Arrays.fill(dq1, 0, h, 0f);
            for (int j = 0; j < t; j++) {
                int o = ob + j * h;
                float de = NA[ao + j] * (da[j] - mean);
                for (int c = 0; c < h; c++) {
                    float sg = NSG[o + c];
                    gr[vo - g0 + c] += de * sg;
                    float gp = de * w[vo + c] * gateGrad(sg);
                    dpre[j * h + c] = gp;
                    dq1[c] += gp;
                }
            }
        }
        outerAdd(H, hb + h, t, h, dpre, 0, h, gr, L.A2.offset() - g0);
        mmAdd(dpre, 0, t, h, A2T, 0, h, dHx, xo);
        outerAdd(H, htO, 1, h, dq1, 0, h, gr, L.A1.offset() - g0);
        mmAdd(dq1, 0, 1, h, A1T, 0, h, dHx, xo + (t - 1) * h);
        for (int c = 0; c < h; c++) dHx[xo + (t - 1) * h + c] += dcat[c];
    }

    // ------------------------------------------------------------------ SR-GNN, one chunk of rows

    /** Row b's session graph: NODE, ALIAS, M, and AIN / AOUT (m x m at stride T). */
    private void buildGraph(Batch bt, int b, Scratch sc) {
        final int t = bt.len[b], nb = b * T, ab = b * T * T;
        int m = 0;
        for (int i = 0; i < t; i++) {
            int v = bt.items[nb + i], k = 0;
            while (k < m && NODE[nb + k] != v) k++;
            if (k == m) NODE[nb + m++] = v;
            ALIAS[nb + i] = k;
        }
        M[b] = m;
        boolean[] edge = sc.edge;
        for (int k = 0; k < m; k++) Arrays.fill(edge, k * T, k * T + m, false);
        for (int i = 0; i + 1 < t; i++) edge[ALIAS[nb + i] * T + ALIAS[nb + i + 1]] = true;
        int[] indeg = sc.count; // [0, T): in-degree, [T, 2T): out-degree
        Arrays.fill(indeg, 0);
        for (int k = 0; k < m; k++) for (int l = 0; l < m; l++) if (edge[k * T + l]) {
            indeg[T + k]++;
            indeg[l]++;
        }
        for (int k = 0; k < m; k++) {
            Arrays.fill(AIN, ab + k * T, ab + k * T + m, 0f);
            Arrays.fill(AOUT, ab + k * T, ab + k * T + m, 0f);
        }
        for (int k = 0; k < m; k++) for (int l = 0; l < m; l++) if (edge[k * T + l]) {
            AIN[ab + l * T + k] = 1f / indeg[l];
            AOUT[ab + k * T + l] = 1f / indeg[T + k];
        }
    }

    /** Rows b0..b1's sum over rows of v[row] (width k) into g at go. */
    private static void sumRows(float[] v, int vo, int rows, int k, float[] g, int go) {
        for (int r = 0; r < rows; r++) for (int c = 0; c < k; c++) g[go + c] += v[vo + r * k + c];
    }

    /**
     * SR-GNN's forward for the rows b0..b1 of one chunk. The nodes of the chunk's session graphs sit in
     * consecutive slots from b0 * T (row b's node k at slot NOFF[b] + k), so every node-wise product is one
     * product over all of the chunk's nodes; the adjacency products and the readout's attention run per row.
     */
    private void srgnnForward(float[] w, Batch bt, int b0, int b1, Scratch sc) {
        if (b1 <= b0) return;
        final int s0 = b0 * T, rows = b1 - b0;
        int slot = s0;
        for (int b = b0; b < b1; b++) {
            buildGraph(bt, b, sc);
            NOFF[b] = slot;
            slot += M[b];
        }
        final int rn = slot - s0, eo = L.in.offset();
        for (int b = b0; b < b1; b++) {
            for (int k = 0; k < M[b]; k++) System.arraycopy(w, eo + NODE[b * T + k] * d, X, (NOFF[b] + k) * d, d);
        }
        mm(X, s0 * d, rn, d, w, L.Win.offset(), d, w, L.bin.offset(), PIN, s0 * d);
        mm(X, s0 * d, rn, d, w, L.Wout.offset(), d, w, L.bout.offset(), POUT, s0 * d);
        final int biah = L.biah.offset(), boah = L.boah.offset();
        for (int b = b0; b < b1; b++) {
            final int m = M[b], ab = b * T * T, nb = NOFF[b];
            for (int k = 0; k < m; k++) {
                int o = (nb + k) * 2 * d;
                System.arraycopy(w, biah, INP, o, d);
                System.arraycopy(w, boah, INP, o + d, d);
                for (int l = 0; l < m; l++) {
                    float ai = AIN[ab + k * T + l], ao = AOUT[ab + k * T + l];
                    if (ai != 0f) for (int c = 0; c < d; c++) INP[o + c] += ai * PIN[(nb + l) * d + c];
                    if (ao != 0f) for (int c = 0; c < d; c++) INP[o + d + c] += ao * POUT[(nb + l) * d + c];
                }
            }
        }
        mm(INP, s0 * 2 * d, rn, 2 * d, w, L.Wih.offset(), 3 * d, w, L.bih.offset(), GI, s0 * 3 * d);
        mm(X, s0 * d, rn, d, w, L.Whh.offset(), 3 * d, w, L.bhh.offset(), GH, s0 * 3 * d);
        for (int k = s0; k < s0 + rn; k++) {
            int o = k * d, q = k * 3 * d;
            for (int c = 0; c < d; c++) {
                float r = sigmoid(GI[q + c] + GH[q + c]);
                float u = sigmoid(GI[q + d + c] + GH[q + d + c]);
                float cand = (float) Math.tanh(GI[q + 2 * d + c] + r * GH[q + 2 * d + c]);
                RG[o + c] = r;
                UG[o + c] = u;
                CG[o + c] = cand;
                GN[o + c] = cand + u * (X[o + c] - cand);
            }
        }
        // the readout: s_l (each row's last node), its projection, and every node's projection
        for (int b = b0; b < b1; b++) System.arraycopy(GN, (NOFF[b] + ALIAS[b * T + bt.len[b] - 1]) * d, SL, b * d, d);
        mm(SL, b0 * d, rows, d, w, L.Q1.offset(), d, w, L.bq1.offset(), Q1V, b0 * d);
        mm(GN, s0 * d, rn, d, w, L.Q2.offset(), d, w, L.bq2.offset(), QN, s0 * d);
        final int q3 = L.q3.offset();
        for (int b = b0; b < b1; b++) {
            final int t = bt.len[b], nb = NOFF[b], cb = b * 2 * d, pb = b * T;
            Arrays.fill(CAT, cb, cb + d, 0f);
            System.arraycopy(SL, b * d, CAT, cb + d, d);
            for (int i = 0; i < t; i++) {
                int k = nb + ALIAS[pb + i], o = (pb + i) * d;
                float a = 0;
                for (int c = 0; c < d; c++) {
                    float sg = sigmoid(Q1V[b * d + c] + QN[k * d + c]);
                    PSG[o + c] = sg;
                    a += w[q3 + c] * sg;
                }
                PA[pb + i] = a;
                for (int c = 0; c < d; c++) CAT[cb + c] += a * GN[k * d + c];
            }
        }
        mm(CAT, b0 * 2 * d, rows, 2 * d, w, L.Wr.offset(), d, w, L.br.offset(), sf, b0 * d);
    }

    /** Backward of {@link #srgnnForward} for one chunk's rows: dense gradients into gr, dLoss/dx of each node slot into dX. */
    private void srgnnBackward(float[] w, Batch bt, int b0, int b1, float[] gr) {
        if (b1 <= b0) return;
        final int s0 = b0 * T, rows = b1 - b0, rn = NOFF[b1 - 1] + M[b1 - 1] - s0;
        outerAdd(CAT, b0 * 2 * d, rows, 2 * d, dsf, b0 * d, d, gr, L.Wr.offset() - g0);
        sumRows(dsf, b0 * d, rows, d, gr, L.br.offset() - g0);
        mm(dsf, b0 * d, rows, d, WrT, 0, 2 * d, null, 0, DCAT, b0 * 2 * d);
        Arrays.fill(DG, s0 * d, (s0 + rn) * d, 0f);
        Arrays.fill(DQN, s0 * d, (s0 + rn) * d, 0f);
        Arrays.fill(DQ1, b0 * d, b1 * d, 0f);
        final int q3 = L.q3.offset(), gq3 = q3 - g0;
        for (int b = b0; b < b1; b++) {
            final int t = bt.len[b], nb = NOFF[b], cb = b * 2 * d, pb = b * T, qb = b * d;
            for (int i = 0; i < t; i++) {
                int k = nb + ALIAS[pb + i], o = (pb + i) * d, go = k * d;
                float a = PA[pb + i], da = 0;
                for (int c = 0; c < d; c++) {
                    da += DCAT[cb + c] * GN[go + c];
                    DG[go + c] += a * DCAT[cb + c];
                }
                for (int c = 0; c < d; c++) {
                    float sg = PSG[o + c];
                    gr[gq3 + c] += da * sg;
                    float v = da * w[q3 + c] * sg * (1 - sg);
                    DQN[go + c] += v;
                    DQ1[qb + c] += v;
                }
            }
        }
        outerAdd(GN, s0 * d, rn, d, DQN, s0 * d, d, gr, L.Q2.offset() - g0);
        sumRows(DQN, s0 * d, rn, d, gr, L.bq2.offset() - g0);
        mmAdd(DQN, s0 * d, rn, d, Q2T, 0, d, DG, s0 * d);
        outerAdd(SL, b0 * d, rows, d, DQ1, b0 * d, d, gr, L.Q1.offset() - g0);
        sumRows(DQ1, b0 * d, rows, d, gr, L.bq1.offset() - g0);
        mm(DQ1, b0 * d, rows, d, Q1T, 0, d, null, 0, DSL, b0 * d);
        for (int b = b0; b < b1; b++) {
            int lo = (NOFF[b] + ALIAS[b * T + bt.len[b] - 1]) * d, cb = b * 2 * d;
            for (int c = 0; c < d; c++) DG[lo + c] += DSL[b * d + c] + DCAT[cb + d + c];
        }
        // the gated step, node-wise
        for (int k = s0; k < s0 + rn; k++) {
            int o = k * d, q = k * 3 * d;
            for (int c = 0; c < d; c++) {
                float dy = DG[o + c], u = UG[o + c], cand = CG[o + c], r = RG[o + c];
                dX[o + c] = dy * u;
                float du = dy * (X[o + c] - cand) * u * (1 - u);
                DGI[q + d + c] = du;
                DGH[q + d + c] = du;
                float dn = dy * (1 - u) * (1 - cand * cand);
                DGI[q + 2 * d + c] = dn;
                DGH[q + 2 * d + c] = dn * r;
                float dr = dn * GH[q + 2 * d + c] * r * (1 - r);
                DGI[q + c] = dr;
                DGH[q + c] = dr;
            }
        }
        outerAdd(INP, s0 * 2 * d, rn, 2 * d, DGI, s0 * 3 * d, 3 * d, gr, L.Wih.offset() - g0);
        outerAdd(X, s0 * d, rn, d, DGH, s0 * 3 * d, 3 * d, gr, L.Whh.offset() - g0);
        sumRows(DGI, s0 * 3 * d, rn, 3 * d, gr, L.bih.offset() - g0);
        sumRows(DGH, s0 * 3 * d, rn, 3 * d, gr, L.bhh.offset() - g0);
        mm(DGI, s0 * 3 * d, rn, 3 * d, WihT, 0, 2 * d, null, 0, DINP, s0 * 2 * d);
        mmAdd(DGH, s0 * 3 * d, rn, 3 * d, WhhT, 0, d, dX, s0 * d);
        for (int k = s0; k < s0 + rn; k++) {
            int o = k * 2 * d;
            for (int c = 0; c < d; c++) {
                gr[L.biah.offset() - g0 + c] += DINP[o + c];
                gr[L.boah.offset() - g0 + c] += DINP[o + d + c];
            }
        }
        Arrays.fill(DPIN, s0 * d, (s0 + rn) * d, 0f);
        Arrays.fill(DPOUT, s0 * d, (s0 + rn) * d, 0f);
        for (int b = b0; b < b1; b++) {
            final int m = M[b], ab = b * T * T, nb = NOFF[b];
            for (int k = 0; k < m; k++) {
                int o = (nb + k) * 2 * d;
                for (int l = 0; l < m; l++) {
                    float ai = AIN[ab + k * T + l], ao = AOUT[ab + k * T + l];
                    if (ai != 0f) for (int c = 0; c < d; c++) DPIN[(nb + l) * d + c] += ai * DINP[o + c];
                    if (ao != 0f) for (int c = 0; c < d; c++) DPOUT[(nb + l) * d + c] += ao * DINP[o + d + c];
                }
            }
        }
        outerAdd(X, s0 * d, rn, d, DPIN, s0 * d, d, gr, L.Win.offset() - g0);
        outerAdd(X, s0 * d, rn, d, DPOUT, s0 * d, d, gr, L.Wout.offset() - g0);
        sumRows(DPIN, s0 * d, rn, d, gr, L.bin.offset() - g0);
        sumRows(DPOUT, s0 * d, rn, d, gr, L.bout.offset() - g0);
        mmAdd(DPIN, s0 * d, rn, d, WinT, 0, d, dX, s0 * d);
        mmAdd(DPOUT, s0 * d, rn, d, WoutT, 0, d, dX, s0 * d);
    }

    // ------------------------------------------------------------------ whole batch

    /** The forward pass of rows b0..b1 (one chunk). */
    private void forwardChunk(float[] w, Batch bt, int b0, int b1, Scratch sc) {
        if (b1 <= b0) return;
        switch (kind) {
            case STAMP -> {
                for (int b = b0; b < b1; b++) stampForward(w, bt, b, sc);
            }
            case GRU4REC -> {
                gruForward(w, bt, b0, b1, sc);
                for (int b = b0; b < b1; b++) System.arraycopy(H, b * (T + 1) * h + bt.len[b] * h, sf, b * d, d);
            }
            case NARM -> {
                gruForward(w, bt, b0, b1, sc);
                for (int b = b0; b < b1; b++) narmForward(w, bt, b, sc);
            }
            case SRGNN -> srgnnForward(w, bt, b0, b1, sc);
        }
    }

    /** The backward pass of rows b0..b1 (one chunk) from dsf: dense gradients into gr, input gradients into dX. */
    private void backwardChunk(float[] w, Batch bt, int b0, int b1, Scratch sc, float[] gr) {
        if (b1 <= b0) return;
        switch (kind) {
            case STAMP -> {
                for (int b = b0; b < b1; b++) stampBackward(w, bt, b, sc, gr);
            }
            case GRU4REC -> {
                for (int b = b0; b < b1; b++) gru4recBackward(bt, b);
                gruBackward(w, bt, b0, b1, sc, gr);
            }
            case NARM -> {
                for (int b = b0; b < b1; b++) narmBackward(w, bt, b, sc, gr);
                gruBackward(w, bt, b0, b1, sc, gr);
            }
            case SRGNN -> srgnnBackward(w, bt, b0, b1, gr);
        }
    }

    private int chunkFrom(int c, int B) {
        return (int) ((long) c * B / CHUNKS);
    }

    /** Session vectors of the batch into {@link #sessionVectors()}, as evaluation computes them ({@link NeuralDropout#EVAL}). */
    public void encode(NeuralParameters p, Batch bt) {
        pass = NeuralDropout.EVAL;
        encodePass(p, bt);
    }

    private void encodePass(NeuralParameters p, Batch bt) {
        if (bt.B > cap) throw new IllegalArgumentException("batch of " + bt.B + " exceeds capacity " + cap);
        final int B = bt.B;
        par.forEach(CHUNKS, c -> forwardChunk(p.w, bt, chunkFrom(c, B), chunkFrom(c + 1, B), scratch[c]));
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

    /** {@link #forwardBackward(NeuralParameters, Batch, NeuralDropout)} without dropout (the model as a plain function). */
    public double forwardBackward(NeuralParameters p, Batch bt) {
        return forwardBackward(p, bt, NeuralDropout.NONE);
    }

    /**
     * One training step's forward and backward: returns the loss (mean cross-entropy + L2) and overwrites {@code p.g} with its
     * gradient. {@code dropout}: NARM's code form's masks (a training step's {@link NeuralDropout#train}); other models ignore it.
     */
    public double forwardBackward(NeuralParameters p, Batch bt, NeuralDropout dropout) {
        if (bt.B > cap) throw new IllegalArgumentException("batch of " + bt.B + " exceeds capacity " + cap);
        pass = dropout;
        try {
            return step(p, bt);
        } finally {
            pass = NeuralDropout.EVAL;
        }
    }

    private double step(NeuralParameters p, Batch bt) {
        final int B = bt.B;
        final float[] w = p.w, g = p.g;
        long t0 = System.nanoTime();
        switch (kind) {
            case STAMP -> {
                transpose(w, L.W1, W1T);
                transpose(w, L.W2, W2T);
                transpose(w, L.W3, W3T);
                transpose(w, L.Ws, WsT);
                transpose(w, L.Wt, WtT);
            }
            case GRU4REC, NARM -> {
                transpose(w, L.Wx, WxT);
                transpose(w, L.U, UT);
                transpose(w, L.Uh, UhT);
                if (kind == NeuralKind.NARM) {
                    transpose(w, L.A1, A1T);
                    transpose(w, L.A2, A2T);
                    transpose(w, L.WB, WBT);
                }
            }
            case SRGNN -> {
                transpose(w, L.Win, WinT);
                transpose(w, L.Wout, WoutT);
                transpose(w, L.Wih, WihT);
                transpose(w, L.Whh, WhhT);
                transpose(w, L.Q1, Q1T);
                transpose(w, L.Q2, Q2T);
                transpose(w, L.Wr, WrT);
            }
        }
        encodePass(p, bt);
        long t1 = System.nanoTime();
        double loss = score.step(B, sf, w, bt.target, g, dsf); // g[out table] = its score gradient
        long t2 = System.nanoTime();
        par.forEach(CHUNKS, c -> {
            float[] gr = chunkGrad[c];
            Arrays.fill(gr, 0f);
            backwardChunk(w, bt, chunkFrom(c, B), chunkFrom(c + 1, B), scratch[c], gr);
        });
        int len = L.total() - g0;
        Arrays.fill(g, g0, g0 + len, 0f);
        for (int c = 0; c < CHUNKS; c++) {
            float[] gr = chunkGrad[c];
            for (int i = 0; i < len; i++) g[g0 + i] += gr[i];
        }
        // the input table: its gradient is the scatter of dX (added to the score part for STAMP's shared table)
        if (L.in != L.out) Arrays.fill(g, L.in.offset(), L.in.end(), 0f);
        final boolean graph = kind == NeuralKind.SRGNN; // dX holds one row per node of the session graph
        for (int b = 0; b < B; b++) {
            int rows = graph ? M[b] : bt.len[b];
            int[] ids = graph ? NODE : bt.items;
            for (int i = 0; i < rows; i++) {
                int eo = L.in.offset() + ids[b * T + i] * d, xo = ((graph ? NOFF[b] : b * T) + i) * d;
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
