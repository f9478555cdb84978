package org.lgsr.cpu;

/**
 * The attentive aggregation of the recommendation module (MODEL.md 2.6-2.7) and the LGSR-A
 * last-item path; CPU twins of the kernels in {@code cuda/aggregate.cu}, with CpuModel's float
 * arithmetic in CpuModel's order ({@code encodeForward} from the aggregation to catD,
 * {@code encodeBackward} from dcat to dF before the Wa products).
 *
 * <p>Shapes (row-major; b &lt; B sessions, i &lt; T slots, c &lt; d): F, G, dF, dG (B, T, d);
 * U, dU, Ft, dFt, dqPart (B, d); alpha (B, T); q (d); len (B), the valid slots of each session
 * (left-aligned, in [1, T]); cat, catD, dCatD, maskC (B, 2d) for LGSR-C, (B, d) for LGSR-A.
 * A {@code null} maskC means no dropout (a 0 pointer on the device). {@code hard}: the hard
 * sigmoid (kernel argument 1) instead of the logistic sigmoid (0). Every array is followed by
 * the offset of its first element.
 */
public final class Aggregate {
    /** The kernels' limits on T and d (aggregateForward, aggregateBackward). */
    public static final int MAX_T = 32;
    public static final int MAX_D = 256;

    private Aggregate() {
    }

    /** h(x): max(0, min(1, 0.2x + 0.5)) when hard, else 1 / (1 + e^-x) (CpuModel.hs). */
    public static float h(float x, boolean hard) {
        if (hard) return Math.max(0f, Math.min(1f, 0.2f * x + 0.5f));
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    /** h'(x): 0.2 where 0 &lt; 0.2x + 0.5 &lt; 1 (else 0) when hard, else s (1 - s) (CpuModel.hsPrime). */
    public static float hPrime(float x, boolean hard) {
        if (hard) {
            float y = 0.2f * x + 0.5f;
            return y > 0f && y < 1f ? 0.2f : 0f;
        }
        float s = (float) (1.0 / (1.0 + Math.exp(-x)));
        return s * (1 - s);
    }

    /** Ft[b] = F[b, len[b]-1] (twin of gather_last). */
    public static void gatherLast(float[] F, int fOff, int[] len, int lenOff, int B, int T, int d, float[] Ft, int ftOff) {
        for (int b = 0; b < B; b++) {
            int t = len(len, lenOff, b, T);
            System.arraycopy(F, fOff + (b * T + t - 1) * d, Ft, ftOff + b * d, d);
        }
    }

    /** dF[b, len[b]-1] += dFt[b] (twin of add_last). */
    public static void addLast(float[] dF, int dfOff, float[] dFt, int dftOff, int[] len, int lenOff, int B, int T, int d) {
        for (int b = 0; b < B; b++) {
            int o = dfOff + (b * T + len(len, lenOff, b, T) - 1) * d, s = dftOff + b * d;
            for (int c = 0; c < d; c++) dF[o + c] += dFt[s + c];
        }
    }

    /**
     * LGSR-C forward (twin of aggregate_forward). On entry G = F Wa2 and U = Ft Wa1; G[b, i] +=
     * U[b] on every slot i &lt; T (padded too); alpha = softmax over the valid slots of
     * e_i = q . h(G[b, i]), 0 at padded slots; cat[b] = [F[b, len-1] ; sum_i alpha_i F[b, i]];
     * catD = cat * maskC (a copy when maskC is null).
     */
    public static void aggregateForward(float[] G, int gOff, float[] U, int uOff, float[] F, int fOff, float[] q, int qOff,
                                        int[] len, int lenOff, float[] maskC, int mOff, int B, int T, int d, boolean hard,
                                        float[] alpha, int aOff, float[] cat, int catOff, float[] catD, int catDOff) {
        checkLimits(T, d);
        float[] e = new float[T];
        final int cd = 2 * d;
        for (int b = 0; b < B; b++) {
            final int t = len(len, lenOff, b, T), base = fOff + b * T * d, gb = gOff + b * T * d, uo = uOff + b * d;
            final int co = catOff + b * cd, ao = aOff + b * T;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < T; i++) {
                int o = gb + i * d;
                float s = 0;
                for (int c = 0; c < d; c++) {
                    float g = G[o + c] + U[uo + c];
                    G[o + c] = g;
                    if (i < t) s += q[qOff + c] * h(g, hard);
                }
                if (i < t) {
                    e[i] = s;
                    if (s > max) max = s;
                }
            }
            float sum = 0;
            for (int i = 0; i < t; i++) {
                float x = (float) Math.exp(e[i] - max);
                alpha[ao + i] = x;
                sum += x;
            }
            for (int i = t; i < T; i++) alpha[ao + i] = 0f;
            System.arraycopy(F, base + (t - 1) * d, cat, co, d);
            for (int c = 0; c < d; c++) cat[co + d + c] = 0f;
            for (int i = 0; i < t; i++) {
                float a = alpha[ao + i] / sum;
                alpha[ao + i] = a;
                int o = base + i * d;
                for (int c = 0; c < d; c++) cat[co + d + c] += a * F[o + c];
            }
            mask(cat, co, maskC, mOff + b * cd, cd, catD, catDOff + b * cd);
        }
    }

