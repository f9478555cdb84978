package org.lgsr.model.neural;

/**
 * Shape of a neural baseline.
 *
 * @param kind     STAMP, GRU4Rec, NARM or SR-GNN
 * @param numItems n: item ids 0..n-1, 0 is padding (never scored, its table rows stay 0)
 * @param dim      d: embedding width, which is also the width of the session vector that scores the items
 * @param hidden   h: NARM's GRU width; for the other models it must equal {@code dim}
 * @param maxLen   inputs keep their last maxLen items
 * @param lambda2  L2 weight: loss += lambda2 * sum(theta^2) / 2 over all parameters
 * @param code     the authors' code form (docs/baselines-neural.md), of NARM and GRU4Rec only. NARM's
 *                 ({@code --variant narm-code}): hard-sigmoid gates and attention, attention weights normalised
 *                 by a softmax over the session, dropout 0.25 on the GRU's inputs and 0.5 on [h_t | c_l] (as
 *                 the code: kept entries unscaled in training, everything scaled by the keep rate in
 *                 evaluation), and the code's initialisation. GRU4Rec's ({@code --variant gru4rec-code}): the
 *                 one-hot input (a (n, 3h) table of the gates' input rows, no input embedding), an output
 *                 bias, a tanh on the scores, inverted dropout 0.5 on the hidden state, and the code's
 *                 initialisation; trained only by {@code Gru4RecParallel}
 */
public record NeuralConfig(NeuralKind kind, int numItems, int dim, int hidden, int maxLen, float lambda2, boolean code) {
    /** NARM's code form: the dropout rate of the GRU's inputs (the embeddings) and of [h_t | c_l]. */
    public static final float CODE_DROP_INPUT = 0.25f, CODE_DROP_CAT = 0.5f;
    /** GRU4Rec's code form: the dropout rate of the hidden state (its reproduction setting, {@code dropout_p_hidden}). */
    public static final float GRU4REC_CODE_DROP_HIDDEN = 0.5f;

    public NeuralConfig {
        if (kind == null) throw new IllegalArgumentException("kind is null");
        if (numItems < 2) throw new IllegalArgumentException("numItems must be >= 2, got " + numItems);
        if (dim < 1) throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        if (hidden < 1) throw new IllegalArgumentException("hidden must be >= 1, got " + hidden);
        if (!kind.hasHidden() && hidden != dim) {
            throw new IllegalArgumentException(kind.cliName + " has no hidden width of its own: hidden must equal dim (" + dim + "), got " + hidden);
        }
        if (maxLen < 1) throw new IllegalArgumentException("maxLen must be >= 1, got " + maxLen);
        if (!(lambda2 >= 0)) throw new IllegalArgumentException("lambda2 must be >= 0, got " + lambda2);
        if (code && kind != NeuralKind.NARM && kind != NeuralKind.GRU4REC) {
            throw new IllegalArgumentException("a code form exists for NARM and GRU4Rec only, not for " + kind.cliName);
        }
    }

    /** Whether this is GRU4Rec's code form ({@code --variant gru4rec-code}): its own layout, trained and scored outside the float engine. */
    public boolean gru4recCode() {
        return code && kind == NeuralKind.GRU4REC;
    }

    /** The papers' form of a model. */
    public NeuralConfig(NeuralKind kind, int numItems, int dim, int hidden, int maxLen, float lambda2) {
        this(kind, numItems, dim, hidden, maxLen, lambda2, false);
    }

    /** A model whose hidden width is its embedding width. */
    public NeuralConfig(NeuralKind kind, int numItems, int dim, int maxLen, float lambda2) {
        this(kind, numItems, dim, dim, maxLen, lambda2);
    }
}
