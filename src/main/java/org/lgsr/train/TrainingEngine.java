package org.lgsr.train;

import java.util.Map;
import java.util.function.BooleanSupplier;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.eval.Evaluator;
import org.lgsr.eval.Metrics;
import org.lgsr.graph.GlobalEncoder;
import org.lgsr.model.LearningRate;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.cpu.RecTrainer;

/**
 * What {@link Trainer} drives: the CPU engine ({@link Cpu}) or the GPU engine
 * ({@code org.lgsr.engine.GpuTrainingEngine}). One run prints the same lines and writes the same
 * report whichever engine computes it.
 */
public interface TrainingEngine extends AutoCloseable {
    /** Builds an engine for a run. */
    @FunctionalInterface
    interface Factory {
        TrainingEngine create(ModelConfig model, TrainConfig cfg, Samples train, Sessions trainSessions, LearningRate schedule);
    }

    /** The L_g side of a joint run. */
    interface Global {
        boolean converged();

        /** One pass of L_g at learning rate {@code lr}; ends after the current batch once {@code stop} answers true. */
        GlobalEncoder.PassStats pass(double lr, BooleanSupplier stop);

        /** Graph and corpus facts for the report (nodes, edges, walks, walkSteps, pairsPerPass, setupSeconds). */
        Map<String, Object> info();

        /**
         * Interleaved L_g ({@link GlobalSettings#interleave()}): {@code batches} more batches at learning rate {@code lr},
         * continuing the current pass; returns the passes that ended during the call (their statistics, as
         * {@link #pass} returns them).
         */
        default java.util.List<GlobalEncoder.PassStats> batches(long batches, double lr) {
            throw new UnsupportedOperationException("this engine runs L_g in whole passes only (--g-interleave is CPU-only)");
        }

        /** Batches in one pass (with --g-max-batches, at most that many). */
        long batchesPerPass();

        /** Whether a pass has converged and L_g stops at the next epoch's start (the authors' rule, --g-stop-at epoch). */
        boolean stopPending();

        /** Called at the start of every epoch, before its passes (where the authors' code consults its early-stop test). */
        void startEpoch();

        /**
         * The health of the tables after a pass: {@code E} and {@code theta} (maps of mean row norm, norm of the
         * mean row, mean cosine of a row with the mean row; theta is E when tied), {@code biasMin}, {@code biasMax}.
         */
        Map<String, Object> health();

        /** The state a resume needs (null when it cannot be saved now: an interleaved pass under way). */
        default GlobalState state() {
            return null;
        }

        /** Puts back a state from {@link #state()} (before the first epoch of a resumed run). */
        default void restore(GlobalState s) {
            throw new UnsupportedOperationException("this engine's global encoder cannot resume");
        }
    }

    /** The L_g side, or null when the run trains L_rec only. */
    Global global();

    /** Adam steps of L_rec taken so far (the learning-rate schedule's clock). */
    long step();

    RecTrainer.EpochStats trainEpoch(Samples train, int maxSteps, RecTrainer.StepListener listener, BooleanSupplier stop);

    Metrics evaluate(Evaluator evaluator, Samples samples);

    /** A copy of the recommendation module's parameters (ParamLayout order): what a checkpoint holds. */
    float[] parameters();

    /** What resuming a run needs of the recommendation module: parameters, Adam's moments and step, epochs done. */
    record State(float[] w, float[] m, float[] v, long step, int epochsDone) {
    }

    /** The state to save for a resume; null when this engine cannot resume (a checkpoint then holds the parameters only). */
    default State state() {
        return null;
    }

    /** Puts back a saved state (before the first epoch of a resumed run). */
    default void restore(State s) {
        throw new UnsupportedOperationException("this engine cannot resume a run");
    }

    /** Extra report entries after an epoch (e.g. per-kernel times), or an empty map. */
    default Map<String, Object> epochExtras() {
        return Map.of();
    }

    @Override
    void close();

    /** The CPU engine: {@link RecTrainer} and the CPU global encoder. */
    final class Cpu implements TrainingEngine {
        private final RecTrainer trainer;
        private final GlobalPhase global;
        private final Global view;

        public static final Factory FACTORY = Cpu::new;

        private Cpu(ModelConfig model, TrainConfig cfg, Samples train, Sessions trainSessions, LearningRate schedule) {
            RecTrainer.Config tc = new RecTrainer.Config(cfg.batchSize(), cfg.seed(), cfg.threads(), schedule);
            this.trainer = new RecTrainer(model, tc, train.size());
            GlobalPhase gp = null;
            if (cfg.joint()) {
                try {
                    gp = new GlobalPhase(trainSessions, model.numItems(), cfg.dim(), trainer.parameters().w,
                            new org.lgsr.model.ParamLayout(model).E.offset(), cfg.global(), cfg.seed(), cfg.threads());
                } catch (RuntimeException e) {
                    trainer.close();
                    throw e;
                }
            }
            this.global = gp;
            this.view = gp == null ? null : gp.view();
        }

        @Override
        public Global global() {
            return view;
        }

        @Override
        public long step() {
            return trainer.parameters().step;
        }

        @Override
        public RecTrainer.EpochStats trainEpoch(Samples train, int maxSteps, RecTrainer.StepListener listener, BooleanSupplier stop) {
            return trainer.trainEpoch(train, maxSteps, listener, stop);
        }

        @Override
        public float[] parameters() {
            return trainer.parameters().w.clone();
        }

        @Override
        public State state() {
            org.lgsr.model.Parameters p = trainer.parameters();
            return new State(p.w.clone(), p.m.clone(), p.v.clone(), p.step, trainer.epochsDone());
        }

        @Override
        public void restore(State s) {
            trainer.restore(s.w(), s.m(), s.v(), s.step(), s.epochsDone());
        }

        @Override
        public Metrics evaluate(Evaluator evaluator, Samples samples) {
            try (var scorer = trainer.scorer()) {
                return evaluator.evaluate(scorer, samples);
            }
        }

        @Override
        public void close() {
            try {
                if (global != null) global.close();
            } finally {
                trainer.close();
            }
        }
    }
}
