package org.lgsr.model.cpu;

import org.lgsr.model.Batch;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.NeuralParameters;

/**
 * Scores every item with a neural baseline (STAMP, GRU4Rec) for the evaluator. Holds its own
 * engine and a copy of the item table taken at construction, so the parameters must not change
 * while it is used. Not thread-safe (the engine itself runs on {@code threads} threads).
 */
public final class NeuralScorer extends BatchedScorer {
    private final NeuralParameters params;
    private final NeuralCpuModel engine;

    public NeuralScorer(NeuralConfig cfg, NeuralParameters params, int batchSize, int threads) {
        super(cfg.numItems(), cfg.maxLen(), batchSize);
        this.params = params;
        this.engine = new NeuralCpuModel(cfg, batchSize, threads);
        engine.refreshItemTable(params);
    }

    @Override
    protected void scoreBatch(Batch b, float[] out) {
        engine.scoreAll(params, b, out);
    }

    @Override
    public void close() {
        engine.close();
    }
}
