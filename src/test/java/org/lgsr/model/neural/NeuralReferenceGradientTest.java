package org.lgsr.model.neural;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.model.Batch;
import org.lgsr.model.ModelTestData;
import org.lgsr.model.ParamLayout.View;

/** The double-precision references of STAMP, GRU4Rec, NARM and SR-GNN against central finite differences, every parameter entry. */
class NeuralReferenceGradientTest {
    private static final int N = 13, D = 6, MAXLEN = 5, B = 7;

    /** Checks every entry; returns the number of entries whose gradient is not zero. */
    static int checkAll(NeuralConfig cfg, double[] th, Batch bt) {
        return checkAll(cfg, th, bt, NeuralDropout.NONE);
    }

    /** The same with the dropout {@code dr} (fixed masks: the loss stays a smooth function of the parameters). */
    static int checkAll(NeuralConfig cfg, double[] th, Batch bt, NeuralDropout dr) {
        NeuralReference ref = new NeuralReference(cfg);
        double[] grad = new double[th.length];
        ref.lossAndGradient(th, grad, bt, dr);
        double h = 1e-6;
        int nonzero = 0;
        for (View v : ref.layout().views()) {
            for (int i = v.offset(); i < v.end(); i++) {
                double keep = th[i];
                th[i] = keep + h;
                double up = ref.lossAndGradient(th, null, bt, dr);
                th[i] = keep - h;
                double down = ref.lossAndGradient(th, null, bt, dr);
                th[i] = keep;
                double expect = ref.layout().pinned(i) ? 0 : (up - down) / (2 * h);
                double an = grad[i];
                int at = i - v.offset();
                assertTrue(Math.abs(expect - an) <= 1e-7 + 1e-5 * Math.abs(expect),
                        () -> v.name() + "[" + at + "]: finite difference " + expect + " vs analytic " + an);
                if (an != 0) nonzero++;
            }
        }
        return nonzero;
    }

