package org.lgsr.cpu;

import org.lgsr.util.Parallel;

/**
 * Adam as TensorFlow's {@code AdamOptimizer} computes it, in float: the project's one Adam, for
 * the recommendation module's flat buffer, the global encoder's theta and bias, E's own Adam in
 * L_g (both engines' CPU paths), and the CPU twin of the kernel {@code adam} in
 * {@code cuda/adam.cu}, equal to it bit for bit (each product and sum rounded on its own, IEEE
 * square root and division: Java's float arithmetic).
 *
 * <pre>
 *   lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t)          (learningRate, once per step)
 *   m = b1 m + (1 - b1) g
 *   v = b2 v + (1 - b2) g^2
 *   p = p - lr_t m / (sqrt(v) + eps)                 (eps = 1e-8 by default)
 * </pre>
 * TF applies this to <em>every</em> element of a variable on every step, also for the sparse
 * gradient of an embedding lookup (m and v decay and the parameter keeps moving where g = 0):
 * that is {@link #adam} over the whole table, the exact semantics. {@link #rows} applies the same
 * arithmetic to the given rows only (TF's LazyAdam), an approximation offered for speed.
 * The float64 reference the tests check against is {@code AdamReference} (src/test).
 */
public final class Adam {
    public static final float DEFAULT_BETA1 = 0.9f;
    public static final float DEFAULT_BETA2 = 0.999f;
    public static final float DEFAULT_EPSILON = 1e-8f;
    /** Elements per task of {@link #adam(Parallel, float[], int, float[], int, float[], float[], int, int, float, float, float, float)}. */
    static final int CHUNK = 1 << 14;

    private Adam() {
    }

    /** lr_t for step {@code t} (1-based), computed in double and rounded once to float. */
    public static float learningRate(double lr, float beta1, float beta2, long t) {
        if (t < 1) throw new IllegalArgumentException("Adam step t must be >= 1, got " + t);
        return (float) (lr * Math.sqrt(1.0 - Math.pow(beta2, t)) / (1.0 - Math.pow(beta1, t)));
    }

    /** Updates p, m, v in place from g over elements [0, n). */
    public static void adam(float[] p, float[] g, float[] m, float[] v, int n, float lrT, float beta1, float beta2, float eps) {
        if (p.length < n || g.length < n || m.length < n || v.length < n) {
            throw new IllegalArgumentException("Adam: every buffer needs " + n + " elements");
        }
        adam(p, 0, g, 0, m, v, 0, n, lrT, beta1, beta2, eps);
    }

    /**
     * The same update on {@code p[pOff .. pOff+n)} with its gradient at {@code gOff} and its
     * moments at {@code mOff}: the one Adam arithmetic of the project (the recommendation
     * module's flat buffer, the global encoder's tables and the GPU kernel's twin all use it).
     */
    public static void adam(float[] p, int pOff, float[] g, int gOff, float[] m, float[] v, int mOff, int n,
                            float lrT, float beta1, float beta2, float eps) {
        int from = 0;
        if (VECTOR && n >= org.lgsr.model.cpu.Simd.lanes()) {
            from = org.lgsr.model.cpu.Vec.adam(p, pOff, g, gOff, m, v, mOff, n, lrT, beta1, beta2, eps);
        }
        adamScalar(p, pOff + from, g, gOff + from, m, v, mOff + from, n - from, lrT, beta1, beta2, eps);
    }

    /**
     * {@link #adam} on {@code par}'s threads, in fixed chunks of elements (element-wise, so the
     * same bits for any thread count).
     */
    public static void adam(Parallel par, float[] p, int pOff, float[] g, int gOff, float[] m, float[] v, int mOff, int n,
                            float lrT, float beta1, float beta2, float eps) {
        par.forEach((n + CHUNK - 1) / CHUNK, task -> {
            int from = task * CHUNK, len = Math.min(CHUNK, n - from);
            adam(p, pOff + from, g, gOff + from, m, v, mOff + from, len, lrT, beta1, beta2, eps);
        });
    }

    /**
     * The step on the rows {@code rows[0..count)} only of a (rows, w) table (LazyAdam): row
     * {@code r} of the parameters at {@code pOff + r w}, of its gradient at {@code gOff + r w},
     * of its moments at {@code mOff + r w}.
     */
    public static void rows(float[] p, int pOff, float[] g, int gOff, float[] m, float[] v, int mOff, int w,
                            int[] rows, int count, float lrT, float beta1, float beta2, float eps) {
        for (int i = 0; i < count; i++) {
            int r = rows[i] * w;
            adam(p, pOff + r, g, gOff + r, m, v, mOff + r, w, lrT, beta1, beta2, eps);
        }
    }

    /**
     * Whether {@link #adam} runs its whole vectors with the Vector API ({@code Vec.adam}, the
     * same operations, so the same bits): when it is available and {@code lgsr.adam.vector} is
     * not {@code false}; {@link #useVector} switches it (for speed comparisons).
     */
    private static boolean VECTOR = org.lgsr.model.cpu.Simd.available()
            && !"false".equalsIgnoreCase(System.getProperty("lgsr.adam.vector", "true"));

    /** Turns the Vector API body of {@link #adam} on (where available) or off; returns the new state. */
    public static boolean useVector(boolean on) {
        VECTOR = on && org.lgsr.model.cpu.Simd.available();
        return VECTOR;
    }

    /** The scalar loop of {@link #adam} (the definition; also its tail and fallback). */
    static void adamScalar(float[] p, int pOff, float[] g, int gOff, float[] m, float[] v, int mOff, int n,
                           float lrT, float beta1, float beta2, float eps) {
        final float omb1 = 1.0f - beta1, omb2 = 1.0f - beta2;
        for (int i = 0; i < n; i++) {
            float gi = g[gOff + i];
            float mi = beta1 * m[mOff + i] + omb1 * gi;
            float vi = beta2 * v[mOff + i] + omb2 * (gi * gi);
            p[pOff + i] = p[pOff + i] - lrT * mi / ((float) Math.sqrt(vi) + eps);
            m[mOff + i] = mi;
            v[mOff + i] = vi;
        }
    }
}
