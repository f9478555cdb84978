package org.lgsr.model.neural;

/**
 * Shape of a neural baseline.
 *
 * @param kind     STAMP or GRU4Rec
 * @param numItems n: item ids 0..n-1, 0 is padding (never scored, its table rows stay 0)
 * @param dim      d: embedding width (and GRU4Rec's hidden size)
 * @param maxLen   inputs keep their last maxLen items
 * @param lambda2  L2 weight: loss += lambda2 * sum(theta^2) / 2 over all parameters
 */
public record NeuralConfig(NeuralKind kind, int numItems, int dim, int maxLen, float lambda2) {
    public NeuralConfig {
        if (kind == null) throw new IllegalArgumentException("kind is null");
        if (numItems < 2) throw new IllegalArgumentException("numItems must be >= 2, got " + numItems);
        if (dim < 1) throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        if (maxLen < 1) throw new IllegalArgumentException("maxLen must be >= 1, got " + maxLen);
        if (!(lambda2 >= 0)) throw new IllegalArgumentException("lambda2 must be >= 0, got " + lambda2);
    }
}
