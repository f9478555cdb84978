package org.lgsr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lgsr.model.Checkpoint;
import org.lgsr.model.cpu.NeuralScorer;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.NeuralKind;
import org.lgsr.model.neural.NeuralLayout;
import org.lgsr.model.neural.NeuralParameters;

/**
 * {@code lgsr train --variant stamp|gru4rec|narm|srgnn|lgsr-h} (docs/baselines-neural.md) on the synthetic default data,
 * with its checkpoints (evaluate, and the commands that refuse them; resume: ResumeTest).
 */
class NeuralTrainTest {
    @TempDir
    Path dir;

    /** The synthetic default dataset, as lgsr train loads it. */
    static final org.lgsr.data.SessionDataset SYNTH = org.lgsr.data.SyntheticData.generate(org.lgsr.data.SyntheticData.Config.defaults());

    private static JsonObject report(Path f) throws Exception {
        return JsonParser.parseString(Files.readString(f)).getAsJsonObject();
    }

    @Test
    void stampTrainsFiveStepsAndWritesAReportAndCheckpoints() throws Exception {
        Path report = dir.resolve("stamp.json");
        CliTest.Run r = CliTest.run("train", "--variant", "stamp", "--epochs", "1", "--max-steps", "5", "--threads", "1", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("device: cpu (--device auto: --variant stamp runs on the CPU engine only)"), r.err());
        assertFalse(r.err().contains("checkpoints:"), r.err());
        assertTrue(r.out().contains("epoch 1/1  loss") && r.out().contains("(5 of ") && r.out().contains("P@20"), r.out());
        JsonObject j = report(report);
        assertEquals("completed", j.get("status").getAsString());
        assertEquals("stamp", j.getAsJsonObject("config").get("variant").getAsString());
        assertEquals(0.003, j.getAsJsonObject("config").get("lr").getAsDouble()); // STAMP's default
        assertTrue(j.getAsJsonObject("model").get("architecture").getAsString().startsWith("STAMP"));
        // the layout's size, counted here: E (n, d), five d x d matrices, four d-vectors
        int n = j.getAsJsonObject("dataset").get("numItems").getAsInt(), d = 100;
        assertEquals(n * d + 5 * d * d + 4 * d, j.getAsJsonObject("model").get("parameters").getAsInt());
        JsonObject e1 = j.getAsJsonArray("epochs").get(0).getAsJsonObject();
        assertEquals(5, e1.get("steps").getAsInt());
        double p20 = e1.getAsJsonObject("test").get("P@20").getAsDouble();
        assertTrue(p20 >= 0 && p20 <= 100, "P@20 " + p20);
        // the checkpoints beside the report, as an LGSR run's: epoch-1.lgsr and best.lgsr, named in the report
        Path ck = dir.resolve("stamp.ckpt");
        assertTrue(Files.isRegularFile(ck.resolve("epoch-1.lgsr")) && Files.isRegularFile(ck.resolve("best.lgsr")));
        assertEquals(ck.resolve("best.lgsr").toString(), j.getAsJsonObject("checkpoints").get("best").getAsString());
        assertEquals(1, j.get("bestCheckpointEpoch").getAsInt());
        assertFalse(j.getAsJsonObject("model").has("checkpoints"));
        Checkpoint c = Checkpoint.read(ck.resolve("best.lgsr"));
        assertTrue(c.isNeural() && c.resumable());
        assertEquals(new NeuralConfig(NeuralKind.STAMP, n, d, 19, (float) j.getAsJsonObject("config").get("lambda2").getAsDouble()), c.neural());
        assertEquals(n * d + 5 * d * d + 4 * d, c.params().length);
        assertEquals(1, c.epoch());
        assertEquals(5, ((Number) c.resume().get("step")).intValue());
        for (String k : new String[] {"P@10", "MRR@10", "P@20", "MRR@20"}) {
            assertEquals(e1.getAsJsonObject("test").get(k).getAsDouble(), c.metrics().get(k), k);
        }
    }

