package org.lgsr.cpu;

/**
 * {@link Adam} in double precision, plain loops: TF's {@code AdamOptimizer} as written
 * (lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr_t m / (sqrt(v) + eps)), the specification the float step is checked against.
 */
public final class AdamReference {
    private AdamReference() {
    }

    /** lr_t of step t (1-based), in double. */
    public static double learningRate(double lr, double beta1, double beta2, long t) {
        return lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
    }

    /** One step t on elements [0, n) of p, m, v with gradient g. */
    public static void step(double[] p, double[] g, double[] m, double[] v, int n, double lr, double beta1, double beta2,
                            double eps, long t) {
        double lrT = learningRate(lr, beta1, beta2, t);
        for (int i = 0; i < n; i++) {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i];
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            p[i] -= lrT * m[i] / (Math.sqrt(v[i]) + eps);
        }
    }
}
