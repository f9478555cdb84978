package org.lgsr.model.neural;

import java.util.Arrays;
import org.lgsr.model.Batch;
import org.lgsr.model.ParamLayout.View;

/**
 * The specification of the neural baselines, in double precision and written for clarity: one
 * sample at a time, forward then backward, fresh arrays. The float engine
 * ({@code org.lgsr.model.cpu.NeuralCpuModel}) must match it; finite differences check it.
 *
 * <p>Per sample with items v_1..v_t (the last t <= maxLen of its prefix, a left-aligned {@link Batch}):
 * <pre>
 * STAMP:   x_i = E[v_i];  m_s = (1/t) sum_i x_i;  m_t = x_t
 *          a_i = w0 . sigmoid(x_i W1 + x_t W2 + m_s W3 + ba)   (not normalised)
 *          m_a = sum_i a_i x_i
 *          h_s = tanh(m_a Ws + bs);  h_t = tanh(m_t Wt + bt);  s = h_s * h_t
 *          z_j = s . E[j]                                      (trilinear: <h_s, h_t, x_j>)
 * GRU4Rec: h_0 = 0; for k = 1..t, x = E[v_k]:
 *          [gz | gr | gc] = x Wx + bx;  [uz | ur] = h U
 *          z = sigmoid(gz + uz);  r = sigmoid(gr + ur);  c = tanh(gc + (r * h) Uh)
 *          h = (1 - z) * h + z * c
 *          s = h_t;  z_j = s . O[j]
 * both:    loss_b = logsumexp_{j=1..n-1}(z_j) - z_target
 *          loss = mean_b loss_b + lambda2/2 * sum(theta^2)   (all parameters)
 * </pre>
 * Rows 0 of the item tables are padding: held at zero, their gradient is defined as zero.
 */
public final class NeuralReference {
    private final NeuralConfig cfg;
    private final NeuralLayout L;
    private final int d, n;

    public NeuralReference(NeuralConfig cfg) {
        this.cfg = cfg;
        this.L = new NeuralLayout(cfg);
        this.d = cfg.dim();
        this.n = cfg.numItems();
    }

    public NeuralLayout layout() {
        return L;
    }

