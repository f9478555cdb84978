package org.lgsr.engine;

import org.lgsr.cpu.Embedding;
import org.lgsr.model.Batch;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.ParamLayout;
import org.lgsr.model.Variant;

/**
 * The recommendation module's training step and evaluation written once over a
 * {@link Backend}: the sequence of docs/gpu-engine.md ("The recommendation step"). Parameters,
 * gradients and Adam moments live in the backend for the whole run (on the GPU: device memory);
 * per step only the batch's indices go in (items, positions, lengths, targets and the sorted
 * order of the item and position ids for the deterministic scatter-add), and the losses come
 * back in blocks of {@link #RING} steps.
 *
 * <p>Layouts: rows are left-aligned sessions of T = maxLen slots ({@link Batch}); activations are
 * (capacity, T, d) buffers of which the first B * T rows are used.
 */
public final class RecStep implements AutoCloseable {
    /** Steps whose losses are kept on the backend before they are read back. */
    public static final int RING = 64;
    /** Dropout sites, as {@link org.lgsr.model.DropoutMasks}. */
    static final int SITE_X = 0, SITE_ATTN = 1, SITE_FF1 = 2, SITE_FF2 = 3, SITE_CAT = 4;

    private final Backend be;
    private final ModelConfig cfg;
    private final ParamLayout L;
    private final int cap, T, d, n, cd;
    private final boolean aggregate, hard;
    /** Flat parameters, gradient, Adam moments (ParamLayout order). */
    public final Buf w, g, m, v;
    private final Buf items, pos, len, target, eOrder, eSeg, pOrder, pSeg;
    private final Buf mX, mA, mF1, mF2, mC;
    private final Buf X, QKV, Q, K, V, A, S, XH1, RS1, H1pre, H1, R2, F, XH2, RS2, Ft, U, G, alpha, cat, catD, sf;
    private final Buf lse, rowLoss, dsf, dCatD, dF, dG, dU, dFt, dqPart, dR2, dR2f, dH1, dS, dR1, dQKV, dQ, dK, dV, dX;
    private final Buf g1Part, b1Part, g2Part, b2Part, rank;
    private final Buf stepLoss, stepL2;
    private int ringUsed;
    private final double[] ringL2 = new double[RING];
    private final float[] ringLoss = new float[RING];
    private final int[] ringB = new int[RING];
    /** Adam update count (t of the next update is step + 1). */
    public long step;

