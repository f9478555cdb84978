package org.lgsr.model.cpu;

import org.lgsr.util.Parallel;

import org.lgsr.data.Samples;
import org.lgsr.cpu.Adam;
import org.lgsr.model.Batch;
import org.lgsr.model.DropoutMasks;
import org.lgsr.model.LearningRate;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.Parameters;

/**
 * Trains the recommendation module on the CPU: epochs of shuffled batches, each batch one
 * forward/backward of {@link CpuModel} and one {@link Adam} update. Deterministic for a seed:
 * the shuffle of epoch e uses {@code SplittableRandom(mix(seed, e))}, the dropout masks of step s
 * use {@link DropoutMasks#stepSeed}(seed, s), the initialization uses {@code seed}.
 */
public final class RecTrainer implements AutoCloseable {
    /** Training settings. */
    public record Config(int batchSize, long seed, int threads, LearningRate schedule) {
        public static Config defaults(int nTrain) {
            return new Config(512, 1, Runtime.getRuntime().availableProcessors(), LearningRate.staircase(1e-3, nTrain));
        }
    }

    /** Result of one epoch: mean batch loss and seconds per phase. */
    public record EpochStats(int epoch, int steps, int samples, double meanLoss, double seconds, double[] phaseSeconds) {
        public double samplesPerSecond() {
            return samples / seconds;
        }

        public static final String[] PHASES = {"forward", "scores", "softmax", "scoresBackward", "backward", "adam"};

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(String.format("epoch %d: %d steps, %d samples, loss %.5f, %.1f s (%.0f samples/s)", epoch, steps, samples, meanLoss, seconds, samplesPerSecond()));
            for (int i = 0; i < PHASES.length; i++) b.append(String.format(", %s %.2f s", PHASES[i], phaseSeconds[i]));
            return b.toString();
        }
    }

    private final ModelConfig model;
    private final Config cfg;
    private final Parameters params;
    private final CpuModel engine;
    private final LearningRate schedule;
    private final Batch batch;
    private final DropoutMasks masks;
    private final Parallel par;
    private int epoch;

    public RecTrainer(ModelConfig model, Config cfg, int nTrain) {
        if (cfg.batchSize() < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + cfg.batchSize());
        this.model = model;
        this.cfg = cfg;
        this.params = Parameters.init(model, cfg.seed());
        this.engine = new CpuModel(model, cfg.batchSize(), cfg.threads());
        this.schedule = cfg.schedule();
        this.batch = new Batch(cfg.batchSize(), model.maxLen());
        this.masks = model.dropout() > 0 ? DropoutMasks.allocate(cfg.batchSize(), model.maxLen(), model.dim(), model.variant().catDim(model.dim()), model.dropout()) : null;
        this.par = new Parallel(cfg.threads());
    }

    public Parameters parameters() {
        return params;
    }

    /** Epochs trained so far (the next epoch's shuffle is {@link #epochOrder}(N, seed, this)). */
    public int epochsDone() {
        return epoch;
    }

    /** Puts back a saved state: parameters, Adam's moments and step count, and the epochs done. */
    public void restore(float[] w, float[] m, float[] v, long step, int epochsDone) {
        if (w.length != params.w.length || m.length != params.m.length || v.length != params.v.length) {
            throw new IllegalArgumentException("saved state of " + w.length + " parameters for a model of " + params.w.length);
        }
        System.arraycopy(w, 0, params.w, 0, w.length);
        System.arraycopy(m, 0, params.m, 0, m.length);
        System.arraycopy(v, 0, params.v, 0, v.length);
        params.step = step;
        epoch = epochsDone;
    }

    public CpuModel engine() {
        return engine;
    }

    /** Told after every training step: the number of samples done in this epoch and the batch loss. */
    @FunctionalInterface
    public interface StepListener {
        void stepDone(int samplesDone, double loss);
    }

    /** One epoch over all samples (or the first {@code maxSteps} batches of it when maxSteps > 0). */
    public EpochStats trainEpoch(Samples train, int maxSteps) {
        return trainEpoch(train, maxSteps, null, null);
    }

    /**
     * One epoch, reporting each step to {@code listener} (may be null) and ending early, after
     * the current step, once {@code stop} (may be null) answers true.
     */
    public EpochStats trainEpoch(Samples train, int maxSteps, StepListener listener, java.util.function.BooleanSupplier stop) {
        int N = train.size();
        int[] order = epochOrder(N, cfg.seed(), epoch);
        long[] before = engine.times.clone();
        long adamNs = 0;
        long start = System.nanoTime();
        double lossSum = 0;
        int steps = 0, seen = 0;
        int total = params.w.length;
        for (int first = 0; first < N && (maxSteps <= 0 || steps < maxSteps); first += cfg.batchSize()) {
            int B = Math.min(cfg.batchSize(), N - first);
            batch.fill(train, order, first, B);
            batch.check(model.numItems());
            long t0 = System.nanoTime();
            if (masks != null) masks.regenerate(DropoutMasks.stepSeed(cfg.seed(), params.step), B, model.maxLen(), model.dim(), model.variant().catDim(model.dim()));
            engine.times[CpuModel.T_FORWARD] += System.nanoTime() - t0;
            double loss = engine.forwardBackward(params, batch, masks);
            lossSum += loss;
            long a0 = System.nanoTime();
            double lr = schedule.at(params.step);
            float lrT = Adam.learningRate(lr, Adam.DEFAULT_BETA1, Adam.DEFAULT_BETA2, params.step + 1);
            Adam.adam(par, params.w, 0, params.g, 0, params.m, params.v, 0, total, lrT, Adam.DEFAULT_BETA1, Adam.DEFAULT_BETA2,
                    Adam.DEFAULT_EPSILON);
            params.step++;
            adamNs += System.nanoTime() - a0;
            steps++;
            seen += B;
            if (listener != null) listener.stepDone(seen, loss);
            if (stop != null && stop.getAsBoolean()) break;
        }
        double secs = (System.nanoTime() - start) * 1e-9;
        double[] phases = new double[EpochStats.PHASES.length];
        for (int i = 0; i < CpuModel.PHASES.length; i++) phases[i] = (engine.times[i] - before[i]) * 1e-9;
        phases[phases.length - 1] = adamNs * 1e-9;
        engine.refreshItemTable(params);
        return new EpochStats(epoch++, steps, seen, lossSum / Math.max(1, steps), secs, phases);
    }

    /** The sample order of epoch {@code epoch} (0-based) of a run seeded {@code seed}: the same for every engine. */
    public static int[] epochOrder(int N, long seed, int epoch) {
        int[] order = new int[N];
        for (int i = 0; i < N; i++) order[i] = i;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(DropoutMasks.mix64(seed * 31 + epoch));
        for (int i = N - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** A scorer of the current parameters (dropout off); build a new one after training more. */
    public CpuScorer scorer() {
        return new CpuScorer(model, params, cfg.batchSize(), cfg.threads());
    }

    @Override
    public void close() {
        engine.close();
        par.close();
    }
}
