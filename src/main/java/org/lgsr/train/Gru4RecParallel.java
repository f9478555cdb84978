package org.lgsr.train;

import java.util.Arrays;
import java.util.function.BooleanSupplier;
import org.lgsr.data.Sessions;
import org.lgsr.model.DropoutMasks;
import org.lgsr.model.cpu.RecTrainer;
import org.lgsr.model.neural.Gru4RecCell;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.NeuralLayout;
import org.lgsr.model.neural.NeuralParameters;

/**
 * GRU4Rec trained as its paper trains it ({@code --variant gru4rec-top1}; docs/baselines-neural.md):
 * session-parallel mini-batches, the other rows' targets as the negatives, the TOP1 loss and
 * Adagrad. The parameters and the model are {@code --variant gru4rec}'s (input table E, GRU, output
 * table O), so evaluation, reports and checkpoints are the same; only the training differs.
 *
 * <p><b>Mini-batches (Hidasi et al. 2016, section 3.1.1).</b> Each of the B rows follows one
 * training session: at every step row i reads its session's current click and predicts the next;
 * its GRU state is carried from step to step (not back-propagated through: one step of
 * back-propagation, as the original) and reset to zero when the row moves on to the next session
 * of the epoch's order ({@link RecTrainer#epochOrder}, sessions of one click left out). The epoch
 * ends when a finished row finds no session left, as the original's.
 *
 * <p><b>Loss (section 3.1.3).</b> With the new states h_i and the scores R[i][j] = h_i . O[y_j] of
 * the batch's targets y_1..y_B (row i's own target y_i; the others its negatives, section 3.1.2):
 * <pre>
 * TOP1 = 1/B sum_i 1/B sum_j ( sigmoid(R[i][j] - R[i][i]) + sigmoid(R[i][j]^2) )
 * </pre>
 * (j = i included, as the paper's formula reads: its first term is the constant 1/2, its second
 * regularises the positive score; the authors' code leaves that second term out, as the code form does). A target that occurs in two rows is a negative of the other.
 *
 * <p><b>Optimiser.</b> Adagrad: acc += g^2, w -= lr g / (sqrt(acc) + 1e-6), on the rows of E and O a
 * step touches and on every GRU weight (rows without gradient do not change, so this is the dense
 * Adagrad). The accumulator lives in the parameters' first-moment buffer ({@code m}), so
 * checkpoints and resume carry it unchanged.
 *
 * <p><b>The code form ({@code --variant gru4rec-code}; {@link NeuralConfig#code()}).</b> GRU4Rec as its authors'
 * 2016 Theano code computes it with its defaults (hidasib/GRU4Rec: {@code loss='top1'} with its tanh {@code final_act},
 * {@code dropout_p_hidden=0.5, learning_rate=0.05, batch_size=50}, the sessions in order):
 * <ul>
 * <li>the one-hot input: row {@code in} of a (n, 3h) table E is the gates' input pre-activation (no Wx);</li>
 * <li>inverted dropout 0.5 on the new state (kept entries x2), the dropped state both scored and carried to the
 * next step, masks drawn from {@link DropoutMasks#stepSeed}(seed, step) at site {@link #DROP_SITE}, entry i d + k;</li>
 * <li>scores through an output bias and a tanh: R[i][j] = tanh(h_i . O[y_j] + bO[y_j]), and TOP1 on them as the code
 * computes it: the formula above less the positive's own regularisation term sigmoid(R[i][i]^2) / B of each row,
 * {@code mean_i (mean_j (sigmoid(R[i][j] - R[i][i]) + sigmoid(R[i][j]^2)) - sigmoid(R[i][i]^2) / B)};</li>
 * <li>Adagrad as the code's: w -= lr g / sqrt(acc + 1e-6);</li>
 * <li>the sessions in their file order every epoch (the code's order with {@code time_sort=False}), not shuffled.</li>
 * </ul>
 * Evaluation scores h . O[j] + bO[j] without dropout (the tanh is monotonic: same ranks).
 *
 * <p>The arithmetic is in double precision throughout (the batch is small; a step's cost is its
 * GRU products), and single-threaded, so a run is deterministic.
 */
final class Gru4RecParallel {
    static final double EPS = 1e-6;
    /** The code form's dropout site ({@link DropoutMasks#keep}). */
    static final int DROP_SITE = 5;

