package org.lgsr.graph;

/**
 * Which elements the global encoder's TF Adam ({@link org.lgsr.cpu.Adam}, the project's one
 * Adam) updates each step.
 */
public final class AdamTf {
    /**
     * {@code DENSE}: every element of the table, every step, as TF's {@code AdamOptimizer} does
     * for an embedding variable (m and v decay and the parameter keeps moving where g = 0): the
     * exact semantics. {@code LAZY}: only the rows the batch touched (TF's LazyAdam), an
     * approximation offered for speed.
     */
    public enum Mode { DENSE, LAZY }

    private AdamTf() {
    }
}
