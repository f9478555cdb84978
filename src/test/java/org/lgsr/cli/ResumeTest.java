package org.lgsr.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lgsr.model.Checkpoint;

/**
 * A run killed with SIGKILL in the middle of an epoch, resumed from its last checkpoint with
 * {@code lgsr train --resume}, gives the losses and metrics of a run that never stopped, to the
 * last bit ({@code --threads 1}); for LGSR-C, LGSR-A and full LGSR, the latter both with the
 * default pre-training (L_g done after epoch 1) and with L_g still training after the kill (its
 * tables, moments and counters come back from the checkpoint: the passes' losses match too); and
 * for the neural models (STAMP, GRU4Rec, NARM, SR-GNN, LGSR-H), whose checkpoints hold the same bits too.
 */
class ResumeTest {
    @ParameterizedTest
    @ValueSource(strings = {"lgsr-c", "lgsr-a", "lgsr"})
    void aKilledRunResumesToTheSameNumbers(String variant) throws Exception {
        List<String> common = new ArrayList<>(List.of("train", "--variant", variant, "--epochs", "3", "--max-steps", "25", "--threads", "1",
                "--no-compare", "--keep", "3"));
        if (variant.equals("lgsr")) common.addAll(List.of("--preset", "quick", "--g-max-batches", "4"));
        killAndResume(variant, common);
    }

    /** Full LGSR whose L_g trains in every epoch (--g-epochs 0, never converging): killed in epoch 2, resumed. */
    @org.junit.jupiter.api.Test
    void aKilledRunResumesWithTheGlobalEncoderStillTraining() throws Exception {
        killAndResume("lgsr, L_g every epoch", new ArrayList<>(List.of("train", "--variant", "lgsr", "--epochs", "3", "--max-steps", "25",
                "--threads", "1", "--no-compare", "--keep", "3", "--preset", "quick", "--g-max-batches", "4", "--g-epochs", "0",
                "--g-stop-delta", "0", "--g-tie", "off", "--g-logq", "on")));
    }