    /**
     * Each neural model's checkpoint, read back into its scorer (batches of 512, where the run's were 64 or 100),
     * gives its epoch's test figures exactly, and lgsr evaluate prints them; lgsr export and lgsr attention refuse it
     * in one line that names the file (and write nothing).
     */
    @ParameterizedTest
    @ValueSource(strings = {"stamp", "gru4rec", "gru4rec-code", "narm", "narm-code", "srgnn", "lgsr-h"})
    void aNeuralCheckpointEvaluatesToItsEpochsFigures(String variant) throws Exception {
        Path report = dir.resolve(variant + ".json");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", "--variant", variant, "--epochs", "2", "--max-steps", "3",
                "--dim", "16", "--threads", "1", "--no-compare", "--report", report.toString()));
        if (!variant.equals("srgnn")) args.addAll(java.util.List.of("--batch", "64")); // srgnn: its own 100
        if (variant.startsWith("narm")) args.addAll(java.util.List.of("--hidden", "12"));
        if (variant.equals("lgsr-h")) args.addAll(java.util.List.of("--g-max-batches", "2"));
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        JsonObject j = report(report);
        int[] ks = {10, 20};
        for (int e = 1; e <= 2; e++) {
            Path ck = dir.resolve(variant + ".ckpt/epoch-" + e + ".lgsr");
            JsonObject test = j.getAsJsonArray("epochs").get(e - 1).getAsJsonObject().getAsJsonObject("test");
            Checkpoint c = Checkpoint.read(ck);
            assertEquals(e, c.epoch());
            NeuralParameters p = new NeuralParameters(new NeuralLayout(c.neural()));
            System.arraycopy(c.params(), 0, p.w, 0, p.w.length);
            org.lgsr.eval.Metrics m;
            try (NeuralScorer s = new NeuralScorer(c.neural(), p, 512, 2)) {
                m = new org.lgsr.eval.Evaluator(ks, 2).evaluate(s, SYNTH.test());
            }
            for (int k : ks) {
                assertEquals(test.get("P@" + k).getAsDouble(), m.precision(k), variant + " epoch " + e + " P@" + k);
                assertEquals(test.get("MRR@" + k).getAsDouble(), m.mrr(k), variant + " epoch " + e + " MRR@" + k);
            }
            CliTest.Run ev = CliTest.run("evaluate", "--model", ck.toString());
            assertEquals(0, ev.code(), ev.err());
            String want = String.format(java.util.Locale.ROOT, "%s (%s, epoch %d) on synth: P@10 %.2f  MRR@10 %.2f  P@20 %.2f  MRR@20 %.2f", ck, variant, e,
                    test.get("P@10").getAsDouble(), test.get("MRR@10").getAsDouble(), test.get("P@20").getAsDouble(), test.get("MRR@20").getAsDouble());
            assertTrue(ev.out().startsWith(want), ev.out() + " vs " + want);
        }
        Path ck = dir.resolve(variant + ".ckpt/best.lgsr");
        Path out = dir.resolve("e.tsv");
        CliTest.assertOneLineError(CliTest.run("export", "--model", ck.toString(), "--format", "tsv", "--output", out.toString()),
                ck + ": a checkpoint of a neural model (" + variant + "); lgsr export works on the LGSR module only");
        assertFalse(Files.exists(out));
        Path att = dir.resolve("att");
        CliTest.assertOneLineError(CliTest.run("attention", "--model", ck.toString(), "--output", att.toString()),
                ck + ": a checkpoint of a neural model (" + variant + "); lgsr attention works on the LGSR module only");
        CliTest.assertOneLineError(CliTest.run("attention", "--model", ck.toString(), "--session", "5 9 14"),
                ck + ": a checkpoint of a neural model (" + variant + "); lgsr attention works on the LGSR module only");
        assertFalse(Files.exists(att));
        assertFalse(Files.exists(dir.resolve(variant + ".ckpt/best-attention")));
    }

    @Test
    void gru4recTrainsAndLearns() throws Exception {
        Path report = dir.resolve("gru.json");
        // at the default 1e-3 a fresh GRU4Rec moves slowly for its first steps (docs/baselines-neural.md); 0.01 shows learning in 12
        CliTest.Run r = CliTest.run("train", "--variant", "gru4rec", "--epochs", "2", "--max-steps", "6", "--dim", "32", "--batch", "128",
                "--lr", "0.01", "--device", "cpu", "--threads", "2", "--no-compare", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject j = report(report);
        assertEquals(0.01, j.getAsJsonObject("config").get("lr").getAsDouble());
        int n = j.getAsJsonObject("dataset").get("numItems").getAsInt(), d = 32;
        assertEquals(2 * n * d + d * 3 * d + 3 * d + d * 2 * d + d * d, j.getAsJsonObject("model").get("parameters").getAsInt());
        var epochs = j.getAsJsonArray("epochs");
        double first = epochs.get(0).getAsJsonObject().get("firstStepLoss").getAsDouble();
        double last = epochs.get(1).getAsJsonObject().get("trainLoss").getAsDouble();
        assertEquals(Math.log(n - 1), first, 0.05, "a fresh model is near uniform over the n-1 items");
        assertTrue(last < first - 0.2, "the loss falls: " + first + " -> " + last);
    }

    @Test
    void narmTakesItsPublishedWidthsAndLearns() throws Exception {
        Path report = dir.resolve("narm.json");
        CliTest.Run r = CliTest.run("train", "--variant", "narm", "--epochs", "2", "--max-steps", "6", "--batch", "128", "--lr", "0.01",
                "--device", "cpu", "--threads", "2", "--no-compare", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("narm: --dim 50 --hidden 100 (the model's published settings where not given"), r.err());
        JsonObject j = report(report);
        JsonObject model = j.getAsJsonObject("model");
        assertEquals(50, model.get("dim").getAsInt());
        assertEquals(100, model.get("hidden").getAsInt());
        assertTrue(model.get("architecture").getAsString().startsWith("NARM"));
        // counted here: E (n, 50); the GRU Wx (50, 300), bx (300), U (100, 200), Uh (100, 100); A1, A2 (100, 100); va (100); WB (200, 50)
        int n = j.getAsJsonObject("dataset").get("numItems").getAsInt();
        assertEquals(n * 50 + 50 * 300 + 300 + 100 * 200 + 100 * 100 + 2 * 100 * 100 + 100 + 200 * 50, model.get("parameters").getAsInt());
        var epochs = j.getAsJsonArray("epochs");
        double first = epochs.get(0).getAsJsonObject().get("firstStepLoss").getAsDouble();
        double last = epochs.get(1).getAsJsonObject().get("trainLoss").getAsDouble();
        assertEquals(Math.log(n - 1), first, 0.05, "a fresh model is near uniform over the n-1 items");
        assertTrue(last < first - 0.2, "the loss falls: " + first + " -> " + last);
        // a width given wins
        Path r2 = dir.resolve("narm2.json");
        assertEquals(0, CliTest.run("train", "--variant", "narm", "--epochs", "1", "--max-steps", "1", "--dim", "24", "--hidden", "16",
                "--device", "cpu", "--threads", "1", "--no-compare", "--report", r2.toString()).code());
        assertEquals(16, report(r2).getAsJsonObject("model").get("hidden").getAsInt());
        assertEquals(24, report(r2).getAsJsonObject("model").get("dim").getAsInt());
    }

    @Test
    void srgnnTakesItsPublishedSettingsAndLgsrHAddsTheGlobalEncoder() throws Exception {
        Path report = dir.resolve("srgnn.json");
        CliTest.Run r = CliTest.run("train", "--variant", "srgnn", "--epochs", "1", "--max-steps", "8", "--dim", "32",
                "--device", "cpu", "--threads", "2", "--no-compare", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("srgnn: --batch 100 --lr-schedule every:3 --l2 1e-5 (the model's published settings"), r.err());
        JsonObject j = report(report);
        JsonObject cfg = j.getAsJsonObject("config");
        assertEquals(100, cfg.get("batchSize").getAsInt());
        assertEquals("every:3", cfg.get("lrSchedule").getAsString());
        assertEquals(1e-5, cfg.get("lambda2").getAsDouble(), 1e-12);
        assertFalse(j.has("globalGraph"));
        int n = j.getAsJsonObject("dataset").get("numItems").getAsInt(), d = 32;
        // E (n, d); Win, Wout, Q1, Q2 (d, d); bin, bout, biah, boah, bq1, bq2, q3, b3 (d); Wih (2d, 3d), bih (3d), Whh (d, 3d), bhh (3d); W3 (2d, d)
        assertEquals(n * d + 4 * d * d + 8 * d + 6 * d * d + 3 * d + 3 * d * d + 3 * d + 2 * d * d, j.getAsJsonObject("model").get("parameters").getAsInt());
        // LGSR-H: the same module, with the global encoder's passes on its item table before the epoch
        Path rh = dir.resolve("lgsrh.json");
        CliTest.Run h = CliTest.run("train", "--variant", "lgsr-h", "--epochs", "1", "--max-steps", "8", "--dim", "32", "--g-max-batches", "3",
                "--device", "cpu", "--threads", "2", "--no-compare", "--report", rh.toString());
        assertEquals(0, h.code(), h.err());
        assertTrue(h.out().contains("L_g pass 1/2") && h.out().contains("L_g pass 2/2"), h.out());
        JsonObject jh = report(rh);
        assertTrue(jh.has("globalGraph"));
        assertTrue(jh.getAsJsonObject("model").get("architecture").getAsString().contains("LGSR-H"));
        assertEquals(j.getAsJsonObject("model").get("parameters").getAsInt(), jh.getAsJsonObject("model").get("parameters").getAsInt());
        JsonObject e1 = jh.getAsJsonArray("epochs").get(0).getAsJsonObject();
        assertEquals(2, e1.getAsJsonArray("globalPasses").size(), e1.toString());
        // L_g moved the item table: the first L_rec step no longer sees SR-GNN's fresh initialisation (same seed)
        double fresh = j.getAsJsonArray("epochs").get(0).getAsJsonObject().get("firstStepLoss").getAsDouble();
        assertTrue(Math.abs(e1.get("firstStepLoss").getAsDouble() - fresh) > 1e-4, fresh + " vs " + e1.get("firstStepLoss"));
    }

    @Test
    void gru4recTop1TrainsSessionParallelAndLearns() throws Exception {
        Path report = dir.resolve("top1.json");
        CliTest.Run r = CliTest.run("train", "--variant", "gru4rec-top1", "--epochs", "2", "--dim", "16", "--max-steps", "120",
                "--device", "cpu", "--threads", "1", "--no-compare", "--no-checkpoints", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("gru4rec-top1: --lr 0.01 --batch 50 (the model's published settings where not given"), r.err());
        JsonObject j = report(report);
        assertEquals(50, j.getAsJsonObject("config").get("batchSize").getAsInt());
        assertTrue(j.getAsJsonObject("model").get("loss").getAsString().startsWith("TOP1"), j.getAsJsonObject("model").toString());
        // GRU4Rec's parameters: two item tables and the GRU, as --variant gru4rec
        int n = j.getAsJsonObject("dataset").get("numItems").getAsInt(), d = 16;
        assertEquals(2 * n * d + d * 3 * d + 3 * d + d * 2 * d + d * d, j.getAsJsonObject("model").get("parameters").getAsInt());
        var epochs = j.getAsJsonArray("epochs");
        JsonObject e1 = epochs.get(0).getAsJsonObject(), e2 = epochs.get(1).getAsJsonObject();
        assertEquals(120, e1.get("steps").getAsInt());
        assertEquals(120 * 50, e1.get("samples").getAsInt()); // one predicted click per row and step
        // TOP1 of a fresh model: the scores are near zero, so each term is near sigmoid(0) + sigmoid(0) = 1
        assertEquals(1.0, e1.get("firstStepLoss").getAsDouble(), 0.02);
        assertTrue(e2.get("trainLoss").getAsDouble() < e1.get("firstStepLoss").getAsDouble() - 0.03, "TOP1 falls: " + e2.get("trainLoss"));
        assertTrue(e2.getAsJsonObject("test").get("P@20").getAsDouble() > 20, "it ranks: " + e2.getAsJsonObject("test"));
    }

    @Test
    void gru4recCodeTrainsSessionParallelWithTheCodesParts() throws Exception {
        Path report = dir.resolve("code.json");
        CliTest.Run r = CliTest.run("train", "--variant", "gru4rec-code", "--epochs", "2", "--dim", "16", "--max-steps", "120",
                "--device", "cpu", "--threads", "1", "--no-compare", "--no-checkpoints", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("gru4rec-code: --lr 0.05 --batch 50 (the model's published settings where not given"), r.err());
        assertEquals(0.05, report(report).getAsJsonObject("config").get("lr").getAsDouble()); // the 2016 code's default rate
        JsonObject j = report(report);
        assertEquals(50, j.getAsJsonObject("config").get("batchSize").getAsInt());
        JsonObject model = j.getAsJsonObject("model");
        assertTrue(model.get("loss").getAsString().startsWith("TOP1"), model.toString());
        assertTrue(model.get("dropout").getAsString().startsWith("0.5 on the hidden state"), model.toString());
        // the code's parameters: the output table, the one-hot input's (n, 3d) rows, the output bias, and the GRU without Wx
        int n = j.getAsJsonObject("dataset").get("numItems").getAsInt(), d = 16;
        assertEquals(n * d + n * 3 * d + n + 3 * d + d * 2 * d + d * d, model.get("parameters").getAsInt());
        var epochs = j.getAsJsonArray("epochs");
        JsonObject e1 = epochs.get(0).getAsJsonObject(), e2 = epochs.get(1).getAsJsonObject();
        assertEquals(120 * 50, e1.get("samples").getAsInt());
        // the code's initialisation is small: a fresh model's scores are near 0, each term near 1/2, and the code's TOP1
        // leaves out each row's own regularisation term: 1 - 1/(2B) = 0.99
        assertEquals(0.99, e1.get("firstStepLoss").getAsDouble(), 0.005);
        assertTrue(e2.get("trainLoss").getAsDouble() < e1.get("firstStepLoss").getAsDouble() - 0.01, "TOP1 falls: " + e2.get("trainLoss"));
        assertTrue(e2.getAsJsonObject("test").get("P@20").getAsDouble() > 10, "it ranks: " + e2.getAsJsonObject("test"));
    }

    @Test
    void badInputIsOneLine() {
        CliTest.Run r = CliTest.run("train", "--variant", "caser");
        CliTest.assertOneLineError(r, "--variant");
        assertTrue(r.err().contains("known: lgsr, lgsr-c, lgsr-a, lgsr-h, stamp, gru4rec, gru4rec-top1, gru4rec-code, narm, narm-code, srgnn"), r.err());
        CliTest.assertOneLineError(CliTest.run("train", "--variant", "stamp", "--hidden", "64"),
                "--hidden: only --variant narm has a hidden width of its own");
        CliTest.assertOneLineError(CliTest.run("train", "--variant", "narm", "--hidden", "0"), "--hidden: must be >= 1, got 0");
        CliTest.assertOneLineError(CliTest.run("train", "--variant", "gru4rec-code", "--dropout", "0.3"),
                "--dropout: --variant gru4rec-code has its authors' code's fixed dropout rates; --dropout does not apply (docs/baselines-neural.md)");
        CliTest.assertOneLineError(CliTest.run("train", "--variant", "lgsr-h", "--device", "sim"),
                "--variant lgsr-h: the GPU engine implements lgsr, lgsr-c and lgsr-a only; use --device cpu");
        CliTest.assertOneLineError(CliTest.run("train", "--variant", "stamp", "--device", "gpu"),
                "--variant stamp: the GPU engine implements lgsr, lgsr-c and lgsr-a only; use --device cpu");
        CliTest.assertOneLineError(CliTest.run("train", "--variant", "gru4rec", "--device", "sim"),
                "--variant gru4rec: the GPU engine implements lgsr, lgsr-c and lgsr-a only; use --device cpu");
        CliTest.assertOneLineError(CliTest.run("train", "--variant", "stamp", "--dropout", "0.2"), "--dropout");
    }

    /**
     * The checkpoint flags act on a neural run as on an LGSR one: lgsr experiment's --checkpoint-dir DIR --keep 0 leaves
     * DIR/best.lgsr only (the best of two epochs by test P@20), and --no-checkpoints none.
     */
    @Test
    void theCheckpointFlagsApply() throws Exception {
        Path report = dir.resolve("r.json");
        Path ck = dir.resolve("models/cell");
        CliTest.Run r = CliTest.run("train", "--variant", "gru4rec", "--epochs", "2", "--max-steps", "2", "--dim", "16", "--batch", "64",
                "--device", "cpu", "--threads", "1", "--no-compare", "--checkpoint-dir", ck.toString(), "--keep", "0", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        try (var files = Files.list(ck)) {
            assertEquals(java.util.List.of("best.lgsr"), files.map(f -> f.getFileName().toString()).toList());
        }
        JsonObject j = report(report);
        var epochs = j.getAsJsonArray("epochs");
        double p1 = epochs.get(0).getAsJsonObject().getAsJsonObject("test").get("P@20").getAsDouble();
        double p2 = epochs.get(1).getAsJsonObject().getAsJsonObject("test").get("P@20").getAsDouble();
        int best = p2 > p1 ? 2 : 1;
        assertEquals(best, Checkpoint.read(ck.resolve("best.lgsr")).epoch());
        assertEquals(best, j.get("bestCheckpointEpoch").getAsInt());
        assertFalse(Files.exists(dir.resolve("r.ckpt")), "--checkpoint-dir: nothing beside the report");

        Path report2 = dir.resolve("none.json");
        CliTest.Run n = CliTest.run("train", "--variant", "stamp", "--epochs", "1", "--max-steps", "1", "--dim", "16", "--batch", "64",
                "--threads", "1", "--no-compare", "--no-checkpoints", "--report", report2.toString());
        assertEquals(0, n.code(), n.err());
        assertFalse(Files.exists(dir.resolve("none.ckpt")));
        assertFalse(report(report2).has("checkpoints"));
    }
}
