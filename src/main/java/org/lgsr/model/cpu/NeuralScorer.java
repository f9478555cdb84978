package org.lgsr.model.cpu;

import org.lgsr.data.Samples;
import org.lgsr.eval.BatchScorer;
import org.lgsr.model.Batch;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.NeuralParameters;

/**
 * Scores every item with a neural baseline (STAMP, GRU4Rec) for the evaluator. Holds its own
 * engine and a copy of the item table taken at construction, so the parameters must not change
 * while it is used. Not thread-safe (the engine itself runs on {@code threads} threads).
 */
public final class NeuralScorer implements BatchScorer, AutoCloseable {
    private final NeuralConfig cfg;
    private final NeuralParameters params;
    private final NeuralCpuModel engine;
    private final Batch batch;
    private final int batchSize;

    public NeuralScorer(NeuralConfig cfg, NeuralParameters params, int batchSize, int threads) {
        this.cfg = cfg;
        this.params = params;
        this.batchSize = batchSize;
        this.engine = new NeuralCpuModel(cfg, batchSize, threads);
        this.batch = new Batch(batchSize, cfg.maxLen());
        engine.refreshItemTable(params);
    }

    @Override
    public int numItems() {
        return cfg.numItems();
    }

    @Override
    public int batchSize() {
        return batchSize;
    }

    @Override
    public void score(Samples samples, int first, int count, float[] out) {
        batch.fill(samples, null, first, count);
        batch.check(cfg.numItems());
        engine.scoreAll(params, batch, out);
    }

    @Override
    public void close() {
        engine.close();
    }
}
