package org.lgsr.model.neural;

import org.lgsr.model.DropoutMasks;

/**
 * How a pass applies the dropout of NARM's code form ({@link NeuralConfig#code()}); every other
 * model has no dropout and ignores it. Three modes:
 * <ul>
 * <li>{@link #NONE}: no dropout and no scaling (the model as a plain function, for gradient checks);</li>
 * <li>{@link #train}: a training step's masks, each entry kept (factor 1) or dropped (factor 0) as the
 * authors' code does, unscaled, drawn by {@link DropoutMasks#keep}(stepSeed, site, index, rate);</li>
 * <li>{@link #EVAL}: evaluation, every entry scaled by its keep rate 1 - rate (the code's test-time rule).</li>
 * </ul>
 * Sites and indices: site 0, the GRU's input x_k of row b, entry c: index (b T + k) d + c; site 4,
 * [h_t | c_l] of row b, entry c: index b 2h + c.
 */
public record NeuralDropout(int mode, long seed) {
    public static final NeuralDropout NONE = new NeuralDropout(0, 0), EVAL = new NeuralDropout(2, 0);
    public static final int SITE_INPUT = 0, SITE_CAT = 4;

    public NeuralDropout {
        if (mode < 0 || mode > 2) throw new IllegalArgumentException("dropout mode must be 0, 1 or 2, got " + mode);
    }

    /** The masks of the training step whose seed is {@code stepSeed} ({@link DropoutMasks#stepSeed}). */
    public static NeuralDropout train(long stepSeed) {
        return new NeuralDropout(1, stepSeed);
    }

    /** The factor of one entry at {@code site} and {@code index}, with drop rate {@code rate}. */
    public float factor(int site, long index, float rate) {
        return switch (mode) {
            case 0 -> 1f;
            case 1 -> DropoutMasks.keep(seed, site, index, rate) ? 1f : 0f;
            default -> 1f - rate;
        };
    }
}
