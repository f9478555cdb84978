package org.lgsr.model.neural;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.model.Batch;
import org.lgsr.model.ModelTestData;
import org.lgsr.model.ParamLayout.View;

/** The double-precision references of STAMP and GRU4Rec against central finite differences, every parameter entry. */
class NeuralReferenceGradientTest {
    private static final int N = 13, D = 6, MAXLEN = 5, B = 7;

    /** Checks every entry; returns the number of entries whose gradient is not zero. */
    static int checkAll(NeuralConfig cfg, double[] th, Batch bt) {
        NeuralReference ref = new NeuralReference(cfg);
        double[] grad = new double[th.length];
        ref.lossAndGradient(th, grad, bt);
        double h = 1e-6;
        int nonzero = 0;
        for (View v : ref.layout().views()) {
            for (int i = v.offset(); i < v.end(); i++) {
                double keep = th[i];
                th[i] = keep + h;
                double up = ref.lossAndGradient(th, null, bt);
                th[i] = keep - h;
                double down = ref.lossAndGradient(th, null, bt);
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
