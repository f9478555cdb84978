package org.lgsr.engine;

import org.lgsr.TestData;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lgsr.data.Samples;
import org.lgsr.eval.Ranking;
import org.lgsr.cpu.Adam;
import org.lgsr.model.Batch;
import org.lgsr.model.DropoutMasks;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.ParamLayout;
import org.lgsr.model.Parameters;
import org.lgsr.model.Variant;
import org.lgsr.model.cpu.CpuModel;

/**
 * The GPU engine's orchestration ({@link RecStep}) run on the kernels' CPU twins
 * ({@link CpuBackend}) against the CPU engine ({@link CpuModel}, itself checked against the
 * float64 reference by finite differences): loss, every gradient block, the Adam update and
 * the evaluation ranks. This proves the step's decomposition into kernels on any machine; the
 * GPU tests then compare each kernel with its twin.
 */
class RecStepTest {


    @ParameterizedTest(name = "{0} hard={1} dropout={2}")
    @CsvSource({"LGSR_C, true, 0.3", "LGSR_C, false, 0.0", "LGSR_A, true, 0.3"})
    void stepMatchesTheCpuEngine(Variant variant, boolean hard, float dropout) {
        int n = 61, d = 12, T = 5, B = 9;
        long seed = 20261127L;
        ModelConfig cfg = new ModelConfig(n, d, T, dropout, 1e-3f, variant, hard);
        ParamLayout L = new ParamLayout(cfg);
        Samples s = org.lgsr.model.ModelTestData.samples(B, n, T, seed);
        Batch bt = Batch.of(s, 0, B, T);
        long maskSeed = DropoutMasks.stepSeed(seed, 0);
        DropoutMasks masks = dropout > 0 ? DropoutMasks.generate(maskSeed, B, T, d, variant.catDim(d), dropout) : null;

        Parameters p = Parameters.init(cfg, seed);
        // perturb LayerNorm and q away from their initial values so their gradients are generic
        SplittableRandom r = new SplittableRandom(7);
        for (ParamLayout.View v : L.views()) {
            if (v.name().startsWith("ln") || v.name().equals("q") || v.name().startsWith("b")) {
                for (int i = v.offset(); i < v.end(); i++) p.w[i] += (float) (0.3 * (r.nextDouble() - 0.5));
            }
        }
        Parameters ref = Parameters.init(cfg, seed);
        System.arraycopy(p.w, 0, ref.w, 0, p.w.length);
        double refLoss;
        try (CpuModel cm = new CpuModel(cfg, B, 1, false)) {
            refLoss = cm.forwardBackward(ref, bt, masks);
        }

        try (CpuBackend be = new CpuBackend(); RecStep rs = new RecStep(be, cfg, 16)) {
            rs.setParameters(p.w);
            rs.trainStep(bt, dropout > 0 ? maskSeed : null, Double.NaN);
            double loss = rs.drainLosses()[0];
            assertEquals(refLoss, loss, 1e-5 * Math.abs(refLoss), "loss");
            float[] g = rs.gradient();
            for (ParamLayout.View v : L.views()) {
                double e = TestData.relErr(g, v.offset(), ref.g, v.offset(), v.size());
                assertTrue(e < 1e-5, "gradient of " + v.name() + ": relative error " + e);
            }
            // the Adam update: the engine's step (L2, then the one Adam) against the CPU engine's
            rs.setParameters(p.w);
            rs.trainStep(bt, dropout > 0 ? maskSeed : null, 1e-3);
            Adam.adam(ref.w, ref.g, ref.m, ref.v, ref.w.length, Adam.learningRate(1e-3, 0.9f, 0.999f, ref.step + 1), 0.9f, 0.999f, 1e-8f);
            ref.step++;
            float[] w = rs.parameters();
            assertTrue(TestData.relErr(w, 0, ref.w, 0, w.length) < 1e-6, "parameters after Adam");
            assertEquals(1, rs.step);

            // evaluation ranks against the CPU engine's scores and the tie rule
            int[] ranks = rs.ranks(bt);
            float[] scores = new float[B * n];
            try (CpuModel cm = new CpuModel(cfg, B, 1, false)) {
                org.lgsr.model.Parameters now = Parameters.init(cfg, seed);
                System.arraycopy(w, 0, now.w, 0, w.length);
                cm.refreshItemTable(now);
                cm.scoreAll(now, bt, scores);
            }
            int[] expect = new int[B];
            for (int b = 0; b < B; b++) expect[b] = Ranking.rank(scores, b * n, n, bt.target[b]);
            assertArrayEquals(expect, ranks, "ranks");
        }
    }
}
