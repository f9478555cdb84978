package org.lgsr.model.neural;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lgsr.data.Samples;
import org.lgsr.model.Batch;
import org.lgsr.model.ModelTestData;
import org.lgsr.model.ParamLayout.View;
import org.lgsr.model.cpu.NeuralCpuModel;
import org.lgsr.model.cpu.Simd;

/** The float engine of STAMP, GRU4Rec, NARM and SR-GNN against the float64 reference, and its independence of the thread count. */
class NeuralCpuModelTest {
    private static final int N = 301, D = 20, MAXLEN = 6, B = 37;

    private static NeuralParameters params(NeuralConfig cfg, long seed, double scale) {
        NeuralParameters p = NeuralParameters.init(cfg, seed);
        if (scale > 0) { // weights in the nonlinearities' curved range (STAMP's own initialization is nearly linear)
            java.util.SplittableRandom r = new java.util.SplittableRandom(seed + 1);
            for (int i = 0; i < p.w.length; i++) p.w[i] = p.layout.pinned(i) ? 0f : (float) (scale * (2 * r.nextDouble() - 1));
        }
        return p;
    }

    private static Batch batch(NeuralConfig cfg, int rows, long seed) {
        Samples s = ModelTestData.samples(rows, cfg.numItems(), cfg.maxLen(), seed);
        Batch bt = Batch.of(s, 0, rows, cfg.maxLen());
        bt.check(cfg.numItems());
        return bt;
    }

    /** Loss within tol relative, and every view's gradient within tol in relative norm. */
    static void compare(NeuralConfig cfg, long seed, double scale, int threads, boolean simd, double tol) {
        compare(cfg, seed, scale, threads, simd, tol, NeuralDropout.NONE);
    }

    /** The same, the training pass with dropout {@code dr} (NARM's code form; the others ignore it). */
    static void compare(NeuralConfig cfg, long seed, double scale, int threads, boolean simd, double tol, NeuralDropout dr) {
        NeuralParameters p = params(cfg, seed, scale);
        Batch bt = batch(cfg, B, seed + 7);
        NeuralReference ref = new NeuralReference(cfg);
        double[] th = p.weightsAsDouble();
        double[] gd = new double[th.length];
        double lossD = ref.lossAndGradient(th, gd, bt, dr);
        double lossF;
        try (NeuralCpuModel m = new NeuralCpuModel(cfg, B, threads, simd)) {
            assertEquals(simd && Simd.available() && D >= Simd.lanes(), m.usesSimd());
            lossF = m.forwardBackward(p, bt, dr);
            // the scoring path gives the reference's session vectors
            m.encode(p, bt);
            double[][] s = ref.sessionVectors(th, bt);
            for (int b = 0; b < B; b++) for (int c = 0; c < D; c++) assertEquals(s[b][c], m.sessionVectors()[b * D + c], 1e-5 + 1e-4 * Math.abs(s[b][c]));
        }
        assertEquals(lossD, lossF, tol * Math.abs(lossD), "loss");
        for (View v : ref.layout().views()) {
            double num = 0, den = 0;
            for (int i = v.offset(); i < v.end(); i++) {
                num += (p.g[i] - gd[i]) * (p.g[i] - gd[i]);
                den += gd[i] * gd[i];
            }
            double rel = Math.sqrt(num / den);
            assertTrue(den > 0, v.name() + " has an all-zero gradient");
            assertTrue(rel < tol, cfg.kind() + " " + v.name() + ": relative gradient error " + rel + " (simd " + simd + ")");
        }
    }

