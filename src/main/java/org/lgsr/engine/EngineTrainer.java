package org.lgsr.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.eval.Evaluator;
import org.lgsr.eval.Metrics;
import org.lgsr.model.Batch;
import org.lgsr.model.DropoutMasks;
import org.lgsr.model.LearningRate;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.Parameters;
import org.lgsr.model.cpu.RecTrainer;
import org.lgsr.train.TrainConfig;
import org.lgsr.train.TrainingEngine;

/**
 * A training run on a {@link Backend} (the GPU engine, or its CPU twin in tests): the same
 * epochs as the CPU engine's {@link RecTrainer} (the same shuffle per epoch, the same dropout
 * seeds per step, the same initialization), with the recommendation step of {@link RecStep}
 * and, for joint runs, the L_g passes of {@link GlobalStep}; evaluation ranks on the backend.
 */
public final class EngineTrainer implements TrainingEngine {
    private final Backend be;
    private final boolean ownsBackend;
    private final ModelConfig model;
    private final TrainConfig cfg;
    private final LearningRate schedule;
    private final RecStep rec;
    private final GlobalStep global;
    private final Batch batch;
    private int epoch;

    /** A factory of runs on the GPU (device {@code ordinal}); {@code tf32}: TF32 products; {@code profile}: per-kernel event times. */
    public static Factory gpu(int ordinal, boolean tf32, boolean profile) {
        return (model, cfg, train, sessions, schedule) -> {
            if (!org.lgsr.gpu.KernelModule.fatbinPresent()) {
                throw new IllegalArgumentException("--device gpu: this jar was built without nvcc and has no CUDA kernels");
            }
            String blas = org.lgsr.gpu.Cublas.loadError();
            if (blas != null) throw new IllegalArgumentException("--device gpu: the GPU engine needs cuBLAS: " + blas);
            GpuBackend be = new GpuBackend(ordinal, tf32, profile);
            try {
                return new EngineTrainer(be, true, model, cfg, train, sessions, schedule);
            } catch (RuntimeException | Error e) {
                be.close();
                throw e;
            }
        };
    }

    public EngineTrainer(Backend backend, boolean ownsBackend, ModelConfig model, TrainConfig cfg, Samples train, Sessions trainSessions,
                         LearningRate schedule) {
        this.be = backend;
        this.ownsBackend = ownsBackend;
        this.model = model;
        this.cfg = cfg;
        this.schedule = schedule;
        this.rec = new RecStep(backend, model, cfg.batchSize());
        rec.setParameters(Parameters.init(model, cfg.seed()).w);
        this.batch = new Batch(cfg.batchSize(), model.maxLen());
        this.global = cfg.joint() ? new GlobalStep(backend, rec, trainSessions, model.numItems(), cfg.global(), cfg.seed()) : null;
    }

    public RecStep recStep() {
        return rec;
    }

    @Override
    public Global global() {
        return global;
    }

    @Override
    public long step() {
        return rec.step;
    }

    @Override
    public RecTrainer.EpochStats trainEpoch(Samples train, int maxSteps, RecTrainer.StepListener listener, BooleanSupplier stop) {
        int N = train.size();
        int[] order = RecTrainer.epochOrder(N, cfg.seed(), epoch);
        long start = System.nanoTime();
        double lossSum = 0;
        int steps = 0, seen = 0;
        int[] pendingSeen = new int[RecStep.RING];
        boolean drop = model.dropout() > 0;
        for (int first = 0; first < N && (maxSteps <= 0 || steps < maxSteps); first += cfg.batchSize()) {
            int B = Math.min(cfg.batchSize(), N - first);
            batch.fill(train, order, first, B);
            batch.check(model.numItems());
            Long maskSeed = drop ? DropoutMasks.stepSeed(cfg.seed(), rec.step) : null;
            pendingSeen[rec.pendingSteps()] = seen + B;
            rec.trainStep(batch, maskSeed, schedule.at(rec.step));
            steps++;
            seen += B;
            boolean stopping = stop != null && stop.getAsBoolean();
            if (rec.ringFull() || stopping) lossSum += drain(listener, pendingSeen);
            if (stopping) break;
        }
        lossSum += drain(listener, pendingSeen);
        be.sync();
        double secs = (System.nanoTime() - start) * 1e-9;
        double[] phases = new double[RecTrainer.EpochStats.PHASES.length];
        if (be instanceof GpuBackend g) {
            lastProfile = g.profile();
            phases[0] = ms("range forward") / 1e3;
            phases[1] = ms("range softmax_ce") / 1e3;
            phases[4] = ms("range backward") / 1e3;
            phases[5] = ms("range l2_adam") / 1e3;
        }
        return new RecTrainer.EpochStats(epoch++, steps, seen, lossSum / Math.max(1, steps), secs, phases);
    }

    private Map<String, double[]> lastProfile = Map.of();

    private double ms(String key) {
        double[] v = lastProfile.get(key);
        return v == null ? 0 : v[0];
    }

    private double drain(RecTrainer.StepListener listener, int[] pendingSeen) {
        double[] losses = rec.drainLosses();
        double sum = 0;
        for (int i = 0; i < losses.length; i++) {
            sum += losses[i];
            if (listener != null) listener.stepDone(pendingSeen[i], losses[i]);
        }
        return sum;
    }

    @Override
    public float[] parameters() {
        return rec.parameters();
    }

    @Override
    public State state() {
        return new State(rec.parameters(), rec.moments(false), rec.moments(true), rec.step, epoch);
    }

    @Override
    public void restore(State s) {
        rec.restore(s.w(), s.m(), s.v(), s.step());
        epoch = s.epochsDone();
    }

    @Override
    public Metrics evaluate(Evaluator evaluator, Samples samples) {
        Metrics m = new Metrics(evaluator.ks());
        Batch b = new Batch(cfg.batchSize(), model.maxLen());
        for (int first = 0; first < samples.size(); first += cfg.batchSize()) {
            int count = Math.min(cfg.batchSize(), samples.size() - first);
            b.fill(samples, null, first, count);
            b.check(model.numItems());
            for (int r : rec.ranks(b)) m.add(r);
        }
        return m;
    }

    @Override
    public Map<String, Object> epochExtras() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (be instanceof GpuBackend g) {
            Map<String, double[]> p = new LinkedHashMap<>(lastProfile);
            g.profile().forEach((k, v) -> p.merge(k, v, (a, b) -> {
                double[] sum = new double[Math.max(a.length, b.length)];
                for (int i = 0; i < sum.length; i++) sum[i] = (i < a.length ? a[i] : 0) + (i < b.length ? b[i] : 0);
                return sum;
            }));
            if (!p.isEmpty()) {
                Map<String, Object> k = new LinkedHashMap<>();
                p.forEach((name, v) -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("ms", v[0]);
                    row.put("calls", (long) v[1]);
                    if (v.length > 3 && v[0] > 0) {
                        if (v[2] > 0) row.put("GFLOP_per_s", v[2] / (v[0] * 1e6));
                        if (v[3] > 0) row.put("GB_per_s", v[3] / (v[0] * 1e6));
                    }
                    k.put(name, row);
                });
                out.put("deviceMillis", k);
            }
            lastProfile = Map.of();
        }
        return out;
    }

    @Override
    public void close() {
        try {
            if (global != null) global.close();
        } finally {
            if (ownsBackend) be.close();
        }
    }
}
