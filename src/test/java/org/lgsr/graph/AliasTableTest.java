package org.lgsr.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Test;

class AliasTableTest {
    @Test
    void tableProbabilitiesEqualTheNormalizedWeights() {
        double[] w = {5, 0, 1, 3, 0.5, 7, 2};
        AliasTable t = AliasTable.of(w);
        double sum = 0;
        for (double x : w) sum += x;
        for (int k = 0; k < w.length; k++) assertEquals(w[k] / sum, t.probability(0, k), 1e-12);
    }

    @Test
    void samplesFollowTheDistribution() {
        // two segments in one table: the second must never yield a slot of the first
        double[] w = {1, 2, 3, 4, 10, 0, 30, 1, 1, 1, 57};
        AliasTable t = new AliasTable(new int[] {0, 4, 11}, w);
        Rng rng = new Rng(12345);
        int draws = 200_000;
        long[] counts = new long[w.length];
        for (int i = 0; i < draws; i++) counts[t.sample(1, rng.nextDouble())]++;
        for (int k = 0; k < 4; k++) assertEquals(0, counts[k]);
        assertEquals(0, counts[5]); // zero weight never drawn
        double[] expected = {10, 30, 1, 1, 1, 57};
        long[] observed = {counts[4], counts[6], counts[7], counts[8], counts[9], counts[10]};
        double p = new ChiSquareTest().chiSquareTest(expected, observed);
        assertTrue(p > 1e-3, "chi-square p = " + p);
        long[] first = new long[4];
        for (int i = 0; i < draws; i++) first[t.sample(0, rng.nextDouble())]++;
        p = new ChiSquareTest().chiSquareTest(new double[] {1, 2, 3, 4}, first);
        assertTrue(p > 1e-3, "chi-square p = " + p);
    }

    @Test
    void edgeUniformsStayInTheSegment() {
        AliasTable t = new AliasTable(new int[] {0, 3, 6}, new double[] {1, 1, 1, 2, 2, 2});
        int k = t.sample(0, Math.nextDown(1.0));
        assertTrue(k >= 0 && k < 3);
        k = t.sample(1, 0.0);
        assertTrue(k >= 3 && k < 6);
    }

    @Test
    void rejectsBadWeights() {
        assertThrows(IllegalArgumentException.class, () -> AliasTable.of(0, 0));
        assertThrows(IllegalArgumentException.class, () -> AliasTable.of(1, -1));
        assertThrows(IllegalArgumentException.class, () -> AliasTable.of(1, Double.NaN));
    }
}
