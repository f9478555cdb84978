package org.lgsr.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lgsr.TestData;
import picocli.CommandLine;

class CliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream sysOut = new ByteArrayOutputStream();
        ByteArrayOutputStream sysErr = new ByteArrayOutputStream();
        try {
            // swap the streams first: picocli makes its writers from System.out/err
            System.setOut(new PrintStream(sysOut, true));
            System.setErr(new PrintStream(sysErr, true));
            CommandLine cl = Main.commandLine();
            int code = cl.execute(args);
            cl.getOut().flush();
            cl.getErr().flush();
            System.out.flush();
            System.err.flush();
            return new Run(code, sysOut.toString(), sysErr.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static void assertOneLineError(Run r, String fragment) {
        assertEquals(2, r.code(), r.err());
        String[] lines = r.err().strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("lgsr: error: "), "[" + r.err() + "][" + r.out() + "]");
        assertTrue(last.contains(fragment), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    /**
     * A run's checkpoints: epoch-N and best beside the report; lgsr evaluate gives the report's
     * figures at that epoch; lgsr export writes E's rows as word2vec text, tsv and .npy, read back
     * here and compared with the checkpoint.
     */
    @Test
    @SuppressWarnings("unchecked")
    void checkpointsEvaluateAndExport() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("lgsr-ckpt");
        java.nio.file.Path rep = dir.resolve("run.json");
        Run t = run("train", "--epochs", "2", "--max-steps", "8", "--no-compare", "--keep", "1", "--report", rep.toString());
        assertEquals(0, t.code(), t.err());
        java.nio.file.Path ck = dir.resolve("run.ckpt");
        assertTrue(java.nio.file.Files.isRegularFile(ck.resolve("best.lgsr")), "best.lgsr");
        assertTrue(java.nio.file.Files.isRegularFile(ck.resolve("epoch-2.lgsr")), "epoch-2.lgsr");
        assertFalse(java.nio.file.Files.exists(ck.resolve("epoch-1.lgsr")), "--keep 1 drops epoch 1");
        java.util.Map<String, Object> report = new com.google.gson.Gson().fromJson(java.nio.file.Files.readString(rep), java.util.Map.class);
        java.util.Map<String, Object> e2 = ((java.util.List<java.util.Map<String, Object>>) report.get("epochs")).get(1);
        java.util.Map<String, Double> test = (java.util.Map<String, Double>) e2.get("test");
        Run ev = run("evaluate", "--model", ck.resolve("epoch-2.lgsr").toString());
        assertEquals(0, ev.code(), ev.err());
        assertTrue(ev.out().contains(String.format(java.util.Locale.ROOT, "P@20 %.2f  MRR@20 %.2f", test.get("P@20"), test.get("MRR@20"))),
                ev.out() + " vs " + test);
        org.lgsr.model.Checkpoint c = org.lgsr.model.Checkpoint.read(ck.resolve("epoch-2.lgsr"));
        float[] e = c.itemEmbeddings();
        int d = c.model().dim(), n = c.model().numItems();
        // word2vec text: "count dim", then "id v1 .. vd" per item
        java.nio.file.Path w2v = dir.resolve("e.w2v");
        assertEquals(0, run("export", "--model", ck.resolve("epoch-2.lgsr").toString(), "--format", "w2v", "--output", w2v.toString()).code());
        java.util.List<String> lines = java.nio.file.Files.readAllLines(w2v);
        assertEquals((n - 1) + " " + d, lines.get(0));
        assertEquals(n, lines.size());
        String[] row7 = lines.get(7).split(" ");
        assertEquals("7", row7[0]);
        for (int k = 0; k < d; k++) assertEquals(e[7 * d + k], Float.parseFloat(row7[k + 1]));
        java.nio.file.Path tsv = dir.resolve("e.tsv");
        assertEquals(0, run("export", "--model", ck.resolve("epoch-2.lgsr").toString(), "--format", "tsv", "--output", tsv.toString()).code());
        String[] t5 = java.nio.file.Files.readAllLines(tsv).get(4).split("\t");
        assertEquals("5", t5[0]);
        assertEquals(e[5 * d + d - 1], Float.parseFloat(t5[d]));
        // .npy: magic, version 1.0, a header naming '<f4' and the shape, data from a 64-byte boundary
        java.nio.file.Path npy = dir.resolve("e.npy");
        assertEquals(0, run("export", "--model", ck.resolve("epoch-2.lgsr").toString(), "--format", "npy", "--output", npy.toString()).code());
        byte[] b = java.nio.file.Files.readAllBytes(npy);
        assertEquals((byte) 0x93, b[0]);
        assertEquals("NUMPY", new String(b, 1, 5, java.nio.charset.StandardCharsets.US_ASCII));
        int hl = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        String header = new String(b, 10, hl, java.nio.charset.StandardCharsets.US_ASCII);
        assertTrue(header.contains("'descr': '<f4'") && header.contains("'shape': (" + n + ", " + d + ")") && header.endsWith("\n"), header);
        assertEquals(0, (10 + hl) % 64, "data aligned to 64 bytes");
        java.nio.FloatBuffer fb = java.nio.ByteBuffer.wrap(b, 10 + hl, b.length - 10 - hl).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] got = new float[fb.remaining()];
        fb.get(got);
        assertArrayEquals(e, got);
        assertOneLineError(run("export", "--model", ck.resolve("epoch-2.lgsr").toString(), "--format", "bin", "--output", npy.toString()),
                "--format: unknown format 'bin'");
        assertOneLineError(run("evaluate", "--model", dir.resolve("nothing.lgsr").toString()), "nothing.lgsr: no such file");
        assertOneLineError(run("train", "--resume", ck.resolve("epoch-2.lgsr").toString(), "--epochs", "5"),
                "--resume continues the run with its own settings: give no other flag");
        // a checkpoint with the model only (as the GPU engine writes them) cannot be resumed
        java.nio.file.Path bare = dir.resolve("bare.lgsr");
        new org.lgsr.model.Checkpoint(c.model(), c.epoch(), c.config(), c.dataset(), c.metrics(), c.params()).write(bare);
        assertOneLineError(run("train", "--resume", bare.toString()), "holds the model only, not the run's state");
    }

    /** -V: the pom's version and the git commit the jar was built from. */
    @Test
    void versionNamesThePomVersionAndTheCommit() throws Exception {
        Run r = run("-V");
        assertEquals(0, r.code(), r.err());
        String pom = java.nio.file.Files.readString(java.nio.file.Path.of("pom.xml"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<artifactId>lgsr-gpu</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(m.find(), "the pom's version");
        assertTrue(r.out().startsWith("lgsr " + m.group(1) + ", commit "), r.out());
        java.util.regex.Matcher c = java.util.regex.Pattern.compile("commit ([0-9a-f]{12}|unknown)").matcher(r.out());
        assertTrue(c.find(), r.out());
        Process git = new ProcessBuilder("git", "rev-parse", "--short=12", "HEAD").redirectErrorStream(true).start();
        String head = new String(git.getInputStream().readAllBytes()).strip();
        if (git.waitFor() == 0 && head.matches("[0-9a-f]{12}")) {
            // the jar's commit is HEAD's or, built before the latest commit, an ancestor of it
            Process anc = new ProcessBuilder("git", "merge-base", "--is-ancestor", c.group(1), "HEAD").start();
            assertEquals(0, anc.waitFor(), "commit " + c.group(1) + " is HEAD (" + head + ") or an ancestor");
        }
    }

    /** Errors come first and alone: no variant, device or preset line before them. */
    @Test
    void trainErrorsAreTheOnlyLine() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("lgsr-cli");
        java.nio.file.Path aFile = java.nio.file.Files.writeString(dir.resolve("file.txt"), "x");
        java.nio.file.Path garbage = java.nio.file.Files.createDirectories(dir.resolve("garbage"));
        for (String f : new String[] {"train.txt", "test.txt", "all_train_seq.txt"}) java.nio.file.Files.writeString(garbage.resolve(f), "not a pickle");
        String[][] cases = {
            {"--dataset", garbage.toString()},
            {"--preset", "bogus"}, {"--g-adam", "sparse"}, {"--lr-schedule", "nope"},
            {"--dataset", "/no/such/dir"}, {"--dataset", "nosuch"}, {"--dataset", aFile.toString()},
            {"--report", dir.toString()}, {"--report", aFile.resolve("r.json").toString()},
        };
        String[] fragments = {
            "not a readable pickle",
            "--preset: unknown preset 'bogus'", "--g-adam: unknown mode 'sparse'", "nope",
            "--dataset: folder /no/such/dir does not exist", "unknown dataset 'nosuch'", "is a file, not a folder",
            "is a folder; give a file name", "--report: cannot write " + aFile.resolve("r.json") + " (",
        };
        for (int i = 0; i < cases.length; i++) {
            String[] args = new String[cases[i].length + 1];
            args[0] = "train";
            System.arraycopy(cases[i], 0, args, 1, cases[i].length);
            Run r = run(args);
            assertOneLineError(r, fragments[i]);
            assertEquals(1, r.err().strip().split("\n").length, "the error alone: [" + r.err() + "]");
        }
    }

    /** A report in a folder that does not exist yet: the folder is made, and the run says so before training. */
    @Test
    void aMissingReportFolderIsCreatedAndNamed() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("lgsr-cli").resolve("new/sub");
        java.nio.file.Path rep = dir.resolve("run.json");
        Run r = run("train", "--epochs", "1", "--max-steps", "1", "--no-compare", "--report", rep.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("created the report's folder " + dir), r.err());
        assertTrue(java.nio.file.Files.isRegularFile(rep));
        assertTrue(r.err().indexOf("created the report's folder") < r.err().indexOf("loaded synth"), r.err());
    }

    @Test
    void badFlagsAndNamesAreOneLineWithExitTwo() {
        assertOneLineError(run("baseline", "--method", "pop", "--dataset", "nosuch"), "unknown dataset 'nosuch'");
        assertOneLineError(run("baseline", "--method", "nosuch"), "--method");
        assertOneLineError(run("baseline", "--method", "pop", "--bogus"), "--bogus");
        assertOneLineError(run("baseline", "--method", "pop", "--k", "0"), "--k");
        assertOneLineError(run("baseline", "--method", "pop", "--k", "x"), "--k");
        assertOneLineError(run("datasets", "stats", "diginetica", "--data-root", dir.resolve("none").toString()), "not found");
        assertOneLineError(run("nosuchcommand"), "nosuchcommand");
        assertOneLineError(run(), "command");
    }

    @Test
    void corruptDatasetFilesAreNamed() throws Exception {
        Path ds = dir.resolve("broken");
        Files.createDirectories(ds);
        Files.writeString(ds.resolve("all_train_seq.txt"), "garbage");
        Files.writeString(ds.resolve("test.txt"), "garbage");
        assertOneLineError(run("datasets", "stats", ds.toString()), "all_train_seq.txt");
    }

    @Test
    void everyCommandHasHelp() {
        for (String[] cmd : new String[][] {{"--help"}, {"datasets", "--help"}, {"datasets", "stats", "--help"},
                {"baseline", "--help"}, {"synth", "--help"}, {"preprocess", "--help"}, {"train", "--help"}}) {
            Run r = run(cmd);
            assertEquals(0, r.code(), String.join(" ", cmd));
            assertTrue(r.out().contains("Usage:"), r.out());
            assertFalse(r.err().contains("WARN"), r.err()); // e.g. an unescaped % in a description
        }
    }

    @Test
    void synthWritesALoadableDataset() {
        Path out = dir.resolve("syn");
        Run r = run("synth", "--output", out.toString(), "--items", "300", "--train-sessions", "500", "--test-sessions", "100");
        assertEquals(0, r.code(), r.err());
        Run stats = run("datasets", "stats", out.toString());
        assertEquals(0, stats.code(), stats.err());
        assertTrue(stats.out().contains("train sessions        500"), stats.out());
    }

    /** synth and preprocess write only into an empty folder (or with --force), never over the data root's named datasets. */
    @Test
    void dataOutputsAreNotOverwrittenByAccident() throws Exception {
        Path out = dir.resolve("syn-once");
        String[] small = {"--items", "100", "--train-sessions", "200", "--test-sessions", "50"};
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("synth", "--output", out.toString()));
        a.addAll(java.util.List.of(small));
        assertEquals(0, run(a.toArray(String[]::new)).code());
        assertOneLineError(run(a.toArray(String[]::new)), "--output: folder " + out.toAbsolutePath() + " is not empty; --force writes into it");
        a.add("--force");
        assertEquals(0, run(a.toArray(String[]::new)).code());
        Path root = Files.createDirectories(dir.resolve("root/diginetica")).getParent();
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> OutputPaths.checkDataOutput(root, true, "--output", java.util.List.of("", "diginetica"), root));
        assertTrue(e.getMessage().contains("is the data root's diginetica dataset; lgsr never writes over it"), e.getMessage());
        OutputPaths.checkDataOutput(dir.resolve("elsewhere"), false, "--output", java.util.List.of("", "diginetica"), root);
    }

    /** The two messages a new user found cryptic now name the cause and the flag. */
    @Test
    void sizeErrorsNameTheCause() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new org.lgsr.model.ParamLayout(new org.lgsr.model.ModelConfig(30_000_001, 100, 19, 0.3f, 1e-5f, org.lgsr.model.Variant.LGSR_C, true)));
        assertTrue(e.getMessage().contains("the largest item id (30000000) is too large; renumber the items"), e.getMessage());
        assertOneLineError(run("train", "--variant", "lgsr", "--negatives", "100000", "--epochs", "1", "--max-steps", "1", "--no-compare"),
                "--negatives: 100000 unique negatives per batch, but the item graph has only");
    }

    @Test
    void statsOnTheShippedData() {
        assumeTrue(TestData.has("yoochoose1_64"), "../shared/data is absent");
        Run r = run("datasets", "stats", "yoochoose64", "--data-root", TestData.root().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("train samples         369859"), r.out());
        assertTrue(r.out().contains("test samples          55898"), r.out());
        assertTrue(r.out().contains("items in training     17376"), r.out());
        assertTrue(r.out().contains("average length        6.16"), r.out());
    }

    @Test
    void baselineOnSyntheticDefault() {
        Run r = run("baseline", "--method", "spop");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("spop on synth: P@10"), r.out());
    }

    @Test
    void preprocessTheDigineticaSample() throws Exception {
        assumeTrue(TestData.has("raw/diginetica-sample"), "../shared/data is absent");
        Path out = dir.resolve("dg");
        Run r = run("preprocess", "--format", "diginetica", "--input",
                TestData.dir("raw/diginetica-sample/train-item-views.csv").toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("1205 samples"), r.out());
        assertTrue(Files.isReadable(out.resolve("train.txt")));
        // the usual permissions of a new file here (the umask), not a temporary file's 0600
        assertEquals(Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain-file"))),
                Files.getPosixFilePermissions(out.resolve("test.txt")));
        assertOneLineError(run("preprocess", "--format", "diginetica", "--input", dir.resolve("none.csv").toString(),
                "--output", out.toString()), "none.csv");
        assertOneLineError(run("preprocess", "--format", "parquet", "--input", "x", "--output", "y"), "--format");
    }

    /**
     * {@code --device sim}: the GPU engine on the simulated device, five steps and the
     * evaluation, against the CPU engine with the same seed: the training loss within 1e-3
     * relative and P@20 / MRR@20 within 0.3 points (the GPU tests' tolerances).
     */
    @Test
    @SuppressWarnings("unchecked")
    void deviceSimTrainsLikeTheCpuEngine() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.lgsr.gpu.sim.SimDriver.availability() == null,
                "no simulated device: " + org.lgsr.gpu.sim.SimDriver.availability());
        org.junit.jupiter.api.Assumptions.assumeTrue(!org.lgsr.gpu.GpuProbe.get().available(),
                "a GPU is here: the GPU tests hold its context in this JVM");
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("lgsr-sim");
        java.util.Map<String, Object>[] reports = new java.util.Map[2];
        String[] devices = {"sim", "cpu"};
        for (int i = 0; i < 2; i++) {
            java.nio.file.Path rep = dir.resolve(devices[i] + ".json");
            Run r = run("train", "--device", devices[i], "--epochs", "1", "--max-steps", "5", "--no-compare", "--report", rep.toString());
            assertEquals(0, r.code(), r.err());
            if (i == 0) assertTrue(r.err().contains("device: sim, the GPU engine on the simulated device"), r.err());
            reports[i] = new com.google.gson.Gson().fromJson(java.nio.file.Files.readString(rep), java.util.Map.class);
        }
        java.util.Map<String, Object> sim = ((java.util.List<java.util.Map<String, Object>>) reports[0].get("epochs")).get(0);
        java.util.Map<String, Object> cpu = ((java.util.List<java.util.Map<String, Object>>) reports[1].get("epochs")).get(0);
        double ls = ((Number) sim.get("trainLoss")).doubleValue(), lc = ((Number) cpu.get("trainLoss")).doubleValue();
        assertTrue(Math.abs(ls - lc) <= 1e-3 * Math.abs(lc), "training loss: sim " + ls + ", cpu " + lc);
        for (String m : new String[] {"P@20", "MRR@20"}) {
            double a = metric(reports[0], m), b = metric(reports[1], m);
            assertTrue(Math.abs(a - b) <= 0.3, m + ": sim " + a + ", cpu " + b);
        }
    }

    @SuppressWarnings("unchecked")
    private static double metric(java.util.Map<String, Object> report, String name) {
        java.util.Map<String, Object> best = (java.util.Map<String, Object>) report.get("bestTest");
        return ((Number) ((java.util.Map<String, Object>) best.get(name)).get("value")).doubleValue();
    }

    @Test
    void deviceAutoSaysWhichInOneLineAndGpuWithoutOneIsExitTwo() {
        org.lgsr.gpu.GpuProbe probe = org.lgsr.gpu.GpuProbe.get();
        Run auto = run("baseline", "--method", "pop", "--device", "auto");
        assertEquals(0, auto.code(), auto.err());
        long lines = auto.err().lines().filter(l -> l.startsWith("device: ")).count();
        assertEquals(1, lines, auto.err());
        assertTrue(auto.err().contains(probe.available() ? "device: gpu" : "device: cpu (--device auto: "), auto.err());
        Run cpu = run("baseline", "--method", "pop", "--device", "cpu");
        assertTrue(cpu.err().contains("device: cpu (--device cpu)"), cpu.err());
        assertOneLineError(run("baseline", "--method", "pop", "--device", "tpu"), "--device: unknown device 'tpu'");
        assumeTrue(!probe.available(), "a GPU is here: --device gpu is valid");
        assertOneLineError(run("baseline", "--method", "pop", "--device", "gpu"), "--device gpu: no usable GPU: ");
    }
}