    /**
     * The same on the GPU engine, through the simulated device (the device's L_g tables and
     * counters). The NCE gradient's atomics add repeated rows in whatever order the sim's worker
     * threads reach them, as on a GPU, so two runs differ in the last bits (4e-8 relative in a
     * loss): numbers agree within 1e-5 relative here, metrics within 0.05 points (three test
     * samples); an L_g state left out would move them far more.
     */
    @org.junit.jupiter.api.Test
    void theGpuEnginesGlobalEncoderResumesOnTheSimulatedDevice() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.lgsr.gpu.sim.SimDriver.availability() == null,
                "no simulated device: " + org.lgsr.gpu.sim.SimDriver.availability());
        org.junit.jupiter.api.Assumptions.assumeTrue(!org.lgsr.gpu.GpuProbe.get().available(), "a GPU is here: the GPU tests hold its context");
        killAndResume("lgsr on sim, L_g every epoch", new ArrayList<>(List.of("train", "--device", "sim", "--variant", "lgsr", "--epochs", "2",
                "--max-steps", "3", "--threads", "1", "--no-compare", "--keep", "3", "--preset", "quick", "--g-max-batches", "2",
                "--g-batch", "1024", "--g-epochs", "0", "--g-stop-delta", "0", "--g-tie", "off", "--g-logq", "on", "--g-adam", "dense")), true);
    }

    /**
     * The GPU engine's checkpoints resume too: here on the simulated device (the same engine code;
     * four steps an epoch, since the sim runs a step in about a second).
     */
    @org.junit.jupiter.api.Test
    void theGpuEnginesRunResumesOnTheSimulatedDevice() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.lgsr.gpu.sim.SimDriver.availability() == null,
                "no simulated device: " + org.lgsr.gpu.sim.SimDriver.availability());
        org.junit.jupiter.api.Assumptions.assumeTrue(!org.lgsr.gpu.GpuProbe.get().available(), "a GPU is here: the GPU tests hold its context");
        killAndResume("lgsr-c on sim", new ArrayList<>(List.of("train", "--device", "sim", "--epochs", "2", "--max-steps", "4", "--threads", "1",
                "--no-compare", "--keep", "3")));
    }

    /**
     * The neural models (docs/baselines-neural.md), killed with SIGKILL once epoch 1's checkpoint is there and resumed:
     * STAMP, and LGSR-H with L_g training in both epochs (its tables, moments and counters come back too). Besides the
     * report's numbers, epoch 2's checkpoints hold the same bits (parameters, Adam's moments, L_g's tables).
     */
    @ParameterizedTest
    @ValueSource(strings = {"stamp", "lgsr-h"})
    void aKilledNeuralRunResumesToTheSameBits(String variant) throws Exception {
        List<String> common = new ArrayList<>(List.of("train", "--variant", variant, "--epochs", "2", "--max-steps", "20", "--dim", "16",
                "--batch", "64", "--threads", "1", "--no-compare", "--keep", "3"));
        if (variant.equals("lgsr-h")) common.addAll(List.of("--g-max-batches", "3", "--g-epochs", "0", "--g-stop-delta", "0"));
        Path dir = killAndResume(variant, common);
        sameState(Checkpoint.read(dir.resolve("a.ckpt/epoch-2.lgsr")), Checkpoint.read(dir.resolve("b.ckpt/epoch-2.lgsr")), variant);
    }

    /**
     * Every neural model, 2 epochs straight against the same run resumed from its epoch-1 checkpoint for its second
     * epoch (the straight run's epoch-2 checkpoint, best.lgsr and report are taken aside and removed first, so that
     * what is compared is what the resumed run wrote): the same bits in the checkpoint and the same report figures.
     */
    @ParameterizedTest
    @ValueSource(strings = {"stamp", "gru4rec", "gru4rec-top1", "gru4rec-code", "narm", "narm-code", "srgnn", "lgsr-h", "lgsr-h, L_g every epoch"})
    @SuppressWarnings("unchecked")
    void aNeuralRunResumedAfterEpoch1GivesTheUninterruptedRunsBits(String variant) throws Exception {
        Path dir = Files.createTempDirectory("lgsr-resume-neural");
        String v = variant.split(",")[0];
        List<String> args = new ArrayList<>(List.of("train", "--variant", v, "--epochs", "2", "--dim", "16", "--batch", "64", "--max-steps", "4",
                "--threads", "1", "--no-compare", "--keep", "2", "--report", dir.resolve("a.json").toString()));
        if (v.startsWith("narm")) args.addAll(List.of("--hidden", "8"));
        if (v.equals("lgsr-h")) args.addAll(List.of("--g-max-batches", "3"));
        if (variant.contains("every epoch")) args.addAll(List.of("--g-epochs", "0", "--g-stop-delta", "0"));
        CliTest.Run ra = CliTest.run(args.toArray(String[]::new));
        assertEquals(0, ra.code(), ra.err());
        Path ck = dir.resolve("a.ckpt");
        Map<String, Object> ja = new com.google.gson.Gson().fromJson(Files.readString(dir.resolve("a.json")), Map.class);
        Checkpoint straight = Checkpoint.read(ck.resolve("epoch-2.lgsr"));
        assertTrue(straight.isNeural() && straight.resumable(), variant);
        for (String f : new String[] {"a.json", "a.ckpt/epoch-2.lgsr", "a.ckpt/best.lgsr"}) Files.delete(dir.resolve(f));

        CliTest.Run rb = CliTest.run("train", "--resume", ck.resolve("epoch-1.lgsr").toString());
        assertEquals(0, rb.code(), rb.err());
        assertTrue(rb.out().contains("resumed from " + ck.resolve("epoch-1.lgsr") + ": epoch 1 of 2 done, Adam step 4"), rb.out());
        assertEquals(variant.contains("every epoch"), rb.out().contains("epoch 2/2  L_g pass 1/2"), rb.out());
        Map<String, Object> jb = new com.google.gson.Gson().fromJson(Files.readString(dir.resolve("a.json")), Map.class);
        assertEquals("completed", jb.get("status"));
        sameReports(ja, jb, 2, variant, false);
        sameState(straight, Checkpoint.read(ck.resolve("epoch-2.lgsr")), variant);
        assertTrue(Files.isRegularFile(ck.resolve("best.lgsr")), "the resumed run writes best.lgsr again");
    }

    /** Two checkpoints of the same epoch hold the same model and run state, bit for bit. */
    static void sameState(Checkpoint a, Checkpoint b, String what) {
        assertEquals(a.neural(), b.neural(), what);
        assertEquals(a.model(), b.model(), what);
        assertEquals(a.epoch(), b.epoch(), what);
        assertArrayEquals(a.params(), b.params(), what + ": parameters");
        assertArrayEquals(a.adamM(), b.adamM(), what + ": Adam's m");
        assertArrayEquals(a.adamV(), b.adamV(), what + ": Adam's v");
        assertEquals(a.global().keySet(), b.global().keySet(), what + ": L_g's tables");
        for (String k : a.global().keySet()) assertArrayEquals(a.global().get(k), b.global().get(k), what + ": L_g's " + k);
        assertEquals(a.metrics(), b.metrics(), what + ": metrics");
        for (String k : new String[] {"step", "epochsDone", "global"}) assertEquals(a.resume().get(k), b.resume().get(k), what + ": resume." + k);
    }

    @SuppressWarnings("unchecked")
    static Path killAndResume(String variant, List<String> common) throws Exception {
        return killAndResume(variant, common, false);
    }

    /** Numbers equal, or with {@code approx} within 1e-5 relative (metrics in percent: 0.05 points), maps and lists alike. */
    @SuppressWarnings("unchecked")
    static void same(Object a, Object b, boolean approx, String what) {
        if (!approx || a == null || b == null) {
            assertEquals(a, b, what);
        } else if (a instanceof Number x && b instanceof Number y) {
            double tol = what.contains("test") ? 0.05 : 1e-5 * Math.max(1e-30, Math.abs(x.doubleValue()));
            assertEquals(x.doubleValue(), y.doubleValue(), tol, what);
        } else if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            assertEquals(ma.keySet(), mb.keySet(), what);
            for (Object k : ma.keySet()) same(ma.get(k), mb.get(k), approx, what + "." + k);
        } else {
            assertEquals(a, b, what);
        }
    }

    /** Runs {@code common} straight (report a.json) and killed and resumed (b.json) in a new folder, compares their reports, and returns the folder. */
    static Path killAndResume(String variant, List<String> common, boolean approx) throws Exception {
        Path dir = Files.createTempDirectory("lgsr-resume");
        // the run that never stops
        List<String> a = new ArrayList<>(common);
        a.addAll(List.of("--report", dir.resolve("a.json").toString()));
        CliTest.Run ra = CliTest.run(a.toArray(String[]::new));
        assertEquals(0, ra.code(), ra.err());

        // the same run in its own JVM, killed with SIGKILL once epoch 1's checkpoint is there
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-modules") || arg.startsWith("-Xmx")) cmd.add(arg);
        }
        if (cmd.stream().noneMatch(s -> s.startsWith("--add-modules"))) cmd.add("--add-modules=jdk.incubator.vector");
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(common);
        cmd.addAll(List.of("--report", dir.resolve("b.json").toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("b.log").toFile()).start();
        Path ckpt = dir.resolve("b.ckpt/epoch-1.lgsr");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!Files.exists(ckpt) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(Files.exists(ckpt), "epoch 1's checkpoint: " + Files.readString(dir.resolve("b.log")));
        p.destroyForcibly(); // SIGKILL on Linux: no shutdown hook runs
        p.waitFor(30, TimeUnit.SECONDS);
        assertNotEquals(0, p.exitValue(), "the run was killed before it finished: " + Files.readString(dir.resolve("b.log")));
        Map<String, Object> partial = new com.google.gson.Gson().fromJson(Files.readString(dir.resolve("b.json")), Map.class);
        assertEquals("running", partial.get("status"), "the killed run's report says it never finished");

        CliTest.Run rb = CliTest.run("train", "--resume", ckpt.toString());
        assertEquals(0, rb.code(), rb.err());
        int epochs = Integer.parseInt(common.get(common.indexOf("--epochs") + 1));
        assertTrue(rb.out().contains("resumed from " + ckpt + ": epoch 1 of " + epochs + " done"), rb.out());

        Map<String, Object> ja = new com.google.gson.Gson().fromJson(Files.readString(dir.resolve("a.json")), Map.class);
        Map<String, Object> jb = new com.google.gson.Gson().fromJson(Files.readString(dir.resolve("b.json")), Map.class);
        assertEquals("completed", jb.get("status"));
        sameReports(ja, jb, epochs, variant, approx);
        return dir;
    }

    /** The figures of two reports of {@code epochs} epochs agree (the losses, steps and test metrics of each epoch, its L_g passes, the best figures). */
    @SuppressWarnings("unchecked")
    static void sameReports(Map<String, Object> ja, Map<String, Object> jb, int epochs, String variant, boolean approx) {
        List<Map<String, Object>> ea = (List<Map<String, Object>>) ja.get("epochs"), eb = (List<Map<String, Object>>) jb.get("epochs");
        assertEquals(epochs, eb.size());
        for (int e = 0; e < epochs; e++) {
            for (String k : new String[] {"trainLoss", "firstStepLoss", "steps", "test"}) {
                same(ea.get(e).get(k), eb.get(e).get(k), approx, variant + ", epoch " + (e + 1) + ", " + k);
            }
            List<Map<String, Object>> pa = (List<Map<String, Object>>) ea.get(e).get("globalPasses"), pb = (List<Map<String, Object>>) eb.get(e).get("globalPasses");
            assertEquals(pa == null, pb == null, variant + ", epoch " + (e + 1) + ": L_g passes in one run only");
            if (pa != null) {
                assertEquals(pa.size(), pb.size(), variant + ", epoch " + (e + 1) + ": L_g passes");
                for (int i = 0; i < pa.size(); i++) {
                    for (String k : new String[] {"meanLoss", "pairs", "batches", "health"}) {
                        same(pa.get(i).get(k), pb.get(i).get(k), approx, variant + ", epoch " + (e + 1) + ", L_g pass " + (i + 1) + ", " + k);
                    }
                }
            }
        }
        same(ja.get("bestTest"), jb.get("bestTest"), approx, variant + ": best figures (test)");
    }
}
