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
 */
public record NeuralConfig(NeuralKind kind, int numItems, int dim, int hidden, int maxLen, float lambda2) {
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
    }

    /** A model whose hidden width is its embedding width. */
    public NeuralConfig(NeuralKind kind, int numItems, int dim, int maxLen, float lambda2) {
        this(kind, numItems, dim, dim, maxLen, lambda2);
    }
}