    @Test
    void stampMatchesTheReference() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.STAMP, N, D, MAXLEN, 1e-3f);
        for (boolean simd : new boolean[] {true, false}) {
            compare(cfg, 1, 0.4, 2, simd, 1e-4);
            compare(cfg, 2, 0, 3, simd, 1e-4); // STAMP's own initialization
        }
    }

    @Test
    void gru4recMatchesTheReference() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.GRU4REC, N, D, MAXLEN, 1e-3f);
        for (boolean simd : new boolean[] {true, false}) {
            compare(cfg, 3, 0.4, 2, simd, 1e-4);
            compare(cfg, 4, 0, 3, simd, 1e-4);
        }
    }

    @Test
    void narmMatchesTheReference() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.NARM, N, D, 12, MAXLEN, 1e-3f); // a GRU narrower than the embeddings
        for (boolean simd : new boolean[] {true, false}) {
            compare(cfg, 5, 0.4, 2, simd, 1e-4);
            compare(cfg, 6, 0, 3, simd, 1e-4);
        }
        compare(new NeuralConfig(NeuralKind.NARM, N, D, 28, MAXLEN, 1e-3f), 7, 0.3, 2, true, 1e-4); // and wider
    }

    /** NARM's code form: hard sigmoids, softmax attention, its initialisation, and the training pass's dropout masks. */
    @Test
    void narmCodeFormMatchesTheReference() {
        NeuralConfig cfg = new NeuralConfig(NeuralKind.NARM, N, D, 12, MAXLEN, 1e-3f, true);
        for (boolean simd : new boolean[] {true, false}) {
            compare(cfg, 5, 0.4, 2, simd, 1e-4, NeuralDropout.NONE);
            compare(cfg, 5, 0.4, 2, simd, 1e-4, NeuralDropout.train(77));
            compare(cfg, 6, 0, 3, simd, 1e-4, NeuralDropout.train(78)); // the code's own initialisation
        }
        compare(new NeuralConfig(NeuralKind.NARM, N, D, 28, MAXLEN, 1e-3f, true), 7, 0.3, 2, true, 1e-4, NeuralDropout.train(79));
        // the masks matter: the same step without them is another loss
        NeuralParameters p = params(cfg, 5, 0.4);
        Batch bt = batch(cfg, B, 12);
        try (NeuralCpuModel m = new NeuralCpuModel(cfg, B, 2, true)) {
            double none = m.forwardBackward(p, bt, NeuralDropout.NONE), masked = m.forwardBackward(p, bt, NeuralDropout.train(77));
            assertTrue(Math.abs(none - masked) > 1e-3, "dropout changed nothing: " + none + " vs " + masked);
            assertEquals(masked, m.forwardBackward(p, bt, NeuralDropout.train(77)), 0.0, "the same step's masks again");
        }
    }

    @Test
    void srgnnMatchesTheReference() {
        for (int items : new int[] {N, 9}) { // with 8 items nearly every session repeats some: nodes with several positions, self loops
            NeuralConfig cfg = new NeuralConfig(NeuralKind.SRGNN, items, D, MAXLEN, 1e-3f);
            for (boolean simd : new boolean[] {true, false}) {
                compare(cfg, 8, 0.4, 2, simd, 1e-4);
                compare(cfg, 9, 0, 3, simd, 1e-4);
            }
        }
    }

    @Test
    void resultsAreIdenticalForAnyThreadCount() {
        for (NeuralKind k : NeuralKind.values()) {
            NeuralConfig cfg = new NeuralConfig(k, k == NeuralKind.SRGNN ? 11 : N, D, k.hasHidden() ? 16 : D, MAXLEN, 1e-3f);
            for (boolean simd : new boolean[] {true, false}) {
                float[] first = null;
                double firstLoss = 0;
                for (int threads : new int[] {1, 2, 3, 5}) {
                    NeuralParameters p = params(cfg, 9, 0.3);
                    Batch bt = batch(cfg, B, 10);
                    double loss;
                    try (NeuralCpuModel m = new NeuralCpuModel(cfg, B, threads, simd)) {
                        loss = m.forwardBackward(p, bt);
                    }
                    if (k == NeuralKind.NARM) { // and NARM's code form with a training step's dropout
                        NeuralConfig code = new NeuralConfig(k, N, D, 16, MAXLEN, 1e-3f, true);
                        NeuralParameters q = params(code, 9, 0.3);
                        try (NeuralCpuModel m = new NeuralCpuModel(code, B, threads, simd)) {
                            loss += m.forwardBackward(q, bt, NeuralDropout.train(5));
                        }
                        for (int i = 0; i < q.g.length; i++) p.g[i] += q.g[i]; // same layout as the paper's form
                    }
                    if (first == null) {
                        first = p.g.clone();
                        firstLoss = loss;
                    } else {
                        assertEquals(firstLoss, loss, 0.0, k + " threads=" + threads);
                        assertArrayEquals(first, p.g, k + " threads=" + threads + " simd=" + simd);
                    }
                }
            }
        }
    }
}
