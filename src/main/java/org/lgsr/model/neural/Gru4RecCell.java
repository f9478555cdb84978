package org.lgsr.model.neural;

/**
 * One step of GRU4Rec's GRU (Cho et al.'s form, the reset gate on h before its product with Uh) in double
 * precision, shared by its session-parallel training ({@code Gru4RecParallel}) and the scorer of its code form
 * ({@code NeuralScorer}), so that the model trained is the model scored (docs/baselines-neural.md):
 * <pre>
 * z = sigmoid(gx[z] + h U_z)     r = sigmoid(gx[r] + h U_r)     c = tanh(gx[c] + (r * h) Uh)     h' = (1 - z) h + z c
 * </pre>
 * gx (3h, [z | r | candidate]) is the gates' input pre-activation with its bias bx: x Wx + bx in the paper's
 * form, E[v] + bx for the code form's one-hot input.
 */
public final class Gru4RecCell {
    private Gru4RecCell() {
    }

    /** From gx and the previous state hp: gh (2h, scratch), z, r, rh = r * hp, c and the new state hn (all of width h). */
    public static void step(float[] w, NeuralLayout L, double[] gx, double[] hp, double[] gh,
                            double[] z, double[] r, double[] rh, double[] c, double[] hn) {
        final int d = L.h, u = L.U.offset(), uh = L.Uh.offset();
        for (int col = 0; col < 2 * d; col++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += hp[k] * w[u + k * 2 * d + col];
            gh[col] = s;
        }
        for (int k = 0; k < d; k++) {
            z[k] = sigmoid(gx[k] + gh[k]);
            r[k] = sigmoid(gx[d + k] + gh[d + k]);
            rh[k] = r[k] * hp[k];
        }
        for (int col = 0; col < d; col++) {
            double s = gx[2 * d + col];
            for (int k = 0; k < d; k++) s += rh[k] * w[uh + k * d + col];
            c[col] = Math.tanh(s);
            hn[col] = (1 - z[col]) * hp[col] + z[col] * c[col];
        }
    }

    /** The code form's one-hot input: gx = E[item] + bx (E of width 3h). */
    public static void oneHotInput(float[] w, NeuralLayout L, int item, double[] gx) {
        final int e = L.in.offset() + item * L.in.cols(), bx = L.bx.offset();
        for (int col = 0; col < 3 * L.h; col++) gx[col] = w[e + col] + w[bx + col];
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
