package org.lgsr.cpu;

import org.lgsr.TestData;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lgsr.gpu.kernels.SoftmaxCeKernels;

/** The twin of cuda/softmax_ce.cu against float64 references, finite differences and direct counts. */
class SoftmaxCeTest {
    final long seed = TestData.seed();
    final Random rnd = new Random(seed);

    float[] gaussian(int len, double scale) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    /** Values in {-lim..lim}: dot products are exact integers, so ties are real. */
    float[] smallInts(int len, int lim) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) a[i] = rnd.nextInt(2 * lim + 1) - lim;
        return a;
    }

    int[] targets(int b, int n) {
        int[] t = new int[b];
        for (int i = 0; i < b; i++) t[i] = 1 + rnd.nextInt(n - 1);
        return t;
    }

    static double dot(float[] sf, int b, float[] e, int j, int d) {
        double s = 0;
        for (int k = 0; k < d; k++) s += (double) sf[b * d + k] * e[j * d + k];
        return s;
    }

    /** (1/B) sum_b [log sum_{j>=1} exp(z_bj) - z_bt] in float64 on float64 parameters. */
    static double meanLoss(double[] sf, double[] e, int[] t, int b, int n, int d) {
        double total = 0;
        for (int r = 0; r < b; r++) {
            double[] z = new double[n];
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 1; j < n; j++) {
                for (int k = 0; k < d; k++) z[j] += sf[r * d + k] * e[j * d + k];
                m = Math.max(m, z[j]);
            }
            double s = 0;
            for (int j = 1; j < n; j++) s += Math.exp(z[j] - m);
            total += m + Math.log(s) - z[t[r]];
        }
        return total / b;
    }

    static double relErr(float[] got, double[] want) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            if (Float.isNaN(got[i])) return Double.POSITIVE_INFINITY;
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        return Math.sqrt(num / den);
    }

    static double[] toDouble(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    @Test
    void scoreIsTheSequentialFmaChain() {
        float[] x = gaussian(37, 1), y = gaussian(37, 1);
        float acc = 0f;
        for (int k = 0; k < 37; k++) acc = (float) ((double) x[k] * y[k] + acc); // exact product, one rounding: an fma
        assertEquals(acc, SoftmaxCe.score(x, 0, y, 0, 37), "seed " + seed);
        float[] a = {3, -2, 0, 7}, b = {0, 1, 1, 5, 2, -1};
        assertEquals(3 * 1 - 2 * 1 + 0 * 5 + 7 * 2, SoftmaxCe.score(a, 0, b, 1, 4)); // b from offset 1, hand-worked
    }

    @Test
    void forwardHandWorked() {
        // d = 1, n = 3: z_1 = 1, z_2 = 2 (item 0's row is never scored)
        float[] sf = {1f}, e = {100f, 1f, 2f};
        float[] lse = {Float.NaN, -1}, loss = {Float.NaN, Float.NaN, -1};
        SoftmaxCe.softmaxCeForward(sf, 0, e, 0, new int[] {9, 1}, 1, 1, 3, 1, lse, 0, loss, 1);
        double want = Math.log(Math.E + Math.exp(2));
        assertEquals(want, lse[0], 1e-6);
        assertEquals(-1f, lse[1]); // untouched past B
        assertEquals(want - 1, loss[1], 1e-6);
        assertTrue(Float.isNaN(loss[0]) && loss[2] == -1f);
        // n = 2: one item, loss 0
        SoftmaxCe.softmaxCeForward(new float[] {0.5f}, 0, new float[] {7f, 3f}, 0, new int[] {1}, 0, 1, 2, 1, lse, 0, loss, 0);
        assertEquals(1.5f, lse[0]);
        assertEquals(0f, loss[0]);
    }

    @Test
    void forwardMatchesFloat64() {
        int[][] sizes = {{5, 50, 7}, {3, 2000, 100}, {1, 2, 3}};
        for (int[] s : sizes) {
            int b = s[0], n = s[1], d = s[2];
            float[] sf = gaussian(b * d, 2 / Math.sqrt(d)), e = gaussian(n * d, 1);
            int[] t = targets(b, n);
            float[] lse = new float[b], loss = new float[b];
            SoftmaxCe.softmaxCeForward(sf, 0, e, 0, t, 0, b, n, d, lse, 0, loss, 0);
            double[] wantLse = new double[b], wantLoss = new double[b];
            for (int r = 0; r < b; r++) {
                double m = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 1; j < n; j++) m = Math.max(m, dot(sf, r, e, j, d));
                for (int j = 1; j < n; j++) sum += Math.exp(dot(sf, r, e, j, d) - m);
                wantLse[r] = m + Math.log(sum);
                wantLoss[r] = wantLse[r] - dot(sf, r, e, t[r], d);
            }
            String where = Arrays.toString(s) + ", seed " + seed;
            assertTrue(relErr(lse, wantLse) < 1e-6, "lse " + relErr(lse, wantLse) + " " + where);
            assertTrue(relErr(loss, wantLoss) < 1e-5 || n == 2, "loss " + relErr(loss, wantLoss) + " " + where);
        }
    }

    @Test
    void gradientsMatchCentralDifferences() {
        int b = 3, n = 9, d = 4;
        float[] sf = gaussian(b * d, 0.8), e = gaussian(n * d, 0.8);
        int[] t = {2, 8, 2};
        float[] lse = new float[b], loss = new float[b];
        SoftmaxCe.softmaxCeForward(sf, 0, e, 0, t, 0, b, n, d, lse, 0, loss, 0);
        float[] dsf = new float[b * d + 2], dE = new float[n * d + 1];
        Arrays.fill(dsf, Float.NaN);
        Arrays.fill(dE, Float.NaN);
        SoftmaxCe.softmaxCeBackward(sf, 0, e, 0, t, 0, lse, 0, b, n, d, 1f / b, dsf, 2, dE, 1);
        double[] x = toDouble(sf), y = toDouble(e);
        double h = 1e-5;
        double[] wantSf = new double[b * d], wantE = new double[n * d];
        for (int i = 0; i < x.length; i++) {
            double keep = x[i];
            x[i] = keep + h;
            double up = meanLoss(x, y, t, b, n, d);
            x[i] = keep - h;
            wantSf[i] = (up - meanLoss(x, y, t, b, n, d)) / (2 * h);
            x[i] = keep;
        }
        for (int i = 0; i < y.length; i++) {
            double keep = y[i];
            y[i] = keep + h;
            double up = meanLoss(x, y, t, b, n, d);
            y[i] = keep - h;
            wantE[i] = (up - meanLoss(x, y, t, b, n, d)) / (2 * h);
            y[i] = keep;
        }
        float[] gotSf = Arrays.copyOfRange(dsf, 2, 2 + b * d), gotE = Arrays.copyOfRange(dE, 1, 1 + n * d);
        assertTrue(relErr(gotSf, wantSf) < 1e-5, "dsf " + relErr(gotSf, wantSf) + ", seed " + seed);
        assertTrue(relErr(gotE, wantE) < 1e-5, "dE " + relErr(gotE, wantE) + ", seed " + seed);
        for (int k = 0; k < d; k++) assertEquals(0f, gotE[k], "row 0 of dE");
        // the padding item gets no gradient even when its row is not zero, and does not change dsf
        assertTrue(Math.abs(wantE[0]) + Math.abs(wantE[1]) < 1e-9);
    }

    @Test
    void ranksMatchADirectCountWithPlantedTies() {
        int b = 40, n = 120, d = 5;
        float[] sf = smallInts(b * d, 1), e = smallInts(n * d, 1);
        int[] t = targets(b, n);
        // plant exact copies of each target's row before and after it
        for (int r = 0; r < b; r += 3) {
            int tr = t[r];
            for (int j : new int[] {1 + rnd.nextInt(n - 1), 1 + rnd.nextInt(n - 1)}) {
                if (j != tr) System.arraycopy(e, tr * d, e, j * d, d);
            }
        }
        // row 1 scores NaN everywhere: its target ranks last
        sf[d] = Float.NaN;
        int[] rank = new int[b + 1];
        rank[0] = -5;
        SoftmaxCe.rankTargets(sf, 0, e, 0, t, 0, b, n, d, rank, 1);
        assertEquals(-5, rank[0]);
        int ties = 0;
        for (int r = 0; r < b; r++) {
            int want;
            if (r == 1) {
                want = n - 1;
            } else {
                double zt = dot(sf, r, e, t[r], d);
                want = 1;
                for (int j = 1; j < n; j++) {
                    if (j == t[r]) continue;
                    double z = dot(sf, r, e, j, d);
                    if (z == zt) ties++;
                    if (z > zt || (z == zt && j < t[r])) want++;
                }
            }
            assertEquals(want, rank[1 + r], "row " + r + ", seed " + seed);
        }
        assertTrue(ties > b, "the test needs ties: " + ties);
        // a hand-worked row: z = (0), 1, 3, 1, 3, 0 with target 3 -> items 2, 4 higher, 1 tied and smaller
        float[] e2 = {9, 1, 3, 1, 3, 0};
        int[] rk = new int[1];
        SoftmaxCe.rankTargets(new float[] {1}, 0, e2, 0, new int[] {3}, 0, 1, 6, 1, rk, 0);
        assertEquals(4, rk[0]);
    }

    @Test
    void topKMatchesSorting() {
        for (boolean ints : new boolean[] {true, false}) {
            int b = 9, n = 70, d = 3;
            float[] sf = ints ? smallInts(b * d, 1) : gaussian(b * d, 1), e = ints ? smallInts(n * d, 1) : gaussian(n * d, 1);
            sf[2 * d] = Float.NaN; // row 2: every score NaN -> ids 1..K in order
            for (int k : new int[] {1, 7, 32, n - 1}) {
                int[] items = new int[b * k];
                float[] scores = new float[b * k];
                SoftmaxCe.topK(sf, 0, e, 0, b, n, d, k, items, 0, scores, 0);
                for (int r = 0; r < b; r++) {
                    final int row = r;
                    Integer[] ids = new Integer[n - 1];
                    for (int j = 1; j < n; j++) ids[j - 1] = j;
                    // float64 scores (exact for the integer inputs); NaN last; ties by id (stable sort)
                    Comparator<Integer> byScore = Comparator.comparingDouble(j -> {
                        double z = dot(sf, row, e, j, d);
                        return Double.isNaN(z) ? Double.POSITIVE_INFINITY : -z;
                    });
                    Arrays.sort(ids, byScore);
                    for (int i = 0; i < k; i++) {
                        String where = "ints " + ints + ", K " + k + ", row " + r + ", rank " + i + ", seed " + seed;
                        if (ints || r == 2) assertEquals((int) ids[i], items[r * k + i], where);
                        double want = dot(sf, r, e, items[r * k + i], d);
                        if (r == 2) assertTrue(Float.isNaN(scores[r * k + i]), where);
                        else assertEquals(want, scores[r * k + i], 1e-5 * Math.max(1, Math.abs(want)), where);
                        if (!ints && r != 2) assertEquals(dot(sf, r, e, ids[i], d), scores[r * k + i], 1e-5, where);
                    }
                }
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        float[] sf = new float[4], e = new float[12];
        float[] out = new float[1];
        assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCe.softmaxCeForward(sf, 0, e, 0, new int[] {0}, 0, 1, 3, 4, out, 0, out, 0));
        assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCe.softmaxCeForward(sf, 0, e, 0, new int[] {3}, 0, 1, 3, 4, out, 0, out, 0));
        assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCe.topK(sf, 0, e, 0, 1, 3, 4, 3, new int[3], 0, new float[3], 0));
        assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCe.rankTargets(sf, 0, e, 0, new int[] {1}, 0, 1, 1, 4, new int[1], 0));
    }

    @Test
    void launcherLimitsAndScratch() {
        assertThrows(IllegalArgumentException.class, () -> SoftmaxCeKernels.scratchFloats(0, 10, 10));
        assertThrows(IllegalArgumentException.class, () -> SoftmaxCeKernels.scratchFloats(1, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> SoftmaxCeKernels.scratchFloats(1, 10, 257));
        // B = 512, n = 37484, d = 100: 293 column tiles of 128, dsf partials 293 x 512 x 100 floats
        // plus 4 row groups' dE partials (4 x 37484 x 100)
        assertEquals(293L * 512 * 100 + 4L * 37484 * 100, SoftmaxCeKernels.scratchFloats(512, 37484, 100));
        // d = 3: partials padded to 4 floats; top-K candidates dominate
        assertEquals(Math.max(2L * 7 * 8 * 32, 8L * 7 * 4), SoftmaxCeKernels.scratchFloats(7, 1000, 3));
        assertEquals(2.0 * 512 * 37483 * 100, SoftmaxCeKernels.forwardFlops(512, 37484, 100));
        assertEquals(3 * SoftmaxCeKernels.forwardFlops(4, 50, 6), SoftmaxCeKernels.backwardFlops(4, 50, 6));
    }
}
