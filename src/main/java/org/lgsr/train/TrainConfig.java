package org.lgsr.train;

import org.lgsr.model.ModelConfig;
import org.lgsr.model.Variant;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.NeuralKind;

/**
 * Everything a training run is configured with; recorded whole in the run report.
 *
 * @param variant       {@code lgsr-c} or {@code lgsr-a} (the recommendation module alone),
 *                      {@code lgsr} (joint training with the global encoder), or a neural baseline of
 *                      Table 2: {@code stamp}, {@code gru4rec}, {@code narm}, {@code srgnn}, or {@code lgsr-h} (SR-GNN's
 *                      module trained jointly with the global encoder) (CPU engine only; docs/baselines-neural.md)
 * @param hidden        NARM's GRU width (the other models ignore it)
 * @param lrSchedule    a name understood by {@link org.lgsr.model.LearningRate#byName}
 * @param maxSteps      stop each epoch after this many steps (0: the whole epoch); for quick runs
 * @param evalEvery     evaluate after every this many epochs (and after the last)
 * @param validation    hold out the last 10% of training sessions and select on them
 * @param global        the global encoder's settings (used by {@code lgsr} only)
 */
public record TrainConfig(String dataset, String variant, int epochs, int batchSize, double lr, String lrSchedule,
                          float dropout, float lambda2, int dim, int hidden, int maxLen, boolean sigmoid, long seed, int threads,
                          int[] ks, int maxSteps, int evalEvery, boolean validation, GlobalSettings global) {

    public TrainConfig {
        if (epochs < 1) throw new IllegalArgumentException("--epochs: must be >= 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("--batch: must be >= 1, got " + batchSize);
        if (!(lr > 0)) throw new IllegalArgumentException("--lr: must be > 0, got " + lr);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("--dropout: must be in [0, 1), got " + dropout);
        if (!(lambda2 >= 0)) throw new IllegalArgumentException("--l2: must be >= 0, got " + lambda2);
        if (dim < 1) throw new IllegalArgumentException("--dim: must be >= 1, got " + dim);
        if (hidden < 1) throw new IllegalArgumentException("--hidden: must be >= 1, got " + hidden);
        if (maxLen < 1) throw new IllegalArgumentException("--max-len: must be >= 1, got " + maxLen);
        if (threads < 1) throw new IllegalArgumentException("--threads: must be >= 1, got " + threads);
        if (maxSteps < 0) throw new IllegalArgumentException("--max-steps: must be >= 0, got " + maxSteps);
        if (evalEvery < 1) throw new IllegalArgumentException("--eval-every: must be >= 1, got " + evalEvery);
        if (ks.length == 0) throw new IllegalArgumentException("--k: at least one cut-off is needed");
        for (int k : ks) {
            if (k < 1) throw new IllegalArgumentException("--k: cut-offs must be >= 1, got " + k);
        }
        ks = ks.clone();
        if (global == null) throw new IllegalArgumentException("global settings missing");
        checkVariant(variant);
    }

    /** The names {@code --variant} knows, in the order an error lists them. */
    public static final String KNOWN_VARIANTS = "lgsr, lgsr-c, lgsr-a, lgsr-h, stamp, gru4rec, gru4rec-top1, gru4rec-code, narm, narm-code, srgnn";

    /** GRU4Rec trained as its paper trains it: session-parallel mini-batches, TOP1 over in-batch negatives, Adagrad. */
    public static final String GRU4REC_TOP1 = "gru4rec-top1";

    /**
     * GRU4Rec as its authors' code computes and trains it ({@link NeuralConfig#code()}): {@link #GRU4REC_TOP1}'s training with
     * the one-hot input, an output bias, a tanh on the scores, dropout 0.5 on the hidden state and the code's initialisation.
     */
    public static final String GRU4REC_CODE = "gru4rec-code";

    /** NARM as its authors' code computes it ({@link NeuralConfig#code()}): hard sigmoids, normalised attention, dropout, the code's initialisation. */
    public static final String NARM_CODE = "narm-code";

    /** LGSR-H (the paper's ablation, Figure 3): SR-GNN's module as the recommendation module, trained jointly with the global encoder. */
    public static final String LGSR_H = "lgsr-h";

    /** Throws the one-line error of an unknown variant name. */
    public static void checkVariant(String name) {
        if (neuralKind(name) == null) modelVariant(name);
    }

    /** The neural model behind a run variant name ({@code lgsr-h}: SR-GNN's), or null for the LGSR module's variants. */
    public static NeuralKind neuralKind(String name) {
        if (LGSR_H.equals(name)) return NeuralKind.SRGNN;
        if (GRU4REC_TOP1.equals(name) || GRU4REC_CODE.equals(name)) return NeuralKind.GRU4REC;
        if (NARM_CODE.equals(name)) return NeuralKind.NARM;
        return NeuralKind.byName(name);
    }

    /** The LGSR module variant behind a run variant name (the neural baselines have none). */
    public static Variant modelVariant(String name) {
        return switch (name) {
            case "lgsr-c", "lgsr" -> Variant.LGSR_C;
            case "lgsr-a" -> Variant.LGSR_A;
            default -> throw new IllegalArgumentException(neuralKind(name) != null
                    ? "--variant " + name + ": a neural model of its own, not a variant of the LGSR module"
                    : "--variant: unknown variant '" + name + "'; known: " + KNOWN_VARIANTS);
        };
    }

    /** The neural baseline this run trains, or null for the LGSR variants. */
    public NeuralKind neural() {
        return neuralKind(variant);
    }

    /** The neural baseline's shape (only when {@link #neural()} is not null). */
    public NeuralConfig neuralModel(int numItems) {
        return new NeuralConfig(neural(), numItems, dim, neural().hasHidden() ? hidden : dim, maxLen, lambda2,
                NARM_CODE.equals(variant) || GRU4REC_CODE.equals(variant));
    }

    /** Whether GRU4Rec trains as its paper does (session-parallel, TOP1, Adagrad): {@code gru4rec-top1} and {@code gru4rec-code}. */
    public static boolean sessionParallel(String variant) {
        return GRU4REC_TOP1.equals(variant) || GRU4REC_CODE.equals(variant);
    }

    public boolean joint() {
        return variant.equals("lgsr") || variant.equals(LGSR_H);
    }

    public ModelConfig model(int numItems) {
        return new ModelConfig(numItems, dim, maxLen, dropout, lambda2, modelVariant(variant), !sigmoid);
    }
}
