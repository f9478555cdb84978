package org.lgsr.eval;

import org.lgsr.data.Samples;

/**
 * Anything that scores every item for a batch of samples: a trained model or a baseline.
 * {@link #score} fills {@code out[r * numItems + j]} with the score of item {@code j} for sample
 * {@code first + r}; column 0 (padding) is ignored by the evaluator.
 */
public interface BatchScorer {
    /** Number of item ids scored per row: ids {@code 0 .. numItems()-1}. */
    int numItems();

    /** Preferred number of rows per call. */
    default int batchSize() {
        return 256;
    }

    /** Whether {@link #score} may be called from several threads at once. */
    default boolean threadSafe() {
        return false;
    }

    void score(Samples samples, int first, int count, float[] out);
}
