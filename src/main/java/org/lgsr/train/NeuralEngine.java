package org.lgsr.train;

import java.util.function.BooleanSupplier;
import org.lgsr.cpu.Adam;
import org.lgsr.data.Samples;
import org.lgsr.eval.Evaluator;
import org.lgsr.eval.Metrics;
import org.lgsr.model.Batch;
import org.lgsr.model.DropoutMasks;
import org.lgsr.model.LearningRate;
import org.lgsr.model.cpu.NeuralCpuModel;
import org.lgsr.model.cpu.NeuralScorer;
import org.lgsr.model.cpu.RecTrainer;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.NeuralDropout;
import org.lgsr.model.neural.NeuralParameters;
import org.lgsr.util.Parallel;

/**
 * The CPU engine of the neural models (STAMP, GRU4Rec, NARM, SR-GNN, LGSR-H; docs/baselines-neural.md): the same
 * epochs as the LGSR module's ({@link RecTrainer}): the samples shuffled by
 * {@link RecTrainer#epochOrder}, batches of the run's size, one forward/backward of
 * {@link NeuralCpuModel} and one Adam update (TF's defaults) per batch at the run's learning-rate
 * schedule. No dropout, except NARM's code form ({@code --variant narm-code}): its masks for step s are drawn
 * from {@link DropoutMasks#stepSeed}(seed, s), so a resumed run draws the same ones. Its resume state ({@link #state()}) is the flat buffer, Adam's moments and step
 * and the epochs done: the sample order of epoch e is drawn from (seed, e), so nothing else is needed. LGSR-H ({@code --variant lgsr-h})
 * adds the global encoder of full LGSR: its passes ({@link GlobalPhase}) move SR-GNN's item table, the
 * one that embeds the graph's nodes and scores the items, with an Adam of their own, exactly as they
 * move the LGSR module's {@code E}. {@code --variant gru4rec-top1} trains GRU4Rec's parameters the way its paper does
 * ({@link Gru4RecParallel}: session-parallel mini-batches, TOP1, Adagrad) and evaluates them like {@code gru4rec};
 * {@code --variant gru4rec-code} trains GRU4Rec's code form the same way (its dropout inside {@link Gru4RecParallel}).
 * Deterministic for a seed and independent of the thread count.
 */
public final class NeuralEngine implements TrainingEngine {
    private final NeuralConfig model;
    private final TrainConfig cfg;
    private final NeuralParameters params;
    private final NeuralCpuModel engine;
    private final LearningRate schedule;
    private final Batch batch;
    private final Parallel par;
    private final GlobalPhase globalPhase;
    private final Global global;
    private final Gru4RecParallel parallel;
    private int epoch;

    /** An engine for a run; {@code trainSessions} feed the global encoder's graph when the run is joint ({@link TrainConfig#joint()}). */
    public NeuralEngine(NeuralConfig model, TrainConfig cfg, LearningRate schedule, org.lgsr.data.Sessions trainSessions) {
        this.model = model;
        this.cfg = cfg;
        this.schedule = schedule;
        this.params = NeuralParameters.init(model, cfg.seed());
        this.globalPhase = cfg.joint() ? new GlobalPhase(trainSessions, model.numItems(), model.dim(), params.w, params.layout.in.offset(),
                cfg.global(), cfg.seed(), cfg.threads()) : null;
        this.global = globalPhase == null ? null : globalPhase.view();
        this.parallel = TrainConfig.sessionParallel(cfg.variant()) ? new Gru4RecParallel(params, trainSessions, cfg.batchSize(), cfg.seed()) : null;
        // the float engine trains the per-prefix models; GRU4Rec's code form is trained and scored without it
        this.engine = model.gru4recCode() ? null
                : new NeuralCpuModel(model, cfg.batchSize(), cfg.threads());
        this.batch = new Batch(cfg.batchSize(), model.maxLen());
        this.par = new Parallel(cfg.threads());
    }