    private final NeuralParameters p;
    private final NeuralLayout L;
    private final Sessions train;
    private final int B, d, win;
    private final boolean code;
    private final long seed;
    private final double[][] H;
    // gradients of one step: dense block, and the touched rows of E, O and (code form) bO
    private final double[] gDense, gBias;
    private final double[][] gIn, gOut;
    private final int[] in, tgt;
    // one step's activations, reused from step to step: inputs, gates, candidate, r * h, previous and new states
    // (the code form: hn after dropout, mask its factors), scores (the code form: after the tanh)
    private final double[][] x, z, r, c, rh, hn, hp, mask, R, dR;
    /** When not null, each step appends "in>target" per row, R marking a row that starts a session (for tests). */
    java.util.List<String> trace;

    Gru4RecParallel(NeuralParameters p, Sessions train, int batch, long seed) {
        this.p = p;
        this.L = p.layout;
        this.train = train;
        this.B = batch;
        this.d = L.d;
        this.win = L.in.cols();
        this.code = L.cfg.code();
        this.seed = seed;
        this.H = new double[batch][d];
        this.gDense = new double[L.total() - L.denseStart()];
        this.gBias = new double[batch];
        this.gIn = new double[batch][win];
        this.gOut = new double[batch][d];
        this.in = new int[batch];
        this.tgt = new int[batch];
        this.x = new double[batch][d];
        this.z = new double[batch][d];
        this.r = new double[batch][d];
        this.c = new double[batch][d];
        this.rh = new double[batch][d];
        this.hn = new double[batch][d];
        this.hp = new double[batch][d];
        this.mask = new double[batch][d];
        this.R = new double[batch][batch];
        this.dR = new double[batch][batch];
    }

