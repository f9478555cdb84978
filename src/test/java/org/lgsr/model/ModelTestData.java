package org.lgsr.model;

import java.util.SplittableRandom;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;

/** Small random inputs for the model tests. */
public final class ModelTestData {
    private ModelTestData() {
    }

    /**
     * {@code count} samples with items in 1..n-1; lengths cycle through 1, maxLen+3 (truncated),
     * then random 1..maxLen+2, so every batch has length-1 rows, padded rows and full rows.
     */
    public static Samples samples(int count, int numItems, int maxLen, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Sessions.Builder b = new Sessions.Builder();
        int[] targets = new int[count];
        for (int s = 0; s < count; s++) {
            int len = s % 3 == 0 ? 1 : s % 3 == 1 ? maxLen + 3 : 1 + r.nextInt(maxLen + 2);
            int[] in = new int[len];
            for (int i = 0; i < len; i++) in[i] = 1 + r.nextInt(numItems - 1);
            b.add(in);
            targets[s] = 1 + r.nextInt(numItems - 1);
        }
        return new Samples(b.build(), targets);
    }
}
