package org.lgsr.graph;

/**
 * Walker's alias method (Vose's stable construction) for many discrete distributions at once,
 * laid out like a CSR matrix: distribution {@code s} covers the slots {@code [offsets[s],
 * offsets[s+1])} and its (unnormalized, non-negative) weights are {@code w[offsets[s] ..]}.
 * Built once in O(slots); each draw is O(1) from one uniform number.
 *
 * <p>Slot {@code k} keeps itself with probability {@code prob[k]}, else yields its alias
 * {@code alias[k]} (an absolute slot index in the same segment). A draw with {@code u} in
 * [0, 1): {@code x = u * n}, column {@code j = floor(x)}, coin {@code x - j}. An empty segment
 * cannot be sampled.
 */
public final class AliasTable {
    private final int[] offsets;
    private final double[] prob;
    private final int[] alias;

    public AliasTable(int[] offsets, double[] weights) {
        if (offsets.length == 0 || offsets[0] != 0 || offsets[offsets.length - 1] != weights.length) {
            throw new IllegalArgumentException("offsets do not describe the weights");
        }
        this.offsets = offsets;
        this.prob = new double[weights.length];
        this.alias = new int[weights.length];
        int maxLen = 0;
        for (int s = 0; s + 1 < offsets.length; s++) maxLen = Math.max(maxLen, offsets[s + 1] - offsets[s]);
        int[] small = new int[maxLen];
        int[] large = new int[maxLen];
        double[] scaled = new double[maxLen];
        for (int s = 0; s + 1 < offsets.length; s++) {
            build(weights, offsets[s], offsets[s + 1] - offsets[s], small, large, scaled);
        }
    }

    /** A table for a single distribution. */
    public static AliasTable of(double... weights) {
        return new AliasTable(new int[] {0, weights.length}, weights);
    }

    /** The alias tables of every node's out-edges of {@code g}; segment = item id. */
    public static AliasTable of(ItemGraph g) {
        return new AliasTable(g.offsets(), g.weights());
    }

    private void build(double[] w, int from, int n, int[] small, int[] large, double[] scaled) {
        if (n == 0) return;
        double sum = 0;
        for (int k = 0; k < n; k++) {
            double x = w[from + k];
            if (!(x >= 0) || Double.isInfinite(x)) throw new IllegalArgumentException("bad weight " + x + " at slot " + (from + k));
            sum += x;
        }
        if (!(sum > 0)) throw new IllegalArgumentException("weights of segment at slot " + from + " sum to " + sum);
        int ns = 0;
        int nl = 0;
        for (int k = 0; k < n; k++) {
            scaled[k] = w[from + k] * n / sum;
            if (scaled[k] < 1.0) small[ns++] = k;
            else large[nl++] = k;
        }
        while (ns > 0 && nl > 0) {
            int a = small[--ns];
            int b = large[--nl];
            prob[from + a] = scaled[a];
            alias[from + a] = from + b;
            scaled[b] = (scaled[b] + scaled[a]) - 1.0;
            if (scaled[b] < 1.0) small[ns++] = b;
            else large[nl++] = b;
        }
        // leftovers are 1 up to rounding
        while (nl > 0) {
            int b = large[--nl];
            prob[from + b] = 1.0;
            alias[from + b] = from + b;
        }
        while (ns > 0) {
            int a = small[--ns];
            prob[from + a] = 1.0;
            alias[from + a] = from + a;
        }
    }

    /** A copy of the segment offsets (length {@code segments() + 1}). */
    public int[] offsets() {
        return offsets.clone();
    }

    /** A copy of the keep probabilities, one per slot. */
    public double[] prob() {
        return prob.clone();
    }

    /** A copy of the aliases, one per slot (absolute slot indices within the same segment). */
    public int[] alias() {
        return alias.clone();
    }

    /** Number of segments. */
    public int segments() {
        return offsets.length - 1;
    }

    public int size(int segment) {
        return offsets[segment + 1] - offsets[segment];
    }

    /** An absolute slot of {@code segment} drawn with {@code u} uniform in [0, 1). */
    public int sample(int segment, double u) {
        int from = offsets[segment];
        int n = offsets[segment + 1] - from;
        double x = u * n;
        int j = (int) x;
        if (j >= n) j = n - 1; // u * n may round up to n
        int k = from + j;
        return (x - j) < prob[k] ? k : alias[k];
    }

    /** Probability that {@link #sample} yields absolute slot {@code k} (for tests). */
    public double probability(int segment, int k) {
        int from = offsets[segment];
        int n = offsets[segment + 1] - from;
        double p = 0;
        for (int j = from; j < from + n; j++) {
            if (j == k) p += prob[j];
            if (alias[j] == k && j != k) p += 1.0 - prob[j];
        }
        return p / n;
    }
}
