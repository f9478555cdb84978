package org.lgsr.model.cpu;

import org.lgsr.model.Batch;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.Parameters;

/**
 * Scores every item with the recommendation module, dropout off: z = s_f E^T. Holds its own
 * engine and a transposed copy of E taken at construction, so the parameters must not change
 * while it is used. Not thread-safe (the engine itself runs on {@code threads} threads).
 */
public final class CpuScorer extends BatchedScorer {
    private final Parameters params;
    private final CpuModel engine;

    public CpuScorer(ModelConfig cfg, Parameters params, int batchSize, int threads) {
        super(cfg.numItems(), cfg.maxLen(), batchSize);
        this.params = params;
        this.engine = new CpuModel(cfg, batchSize, threads);
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
