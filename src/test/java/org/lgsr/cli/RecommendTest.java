package org.lgsr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lgsr.model.Batch;
import org.lgsr.model.Checkpoint;
import org.lgsr.model.ParamLayout;
import org.lgsr.model.ReferenceModel;

/** lgsr recommend against the float64 reference model's scores, in both modes, with its errors. */
class RecommendTest {
    static Path dir, model;

    @BeforeAll
    static void train() throws Exception {
        dir = Files.createTempDirectory("lgsr-rec");
        CliTest.Run t = CliTest.run("train", "--epochs", "1", "--max-steps", "6", "--no-compare", "--report", dir.resolve("run.json").toString());
        assertEquals(0, t.code(), t.err());
        model = dir.resolve("run.ckpt/best.lgsr");
    }

    /** The float64 reference: s_f of the session, then s_f . E[j] for every item j. */
    static double[] referenceScores(Checkpoint c, int[] session) {
        ReferenceModel ref = new ReferenceModel(c.model());
        double[] th = new double[c.params().length];
        for (int i = 0; i < th.length; i++) th[i] = c.params()[i];
        Batch bt = new Batch(1, c.model().maxLen());
        bt.fill(new org.lgsr.data.Samples(new org.lgsr.data.Sessions(new int[] {0, session.length}, session), new int[] {1}), null, 0, 1);
        double[] sf = ref.sessionEmbeddings(th, bt)[0];
        int n = c.model().numItems(), d = c.model().dim();
        int e0 = new ParamLayout(c.model()).E.offset();
        double[] s = new double[n];
        for (int j = 0; j < n; j++) for (int k = 0; k < d; k++) s[j] += sf[k] * th[e0 + j * d + k];
        return s;
    }

    @Test
    @SuppressWarnings("unchecked")
    void topKMatchesTheReferenceModel() {
        Checkpoint c = Checkpoint.read(model);
        int[] session = {214, 8, 15, 8};
        CliTest.Run r = CliTest.run("recommend", "--model", model.toString(), "--session", "214 8, 15 8", "--k", "10");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = new com.google.gson.Gson().fromJson(r.out().strip(), Map.class);
        List<Double> items = (List<Double>) j.get("items"), scores = (List<Double>) j.get("scores");
        assertEquals(10, items.size());
        double[] ref = referenceScores(c, session);
        // the reference's 10th best score: every recommended item reaches it (to float rounding), in descending order
        double[] sorted = java.util.Arrays.copyOfRange(ref, 1, ref.length);
        java.util.Arrays.sort(sorted);
        double tenth = sorted[sorted.length - 10];
        for (int i = 0; i < 10; i++) {
            int id = items.get(i).intValue();
            assertTrue(id >= 1 && id < c.model().numItems());
            assertEquals(ref[id], scores.get(i), 1e-4 * Math.max(1, Math.abs(ref[id])), "score of item " + id);
            assertTrue(ref[id] >= tenth - 1e-4, "item " + id + " is in the reference's top 10");
            if (i > 0) assertTrue(scores.get(i - 1) >= scores.get(i), "descending");
        }
        // --exclude-seen leaves the session's own items out
        CliTest.Run x = CliTest.run("recommend", "--model", model.toString(), "--session", "214 8 15 8", "--k", "50", "--exclude-seen");
        Map<String, Object> jx = new com.google.gson.Gson().fromJson(x.out().strip(), Map.class);
        for (Double id : (List<Double>) jx.get("items")) assertFalse(id == 214 || id == 8 || id == 15, "seen item " + id);
    }

    @Test
    void batchModeKeepsTheOrderAndNamesBadLines() throws Exception {
        Path in = dir.resolve("sessions.txt");
        Files.writeString(in, "5 9 14\n214,8,15\n77\n");
        CliTest.Run r = CliTest.run("recommend", "--model", model.toString(), "--input", in.toString(), "--k", "3");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(3, lines.length);
        assertTrue(lines[0].startsWith("{\"line\": 1, \"session\": [5, 9, 14], \"items\": ["), lines[0]);
        assertTrue(lines[2].startsWith("{\"line\": 3, \"session\": [77], "), lines[2]);
        // the same session alone gives the same line (batching does not change a row)
        CliTest.Run one = CliTest.run("recommend", "--model", model.toString(), "--session", "214 8 15", "--k", "3");
        assertEquals(lines[1].replace("\"line\": 2", "\"line\": 1"), one.out().strip());

        Files.writeString(in, "5 9 14\n5 99999 14\n");
        CliTest.assertOneLineError(CliTest.run("recommend", "--model", model.toString(), "--input", in.toString()),
                "sessions.txt line 2: item id '99999' is not one of the model's items");
        CliTest.Run skip = CliTest.run("recommend", "--model", model.toString(), "--input", in.toString(), "--skip-unknown");
        assertEquals(0, skip.code(), skip.err());
        assertTrue(skip.out().strip().split("\n")[1].contains("\"unknown\": [\"99999\"]"), skip.out());
        Files.writeString(in, "5 9\n\n");
        CliTest.assertOneLineError(CliTest.run("recommend", "--model", model.toString(), "--input", in.toString()), "line 2: an empty session");
        CliTest.assertOneLineError(CliTest.run("recommend", "--model", model.toString()), "give one of --session and --input");
        CliTest.assertOneLineError(CliTest.run("recommend", "--model", model.toString(), "--session", "1", "--k", "0"), "--k: must be >= 1");
    }

