package org.lgsr.baselines;

import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.eval.BatchScorer;

/**
 * S-POP: the most frequent items of the current session (its whole input prefix) first; items
 * tied there, and all items not in the session, ordered by global popularity.
 *
 * <p>Score = {@code countInSession * R + popularityRank}, with dense popularity ranks
 * {@code < R}; the product stays below 2^24, so floats hold it exactly.
 */
public final class SPop implements BatchScorer {
    private final float[] base;
    private final int scale;
    private final int maxCount;

    public SPop(Sessions train, int numItems) {
        int[] rank = Popularity.denseRanks(Popularity.counts(train, numItems));
        int max = 0;
        base = new float[numItems];
        for (int j = 0; j < numItems; j++) {
            base[j] = rank[j];
            max = Math.max(max, rank[j]);
        }
        scale = max + 1;
        maxCount = (1 << 24) / scale - 1;
    }

    @Override
    public int numItems() {
        return base.length;
    }

    @Override
    public boolean threadSafe() {
        return true;
    }

    @Override
    public void score(Samples samples, int first, int count, float[] out) {
        Sessions in = samples.inputs();
        int n = base.length;
        for (int r = 0; r < count; r++) {
            int off = r * n;
            System.arraycopy(base, 0, out, off, n);
            int s = first + r;
            for (int k = 0; k < in.length(s); k++) {
                int v = in.item(s, k);
                if (v < n && out[off + v] < (float) maxCount * scale) out[off + v] += scale;
            }
        }
    }
}
