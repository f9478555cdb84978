package org.lgsr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.SyntheticData;
import org.lgsr.graph.TableHealth;

/**
 * Joint runs through {@link Trainer} on a small synthetic dataset: the health of E after each pass, the first
 * L_rec loss of each epoch, the comparison with the baselines, the two early-stop rules, and centring E after a
 * pass.
 */
class GlobalRemediesTrainerTest {
    static final SessionDataset DATA = SyntheticData.generate(SyntheticData.Config.defaults().withSeed(5).withSize(160, 400, 300));

    static TrainConfig config(int epochs, GlobalSettings g) {
        return new TrainConfig("synth", "lgsr", epochs, 32, 5e-3, "constant", 0.3f, 1e-5f, 16, 16, 10, false, 7L, 1,
                new int[] {20}, 2, 1, false, g);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> run(TrainConfig cfg, StringBuilder text) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Map<String, Object> report;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            report = new Trainer(DATA, cfg, out, null).run("test", "cpu", () -> false).report();
        }
        if (text != null) text.append(buf.toString(StandardCharsets.UTF_8));
        return report;
    }

    @SuppressWarnings("unchecked")
    static int passesIn(Map<String, Object> report, int epoch) {
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) report.get("epochs");
        return ((List<?>) epochs.get(epoch - 1).get("globalPasses")).size();
    }

    @Test
    @SuppressWarnings("unchecked")
    void healthFirstLossAndComparisonAreReported() {
        StringBuilder text = new StringBuilder();
        Map<String, Object> r = run(config(1, new GlobalSettings(1, 10, 4, 8, 2, 256, false, 2, 5e-4)), text);
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) r.get("epochs");
        Map<String, Object> pass = ((List<Map<String, Object>>) epochs.get(0).get("globalPasses")).get(1);
        Map<String, Object> h = (Map<String, Object>) pass.get("health");
        Map<String, Double> eh = (Map<String, Double>) h.get("E");
        assertTrue(eh.get("meanRowNorm") > 0 && eh.get("meanCosineToMean") > -1 && eh.get("meanCosineToMean") <= 1, eh.toString());
        assertTrue((Double) h.get("biasMin") <= (Double) h.get("biasMax"));
        double first = (Double) epochs.get(0).get("firstStepLoss");
        // before any L_rec step the model's loss is near log(n): a softmax over about 160 items
        assertTrue(first > 0.5 * Math.log(DATA.numItems()) && first < 3 * Math.log(DATA.numItems()), "first step loss " + first);
        Map<String, Object> cmp = (Map<String, Object>) r.get("comparison");
        assertNotNull(cmp.get("spop"));
        assertNotNull(cmp.get("itemknn"));
        assertTrue(text.toString().contains("beside (P@20 / MRR@20): this run"), text.toString());
        assertTrue(text.toString().contains("E: norm"), text.toString());
    }

    @Test
    void earlyStopIsConsultedAtTheEpochStartByDefault() {
        // a stop delta no pass can miss: the second pass of epoch 1 is the first that converges
        GlobalSettings authors = new GlobalSettings(1, 10, 4, 8, 3, 256, false, 1, 1e9);
        assertEquals(3, passesIn(run(config(2, authors), null), 1), "the authors' code runs the epoch's passes to the end");
        assertEquals(0, passesIn(run(config(2, authors), null), 2));
        GlobalSettings atPass = new GlobalSettings(1, 10, 4, 8, 3, 256, false, 1, 1e9, 1.0, true, false, "none", false, false, 0, false);
        assertEquals(2, passesIn(run(config(2, atPass), null), 1), "--g-stop-at pass ends L_g right after the converged pass");
        assertEquals(0, passesIn(run(config(2, atPass), null), 2));
        GlobalSettings pretrain = new GlobalSettings(1, 10, 4, 8, 2, 256, false, 1, 0.0, 1.0, true, false, "none", true, false, 1, false);
        Map<String, Object> r = run(config(3, pretrain), null);
        assertEquals(2, passesIn(r, 1));
        assertEquals(0, passesIn(r, 2), "--g-epochs 1: L_g only before the first L_rec epoch");
        assertEquals(0, passesIn(r, 3));
    }

    @Test
    @SuppressWarnings("unchecked")
    void centringAfterAPassLeavesAZeroMeanRow() {
        GlobalSettings g = new GlobalSettings(1, 10, 4, 8, 1, 256, false, 3, 5e-4, 1.0, true, false, "pass", true, false, 0, false);
        Map<String, Object> r = run(config(1, g), null);
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) r.get("epochs");
        Map<String, Object> h = (Map<String, Object>) ((List<Map<String, Object>>) epochs.get(0).get("globalPasses")).get(0).get("health");
        assertEquals(0, ((Map<String, Double>) h.get("E")).get("normOfMeanRow"), 1e-6);

        float[] t = {0, 0, 1, 2, 3, 4, 5, 9};
        GlobalPhase.centerTable(t, 0, 4, 2);
        TableHealth th = TableHealth.of(t, 0, 4, 2);
        assertEquals(0, th.meanRowNorm(), 1e-6);
        assertEquals(0f, t[0]);
        assertEquals(0f, t[1]);
        assertEquals(-2f, t[2], 1e-6);
        assertEquals(-3f, t[3], 1e-6);
    }

    @Test
    void interleavedBatchesInPiecesEqualAWholePass() {
        int n = DATA.numItems(), d = 8;
        GlobalSettings g = new GlobalSettings(1, 10, 4, 8, 2, 64, false, 0, 5e-4, 1.0, true, true, "grad", true, true, 0, false);
        float[] e1 = new float[3 + n * d];
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 3 + d; i < e1.length; i++) e1[i] = (float) (r.nextDouble() - 0.5);
        float[] e2 = e1.clone();
        try (GlobalPhase a = new GlobalPhase(DATA.trainSessions(), n, d, e1, 3, g, 11L, 1);
             GlobalPhase b = new GlobalPhase(DATA.trainSessions(), n, d, e2, 3, g, 11L, 1)) {
            org.lgsr.graph.GlobalEncoder.PassStats whole = a.pass(1e-2, () -> false);
            long per = b.batchesPerPass();
            assertTrue(per > 4, "pass of " + per + " batches");
            assertEquals(0, b.batches(3, 1e-2).size());
            List<org.lgsr.graph.GlobalEncoder.PassStats> ended = b.batches(per - 3, 1e-2);
            assertEquals(1, ended.size(), "the pass ends with its last batch");
            assertEquals(whole.batches(), ended.get(0).batches());
            assertEquals(whole.pairs(), ended.get(0).pairs());
            assertEquals(whole.meanLoss(), ended.get(0).meanLoss(), 1e-12 * Math.abs(whole.meanLoss()));
            org.junit.jupiter.api.Assertions.assertArrayEquals(e1, e2, "E after the pieces differs from E after the whole pass");
            // the next pass starts where the first ended, with the next pass's walk order
            a.pass(1e-2, () -> false);
            b.batches(per, 1e-2);
            org.junit.jupiter.api.Assertions.assertArrayEquals(e1, e2);
        }
    }
}
