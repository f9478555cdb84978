package org.lgsr.cpu;

import org.lgsr.eval.Ranking;

/**
 * The scoring layer (MODEL.md 2.8-2.9): scores {@code z[b, j] = sf[b] . E[j]} for every item
 * {@code j = 1..n-1} (item 0 is padding: never scored, never predicted), the softmax
 * cross-entropy of the target, its gradients, the target's rank and the top-K items. CPU twin
 * of the kernels in {@code cuda/softmax_ce.cu} (launched by
 * {@code org.lgsr.gpu.kernels.SoftmaxCeKernels}).
 *
 * <p>Shapes: {@code sf} (B, d), {@code e} (n, d) row-major, {@code target} (B) in [1, n); every
 * array is followed by the offset of its first element. Arithmetic: each score is
 * {@link #score}, the kernels' fma chain, so scores are bit-identical to the GPU's; sums over
 * items or sessions (log-sum-exp, both gradient products) are accumulated in float64 and
 * rounded to float once.
 */
public final class SoftmaxCe {
    private SoftmaxCe() {
    }

    /**
     * {@code sf[sfOff..sfOff+d) . e[eOff..eOff+d)} as one fused multiply-add chain over k in
     * order from +0: {@code acc = fma(sf[k], e[k], acc)}, each step rounded once to float.
     */
    public static float score(float[] sf, int sfOff, float[] e, int eOff, int d) {
        float acc = 0.0f;
        for (int k = 0; k < d; k++) acc = Math.fma(sf[sfOff + k], e[eOff + k], acc);
        return acc;
    }

    /**
     * {@code lse[b] = log sum_{j=1}^{n-1} exp(z[b, j])} (max-shifted, the sum in float64) and
     * {@code loss[b] = lse[b] - z[b, target[b]]} in float (twin of softmax_ce_forward).
     */
    public static void softmaxCeForward(float[] sf, int sfOff, float[] e, int eOff, int[] target, int targetOff, int b,
                                        int n, int d, float[] lse, int lseOff, float[] loss, int lossOff) {
        checkSizes(b, n, d);
        float[] z = new float[n];
        for (int r = 0; r < b; r++) {
            int t = target(target, targetOff, r, n);
            scores(sf, sfOff + r * d, e, eOff, n, d, z);
            float l = logSumExp(z, n);
            lse[lseOff + r] = l;
            loss[lossOff + r] = l - z[t];
        }
    }

    /**
     * The gradients of {@code scale * sum_b loss[b]} given {@code lse} from the forward: with
     * {@code P[b, j] = exp(z[b, j] - lse[b]) * scale - (j == target[b] ? scale : 0)} for j >= 1,
     * {@code dsf = P E} (B, d) and {@code dE = P^T sf} (n, d), both overwritten, row 0 of dE
     * written 0 (twin of softmax_ce_backward). P and both sums in float64.
     */
    public static void softmaxCeBackward(float[] sf, int sfOff, float[] e, int eOff, int[] target, int targetOff,
                                         float[] lse, int lseOff, int b, int n, int d, float scale, float[] dsf,
                                         int dsfOff, float[] dE, int dEOff) {
        checkSizes(b, n, d);
        float[] z = new float[n];
        double[] gE = new double[n * d];
        double[] gs = new double[d];
        for (int r = 0; r < b; r++) {
            int t = target(target, targetOff, r, n);
            int x = sfOff + r * d;
            scores(sf, x, e, eOff, n, d, z);
            java.util.Arrays.fill(gs, 0.0);
            for (int j = 1; j < n; j++) {
                double p = Math.exp((double) z[j] - lse[lseOff + r]) * scale - (j == t ? (double) scale : 0.0);
                int y = eOff + j * d, g = j * d;
                for (int k = 0; k < d; k++) {
                    gs[k] += p * e[y + k];
                    gE[g + k] += p * sf[x + k];
                }
            }
            for (int k = 0; k < d; k++) dsf[dsfOff + r * d + k] = (float) gs[k];
        }
        for (int i = 0; i < n * d; i++) dE[dEOff + i] = (float) gE[i];
    }

