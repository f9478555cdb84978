package org.lgsr.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.lgsr.cli.Main;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.SyntheticData;
import org.lgsr.engine.GpuBackend;
import org.lgsr.engine.RecStep;
import org.lgsr.eval.Ranking;
import org.lgsr.model.Batch;
import org.lgsr.model.Checkpoint;
import org.lgsr.model.ParamLayout;
import org.lgsr.model.Parameters;
import org.lgsr.model.cpu.CpuScorer;

/**
 * A checkpoint written by one engine, read by the other: the CPU engine's on the GPU engine and
 * the GPU engine's on the CPU engine rank the same test samples alike (equal ranks on at least
 * 99% of them, none moved by more than 3: the near-ties of EngineGpuTest), and lgsr evaluate on
 * the CPU gives the GPU run's own figures within 0.1 points. On a machine without a GPU the GPU
 * engine is the simulated device.
 */
@Tag("gpu")
class CheckpointAcrossEnginesTest {
    static final SessionDataset DATA = SyntheticData.generate(SyntheticData.Config.defaults());
    static final int ROWS = 256;

    static Checkpoint train(Path dir, String device) {
        Path rep = dir.resolve(device + ".json");
        int code = Main.execute("train", "--device", device, "--epochs", "1", "--max-steps", "6", "--no-compare", "--threads", "2",
                "--report", rep.toString());
        assertEquals(0, code, "lgsr train --device " + device);
        return Checkpoint.read(dir.resolve(device + ".ckpt/best.lgsr"));
    }

    static int[] gpuRanks(Checkpoint c, Batch bt) {
        try (GpuBackend be = new GpuBackend(0, false, false)) {
            RecStep rs = new RecStep(be, c.model(), ROWS);
            rs.setParameters(c.params());
            return rs.ranks(bt);
        }
    }

    static int[] cpuRanks(Checkpoint c, Batch bt) {
        Parameters p = new Parameters(new ParamLayout(c.model()));
        System.arraycopy(c.params(), 0, p.w, 0, p.w.length);
        int n = c.model().numItems();
        float[] scores = new float[ROWS * n];
        try (CpuScorer s = new CpuScorer(c.model(), p, ROWS, 2)) {
            s.score(DATA.test(), 0, ROWS, scores);
        }
        int[] r = new int[ROWS];
        for (int i = 0; i < ROWS; i++) r[i] = Ranking.rank(scores, i * n, n, DATA.test().targets()[i]);
        return r;
    }

    static void assertSameRanks(int[] a, int[] b, String what) {
        int same = 0, worst = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) same++;
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        assertTrue(a.length - same <= Math.max(1, a.length / 100), what + ": ranks equal on " + same + " of " + a.length);
        assertTrue(worst <= 3, what + ": a rank moved by " + worst);
    }

    @Test
    @SuppressWarnings("unchecked")
    void eachEnginesCheckpointRanksAlikeOnTheOther() throws Exception {
        GpuTests.session();
        String device = Driver.get().simulated() ? "sim" : "gpu";
        Path dir = Files.createTempDirectory("lgsr-across");
        Batch bt = Batch.of(DATA.test(), 0, ROWS, 19);

        Checkpoint cpu = train(dir, "cpu");
        assertSameRanks(gpuRanks(cpu, bt), cpuRanks(cpu, bt), "the CPU engine's checkpoint on the " + device + " engine");

        Checkpoint dev = train(dir, device);
        assertSameRanks(cpuRanks(dev, bt), gpuRanks(dev, bt), "the " + device + " engine's checkpoint on the CPU engine");
        // lgsr evaluate (CPU) against the GPU run's own evaluation at that epoch
        Map<String, Object> rep = new com.google.gson.Gson().fromJson(Files.readString(dir.resolve(device + ".json")), Map.class);
        Map<String, Double> test = (Map<String, Double>) ((List<Map<String, Object>>) rep.get("epochs")).get(0).get("test");
        for (String m : new String[] {"P@20", "MRR@20"}) {
            assertEquals(test.get(m), dev.metrics().get(m), 1e-12, "the checkpoint holds its run's " + m);
        }
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        System.setOut(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.execute("evaluate", "--model", dir.resolve(device + ".ckpt/best.lgsr").toString()));
        } finally {
            System.setOut(old);
        }
        java.util.regex.Matcher mt = java.util.regex.Pattern.compile("P@20 ([0-9.]+)  MRR@20 ([0-9.]+)").matcher(buf.toString());
        assertTrue(mt.find(), buf.toString());
        assertEquals(test.get("P@20"), Double.parseDouble(mt.group(1)), 0.1, "P@20 on the CPU vs the " + device + " run");
        assertEquals(test.get("MRR@20"), Double.parseDouble(mt.group(2)), 0.1, "MRR@20 on the CPU vs the " + device + " run");
    }
}