    /**
     * A neural model's checkpoint: the top K against the float64 reference of its kind (NeuralReference's session
     * vector s, then s . out[j] for every item j), a session with a repeated item (SR-GNN's graph merges it), and a
     * batch whose lines match the same sessions scored alone.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"stamp", "gru4rec", "gru4rec-code", "narm", "narm-code", "srgnn"})
    @SuppressWarnings("unchecked")
    void aNeuralModelsTopKMatchesItsReference(String variant) throws Exception {
        Path rep = dir.resolve(variant + ".json");
        CliTest.Run t = CliTest.run("train", "--variant", variant, "--epochs", "1", "--max-steps", "4", "--dim", "16", "--batch", "64",
                "--lr", "0.01", "--threads", "1", "--no-compare", "--report", rep.toString());
        assertEquals(0, t.code(), t.err());
        Path ck = dir.resolve(variant + ".ckpt/best.lgsr");
        Checkpoint c = Checkpoint.read(ck);
        org.lgsr.model.neural.NeuralConfig nc = c.neural();
        int[] session = {214, 8, 15, 8};
        CliTest.Run r = CliTest.run("recommend", "--model", ck.toString(), "--session", "214 8 15 8", "--k", "10");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = new com.google.gson.Gson().fromJson(r.out().strip(), Map.class);
        List<Double> items = (List<Double>) j.get("items"), scores = (List<Double>) j.get("scores");
        assertEquals(10, items.size());
        org.lgsr.model.neural.NeuralLayout layout = new org.lgsr.model.neural.NeuralLayout(nc);
        double[] th = new double[c.params().length];
        for (int i = 0; i < th.length; i++) th[i] = c.params()[i];
        double[] sv;
        if (nc.gru4recCode()) {
            sv = org.lgsr.model.neural.Gru4RecCodeMath.state(th, layout, session); // GRU4Rec's code form has no NeuralReference: its GRU worked here
        } else {
            Batch bt = new Batch(1, nc.maxLen());
            bt.fill(new org.lgsr.data.Samples(new org.lgsr.data.Sessions(new int[] {0, session.length}, session), new int[] {1}), null, 0, 1);
            sv = new org.lgsr.model.neural.NeuralReference(nc).sessionVectors(th, bt)[0];
        }
        int n = nc.numItems(), d = nc.dim(), o = layout.out.offset();
        double[] want = new double[n];
        double scale = 0;
        for (int i = 1; i < n; i++) {
            if (layout.outBias != null) want[i] = th[layout.outBias.offset() + i];
            for (int k = 0; k < d; k++) want[i] += sv[k] * th[o + i * d + k];
            scale = Math.max(scale, Math.abs(want[i]));
        }
        assertTrue(scale > 0, "the reference scores are not all zero");
        double[] sorted = java.util.Arrays.copyOfRange(want, 1, n);
        java.util.Arrays.sort(sorted);
        double tenth = sorted[sorted.length - 10];
        for (int i = 0; i < 10; i++) {
            int id = items.get(i).intValue();
            assertEquals(want[id], scores.get(i), 1e-4 * scale, variant + ": score of item " + id);
            assertTrue(want[id] >= tenth - 1e-4 * scale, variant + ": item " + id + " is in the reference's top 10");
            if (i > 0) assertTrue(scores.get(i - 1) >= scores.get(i), "descending");
        }
        Path in = dir.resolve(variant + "-sessions.txt");
        Files.writeString(in, "5 9 14\n214 8 15 8\n77\n");
        CliTest.Run b = CliTest.run("recommend", "--model", ck.toString(), "--input", in.toString(), "--k", "10");
        assertEquals(0, b.code(), b.err());
        assertEquals(r.out().strip().replace("\"line\": 1", "\"line\": 2"), b.out().strip().split("\n")[1]);
    }
}
