package org.lgsr.baselines;

import org.lgsr.data.Sessions;

/** Item occurrence counts over the training sessions, shared by POP and S-POP. */
final class Popularity {
    private Popularity() {
    }

    static int[] counts(Sessions sessions, int numItems) {
        int[] c = new int[numItems];
        for (int v : sessions.items()) c[v]++;
        return c;
    }

    /**
     * Dense popularity ranks: 0 for the least frequent count, increasing with the count, equal
     * counts sharing a rank. Order-preserving and small enough to combine exactly in a float.
     */
    static int[] denseRanks(int[] counts) {
        int[] sorted = counts.clone();
        java.util.Arrays.sort(sorted);
        int[] distinct = new int[sorted.length];
        int d = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) distinct[d++] = sorted[i];
        }
        int[] rank = new int[counts.length];
        for (int j = 0; j < counts.length; j++) rank[j] = java.util.Arrays.binarySearch(distinct, 0, d, counts[j]);
        return rank;
    }
}