    /** One epoch at learning rate {@code lr}: returns its statistics (a "sample" is one click predicted). */
    RecTrainer.EpochStats epoch(int epoch, double lr, int maxSteps, RecTrainer.StepListener listener, BooleanSupplier stop) {
        long start = System.nanoTime();
        int[] all = code ? java.util.stream.IntStream.range(0, train.size()).toArray() : RecTrainer.epochOrder(train.size(), seed, epoch);
        int[] order = Arrays.stream(all).filter(s -> train.length(s) >= 2).toArray();
        if (order.length < B) {
            throw new IllegalArgumentException("--batch " + B + ": only " + order.length + " training sessions have a next click to predict");
        }
        int[] sess = new int[B], pos = new int[B];
        boolean[] reset = new boolean[B];
        int next = 0;
        for (int i = 0; i < B; i++) {
            sess[i] = order[next++];
            reset[i] = true;
        }
        double lossSum = 0;
        int steps = 0, seen = 0;
        boolean more = true;
        while (more && (maxSteps <= 0 || steps < maxSteps)) {
            for (int i = 0; i < B; i++) {
                if (reset[i]) Arrays.fill(H[i], 0.0);
                in[i] = train.item(sess[i], pos[i]);
                tgt[i] = train.item(sess[i], pos[i] + 1);
            }
            if (trace != null) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < B; i++) line.append(i > 0 ? " " : "").append(in[i]).append('>').append(tgt[i]).append(reset[i] ? "R" : "");
                trace.add(line.toString());
            }
            double loss = lossAndGradient(p.w, in, tgt, H, true, code, DropoutMasks.stepSeed(seed, p.step));
            adagrad(lr);
            p.step++;
            lossSum += loss;
            steps++;
            seen += B;
            if (listener != null) listener.stepDone(seen, loss);
            for (int i = 0; i < B; i++) {
                reset[i] = false;
                if (++pos[i] + 1 >= train.length(sess[i])) {
                    if (next == order.length) {
                        more = false; // a row found no session left: the epoch ends, as the original's
                        break;
                    }
                    sess[i] = order[next++];
                    pos[i] = 0;
                    reset[i] = true;
                }
            }
            if (stop != null && stop.getAsBoolean()) break;
        }
        double secs = (System.nanoTime() - start) * 1e-9;
        double[] phases = new double[RecTrainer.EpochStats.PHASES.length];
        phases[0] = secs;
        return new RecTrainer.EpochStats(epoch, steps, seen, lossSum / Math.max(1, steps), secs, phases);
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** {@link #lossAndGradient(float[], int[], int[], double[][], boolean, boolean, long)} without dropout. */
    double lossAndGradient(float[] w, int[] in, int[] tgt, double[][] h, boolean keepGradient) {
        return lossAndGradient(w, in, tgt, h, keepGradient, false, 0L);
    }

    /**
     * The TOP1 loss of one step for inputs {@code in}, targets {@code tgt} and states {@code h} (row i
     * of h is overwritten with its new state). With {@code keepGradient} the gradient is left in this
     * object's buffers for {@link #adagrad}. {@code drop}: the code form's dropout, its masks drawn from
     * {@code maskSeed}. Package-private for the gradient test.
     */
    double lossAndGradient(float[] w, int[] in, int[] tgt, double[][] h, boolean keepGradient, boolean drop, long maskSeed) {
        if (keepGradient) { // the step's rows, for gradientAsFlat and adagrad
            System.arraycopy(in, 0, this.in, 0, B);
            System.arraycopy(tgt, 0, this.tgt, 0, B);
        }
        final int bx = L.bx.offset(), u = L.U.offset(), uh = L.Uh.offset();
        final int eo = L.in.offset(), oo = L.out.offset(), bo = code ? L.outBias.offset() : -1;
        final double keepScale = 1.0 / (1.0 - NeuralConfig.GRU4REC_CODE_DROP_HIDDEN);
        double[] gx = new double[3 * d], gh = new double[2 * d];
        for (int i = 0; i < B; i++) {
            System.arraycopy(h[i], 0, hp[i], 0, d);
            if (code) { // the one-hot input: E's row is the gates' input pre-activation
                Gru4RecCell.oneHotInput(w, L, in[i], gx);
            } else {
                final int wx = L.Wx.offset();
                for (int k = 0; k < d; k++) x[i][k] = w[eo + in[i] * d + k];
                for (int col = 0; col < 3 * d; col++) {
                    double s = w[bx + col];
                    for (int k = 0; k < d; k++) s += x[i][k] * w[wx + k * 3 * d + col];
                    gx[col] = s;
                }
            }
            Gru4RecCell.step(w, L, gx, hp[i], gh, z[i], r[i], rh[i], c[i], hn[i]);
            if (drop) { // the code form's dropout on the new state
                for (int col = 0; col < d; col++) {
                    mask[i][col] = DropoutMasks.keep(maskSeed, DROP_SITE, (long) i * d + col, NeuralConfig.GRU4REC_CODE_DROP_HIDDEN) ? keepScale : 0.0;
                    hn[i][col] *= mask[i][col];
                }
            } else {
                Arrays.fill(mask[i], 1.0);
            }
        }
        for (int i = 0; i < B; i++) {
            for (int j = 0; j < B; j++) {
                double s = code ? w[bo + tgt[j]] : 0;
                for (int k = 0; k < d; k++) s += hn[i][k] * w[oo + tgt[j] * d + k];
                R[i][j] = code ? Math.tanh(s) : s;
            }
        }
        double loss = 0, inv = 1.0 / ((double) B * B);
        for (int i = 0; i < B; i++) {
            Arrays.fill(dR[i], 0.0);
            for (int j = 0; j < B; j++) {
                double a = sigmoid(R[i][j] - R[i][i]), q = sigmoid(R[i][j] * R[i][j]);
                boolean regularised = !code || j != i; // the code subtracts the positive's own term sigmoid(R[i][i]^2) / B
                loss += (a + (regularised ? q : 0)) * inv;
                if (j != i) {
                    dR[i][j] += a * (1 - a) * inv;
                    dR[i][i] -= a * (1 - a) * inv;
                }
                if (regularised) dR[i][j] += q * (1 - q) * 2 * R[i][j] * inv;
            }
        }
        for (int i = 0; i < B; i++) System.arraycopy(hn[i], 0, h[i], 0, d);
        if (!keepGradient) return loss;
        if (code) { // through the tanh: dR now holds dLoss/d(the score before it)
            for (int i = 0; i < B; i++) for (int j = 0; j < B; j++) dR[i][j] *= 1 - R[i][j] * R[i][j];
        }
        Arrays.fill(gDense, 0.0);
        Arrays.fill(gBias, 0.0);
        final int g0 = L.denseStart();
        for (int i = 0; i < B; i++) {
            Arrays.fill(gIn[i], 0.0);
            Arrays.fill(gOut[i], 0.0);
        }
        for (int j = 0; j < B; j++) { // dO[y_j] = sum_i dR[i][j] h_i; dbO[y_j] = sum_i dR[i][j]
            for (int i = 0; i < B; i++) {
                for (int k = 0; k < d; k++) gOut[j][k] += dR[i][j] * hn[i][k];
                gBias[j] += dR[i][j];
            }
        }
        for (int i = 0; i < B; i++) {
            double[] dhn = new double[d];
            for (int j = 0; j < B; j++) for (int k = 0; k < d; k++) dhn[k] += dR[i][j] * w[oo + tgt[j] * d + k];
            for (int k = 0; k < d; k++) dhn[k] *= mask[i][k]; // through the dropout (1 without it)
            double[] dg = new double[3 * d], dac = new double[d];
            for (int k = 0; k < d; k++) {
                dac[k] = dhn[k] * z[i][k] * (1 - c[i][k] * c[i][k]);
                dg[2 * d + k] = dac[k];
                dg[k] = dhn[k] * (c[i][k] - hp[i][k]) * z[i][k] * (1 - z[i][k]);
            }
            for (int k = 0; k < d; k++) { // d(r * h) = dac Uh^T; dUh += (r * h)^T dac
                double s = 0;
                for (int col = 0; col < d; col++) {
                    s += dac[col] * w[uh + k * d + col];
                    gDense[uh - g0 + k * d + col] += rh[i][k] * dac[col];
                }
                dg[d + k] = s * hp[i][k] * r[i][k] * (1 - r[i][k]);
            }
            for (int k = 0; k < d; k++) {
                for (int col = 0; col < 2 * d; col++) gDense[u - g0 + k * 2 * d + col] += hp[i][k] * dg[col];
            }
            for (int col = 0; col < 3 * d; col++) gDense[bx - g0 + col] += dg[col];
            if (code) {
                System.arraycopy(dg, 0, gIn[i], 0, 3 * d); // the one-hot input: E's row gets the pre-activation's gradient
            } else {
                final int wx = L.Wx.offset();
                for (int k = 0; k < d; k++) {
                    for (int col = 0; col < 3 * d; col++) gDense[wx - g0 + k * 3 * d + col] += x[i][k] * dg[col];
                }
                for (int k = 0; k < d; k++) {
                    double s = 0;
                    for (int col = 0; col < 3 * d; col++) s += dg[col] * w[wx + k * 3 * d + col];
                    gIn[i][k] = s;
                }
            }
        }
        return loss;
    }

    /** The gradient of the last step as one flat buffer (for the gradient test): repeated rows summed. */
    double[] gradientAsFlat() {
        double[] g = new double[L.total()];
        System.arraycopy(gDense, 0, g, L.denseStart(), gDense.length);
        for (int i = 0; i < B; i++) {
            for (int k = 0; k < win; k++) g[L.in.offset() + in[i] * win + k] += gIn[i][k];
            for (int k = 0; k < d; k++) g[L.out.offset() + tgt[i] * d + k] += gOut[i][k];
            if (code) g[L.outBias.offset() + tgt[i]] += gBias[i];
        }
        return g;
    }

    /** Adagrad on the dense block and on each touched row of E and O once, with its gradient summed over the batch. */
    private void adagrad(double lr) {
        final float[] w = p.w, acc = p.m;
        final int g0 = L.denseStart();
        for (int i = 0; i < gDense.length; i++) update(w, acc, g0 + i, gDense[i], lr);
        java.util.Map<Integer, double[]> rows = new java.util.LinkedHashMap<>(); // flat offset of a row -> its gradient
        for (int i = 0; i < B; i++) {
            double[] ge = rows.computeIfAbsent(L.in.offset() + in[i] * win, k -> new double[win]);
            double[] go = rows.computeIfAbsent(L.out.offset() + tgt[i] * d, k -> new double[d]);
            for (int k = 0; k < win; k++) ge[k] += gIn[i][k];
            for (int k = 0; k < d; k++) go[k] += gOut[i][k];
            if (code) rows.computeIfAbsent(L.outBias.offset() + tgt[i], k -> new double[1])[0] += gBias[i];
        }
        rows.forEach((off, g) -> {
            for (int k = 0; k < g.length; k++) update(w, acc, off + k, g[k], lr);
        });
    }

    private void update(float[] w, float[] acc, int i, double g, double lr) {
        if (g == 0.0) return;
        double a = acc[i] + g * g;
        acc[i] = (float) a;
        // the paper form: g / (sqrt(acc) + eps); the code form as its authors' code: g / sqrt(acc + eps)
        w[i] = (float) (w[i] - lr * g / (code ? Math.sqrt(a + EPS) : Math.sqrt(a) + EPS));
    }
}
