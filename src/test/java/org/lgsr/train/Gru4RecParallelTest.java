package org.lgsr.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
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

    /** Every parameter entry's gradient against central differences; inputs and targets repeat within the batch. */
    @Test
    void top1GradientMatchesFiniteDifferences() {
        NeuralParameters p = params(3, 0.7);
        Gru4RecParallel g = new Gru4RecParallel(p, null, B, 1);
        int[] in = {1, 4, 4, 7, 2}, tgt = {3, 8, 3, 5, 6}; // input 4 twice, target 3 twice (each row's negative too)
        double[][] h0 = states(5);
        g.lossAndGradient(p.w, in, tgt, copy(h0), true);
        double[] an = g.gradientAsFlat();
        int nonzero = 0;
        for (View v : p.layout.views()) {
            for (int i = v.offset(); i < v.end(); i++) {
                float keep = p.w[i];
                float up = keep + 1e-2f, down = keep - 1e-2f;
                p.w[i] = up;
                double lu = g.lossAndGradient(p.w, in, tgt, copy(h0), false);
                p.w[i] = down;
                double ld = g.lossAndGradient(p.w, in, tgt, copy(h0), false);
                p.w[i] = keep;
                double fd = p.layout.pinned(i) ? 0 : (lu - ld) / ((double) up - down);
                int at = i - v.offset();
                double a = an[i];
                assertEquals(fd, a, 2e-6 + 2e-3 * Math.abs(fd), () -> v.name() + "[" + at + "]: finite difference vs analytic");
                if (a != 0) nonzero++;
            }
        }
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
}
