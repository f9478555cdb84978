package org.lgsr.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lgsr.data.Samples;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.SyntheticData;
import org.lgsr.model.LearningRate;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.cpu.RecTrainer;
import org.lgsr.train.GlobalSettings;
import org.lgsr.train.TrainConfig;
import org.lgsr.train.Trainer;
import org.lgsr.train.TrainingEngine;

/**
 * Whole runs through {@link Trainer}: the engine's {@link EngineTrainer} on the kernels' CPU
 * twins ({@link CpuBackend}) against the CPU engine ({@link TrainingEngine.Cpu}), same data,
 * configuration and seed. Both engines shuffle, initialize and draw dropout masks the same way,
 * so the per-epoch training losses agree to float rounding (the engines sum in different
 * orders), and the test metrics agree to a few ranks that near-ties may swap. A joint run
 * (lgsr) also compares the L_g passes (corpus, pairs, batches, mean losses) and the schedule's
 * clock that both sides of the run share. A third test drives {@link TrainingEngine#trainEpoch}
 * directly: every step reaches the listener, across loss-ring drains, a stop request and the
 * next epoch. The measured differences are printed.
 */
class EngineTrainerTest {
    /** Relative tolerance of the per-epoch training losses (and of the L_g pass losses). */
    static final double LOSS_REL = 1e-4;
    /** Tolerance of the test P@20 and MRR@20, in points (percent). */
    static final double METRIC_POINTS = 0.3;

    /** The engine on the CPU twins, built as the GPU factory builds it on a GpuBackend. */
    static final TrainingEngine.Factory TWINS = (model, cfg, train, sessions, schedule) ->
            new EngineTrainer(new CpuBackend(), true, model, cfg, train, sessions, schedule);

    /** ~160 items, 400 training and 300 test sessions of the synthetic generator. */
    static SessionDataset data() {
        return SyntheticData.generate(SyntheticData.Config.defaults().withSeed(5).withSize(160, 400, 300));
    }

    /** A small run: d 16, batch 32, 2 epochs, dropout 0.3, a schedule that decays every epoch. */
    static TrainConfig config(String variant, GlobalSettings g) {
        return new TrainConfig("synth", variant, 2, 32, 5e-3, "every:1", 0.3f, 1e-5f, 16, 16, 10, false, 20261203L, 1,
                new int[] {10, 20}, 0, 1, false, g);
    }

    /** Runs {@code cfg} on the engine {@code factory} builds; returns the report. */
    static Map<String, Object> run(SessionDataset data, TrainConfig cfg, TrainingEngine.Factory factory) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Trainer.Result r = new Trainer(data, cfg, out, null, factory).run("EngineTrainerTest", "test", () -> false);
            assertTrue(!r.interrupted(), "the run was not stopped");
            return r.report();
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> epochs(Map<String, Object> report) {
        return (List<Map<String, Object>>) report.get("epochs");
    }

