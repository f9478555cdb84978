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

/** {@code lgsr train --variant stamp|gru4rec} (docs/baselines-neural.md) on the synthetic default data. */
class NeuralTrainTest {
    @TempDir
    Path dir;

    private static JsonObject report(Path f) throws Exception {
        return JsonParser.parseString(Files.readString(f)).getAsJsonObject();
    }

    @Test
    void stampTrainsFiveStepsAndWritesAReportWithoutCheckpoints() throws Exception {
        Path report = dir.resolve("stamp.json");
        CliTest.Run r = CliTest.run("train", "--variant", "stamp", "--epochs", "1", "--max-steps", "5", "--threads", "1", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("device: cpu (--device auto: --variant stamp runs on the CPU engine only)"), r.err());
        assertTrue(r.err().contains("checkpoints: none for --variant stamp"), r.err());
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
        assertFalse(j.has("checkpoints"));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "the report only: no checkpoint folder");
        }
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
    void badInputIsOneLine() {
        CliTest.Run r = CliTest.run("train", "--variant", "narm");
        CliTest.assertOneLineError(r, "--variant");
        assertTrue(r.err().contains("known: lgsr, lgsr-c, lgsr-a, stamp, gru4rec"), r.err());
        CliTest.assertOneLineError(CliTest.run("train", "--variant", "stamp", "--device", "gpu"),
                "--variant stamp: the GPU engine implements lgsr, lgsr-c and lgsr-a only; use --device cpu");
        CliTest.assertOneLineError(CliTest.run("train", "--variant", "gru4rec", "--device", "sim"),
                "--variant gru4rec: the GPU engine implements lgsr, lgsr-c and lgsr-a only; use --device cpu");
        CliTest.assertOneLineError(CliTest.run("train", "--variant", "stamp", "--dropout", "0.2"), "--dropout");
    }

    /** lgsr experiment passes --checkpoint-dir to every training cell: a neural cell runs on without checkpoints. */
    @Test
    void aCheckpointFolderIsIgnoredInOneLine() throws Exception {
        Path report = dir.resolve("r.json");
        Path ck = dir.resolve("models");
        CliTest.Run r = CliTest.run("train", "--variant", "gru4rec", "--epochs", "1", "--max-steps", "2", "--dim", "16", "--batch", "64",
                "--device", "cpu", "--threads", "1", "--no-compare", "--checkpoint-dir", ck.toString(), "--keep", "0", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("checkpoints: none for --variant gru4rec (the checkpoint format holds the LGSR module only; --checkpoint-dir ignored)"), r.err());
        assertFalse(Files.exists(ck));
        assertEquals("completed", report(report).get("status").getAsString());
    }
}
