package org.lgsr.eval;

import java.util.Arrays;

/**
 * P@K (hit rate) and MRR@K, in percent, for several cut-offs at once, accumulated from ranks.
 * Not thread-safe; merge per-thread instances with {@link #merge}.
 */
public final class Metrics {
    private final int[] ks;
    private final long[] hits;
    private final double[] reciprocal;
    private long count;

    public Metrics(int... ks) {
        if (ks.length == 0) throw new IllegalArgumentException("at least one cut-off K is needed");
        for (int k : ks) {
            if (k < 1) throw new IllegalArgumentException("cut-off K must be >= 1, got " + k);
        }
        this.ks = ks.clone();
        this.hits = new long[ks.length];
        this.reciprocal = new double[ks.length];
    }

    public void add(int rank) {
        count++;
        for (int i = 0; i < ks.length; i++) {
            if (rank <= ks[i]) {
                hits[i]++;
                reciprocal[i] += 1.0 / rank;
            }
        }
    }

    public void merge(Metrics other) {
        if (!Arrays.equals(ks, other.ks)) throw new IllegalArgumentException("different cut-offs");
        count += other.count;
        for (int i = 0; i < ks.length; i++) {
            hits[i] += other.hits[i];
            reciprocal[i] += other.reciprocal[i];
        }
    }

    public int[] ks() {
        return ks.clone();
    }

    public long count() {
        return count;
    }

    private int index(int k) {
        for (int i = 0; i < ks.length; i++) {
            if (ks[i] == k) return i;
        }
        throw new IllegalArgumentException("K=" + k + " was not evaluated; evaluated: " + Arrays.toString(ks));
    }

    /** P@K in percent. */
    public double precision(int k) {
        return count == 0 ? 0 : 100.0 * hits[index(k)] / count;
    }

    /** MRR@K in percent. */
    public double mrr(int k) {
        return count == 0 ? 0 : 100.0 * reciprocal[index(k)] / count;
    }

    /** e.g. {@code P@10 41.20  MRR@10 20.11  P@20 52.30  MRR@20 20.90}. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        for (int k : ks) {
            if (sb.length() > 0) sb.append("  ");
            sb.append(String.format("P@%d %.2f  MRR@%d %.2f", k, precision(k), k, mrr(k)));
        }
        return sb.toString();
    }
}
