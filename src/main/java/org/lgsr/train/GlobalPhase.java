package org.lgsr.train;

import java.util.function.BooleanSupplier;
import org.lgsr.data.Sessions;
import org.lgsr.graph.AdamTf;
import org.lgsr.graph.AliasTable;
import org.lgsr.graph.EmbeddingAdam;
import org.lgsr.graph.GlobalEncoder;
import org.lgsr.graph.ItemGraph;
import org.lgsr.graph.RandomWalks;

/**
 * The L_g side of joint training (MODEL.md sections 3 and 4): the cross-session item graph of the
 * training sessions, its alias tables and the walk corpus (made once, before training [code]),
 * and passes of negative-sampling skip-gram over the shared item table {@code E}.
 *
 * <p>{@code E} is the recommendation module's own table, at its offset in the flat parameter
 * buffer. L_g moves it with an Adam of its own (moments and step count), as the second TF
 * optimizer of the reference code does; both follow the one learning-rate schedule of the run.
 */
final class GlobalPhase implements AutoCloseable {
    final ItemGraph graph;
    final Sessions walks;
    final long pairsPerPass;
    final double setupSeconds;
    private final GlobalEncoder encoder;
    private final EmbeddingAdam eAdam;
    private final float[] e;
    private final int eOff;
    private final float[] eGrad;
    private final GlobalSettings s;
    private double lastLoss = Double.NaN;
    private boolean converged;
    private int passes;

    GlobalPhase(Sessions trainSessions, int numItems, int dim, float[] e, int eOff, GlobalSettings s, long seed, int threads) {
        long t0 = System.nanoTime();
        this.s = s;
        this.graph = ItemGraph.build(trainSessions, numItems);
        AliasTable alias = AliasTable.of(graph);
        this.walks = RandomWalks.generate(graph, alias, new RandomWalks.Config(s.walksPerNode(), s.walkLength(), seed, threads));
        this.pairsPerPass = org.lgsr.graph.SkipGramPairs.count(walks, s.window());
        AdamTf.Mode mode = s.lazyAdam() ? AdamTf.Mode.LAZY : AdamTf.Mode.DENSE;
        this.encoder = new GlobalEncoder(graph, new GlobalEncoder.Config(dim, s.window(), s.batchSize(), s.negatives(), true, true,
                mode, seed, threads));
        this.e = e;
        this.eOff = eOff;
        this.eGrad = new float[numItems * dim];
        this.eAdam = new EmbeddingAdam(e, eOff, eGrad, 0, numItems, dim, mode, 1e-3, threads);
        this.setupSeconds = (System.nanoTime() - t0) / 1e9;
    }

    boolean converged() {
        return converged;
    }

    /** One pass of L_g at learning rate {@code lr}; marks the encoder converged per the early-stop rule. */
    GlobalEncoder.PassStats pass(double lr, BooleanSupplier stop) {
        eAdam.setLearningRate(lr);
        GlobalEncoder.PassStats st = encoder.trainPass(walks, passes++, e, eOff, eGrad, 0, lr, eAdam,
                s.maxBatches() > 0 ? s.maxBatches() : Long.MAX_VALUE, stop);
        if (!Double.isNaN(lastLoss) && Math.abs(st.meanLoss() - lastLoss) <= s.stopDelta()) converged = true;
        lastLoss = st.meanLoss();
        return st;
    }

    @Override
    public void close() {
        encoder.close();
        eAdam.close();
    }
}
