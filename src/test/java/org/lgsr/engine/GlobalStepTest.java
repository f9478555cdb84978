package org.lgsr.engine;

import org.lgsr.TestData;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.Sessions;
import org.lgsr.data.SyntheticData;
import org.lgsr.graph.AdamTf;
import org.lgsr.graph.AliasTable;
import org.lgsr.graph.EmbeddingAdam;
import org.lgsr.graph.GlobalEncoder;
import org.lgsr.graph.ItemGraph;
import org.lgsr.graph.RandomWalks;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.ParamLayout;
import org.lgsr.model.Parameters;
import org.lgsr.train.GlobalSettings;

/**
 * The engine's L_g pass ({@link GlobalStep}: walks, pairs, NCE and the three dense Adams as
 * kernels) on the kernels' CPU twins against the CPU engine's pass (RandomWalks,
 * GlobalEncoder.trainPass, EmbeddingAdam): the same pairs, the same loss, the same E and theta.
 */
class GlobalStepTest {

    static final int D = 16;
    static final double LR = 0.01;

    /** The model (d 16), its initial parameters, and the CPU engine's pass over them: the reference of both tests. */
    record Reference(SessionDataset data, ModelConfig cfg, ParamLayout L, float[] w0, float[] w, Sessions walks,
                     GlobalEncoder.PassStats pass, float[] theta) {
    }

    static Reference cpuPass(GlobalSettings gs, GlobalEncoder.Options o, long seed) {
        SessionDataset data = SyntheticData.generate(SyntheticData.Config.defaults());
        Sessions train = data.trainSessions();
        int n = data.numItems();
        ModelConfig cfg = ModelConfig.defaults(n).withVariant(org.lgsr.model.Variant.LGSR_C);
        cfg = new ModelConfig(n, D, cfg.maxLen(), cfg.dropout(), cfg.lambda2(), cfg.variant(), cfg.hardSigmoid());
        ParamLayout L = new ParamLayout(cfg);
        Parameters p = Parameters.init(cfg, seed);
        float[] w0 = p.w.clone();
        ItemGraph graph = ItemGraph.build(train, n);
        Sessions walks = RandomWalks.generate(graph, AliasTable.of(graph), new RandomWalks.Config(gs.walksPerNode(), gs.walkLength(), seed, 1));
        float[] eGrad = new float[n * D];
        try (GlobalEncoder enc = new GlobalEncoder(graph, new GlobalEncoder.Config(D, gs.window(), gs.batchSize(), gs.negatives(), true, true,
                AdamTf.Mode.DENSE, seed, 1), o);
             EmbeddingAdam eAdam = new EmbeddingAdam(p.w, L.E.offset(), eGrad, 0, n, D, AdamTf.Mode.DENSE, LR, 1)) {
            GlobalEncoder.PassStats ref = enc.trainPass(walks, 0, p.w, L.E.offset(), eGrad, 0, LR, eAdam, gs.maxBatches());
            return new Reference(data, cfg, L, w0, p.w, walks, ref, enc.theta().clone());
        }
    }

    @Test
    void passMatchesTheCpuEncoder() {
        long seed = 11;
        GlobalSettings gs = new GlobalSettings(2, 12, 8, 16, 2, 512, false, 5, 5e-4);
        Reference r = cpuPass(gs, GlobalEncoder.Options.tfNce(), seed);
        int n = r.data().numItems(), d = D;
        ParamLayout L = r.L();
        float[] w0 = r.w0();
        GlobalEncoder.PassStats ref = r.pass();

        // the engine on the CPU twins
        try (CpuBackend be = new CpuBackend(); RecStep rs = new RecStep(be, r.cfg(), 8)) {
            rs.setParameters(w0);
            GlobalStep g = new GlobalStep(be, rs, r.data().trainSessions(), n, gs, seed);
            assertEquals((long) r.walks().totalItems(), ((Number) g.info().get("walkSteps")).longValue(), "walk steps");
            GlobalEncoder.PassStats st = g.pass(LR, null);
            assertEquals(ref.batches(), st.batches(), "batches");
            assertEquals(ref.pairs(), st.pairs(), "pairs");
            assertEquals(ref.meanLoss(), st.meanLoss(), 1e-5 * Math.abs(ref.meanLoss()), "mean loss");
            float[] w = rs.parameters();
            double eErr = TestData.relErr(w, L.E.offset(), r.w(), L.E.offset(), n * d);
            assertTrue(eErr < 1e-4, "E after the pass: relative error " + eErr);
            float[] th = g.theta();
            double tErr = TestData.relErr(th, 0, r.theta(), 0, th.length);
            assertTrue(tErr < 1e-4, "theta after the pass: relative error " + tErr);
            // the rest of the parameters are untouched by L_g
            assertEquals(0.0, TestData.relErr(w, L.P.offset(), w0, L.P.offset(), L.total() - L.P.offset()), "non-E parameters");
        }
    }

    /**
     * The remedies the engine runs (--g-tie on, --g-logq off): one pass on the twins against the CPU encoder with
     * the same options. Compared on the change of E (w - w0), not on the whole table, so that the initial values
     * do not dilute an error.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"true,false", "false,true", "true,true"})
    void remediesMatchTheCpuEncoder(boolean tie, boolean logQOff) {
        long seed = 12;
        GlobalSettings gs = new GlobalSettings(2, 12, 8, 16, 2, 512, false, 5, 5e-4).withRemedies(1.0, !logQOff, tie, "none", false, 0);
        Reference r = cpuPass(gs, new GlobalEncoder.Options(!logQOff, tie, false), seed);
        int n = r.data().numItems(), d = D;
        ParamLayout L = r.L();
        float[] w0 = r.w0();
        GlobalEncoder.PassStats ref = r.pass();
        try (CpuBackend be = new CpuBackend(); RecStep rs = new RecStep(be, r.cfg(), 8)) {
            rs.setParameters(w0);
            GlobalStep g = new GlobalStep(be, rs, r.data().trainSessions(), n, gs, seed);
            GlobalEncoder.PassStats st = g.pass(LR, null);
            assertEquals(ref.batches(), st.batches(), "batches");
            assertEquals(ref.meanLoss(), st.meanLoss(), 1e-5 * Math.abs(ref.meanLoss()), "mean loss");
            float[] w = rs.parameters();
            float[] dRef = new float[n * d], dGot = new float[n * d];
            for (int i = 0; i < n * d; i++) {
                dRef[i] = r.w()[L.E.offset() + i] - w0[L.E.offset() + i];
                dGot[i] = w[L.E.offset() + i] - w0[L.E.offset() + i];
            }
            double err = TestData.relErr(dGot, 0, dRef, 0, n * d);
            assertTrue(err < 1e-3, "change of E: relative error " + err);
            if (tie) {
                float[] th = g.theta();
                for (int i = 0; i < n * d; i++) assertEquals(w[L.E.offset() + i], th[i], "tied theta is E");
            }
        }
    }
}
