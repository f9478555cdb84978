package org.lgsr.baselines;

import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.eval.BatchScorer;

/** POP: every session gets the most frequent items of the training sessions. */
public final class Pop implements BatchScorer {
    private final float[] scores;

    public Pop(Sessions train, int numItems) {
        int[] c = Popularity.counts(train, numItems);
        scores = new float[numItems];
        for (int j = 0; j < numItems; j++) scores[j] = c[j];
    }

    @Override
    public int numItems() {
        return scores.length;
    }

    @Override
    public boolean threadSafe() {
        return true;
    }

    @Override
    public void score(Samples samples, int first, int count, float[] out) {
        for (int r = 0; r < count; r++) System.arraycopy(scores, 0, out, r * scores.length, scores.length);
    }
}
