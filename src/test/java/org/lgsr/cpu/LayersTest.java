package org.lgsr.cpu;

import org.lgsr.TestData;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lgsr.model.DropoutMasks;

/** The twins of cuda/layers.cu against float64 references written here and finite differences. */
class LayersTest {
    final long seed = TestData.seed();
    final Random rnd = new Random(seed);

    static float[] gaussian(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    /** A dropout-like mask with an independent generator: 0 or 1/(1-rate). */
    static float[] mask(Random rnd, int n, float rate) {
        float[] m = new float[n];
        for (int i = 0; i < n; i++) m[i] = rnd.nextFloat() < rate ? 0f : 1f / (1f - rate);
        return m;
    }

    /** ||a - ref|| / ||ref|| over n elements from the offsets (NaN anywhere: infinity). */
    static double relErr(float[] a, int aOff, double[] ref, int n) {
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(a[aOff + i])) return Double.POSITIVE_INFINITY;
            double e = a[aOff + i] - ref[i];
            num += e * e;
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    static float[] rounded(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    static double relErr(float[] a, double[] ref) {
        return relErr(a, 0, ref, ref.length);
    }

    // ---------------------------------------------------------------- dropout masks

    @Test
    void dropoutMaskEqualsDropoutMasksFill() {
        for (float rate : new float[] {0f, 0.1f, 0.25f, 0.5f, 0.9f}) {
            for (int site = 0; site < 5; site++) {
                long s = rnd.nextLong();
                int n = 1 + rnd.nextInt(5000);
                float[] want = new float[n];
                DropoutMasks.fill(want, n, s, site, rate);
                float[] got = new float[n + 7];
                Arrays.fill(got, Float.NaN);
                Layers.dropoutMask(got, 3, n, s, site, rate);
                assertArrayEquals(want, Arrays.copyOfRange(got, 3, 3 + n), "rate " + rate + ", site " + site + ", seed " + seed);
                assertTrue(Float.isNaN(got[2]) && Float.isNaN(got[3 + n]), "writes outside [off, off + count)");
            }
        }
        // the keep fraction is 1 - rate (a statistical check of the hash, 50 sigma loose)
        int n = 200_000;
        float[] m = new float[n];
        Layers.dropoutMask(m, 0, n, 12345L, 2, 0.3f);
        int kept = 0;
        for (float v : m) {
            if (v != 0f) {
                kept++;
                assertEquals(1f / 0.7f, v);
            }
        }
        assertEquals(0.7 * n, kept, 50 * Math.sqrt(n * 0.21));
        // a hand-worked entry: index 0 of site 0 under seed 0 hashes mix64(0) = 0: u = 0 < rate
        float[] one = new float[1];
        Layers.dropoutMask(one, 0, 1, 0L, 0, 0.5f);
        assertEquals(0f, one[0]);
    }

    // ---------------------------------------------------------------- forward

    @Test
    void embedInputMatchesFloat64() {
        for (int d : new int[] {1, 3, 64, 100}) {
            int vocab = 50, maxPos = 20, rows = 37;
            float[] E = gaussian(rnd, 5 + vocab * d, 1), P = gaussian(rnd, 2 + maxPos * d, 0.5);
            int[] items = new int[rows + 1], pos = new int[rows + 2];
            for (int r = 0; r < rows; r++) {
                items[1 + r] = rnd.nextInt(vocab);
                pos[2 + r] = rnd.nextInt(maxPos);
            }
            float[] mask = mask(rnd, 4 + rows * d, 0.3f);
            for (boolean masked : new boolean[] {false, true}) {
                double[] ref = new double[rows * d];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < d; c++) {
                        double v = (double) E[5 + items[1 + r] * d + c] + P[2 + pos[2 + r] * d + c];
                        ref[r * d + c] = masked ? v * mask[4 + r * d + c] : v;
                    }
                }
                float[] X = new float[1 + rows * d];
                Arrays.fill(X, Float.NaN);
                Layers.embedInput(X, 1, E, 5, P, 2, items, 1, pos, 2, masked ? mask : null, 4, rows, d);
                assertTrue(relErr(X, 1, ref, rows * d) < 2e-7, "d " + d + ", masked " + masked + ", seed " + seed);
            }
        }
    }