    /** The loss of the batch; when {@code grad} is not null it is overwritten with the gradient. */
    public double lossAndGradient(double[] th, double[] grad, Batch bt) {
        if (grad != null) Arrays.fill(grad, 0.0);
        double sum = 0;
        for (int b = 0; b < bt.B; b++) {
            double[] s = encode(th, bt, b, null);
            // scores and softmax cross-entropy over items 1..n-1
            double[] z = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 1; j < n; j++) {
                z[j] = dot(s, th, L.out.offset() + j * d);
                max = Math.max(max, z[j]);
            }
            double se = 0;
            for (int j = 1; j < n; j++) se += Math.exp(z[j] - max);
            int target = bt.target[b];
            sum += Math.log(se) + max - z[target];
            if (grad == null) continue;
            double[] ds = new double[d];
            for (int j = 1; j < n; j++) {
                double dz = (Math.exp(z[j] - max) / se - (j == target ? 1 : 0)) / bt.B;
                int o = L.out.offset() + j * d;
                for (int c = 0; c < d; c++) {
                    grad[o + c] += dz * s[c];
                    ds[c] += dz * th[o + c];
                }
            }
            encode(th, bt, b, new double[][] {ds, grad});
        }
        double l2 = 0;
        for (double x : th) l2 += x * x;
        double lam = cfg.lambda2();
        if (grad != null) {
            for (int i = 0; i < th.length; i++) grad[i] = L.pinned(i) ? 0.0 : grad[i] + lam * th[i];
        }
        return sum / bt.B + 0.5 * lam * l2;
    }

    /** The session vector s of every row, (B, d). */
    public double[][] sessionVectors(double[] th, Batch bt) {
        double[][] out = new double[bt.B][];
        for (int b = 0; b < bt.B; b++) out[b] = encode(th, bt, b, null);
        return out;
    }

    /** Forward of row b; with {@code back = {ds, grad}} also its backward from dLoss/ds, added into grad. */
    private double[] encode(double[] th, Batch bt, int b, double[][] back) {
        return cfg.kind() == NeuralKind.STAMP ? stamp(th, bt, b, back) : gru(th, bt, b, back);
    }

    private double[] stamp(double[] th, Batch bt, int b, double[][] back) {
        int t = bt.len[b];
        double[][] x = new double[t][];
        double[] ms = new double[d];
        for (int i = 0; i < t; i++) {
            x[i] = row(th, L.in.offset() + bt.items[b * bt.T + i] * d);
            for (int c = 0; c < d; c++) ms[c] += x[i][c] / t;
        }
        double[] xt = x[t - 1];
        double[] common = add(add(vm(xt, th, L.W2), vm(ms, th, L.W3)), row(th, L.ba.offset()));
        double[][] sg = new double[t][];
        double[] a = new double[t];
        double[] ma = new double[d];
        for (int i = 0; i < t; i++) {
            double[] pre = add(vm(x[i], th, L.W1), common);
            sg[i] = new double[d];
            for (int c = 0; c < d; c++) sg[i][c] = sigmoid(pre[c]);
            a[i] = dot(sg[i], th, L.w0.offset());
            for (int c = 0; c < d; c++) ma[c] += a[i] * x[i][c];
        }
        double[] hs = tanh(add(vm(ma, th, L.Ws), row(th, L.bs.offset())));
        double[] ht = tanh(add(vm(xt, th, L.Wt), row(th, L.bt.offset())));
        double[] s = new double[d];
        for (int c = 0; c < d; c++) s[c] = hs[c] * ht[c];
        if (back == null) return s;
        double[] ds = back[0], g = back[1];
        double[][] dx = new double[t][d];
        double[] dus = new double[d], dut = new double[d];
        for (int c = 0; c < d; c++) {
            dus[c] = ds[c] * ht[c] * (1 - hs[c] * hs[c]);
            dut[c] = ds[c] * hs[c] * (1 - ht[c] * ht[c]);
        }
        outer(ma, dus, g, L.Ws);
        addTo(g, L.bs.offset(), dus);
        double[] dma = vmT(dus, th, L.Ws);
        outer(xt, dut, g, L.Wt);
        addTo(g, L.bt.offset(), dut);
        addInto(dx[t - 1], vmT(dut, th, L.Wt));
        double[] dsum = new double[d]; // sum over i of dLoss/dpre_i
        for (int i = 0; i < t; i++) {
            double da = 0;
            for (int c = 0; c < d; c++) {
                da += dma[c] * x[i][c];
                dx[i][c] += a[i] * dma[c];
            }
            double[] dpre = new double[d];
            for (int c = 0; c < d; c++) {
                g[L.w0.offset() + c] += da * sg[i][c];
                dpre[c] = da * th[L.w0.offset() + c] * sg[i][c] * (1 - sg[i][c]);
                dsum[c] += dpre[c];
            }
            outer(x[i], dpre, g, L.W1);
            addInto(dx[i], vmT(dpre, th, L.W1));
        }
        addTo(g, L.ba.offset(), dsum);
        outer(xt, dsum, g, L.W2);
        addInto(dx[t - 1], vmT(dsum, th, L.W2));
        outer(ms, dsum, g, L.W3);
        double[] dms = vmT(dsum, th, L.W3);
        for (int i = 0; i < t; i++) {
            for (int c = 0; c < d; c++) dx[i][c] += dms[c] / t;
            addTo(g, L.in.offset() + bt.items[b * bt.T + i] * d, dx[i]);
        }
        return s;
    }

    private double[] gru(double[] th, Batch bt, int b, double[][] back) {
        int t = bt.len[b];
        double[][] x = new double[t][], hPrev = new double[t][], z = new double[t][], r = new double[t][], cand = new double[t][], rh = new double[t][];
        double[] h = new double[d];
        for (int k = 0; k < t; k++) {
            x[k] = row(th, L.in.offset() + bt.items[b * bt.T + k] * d);
            hPrev[k] = h;
            double[] gx = add(vm(x[k], th, L.Wx), Arrays.copyOfRange(th, L.bx.offset(), L.bx.end()));
            double[] gh = vm(h, th, L.U);
            z[k] = new double[d];
            r[k] = new double[d];
            rh[k] = new double[d];
            for (int c = 0; c < d; c++) {
                z[k][c] = sigmoid(gx[c] + gh[c]);
                r[k][c] = sigmoid(gx[d + c] + gh[d + c]);
                rh[k][c] = r[k][c] * h[c];
            }
            double[] uc = vm(rh[k], th, L.Uh);
            cand[k] = new double[d];
            double[] hn = new double[d];
            for (int c = 0; c < d; c++) {
                cand[k][c] = Math.tanh(gx[2 * d + c] + uc[c]);
                hn[c] = (1 - z[k][c]) * h[c] + z[k][c] * cand[k][c];
            }
            h = hn;
        }
        if (back == null) return h;
        double[] g = back[1];
        double[] dh = back[0].clone();
        for (int k = t - 1; k >= 0; k--) {
            double[] hp = hPrev[k];
            double[] dgx = new double[3 * d], dgh = new double[2 * d], dac = new double[d], dhp = new double[d];
            for (int c = 0; c < d; c++) {
                dac[c] = dh[c] * z[k][c] * (1 - cand[k][c] * cand[k][c]);
                dgx[2 * d + c] = dac[c];
                dhp[c] = dh[c] * (1 - z[k][c]);
                double dz = dh[c] * (cand[k][c] - hp[c]);
                dgx[c] = dgh[c] = dz * z[k][c] * (1 - z[k][c]);
            }
            outer(rh[k], dac, g, L.Uh);
            double[] drh = vmT(dac, th, L.Uh);
            for (int c = 0; c < d; c++) {
                dhp[c] += drh[c] * r[k][c];
                double dr = drh[c] * hp[c];
                dgx[d + c] = dgh[d + c] = dr * r[k][c] * (1 - r[k][c]);
            }
            outer(x[k], dgx, g, L.Wx);
            addTo(g, L.bx.offset(), dgx);
            outer(hp, dgh, g, L.U);
            addInto(dhp, vmT(dgh, th, L.U));
            addTo(g, L.in.offset() + bt.items[b * bt.T + k] * d, vmT(dgx, th, L.Wx));
            dh = dhp;
        }
        return h;
    }

    // ------------------------------------------------------------------ helpers

    private double[] row(double[] th, int off) {
        return Arrays.copyOfRange(th, off, off + d);
    }

    private static double dot(double[] a, double[] th, int off) {
        double s = 0;
        for (int c = 0; c < a.length; c++) s += a[c] * th[off + c];
        return s;
    }

    /** x W for W of shape (in, out). */
    private static double[] vm(double[] x, double[] th, View w) {
        double[] y = new double[w.cols()];
        for (int k = 0; k < w.rows(); k++) for (int c = 0; c < w.cols(); c++) y[c] += x[k] * th[w.offset() + k * w.cols() + c];
        return y;
    }

    /** dy W^T for W of shape (in, out): the gradient of x W with respect to x. */
    private static double[] vmT(double[] dy, double[] th, View w) {
        double[] dx = new double[w.rows()];
        for (int k = 0; k < w.rows(); k++) for (int c = 0; c < w.cols(); c++) dx[k] += dy[c] * th[w.offset() + k * w.cols() + c];
        return dx;
    }

    /** grad[W] += x^T dy. */
    private static void outer(double[] x, double[] dy, double[] g, View w) {
        for (int k = 0; k < w.rows(); k++) for (int c = 0; c < w.cols(); c++) g[w.offset() + k * w.cols() + c] += x[k] * dy[c];
    }

    private static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int c = 0; c < a.length; c++) y[c] = a[c] + b[c];
        return y;
    }

    private static void addInto(double[] a, double[] b) {
        for (int c = 0; c < a.length; c++) a[c] += b[c];
    }

    private static void addTo(double[] g, int off, double[] v) {
        for (int c = 0; c < v.length; c++) g[off + c] += v[c];
    }

    private static double[] tanh(double[] a) {
        double[] y = new double[a.length];
        for (int c = 0; c < a.length; c++) y[c] = Math.tanh(a[c]);
        return y;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
