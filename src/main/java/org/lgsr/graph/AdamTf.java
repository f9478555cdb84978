package org.lgsr.graph;

/**
 * Adam as TensorFlow's {@code AdamOptimizer} computes it, in float:
 * <pre>
 *   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)        (in double, then cast to float)
 *   m    = beta1 m + (1 - beta1) g
 *   v    = beta2 v + (1 - beta2) g^2
 *   p   -= lr_t m / (sqrt(v) + eps)
 * </pre>
 * for step {@code t = 1, 2, ...}. TF applies this to <em>every</em> element of a variable on
 * every step, also for the sparse gradients of an embedding lookup (m and v decay and the
 * parameter keeps moving where g = 0): that is {@link #dense}, the exact semantics.
 * {@link #rows} applies the same arithmetic to the given rows only (TF's LazyAdam behaviour),
 * an approximation offered for speed.
 */
public final class AdamTf {
    public static final float BETA1 = 0.9f;
    public static final float BETA2 = 0.999f;
    public static final float EPSILON = 1e-8f;

    /** Which elements a step updates; see the class comment. */
    public enum Mode { DENSE, LAZY }

    private AdamTf() {
    }

    public static float lrT(double lr, float beta1, float beta2, long t) {
        return org.lgsr.cpu.Adam.learningRate(lr, beta1, beta2, t);
    }

    /** One step on {@code p[pOff .. pOff+len)} with gradient at {@code gOff} and moments at {@code mOff}. */
    public static void dense(float[] p, int pOff, float[] g, int gOff, float[] m, float[] v, int mOff, int len,
                             float lrT, float beta1, float beta2, float eps) {
        org.lgsr.cpu.Adam.adam(p, pOff, g, gOff, m, v, mOff, len, lrT, beta1, beta2, eps);
    }

    /**
     * One step on the rows {@code rows[0..count)} of a (rows, d) table: parameter row
     * {@code r} at {@code pOff + r d}, its gradient at {@code gOff + r d}, moments at
     * {@code mOff + r d}.
     */
    public static void rows(float[] p, int pOff, float[] g, int gOff, float[] m, float[] v, int mOff, int d,
                            int[] rows, int count, float lrT, float beta1, float beta2, float eps) {
        for (int i = 0; i < count; i++) {
            int r = rows[i] * d;
            dense(p, pOff + r, g, gOff + r, m, v, mOff + r, d, lrT, beta1, beta2, eps);
        }
    }
}