    /** The live parameters (for tests). */
    public NeuralParameters neuralParameters() {
        return params;
    }

    @Override
    public Global global() {
        return global;
    }

    @Override
    public long step() {
        return params.step;
    }

    @Override
    public RecTrainer.EpochStats trainEpoch(Samples train, int maxSteps, RecTrainer.StepListener listener, BooleanSupplier stop) {
        if (parallel != null) return parallel.epoch(epoch++, schedule.at(params.step), maxSteps, listener, stop);
        int N = train.size();
        int[] order = RecTrainer.epochOrder(N, cfg.seed(), epoch);
        long[] before = engine.times.clone();
        long adamNs = 0, start = System.nanoTime();
        double lossSum = 0;
        int steps = 0, seen = 0, total = params.w.length;
        for (int first = 0; first < N && (maxSteps <= 0 || steps < maxSteps); first += cfg.batchSize()) {
            int B = Math.min(cfg.batchSize(), N - first);
            batch.fill(train, order, first, B);
            batch.check(model.numItems());
            double loss = engine.forwardBackward(params, batch, NeuralDropout.train(DropoutMasks.stepSeed(cfg.seed(), params.step)));
            lossSum += loss;
            long a0 = System.nanoTime();
            float lrT = Adam.learningRate(schedule.at(params.step), Adam.DEFAULT_BETA1, Adam.DEFAULT_BETA2, params.step + 1);
            Adam.adam(par, params.w, 0, params.g, 0, params.m, params.v, 0, total, lrT, Adam.DEFAULT_BETA1, Adam.DEFAULT_BETA2, Adam.DEFAULT_EPSILON);
            params.step++;
            adamNs += System.nanoTime() - a0;
            steps++;
            seen += B;
            if (listener != null) listener.stepDone(seen, loss);
            if (stop != null && stop.getAsBoolean()) break;
        }
        double secs = (System.nanoTime() - start) * 1e-9;
        // the report's phases (RecTrainer.EpochStats.PHASES): the scoring layer's fused step counts as "scores"
        double[] phases = new double[RecTrainer.EpochStats.PHASES.length];
        phases[0] = (engine.times[0] - before[0]) * 1e-9;
        phases[1] = (engine.times[1] - before[1]) * 1e-9;
        phases[4] = (engine.times[2] - before[2]) * 1e-9;
        phases[5] = adamNs * 1e-9;
        return new RecTrainer.EpochStats(epoch++, steps, seen, lossSum / Math.max(1, steps), secs, phases);
    }

    @Override
    public Metrics evaluate(Evaluator evaluator, Samples samples) {
        try (NeuralScorer scorer = new NeuralScorer(model, params, cfg.batchSize(), cfg.threads())) {
            return evaluator.evaluate(scorer, samples);
        }
    }

    @Override
    public float[] parameters() {
        return params.w.clone();
    }

    @Override
    public State state() {
        return new State(params.w.clone(), params.m.clone(), params.v.clone(), params.step, epoch);
    }

    /**
     * Copies a saved state into the live buffers (the global encoder of LGSR-H moves the item table in place in
     * {@code params.w}, so the arrays stay the same objects).
     */
    @Override
    public void restore(State s) {
        int n = params.w.length;
        if (s.w().length != n || s.m().length != n || s.v().length != n) {
            throw new IllegalArgumentException("resume: a state of " + s.w().length + " parameters for a model of " + n);
        }
        System.arraycopy(s.w(), 0, params.w, 0, n);
        System.arraycopy(s.m(), 0, params.m, 0, n);
        System.arraycopy(s.v(), 0, params.v, 0, n);
        java.util.Arrays.fill(params.g, 0f);
        params.step = s.step();
        epoch = s.epochsDone();
    }

    @Override
    public void close() {
        try {
            if (engine != null) engine.close();
        } finally {
            par.close();
            if (globalPhase != null) globalPhase.close();
        }
    }
}
