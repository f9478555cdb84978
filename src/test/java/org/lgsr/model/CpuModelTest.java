package org.lgsr.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lgsr.data.Samples;
import org.lgsr.model.cpu.CpuModel;

/** The float engine against the double reference: loss and every gradient group. */
class CpuModelTest {

    /** max over groups of ||g_float - g_double|| / ||g_double||, asserting each is below tol. */
    static void compare(ModelConfig cfg, int B, long seed, boolean dropout, int threads, double tol) {
        compare(cfg, B, seed, dropout, threads, tol, true);
    }

    static void compare(ModelConfig cfg, int B, long seed, boolean dropout, int threads, double tol, boolean simd) {
        Samples s = ModelTestData.samples(B, cfg.numItems(), cfg.maxLen(), seed);
        Batch bt = Batch.of(s, 0, B, cfg.maxLen());
        Parameters p = Parameters.init(cfg, seed + 1);
        // move LayerNorm parameters off their init so their gradients matter
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed + 2);
        for (ParamLayout.View v : new ParamLayout.View[] {p.layout.ln1g, p.layout.ln1b, p.layout.ln2g, p.layout.ln2b, p.layout.b1, p.layout.b2}) {
            for (int i = v.offset(); i < v.end(); i++) p.w[i] += (float) (0.3 * (r.nextDouble() - 0.5));
        }
        DropoutMasks mk = dropout ? DropoutMasks.generate(seed + 3, B, cfg.maxLen(), cfg.dim(), cfg.variant().catDim(cfg.dim()), cfg.dropout()) : null;
        ReferenceModel ref = new ReferenceModel(cfg);
        double[] th = p.weightsAsDouble();
        double[] gd = new double[th.length];
        double lossD = ref.lossAndGradient(th, gd, bt, mk);
        double lossF;
        try (CpuModel m = new CpuModel(cfg, B, threads, simd)) {
            lossF = m.forwardBackward(p, bt, mk);
        }
        assertEquals(lossD, lossF, tol * Math.abs(lossD), "loss");
        for (ParamLayout.View v : p.layout.views()) {
            double num = 0, den = 0;
            for (int i = v.offset(); i < v.end(); i++) {
                num += (p.g[i] - gd[i]) * (p.g[i] - gd[i]);
                den += gd[i] * gd[i];
            }
            double rel = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
            assertTrue(den > 0, v.name() + " has an all-zero gradient");
            assertTrue(rel < tol, v.name() + ": relative gradient error " + rel);
        }
    }

    private static ModelConfig cfg(int n, int d, int maxLen) {
        return new ModelConfig(n, d, maxLen, 0.3f, 1e-3f, Variant.LGSR_C, true);
    }

    @Test
    void matchesReferenceDropoutOff() {
        compare(cfg(300, 24, 7), 21, 1, false, 1, 1e-5);
    }

    @Test
    void matchesReferenceDropoutOnSameMasks() {
        compare(cfg(300, 24, 7), 21, 2, true, 1, 1e-5);
    }

    @Test
    void matchesReferenceAtModelWidthMultiThreaded() {
        compare(cfg(1500, 100, 19), 40, 3, true, 2, 1e-5);
    }

    @Test
    void matchesReferenceVariantAAndSigmoid() {
        compare(cfg(200, 16, 5).withVariant(Variant.LGSR_A), 13, 4, true, 1, 1e-5);
        compare(cfg(200, 16, 5).withHardSigmoid(false), 13, 5, true, 2, 1e-5);
    }

    @Test
    void scalarPathMatchesReference() {
        compare(cfg(300, 24, 7), 21, 6, true, 2, 1e-5, false);
        compare(cfg(1500, 100, 19), 40, 7, true, 2, 1e-5, false);
    }

    @Test
    void vectorPathIsUsedWhereAvailable() {
        try (CpuModel m = new CpuModel(cfg(300, 100, 7), 8, 1)) {
            assertEquals(org.lgsr.model.cpu.Simd.available(), m.usesSimd(), org.lgsr.model.cpu.Simd.describe());
        }
    }

    @Test
    void bitIdenticalAcrossRunsAndThreadCounts() {
        bitIdentical(cfg(700, 32, 9), true);
        bitIdentical(cfg(700, 32, 9), false);
        bitIdentical(cfg(1000, 100, 9), true);
    }

    private static void bitIdentical(ModelConfig c, boolean simd) {
        Samples s = ModelTestData.samples(37, c.numItems(), c.maxLen(), 9);
        Batch bt = Batch.of(s, 0, 37, c.maxLen());
        DropoutMasks mk = DropoutMasks.generate(4, 37, c.maxLen(), c.dim(), 2 * c.dim(), 0.3f);
        float[] first = null;
        double firstLoss = 0;
        for (int threads : new int[] {1, 1, 2, 3}) {
            Parameters p = Parameters.init(c, 8);
            double loss;
            try (CpuModel m = new CpuModel(c, 37, threads, simd)) {
                loss = m.forwardBackward(p, bt, mk);
            }
            if (first == null) {
                first = p.g.clone();
                firstLoss = loss;
            } else {
                assertEquals(firstLoss, loss, 0.0);
                assertArrayEquals(first, p.g, "threads=" + threads + " simd=" + simd);
            }
        }
    }
}
