package org.lgsr.model.neural;

/** GRU4Rec's code form worked in the tests' own float64 (its engines are checked against this). */
public final class Gru4RecCodeMath {
    private Gru4RecCodeMath() {
    }

    /**
     * GRU4Rec's code-form state after a session, in float64, from the equations (docs/baselines-neural.md): the one-hot
     * input's row E[v] (3d) plus bx gives the gates' input; z, r = sigmoid(. + h U), c = tanh(. + (r * h) Uh), h = (1 - z) h + z c.
     */
    public static double[] state(double[] th, NeuralLayout L, int[] session) {
        int d = L.d;
        double[] h = new double[d];
        for (int v : session) {
            double[] z = new double[d], r = new double[d], next = new double[d];
            for (int k = 0; k < d; k++) {
                double az = th[L.in.offset() + v * 3 * d + k] + th[L.bx.offset() + k];
                double ar = th[L.in.offset() + v * 3 * d + d + k] + th[L.bx.offset() + d + k];
                for (int m = 0; m < d; m++) {
                    az += h[m] * th[L.U.offset() + m * 2 * d + k];
                    ar += h[m] * th[L.U.offset() + m * 2 * d + d + k];
                }
                z[k] = 1 / (1 + Math.exp(-az));
                r[k] = 1 / (1 + Math.exp(-ar));
            }
            for (int k = 0; k < d; k++) {
                double ac = th[L.in.offset() + v * 3 * d + 2 * d + k] + th[L.bx.offset() + 2 * d + k];
                for (int m = 0; m < d; m++) ac += r[m] * h[m] * th[L.Uh.offset() + m * d + k];
                next[k] = (1 - z[k]) * h[k] + z[k] * Math.tanh(ac);
            }
            h = next;
        }
        return h;
    }
}
