package org.lgsr.cpu;

import org.lgsr.TestData;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lgsr.gpu.kernels.AttentionKernels;

/**
 * The attention twin against a float64 implementation written here (forward), central finite
 * differences of that implementation (backward), a hand-worked case, the padded rows'
 * contract, and the launcher's limits.
 */
class AttentionTest {
    final long seed = TestData.seed();
    final Random rnd = new Random(seed);

    /** One random problem: inputs as floats (what the twin sees) and its sizes. */
    final class Problem {
        final int B, T, d;
        final float[] q, k, v, x, mask, gamma, beta;
        final int[] len;

        Problem(int B, int T, int d, boolean masked) {
            this.B = B;
            this.T = T;
            this.d = d;
            q = gaussian(B * T * d);
            k = gaussian(B * T * d);
            v = gaussian(B * T * d);
            x = gaussian(B * T * d);
            gamma = new float[d];
            beta = new float[d];
            for (int c = 0; c < d; c++) {
                gamma[c] = 1f + 0.3f * (float) rnd.nextGaussian();
                beta[c] = 0.3f * (float) rnd.nextGaussian();
            }
            len = new int[B];
            for (int b = 0; b < B; b++) len[b] = 1 + rnd.nextInt(T);
            len[0] = 1;
            if (B > 1) len[B - 1] = T;
            if (masked) {
                mask = new float[B * T * T];
                for (int e = 0; e < mask.length; e++) mask[e] = rnd.nextFloat() < 0.2f ? 0f : 1.25f;
            } else {
                mask = null;
            }
        }

        Forward twinForward() {
            Forward f = new Forward(B, T, d);
            Attention.attentionForward(q, 0, k, 0, v, 0, x, 0, len, 0, mask, 0, gamma, 0, beta, 0, B, T, d, f.a, 0, f.s, 0,
                    f.xh, 0, f.rs, 0);
            return f;
        }
    }

    /** The forward's outputs (float). */
    static final class Forward {
        final float[] a, s, xh, rs;

        Forward(int B, int T, int d) {
            a = new float[B * T * T];
            s = new float[B * T * d];
            xh = new float[B * T * d];
            rs = new float[B * T];
        }
    }

    /** The backward's outputs (float). */
    static final class Backward {
        final float[] dR, dQ, dK, dV, dGamma, dBeta;

        Backward(int B, int T, int d) {
            dR = new float[B * T * d];
            dQ = new float[B * T * d];
            dK = new float[B * T * d];
            dV = new float[B * T * d];
            dGamma = new float[B * d];
            dBeta = new float[B * d];
        }
    }

    static Backward twinBackward(Problem p, Forward f, float[] dS) {
        Backward g = new Backward(p.B, p.T, p.d);
        Attention.attentionBackward(dS, 0, f.xh, 0, f.rs, 0, p.gamma, 0, p.q, 0, p.k, 0, p.v, 0, f.a, 0, p.mask, 0, p.len, 0,
                p.B, p.T, p.d, g.dR, 0, g.dQ, 0, g.dK, 0, g.dV, 0, g.dGamma, 0, g.dBeta, 0);
        return g;
    }

