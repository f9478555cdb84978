package org.lgsr.model.cpu;

import org.lgsr.model.Batch;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.NeuralKind;
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
    private final double[][] gates, hPrev, hNew;

    public NeuralScorer(NeuralConfig cfg, NeuralParameters params, int batchSize, int threads) {
        super(cfg.numItems(), cfg.maxLen(), batchSize);
        this.params = params;
        boolean gruCode = cfg.kind() == NeuralKind.GRU4REC && cfg.code();
        this.engine = gruCode ? null : new NeuralCpuModel(cfg, batchSize, threads);
        this.score = gruCode ? new ScoreLayer(batchSize, cfg.dim(), cfg.numItems(), threads, true) : null;
        this.sf = new float[gruCode ? batchSize * cfg.dim() : 0];
        this.par = gruCode ? new org.lgsr.util.Parallel(threads) : null;
        int rows = gruCode ? batchSize : 0;
        this.gates = new double[rows][5 * cfg.dim()];
        this.hPrev = new double[rows][cfg.dim()];
        this.hNew = new double[rows][cfg.dim()];
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
            double[] hp = hPrev[row], hn = hNew[row];
            java.util.Arrays.fill(hp, 0.0);
            for (int i = 0; i < b.len[row]; i++) {
                gru4recCodeStep(params.w, L, b.items[row * b.T + i], hp, gates[row], hn);
                System.arraycopy(hn, 0, hp, 0, d);
            }
            for (int k = 0; k < d; k++) sf[row * d + k] = (float) hp[k];
        });
        score.scores(b.B, sf, out);
        final float[] w = params.w;
        final int bo = L.outBias.offset();
        for (int row = 0; row < b.B; row++) {
            int o = row * n;
            for (int j = 1; j < n; j++) out[o + j] += w[bo + j];
        }
    }

    /**
     * One step of GRU4Rec's code-form GRU (no dropout): the state after item {@code item} from {@code hp} into {@code hn};
     * {@code g} (5d) is scratch. The one-hot input: E's row is the gates' input pre-activation.
     */
    static void gru4recCodeStep(float[] w, NeuralLayout L, int item, double[] hp, double[] g, double[] hn) {
        final int d = L.d, e = L.in.offset() + item * L.in.cols(), bx = L.bx.offset(), u = L.U.offset(), uh = L.Uh.offset();
        for (int col = 0; col < 2 * d; col++) { // z | r
            double s = w[e + col] + w[bx + col];
            for (int k = 0; k < d; k++) s += hp[k] * w[u + k * 2 * d + col];
            g[col] = 1 / (1 + Math.exp(-s));
        }
        for (int k = 0; k < d; k++) g[3 * d + k] = g[d + k] * hp[k]; // r * h
        for (int col = 0; col < d; col++) {
            double s = w[e + 2 * d + col] + w[bx + 2 * d + col];
            for (int k = 0; k < d; k++) s += g[3 * d + k] * w[uh + k * d + col];
            double z = g[col];
            hn[col] = (1 - z) * hp[col] + z * Math.tanh(s);
        }
    }

    @Override
    public void close() {
        if (engine != null) engine.close();
        if (score != null) score.close();
        if (par != null) par.close();
    }
}
