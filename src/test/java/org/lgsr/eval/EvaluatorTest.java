package org.lgsr.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;

class EvaluatorTest {

    @Test
    void rankFollowsTheTieRule() {
        // items 1..5 (index 0 is padding and ignored even when it scores highest)
        float[] row = {99f, 0.5f, 0.9f, 0.5f, 0.1f, 0.5f};
        assertEquals(1, Ranking.rank(row, 0, 6, 2));  // highest
        assertEquals(2, Ranking.rank(row, 0, 6, 1));  // 0.9 above; ties 3,5 have larger ids
        assertEquals(3, Ranking.rank(row, 0, 6, 3));  // 0.9 above, tie with smaller id 1
        assertEquals(4, Ranking.rank(row, 0, 6, 5));  // 0.9, and ties 1 and 3
        assertEquals(5, Ranking.rank(row, 0, 6, 4));
        float[] nan = {0f, Float.NaN, 1f, 2f};
        assertEquals(3, Ranking.rank(nan, 0, 4, 1)); // NaN ranks last
    }

    /** Scores item j as -|j - c| for a per-sample centre c stored as the sample's only input. */
    private static final class Distance implements BatchScorer {
        final int n;

        Distance(int n) {
            this.n = n;
        }

        @Override
        public int numItems() {
            return n;
        }

        @Override
        public int batchSize() {
            return 3;
        }

        @Override
        public boolean threadSafe() {
            return true;
        }

        @Override
        public void score(Samples s, int first, int count, float[] out) {
            for (int r = 0; r < count; r++) {
                int c = s.inputs().item(first + r, 0);
                for (int j = 0; j < n; j++) out[r * n + j] = -Math.abs(j - c);
            }
        }
    }

    @Test
    void precisionAndMrrByHand() {
        // 10 items; centre 5: ranks by hand: 5->1, 4->2 (tie with 6, smaller id wins), 6->3,
        // 3->4, 7->5, 1->8 ... and target 9 from centre 1 ranks 9
        Sessions in = new Sessions.Builder().add(5).add(5).add(5).add(5).add(1).build();
        int[] targets = {5, 4, 6, 3, 9};
        Samples samples = new Samples(in, targets);
        for (int threads : new int[] {1, 3}) {
            Metrics m = new Evaluator(new int[] {1, 3, 20}, threads).evaluate(new Distance(11), samples);
            assertEquals(100.0 * 1 / 5, m.precision(1), 1e-9);
            assertEquals(100.0 * 3 / 5, m.precision(3), 1e-9);
            assertEquals(100.0 * (1 + 1 / 2.0 + 1 / 3.0) / 5, m.mrr(3), 1e-9);
            assertEquals(100.0, m.precision(20), 1e-9);
            assertEquals(100.0 * (1 + 1 / 2.0 + 1 / 3.0 + 1 / 4.0 + 1 / 9.0) / 5, m.mrr(20), 1e-9);
            assertEquals(5, m.count());
        }
    }

    @Test
    void rejectsTargetsOutsideTheScoredItems() {
        Samples samples = new Samples(new Sessions.Builder().add(1).build(), new int[] {11});
        assertThrows(IllegalArgumentException.class, () -> new Evaluator(20).evaluate(new Distance(11), samples));
        assertThrows(IllegalArgumentException.class, () -> new Metrics(0));
    }
}