    static double num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        assertNotNull(v, key + " missing from " + m.keySet());
        return ((Number) v).doubleValue();
    }

    @SuppressWarnings("unchecked")
    static double metric(Map<String, Object> epoch, String key) {
        Map<String, Double> t = (Map<String, Double>) epoch.get("test");
        assertNotNull(t, "epoch " + epoch.get("epoch") + " was not evaluated");
        return t.get(key);
    }

    /**
     * Compares the two reports epoch by epoch: steps and samples exactly, the training loss
     * within {@link #LOSS_REL} relative, P@K and MRR@K within {@link #METRIC_POINTS}; prints the
     * differences.
     */
    static void compareEpochs(String what, Map<String, Object> cpu, Map<String, Object> twin) {
        List<Map<String, Object>> a = epochs(cpu), b = epochs(twin);
        assertEquals(a.size(), b.size(), what + ": epochs");
        double worst = 0;
        for (int e = 0; e < a.size(); e++) {
            Map<String, Object> x = a.get(e), y = b.get(e);
            assertEquals(num(x, "steps"), num(y, "steps"), what + " epoch " + (e + 1) + ": steps");
            assertEquals(num(x, "samples"), num(y, "samples"), what + " epoch " + (e + 1) + ": samples");
            double lx = num(x, "trainLoss"), ly = num(y, "trainLoss");
            double rel = Math.abs(lx - ly) / Math.abs(lx);
            worst = Math.max(worst, rel);
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s epoch %d: loss cpu %.7f twins %.7f (rel diff %.2e)",
                    what, e + 1, lx, ly, rel));
            for (String k : new String[] {"P@10", "MRR@10", "P@20", "MRR@20"}) {
                double mx = metric(x, k), my = metric(y, k);
                line.append(String.format(Locale.ROOT, "  %s %.3f/%.3f (diff %.3f)", k, mx, my, my - mx));
            }
            System.out.println(line);
            assertTrue(Double.isFinite(ly) && rel <= LOSS_REL, what + " epoch " + (e + 1) + ": training loss " + ly + " vs " + lx
                    + " (relative difference " + rel + ")");
            for (String k : new String[] {"P@20", "MRR@20"}) {
                double mx = metric(x, k), my = metric(y, k);
                assertTrue(Math.abs(mx - my) <= METRIC_POINTS, what + " epoch " + (e + 1) + ": " + k + " " + my + " vs " + mx);
            }
            // the schedule's clock: both engines count the same Adam steps of L_rec
            assertEquals(num(x, "learningRateAtEnd"), num(y, "learningRateAtEnd"), 1e-15, what + " epoch " + (e + 1) + ": learning rate");
        }
        // the model learned something (else the metric comparison would be vacuous)
        double p20 = metric(a.get(a.size() - 1), "P@20");
        assertTrue(p20 > 20, what + ": P@20 after training only " + p20);
        System.out.printf(Locale.ROOT, "%s: largest relative training-loss difference %.2e%n", what, worst);
    }

    @Test
    void recommendationRunMatchesTheCpuEngine() {
        SessionDataset data = data();
        TrainConfig cfg = config("lgsr-c", GlobalSettings.paper());
        Map<String, Object> cpu = run(data, cfg, TrainingEngine.Cpu.FACTORY);
        Map<String, Object> twin = run(data, cfg, TWINS);
        compareEpochs("lgsr-c", cpu, twin);
        assertNull(twin.get("globalGraph"), "no L_g side in an lgsr-c run");
    }

    @Test
    @SuppressWarnings("unchecked")
    void jointRunMatchesTheCpuEngine() {
        SessionDataset data = data();
        // tiny L_g: one walk per node of at most 8 items, 8 negatives, batches of 256, dense Adam,
        // 3 batches per pass, 2 passes per epoch, never "converged" (stop delta 0)
        GlobalSettings g = new GlobalSettings(1, 8, 8, 8, 2, 256, false, 3, 0.0);
        TrainConfig cfg = config("lgsr", g);
        Map<String, Object> cpu = run(data, cfg, TrainingEngine.Cpu.FACTORY);
        Map<String, Object> twin = run(data, cfg, TWINS);

        // the same graph and the same walk corpus
        Map<String, Object> gc = (Map<String, Object>) cpu.get("globalGraph"), gt = (Map<String, Object>) twin.get("globalGraph");
        for (String k : new String[] {"nodes", "edges", "walks", "walkSteps", "pairsPerPass"}) {
            assertEquals(num(gc, k), num(gt, k), "globalGraph " + k);
        }
        assertTrue(num(gc, "walkSteps") > num(gc, "walks"), "walks longer than their start node");

        // the same L_g passes: pairs, batches, learning rate and mean loss
        List<Map<String, Object>> a = epochs(cpu), b = epochs(twin);
        double worstPass = 0;
        for (int e = 0; e < a.size(); e++) {
            List<Map<String, Object>> pa = (List<Map<String, Object>>) a.get(e).get("globalPasses");
            List<Map<String, Object>> pb = (List<Map<String, Object>>) b.get(e).get("globalPasses");
            assertEquals(2, pa.size(), "passes of epoch " + (e + 1));
            assertEquals(pa.size(), pb.size(), "passes of epoch " + (e + 1));
            for (int p = 0; p < pa.size(); p++) {
                Map<String, Object> x = pa.get(p), y = pb.get(p);
                String at = "epoch " + (e + 1) + " pass " + (p + 1);
                assertEquals(3.0, num(x, "batches"), at + ": batches");
                assertEquals(num(x, "batches"), num(y, "batches"), at + ": batches");
                assertEquals(num(x, "pairs"), num(y, "pairs"), at + ": pairs");
                assertEquals(num(x, "learningRate"), num(y, "learningRate"), 1e-15, at + ": learning rate");
                double lx = num(x, "meanLoss"), ly = num(y, "meanLoss");
                double rel = Math.abs(lx - ly) / Math.abs(lx);
                worstPass = Math.max(worstPass, rel);
                System.out.printf(Locale.ROOT, "lgsr %s: L_g mean loss cpu %.7f twins %.7f (rel diff %.2e)%n", at, lx, ly, rel);
                assertTrue(rel <= LOSS_REL, at + ": L_g mean loss " + ly + " vs " + lx);
            }
        }
        compareEpochs("lgsr", cpu, twin);

        // L_g moved the shared table: the joint run's first loss is not the lgsr-c run's
        Map<String, Object> alone = run(data, config("lgsr-c", g), TWINS);
        double joint = num(epochs(twin).get(0), "trainLoss"), rec = num(epochs(alone).get(0), "trainLoss");
        assertTrue(Math.abs(joint - rec) > 1e-3 * Math.abs(rec), "L_g changed nothing on the engine: " + joint + " vs " + rec);
    }

    /**
     * Two epochs of {@code batch}-sized steps on the engine {@code factory} builds, the first
     * stopped after {@code stopAfter} steps: every listener call as {epoch, samples done, loss},
     * then per epoch {steps, samples, mean loss}.
     */
    static List<double[]> steps(TrainingEngine.Factory factory, SessionDataset data, TrainConfig cfg, int stopAfter) {
        ModelConfig model = cfg.model(data.numItems());
        Samples train = data.train();
        LearningRate schedule = LearningRate.byName(cfg.lrSchedule(), cfg.lr(), train.size(), cfg.batchSize());
        List<double[]> out = new ArrayList<>();
        try (TrainingEngine engine = factory.create(model, cfg, train, data.trainSessions(), schedule)) {
            for (int e = 0; e < 2; e++) {
                int epoch = e;
                int[] calls = {0};
                RecTrainer.EpochStats st = engine.trainEpoch(train, 0, (done, loss) -> out.add(new double[] {epoch, done, loss}),
                        e == 0 ? () -> ++calls[0] >= stopAfter : null);
                out.add(new double[] {-1, st.steps(), st.samples(), st.meanLoss(), engine.step()});
            }
        }
        return out;
    }

    /**
     * The step listener and the stop request, beyond one loss ring ({@link RecStep#RING} steps):
     * the engine reports every step, in order, with the samples done and the step's loss as the
     * CPU engine does (losses within {@link #LOSS_REL}), stops after the step the request came
     * in, and the next epoch starts afresh.
     */
    @Test
    void everyStepReachesTheListenerAcrossLossRingsAndAStop() {
        SessionDataset data = data();
        TrainConfig cfg = new TrainConfig("synth", "lgsr-c", 2, 8, 5e-3, "every:1", 0.3f, 1e-5f, 16, 16, 10, false, 99L, 1,
                new int[] {20}, 0, 1, false, GlobalSettings.paper());
        int stopAfter = RecStep.RING + 9;
        int perEpoch = (data.train().size() + 7) / 8;
        assertTrue(perEpoch > 2 * RecStep.RING, "an epoch spans more than two loss rings: " + perEpoch + " steps");
        List<double[]> a = steps(TrainingEngine.Cpu.FACTORY, data, cfg, stopAfter);
        List<double[]> b = steps(TWINS, data, cfg, stopAfter);
        assertEquals(stopAfter + 1 + perEpoch + 1, a.size(), "the CPU engine's listener calls and epoch ends");
        assertEquals(a.size(), b.size(), "listener calls and epoch ends");
        double worst = 0;
        int doneBefore = 0;
        for (int i = 0; i < a.size(); i++) {
            double[] x = a.get(i), y = b.get(i);
            if (x[0] < 0) { // an epoch's end: steps, samples, mean loss, the engine's step count
                assertEquals(-1, y[0], "entry " + i + " is an epoch end on both");
                assertEquals(x[1], y[1], "steps of the epoch");
                assertEquals(x[2], y[2], "samples of the epoch");
                assertEquals(x[3], y[3], LOSS_REL * Math.abs(x[3]), "mean loss of the epoch");
                assertEquals(x[4], y[4], "Adam steps so far");
                doneBefore = 0;
                continue;
            }
            assertEquals(x[0], y[0], "entry " + i + ": epoch");
            assertEquals(x[1], y[1], "entry " + i + ": samples done");
            assertTrue(y[1] > doneBefore, "entry " + i + ": samples done grow within an epoch");
            doneBefore = (int) y[1];
            double rel = Math.abs(x[2] - y[2]) / Math.abs(x[2]);
            worst = Math.max(worst, rel);
            assertTrue(rel <= LOSS_REL, "entry " + i + ": step loss " + y[2] + " vs " + x[2]);
        }
        assertEquals(stopAfter, (int) b.get(stopAfter)[1], "steps of the stopped epoch");
        assertEquals(data.train().size(), (int) b.get(b.size() - 2)[1], "the last step of a whole epoch has seen every sample");
        System.out.printf(Locale.ROOT, "listener: %d steps, largest relative step-loss difference %.2e%n", a.size() - 2, worst);
    }
}
