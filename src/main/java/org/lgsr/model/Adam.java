package org.lgsr.model;

/**
 * Adam exactly as TensorFlow 1's AdamOptimizer computes it, over the whole flat buffer:
 * <pre>
 *   t     = t + 1
 *   lr_t  = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 *   m     = beta1 * m + (1 - beta1) * g
 *   v     = beta2 * v + (1 - beta2) * g^2
 *   theta = theta - lr_t * m / (sqrt(v) + eps)
 * </pre>
 * (TF applies its sparse update to embedding rows in the same dense form: every row's m and v
 * decay each step.) lr_t is computed in double from the float32 betas (TF holds them as
 * float32; TF's float32 beta powers differ by ~1e-7 relative) and rounded to float once per step; the update
 * itself is in float. Rows 0 of E and P have zero gradient and zero moments, so they stay 0.
 */
public final class Adam {
    public final float beta1, beta2, eps;

    public Adam(float beta1, float beta2, float eps) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    public static Adam tf() {
        return new Adam(0.9f, 0.999f, 1e-8f);
    }

    /** lr_t of update number t (1-based), rounded to float as the update uses it. */
    public double correctedRate(double lr, long t) {
        return org.lgsr.cpu.Adam.learningRate(lr, beta1, beta2, t);
    }

    /** One update of p.w from p.g with learning rate lr; increments p.step. */
    public void update(Parameters p, double lr) {
        update(p, lr, 0, p.w.length);
        p.step++;
    }

    /** The update of entries [from, to) as update number p.step + 1; does not change p.step (split over threads, then increment once). */
    public void update(Parameters p, double lr, int from, int to) {
        float lrt = org.lgsr.cpu.Adam.learningRate(lr, beta1, beta2, p.step + 1);
        org.lgsr.cpu.Adam.adam(p.w, from, p.g, from, p.m, p.v, from, to - from, lrt, beta1, beta2, eps);
    }
}