    /**
     * {@code rank[b]} = 1 + the number of items j in 1..n-1, j != t, with {@code z[b, j] > z[b, t]}
     * or {@code z[b, j] == z[b, t] and j < t}, t = target[b]; n - 1 when z[b, t] is NaN
     * ({@link Ranking#rank}; twin of rank_targets).
     */
    public static void rankTargets(float[] sf, int sfOff, float[] e, int eOff, int[] target, int targetOff, int b,
                                   int n, int d, int[] rank, int rankOff) {
        checkSizes(b, n, d);
        float[] z = new float[n];
        for (int r = 0; r < b; r++) {
            int t = target(target, targetOff, r, n);
            scores(sf, sfOff + r * d, e, eOff, n, d, z);
            rank[rankOff + r] = Ranking.rank(z, 0, n, t);
        }
    }

    /**
     * The K best items 1..n-1 of each row: {@code items} (B, K) by score descending, ties by the
     * smaller id first, a NaN score ordered as -inf; {@code scores} (B, K) their scores (twin of
     * top_k). {@code 1 <= K <= n - 1}.
     */
    public static void topK(float[] sf, int sfOff, float[] e, int eOff, int b, int n, int d, int k, int[] items,
                            int itemsOff, float[] scores, int scoresOff) {
        checkSizes(b, n, d);
        if (k < 1 || k > n - 1) throw new IllegalArgumentException("top_k: K = " + k + " must be in 1..n-1 = " + (n - 1));
        float[] z = new float[n];
        int[] best = new int[k];
        for (int r = 0; r < b; r++) {
            scores(sf, sfOff + r * d, e, eOff, n, d, z);
            int kept = 0;
            for (int j = 1; j < n; j++) {
                // items arrive by increasing id, so a tie never displaces a kept item
                if (kept == k && !(key(z[j]) > key(z[best[k - 1]]))) continue;
                int at = kept == k ? k - 1 : kept++;
                while (at > 0 && key(z[j]) > key(z[best[at - 1]])) {
                    best[at] = best[at - 1];
                    at--;
                }
                best[at] = j;
            }
            for (int i = 0; i < k; i++) {
                items[itemsOff + r * k + i] = best[i];
                scores[scoresOff + r * k + i] = z[best[i]];
            }
        }
    }

    /** The order key of top_k: the score, NaN as -inf. */
    static float key(float s) {
        return Float.isNaN(s) ? Float.NEGATIVE_INFINITY : s;
    }

    /** z[j] = score(sf row, e row j) for j = 1..n-1; z[0] is left as it is. */
    private static void scores(float[] sf, int x, float[] e, int eOff, int n, int d, float[] z) {
        for (int j = 1; j < n; j++) z[j] = score(sf, x, e, eOff + j * d, d);
    }

    /** log sum_{j=1}^{n-1} exp(z[j]): the max in float, the shifted sum and the log in float64. */
    private static float logSumExp(float[] z, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 1; j < n; j++) m = Math.max(m, z[j]);
        double s = 0.0;
        for (int j = 1; j < n; j++) s += Math.exp((double) z[j] - m);
        return (float) (m + Math.log(s));
    }

    private static int target(int[] target, int targetOff, int r, int n) {
        int t = target[targetOff + r];
        if (t < 1 || t >= n) throw new IllegalArgumentException("target " + t + " of row " + r + " is outside [1, " + n + ")");
        return t;
    }

    private static void checkSizes(int b, int n, int d) {
        if (b < 1) throw new IllegalArgumentException("softmax_ce: B = " + b + " must be >= 1");
        if (n < 2) throw new IllegalArgumentException("softmax_ce: n = " + n + " must be >= 2 (item 0 is padding)");
        if (d < 1) throw new IllegalArgumentException("softmax_ce: d = " + d + " must be >= 1");
    }
}