    public RecStep(Backend backend, ModelConfig cfg, int capacity) {
        this.be = backend;
        this.cfg = cfg;
        this.L = new ParamLayout(cfg);
        this.cap = capacity;
        this.T = cfg.maxLen();
        this.d = cfg.dim();
        this.n = cfg.numItems();
        this.cd = cfg.variant().catDim(d);
        this.aggregate = cfg.variant() == Variant.LGSR_C;
        this.hard = cfg.hardSigmoid();
        long total = L.total();
        w = be.floats(total);
        g = be.floats(total);
        m = be.floats(total);
        v = be.floats(total);
        be.fill(m, 0f);
        be.fill(v, 0f);
        int bt = cap * T;
        long btd = (long) bt * d;
        items = be.ints(bt);
        pos = be.ints(bt);
        len = be.ints(cap);
        target = be.ints(cap);
        eOrder = be.ints(bt);
        eSeg = be.ints(bt + 1);
        pOrder = be.ints(bt);
        pSeg = be.ints(bt + 1);
        boolean drop = cfg.dropout() > 0;
        mX = drop ? be.floats(btd) : null;
        mA = drop ? be.floats((long) bt * T) : null;
        mF1 = drop ? be.floats(btd) : null;
        mF2 = drop ? be.floats(btd) : null;
        mC = drop ? be.floats((long) cap * cd) : null;
        X = be.floats(btd);
        QKV = be.floats(3 * btd);
        Q = QKV.view(0, btd);
        K = QKV.view(btd, btd);
        V = QKV.view(2 * btd, btd);
        A = be.floats((long) bt * T);
        S = be.floats(btd);
        XH1 = be.floats(btd);
        RS1 = be.floats(bt);
        H1pre = be.floats(btd);
        H1 = be.floats(btd);
        R2 = be.floats(btd);
        F = be.floats(btd);
        XH2 = be.floats(btd);
        RS2 = be.floats(bt);
        Ft = be.floats((long) cap * d);
        U = aggregate ? be.floats((long) cap * d) : null;
        G = aggregate ? be.floats(btd) : null;
        alpha = aggregate ? be.floats(bt) : null;
        cat = be.floats((long) cap * cd);
        catD = be.floats((long) cap * cd);
        sf = be.floats((long) cap * d);
        lse = be.floats(cap);
        rowLoss = be.floats(cap);
        dsf = be.floats((long) cap * d);
        dCatD = be.floats((long) cap * cd);
        dF = be.floats(btd);
        dG = aggregate ? be.floats(btd) : null;
        dU = aggregate ? be.floats((long) cap * d) : null;
        dFt = aggregate ? be.floats((long) cap * d) : null;
        dqPart = aggregate ? be.floats((long) cap * d) : null;
        dR2 = be.floats(btd);
        dR2f = be.floats(btd);
        dH1 = be.floats(btd);
        dS = be.floats(btd);
        dR1 = be.floats(btd);
        dQKV = be.floats(3 * btd);
        dQ = dQKV.view(0, btd);
        dK = dQKV.view(btd, btd);
        dV = dQKV.view(2 * btd, btd);
        dX = be.floats(btd);
        g1Part = be.floats((long) cap * d);
        b1Part = be.floats((long) cap * d);
        g2Part = be.floats((long) cap * d);
        b2Part = be.floats((long) cap * d);
        rank = be.ints(cap);
        stepLoss = be.floats(RING);
        stepL2 = be.doubles(RING);
    }

    public ParamLayout layout() {
        return L;
    }



    private Buf p(ParamLayout.View pv) {
        return w.view(pv.offset(), pv.size());
    }

    private Buf gr(ParamLayout.View pv) {
        return g.view(pv.offset(), pv.size());
    }

    /** Uploads parameters (and zeroes the moments and the step count). */
    public void setParameters(float[] host) {
        if (host.length != L.total()) throw new IllegalArgumentException("parameters: " + host.length + " floats, layout has " + L.total());
        be.upload(w, host, 0, host.length);
        be.fill(m, 0f);
        be.fill(v, 0f);
        step = 0;
    }

    /** Puts back a saved state: parameters, Adam's moments and step count (a resumed run). */
    public void restore(float[] host, float[] mHost, float[] vHost, long steps) {
        if (host.length != L.total() || mHost.length != L.total() || vHost.length != L.total()) {
            throw new IllegalArgumentException("saved state of " + host.length + " parameters, layout has " + L.total());
        }
        be.upload(w, host, 0, host.length);
        be.upload(m, mHost, 0, mHost.length);
        be.upload(v, vHost, 0, vHost.length);
        step = steps;
    }

    /** Adam's first ({@code second} false) or second moments, downloaded. */
    public float[] moments(boolean second) {
        float[] h = new float[L.total()];
        be.download(second ? v : m, h, 0, h.length);
        return h;
    }

    public float[] parameters() {
        float[] h = new float[L.total()];
        be.download(w, h, 0, h.length);
        return h;
    }

    /**
     * For tests: the last forward's ReLU inputs (H1pre after its bias, the first {@code rows}
     * rows of B x T) and, with the aggregation, its pre-activations (G + U, the same rows); null
     * for the latter without it.
     */
    public float[][] kinkInputs(int rows) {
        float[] relu = new float[rows * d];
        be.download(H1pre, relu, 0, relu.length);
        float[] agg = null;
        if (aggregate) {
            agg = new float[rows * d];
            be.download(G, agg, 0, agg.length);
        }
        return new float[][] {relu, agg};
    }

