package org.lgsr.model.cpu;

import org.lgsr.data.Samples;
import org.lgsr.eval.BatchScorer;
import org.lgsr.model.Batch;

/**
 * The evaluator's side of a model engine: fills a batch from the samples, checks its item ids,
 * and has the engine score every item ({@link #scoreBatch}). Not thread-safe.
 */
abstract class BatchedScorer implements BatchScorer, AutoCloseable {
    private final int numItems;
    private final int batchSize;
    private final Batch batch;

    BatchedScorer(int numItems, int maxLen, int batchSize) {
        this.numItems = numItems;
        this.batchSize = batchSize;
        this.batch = new Batch(batchSize, maxLen);
    }

    /** Frees the engine (no checked exception). */
    @Override
    public abstract void close();

    /** Scores of every item for the batch's rows, row-major into {@code out}. */
    protected abstract void scoreBatch(Batch b, float[] out);

    @Override
    public int numItems() {
        return numItems;
    }

    @Override
    public int batchSize() {
        return batchSize;
    }

    @Override
    public void score(Samples samples, int first, int count, float[] out) {
        batch.fill(samples, null, first, count);
        batch.check(numItems);
        scoreBatch(batch, out);
    }
}
