package org.lgsr.cpu;

import org.lgsr.TestData;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lgsr.gpu.DeviceInfo;
import org.lgsr.gpu.kernels.AggregateKernels;

/**
 * The twin Aggregate against a float64 reference written here: the forward against a direct
 * evaluation, the backward against central finite differences of L = sum(W .* catD) with G
 * (before the add), U, F and q independent inputs.
 */
class AggregateTest {
    final long seed = TestData.seed();
    final Random rnd = new Random(seed);

    // ------------------------------------------------------------------ float64 reference

    static double h(double x, boolean hard) {
        return hard ? Math.max(0, Math.min(1, 0.2 * x + 0.5)) : 1 / (1 + Math.exp(-x));
    }

    /** The forward of the layer in float64, and per-session losses sum_k W[b, k] catD[b, k]. */
    record Ref(double[] g, double[] alpha, double[] cat, double[] catD, double[] loss) {
    }

    static Ref reference(double[] g0, double[] u, double[] f, double[] q, int[] len, float[] mask, double[] w, int B,
                         int T, int d, boolean hard) {
        double[] g = new double[B * T * d], alpha = new double[B * T], cat = new double[B * 2 * d],
                catD = new double[B * 2 * d], loss = new double[B];
        for (int b = 0; b < B; b++) {
            int t = len[b];
            double[] e = new double[t];
            for (int i = 0; i < T; i++) {
                for (int c = 0; c < d; c++) {
                    int k = (b * T + i) * d + c;
                    g[k] = g0[k] + u[b * d + c];
                    if (i < t) e[i] += q[c] * h(g[k], hard);
                }
            }
            double max = Arrays.stream(e).max().getAsDouble(), sum = 0;
            for (int i = 0; i < t; i++) sum += Math.exp(e[i] - max);
            for (int i = 0; i < t; i++) alpha[b * T + i] = Math.exp(e[i] - max) / sum;
            for (int c = 0; c < d; c++) {
                cat[b * 2 * d + c] = f[(b * T + t - 1) * d + c];
                double s = 0;
                for (int i = 0; i < t; i++) s += alpha[b * T + i] * f[(b * T + i) * d + c];
                cat[b * 2 * d + d + c] = s;
            }
            for (int k = b * 2 * d; k < (b + 1) * 2 * d; k++) {
                catD[k] = mask == null ? cat[k] : cat[k] * mask[k];
                loss[b] += w[k] * catD[k];
            }
        }
        return new Ref(g, alpha, cat, catD, loss);
    }

    // ------------------------------------------------------------------ random cases

    /** Random inputs of one case; for the hard sigmoid, no G + U within 1e-3 of a kink (+-2.5). */
    final class Case {
        final int B, T, d;
        final boolean hard;
        final int[] len;
        final float[] g0, u, f, q, mask, w;

        Case(int B, int T, int d, boolean hard, boolean withMask, String lens) {
            this.B = B;
            this.T = T;
            this.d = d;
            this.hard = hard;
            len = new int[B];
            for (int b = 0; b < B; b++) {
                len[b] = switch (lens) {
                    case "1" -> 1;
                    case "T" -> T;
                    default -> b == 0 ? 1 : b == 1 ? T : 1 + rnd.nextInt(T);
                };
            }
            u = gaussian(B * d, 1f);
            f = gaussian(B * T * d, 1f);
            q = gaussian(d, 1f);
            w = gaussian(B * 2 * d, 1f);
            g0 = new float[B * T * d];
            for (int k = 0; k < g0.length; k++) {
                float x = u[(k / (T * d)) * d + k % d];
                do {
                    g0[k] = (float) rnd.nextGaussian() * 2f;
                } while (hard && Math.abs(Math.abs(g0[k] + x) - 2.5) < 1e-3);
            }
            if (withMask) {
                mask = new float[B * 2 * d];
                for (int k = 0; k < mask.length; k++) mask[k] = rnd.nextFloat() < 0.25f ? 0f : 1f / (1f - 0.25f);
            } else {
                mask = null;
            }
        }

        String what() {
            return "B " + B + " T " + T + " d " + d + (hard ? " hard" : " sigmoid") + (mask == null ? "" : " masked")
                    + " len " + Arrays.toString(len) + ", seed " + seed;
        }

        Ref ref(double[] g0, double[] u, double[] f, double[] q) {
            return reference(g0, u, f, q, len, mask, toDouble(w), B, T, d, hard);
        }
    }

