package org.lgsr.model;

/**
 * Shape and regularization of the recommendation module.
 *
 * @param numItems    n: item ids 0..n-1, 0 is padding
 * @param dim         d (100)
 * @param maxLen      inputs keep their last maxLen items (19)
 * @param dropout     drop probability of every dropout site (0.3); 0 turns dropout off
 * @param lambda2     L2 weight: loss += lambda2 * sum(theta^2) / 2 over all parameters (1e-6)
 * @param variant     LGSR-C or LGSR-A
 * @param hardSigmoid h of the aggregation layer: hard sigmoid [code] (true) or sigmoid [paper]
 */
public record ModelConfig(int numItems, int dim, int maxLen, float dropout, float lambda2, Variant variant, boolean hardSigmoid) {
    public ModelConfig {
        if (numItems < 2) throw new IllegalArgumentException("numItems must be >= 2, got " + numItems);
        if (dim < 1) throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        if (maxLen < 1) throw new IllegalArgumentException("maxLen must be >= 1, got " + maxLen);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0,1), got " + dropout);
        if (!(lambda2 >= 0)) throw new IllegalArgumentException("lambda2 must be >= 0, got " + lambda2);
        if (variant == null) throw new IllegalArgumentException("variant is null");
    }

    /** The [code] defaults of MODEL.md section 5: d 100, max_len 19, dropout 0.3, lambda2 1e-6, LGSR-C, hard sigmoid. */
    public static ModelConfig defaults(int numItems) {
        return new ModelConfig(numItems, 100, 19, 0.3f, 1e-6f, Variant.LGSR_C, true);
    }

    public ModelConfig withDropout(float rate) {
        return new ModelConfig(numItems, dim, maxLen, rate, lambda2, variant, hardSigmoid);
    }

    public ModelConfig withVariant(Variant v) {
        return new ModelConfig(numItems, dim, maxLen, dropout, lambda2, v, hardSigmoid);
    }

    public ModelConfig withLambda2(float l) {
        return new ModelConfig(numItems, dim, maxLen, dropout, l, variant, hardSigmoid);
    }

    public ModelConfig withHardSigmoid(boolean hard) {
        return new ModelConfig(numItems, dim, maxLen, dropout, lambda2, variant, hard);
    }
}
