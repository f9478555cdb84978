package org.lgsr.train;

import java.util.Map;
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
    private final int numItems;
    private final int dim;
    private final long seed;
    private final GlobalStopRule stopRule;
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
                mode, seed, threads), new GlobalEncoder.Options(s.logQ(), s.tie(), s.center().equals("grad"), s.plainDegree()));
        this.numItems = numItems;
        this.dim = dim;
        this.seed = seed;
        this.stopRule = new GlobalStopRule(s);
        this.e = e;
        this.eOff = eOff;
        this.eGrad = new float[numItems * dim];
        this.eAdam = new EmbeddingAdam(e, eOff, eGrad, 0, numItems, dim, mode, 1e-3, threads);
        this.setupSeconds = (System.nanoTime() - t0) / 1e9;
    }

    /** This phase as the L_g side of an engine ({@link TrainingEngine#global()}). */
    TrainingEngine.Global view() {
        GlobalPhase global = this;
    return new TrainingEngine.Global() {
            @Override
            public boolean converged() {
                return global.stopRule().converged();
            }

            @Override
            public GlobalEncoder.PassStats pass(double lr, BooleanSupplier stop) {
                return global.pass(lr, stop);
            }

            @Override
            public void startEpoch() {
                global.stopRule().startEpoch();
            }

            @Override
            public boolean stopPending() {
                return global.stopRule().stopPending();
            }

            @Override
            public java.util.List<GlobalEncoder.PassStats> batches(long batches, double lr) {
                return global.batches(batches, lr);
            }

            @Override
            public long batchesPerPass() {
                return global.batchesPerPass();
            }

            @Override
            public Map<String, Object> health() {
                return global.health();
            }

            @Override
            public GlobalState state() {
                return global.state();
            }

            @Override
            public void restore(GlobalState s) {
                global.restore(s);
            }

            @Override
            public Map<String, Object> info() {
                Map<String, Object> g = new java.util.LinkedHashMap<>();
                g.put("nodes", global.graph.numNodes());
                g.put("edges", global.graph.numEdges());
                g.put("walks", global.walks.size());
                g.put("walkSteps", global.walks.totalItems());
                g.put("pairsPerPass", global.pairsPerPass);
                g.put("setupSeconds", global.setupSeconds);
                return g;
            }
        };
    }

    GlobalStopRule stopRule() {
        return stopRule;
    }

    /**
     * L_g's state for a checkpoint; null while an interleaved pass is under way (its place in the
     * pass is not kept: such a run resumes once L_g is done).
     */
    GlobalState state() {
        if (current != null) return null;
        java.util.Map<String, float[]> a = new java.util.LinkedHashMap<>();
        a.put("eM", eAdam.m().clone());
        a.put("eV", eAdam.v().clone());
        for (java.util.Map.Entry<String, float[]> t : encoder.tables().entrySet()) a.put(t.getKey(), t.getValue().clone());
        java.util.Map<String, Object> c = new java.util.LinkedHashMap<>();
        c.put("passes", passes);
        c.put("encoderSteps", encoder.steps());
        c.put("eAdamSteps", eAdam.steps());
        c.put("stopRule", stopRule.state());
        return new GlobalState(a, c);
    }

    /** Puts back a state from {@link #state()}. */
    @SuppressWarnings("unchecked")
    void restore(GlobalState s) {
        long nd = (long) numItems * dim;
        eAdam.restore(GlobalState.array(s.arrays(), "eM", nd), GlobalState.array(s.arrays(), "eV", nd), GlobalState.count(s.counters(), "eAdamSteps"));
        encoder.restore(s.arrays(), GlobalState.count(s.counters(), "encoderSteps"));
        passes = (int) GlobalState.count(s.counters(), "passes");
        stopRule.restore((java.util.Map<String, Object>) s.counters().getOrDefault("stopRule", java.util.Map.of()));
    }

    /** One pass of L_g at learning rate {@code lr}; marks the encoder converged per the early-stop rule. */
    GlobalEncoder.PassStats pass(double lr, BooleanSupplier stop) {
        eAdam.setLearningRate(lr);
        GlobalEncoder.PassStats st = encoder.trainPass(walks, passes++, e, eOff, eGrad, 0, lr, eAdam,
                s.maxBatches() > 0 ? s.maxBatches() : Long.MAX_VALUE, stop);
        endPass(st);
        return st;
    }

    long batchesPerPass() {
        return s.batchesPerPass(pairsPerPass);
    }

    // interleaved L_g: the pass under way
    private org.lgsr.graph.SkipGramPairs current;
    private long curBatches, curPairs, curNanos;
    private double curSum;
    private int[] bIn, bLab;

    /** {@code count} more batches of the pass under way (starting passes as needed); the passes that ended. */
    java.util.List<GlobalEncoder.PassStats> batches(long count, double lr) {
        java.util.List<GlobalEncoder.PassStats> ended = new java.util.ArrayList<>();
        if (bIn == null) {
            bIn = new int[s.batchSize()];
            bLab = new int[s.batchSize()];
        }
        eAdam.setLearningRate(lr);
        long perPass = batchesPerPass();
        for (long b = 0; b < count && !stopRule.converged(); b++) {
            if (current == null) {
                current = new org.lgsr.graph.SkipGramPairs(walks, s.window(), seed, passes++);
                curBatches = curPairs = curNanos = 0;
                curSum = 0;
            }
            long t0 = System.nanoTime();
            int got = current.next(bIn, bLab, s.batchSize());
            if (got > 0) {
                curSum += encoder.trainBatch(bIn, bLab, got, e, eOff, eGrad, 0, lr, eAdam);
                curBatches++;
                curPairs += got;
            }
            curNanos += System.nanoTime() - t0;
            if (got == 0 || curBatches >= perPass) {
                GlobalEncoder.PassStats st = new GlobalEncoder.PassStats(curBatches == 0 ? 0 : curSum / curBatches, curPairs, curBatches,
                        curNanos * 1e-9);
                current = null;
                endPass(st);
                ended.add(st);
                if (got == 0) b--; // the empty read was not a batch
            }
        }
        return ended;
    }

    private void endPass(GlobalEncoder.PassStats st) {
        if (s.center().equals("pass")) centerTable(e, eOff, numItems, dim);
        stopRule.passEnded(st.meanLoss());
    }

    /** The health of E, theta (E itself when tied) and the bias range, for the report. */
    java.util.Map<String, Object> health() {
        return org.lgsr.graph.TableHealth.report(e, eOff, s.tie() ? e : encoder.theta(), s.tie() ? eOff : 0, encoder.bias(), numItems, dim);
    }

    /** Subtracts the mean of rows 1 .. n-1 of the (n, d) table at {@code off} from each of them (row 0 is padding). */
    public static void centerTable(float[] t, int off, int n, int d) {
        if (n < 2) return;
        int[] rows = new int[n - 1];
        for (int r = 1; r < n; r++) rows[r - 1] = r;
        GlobalEncoder.centerRows(t, off, d, rows, n - 1);
    }

    @Override
    public void close() {
        encoder.close();
        eAdam.close();
    }
}