    public float[] gradient() {
        float[] h = new float[L.total()];
        be.download(g, h, 0, h.length);
        return h;
    }

    // ------------------------------------------------------------------ row-major products

    /** y (rows, out) = x (rows, in) W (in, out) + beta y. */
    private void mm(Buf x, int rows, int in, Buf W, int out, Buf y, float beta) {
        be.gemm(false, false, out, rows, in, 1f, W, out, x, in, beta, y, out);
    }

    /** dx (rows, in) = dy (rows, out) W^T + beta dx, W (in, out). */
    private void mmT(Buf dy, int rows, int out, Buf W, int in, Buf dx, float beta) {
        be.gemm(true, false, in, rows, out, 1f, W, out, dy, out, beta, dx, in);
    }

    /** dW (in, out) = x^T (in, rows) dy (rows, out) + beta dW. */
    private void outer(Buf x, int rows, int in, Buf dy, int out, Buf dW, float beta) {
        be.gemm(false, true, out, in, rows, 1f, dy, out, x, in, beta, dW, out);
    }

    // ------------------------------------------------------------------ batch in

    /** Uploads the batch's indices (and the sorted scatter orders when {@code training}). */
    private void upload(Batch bt, boolean training) {
        int B = bt.B;
        if (B < 1 || B > cap) throw new IllegalArgumentException("batch of " + B + " rows, capacity " + cap);
        if (bt.T != T) throw new IllegalArgumentException("batch with " + bt.T + " slots, model max_len " + T);
        int rows = B * T;
        be.upload(items, bt.items, 0, rows);
        be.upload(pos, bt.pos, 0, rows);
        be.upload(len, bt.len, 0, B);
        be.upload(target, bt.target, 0, B);
        if (training) {
            // padded slots (item 0, position 0) left out: rows 0 of E and P are held at zero
            Embedding.Segments es = Embedding.sortedSegments(bt.items, rows, true);
            Embedding.Segments ps = Embedding.sortedSegments(bt.pos, rows, true);
            be.upload(eOrder, es.rowOrder(), 0, es.rowOrder().length);
            be.upload(eSeg, es.segStart(), 0, es.segStart().length);
            be.upload(pOrder, ps.rowOrder(), 0, ps.rowOrder().length);
            be.upload(pSeg, ps.segStart(), 0, ps.segStart().length);
            eSegments = es.count();
            pSegments = ps.count();
        }
    }

    private int eSegments, pSegments;

    // ------------------------------------------------------------------ forward

    /** Forward through s_f (steps 1-7); dropout when {@code maskSeed} is non-null. */
    private void encode(int B, Long maskSeed) {
        int rows = B * T;
        long btd = (long) rows * d;
        boolean drop = maskSeed != null && mX != null;
        Buf mx = drop ? mX : null, ma = drop ? mA : null, mf1 = drop ? mF1 : null, mf2 = drop ? mF2 : null, mc = drop ? mC : null;
        be.push("forward");
        if (drop) {
            float r = cfg.dropout();
            long s = maskSeed;
            be.dropoutMask(mX, btd, s, SITE_X, r);
            be.dropoutMask(mA, (long) rows * T, s, SITE_ATTN, r);
            be.dropoutMask(mF1, btd, s, SITE_FF1, r);
            be.dropoutMask(mF2, btd, s, SITE_FF2, r);
            be.dropoutMask(mC, (long) B * cd, s, SITE_CAT, r);
        }
        be.embedInput(X, p(L.E), p(L.P), items, pos, mx, rows, d);
        // Q, K, V = X Wq, X Wk, X Wv (the three weights are adjacent in the layout)
        be.gemmStridedBatched(false, false, d, rows, d, 1f, p(L.Wq), d, (long) d * d, X, d, 0, 0f, QKV, d, (long) cap * T * d, 3);
        be.attentionForward(Q, K, V, X, len, ma, p(L.ln1g), p(L.ln1b), B, T, d, A, S, XH1, RS1);
        mm(S, rows, d, p(L.W1), d, H1pre, 0f);
        be.biasReluDropout(H1pre, H1, p(L.b1), mf1, rows, d);
        mm(H1, rows, d, p(L.W2), d, R2, 0f);
        be.biasDropoutResidualLayerNorm(R2, p(L.b2), mf2, S, p(L.ln2g), p(L.ln2b), rows, d, F, XH2, RS2);
        if (aggregate) {
            be.gatherLast(F, len, B, T, d, Ft);
            mm(Ft, B, d, p(L.Wa1), d, U, 0f);
            mm(F, rows, d, p(L.Wa2), d, G, 0f);
            be.aggregateForward(G, U, F, p(L.q), len, mc, B, T, d, hard, alpha, cat, catD);
        } else {
            be.lastForward(F, len, mc, B, T, d, cat, catD);
        }
        mm(catD, B, cd, p(L.W3), d, sf, 0f);
        be.pop();
    }

