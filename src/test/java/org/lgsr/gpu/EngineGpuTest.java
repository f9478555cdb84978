package org.lgsr.gpu;

import org.lgsr.TestData;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.data.SyntheticData;
import org.lgsr.engine.Backend;
import org.lgsr.engine.Buf;
import org.lgsr.engine.CpuBackend;
import org.lgsr.engine.EngineTrainer;
import org.lgsr.engine.GlobalStep;
import org.lgsr.engine.GpuBackend;
import org.lgsr.engine.RecStep;
import org.lgsr.graph.GlobalEncoder;
import org.lgsr.model.Batch;
import org.lgsr.model.DropoutMasks;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.ParamLayout;
import org.lgsr.model.Parameters;
import org.lgsr.model.Variant;
import org.lgsr.train.GlobalSettings;
import org.lgsr.train.TrainConfig;
import org.lgsr.train.Trainer;
import org.lgsr.train.TrainingEngine;

/**
 * The GPU engine against the same orchestration on the kernels' CPU twins ({@link CpuBackend},
 * itself checked against the CPU engine by RecStepTest, GlobalStepTest and EngineTrainerTest):
 * one recommendation step (loss, every gradient block, the Adam update, the evaluation ranks),
 * L_g passes (loss, E, theta, the corpus), a whole training run (test metrics), the profiler,
 * and the pinned upload ring under uploads that fill its quarters exactly. What only the GPU
 * can get wrong is in scope here: launch arguments, byte offsets of views, stream order of
 * uploads, products and downloads, buffers read before being written (the gradient is poisoned
 * with NaN before the step).
 *
 * <p>Products are FP32 cuBLAS (the backend is opened with TF32 off), so the step agrees with
 * the twins to float rounding (summation order): 1e-5 relative per gradient block, except Wa1:
 * its gradient is Ft^T dU with dU = sum_i de_i q .* h'(G_i), and the softmax backward's de_i
 * sum to zero, so dU is a cancelling sum in which expf against the twin's double exp and tree
 * dot products show up: 2.8e-6 to 1.3e-5 on an H200 (2026-11-30, six seeds) while every other
 * block stayed under 1e-6. Wa1 is held to 1e-4.
 *
 * <p>One {@link GpuBackend} for the class (its GpuContext retains the device's primary context;
 * closed in {@link #close}); the profiling test opens a second, profiling one, also kept for the
 * class.
 */
@Tag("gpu")
class EngineGpuTest {
    static GpuBackend gpu;
    static GpuBackend profiled;
    final long seed = TestData.seed();

    /** Skipped with the probe's reason without a GPU, and with cuBLAS's load error without cuBLAS. */
    @BeforeEach
    void open() {
        GpuTests.assumeGpu();
        String err = Cublas.loadError();
        assumeTrue(err == null, "cuBLAS is not usable, the GPU engine needs it: " + err);
        if (gpu == null) gpu = new GpuBackend(0, false, false);
    }

    @AfterAll
    static void close() {
        try {
            if (profiled != null) profiled.close();
        } finally {
            profiled = null;
            if (gpu != null) gpu.close();
            gpu = null;
        }
    }

    // ------------------------------------------------------------------ helpers


    /**
     * {@code count} random samples over items 1..n-1: lengths 1, longer than T (the batch keeps
     * the last T) and uniform in between, in turn; targets uniform.
     */
    static Samples randomSamples(Random rnd, int count, int n, int T) {
        Sessions.Builder b = new Sessions.Builder();
        int[] targets = new int[count];
        for (int s = 0; s < count; s++) {
            int len = s % 3 == 0 ? 1 : s % 3 == 1 ? T + 3 : 1 + rnd.nextInt(T);
            int[] in = new int[len];
            for (int i = 0; i < len; i++) in[i] = 1 + rnd.nextInt(n - 1);
            b.add(in);
            targets[s] = 1 + rnd.nextInt(n - 1);
        }
        return new Samples(b.build(), targets);
    }

    // ------------------------------------------------------------------ one recommendation step

    /** What one step gives on one backend. */
    record StepResult(double loss, float[] grad, float[] params, int[] ranks) {
    }

