package org.lgsr.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lgsr.data.Samples;

/** The double-precision reference against central finite differences, every parameter entry. */
class ReferenceGradientTest {
    private static final int N = 13, D = 6, MAXLEN = 5, B = 7;

    private static ModelConfig small() {
        return new ModelConfig(N, D, MAXLEN, 0f, 0.01f, Variant.LGSR_C, true);
    }

    /** Checks every entry; returns the number of entries whose gradient is not zero. */
    static int checkAll(ModelConfig cfg, double[] th, Batch bt, DropoutMasks masks) {
        ReferenceModel ref = new ReferenceModel(cfg);
        double[] grad = new double[th.length];
        ref.lossAndGradient(th, grad, bt, masks);
        double h = 1e-6;
        int nonzero = 0;
        for (ParamLayout.View v : ref.layout().views()) {
            for (int i = v.offset(); i < v.end(); i++) {
                double keep = th[i];
                th[i] = keep + h;
                double up = ref.lossAndGradient(th, null, bt, masks);
                th[i] = keep - h;
                double down = ref.lossAndGradient(th, null, bt, masks);
                th[i] = keep;
                double fd = (up - down) / (2 * h);
                // rows 0 of E and P are held at zero: their gradient is defined as 0
                boolean pinned = (v == ref.layout().E || v == ref.layout().P) && i < v.offset() + v.cols();
                double expect = pinned ? 0 : fd;
                double err = Math.abs(expect - grad[i]);
                double an = grad[i];
                int at = i - v.offset();
                assertTrue(err <= 1e-7 + 1e-5 * Math.abs(expect),
                        () -> v.name() + "[" + at + "]: finite difference " + expect + " vs analytic " + an);
                if (grad[i] != 0) nonzero++;
            }
        }
        return nonzero;
    }

    private static double[] weights(ModelConfig cfg, long seed) {
        Parameters p = Parameters.init(cfg, seed);
        double[] th = p.weightsAsDouble();
        // perturb gamma/beta/biases away from their trivial init so their gradients are exercised
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed + 1);
        ParamLayout L = p.layout;
        for (ParamLayout.View v : new ParamLayout.View[] {L.ln1g, L.ln1b, L.ln2g, L.ln2b}) {
            for (int i = v.offset(); i < v.end(); i++) th[i] += 0.3 * (r.nextDouble() - 0.5);
        }
        return th;
    }

    private static Batch batch(ModelConfig cfg, long seed) {
        Samples s = ModelTestData.samples(B, cfg.numItems(), cfg.maxLen(), seed);
        Batch bt = Batch.of(s, 0, B, cfg.maxLen());
        bt.check(cfg.numItems());
        return bt;
    }

    @Test
    void batchIsLeftAlignedWithCodePositions() {
        Samples s = new Samples(new org.lgsr.data.Sessions.Builder().add(5, 6, 7).add(1, 2, 3, 4, 5, 6, 7).build(), new int[] {8, 9});
        Batch bt = Batch.of(s, 0, 2, 5);
        assertEquals(3, bt.len[0]);
        assertEquals(5, bt.len[1]);
        assertEquals("[5, 6, 7, 0, 0, 3, 4, 5, 6, 7]", java.util.Arrays.toString(bt.items));
        assertEquals("[3, 2, 1, 0, 0, 5, 4, 3, 2, 1]", java.util.Arrays.toString(bt.pos));
    }

    @Test
    void gradientMatchesFiniteDifferencesDropoutOff() {
        ModelConfig cfg = small();
        int nz = checkAll(cfg, weights(cfg, 11), batch(cfg, 12), null);
        assertTrue(nz > new ParamLayout(cfg).total() / 2, "most gradient entries should be nonzero: " + nz);
    }

    @Test
    void gradientMatchesFiniteDifferencesDropoutOn() {
        ModelConfig cfg = small().withDropout(0.3f);
        DropoutMasks mk = DropoutMasks.generate(77, B, MAXLEN, D, cfg.variant().catDim(D), 0.3f);
        checkAll(cfg, weights(cfg, 21), batch(cfg, 22), mk);
    }

    @Test
    void gradientMatchesFiniteDifferencesVariantA() {
        ModelConfig cfg = small().withVariant(Variant.LGSR_A).withDropout(0.3f);
        DropoutMasks mk = DropoutMasks.generate(78, B, MAXLEN, D, cfg.variant().catDim(D), 0.3f);
        checkAll(cfg, weights(cfg, 31), batch(cfg, 32), mk);
        checkAll(cfg, weights(cfg, 33), batch(cfg, 34), null);
    }

    @Test
    void gradientMatchesFiniteDifferencesSigmoid() {
        ModelConfig cfg = small().withHardSigmoid(false);
        checkAll(cfg, weights(cfg, 41), batch(cfg, 42), null);
    }

    @Test
    void gradientMatchesFiniteDifferencesSaturatedHardSigmoid() {
        ModelConfig cfg = small();
        double[] th = weights(cfg, 51);
        ParamLayout L = new ParamLayout(cfg);
        for (ParamLayout.View v : new ParamLayout.View[] {L.Wa1, L.Wa2}) {
            for (int i = v.offset(); i < v.end(); i++) th[i] *= 12;
        }
        checkAll(cfg, th, batch(cfg, 52), null);
    }

    @Test
    void dropoutMasksAreReproducibleAndHaveTheRightRate() {
        DropoutMasks a = DropoutMasks.generate(5, 64, 19, 100, 200, 0.3f);
        DropoutMasks b = DropoutMasks.generate(5, 64, 19, 100, 200, 0.3f);
        DropoutMasks c = DropoutMasks.generate(6, 64, 19, 100, 200, 0.3f);
        assertTrue(java.util.Arrays.equals(a.x, b.x) && java.util.Arrays.equals(a.cat, b.cat));
        assertTrue(!java.util.Arrays.equals(a.x, c.x));
        int kept = 0;
        for (float f : a.x) if (f != 0) kept++;
        double rate = kept / (double) a.x.length;
        assertEquals(0.7, rate, 0.005);
        for (float f : a.x) assertTrue(f == 0f || f == 1f / 0.7f);
    }
}