    @Test
    void biasReluDropoutMatchesFloat64() {
        for (int d : new int[] {1, 3, 64, 100}) {
            int rows = 29;
            float[] pre = gaussian(rnd, rows * d, 1), bias = gaussian(rnd, d, 0.5), mask = mask(rnd, rows * d, 0.2f);
            for (boolean masked : new boolean[] {false, true}) {
                double[] refPre = new double[rows * d], ref = new double[rows * d];
                for (int i = 0; i < rows * d; i++) {
                    refPre[i] = (double) pre[i] + bias[i % d];
                    double y = refPre[i] > 0 ? refPre[i] : 0;
                    ref[i] = masked ? y * mask[i] : y;
                }
                float[] hp = pre.clone(), h = new float[rows * d];
                Arrays.fill(h, Float.NaN);
                Layers.biasReluDropout(hp, 0, h, 0, bias, 0, masked ? mask : null, 0, rows, d);
                assertTrue(relErr(hp, refPre) < 2e-7, "H1pre, d " + d + ", seed " + seed);
                assertTrue(relErr(h, ref) < 2e-7, "H1, d " + d + ", masked " + masked + ", seed " + seed);
                for (int i = 0; i < rows * d; i++) {
                    if (refPre[i] <= 0) assertEquals(0f, h[i], "ReLU zero at " + i);
                }
            }
        }
    }