    /** Weights large enough that every nonlinearity is away from its linear regime (STAMP's own init is tiny). */
    static double[] weights(NeuralConfig cfg, long seed, double scale) {
        NeuralLayout L = new NeuralLayout(cfg);
        double[] th = new double[L.total()];
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = 0; i < th.length; i++) th[i] = L.pinned(i) ? 0 : scale * (2 * r.nextDouble() - 1);
        return th;
    }

    static Batch batch(NeuralConfig cfg, long seed) {
        Samples s = ModelTestData.samples(B, cfg.numItems(), cfg.maxLen(), seed);
        Batch bt = Batch.of(s, 0, B, cfg.maxLen());
        bt.check(cfg.numItems());
        return bt;
    }

    @Test
    void stampGradientMatchesFiniteDifferences() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.STAMP, N, D, MAXLEN, 0.01f);
        int nz = checkAll(cfg, weights(cfg, 11, 0.8), batch(cfg, 12));
        assertTrue(nz > new NeuralLayout(cfg).total() / 2, "most gradient entries should be nonzero: " + nz);
        checkAll(cfg, NeuralParameters.init(cfg, 13).weightsAsDouble(), batch(cfg, 14));
    }

    @Test
    void gru4recGradientMatchesFiniteDifferences() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.GRU4REC, N, D, MAXLEN, 0.01f);
        int nz = checkAll(cfg, weights(cfg, 21, 0.8), batch(cfg, 22));
        assertTrue(nz > new NeuralLayout(cfg).total() / 2, "most gradient entries should be nonzero: " + nz);
        checkAll(cfg, NeuralParameters.init(cfg, 23).weightsAsDouble(), batch(cfg, 24));
    }

    @Test
    void narmGradientMatchesFiniteDifferences() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.NARM, N, D, 4, MAXLEN, 0.01f); // hidden 4 != dim 6
        int nz = checkAll(cfg, weights(cfg, 31, 0.8), batch(cfg, 32));
        assertTrue(nz > new NeuralLayout(cfg).total() / 2, "most gradient entries should be nonzero: " + nz);
        checkAll(cfg, NeuralParameters.init(cfg, 33).weightsAsDouble(), batch(cfg, 34));
    }

    /**
     * NARM's code form: hard-sigmoid gates and attention (piecewise linear: large weights put some pre-activations
     * past the clip at +-2.5, where the gradient is 0, and most inside: spread 1.6), softmax attention, with and without a step's masks.
     */
    @Test
    void narmCodeFormGradientMatchesFiniteDifferences() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.NARM, N, D, 4, MAXLEN, 0.01f, true);
        double[] th = weights(cfg, 21, 1.6);
        Batch bt = batch(cfg, 22);
        int plain = checkAll(cfg, th, bt, NeuralDropout.NONE);
        int masked = checkAll(cfg, th, bt, NeuralDropout.train(99));
        assertTrue(plain > 100 && masked > 100, plain + " / " + masked + " nonzero gradient entries");
        // both sides of the clip were visited: some hard-sigmoid arguments beyond 2.5 in size, most within
        NeuralLayout L = new NeuralLayout(cfg);
        int clipped = 0, inside = 0;
        for (int b = 0; b < bt.B; b++) {
            for (int k = 0; k < bt.len[b]; k++) {
                for (int c = 0; c < 4; c++) { // the z gate's argument at step k with h_(k-1) = 0 is x Wx + bx; enough to see both regimes
                    double a = th[L.bx.offset() + c];
                    for (int e = 0; e < D; e++) a += th[L.in.offset() + bt.items[b * bt.T + k] * D + e] * th[L.Wx.offset() + e * 12 + c];
                    if (Math.abs(a) > 2.5) clipped++;
                    else inside++;
                }
            }
        }
        assertTrue(clipped > 0 && inside > clipped, clipped + " clipped, " + inside + " inside");
    }

    @Test
    void srgnnGradientMatchesFiniteDifferences() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.SRGNN, N, D, MAXLEN, 0.01f);
        int nz = checkAll(cfg, weights(cfg, 41, 0.8), batch(cfg, 42));
        assertTrue(nz > new NeuralLayout(cfg).total() / 2, "most gradient entries should be nonzero: " + nz);
        checkAll(cfg, NeuralParameters.init(cfg, 43).weightsAsDouble(), batch(cfg, 44));
        // few items: repeated clicks, so nodes with several positions, repeated edges and self loops
        NeuralConfig few = new NeuralConfig(NeuralKind.SRGNN, 4, D, MAXLEN, 0.01f);
        checkAll(few, weights(few, 45, 0.8), batch(few, 46));
    }

    /** SR-GNN's session graph of (3, 1, 3, 3, 2), worked by hand. */
    @Test
    void srgnnGraphMatchesAHandWorkedExample() {
        Samples smp = new Samples(new Sessions.Builder().add(3, 1, 3, 3, 2).build(), new int[] {1});
        NeuralReference.SessionGraph g = new NeuralReference.SessionGraph(Batch.of(smp, 0, 1, 5), 0);
        assertArrayEquals(new int[] {3, 1, 2}, g.nodes); // first-click order
        assertArrayEquals(new int[] {0, 1, 0, 0, 2}, g.alias);
        // edges 3->1, 1->3, 3->3, 3->2 (3->3 once); out-degrees 3:3, 1:1, 2:0; in-degrees 3:2, 1:1, 2:1
        double[][] aout = {{1 / 3.0, 1 / 3.0, 1 / 3.0}, {1, 0, 0}, {0, 0, 0}};
        double[][] ain = {{0.5, 0.5, 0}, {1, 0, 0}, {1, 0, 0}};
        for (int k = 0; k < 3; k++) {
            assertArrayEquals(aout[k], g.aout[k], 1e-15, "Aout row " + k);
            assertArrayEquals(ain[k], g.ain[k], 1e-15, "Ain row " + k);
        }
    }

    /** A hand-computed SR-GNN forward pass, d 1, n 3, the session (1, 2): the graph 1 -> 2, every step written out. */
    @Test
    void srgnnMatchesAHandComputedExample() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.SRGNN, 3, 1, 5, 0f);
        NeuralLayout L = new NeuralLayout(cfg);
        double[] th = new double[L.total()];
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < th.length; i++) th[i] = L.pinned(i) ? 0 : 2 * r.nextDouble() - 1;
        double e1 = th[1], e2 = th[2];
        double win = th[L.Win.offset()], bin = th[L.bin.offset()], wout = th[L.Wout.offset()], bout = th[L.bout.offset()];
        double biah = th[L.biah.offset()], boah = th[L.boah.offset()];
        // node 1 (item 1) has only an out-edge to node 2; node 2 only an in-edge from node 1
        double[] in = {biah, (e1 * win + bin) + biah};
        double[] out = {(e2 * wout + bout) + boah, boah};
        double[] x = {e1, e2}, g = new double[2];
        for (int k = 0; k < 2; k++) {
            double[] gi = new double[3], gh = new double[3];
            for (int c = 0; c < 3; c++) {
                gi[c] = in[k] * th[L.Wih.offset() + c] + out[k] * th[L.Wih.offset() + 3 + c] + th[L.bih.offset() + c];
                gh[c] = x[k] * th[L.Whh.offset() + c] + th[L.bhh.offset() + c];
            }
            double rr = 1 / (1 + Math.exp(-(gi[0] + gh[0]))), u = 1 / (1 + Math.exp(-(gi[1] + gh[1])));
            double c = Math.tanh(gi[2] + rr * gh[2]);
            g[k] = (1 - u) * c + u * x[k];
        }
        double sl = g[1], q1 = sl * th[L.Q1.offset()] + th[L.bq1.offset()];
        double sg = 0;
        for (int k = 0; k < 2; k++) {
            double a = th[L.q3.offset()] / (1 + Math.exp(-(q1 + g[k] * th[L.Q2.offset()] + th[L.bq2.offset()])));
            sg += a * g[k];
        }
        double s = sg * th[L.Wr.offset()] + sl * th[L.Wr.offset() + 1] + th[L.br.offset()];
        Samples smp = new Samples(new Sessions.Builder().add(1, 2).build(), new int[] {2});
        Batch bt = Batch.of(smp, 0, 1, 5);
        NeuralReference ref = new NeuralReference(cfg);
        assertEquals(s, ref.sessionVectors(th, bt)[0][0], 1e-14);
        double z1 = s * e1, z2 = s * e2;
        assertEquals(Math.log(Math.exp(z1) + Math.exp(z2)) - z2, ref.lossAndGradient(th, null, bt), 1e-14);
    }

    /** A hand-computed NARM forward pass, d 1, h 1, n 3, the session (2, 1). */
    @Test
    void narmMatchesAHandComputedExample() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.NARM, 3, 1, 1, 5, 0f);
        NeuralLayout L = new NeuralLayout(cfg);
        double[] th = new double[L.total()];
        java.util.SplittableRandom r = new java.util.SplittableRandom(4);
        for (int i = 0; i < th.length; i++) th[i] = L.pinned(i) ? 0 : 2 * r.nextDouble() - 1;
        double[] hs = new double[3];
        double hh = 0;
        int k = 1;
        for (double x : new double[] {th[2], th[1]}) {
            double z = 1 / (1 + Math.exp(-(th[L.Wx.offset()] * x + th[L.bx.offset()] + th[L.U.offset()] * hh)));
            double rr = 1 / (1 + Math.exp(-(th[L.Wx.offset() + 1] * x + th[L.bx.offset() + 1] + th[L.U.offset() + 1] * hh)));
            double c = Math.tanh(th[L.Wx.offset() + 2] * x + th[L.bx.offset() + 2] + th[L.Uh.offset()] * rr * hh);
            hh = (1 - z) * hh + z * c;
            hs[k++] = hh;
        }
        double cl = 0;
        for (int j = 1; j <= 2; j++) {
            cl += th[L.va.offset()] / (1 + Math.exp(-(hs[2] * th[L.A1.offset()] + hs[j] * th[L.A2.offset()]))) * hs[j];
        }
        double s = hs[2] * th[L.WB.offset()] + cl * th[L.WB.offset() + 1];
        Samples smp = new Samples(new Sessions.Builder().add(2, 1).build(), new int[] {1});
        Batch bt = Batch.of(smp, 0, 1, 5);
        NeuralReference ref = new NeuralReference(cfg);
        assertEquals(s, ref.sessionVectors(th, bt)[0][0], 1e-14);
        double z1 = s * th[1], z2 = s * th[2];
        assertEquals(Math.log(Math.exp(z1) + Math.exp(z2)) - z1, ref.lossAndGradient(th, null, bt), 1e-14);
    }

    /**
     * NARM's code form by hand, d 1, h 1, n 3, the session (2, 1): hard sigmoids, the softmax over the two positions, and
     * its three dropout modes (none; evaluation's keep rates 0.75 and 0.5; a training step's masks, drawn here from
     * DropoutMasks.keep directly).
     */
    @Test
    void narmCodeFormMatchesAHandComputedExample() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.NARM, 3, 1, 1, 5, 0f, true);
        NeuralLayout L = new NeuralLayout(cfg);
        double[] th = new double[L.total()];
        java.util.SplittableRandom r = new java.util.SplittableRandom(4);
        for (int i = 0; i < th.length; i++) th[i] = L.pinned(i) ? 0 : 4 * r.nextDouble() - 2;
        Samples smp = new Samples(new Sessions.Builder().add(2, 1).build(), new int[] {1});
        Batch bt = Batch.of(smp, 0, 1, 5);
        NeuralReference ref = new NeuralReference(cfg);
        long seed = 1234;
        double[][] factors = { // {x_1, x_2, h_t part, c_l part} for NONE, EVAL, train(seed)
            {1, 1, 1, 1},
            {0.75, 0.75, 0.5, 0.5},
            {keep(seed, 0, 0, 0.25f), keep(seed, 0, 1, 0.25f), keep(seed, 4, 0, 0.5f), keep(seed, 4, 1, 0.5f)}};
        NeuralDropout[] modes = {NeuralDropout.NONE, NeuralDropout.EVAL, NeuralDropout.train(seed)};
        for (int mode = 0; mode < 3; mode++) {
            double[] f = factors[mode];
            double[] hs = new double[3];
            double hh = 0;
            int k = 1;
            double[] xs = {th[2] * f[0], th[1] * f[1]};
            for (double x : xs) {
                double z = hsig(th[L.Wx.offset()] * x + th[L.bx.offset()] + th[L.U.offset()] * hh);
                double rr = hsig(th[L.Wx.offset() + 1] * x + th[L.bx.offset() + 1] + th[L.U.offset() + 1] * hh);
                double c = Math.tanh(th[L.Wx.offset() + 2] * x + th[L.bx.offset() + 2] + th[L.Uh.offset()] * rr * hh);
                hh = (1 - z) * hh + z * c;
                hs[k++] = hh;
            }
            double e1 = th[L.va.offset()] * hsig(hs[2] * th[L.A1.offset()] + hs[1] * th[L.A2.offset()]);
            double e2 = th[L.va.offset()] * hsig(hs[2] * th[L.A1.offset()] + hs[2] * th[L.A2.offset()]);
            double a1 = Math.exp(e1) / (Math.exp(e1) + Math.exp(e2)), a2 = 1 - a1;
            double cl = a1 * hs[1] + a2 * hs[2];
            double s = hs[2] * f[2] * th[L.WB.offset()] + cl * f[3] * th[L.WB.offset() + 1];
            double z1 = s * th[1], z2 = s * th[2];
            if (mode == 1) {
                assertEquals(s, ref.sessionVectors(th, bt)[0][0], 1e-14, "evaluation");
            } else {
                assertEquals(Math.log(Math.exp(z1) + Math.exp(z2)) - z1, ref.lossAndGradient(th, null, bt, modes[mode]), 1e-14, "mode " + mode);
            }
        }
        assertEquals(0.0, NeuralReference.hardSigmoid(-2.5), 0.0);
        assertEquals(1.0, NeuralReference.hardSigmoid(3), 0.0);
        assertEquals(0.6, NeuralReference.hardSigmoid(0.5), 1e-15);
    }

    private static double hsig(double x) {
        return Math.max(0, Math.min(1, 0.2 * x + 0.5));
    }

    private static double keep(long seed, int site, long index, float rate) {
        return org.lgsr.model.DropoutMasks.keep(seed, site, index, rate) ? 1 : 0;
    }

    /** A hand-computed STAMP forward pass, d 1, n 3, the session (1, 2): every step written out here. */
    @Test
    void stampMatchesAHandComputedExample() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.STAMP, 3, 1, 5, 0f);
        NeuralLayout L = new NeuralLayout(cfg);
        double[] th = new double[L.total()];
        double e1 = 0.5, e2 = -1.0, w1 = 0.3, w2 = -0.7, w3 = 1.1, ba = 0.2, w0 = 1.5, ws = 0.9, bs = -0.1, wt = 0.4, btv = 0.3;
        th[L.out.offset() + 1] = e1;
        th[L.out.offset() + 2] = e2;
        th[L.W1.offset()] = w1;
        th[L.W2.offset()] = w2;
        th[L.W3.offset()] = w3;
        th[L.ba.offset()] = ba;
        th[L.w0.offset()] = w0;
        th[L.Ws.offset()] = ws;
        th[L.bs.offset()] = bs;
        th[L.Wt.offset()] = wt;
        th[L.bt.offset()] = btv;
        double ms = (e1 + e2) / 2, xt = e2;
        double a1 = w0 / (1 + Math.exp(-(w1 * e1 + w2 * xt + w3 * ms + ba)));
        double a2 = w0 / (1 + Math.exp(-(w1 * e2 + w2 * xt + w3 * ms + ba)));
        double ma = a1 * e1 + a2 * e2;
        double s = Math.tanh(ws * ma + bs) * Math.tanh(wt * xt + btv);
        double z1 = s * e1, z2 = s * e2;
        double loss = Math.log(Math.exp(z1) + Math.exp(z2)) - z1; // target item 1
        Samples smp = new Samples(new Sessions.Builder().add(1, 2).build(), new int[] {1});
        Batch bt = Batch.of(smp, 0, 1, 5);
        NeuralReference ref = new NeuralReference(cfg);
        assertEquals(s, ref.sessionVectors(th, bt)[0][0], 1e-15);
        assertEquals(loss, ref.lossAndGradient(th, null, bt), 1e-15);
    }

    /** A hand-computed GRU4Rec forward pass, d 1, n 3, the session (2, 1). */
    @Test
    void gru4recMatchesAHandComputedExample() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.GRU4REC, 3, 1, 5, 0f);
        NeuralLayout L = new NeuralLayout(cfg);
        double[] th = new double[L.total()];
        double o1 = 0.8, o2 = -0.4, e1 = 0.5, e2 = -1.2;
        double wz = 0.6, wr = -0.3, wc = 1.2, bz = 0.1, br = 0.2, bc = -0.3, uz = 0.7, ur = -0.5, uh = 0.9;
        th[L.out.offset() + 1] = o1;
        th[L.out.offset() + 2] = o2;
        th[L.in.offset() + 1] = e1;
        th[L.in.offset() + 2] = e2;
        th[L.Wx.offset()] = wz;
        th[L.Wx.offset() + 1] = wr;
        th[L.Wx.offset() + 2] = wc;
        th[L.bx.offset()] = bz;
        th[L.bx.offset() + 1] = br;
        th[L.bx.offset() + 2] = bc;
        th[L.U.offset()] = uz;
        th[L.U.offset() + 1] = ur;
        th[L.Uh.offset()] = uh;
        double h = 0;
        for (double x : new double[] {e2, e1}) {
            double z = 1 / (1 + Math.exp(-(wz * x + bz + uz * h)));
            double r = 1 / (1 + Math.exp(-(wr * x + br + ur * h)));
            double c = Math.tanh(wc * x + bc + uh * r * h);
            h = (1 - z) * h + z * c;
        }
        double z1 = h * o1, z2 = h * o2;
        double loss = Math.log(Math.exp(z1) + Math.exp(z2)) - z2; // target item 2
        Samples smp = new Samples(new Sessions.Builder().add(2, 1).build(), new int[] {2});
        Batch bt = Batch.of(smp, 0, 1, 5);
        NeuralReference ref = new NeuralReference(cfg);
        assertEquals(h, ref.sessionVectors(th, bt)[0][0], 1e-15);
        assertEquals(loss, ref.lossAndGradient(th, null, bt), 1e-15);
    }

    @Test
    void initializationFollowsEachModelsRule() {
        NeuralConfig st = new NeuralConfig(NeuralKind.STAMP, 2001, 100, 19, 0f);
        NeuralParameters p = NeuralParameters.init(st, 5);
        NeuralLayout L = p.layout;
        for (int c = 0; c < 100; c++) assertEquals(0f, p.w[c]);
        assertEquals(0.002, std(p.w, L.out.offset() + 100, L.out.end()), 0.0002);
        assertEquals(0.05, std(p.w, L.W1.offset(), L.W1.end()), 0.002);
        assertEquals(0.0, std(p.w, L.ba.offset(), L.ba.end()), 0.0);
        NeuralParameters q = NeuralParameters.init(new NeuralConfig(NeuralKind.GRU4REC, 2001, 100, 19, 0f), 5);
        double a = 0.1; // 1/sqrt(100)
        for (int i = 0; i < q.w.length; i++) assertTrue(Math.abs(q.w[i]) <= a);
        assertEquals(a / Math.sqrt(3), std(q.w, q.layout.Wx.offset(), q.layout.Wx.end()), 0.002); // uniform(-a, a)
        for (int c = 0; c < 100; c++) assertEquals(0f, q.w[q.layout.in.offset() + c]);
        // NARM's code form: N(0, 2 / rows of the code's matrix), orthogonal recurrent blocks, zero bias
        NeuralParameters c = NeuralParameters.init(new NeuralConfig(NeuralKind.NARM, 2001, 50, 100, 19, 0f, true), 5);
        NeuralLayout cl = c.layout;
        for (int e = 0; e < 50; e++) assertEquals(0f, c.w[cl.out.offset() + e]);
        assertEquals(Math.sqrt(2.0 / 2001), std(c.w, cl.out.offset() + 50, cl.out.end()), 0.002 * Math.sqrt(2.0 / 2001) * 10);
        assertEquals(Math.sqrt(2.0 / 50), std(c.w, cl.Wx.offset(), cl.Wx.end()), 0.01);
        assertEquals(Math.sqrt(2.0 / 100), std(c.w, cl.A1.offset(), cl.A1.end()), 0.005);
        assertEquals(Math.sqrt(2.0 / 50), std(c.w, cl.WB.offset(), cl.WB.end()), 0.01);
        assertEquals(Math.sqrt(2.0), std(c.w, cl.va.offset(), cl.va.end()), 0.35); // 100 draws
        assertEquals(0.0, std(c.w, cl.bx.offset(), cl.bx.end()), 0.0);
        assertEquals(0f, c.w[cl.bx.offset()]);
        // U's two blocks and Uh: Q^T Q = I
        int h = 100;
        for (int[] blk : new int[][] {{cl.U.offset(), 2 * h, 0}, {cl.U.offset(), 2 * h, h}, {cl.Uh.offset(), h, 0}}) {
            for (int i = 0; i < h; i += 7) {
                for (int j = 0; j < h; j += 5) {
                    double dot = 0;
                    for (int row = 0; row < h; row++) dot += (double) c.w[blk[0] + row * blk[1] + blk[2] + i] * c.w[blk[0] + row * blk[1] + blk[2] + j];
                    assertEquals(i == j ? 1.0 : 0.0, dot, 1e-5, "orthogonality, columns " + i + ", " + j);
                }
            }
        }
    }

    private static double std(float[] w, int from, int to) {
        double s = 0, s2 = 0;
        for (int i = from; i < to; i++) {
            s += w[i];
            s2 += (double) w[i] * w[i];
        }
        int k = to - from;
        return Math.sqrt(Math.max(0, s2 / k - (s / k) * (s / k)));
    }
}
