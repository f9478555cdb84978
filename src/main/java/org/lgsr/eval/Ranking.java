package org.lgsr.eval;

/**
 * The rank of a target among all items 1..n-1 (MODEL.md section 1): one plus the number of
 * items with a strictly higher score, plus the number of items with an equal score and a
 * smaller id. A NaN score of the target ranks it last.
 */
public final class Ranking {
    private Ranking() {
    }

    /** Rank of {@code target} in {@code row[offset+1 .. offset+n-1]}. */
    public static int rank(float[] row, int offset, int n, int target) {
        float t = row[offset + target];
        if (Float.isNaN(t)) return n - 1;
        int higher = 0;
        for (int j = 1; j < target; j++) {
            if (row[offset + j] >= t) higher++;
        }
        for (int j = target + 1; j < n; j++) {
            if (row[offset + j] > t) higher++;
        }
        return higher + 1;
    }

    public static int rank(double[] row, int n, int target) {
        double t = row[target];
        if (Double.isNaN(t)) return n - 1;
        int higher = 0;
        for (int j = 1; j < target; j++) {
            if (row[j] >= t) higher++;
        }
        for (int j = target + 1; j < n; j++) {
            if (row[j] > t) higher++;
        }
        return higher + 1;
    }
}