    /** The float64 LayerNorm of the rows of x: {F, XH, RS}. */
    static double[][] layerNorm64(double[] x, int rows, int d, float[] gamma, float[] beta) {
        double[] F = new double[rows * d], XH = new double[rows * d], RS = new double[rows];
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int c = 0; c < d; c++) mean += x[r * d + c];
            mean /= d;
            for (int c = 0; c < d; c++) var += (x[r * d + c] - mean) * (x[r * d + c] - mean);
            var /= d;
            RS[r] = 1 / Math.sqrt(var + 1e-8);
            for (int c = 0; c < d; c++) {
                XH[r * d + c] = (x[r * d + c] - mean) * RS[r];
                F[r * d + c] = gamma[c] * XH[r * d + c] + beta[c];
            }
        }
        return new double[][] {F, XH, RS};
    }

    @Test
    void biasDropoutResidualLayernormMatchesFloat64() {
        // (d = 2 is left to the hand-worked case, and small rows get no shifted mean: a few close
        // values far from zero make XH ill-conditioned beyond float's 1e-5)
        for (int d : new int[] {3, 64, 100, 256}) {
            int rows = 23;
            float[] R2 = gaussian(rnd, rows * d, 1), bias = gaussian(rnd, d, 0.3), S = gaussian(rnd, rows * d, 2);
            float[] gamma = gaussian(rnd, d, 1), beta = gaussian(rnd, d, 1), mask = mask(rnd, rows * d, 0.25f);
            if (d >= 64) for (int i = 0; i < d; i++) S[i] += 3f; // a row with a large mean (see above)
            for (boolean masked : new boolean[] {false, true}) {
                double[] x = new double[rows * d];
                for (int i = 0; i < rows * d; i++) {
                    double v = (double) R2[i] + bias[i % d];
                    x[i] = (masked ? v * mask[i] : v) + S[i];
                }
                double[][] ref = layerNorm64(x, rows, d, gamma, beta);
                float[] F = new float[rows * d + 2], XH = new float[rows * d + 1], RS = new float[rows + 3];
                Arrays.fill(F, Float.NaN);
                Arrays.fill(XH, Float.NaN);
                Arrays.fill(RS, Float.NaN);
                Layers.biasDropoutResidualLayernorm(R2, 0, bias, 0, masked ? mask : null, 0, S, 0, gamma, 0, beta, 0, rows, d,
                        F, 2, XH, 1, RS, 3);
                String at = "d " + d + ", masked " + masked + ", seed " + seed;
                assertTrue(relErr(F, 2, ref[0], rows * d) < 1e-5, "F, " + at + ": " + relErr(F, 2, ref[0], rows * d));
                assertTrue(relErr(XH, 1, ref[1], rows * d) < 1e-5, "XH, " + at);
                assertTrue(relErr(RS, 3, ref[2], rows) < 1e-5, "RS, " + at);
            }
        }
        // hand-worked: the row (1, 3) has mean 2, variance 1: XH = (-1, 1), RS = 1/sqrt(1 + 1e-8)
        float[] F = new float[2], XH = new float[2], RS = new float[1];
        Layers.biasDropoutResidualLayernorm(new float[] {1, 3}, 0, new float[2], 0, null, 0, new float[2], 0,
                new float[] {2, 3}, 0, new float[] {0.5f, -1}, 0, 1, 2, F, 0, XH, 0, RS, 0);
        assertArrayEquals(new float[] {-1, 1}, XH, 1e-7f);
        assertArrayEquals(new float[] {-1.5f, 2}, F, 1e-6f);
        assertEquals(1.0, RS[0], 1e-7);
    }

    // ---------------------------------------------------------------- LayerNorm backward

    /** sum over rows in [r0, r1) of dY * LN(x) in float64. */
    static double lnLoss(double[] x, float[] dY, int r0, int r1, int d, double[] gamma, double[] beta) {
        double loss = 0;
        for (int r = r0; r < r1; r++) {
            double mean = 0, var = 0;
            for (int c = 0; c < d; c++) mean += x[r * d + c];
            mean /= d;
            for (int c = 0; c < d; c++) var += (x[r * d + c] - mean) * (x[r * d + c] - mean);
            var /= d;
            double rs = 1 / Math.sqrt(var + 1e-8);
            for (int c = 0; c < d; c++) loss += dY[r * d + c] * (gamma[c] * (x[r * d + c] - mean) * rs + beta[c]);
        }
        return loss;
    }

    @Test
    void layerNormBackwardMatchesFiniteDifferences() {
        int[][] cases = {{12, 5, 4}, {6, 37, 3}, {19, 100, 19}, {4, 3, 1}, {3, 64, 3}};
        for (int[] cs : cases) {
            int rows = cs[0], d = cs[1], segRows = cs[2], segs = rows / segRows;
            float[] xf = gaussian(rnd, rows * d, 1.5), dY = gaussian(rnd, rows * d, 1);
            float[] gamma = gaussian(rnd, d, 1), beta = gaussian(rnd, d, 0.5);
            for (int c = 0; c < d; c++) xf[c] += 2f;
            // the forward twin gives XH and RS from x (R2 = x, no bias, no mask, no residual)
            float[] F = new float[rows * d], XH = new float[rows * d], RS = new float[rows];
            Layers.biasDropoutResidualLayernorm(xf, 0, new float[d], 0, null, 0, new float[rows * d], 0, gamma, 0, beta, 0, rows, d,
                    F, 0, XH, 0, RS, 0);
            float[] dX = new float[rows * d], dG = new float[segs * d + 1], dB = new float[segs * d + 2];
            Arrays.fill(dX, Float.NaN);
            Arrays.fill(dG, Float.NaN);
            Arrays.fill(dB, Float.NaN);
            Layers.layerNormBackward(dY, 0, XH, 0, RS, 0, gamma, 0, rows, d, segRows, dX, 0, dG, 1, dB, 2);

            double[] x = new double[rows * d], g = new double[d], b = new double[d];
            for (int i = 0; i < x.length; i++) x[i] = xf[i];
            for (int c = 0; c < d; c++) {
                g[c] = gamma[c];
                b[c] = beta[c];
            }
            double h = 1e-5;
            double[] fdX = new double[rows * d];
            for (int i = 0; i < x.length; i++) {
                int r = i / d;
                double keep = x[i];
                x[i] = keep + h;
                double up = lnLoss(x, dY, r, r + 1, d, g, b);
                x[i] = keep - h;
                double down = lnLoss(x, dY, r, r + 1, d, g, b);
                x[i] = keep;
                fdX[i] = (up - down) / (2 * h);
            }
            double[] fdG = new double[segs * d], fdB = new double[segs * d];
            for (int s = 0; s < segs; s++) {
                for (int c = 0; c < d; c++) {
                    double keep = g[c];
                    g[c] = keep + h;
                    double up = lnLoss(x, dY, s * segRows, (s + 1) * segRows, d, g, b);
                    g[c] = keep - h;
                    double down = lnLoss(x, dY, s * segRows, (s + 1) * segRows, d, g, b);
                    g[c] = keep;
                    fdG[s * d + c] = (up - down) / (2 * h);
                    keep = b[c];
                    b[c] = keep + h;
                    up = lnLoss(x, dY, s * segRows, (s + 1) * segRows, d, g, b);
                    b[c] = keep - h;
                    down = lnLoss(x, dY, s * segRows, (s + 1) * segRows, d, g, b);
                    b[c] = keep;
                    fdB[s * d + c] = (up - down) / (2 * h);
                }
            }
            String at = "rows " + rows + ", d " + d + ", segRows " + segRows + ", seed " + seed;
            assertTrue(relErr(dX, fdX) < 1e-4, "dX vs finite differences, " + at + ": " + relErr(dX, fdX));
            assertTrue(relErr(dG, 1, fdG, segs * d) < 1e-5, "dGammaPart, " + at + ": " + relErr(dG, 1, fdG, segs * d));
            assertTrue(relErr(dB, 2, fdB, segs * d) < 1e-5, "dBetaPart, " + at + ": " + relErr(dB, 2, fdB, segs * d));
            assertTrue(Float.isNaN(dG[0]) && Float.isNaN(dB[1]), "writes before the offsets");
        }
        assertThrows(IllegalArgumentException.class, () -> Layers.layerNormBackward(new float[10], 0, new float[10], 0,
                new float[5], 0, new float[2], 0, 5, 2, 2, new float[10], 0, new float[4], 0, new float[4], 0));
    }

    // ---------------------------------------------------------------- backward, element-wise

    @Test
    void maskProductsMatchFloat64() {
        int n = 4097;
        float[] x = gaussian(rnd, n, 1), mask = mask(rnd, n, 0.4f), pre = gaussian(rnd, n, 1);
        double[] prod = new double[n], relu = new double[n], reluMasked = new double[n];
        for (int i = 0; i < n; i++) {
            prod[i] = (double) x[i] * mask[i];
            relu[i] = pre[i] > 0 ? x[i] : 0;
            reluMasked[i] = relu[i] * mask[i];
        }
        // a single product in double rounds to the float product: these are exact
        float[] a = x.clone();
        Layers.mulMask(a, 0, mask, 0, n);
        assertArrayEquals(rounded(prod), a, "mulMask, seed " + seed);
        a = x.clone();
        Layers.mulMask(a, 0, null, 0, n);
        assertArrayEquals(x, a, "mulMask without mask");
        float[] out = new float[n + 1];
        Arrays.fill(out, Float.NaN);
        Layers.mulMaskTo(out, 1, x, 0, mask, 0, n);
        assertArrayEquals(rounded(prod), Arrays.copyOfRange(out, 1, n + 1), "mulMaskTo");
        Layers.mulMaskTo(out, 1, x, 0, null, 0, n);
        assertArrayEquals(x, Arrays.copyOfRange(out, 1, n + 1), "mulMaskTo without mask: a copy");
        a = x.clone();
        Layers.reluDropoutBackward(a, 0, pre, 0, null, 0, n);
        assertArrayEquals(rounded(relu), a, "reluDropoutBackward");
        a = x.clone();
        Layers.reluDropoutBackward(a, 0, pre, 0, mask, 0, n);
        assertArrayEquals(rounded(reluMasked), a, "reluDropoutBackward masked");
        // the part before count is untouched
        a = x.clone();
        Layers.mulMask(a, 0, mask, 0, 10);
        assertEquals(x[10], a[10]);
    }

    // ---------------------------------------------------------------- reductions

    @Test
    void colSumMatchesFloat64() {
        int[][] cases = {{1, 1}, {1, 100}, {19, 3}, {19, 64}, {9728, 100}, {9728, 3}, {20000, 37}, {2500, 256}, {0, 5}};
        for (int[] cs : cases) {
            int rows = cs[0], cols = cs[1];
            float[] in = gaussian(rnd, 3 + rows * cols, 1);
            for (int i = 0; i < 3 + rows * cols; i++) in[i] += 0.25f; // a non-zero mean
            float[] base = gaussian(rnd, cols, 1);
            for (boolean acc : new boolean[] {false, true}) {
                double[] ref = new double[cols];
                for (int c = 0; c < cols; c++) {
                    ref[c] = acc ? base[c] : 0;
                    for (int r = 0; r < rows; r++) ref[c] += in[3 + r * cols + c];
                }
                float[] out = new float[cols + 2];
                Arrays.fill(out, Float.NaN);
                System.arraycopy(base, 0, out, 2, cols);
                Layers.colSum(in, 3, rows, cols, out, 2, acc);
                String at = "rows " + rows + ", cols " + cols + ", acc " + acc + ", seed " + seed;
                double err = relErr(out, 2, ref, cols);
                assertTrue(err < 1e-5 || (rows == 0 && !acc && err == 0), at + ": " + err);
                if (rows == 0 && !acc) for (int c = 0; c < cols; c++) assertEquals(0f, out[2 + c]);
            }
        }
        assertEquals(1, Layers.colSumBlocks(19, 100));
        assertTrue(Layers.colSumBlocks(9728, 100) > 1);
        assertTrue(Layers.colSumBlocks(1_000_000, 1) <= Layers.COL_SUM_MAX_BLOCKS);
        assertThrows(IllegalArgumentException.class, () -> Layers.colSum(new float[257], 0, 1, 257, new float[257], 0, false));
    }

    @Test
    void l2GradMatchesFloat64() {
        for (int n : new int[] {1, 7, 100_003}) {
            float[] w = gaussian(rnd, n + 1, 0.3), g = gaussian(rnd, n + 2, 0.01);
            float lambda = 1e-4f * (1 + rnd.nextInt(10));
            double sum = 0;
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) {
                double v = w[1 + i];
                sum += v * v;
                ref[i] = g[2 + i] + (double) lambda * v;
            }
            float[] got = g.clone();
            double s = Layers.l2Grad(w, 1, got, 2, n, lambda);
            assertEquals(sum, s, 1e-6 * sum, "sum of squares, n " + n + ", seed " + seed);
            assertTrue(relErr(got, 2, ref, n) < 2e-7, "g, n " + n + ", seed " + seed);
            assertEquals(g[0], got[0]);
            assertEquals(g[1], got[1]);
        }
    }
}