    /**
     * On backend {@code be}: parameters {@code w}, the gradient poisoned with NaN, one training
     * step with dropout (mask seed {@code maskSeed}) and Adam at 1e-3, then the ranks of the
     * batch's targets under the updated parameters.
     */
    static StepResult step(Backend be, ModelConfig cfg, int capacity, float[] w, Batch bt, long maskSeed) {
        RecStep rs = new RecStep(be, cfg, capacity);
        rs.setParameters(w);
        be.fill(rs.g, Float.NaN);
        rs.trainStep(bt, maskSeed, 1e-3);
        double[] losses = rs.drainLosses();
        assertEquals(1, losses.length, "one step, one loss");
        float[] g = rs.gradient();
        float[] p = rs.parameters();
        int[] r = rs.ranks(bt);
        assertEquals(1, rs.step, "Adam steps");
        return new StepResult(losses[0], g, p, r);
    }

    /**
     * One step on {@code dev} and on the twins from the same random parameters (initialization
     * plus a perturbation of LayerNorm, biases and q so their gradients are generic) and batch;
     * null when everything agrees, else what did not. Prints the measured differences.
     */
    static String compareStep(Backend dev, Variant variant, int B, int capacity, int n, int d, int T, long seed) {
        ModelConfig cfg = new ModelConfig(n, d, T, 0.3f, 1e-5f, variant, true);
        ParamLayout L = new ParamLayout(cfg);
        Random rnd = new Random(seed);
        Parameters p = Parameters.init(cfg, seed);
        for (ParamLayout.View v : L.views()) {
            if (v.name().startsWith("ln") || v.name().equals("q") || v.name().startsWith("b")) {
                for (int i = v.offset(); i < v.end(); i++) p.w[i] += (float) (0.3 * (rnd.nextDouble() - 0.5));
            }
        }
        Batch bt = Batch.of(randomSamples(rnd, B, n, T), 0, B, T);
        bt.check(n);
        long maskSeed = DropoutMasks.stepSeed(seed, 0);
        awayFromKinks(cfg, capacity, p.w, bt, maskSeed);
        StepResult got = step(dev, cfg, capacity, p.w, bt, maskSeed);
        StepResult ref;
        try (CpuBackend cpu = new CpuBackend()) {
            ref = step(cpu, cfg, capacity, p.w, bt, maskSeed);
        }
        List<String> bad = new ArrayList<>();
        String at = variant + " B=" + B + " n=" + n + " d=" + d + " T=" + T + " seed " + seed;
        double lossErr = Math.abs(got.loss - ref.loss) / Math.abs(ref.loss);
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%s: loss %.8f vs twins %.8f (rel %.2e); gradient rel errors:", at,
                got.loss, ref.loss, lossErr));
        if (!(lossErr <= 1e-5)) bad.add("loss " + got.loss + " vs " + ref.loss + " (relative " + lossErr + ")");
        for (ParamLayout.View v : L.views()) {
            double e = TestData.relErr(got.grad, v.offset(), ref.grad, v.offset(), v.size());
            out.append(String.format(Locale.ROOT, " %s %.1e", v.name(), e));
            double tol = v.name().equals("Wa1") ? 1e-4 : 1e-5;
            if (!(e <= tol)) bad.add("gradient of " + v.name() + ": relative error " + e + " (tolerance " + tol + ")");
        }
        double pErr = TestData.relErr(got.params, 0, ref.params, 0, L.total());
        if (!(pErr <= 1e-6)) bad.add("parameters after Adam: relative error " + pErr);
        int same = 0, worstMove = 0;
        for (int b = 0; b < B; b++) {
            if (got.ranks[b] == ref.ranks[b]) same++;
            worstMove = Math.max(worstMove, Math.abs(got.ranks[b] - ref.ranks[b]));
            if (got.ranks[b] < 1 || got.ranks[b] > n - 1) bad.add("rank " + got.ranks[b] + " of row " + b + " outside 1.." + (n - 1));
        }
        // a target's rank moves where its score and another item's are within the products'
        // rounding of each other (GPU and CPU sum in different orders): such near-ties are rare
        // (about one row in 10^3 here) and move a rank by a place or two. Equal on at least 99%
        // of the rows (on at least all but one below 100 rows), none moved by more than 3.
        int allowed = Math.max(1, B / 100);
        if (B - same > allowed) bad.add("ranks equal on " + same + " of " + B + " rows only");
        if (worstMove > 3) bad.add("a rank moved by " + worstMove);
        out.append(String.format(Locale.ROOT, "; parameters after Adam rel %.1e; ranks equal %d/%d", pErr, same, B));
        System.out.println(out);
        return bad.isEmpty() ? null : at + ": " + String.join("; ", bad);
    }

    /** How close to a kink (ReLU at 0, hard sigmoid at -2.5 and 2.5) an input may lie: far above the engines' rounding. */
    static final float KINK_MARGIN = 1e-5f;

    /**
     * Moves the drawn parameters until no ReLU input and no hard-sigmoid input of the step lies
     * within {@link #KINK_MARGIN} of its kink (on the twins): such an input (about one in 10^7
     * elements) can fall on different sides on the two engines and switch a gradient term on
     * one side only. b1 of a column with a ReLU input near 0 moves by 1e-3; Wa2's column of a
     * hard-sigmoid input near a kink is scaled by 1.001. Deterministic: the inputs are built
     * away from the kinks, not redrawn after a failure.
     */
    static void awayFromKinks(ModelConfig cfg, int capacity, float[] w, Batch bt, long maskSeed) {
        ParamLayout L = new ParamLayout(cfg);
        int d = cfg.dim(), rows = bt.B * cfg.maxLen();
        for (int round = 0; round < 50; round++) {
            float[][] in;
            try (CpuBackend cpu = new CpuBackend()) {
                RecStep rs = new RecStep(cpu, cfg, capacity);
                rs.setParameters(w);
                rs.trainStep(bt, maskSeed, 1e-3);
                in = rs.kinkInputs(rows);
            }
            boolean[] relu = new boolean[d], hard = new boolean[d];
            boolean any = false;
            for (int i = 0; i < in[0].length; i++) {
                if (Math.abs(in[0][i]) < KINK_MARGIN) any = relu[i % d] = true;
            }
            if (in[1] != null && cfg.hardSigmoid()) {
                for (int i = 0; i < in[1].length; i++) {
                    if (Math.abs(Math.abs(in[1][i]) - 2.5f) < KINK_MARGIN) any = hard[i % d] = true;
                }
            }
            if (!any) {
                if (round > 0) System.out.println("inputs moved off the activations' kinks in " + round + " rounds");
                return;
            }
            for (int c = 0; c < d; c++) {
                if (relu[c]) w[L.b1.offset() + c] += 1e-3f;
                if (hard[c]) for (int r = 0; r < d; r++) w[L.Wa2.offset() + r * d + c] *= 1.001f;
            }
        }
        throw new AssertionError("inputs still within " + KINK_MARGIN + " of a kink after 50 rounds");
    }

    /**
     * The step on the GPU against the twins: n = 2000, T = 19, capacity 512 (so B below it
     * exercises the strides of the (capacity, T, d) activations), d = 100 and, for views that
     * are not 16-byte aligned, d = 37; dropout on; inputs away from the activations' kinks
     * ({@link #awayFromKinks}). One draw: an intermittent fault (a race, a read of memory never
     * written) fails it.
     */
    @ParameterizedTest(name = "{0} B={1} d={2}")
    @CsvSource({"LGSR_C, 64, 100", "LGSR_C, 512, 100", "LGSR_A, 77, 100", "LGSR_C, 33, 37"})
    void recStepMatchesTheTwins(Variant variant, int B, int d) {
        int n = 2000, T = 19, capacity = 512;
        String bad = compareStep(gpu, variant, B, capacity, n, d, T, seed);
        assertTrue(bad == null, bad);
    }

    // ------------------------------------------------------------------ L_g passes

    /** What two L_g passes give on one backend. */
    record GlobalResult(Map<String, Object> info, GlobalEncoder.PassStats[] passes, float[][] e, float[][] theta, float[] rest) {
    }

    static GlobalResult passes(Backend be, ModelConfig cfg, float[] w0, Sessions train, GlobalSettings gs, long seed, double[] lrs) {
        ParamLayout L = new ParamLayout(cfg);
        RecStep rs = new RecStep(be, cfg, 8);
        rs.setParameters(w0);
        GlobalStep g = new GlobalStep(be, rs, train, cfg.numItems(), gs, seed);
        GlobalEncoder.PassStats[] st = new GlobalEncoder.PassStats[lrs.length];
        float[][] e = new float[lrs.length][], th = new float[lrs.length][];
        float[] w = null;
        for (int p = 0; p < lrs.length; p++) {
            st[p] = g.pass(lrs[p], null);
            w = rs.parameters();
            e[p] = java.util.Arrays.copyOfRange(w, L.E.offset(), L.E.end());
            th[p] = g.theta();
        }
        float[] rest = java.util.Arrays.copyOfRange(w, L.E.end(), L.total());
        g.close();
        return new GlobalResult(g.info(), st, e, th, rest);
    }

    /**
     * Two L_g passes (5 batches each) on the GPU against the twins on the synthetic dataset: the
     * same corpus (walks, steps, pairs per pass), batches and pairs, the mean loss within 1e-5,
     * E and theta within 1e-4 relative after each pass and E's change over the pass within 5e-5
     * without its worst 1 in 10,000 elements, each of those within one step (the NCE scatter's
     * atomics sum repeated rows in any order, and Adam magnifies that where gradients cancel),
     * and every other parameter untouched.
     */
    @Test
    void globalPassesMatchTheTwins() {
        compareGlobal(gpu, seed);
    }

    /** The defaults' L_g (theta tied to E, no log-Q) on the device against the twins. */
    @Test
    void defaultGlobalPassesMatchTheTwins() {
        compareGlobal(gpu, seed, new GlobalSettings(2, 12, 8, 64, 2, 1024, false, 5, 5e-4).withRemedies(1.0, false, true, "none", false, 1));
    }

    static void compareGlobal(Backend dev, long s) {
        compareGlobal(dev, s, new GlobalSettings(2, 12, 8, 64, 2, 1024, false, 5, 5e-4));
    }

    static void compareGlobal(Backend dev, long s, GlobalSettings gs) {
        SessionDataset data = SyntheticData.generate(SyntheticData.Config.defaults());
        int n = data.numItems(), d = 100;
        ModelConfig cfg = new ModelConfig(n, d, 19, 0.3f, 1e-6f, Variant.LGSR_C, true);
        ParamLayout L = new ParamLayout(cfg);
        float[] w0 = Parameters.init(cfg, s).w;
        double[] lrs = {0.01, 0.005};
        GlobalResult got = passes(dev, cfg, w0, data.trainSessions(), gs, s, lrs);
        GlobalResult ref;
        try (CpuBackend cpu = new CpuBackend()) {
            ref = passes(cpu, cfg, w0, data.trainSessions(), gs, s, lrs);
        }
        for (String k : new String[] {"nodes", "edges", "walks", "walkSteps", "pairsPerPass"}) {
            assertEquals(((Number) ref.info.get(k)).longValue(), ((Number) got.info.get(k)).longValue(), k + ", seed " + s);
        }
        float[] e0 = java.util.Arrays.copyOfRange(w0, L.E.offset(), L.E.end());
        for (int p = 0; p < lrs.length; p++) {
            GlobalEncoder.PassStats a = got.passes[p], b = ref.passes[p];
            assertEquals(5, b.batches(), "batches of the twins' pass " + p);
            assertEquals(b.batches(), a.batches(), "batches, pass " + p + ", seed " + s);
            assertEquals(b.pairs(), a.pairs(), "pairs, pass " + p + ", seed " + s);
            double lossErr = Math.abs(a.meanLoss() - b.meanLoss()) / Math.abs(b.meanLoss());
            double eErr = TestData.relErr(got.e[p], 0, ref.e[p], 0, e0.length);
            double tErr = TestData.relErr(got.theta[p], 0, ref.theta[p], 0, ref.theta[p].length);
            // the same on the change since the start: what L_g did, without the initial table
            float[] de = new float[e0.length], deRef = new float[e0.length];
            for (int i = 0; i < e0.length; i++) {
                de[i] = got.e[p][i] - e0[i];
                deRef[i] = ref.e[p][i] - e0[i];
            }
            double dErr = TestData.relErr(de, 0, deRef, 0, e0.length);
            // Adam divides by the root of each element's second moment, so an element whose
            // gradients nearly cancel (a sum of repeated rows' contributions, added by atomics in
            // any order) takes a step whose size rests on rounding: one such element carried a
            // 13% difference (6.8e-4 of a 5.2e-3 change; the whole change's relative error 1.9e-4,
            // 4.6e-6 without it) on the simulated device (seed 18792653268579). So the change is
            // held to 5e-5 without its worst 1 in 10,000 elements, and each of those to one step.
            double trimmed = trimmedRelErr(de, deRef, e0.length / 10_000);
            double worst = 0;
            for (int i = 0; i < e0.length; i++) worst = Math.max(worst, Math.abs(de[i] - deRef[i]));
            System.out.printf(Locale.ROOT, "L_g pass %d: mean loss %.8f vs twins %.8f (rel %.2e); E rel %.2e (its change: %.2e, without its worst 1e-4: %.2e, largest element difference %.2e); theta rel %.2e%n",
                    p + 1, a.meanLoss(), b.meanLoss(), lossErr, eErr, dErr, trimmed, worst, tErr);
            assertTrue(lossErr <= 1e-5, "mean loss of pass " + p + ": " + a.meanLoss() + " vs " + b.meanLoss() + ", seed " + s);
            assertTrue(eErr <= 1e-4, "E after pass " + p + ": relative error " + eErr + ", seed " + s);
            assertTrue(tErr <= 1e-4, "theta after pass " + p + ": relative error " + tErr + ", seed " + s);
            // the whole change: 2.0e-5 and 2.5e-5 on an H200 (2026-11-30); typically 2e-7 to 3e-6 on the sim
            assertTrue(trimmed <= 5e-5, "E's change over pass " + p + " without its worst 1 in 10,000 elements: relative error " + trimmed + ", seed " + s);
            assertTrue(worst <= lrs[p], "E's change over pass " + p + ": an element differs by " + worst + ", more than one step (" + lrs[p] + "), seed " + s);
        }
        assertArrayEquals(java.util.Arrays.copyOfRange(w0, L.E.end(), L.total()), got.rest, "L_g touched parameters other than E");
    }

    /** ||a - ref|| / ||ref|| without the {@code drop} elements where |a - ref| is largest. */
    static double trimmedRelErr(float[] a, float[] ref, int drop) {
        Integer[] idx = new Integer[a.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        java.util.Arrays.sort(idx, (x, y) -> Float.compare(Math.abs(a[y] - ref[y]), Math.abs(a[x] - ref[x])));
        float[] a2 = a.clone(), r2 = ref.clone();
        for (int j = 0; j < drop; j++) {
            a2[idx[j]] = 0;
            r2[idx[j]] = 0;
        }
        return TestData.relErr(a2, 0, r2, 0, a2.length);
    }

    /**
     * Reproducibility with one seed on one GPU: two identical L_g passes differ only by the
     * order in which the NCE scatter's atomics add repeated rows. Prints the size of that
     * difference (the issue asks for it) and bounds it: E and theta within 1e-5 relative, the
     * first pass's mean loss within 1e-6.
     */
    @Test
    void globalPassesRepeatUpToAtomicsOrder() {
        SessionDataset data = SyntheticData.generate(SyntheticData.Config.defaults());
        int n = data.numItems(), d = 100;
        ModelConfig cfg = new ModelConfig(n, d, 19, 0.3f, 1e-6f, Variant.LGSR_C, true);
        float[] w0 = Parameters.init(cfg, seed).w;
        GlobalSettings gs = new GlobalSettings(2, 12, 8, 64, 2, 1024, false, 20, 5e-4);
        double[] lrs = {0.01, 0.005};
        GlobalResult a = passes(gpu, cfg, w0, data.trainSessions(), gs, seed, lrs);
        GlobalResult b = passes(gpu, cfg, w0, data.trainSessions(), gs, seed, lrs);
        assertEquals(a.passes[0].meanLoss(), b.passes[0].meanLoss(), 1e-6 * Math.abs(a.passes[0].meanLoss()), "first pass's mean loss; seed " + seed);
        for (int p = 0; p < lrs.length; p++) {
            double eErr = TestData.relErr(a.e[p], 0, b.e[p], 0, a.e[p].length), tErr = TestData.relErr(a.theta[p], 0, b.theta[p], 0, a.theta[p].length);
            float maxAbs = 0;
            for (int i = 0; i < a.e[p].length; i++) maxAbs = Math.max(maxAbs, Math.abs(a.e[p][i] - b.e[p][i]));
            System.out.printf(Locale.ROOT, "repeat L_g pass %d (%d batches): E rel %.2e (max abs %.2e), theta rel %.2e, mean loss %.9f vs %.9f%n",
                    p + 1, a.passes[p].batches(), eErr, maxAbs, tErr, a.passes[p].meanLoss(), b.passes[p].meanLoss());
            assertTrue(eErr <= 1e-5 && tErr <= 1e-5, "run-to-run difference of pass " + (p + 1) + ": E " + eErr + ", theta " + tErr + ", seed " + seed);
        }
    }

    // ------------------------------------------------------------------ a training run

    @SuppressWarnings("unchecked")
    static Map<String, Object> firstEpoch(Map<String, Object> report) {
        List<Map<String, Object>> e = (List<Map<String, Object>>) report.get("epochs");
        assertEquals(1, e.size(), "epochs");
        return e.get(0);
    }

    static Map<String, Object> run(SessionDataset data, TrainConfig cfg, TrainingEngine.Factory f) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            return new Trainer(data, cfg, out, null, f).run("EngineGpuTest", "test", () -> false).report();
        }
    }

    /**
     * One epoch of a joint run (lgsr: tiny L_g passes, then L_rec with dropout) through
     * {@link Trainer} on the GPU against the same on the twins: P@20 and MRR@20 within 0.3
     * points; the training loss within 1e-3 relative and the L_g pass losses within 1e-4 (the
     * two runs drift apart by rounding over some hundred Adam steps).
     */
    @Test
    @SuppressWarnings("unchecked")
    void trainingRunMatchesTheTwins() {
        compareRun(gpu, seed);
    }

    @SuppressWarnings("unchecked")
    static void compareRun(Backend dev, long seed) {
        SessionDataset data = SyntheticData.generate(SyntheticData.Config.defaults().withSeed(3).withSize(500, 3000, 1500));
        TrainConfig cfg = new TrainConfig("synth", "lgsr", 1, 128, 5e-3, "constant", 0.3f, 1e-6f, 32, 32, 19, false, seed, 1,
                new int[] {10, 20}, 0, 1, false, new GlobalSettings(1, 10, 8, 32, 2, 1024, false, 4, 0.0));
        Map<String, Object> got = firstEpoch(run(data, cfg, (model, c, train, sessions, schedule) ->
                new EngineTrainer(dev, false, model, c, train, sessions, schedule)));
        Map<String, Object> ref = firstEpoch(run(data, cfg, (model, c, train, sessions, schedule) ->
                new EngineTrainer(new CpuBackend(), true, model, c, train, sessions, schedule)));
        String at = "seed " + seed;
        List<Map<String, Object>> pg = (List<Map<String, Object>>) got.get("globalPasses");
        List<Map<String, Object>> pr = (List<Map<String, Object>>) ref.get("globalPasses");
        assertEquals(2, pr.size(), "L_g passes");
        assertEquals(pr.size(), pg.size(), "L_g passes");
        for (int p = 0; p < pr.size(); p++) {
            double a = ((Number) pg.get(p).get("meanLoss")).doubleValue(), b = ((Number) pr.get(p).get("meanLoss")).doubleValue();
            System.out.printf(Locale.ROOT, "run: L_g pass %d mean loss %.7f vs twins %.7f (rel %.2e)%n", p + 1, a, b, Math.abs(a - b) / Math.abs(b));
            assertTrue(Math.abs(a - b) <= 1e-4 * Math.abs(b), "L_g pass " + (p + 1) + " loss " + a + " vs " + b + ", " + at);
        }
        assertEquals(((Number) ref.get("steps")).intValue(), ((Number) got.get("steps")).intValue(), "steps");
        double la = ((Number) got.get("trainLoss")).doubleValue(), lb = ((Number) ref.get("trainLoss")).doubleValue();
        Map<String, Double> tg = (Map<String, Double>) got.get("test"), tr = (Map<String, Double>) ref.get("test");
        assertNotNull(tg, "evaluated");
        System.out.printf(Locale.ROOT, "run: loss %.7f vs twins %.7f (rel %.2e); P@20 %.3f vs %.3f; MRR@20 %.3f vs %.3f%n", la, lb,
                Math.abs(la - lb) / lb, tg.get("P@20"), tr.get("P@20"), tg.get("MRR@20"), tr.get("MRR@20"));
        assertTrue(Math.abs(la - lb) <= 1e-3 * lb, "training loss " + la + " vs " + lb + ", " + at);
        for (String k : new String[] {"P@20", "MRR@20"}) {
            assertTrue(Math.abs(tg.get(k) - tr.get(k)) <= 0.3, k + " " + tg.get(k) + " vs " + tr.get(k) + ", " + at);
        }
        assertTrue(tr.get("P@20") > 10, "the run learned something: P@20 " + tr.get("P@20"));
    }

    // ------------------------------------------------------------------ profiling

    /**
     * With profiling on, {@link GpuBackend#profile} gives every kernel and range of two training
     * steps and one evaluation: positive times, the calls, and the minimal FLOP and byte counts
     * (checked exactly for the batched Q, K, V products); it is emptied by the call; and the
     * events do not change the results. Without profiling it is empty.
     */
    @Test
    void profileTimesAndCountsEveryKernel() {
        if (profiled == null) profiled = new GpuBackend(0, false, true);
        int n = 500, d = 64, T = 19, B = 128;
        ModelConfig cfg = new ModelConfig(n, d, T, 0.3f, 1e-5f, Variant.LGSR_C, true);
        float[] w = Parameters.init(cfg, seed).w;
        Batch bt = Batch.of(randomSamples(new Random(seed), B, n, T), 0, B, T);
        double[][] losses = new double[2][];
        int which = 0;
        for (GpuBackend be : new GpuBackend[] {gpu, profiled}) {
            RecStep rs = new RecStep(be, cfg, B);
            rs.setParameters(w);
            be.sync();
            be.profile();
            for (int s = 0; s < 2; s++) rs.trainStep(bt, DropoutMasks.stepSeed(seed, s), 1e-3);
            losses[which++] = rs.drainLosses();
            rs.ranks(bt);
        }
        assertTrue(gpu.profile().isEmpty(), "no profile without profiling");
        Map<String, double[]> p = profiled.profile();
        for (int s = 0; s < 2; s++) {
            assertEquals(losses[0][s], losses[1][s], 1e-6 * Math.abs(losses[0][s]), "profiling changed the loss of step " + s);
        }
        StringBuilder sb = new StringBuilder("profile:");
        p.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%n  %-40s %9.3f ms %4d calls %12.4g FLOP %12.4g B", k, v[0], (long) v[1], v[2], v[3])));
        System.out.println(sb);
        for (Map.Entry<String, double[]> e : p.entrySet()) {
            double[] v = e.getValue();
            assertEquals(4, v.length, e.getKey());
            assertTrue(v[0] > 0 && Double.isFinite(v[0]), e.getKey() + ": time " + v[0]);
            assertTrue(v[1] >= 1, e.getKey() + ": calls " + v[1]);
            assertTrue(v[2] >= 0 && v[3] >= 0, e.getKey() + ": counts " + v[2] + ", " + v[3]);
        }
        String[] counted = {"sgemm", "sgemm_strided_batched", "embed_input", "attention_forward", "bias_relu_dropout",
            "bias_dropout_residual_layernorm", "softmax_ce_forward", "softmax_ce_backward", "layer_norm_backward", "mul_mask_to",
            "relu_dropout_backward", "col_sum", "attention_backward", "mul_mask", "l2_grad", "adam", "rank_targets"};
        for (String k : counted) {
            double[] v = p.get("kernel " + k);
            assertNotNull(v, "kernel " + k + " missing from " + p.keySet());
            assertTrue(v[2] > 0 && v[3] > 0, "kernel " + k + ": FLOPs " + v[2] + ", bytes " + v[3]);
        }
        String[] uncounted = {"dropout_mask", "gather_last", "aggregate_forward", "aggregate_backward", "add_last",
            "embedding_scatter_add_sorted"};
        for (String k : uncounted) assertNotNull(p.get("kernel " + k), "kernel " + k + " missing from " + p.keySet());
        // calls: two steps and one evaluation
        assertEquals(2, p.get("kernel adam")[1], "adam calls");
        assertEquals(2, p.get("kernel l2_grad")[1], "l2_grad calls");
        assertEquals(3, p.get("kernel attention_forward")[1], "attention_forward calls");
        assertEquals(2, p.get("kernel attention_backward")[1], "attention_backward calls");
        assertEquals(1, p.get("kernel rank_targets")[1], "rank_targets calls");
        assertEquals(10, p.get("kernel dropout_mask")[1], "dropout_mask calls (5 sites, 2 steps)");
        // the Q, K, V products: forward (3 steps) and the weight gradients (2 steps), 3 x 2 d^2 B T each
        double qkv = 2.0 * d * d * B * T * 3;
        assertEquals(5, p.get("kernel sgemm_strided_batched")[1], "strided batched products");
        assertEquals(5 * qkv, p.get("kernel sgemm_strided_batched")[2], 1e-9 * qkv, "their FLOPs");
        assertEquals(3, p.get("range forward")[1], "forward ranges");
        assertEquals(2, p.get("range backward")[1], "backward ranges");
        assertEquals(1, p.get("range rank")[1], "rank ranges");
        assertTrue(p.get("range backward")[0] > 0 && p.get("range forward")[0] > 0, "range times");
        assertTrue(profiled.profile().isEmpty(), "profile() empties what it returned");
    }

    // ------------------------------------------------------------------ the pinned upload ring

    /**
     * The backend's uploads go through a {@link PinnedRing} of four quarters; an upload that
     * ends exactly on a quarter's end must leave that quarter as any other (its event recorded,
     * the next quarter waited for). Here: a ring of 4 x 1 KiB on the backend's stream; first
     * six uploads of exactly one quarter each; then, behind a product that keeps the stream busy
     * so the host runs laps ahead, a sequence of uploads that land on quarter ends; every
     * destination read back afterwards.
     */
    @Test
    void pinnedRingStagesUploadsThatFillQuartersExactly() {
        Random rnd = new Random(seed);
        int quarterFloats = 256;
        try (PinnedRing ring = new PinnedRing(4 * 4 * quarterFloats, gpu.stream())) {
            assertEquals(4L * quarterFloats, ring.maxBytes(), "quarter bytes");
            // six exact quarters
            float[] src = GpuTests.gaussian(rnd, 6 * quarterFloats, 1f);
            Buf dst = gpu.floats(src.length);
            gpu.fill(dst, Float.NaN);
            for (int k = 0; k < 6; k++) ring.upload(GpuBackend.addr(dst.view((long) k * quarterFloats, quarterFloats)), src, k * quarterFloats, quarterFloats);
            float[] back = new float[src.length];
            gpu.download(dst, back, 0, back.length);
            assertArrayEquals(src, back, "six exact quarters, seed " + seed);

            // laps ahead of a busy stream, with exact fills among them
            int[] sizes = {256, 100, 156, 256, 64, 192, 256, 256, 37, 219, 128, 128, 256, 100, 156, 256, 256, 64, 64, 128, 256};
            int total = 0;
            for (int s : sizes) total += s;
            float[] data = GpuTests.gaussian(rnd, 3 * total, 1f);
            Buf target = gpu.floats(data.length);
            gpu.fill(target, Float.NaN);
            int m = 4096;
            try (DeviceFloats a = new DeviceFloats((long) m * m); DeviceFloats b = new DeviceFloats((long) m * m);
                 DeviceFloats c = new DeviceFloats((long) m * m)) {
                a.fill(0f, gpu.stream());
                b.fill(0f, gpu.stream());
                gpu.cublas().sgemm(false, false, m, m, m, 1f, a.address(), m, b.address(), m, 0f, c.address(), m);
                try {
                    int at = 0;
                    for (int lap = 0; lap < 3; lap++) {
                        for (int s : sizes) {
                            ring.upload(GpuBackend.addr(target.view(at, s)), data, at, s);
                            at += s;
                        }
                    }
                } finally {
                    gpu.sync();
                }
            }
            float[] got = new float[data.length];
            gpu.download(target, got, 0, got.length);
            assertArrayEquals(data, got, "uploads staged while the stream was busy, seed " + seed);
        }
    }
}
