package org.lgsr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
    @TempDir
    Path dir;

    private CliTest.Run train(Path report, String... extra) {
        String[] base = {"train", "--dataset", "synth", "--variant", "lgsr-c", "--epochs", "2", "--max-steps", "4", "--dim", "16", "--batch", "64",
                "--device", "cpu", "--threads", "1", "--report", report.toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliTest.run(args);
    }

    @Test
    void trainsEvaluatesAndWritesAReport() throws Exception {
        Path report = dir.resolve("run.json");
        CliTest.Run r = train(report);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch 1/2  loss"), r.out());
        assertTrue(r.out().contains("P@20"), r.out());
        assertTrue(r.out().contains("best test:"), r.out());
        JsonObject j = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
        assertEquals("completed", j.get("status").getAsString());
        assertEquals(2, j.getAsJsonArray("epochs").size());
        assertEquals(16, j.getAsJsonObject("config").get("dim").getAsInt());
        assertTrue(j.has("gitCommit") && j.has("machine") && j.has("dataset"));
        JsonObject e1 = j.getAsJsonArray("epochs").get(0).getAsJsonObject();
        assertEquals(4, e1.get("steps").getAsInt());
        assertTrue(e1.getAsJsonObject("test").has("MRR@20"));
        assertTrue(e1.getAsJsonObject("phaseSeconds").has("scoresBackward"));
    }

    @Test
    void sameSeedOneThreadGivesTheSameLossesToTheLastBit() throws Exception {
        Path a = dir.resolve("a.json");
        Path b = dir.resolve("b.json");
        assertEquals(0, train(a).code());
        assertEquals(0, train(b).code());
        for (int e = 0; e < 2; e++) {
            double la = JsonParser.parseString(Files.readString(a)).getAsJsonObject().getAsJsonArray("epochs").get(e).getAsJsonObject().get("trainLoss").getAsDouble();
            double lb = JsonParser.parseString(Files.readString(b)).getAsJsonObject().getAsJsonArray("epochs").get(e).getAsJsonObject().get("trainLoss").getAsDouble();
            assertEquals(Double.doubleToLongBits(la), Double.doubleToLongBits(lb));
        }
        Path c = dir.resolve("c.json");
        assertEquals(0, train(c, "--seed", "2").code());
        double l1 = JsonParser.parseString(Files.readString(a)).getAsJsonObject().getAsJsonArray("epochs").get(0).getAsJsonObject().get("trainLoss").getAsDouble();
        double l2 = JsonParser.parseString(Files.readString(c)).getAsJsonObject().getAsJsonArray("epochs").get(0).getAsJsonObject().get("trainLoss").getAsDouble();
        assertTrue(l1 != l2, "another seed, other losses");
    }

    @Test
    void badTrainingFlagsAreOneLine() {
        Path report = dir.resolve("x.json");
        CliTest.assertOneLineError(CliTest.run("train", "--epochs", "0", "--report", report.toString()), "--epochs");
        CliTest.assertOneLineError(CliTest.run("train", "--variant", "caser"), "--variant");
        CliTest.assertOneLineError(CliTest.run("train", "--lr-schedule", "every:-1"), "--lr-schedule");
        CliTest.assertOneLineError(CliTest.run("train", "--dropout", "1.5"), "--dropout");
        CliTest.assertOneLineError(CliTest.run("train", "--device", "tpu"), "--device");
        CliTest.assertOneLineError(CliTest.run("train", "--g-logq", "maybe"), "--g-logq");
        CliTest.assertOneLineError(CliTest.run("train", "--g-tie", "yes"), "--g-tie");
        CliTest.assertOneLineError(CliTest.run("train", "--g-center", "rows"), "--g-center");
        CliTest.assertOneLineError(CliTest.run("train", "--g-sampler", "uniform"), "--g-sampler");
        CliTest.assertOneLineError(CliTest.run("train", "--g-stop-at", "never"), "--g-stop-at");
        CliTest.assertOneLineError(CliTest.run("train", "--g-epochs", "-1"), "--g-epochs");
        CliTest.assertOneLineError(CliTest.run("train", "--g-authors", "--g-tie", "on"), "--g-authors");
        assertTrue(!Files.exists(report));
    }

    private static com.google.gson.JsonArray epochs(Path report) throws Exception {
        return JsonParser.parseString(Files.readString(report)).getAsJsonObject().getAsJsonArray("epochs");
    }

    @Test
    void jointTrainingRunsLgPassesBeforeEachEpochAndStopsThemWhenConverged() throws Exception {
        Path report = dir.resolve("joint.json");
        // a huge stop delta: the second pass "moves by at most" it, so L_g ends after epoch 1
        CliTest.Run r = train(report, "--variant", "lgsr", "--epochs", "3", "--negatives", "8", "--g-batch", "256",
                "--g-max-batches", "6", "--walks-per-node", "1", "--walk-length", "10", "--g-stop-delta", "1e9");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("L_g pass 2/2"), r.out());
        assertTrue(r.out().contains("converged"), r.out());
        com.google.gson.JsonArray ep = epochs(report);
        assertEquals(3, ep.size());
        com.google.gson.JsonArray p1 = ep.get(0).getAsJsonObject().getAsJsonArray("globalPasses");
        assertEquals(2, p1.size());
        assertEquals(6, p1.get(0).getAsJsonObject().get("batches").getAsInt());
        assertEquals(6 * 256, p1.get(0).getAsJsonObject().get("pairs").getAsInt());
        assertEquals(0, ep.get(1).getAsJsonObject().getAsJsonArray("globalPasses").size());
        JsonObject g = JsonParser.parseString(Files.readString(report)).getAsJsonObject().getAsJsonObject("globalGraph");
        assertTrue(g.get("edges").getAsInt() > 1000);
    }

    @Test
    void lgPassesMoveTheSharedItemTable() throws Exception {
        // the same seed with and without L_g: the first L_rec loss differs only through E
        Path a = dir.resolve("c.json");
        Path b = dir.resolve("j.json");
        assertEquals(0, train(a, "--epochs", "1").code());
        assertEquals(0, train(b, "--variant", "lgsr", "--epochs", "1", "--negatives", "8", "--g-batch", "256",
                "--g-max-batches", "4", "--walks-per-node", "1", "--walk-length", "10", "--g-passes", "1").code());
        double la = epochs(a).get(0).getAsJsonObject().get("trainLoss").getAsDouble();
        double lb = epochs(b).get(0).getAsJsonObject().get("trainLoss").getAsDouble();
        assertTrue(la != lb, "L_g changed nothing: " + la);
        assertEquals(0, train(dir.resolve("z.json"), "--variant", "lgsr", "--epochs", "1", "--g-passes", "0").code());
        double lz = epochs(dir.resolve("z.json")).get(0).getAsJsonObject().get("trainLoss").getAsDouble();
        assertEquals(Double.doubleToLongBits(la), Double.doubleToLongBits(lz), "no L_g passes: exactly LGSR-C");
    }

    @Test
    void lgLearningRateScaleReachesThePassesAndIsChecked() throws Exception {
        Path report = dir.resolve("s.json");
        CliTest.Run r = train(report, "--variant", "lgsr", "--epochs", "1", "--negatives", "8", "--g-batch", "256",
                "--g-max-batches", "2", "--walks-per-node", "1", "--walk-length", "10", "--g-passes", "1", "--g-lr-scale", "0.25");
        assertEquals(0, r.code(), r.err());
        double lr = epochs(report).get(0).getAsJsonObject().getAsJsonArray("globalPasses").get(0).getAsJsonObject()
                .get("learningRate").getAsDouble();
        assertEquals(0.25e-3, lr, 1e-12, "L_g's learning rate: a quarter of the schedule's first rate");
        CliTest.assertOneLineError(CliTest.run("train", "--variant", "lgsr", "--g-lr-scale", "0"), "--g-lr-scale");
    }

    @Test
    void gpuOnlyFlagsAreRefusedOnTheCpu() {
        CliTest.assertOneLineError(CliTest.run("train", "--device", "cpu", "--profile"), "--profile");
        CliTest.assertOneLineError(CliTest.run("train", "--device", "cpu", "--tf32"), "--tf32");
    }

    @Test
    void validationHoldsOutTheLastTenthOfSessions() throws Exception {
        Path report = dir.resolve("v.json");
        CliTest.Run r = train(report, "--validation", "--epochs", "1");
        assertEquals(0, r.code(), r.err());
        JsonObject j = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
        JsonObject ds = j.getAsJsonObject("dataset");
        assertEquals(12000 - 1200, ds.get("trainSessions").getAsInt());
        assertTrue(ds.get("validationSamples").getAsInt() > 0);
        assertEquals(1, j.getAsJsonObject("selectedByValidation").get("epoch").getAsInt());
        assertTrue(r.out().contains("selected by validation P@20: epoch 1"), r.out());
    }
}
