package org.lgsr.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.model.Batch;
import org.lgsr.model.ParamLayout.View;
import org.lgsr.model.cpu.RecTrainer;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.NeuralKind;
import org.lgsr.model.neural.NeuralParameters;
import org.lgsr.model.neural.NeuralReference;

/** GRU4Rec's own training ({@code --variant gru4rec-top1}): the TOP1 step's gradient, its GRU, and the session-parallel schedule. */
class Gru4RecParallelTest {
    private static final int N = 9, D = 4, B = 5;

    private static NeuralParameters params(long seed, double scale) {
        NeuralParameters p = NeuralParameters.init(new NeuralConfig(NeuralKind.GRU4REC, N, D, 19, 0f), seed);
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (int i = 0; i < p.w.length; i++) p.w[i] = p.layout.pinned(i) ? 0f : (float) (scale * (2 * r.nextDouble() - 1));
        return p;
    }

    private static double[][] states(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] h = new double[B][D];
        for (int i = 1; i < B; i++) for (int k = 0; k < D; k++) h[i][k] = 0.8 * (2 * r.nextDouble() - 1); // row 0: a fresh session
        return h;
    }

    private static double[][] copy(double[][] h) {
        double[][] c = new double[h.length][];
        for (int i = 0; i < h.length; i++) c[i] = h[i].clone();
        return c;
    }

    /**
     * The step's gradient (returned, flat) against central differences of its loss, every entry of every view, from
     * states h0 (copied for each pass) and, with {@code drop}, the masks of {@code maskSeed}.
     */
    private static double[] assertGradientMatchesFiniteDifferences(NeuralParameters p, Gru4RecParallel g, int[] in, int[] tgt,
                                                                   double[][] h0, boolean drop, long maskSeed) {
        g.lossAndGradient(p.w, in, tgt, copy(h0), true, drop, maskSeed);
        double[] an = g.gradientAsFlat();
        for (View v : p.layout.views()) {
            for (int i = v.offset(); i < v.end(); i++) {
                float keep = p.w[i];
                float up = keep + 1e-2f, down = keep - 1e-2f;
                p.w[i] = up;
                double lu = g.lossAndGradient(p.w, in, tgt, copy(h0), false, drop, maskSeed);
                p.w[i] = down;
                double ld = g.lossAndGradient(p.w, in, tgt, copy(h0), false, drop, maskSeed);
                p.w[i] = keep;
                double fd = p.layout.pinned(i) ? 0 : (lu - ld) / ((double) up - down);
                int at = i - v.offset();
                assertEquals(fd, an[i], 2e-6 + 2e-3 * Math.abs(fd), () -> v.name() + "[" + at + "]: finite difference vs analytic");
            }
        }
        return an;
    }

    /** Every parameter entry's gradient against central differences; inputs and targets repeat within the batch. */
    @Test
    void top1GradientMatchesFiniteDifferences() {
        NeuralParameters p = params(3, 0.7);
        Gru4RecParallel g = new Gru4RecParallel(p, null, B, 1);
        int[] in = {1, 4, 4, 7, 2}, tgt = {3, 8, 3, 5, 6}; // input 4 twice, target 3 twice (each row's negative too)
        double[] an = assertGradientMatchesFiniteDifferences(p, g, in, tgt, states(5), false, 0L);
        int nonzero = 0;
        for (double a : an) if (a != 0) nonzero++;
        // the rows of E and O the batch does not touch have no gradient; the GRU's weights all do
        int touched = (4 + 6) * D; // inputs 1, 2, 4, 7 and targets 3, 5, 6, 8
        int dense = p.layout.total() - p.layout.denseStart();
        assertTrue(nonzero > dense * 9 / 10 + touched * 9 / 10, "nonzero gradient entries: " + nonzero);
    }

    /** The step's GRU is the evaluated model's: a fresh row's new state is NeuralReference's session vector of its one click; the loss is TOP1 of those states. */
    @Test
    void stepUsesTheEvaluatedGruAndTheTop1Formula() {
        NeuralParameters p = params(11, 0.6);
        Gru4RecParallel g = new Gru4RecParallel(p, null, B, 1);
        int[] in = {1, 2, 3, 4, 5}, tgt = {6, 7, 8, 1, 2};
        double[][] h = new double[B][D];
        double loss = g.lossAndGradient(p.w, in, tgt, h, false);
        Sessions.Builder sb = new Sessions.Builder();
        for (int v : in) sb.add(v);
        Batch bt = Batch.of(new Samples(sb.build(), tgt), 0, B, 19);
        NeuralReference ref = new NeuralReference(p.layout.cfg);
        double[][] s = ref.sessionVectors(p.weightsAsDouble(), bt);
        for (int i = 0; i < B; i++) assertArrayEquals(s[i], h[i], 1e-6, "row " + i);
        double expect = 0;
        int o = p.layout.out.offset();
        for (int i = 0; i < B; i++) {
            double rii = 0;
            for (int k = 0; k < D; k++) rii += s[i][k] * p.w[o + tgt[i] * D + k];
            for (int j = 0; j < B; j++) {
                double rij = 0;
                for (int k = 0; k < D; k++) rij += s[i][k] * p.w[o + tgt[j] * D + k];
                expect += 1 / (1 + Math.exp(-(rij - rii))) + 1 / (1 + Math.exp(-rij * rij));
            }
        }
        assertEquals(expect / (B * B), loss, 1e-9);
    }

    /** Two rows over the sessions (1 2 3) (4 5) (6) (7 8 3 1) (2 9 5 5 4), worked by hand: each click predicts the next, a row moves on (state reset) when its session ends. */
    @Test
    void sessionParallelScheduleFollowsTheSessions() {
        Sessions train = new Sessions.Builder().add(1, 2, 3).add(4, 5).add(6).add(7, 8, 3, 1).add(2, 9, 5, 5, 4).build();
        assertArrayEquals(new int[] {0, 1, 4, 2, 3}, RecTrainer.epochOrder(5, 17, 0)); // the epoch's order; (6) has no next click
        NeuralParameters p = params(2, 0.3);
        Gru4RecParallel g = new Gru4RecParallel(p, train, 2, 17);
        g.trace = new ArrayList<>();
        RecTrainer.EpochStats st = g.epoch(0, 0.01, 0, null, null);
        // row 0: (1 2 3), then (7 8 3 1); row 1: (4 5), then (2 9 5 5 4). After step 5 row 0's session is done and
        // none is left: the epoch ends (row 1's last click 5 > 4 was its last anyway)
        List<String> expect = List.of("1>2R 4>5R", "2>3 2>9R", "7>8R 9>5", "8>3 5>5", "3>1 5>4");
        assertEquals(expect, g.trace);
        assertEquals(5, st.steps());
        assertEquals(10, st.samples());
        assertEquals(5, p.step);
        assertTrue(st.meanLoss() > 0 && Double.isFinite(st.meanLoss()));
    }

    // ------------------------------------------------------------------ the code form (--variant gru4rec-code)

    private static NeuralParameters codeParams(long seed, double scale) {
        NeuralParameters p = NeuralParameters.init(new NeuralConfig(NeuralKind.GRU4REC, N, D, D, 19, 0f, true), seed);
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (int i = 0; i < p.w.length; i++) p.w[i] = p.layout.pinned(i) ? 0f : (float) (scale * (2 * r.nextDouble() - 1));
        return p;
    }

    /** The code form's gradient, every entry, against central differences: without dropout, and with one step's masks. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void codeFormGradientMatchesFiniteDifferences(boolean drop) {
        NeuralParameters p = codeParams(7, 0.7);
        assertEquals(null, p.layout.Wx, "the one-hot input has no Wx");
        assertEquals(3 * D, p.layout.in.cols());
        Gru4RecParallel g = new Gru4RecParallel(p, null, B, 1);
        int[] in = {1, 4, 4, 7, 2}, tgt = {3, 8, 3, 5, 6};
        double[] an = assertGradientMatchesFiniteDifferences(p, g, in, tgt, states(9), drop, 12345);
        int nonzero = 0, biasNonzero = 0;
        View bias = p.layout.outBias;
        for (int i = 0; i < an.length; i++) {
            if (an[i] != 0) nonzero++;
            if (an[i] != 0 && i >= bias.offset() && i < bias.end()) biasNonzero++;
        }
        assertEquals(4, biasNonzero, "the bias of each distinct target (3, 5, 6, 8) has a gradient");
        assertTrue(nonzero > (4 * 3 * D + 4 * D) * 9 / 10, "nonzero gradient entries: " + nonzero);
    }

    /**
     * The code form's step by hand: fresh rows' states from the scorer's GRU, each entry kept (x2) or dropped as
     * DropoutMasks.keep says, the dropped state carried, and the code's TOP1 over tanh(h_i . O[y_j] + bO[y_j]).
     */
    @Test
    void codeFormStepIsDropoutThenTanhScoresThenTop1() {
        NeuralParameters p = codeParams(13, 0.6);
        Gru4RecParallel g = new Gru4RecParallel(p, null, B, 1);
        int[] in = {1, 2, 3, 4, 5}, tgt = {6, 7, 8, 1, 2};
        double[][] h = new double[B][D];
        long seed = 99;
        double loss = g.lossAndGradient(p.w, in, tgt, h, false, true, seed);
        var L = p.layout;
        double[][] s = new double[B][];
        int dropped = 0;
        for (int i = 0; i < B; i++) {
            s[i] = org.lgsr.model.neural.Gru4RecCodeMath.state(p.weightsAsDouble(), L, new int[] {in[i]});
            for (int k = 0; k < D; k++) {
                boolean kept = org.lgsr.model.DropoutMasks.keep(seed, Gru4RecParallel.DROP_SITE, (long) i * D + k, 0.5f);
                s[i][k] = kept ? 2 * s[i][k] : 0;
                if (!kept) dropped++;
            }
            assertArrayEquals(s[i], h[i], 1e-6, "row " + i + ": the dropped state is carried");
        }
        assertTrue(dropped > 0 && dropped < B * D, "some entries dropped: " + dropped);
        double expect = 0;
        for (int i = 0; i < B; i++) {
            double[] r = new double[B];
            for (int j = 0; j < B; j++) {
                r[j] = p.w[L.outBias.offset() + tgt[j]];
                for (int k = 0; k < D; k++) r[j] += s[i][k] * p.w[L.out.offset() + tgt[j] * D + k];
                r[j] = Math.tanh(r[j]);
            }
            // the code's TOP1: the positive's own regularisation term sigmoid(r_ii^2) left out
            for (int j = 0; j < B; j++) expect += 1 / (1 + Math.exp(-(r[j] - r[i]))) + (j == i ? 0 : 1 / (1 + Math.exp(-r[j] * r[j])));
        }
        assertEquals(expect / (B * B), loss, 1e-9);
    }

    /** The code's initialisation: uniform in (-s, s), s = sqrt(6 / (rows + cols)) of each of the code's matrices; biases and rows 0 zero. */
    @Test
    void codeFormInitialisationIsTheCodes() {
        int n = 400, d = 20;
        NeuralParameters p = NeuralParameters.init(new NeuralConfig(NeuralKind.GRU4REC, n, d, d, 19, 0f, true), 5);
        var L = p.layout;
        double table = Math.sqrt(6.0 / (n + d)), square = Math.sqrt(6.0 / (2 * d));
        for (View v : L.views()) {
            boolean bias = v == L.bx || v == L.outBias;
            double bound = bias ? 0 : L.isTable(v) ? table : square, max = 0, sq = 0;
            int from = v.offset() + (L.isTable(v) ? v.cols() : 0);
            for (int i = v.offset(); i < from; i++) assertEquals(0f, p.w[i], v.name() + ": row 0");
            for (int i = from; i < v.end(); i++) {
                max = Math.max(max, Math.abs(p.w[i]));
                sq += (double) p.w[i] * p.w[i];
            }
            assertTrue(max <= bound, v.name() + ": max " + max + " > " + bound);
            if (!bias) {
                assertTrue(max > 0.95 * bound, v.name() + ": max " + max + " of " + bound);
                double var = sq / (v.end() - from); // uniform in (-s, s): s^2 / 3
                assertEquals(bound * bound / 3, var, 0.1 * bound * bound / 3, v.name() + ": variance");
            }
        }
    }

    /**
     * The code form's schedule and optimiser: the sessions in file order (not shuffled), and one step of its
     * Adagrad, w - lr g / sqrt(g^2 + 1e-6), on every entry, g the gradient of the step with its dropout masks.
     */
    @Test
    void codeFormTakesTheSessionsInOrderAndStepsTheCodesAdagrad() {
        Sessions train = new Sessions.Builder().add(1, 2, 3).add(4, 5).add(6).add(7, 8, 3, 1).add(2, 9, 5, 5, 4).build();
        NeuralParameters p = codeParams(2, 0.3);
        Gru4RecParallel g = new Gru4RecParallel(p, train, 2, 17);
        g.trace = new ArrayList<>();
        g.epoch(0, 0.01, 0, null, null);
        // in file order, (6) left out: row 0 (1 2 3) then (2 9 5 5 4); row 1 (4 5) then (7 8 3 1), whose end finds no session left
        assertEquals(List.of("1>2R 4>5R", "2>3 7>8R", "2>9R 8>3", "9>5 3>1"), g.trace);

        NeuralParameters q = codeParams(2, 0.3), before = codeParams(2, 0.3);
        Gru4RecParallel one = new Gru4RecParallel(q, train, 2, 17), ref = new Gru4RecParallel(before, null, 2, 17);
        one.epoch(0, 0.01, 1, null, null);
        ref.lossAndGradient(before.w, new int[] {1, 4}, new int[] {2, 5}, new double[2][D], true, true,
                org.lgsr.model.DropoutMasks.stepSeed(17, 0));
        double[] grad = ref.gradientAsFlat();
        int moved = 0;
        for (int i = 0; i < q.w.length; i++) {
            double want = grad[i] == 0 ? before.w[i] : before.w[i] - 0.01 * grad[i] / Math.sqrt(grad[i] * grad[i] + 1e-6);
            assertEquals(want, q.w[i], 1e-6, "entry " + i);
            if (grad[i] != 0) moved++;
        }
        assertTrue(moved > 20, "entries moved: " + moved); // a fresh state: U and Uh get no gradient in this first step
    }
}