    // ------------------------------------------------------------------ training step

    /**
     * One training step on {@code bt}: forward, softmax cross-entropy over all items, backward
     * into {@link #g} (overwritten), the L2 term, then (when {@code lr} is not NaN) the Adam
     * update with learning rate {@code lr}. Dropout masks from {@code maskSeed}
     * ({@link org.lgsr.model.DropoutMasks#stepSeed}); null: no dropout. The step's loss is kept
     * on the backend; {@link #drainLosses} reads it.
     */
    public void trainStep(Batch bt, Long maskSeed, double lr) {
        int B = bt.B;
        upload(bt, true);
        int rows = B * T;
        long btd = (long) rows * d;
        boolean drop = maskSeed != null && mX != null;
        Buf mx = drop ? mX : null, ma = drop ? mA : null, mf1 = drop ? mF1 : null, mf2 = drop ? mF2 : null, mc = drop ? mC : null;
        encode(B, maskSeed);
        Buf E = p(L.E), gE = gr(L.E);
        be.push("softmax_ce");
        be.softmaxCeForward(sf, E, target, B, n, d, lse, rowLoss);
        be.softmaxCeBackward(sf, E, target, lse, B, n, d, 1f / B, dsf, gE);
        be.pop();
        be.push("backward");
        // s_f = catD W3
        outer(catD, B, cd, dsf, d, gr(L.W3), 0f);
        mmT(dsf, B, d, p(L.W3), cd, dCatD, 0f);
        if (aggregate) {
            be.aggregateBackward(dCatD, mc, G, F, alpha, p(L.q), len, B, T, d, hard, dF, dG, dU, dqPart);
            outer(F, rows, d, dG, d, gr(L.Wa2), 0f);
            mmT(dG, rows, d, p(L.Wa2), d, dF, 1f);
            outer(Ft, B, d, dU, d, gr(L.Wa1), 0f);
            mmT(dU, B, d, p(L.Wa1), d, dFt, 0f);
            be.addLast(dF, dFt, len, B, T, d);
            be.colSum(dqPart, B, d, gr(L.q), false);
        } else {
            be.lastBackward(dCatD, mc, len, B, T, d, dF);
        }
        // F = LN2(R2'), R2' = dropout(H1 W2 + b2) + S
        be.layerNormBackward(dF, XH2, RS2, p(L.ln2g), rows, d, T, dR2, g2Part, b2Part);
        be.colSum(g2Part, B, d, gr(L.ln2g), false);
        be.colSum(b2Part, B, d, gr(L.ln2b), false);
        be.mulMaskTo(dR2f, dR2, mf2, btd);
        be.colSum(dR2f, rows, d, gr(L.b2), false);
        outer(H1, rows, d, dR2f, d, gr(L.W2), 0f);
        mmT(dR2f, rows, d, p(L.W2), d, dH1, 0f);
        // H1 = dropout(ReLU(S W1 + b1))
        be.reluDropoutBackward(dH1, H1pre, mf1, btd);
        be.colSum(dH1, rows, d, gr(L.b1), false);
        outer(S, rows, d, dH1, d, gr(L.W1), 0f);
        be.copy(dS.view(0, btd), dR2.view(0, btd));
        mmT(dH1, rows, d, p(L.W1), d, dS, 1f);
        // S = LN1(dropout(A) V + X)
        be.attentionBackward(dS, XH1, RS1, p(L.ln1g), Q, K, V, A, ma, len, B, T, d, dR1, dQ, dK, dV, g1Part, b1Part);
        be.colSum(g1Part, B, d, gr(L.ln1g), false);
        be.colSum(b1Part, B, d, gr(L.ln1b), false);
        // Q, K, V = X W: weight gradients in one batched product, dX through three
        be.gemmStridedBatched(false, true, d, d, rows, 1f, dQKV, d, (long) cap * T * d, X, d, 0, 0f, gr(L.Wq), d, (long) d * d, 3);
        be.copy(dX.view(0, btd), dR1.view(0, btd));
        mmT(dQ, rows, d, p(L.Wq), d, dX, 1f);
        mmT(dK, rows, d, p(L.Wk), d, dX, 1f);
        mmT(dV, rows, d, p(L.Wv), d, dX, 1f);
        if (mx != null) be.mulMask(dX, mx, btd);
        // X = E[items] + P[pos]: the E gradient already holds the score part
        Buf gP = gr(L.P);
        be.fill(gP, 0f);
        be.scatterAddSorted(gE, dX, items, eOrder, eSeg, eSegments, d);
        be.scatterAddSorted(gP, dX, pos, pOrder, pSeg, pSegments, d);
        be.pop();
        // L2 on every parameter, then rows 0 of E and P held at zero
        int slot = ringUsed;
        be.push("l2_adam");
        be.colSum(rowLoss, B, 1, stepLoss.view(slot, 1), false);
        be.l2Grad(w, g, L.total(), cfg.lambda2(), stepL2.view(slot, 1));
        be.fill(gE.view(0, d), 0f);
        be.fill(gP.view(0, d), 0f);
        ringB[slot] = B;
        ringUsed++;
        if (!Double.isNaN(lr)) {
            float lrT = org.lgsr.cpu.Adam.learningRate(lr, 0.9f, 0.999f, step + 1);
            be.adam(w, g, m, v, L.total(), lrT, 0.9f, 0.999f, 1e-8f);
            step++;
        }
        be.pop();
    }