    /**
     * LGSR-C backward (twin of aggregate_backward): dcat = dCatD * maskC; for valid i,
     * dF[b, i] = alpha_i dcat[d:2d] (plus dcat[0:d] at len-1), dalpha_i = F_i . dcat[d:2d],
     * de_i = alpha_i (dalpha_i - sum_j alpha_j dalpha_j), dqPart[b] = sum_i de_i h(G_i),
     * dG_i = de_i q .* h'(G_i), dU[b] = sum_i dG_i; dF and dG are 0 at padded slots. G is the
     * forward's output (G + U).
     */
    public static void aggregateBackward(float[] dCatD, int dcOff, float[] maskC, int mOff, float[] G, int gOff, float[] F,
                                         int fOff, float[] alpha, int aOff, float[] q, int qOff, int[] len, int lenOff,
                                         int B, int T, int d, boolean hard, float[] dF, int dfOff, float[] dG, int dgOff,
                                         float[] dU, int duOff, float[] dqPart, int dqOff) {
        checkLimits(T, d);
        final int cd = 2 * d;
        float[] dcat = new float[cd], dalpha = new float[T];
        for (int b = 0; b < B; b++) {
            final int t = len(len, lenOff, b, T), ao = aOff + b * T;
            mask(dCatD, dcOff + b * cd, maskC, mOff + b * cd, cd, dcat, 0);
            final int fo = dfOff + b * T * d, go = dgOff + b * T * d;
            for (int k = 0; k < T * d; k++) dF[fo + k] = 0f;
            for (int c = 0; c < d; c++) dF[fo + (t - 1) * d + c] = dcat[c];
            // s_l = sum_i alpha_i F_i
            float dot = 0;
            for (int i = 0; i < t; i++) {
                float a = alpha[ao + i], da = 0;
                int o = fOff + (b * T + i) * d;
                for (int c = 0; c < d; c++) {
                    dF[fo + i * d + c] += a * dcat[d + c];
                    da += F[o + c] * dcat[d + c];
                }
                dalpha[i] = da;
                dot += a * da;
            }
            // e_i = q . h(G_i)
            final int uo = duOff + b * d, qo = dqOff + b * d;
            for (int c = 0; c < d; c++) {
                dU[uo + c] = 0f;
                dqPart[qo + c] = 0f;
            }
            for (int i = 0; i < t; i++) {
                float de = alpha[ao + i] * (dalpha[i] - dot);
                int o = gOff + (b * T + i) * d;
                for (int c = 0; c < d; c++) {
                    float g = G[o + c];
                    dqPart[qo + c] += de * h(g, hard);
                    float v = de * q[qOff + c] * hPrime(g, hard);
                    dG[go + i * d + c] = v;
                    dU[uo + c] += v;
                }
            }
            for (int k = t * d; k < T * d; k++) dG[go + k] = 0f;
        }
    }

    /** LGSR-A forward (twin of last_forward): cat[b] = F[b, len-1], catD = cat * maskC. */
    public static void lastForward(float[] F, int fOff, int[] len, int lenOff, float[] maskC, int mOff, int B, int T, int d,
                                   float[] cat, int catOff, float[] catD, int catDOff) {
        gatherLast(F, fOff, len, lenOff, B, T, d, cat, catOff);
        mask(cat, catOff, maskC, mOff, B * d, catD, catDOff);
    }

    /** LGSR-A backward (twin of last_backward): dF = 0 except dF[b, len-1] = dCatD[b] * maskC[b]. */
    public static void lastBackward(float[] dCatD, int dcOff, float[] maskC, int mOff, int[] len, int lenOff, int B, int T,
                                    int d, float[] dF, int dfOff) {
        for (int b = 0; b < B; b++) {
            int t = len(len, lenOff, b, T), o = dfOff + b * T * d;
            for (int k = 0; k < T * d; k++) dF[o + k] = 0f;
            mask(dCatD, dcOff + b * d, maskC, mOff + b * d, d, dF, o + (t - 1) * d);
        }
    }

    /** out[0, n) = x[0, n) * mask[0, n), a copy when mask is null. */
    private static void mask(float[] x, int xOff, float[] mask, int mOff, int n, float[] out, int oOff) {
        if (mask == null) System.arraycopy(x, xOff, out, oOff, n);
        else for (int k = 0; k < n; k++) out[oOff + k] = x[xOff + k] * mask[mOff + k];
    }

    private static int len(int[] len, int lenOff, int b, int T) {
        int t = len[lenOff + b];
        if (t < 1 || t > T) throw new IllegalArgumentException("len[" + b + "] = " + t + " is outside [1, T = " + T + "]");
        return t;
    }

    private static void checkLimits(int T, int d) {
        if (T < 1 || T > MAX_T) throw new IllegalArgumentException("T = " + T + " is outside [1, " + MAX_T + "]");
        if (d < 1 || d > MAX_D) throw new IllegalArgumentException("d = " + d + " is outside [1, " + MAX_D + "]");
    }
}