    float[] gaussian(int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian() * scale;
        return a;
    }

    static double[] toDouble(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    static float[] nan(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    /** ||got - want|| <= tol ||want|| + 1e-9, and no NaN. */
    static void assertClose(float[] got, double[] want, double tol, String what) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            assertTrue(!Float.isNaN(got[i]), what + ": NaN at " + i);
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        assertTrue(Math.sqrt(num) <= tol * Math.sqrt(den) + 1e-9,
                what + ": relative error " + Math.sqrt(num / Math.max(den, 1e-300)) + " (norm " + Math.sqrt(den) + ")");
    }

    /** Forward and backward outputs of the twin for one case. */
    record Out(float[] g, float[] alpha, float[] cat, float[] catD, float[] dF, float[] dG, float[] dU, float[] dq) {
    }

    static Out run(Case c) {
        int B = c.B, T = c.T, d = c.d;
        float[] g = c.g0.clone(), alpha = nan(B * T), cat = nan(B * 2 * d), catD = nan(B * 2 * d);
        Aggregate.aggregateForward(g, 0, c.u, 0, c.f, 0, c.q, 0, c.len, 0, c.mask, 0, B, T, d, c.hard, alpha, 0, cat, 0, catD, 0);
        float[] dF = nan(B * T * d), dG = nan(B * T * d), dU = nan(B * d), dq = nan(B * d);
        Aggregate.aggregateBackward(c.w, 0, c.mask, 0, g, 0, c.f, 0, alpha, 0, c.q, 0, c.len, 0, B, T, d, c.hard, dF, 0, dG, 0,
                dU, 0, dq, 0);
        return new Out(g, alpha, cat, catD, dF, dG, dU, dq);
    }

    // ------------------------------------------------------------------ tests

    @Test
    void forwardMatchesFloat64() {
        for (boolean hard : new boolean[] {true, false}) {
            for (boolean mask : new boolean[] {false, true}) {
                for (String lens : new String[] {"1", "T", "random"}) {
                    for (int[] s : new int[][] {{4, 7, 10}, {3, 19, 16}, {2, 1, 3}}) {
                        Case c = new Case(s[0], s[1], s[2], hard, mask, lens);
                        Out o = run(c);
                        Ref r = c.ref(toDouble(c.g0), toDouble(c.u), toDouble(c.f), toDouble(c.q));
                        assertClose(o.g, r.g, 1e-7, "G " + c.what());
                        assertClose(o.alpha, r.alpha, 1e-6, "alpha " + c.what());
                        assertClose(o.cat, r.cat, 1e-6, "cat " + c.what());
                        assertClose(o.catD, r.catD, 1e-6, "catD " + c.what());
                        for (int b = 0; b < c.B; b++) {
                            for (int i = c.len[b]; i < c.T; i++) assertEquals(0f, o.alpha[b * c.T + i], "padded alpha " + c.what());
                        }
                    }
                }
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        final double eps = 1e-5;
        for (boolean hard : new boolean[] {true, false}) {
            for (boolean mask : new boolean[] {false, true}) {
                for (String lens : new String[] {"1", "T", "random"}) {
                    for (int[] s : new int[][] {{3, 6, 5}, {3, 19, 12}}) {
                        Case c = new Case(s[0], s[1], s[2], hard, mask, lens);
                        Out o = run(c);
                        double[] g0 = toDouble(c.g0), u = toDouble(c.u), f = toDouble(c.f), q = toDouble(c.q);
                        // L depends on G0 + U through e and on F through cat; dF, dG, dU are partials
                        double[] wantDG = new double[g0.length], wantDF = new double[f.length], wantDU = new double[u.length];
                        for (int k = 0; k < g0.length; k++) wantDG[k] = centralDiff(c, g0, k, eps, g0, u, f, q, -1);
                        for (int k = 0; k < f.length; k++) wantDF[k] = centralDiff(c, f, k, eps, g0, u, f, q, -1);
                        for (int k = 0; k < u.length; k++) wantDU[k] = centralDiff(c, u, k, eps, g0, u, f, q, -1);
                        // dqPart[b] = dL_b/dq
                        double[] wantDq = new double[c.B * c.d];
                        for (int b = 0; b < c.B; b++) {
                            for (int k = 0; k < c.d; k++) wantDq[b * c.d + k] = centralDiff(c, q, k, eps, g0, u, f, q, b);
                        }
                        assertClose(o.dF, wantDF, 1e-5, "dF " + c.what());
                        assertClose(o.dG, wantDG, 1e-5, "dG " + c.what());
                        assertClose(o.dU, wantDU, 1e-5, "dU " + c.what());
                        assertClose(o.dq, wantDq, 1e-5, "dqPart " + c.what());
                        for (int b = 0; b < c.B; b++) {
                            for (int k = c.len[b] * c.d; k < c.T * c.d; k++) {
                                assertEquals(0f, o.dF[b * c.T * c.d + k], "padded dF " + c.what());
                                assertEquals(0f, o.dG[b * c.T * c.d + k], "padded dG " + c.what());
                            }
                        }
                    }
                }
            }
        }
    }

    /** (L(x_k + eps) - L(x_k - eps)) / 2eps, with L the sum over sessions (or session b's loss when b >= 0). */
    static double centralDiff(Case c, double[] x, int k, double eps, double[] g0, double[] u, double[] f, double[] q, int b) {
        double keep = x[k];
        x[k] = keep + eps;
        double plus = loss(c.ref(g0, u, f, q), b);
        x[k] = keep - eps;
        double minus = loss(c.ref(g0, u, f, q), b);
        x[k] = keep;
        return (plus - minus) / (2 * eps);
    }

    static double loss(Ref r, int b) {
        return b >= 0 ? r.loss[b] : Arrays.stream(r.loss).sum();
    }

    /** Worked by hand: d = 1, T = 3, len 2, the hard sigmoid, equal scores. */
    @Test
    void smallCaseByHand() {
        float[] g = {0, 0, 5}, u = {1}, f = {2, 4, 7}, q = {1};
        float[] alpha = nan(3), cat = nan(2), catD = nan(2);
        int[] len = {2};
        Aggregate.aggregateForward(g, 0, u, 0, f, 0, q, 0, len, 0, null, 0, 1, 3, 1, true, alpha, 0, cat, 0, catD, 0);
        assertArrayEquals(new float[] {1, 1, 6}, g); // the padded slot too
        assertArrayEquals(new float[] {0.5f, 0.5f, 0f}, alpha);
        assertArrayEquals(new float[] {4, 3}, cat);
        assertArrayEquals(cat, catD);
        // dcat = [1, 2]: dF = [0.5*2, 1 + 0.5*2, 0]; dalpha = [4, 8], dot = 6, de = [-1, 1];
        // h(1) = 0.7 on both: dq = 0; dG = de * q * 0.2 = [-0.2, 0.2, 0]; dU = 0
        float[] dF = nan(3), dG = nan(3), dU = nan(1), dq = nan(1);
        Aggregate.aggregateBackward(new float[] {1, 2}, 0, null, 0, g, 0, f, 0, alpha, 0, q, 0, len, 0, 1, 3, 1, true, dF, 0, dG, 0,
                dU, 0, dq, 0);
        assertArrayEquals(new float[] {1, 2, 0}, dF);
        assertArrayEquals(new float[] {-0.2f, 0.2f, 0f}, dG, 1e-7f);
        assertEquals(0f, dU[0], 1e-7f);
        assertEquals(0f, dq[0], 1e-7f);
        // with a mask [0, 2]: dcat = [0, 4]
        Aggregate.aggregateBackward(new float[] {1, 2}, 0, new float[] {0, 2}, 0, g, 0, f, 0, alpha, 0, q, 0, len, 0, 1, 3, 1, true,
                dF, 0, dG, 0, dU, 0, dq, 0);
        assertArrayEquals(new float[] {2, 2, 0}, dF);
    }

    @Test
    void lastItemPathAndItsGradient() {
        for (boolean withMask : new boolean[] {false, true}) {
            Case c = new Case(5, 9, 7, true, false, "random");
            int B = c.B, T = c.T, d = c.d;
            float[] mask = null;
            if (withMask) {
                mask = new float[B * d];
                for (int k = 0; k < mask.length; k++) mask[k] = rnd.nextBoolean() ? 0f : 2f;
            }
            float[] ft = nan(B * d), cat = nan(B * d), catD = nan(B * d);
            Aggregate.gatherLast(c.f, 0, c.len, 0, B, T, d, ft, 0);
            Aggregate.lastForward(c.f, 0, c.len, 0, mask, 0, B, T, d, cat, 0, catD, 0);
            for (int b = 0; b < B; b++) {
                for (int k = 0; k < d; k++) {
                    float want = c.f[b * T * d + (c.len[b] - 1) * d + k];
                    assertEquals(want, ft[b * d + k], c.what());
                    assertEquals(want, cat[b * d + k], c.what());
                    assertEquals(mask == null ? want : want * mask[b * d + k], catD[b * d + k], c.what());
                }
            }
            // dF of L = sum W .* catD by finite differences (L is linear in F: exact up to rounding)
            float[] w = gaussian(B * d, 1f), dF = nan(B * T * d);
            Aggregate.lastBackward(w, 0, mask, 0, c.len, 0, B, T, d, dF, 0);
            double[] f = toDouble(c.f), want = new double[f.length];
            for (int k = 0; k < f.length; k++) {
                double keep = f[k];
                f[k] = keep + 0.5;
                double plus = lastLoss(f, c.len, mask, w, B, T, d);
                f[k] = keep - 0.5;
                double minus = lastLoss(f, c.len, mask, w, B, T, d);
                f[k] = keep;
                want[k] = plus - minus;
            }
            assertClose(dF, want, 1e-6, "last_backward " + c.what());
            // add_last adds dFt at len-1 only
            float[] before = dF.clone(), dFt = gaussian(B * d, 1f);
            Aggregate.addLast(dF, 0, dFt, 0, c.len, 0, B, T, d);
            for (int b = 0; b < B; b++) {
                for (int i = 0; i < T; i++) {
                    for (int k = 0; k < d; k++) {
                        int o = (b * T + i) * d + k;
                        assertEquals(i == c.len[b] - 1 ? before[o] + dFt[b * d + k] : before[o], dF[o], c.what());
                    }
                }
            }
        }
    }

    static double lastLoss(double[] f, int[] len, float[] mask, float[] w, int B, int T, int d) {
        double l = 0;
        for (int b = 0; b < B; b++) {
            for (int k = 0; k < d; k++) l += w[b * d + k] * f[(b * T + len[b] - 1) * d + k] * (mask == null ? 1 : mask[b * d + k]);
        }
        return l;
    }

    /** Every offset argument moves its array's window; nothing outside the windows is touched. */
    @Test
    void offsetsAreHonoured() {
        Case c = new Case(3, 5, 4, false, true, "random");
        Out o = run(c);
        int B = c.B, T = c.T, d = c.d, p = 3;
        float[] g = pad(c.g0, p), alpha = pad(nan(B * T), p), cat = pad(nan(B * 2 * d), p), catD = pad(nan(B * 2 * d), p);
        Aggregate.aggregateForward(g, p, pad(c.u, p), p, pad(c.f, p), p, pad(c.q, p), p, padInts(c.len, p), p, pad(c.mask, p), p,
                B, T, d, c.hard, alpha, p, cat, p, catD, p);
        assertWindow(o.g, g, p);
        assertWindow(o.alpha, alpha, p);
        assertWindow(o.cat, cat, p);
        assertWindow(o.catD, catD, p);
        float[] dF = pad(nan(B * T * d), p), dG = pad(nan(B * T * d), p), dU = pad(nan(B * d), p), dq = pad(nan(B * d), p);
        Aggregate.aggregateBackward(pad(c.w, p), p, pad(c.mask, p), p, g, p, pad(c.f, p), p, alpha, p, pad(c.q, p), p,
                padInts(c.len, p), p, B, T, d, c.hard, dF, p, dG, p, dU, p, dq, p);
        assertWindow(o.dF, dF, p);
        assertWindow(o.dG, dG, p);
        assertWindow(o.dU, dU, p);
        assertWindow(o.dq, dq, p);
    }

    /** a with p sentinels (-7) before and after. */
    static float[] pad(float[] a, int p) {
        float[] r = new float[a.length + 2 * p];
        Arrays.fill(r, -7f);
        System.arraycopy(a, 0, r, p, a.length);
        return r;
    }

    static int[] padInts(int[] a, int p) {
        int[] r = new int[a.length + 2 * p];
        Arrays.fill(r, -7);
        System.arraycopy(a, 0, r, p, a.length);
        return r;
    }

    static void assertWindow(float[] want, float[] padded, int p) {
        assertArrayEquals(want, Arrays.copyOfRange(padded, p, p + want.length));
        for (int k = 0; k < p; k++) {
            assertEquals(-7f, padded[k]);
            assertEquals(-7f, padded[padded.length - 1 - k]);
        }
    }

    @Test
    void limitsAndLengthsAreChecked() {
        float[] big = new float[1 << 16];
        int[] one = {1};
        assertThrows(IllegalArgumentException.class, () -> Aggregate.aggregateForward(big, 0, big, 0, big, 0, big, 0, one, 0, null, 0,
                1, 33, 4, true, big, 0, big, 0, big, 0));
        assertThrows(IllegalArgumentException.class, () -> Aggregate.aggregateBackward(big, 0, null, 0, big, 0, big, 0, big, 0, big, 0,
                one, 0, 1, 4, 257, true, big, 0, big, 0, big, 0, big, 0));
        assertThrows(IllegalArgumentException.class, () -> Aggregate.gatherLast(big, 0, new int[] {0}, 0, 1, 4, 4, big, 0));
        assertThrows(IllegalArgumentException.class, () -> Aggregate.lastBackward(big, 0, null, 0, new int[] {5}, 0, 1, 4, 4, big, 0));
    }

    /** The launcher's checks run before any launch: no GPU needed. */
    @Test
    void launcherChecksLimitsAndAddresses() {
        AggregateKernels k = new AggregateKernels(null, new DeviceInfo(0, "none", 9, 0, 132, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> k.aggregateForward(1, 1, 1, 1, 1, 0, 1, 33, 4, true, 1, 1, 1, null));
        assertThrows(IllegalArgumentException.class, () -> k.aggregateForward(1, 1, 1, 1, 1, 0, 1, 0, 4, true, 1, 1, 1, null));
        assertThrows(IllegalArgumentException.class, () -> k.aggregateBackward(1, 0, 1, 1, 1, 1, 1, 1, 4, 257, false, 1, 1, 1, 1, null));
        assertThrows(IllegalArgumentException.class, () -> k.aggregateBackward(1, 0, 1, 1, 1, 1, 1, -1, 4, 4, false, 1, 1, 1, 1, null));
        assertThrows(IllegalArgumentException.class, () -> k.aggregateBackward(1, 0, 1, 1, 0, 1, 1, 1, 4, 4, false, 1, 1, 1, 1, null));
        assertThrows(IllegalArgumentException.class, () -> k.lastBackward(1, 0, 1, 1, 4, 0, 1, null));
        assertThrows(IllegalArgumentException.class, () -> k.gatherLast(1, 0, 1, 4, 4, 1, null));
        // B = 0 launches nothing (the module is null here)
        k.aggregateForward(1, 1, 1, 1, 1, 0, 0, 4, 4, true, 1, 1, 1, null);
        k.lastForward(1, 1, 0, 0, 4, 4, 1, 1, null);
    }

    /** The floors, counted by hand for B = 1, T = 2, d = 1, one valid slot. */
    @Test
    void floorsCountedByHand() {
        // G read + written 16, U 4, F's valid row 4, q 4, len 4, alpha 8, cat + catD 16; mask 8 more
        assertEquals(56, AggregateKernels.aggregateForwardBytes(1, 2, 1, 1, false));
        assertEquals(64, AggregateKernels.aggregateForwardBytes(1, 2, 1, 1, true));
        // dCatD 8, G + F valid 8, alpha 4, q 4, len 4, dF + dG 16, dU + dqPart 8
        assertEquals(52, AggregateKernels.aggregateBackwardBytes(1, 2, 1, 1, false));
        // dCatD 4, maskC 4, len 4, dF 8
        assertEquals(20, AggregateKernels.lastBackwardBytes(1, 2, 1, true));
        assertEquals(2 + 6 + 5 + 2, AggregateKernels.aggregateForwardFlops(1, 2, 1, 1, false));
    }

    @Test
    void hMatchesItsDefinition() {
        assertEquals(0f, Aggregate.h(-3f, true));
        assertEquals(1f, Aggregate.h(3f, true));
        assertEquals(0.6f, Aggregate.h(0.5f, true), 1e-7f);
        assertEquals(0.2f, Aggregate.hPrime(2.4f, true));
        assertEquals(0f, Aggregate.hPrime(2.6f, true));
        assertEquals(0f, Aggregate.hPrime(-2.6f, true));
        for (float x : new float[] {-4f, -0.3f, 0f, 1.7f}) {
            double s = 1 / (1 + Math.exp(-x));
            assertEquals(s, Aggregate.h(x, false), 1e-7);
            assertEquals(s * (1 - s), Aggregate.hPrime(x, false), 1e-7);
        }
    }
}
