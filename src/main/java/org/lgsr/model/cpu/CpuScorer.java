package org.lgsr.model.cpu;

import org.lgsr.data.Samples;
import org.lgsr.eval.BatchScorer;
import org.lgsr.model.Batch;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.Parameters;

/**
 * Scores every item with the recommendation module, dropout off: z = s_f E^T. Holds its own
 * engine and a transposed copy of E taken at construction, so the parameters must not change
 * while it is used. Not thread-safe (the engine itself runs on {@code threads} threads).
 */
public final class CpuScorer implements BatchScorer, AutoCloseable {
    private final ModelConfig cfg;
    private final Parameters params;
    private final CpuModel engine;
    private final Batch batch;
    private final int batchSize;

    public CpuScorer(ModelConfig cfg, Parameters params, int batchSize, int threads) {
        this.cfg = cfg;
        this.params = params;
        this.batchSize = batchSize;
        this.engine = new CpuModel(cfg, batchSize, threads);
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