    /** Steps whose losses are in the ring, not yet read back: the ring slot of the next step. */
    public int pendingSteps() {
        return ringUsed;
    }

    /** Whether the loss ring is full (call {@link #drainLosses} before the next step). */
    public boolean ringFull() {
        return ringUsed == RING;
    }

    /**
     * The losses (mean cross-entropy + lambda2/2 * sum w^2, as the CPU engine reports) of the
     * steps since the last call, in order; waits for them.
     */
    public double[] drainLosses() {
        int k = ringUsed;
        double[] out = new double[k];
        if (k == 0) return out;
        be.download(stepLoss.view(0, k), ringLoss, 0, k);
        be.download(stepL2.view(0, k), ringL2, 0, k);
        for (int i = 0; i < k; i++) out[i] = ringLoss[i] / ringB[i] + 0.5 * cfg.lambda2() * ringL2[i];
        ringUsed = 0;
        return out;
    }

    // ------------------------------------------------------------------ evaluation

    /** Ranks of the targets of {@code bt} over all items (dropout off), by the tie rule. */
    public int[] ranks(Batch bt) {
        upload(bt, false);
        encode(bt.B, null);
        be.push("rank");
        be.rankTargets(sf, p(L.E), target, bt.B, n, d, rank);
        be.pop();
        int[] r = new int[bt.B];
        be.download(rank, r, 0, bt.B);
        return r;
    }


    @Override
    public void close() {
        // buffers belong to the backend and are freed with it
    }
}
