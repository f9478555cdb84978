package org.lgsr.model.cpu;

import org.lgsr.model.Batch;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.Gru4RecCell;
import org.lgsr.model.neural.NeuralLayout;
import org.lgsr.model.neural.NeuralParameters;

/**
 * Scores every item with a neural baseline (STAMP, GRU4Rec, NARM, SR-GNN) for the evaluator. Holds its own
 * engine and a copy of the item table taken at construction, so the parameters must not change
 * while it is used. Not thread-safe (the engine itself runs on {@code threads} threads).
 *
 * <p>GRU4Rec's code form ({@code --variant gru4rec-code}, which the float engine does not compute) runs its
 * GRU here, in double precision, from a zero state over each row's items (no dropout: the code's prediction
 * pass), and scores z_j = h . O[j] + bO[j] with the shared scoring layer plus the output bias (the code's
 * final tanh is monotonic and left out: the ranks are the same).
 */
public final class NeuralScorer extends BatchedScorer {
    private final NeuralParameters params;
    private final NeuralCpuModel engine;
    /** GRU4Rec's code form only: the scoring layer, the session vectors, the rows' GRU threads and their scratch (per row of the batch). */
    private final ScoreLayer score;
    private final float[] sf;
    private final org.lgsr.util.Parallel par;
    private final RowScratch[] rows;

    /** One row's GRU buffers ({@link Gru4RecCell#step}). */
    private static final class RowScratch {
        final double[] gx, gh, z, r, rh, c, hp, hn;

        RowScratch(int d) {
            gx = new double[3 * d];
            gh = new double[2 * d];
            z = new double[d];
            r = new double[d];
            rh = new double[d];
            c = new double[d];
            hp = new double[d];
            hn = new double[d];
        }
    }

    public NeuralScorer(NeuralConfig cfg, NeuralParameters params, int batchSize, int threads) {
        super(cfg.numItems(), cfg.maxLen(), batchSize);
        this.params = params;
        boolean gruCode = cfg.gru4recCode();
        this.engine = gruCode ? null : new NeuralCpuModel(cfg, batchSize, threads);
        this.score = gruCode ? new ScoreLayer(batchSize, cfg.dim(), cfg.numItems(), threads, true) : null;
        this.sf = new float[gruCode ? batchSize * cfg.dim() : 0];
        this.par = gruCode ? new org.lgsr.util.Parallel(threads) : null;
        this.rows = new RowScratch[gruCode ? batchSize : 0];
        for (int i = 0; i < rows.length; i++) rows[i] = new RowScratch(cfg.dim());
        if (gruCode) score.pack(params.w);
        else engine.refreshItemTable(params);
    }

    @Override
    protected void scoreBatch(Batch b, float[] out) {
        if (engine != null) {
            engine.scoreAll(params, b, out);
            return;
        }
        NeuralLayout L = params.layout;
        int d = L.d, n = L.n;
        par.forEach(b.B, row -> { // each row's GRU on its own scratch: the result does not depend on the threads
            RowScratch s = rows[row];
            java.util.Arrays.fill(s.hp, 0.0);
            for (int i = 0; i < b.len[row]; i++) {
                Gru4RecCell.oneHotInput(params.w, L, b.items[row * b.T + i], s.gx);
                Gru4RecCell.step(params.w, L, s.gx, s.hp, s.gh, s.z, s.r, s.rh, s.c, s.hn);
                System.arraycopy(s.hn, 0, s.hp, 0, d);
            }
            for (int k = 0; k < d; k++) sf[row * d + k] = (float) s.hp[k];
        });
        score.scores(b.B, sf, out);
        final float[] w = params.w;
        final int bo = L.outBias.offset();
        for (int row = 0; row < b.B; row++) {
            int o = row * n;
            for (int j = 1; j < n; j++) out[o + j] += w[bo + j];
        }
    }

    @Override
    public void close() {
        if (engine != null) engine.close();
        if (score != null) score.close();
        if (par != null) par.close();
    }
}
