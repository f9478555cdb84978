package org.lgsr.graph;

/**
 * How the global encoder hands the gradient of the shared item table E to its owner. After
 * each batch the gradient of the batch loss with respect to E sits in the caller's gradient
 * buffer (layout of E) and is non-zero only in {@code rows[0..count)} (distinct, ascending);
 * the owner applies its optimizer step to E (for example {@link EmbeddingAdam}, or the
 * recommendation module's flat Adam over the E segment). The encoder zeroes those gradient
 * rows when this returns. Implementations must not keep {@code rows}.
 */
@FunctionalInterface
public interface EmbeddingStep {
    void apply(int[] rows, int count);
}