    float[] gaussian(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    static double[] wide(float[] a) {
        if (a == null) return null;
        double[] w = new double[a.length];
        for (int i = 0; i < a.length; i++) w[i] = a[i];
        return w;
    }

    // ------------------------------------------------------------------ float64 reference

    /** The reference's outputs: A, S, XH, RS. */
    record Ref(double[] a, double[] s, double[] xh, double[] rs) {
    }

    /** The forward written straight from the equations, in float64. */
    static Ref reference(double[] q, double[] k, double[] v, double[] x, int[] len, double[] mask, double[] gamma,
                         double[] beta, int B, int T, int d) {
        double[] a = new double[B * T * T], s = new double[B * T * d], xh = new double[B * T * d], rs = new double[B * T];
        double scale = 1 / Math.sqrt(d);
        for (int b = 0; b < B; b++) {
            for (int i = 0; i < T; i++) {
                int row = b * T + i;
                double[] r = new double[d];
                for (int c = 0; c < d; c++) r[c] = x[row * d + c];
                if (i < len[b]) {
                    double[] sc = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        for (int c = 0; c < d; c++) sc[j] += q[row * d + c] * k[(b * T + j) * d + c];
                        sc[j] *= scale;
                        max = Math.max(max, sc[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) z += Math.exp(sc[j] - max);
                    for (int j = 0; j <= i; j++) {
                        double aij = Math.exp(sc[j] - max) / z;
                        a[row * T + j] = aij;
                        double w = mask == null ? aij : aij * mask[row * T + j];
                        for (int c = 0; c < d; c++) r[c] += w * v[(b * T + j) * d + c];
                    }
                }
                double mean = 0, var = 0;
                for (int c = 0; c < d; c++) mean += r[c] / d;
                for (int c = 0; c < d; c++) var += (r[c] - mean) * (r[c] - mean) / d;
                double inv = 1 / Math.sqrt(var + 1e-8);
                rs[row] = inv;
                for (int c = 0; c < d; c++) {
                    xh[row * d + c] = (r[c] - mean) * inv;
                    s[row * d + c] = gamma[c] * xh[row * d + c] + beta[c];
                }
            }
        }
        return new Ref(a, s, xh, rs);
    }

    /** ||a - ref|| / ||ref|| (0 when both are 0). */
    static double relativeError(float[] a, double[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (a[i] - ref[i]) * (a[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    // ------------------------------------------------------------------ tests

    @Test
    void forwardMatchesFloat64() {
        int[][] shapes = {{1, 1, 3}, {4, 6, 10}, {3, 19, 33}, {2, 32, 8}};
        for (int[] sh : shapes) {
            for (boolean masked : new boolean[] {false, true}) {
                Problem p = new Problem(sh[0], sh[1], sh[2], masked);
                Forward f = p.twinForward();
                Ref r = reference(wide(p.q), wide(p.k), wide(p.v), wide(p.x), p.len, wide(p.mask), wide(p.gamma), wide(p.beta),
                        p.B, p.T, p.d);
                String at = "B, T, d = " + sh[0] + ", " + sh[1] + ", " + sh[2] + ", masked " + masked + ", seed " + seed;
                assertTrue(relativeError(f.a, r.a()) < 1e-5, "A: " + relativeError(f.a, r.a()) + ", " + at);
                assertTrue(relativeError(f.s, r.s()) < 1e-5, "S: " + relativeError(f.s, r.s()) + ", " + at);
                assertTrue(relativeError(f.xh, r.xh()) < 1e-5, "XH: " + relativeError(f.xh, r.xh()) + ", " + at);
                assertTrue(relativeError(f.rs, r.rs()) < 1e-5, "RS: " + relativeError(f.rs, r.rs()) + ", " + at);
                // A is exactly 0 above the diagonal and on padded rows
                for (int b = 0; b < p.B; b++) {
                    for (int i = 0; i < p.T; i++) {
                        for (int j = 0; j < p.T; j++) {
                            if (j > i || i >= p.len[b]) assertEquals(0f, f.a[(b * p.T + i) * p.T + j], at);
                        }
                    }
                }
            }
        }
    }

    @Test
    void handWorkedCase() {
        // T = 2, d = 2, Q = K = 0: row 0 attends to itself, row 1 half to each slot
        int B = 1, T = 2, d = 2;
        float[] zero = new float[4];
        float[] v = {2, 0, 0, 2}, x = {1, -1, 0, 0};
        float[] gamma = {1, 1}, beta = {0, 0};
        float[] a = new float[4], s = new float[4], xh = new float[4], rs = new float[2];
        Attention.attentionForward(zero, 0, zero, 0, v, 0, x, 0, new int[] {2}, 0, null, 0, gamma, 0, beta, 0, B, T, d, a, 0, s,
                0, xh, 0, rs, 0);
        assertArrayEquals(new float[] {1, 0, 0.5f, 0.5f}, a);
        // R0 = V0 + X0 = (3, -1): mean 1, var 4, RS = 1/2, S = XH = (1, -1)
        assertEquals(0.5f, rs[0], 1e-7f);
        assertEquals(1f, s[0], 1e-6f);
        assertEquals(-1f, s[1], 1e-6f);
        // R1 = (V0 + V1) / 2 + X1 = (1, 1): var 0, RS = 1/sqrt(1e-8) = 1e4, XH = 0, S = beta
        assertEquals(1e4f, rs[1]);
        assertArrayEquals(new float[] {0, 0}, new float[] {s[2], s[3]});
        // with mask (0, ., 2, 0): R0 = X0 = (1, -1); R1 = 0.5 * 2 * V0 + X1 = (2, 0)
        float[] mask = {0, 0, 2, 0};
        Attention.attentionForward(zero, 0, zero, 0, v, 0, x, 0, new int[] {2}, 0, mask, 0, gamma, 0, beta, 0, B, T, d, a, 0, s,
                0, xh, 0, rs, 0);
        assertArrayEquals(new float[] {1, 0, 0.5f, 0.5f}, a); // A is saved before the mask
        assertEquals(1f, rs[0], 1e-7f);
        assertEquals(1f, rs[1], 1e-7f);
        assertArrayEquals(new float[] {1, -1, 1, -1}, s, 1e-6f);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        int[][] shapes = {{1, 1, 4}, {3, 5, 6}, {2, 4, 9}};
        for (int[] sh : shapes) {
            for (boolean masked : new boolean[] {false, true}) {
                Problem p = new Problem(sh[0], sh[1], sh[2], masked);
                int B = p.B, T = p.T, d = p.d;
                String at = "B, T, d = " + B + ", " + T + ", " + d + ", masked " + masked + ", seed " + seed;
                // L = sum W .* S with W = 0 on padded rows (their dS is ignored by contract)
                float[] w = gaussian(B * T * d);
                for (int b = 0; b < B; b++) {
                    for (int e = p.len[b] * d; e < T * d; e++) w[b * T * d + e] = 0f;
                }
                Backward g = twinBackward(p, p.twinForward(), w);
                double[][] in = {wide(p.q), wide(p.k), wide(p.v), wide(p.x), wide(p.gamma), wide(p.beta)};
                double[] mask = wide(p.mask), wd = wide(w);
                float[] dGamma = new float[d], dBeta = new float[d];
                for (int b = 0; b < B; b++) {
                    for (int c = 0; c < d; c++) {
                        dGamma[c] += g.dGamma[b * d + c];
                        dBeta[c] += g.dBeta[b * d + c];
                    }
                }
                float[][] got = {g.dQ, g.dK, g.dV, g.dR, dGamma, dBeta};
                String[] names = {"dQ", "dK", "dV", "dX (= dR)", "dGamma", "dBeta"};
                double h = 1e-5;
                for (int t = 0; t < in.length; t++) {
                    double[] fd = new double[in[t].length];
                    for (int e = 0; e < fd.length; e++) {
                        double keep = in[t][e];
                        in[t][e] = keep + h;
                        double up = loss(in, mask, wd, p);
                        in[t][e] = keep - h;
                        double down = loss(in, mask, wd, p);
                        in[t][e] = keep;
                        fd[e] = (up - down) / (2 * h);
                    }
                    double err = relativeError(got[t], fd);
                    assertTrue(err < 1e-4, names[t] + ": relative error " + err + ", " + at);
                }
            }
        }
    }

    static double loss(double[][] in, double[] mask, double[] w, Problem p) {
        Ref r = reference(in[0], in[1], in[2], in[3], p.len, mask, in[4], in[5], p.B, p.T, p.d);
        double l = 0;
        for (int e = 0; e < w.length; e++) l += w[e] * r.s()[e];
        return l;
    }

    @Test
    void paddedRowsAreAsSpecified() {
        Problem p = new Problem(4, 7, 12, true);
        int B = p.B, T = p.T, d = p.d;
        // the model's padded slots hold X = 0: LayerNorm of 0 is finite, XH = 0, S = beta
        for (int b = 0; b < B; b++) {
            for (int e = p.len[b] * d; e < T * d; e++) p.x[b * T * d + e] = 0f;
        }
        Forward f = p.twinForward();
        float[] dS = gaussian(B * T * d), dSClean = dS.clone();
        for (int b = 0; b < B; b++) {
            for (int i = p.len[b]; i < T; i++) {
                int row = b * T + i;
                assertEquals((float) (1 / Math.sqrt(1e-8)), f.rs[row], "seed " + seed);
                for (int j = 0; j < T; j++) assertEquals(0f, f.a[row * T + j]);
                for (int c = 0; c < d; c++) {
                    assertEquals(0f, f.xh[row * d + c]);
                    assertEquals(p.beta[c], f.s[row * d + c]);
                    dSClean[row * d + c] = 0f;
                }
            }
        }
        Backward g = twinBackward(p, f, dS), clean = twinBackward(p, f, dSClean);
        // padded rows: every gradient exactly 0; the garbage dS there changes nothing anywhere
        for (int b = 0; b < B; b++) {
            for (int e = p.len[b] * d; e < T * d; e++) {
                int o = b * T * d + e;
                assertEquals(0f, g.dR[o]);
                assertEquals(0f, g.dQ[o]);
                assertEquals(0f, g.dK[o]);
                assertEquals(0f, g.dV[o]);
            }
        }
        assertArrayEquals(clean.dR, g.dR);
        assertArrayEquals(clean.dQ, g.dQ);
        assertArrayEquals(clean.dK, g.dK);
        assertArrayEquals(clean.dV, g.dV);
        assertArrayEquals(clean.dGamma, g.dGamma);
        assertArrayEquals(clean.dBeta, g.dBeta);
        // outputs are written, not accumulated: a second call into dirty buffers gives the same
        Backward again = new Backward(B, T, d);
        java.util.Arrays.fill(again.dR, Float.NaN);
        java.util.Arrays.fill(again.dGamma, 7f);
        Attention.attentionBackward(dS, 0, f.xh, 0, f.rs, 0, p.gamma, 0, p.q, 0, p.k, 0, p.v, 0, f.a, 0, p.mask, 0, p.len, 0,
                B, T, d, again.dR, 0, again.dQ, 0, again.dK, 0, again.dV, 0, again.dGamma, 0, again.dBeta, 0);
        assertArrayEquals(g.dR, again.dR);
        assertArrayEquals(g.dGamma, again.dGamma);
        // a len outside [1, T] is refused
        p.len[1] = 0;
        assertThrows(IllegalArgumentException.class, p::twinForward);
    }

    @Test
    void offsetsShiftEveryArray() {
        Problem p = new Problem(2, 5, 7, true);
        Forward f = p.twinForward();
        int o = 3, B = p.B, T = p.T, d = p.d;
        Forward g = new Forward(B, T, d);
        float[] a = new float[o + g.a.length], s = new float[o + g.s.length], xh = new float[o + g.xh.length], rs = new float[o + g.rs.length];
        Attention.attentionForward(shift(p.q, o), o, shift(p.k, o), o, shift(p.v, o), o, shift(p.x, o), o, shiftInts(p.len, o), o,
                shift(p.mask, o), o, shift(p.gamma, o), o, shift(p.beta, o), o, B, T, d, a, o, s, o, xh, o, rs, o);
        assertArrayEquals(f.a, java.util.Arrays.copyOfRange(a, o, a.length));
        assertArrayEquals(f.s, java.util.Arrays.copyOfRange(s, o, s.length));
        assertArrayEquals(f.xh, java.util.Arrays.copyOfRange(xh, o, xh.length));
        assertArrayEquals(f.rs, java.util.Arrays.copyOfRange(rs, o, rs.length));
        float[] dS = gaussian(B * T * d);
        Backward want = twinBackward(p, f, dS);
        float[] dR = new float[o + B * T * d], dQ = dR.clone(), dK = dR.clone(), dV = dR.clone(), dG = new float[o + B * d], dB = dG.clone();
        Attention.attentionBackward(shift(dS, o), o, shift(f.xh, o), o, shift(f.rs, o), o, shift(p.gamma, o), o, shift(p.q, o), o,
                shift(p.k, o), o, shift(p.v, o), o, shift(f.a, o), o, shift(p.mask, o), o, shiftInts(p.len, o), o, B, T, d, dR, o,
                dQ, o, dK, o, dV, o, dG, o, dB, o);
        assertArrayEquals(want.dR, java.util.Arrays.copyOfRange(dR, o, dR.length));
        assertArrayEquals(want.dQ, java.util.Arrays.copyOfRange(dQ, o, dQ.length));
        assertArrayEquals(want.dK, java.util.Arrays.copyOfRange(dK, o, dK.length));
        assertArrayEquals(want.dV, java.util.Arrays.copyOfRange(dV, o, dV.length));
        assertArrayEquals(want.dGamma, java.util.Arrays.copyOfRange(dG, o, dG.length));
        assertArrayEquals(want.dBeta, java.util.Arrays.copyOfRange(dB, o, dB.length));
    }

    static float[] shift(float[] a, int o) {
        float[] s = new float[o + a.length];
        java.util.Arrays.fill(s, Float.NaN);
        System.arraycopy(a, 0, s, o, a.length);
        return s;
    }

    static int[] shiftInts(int[] a, int o) {
        int[] s = new int[o + a.length];
        java.util.Arrays.fill(s, -1);
        System.arraycopy(a, 0, s, o, a.length);
        return s;
    }

    @Test
    void launcherLimitsAndCounts() {
        AttentionKernels.checkForward(512, 19, 100);
        AttentionKernels.checkBackward(512, 19, 100);
        // the largest shape: (3 * 32 * 256 + 2 * 32 * 32) * 4 = 106496 bytes, opted in at launch
        AttentionKernels.checkForward(1, 32, 256);
        AttentionKernels.checkBackward(1, 32, 256);
        assertEquals(106496, AttentionKernels.backwardSharedBytes(32, 256));
        assertEquals(AttentionKernels.MAX_SHARED_BYTES, AttentionKernels.backwardSharedBytes(AttentionKernels.MAX_T, AttentionKernels.MAX_D));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AttentionKernels.checkBackward(1, 32, 257));
        assertTrue(e.getMessage().contains("d = 257"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.checkForward(1, 33, 8));
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.checkForward(1, 4, 257));
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.checkBackward(0, 4, 8));
        assertEquals(128, AttentionKernels.threads(19));
        assertEquals(32, AttentionKernels.threads(1));
        // B = T = d = 1: forward reads Q, K, V, X, len, mask, gamma, beta and writes A, S, XH, RS:
        // 12 floats; backward reads dS, XH, RS, gamma, Q, K, V, A, len and writes dR, dQ, dK, dV,
        // dGammaPart, dBetaPart: 15 floats
        assertEquals(48, AttentionKernels.forwardBytes(1, 1, 1, true));
        assertEquals(44, AttentionKernels.forwardBytes(1, 1, 1, false));
        assertEquals(60, AttentionKernels.backwardBytes(1, 1, 1, false));
        // T = 2, d = 3: 3 pairs; forward 3 * (12 + 7) + 8 * 6 = 105; backward 3 * (24 + 7) + 11 * 6 = 159
        assertEquals(105, AttentionKernels.forwardFlops(1, 2, 3));
        assertEquals(2 * 159, AttentionKernels.backwardFlops(2, 2, 3));
    }
}
