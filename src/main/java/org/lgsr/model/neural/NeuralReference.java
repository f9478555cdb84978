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
 * NARM:    h_1..h_t the GRU's states as above (width h, inputs x = E[v_k] of width d)
 *          a_j = va . sigmoid(h_t A1 + h_j A2);  c_l = sum_j a_j h_j   (not normalised)
 *          s = [h_t | c_l] WB;  z_j = s . E[j]                 (bilinear: [h_t | c_l] WB E[j]^T)
 *  code form ({@link NeuralConfig#code()}): x_k = E[v_k] * m_k (dropout 0.25), the GRU's z and r and the
 *          attention's sigmoid are hsig(x) = clip(0.2 x + 0.5, 0, 1), a = softmax_j(va . hsig(h_t A1 + h_j A2)),
 *          s = ([h_t | c_l] * m) WB (dropout 0.5); the masks m as {@link NeuralDropout} says
 * SR-GNN:  nodes u_1..u_m the distinct items of v_1..v_t (in order of first click), x_k = E[u_k];
 *          edge k -> l when some v_i = u_k, v_(i+1) = u_l (once, however often);
 *          Ain[l][k] = edge(k, l) / indeg(l),  Aout[k][l] = edge(k, l) / outdeg(k)
 *          in = Ain (x Win + bin) + biah;  out = Aout (x Wout + bout) + boah   (per node)
 *          [ir | ii | in_] = [in | out] Wih + bih;  [hr | hi | hn] = x Whh + bhh
 *          r = sigmoid(ir + hr);  u = sigmoid(ii + hi);  c = tanh(in_ + r * hn)
 *          g = c + u * (x - c)                                 (one gated step)
 *          s_l = g[node of v_t];  a_i = q3 . sigmoid(s_l Q1 + bq1 + g[node of v_i] Q2 + bq2)
 *          s_g = sum_i a_i g[node of v_i];  s = [s_g | s_l] W3 + b3;  z_j = s . E[j]
 * all:     loss_b = logsumexp_{j=1..n-1}(z_j) - z_target
 *          loss = mean_b loss_b + lambda2/2 * sum(theta^2)   (all parameters)
 * </pre>
 * Rows 0 of the item tables are padding: held at zero, their gradient is defined as zero.
 */
public final class NeuralReference {
    private final NeuralConfig cfg;
    private final NeuralLayout L;
    private final int d, h, n;
    private final boolean code;

    public NeuralReference(NeuralConfig cfg) {
        if (cfg.gru4recCode()) {
            throw new IllegalArgumentException("GRU4Rec's code form has no float64 reference here: its reference is Gru4RecParallel's double-precision step");
        }
        this.code = cfg.code();
        this.cfg = cfg;
        this.L = new NeuralLayout(cfg);
        this.d = cfg.dim();
        this.h = cfg.hidden();
        this.n = cfg.numItems();
    }

    public NeuralLayout layout() {
        return L;
    }

    /** The loss of the batch without dropout; when {@code grad} is not null it is overwritten with the gradient. */
    public double lossAndGradient(double[] th, double[] grad, Batch bt) {
        return lossAndGradient(th, grad, bt, NeuralDropout.NONE);
    }

    /** The loss of the batch with dropout {@code dr}; when {@code grad} is not null it is overwritten with the gradient. */
    public double lossAndGradient(double[] th, double[] grad, Batch bt, NeuralDropout dr) {
        if (grad != null) Arrays.fill(grad, 0.0);
        double sum = 0;
        for (int b = 0; b < bt.B; b++) {
            double[] s = encode(th, bt, b, null, dr);
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
            encode(th, bt, b, new double[][] {ds, grad}, dr);
        }
        double l2 = 0;
        for (double x : th) l2 += x * x;
        double lam = cfg.lambda2();
        if (grad != null) {
            for (int i = 0; i < th.length; i++) grad[i] = L.pinned(i) ? 0.0 : grad[i] + lam * th[i];
        }
        return sum / bt.B + 0.5 * lam * l2;
    }

    /** The session vector s of every row, (B, d), as evaluation computes it ({@link NeuralDropout#EVAL}). */
    public double[][] sessionVectors(double[] th, Batch bt) {
        double[][] out = new double[bt.B][];
        for (int b = 0; b < bt.B; b++) out[b] = encode(th, bt, b, null, NeuralDropout.EVAL);
        return out;
    }

    /** Forward of row b; with {@code back = {ds, grad}} also its backward from dLoss/ds, added into grad. */
    private double[] encode(double[] th, Batch bt, int b, double[][] back, NeuralDropout dr) {
        return switch (cfg.kind()) {
            case STAMP -> stamp(th, bt, b, back);
            case GRU4REC -> gru4rec(th, bt, b, back);
            case NARM -> narm(th, bt, b, back, dr);
            case SRGNN -> srgnn(th, bt, b, back);
        };
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

    private double[] gru4rec(double[] th, Batch bt, int b, double[][] back) {
        int t = bt.len[b];
        double[][] hs = gruForward(th, bt, b, NeuralDropout.NONE);
        if (back != null) {
            double[][] dh = new double[t][];
            dh[t - 1] = back[0];
            gruBackward(th, bt, b, hs, dh, back[1], NeuralDropout.NONE);
        }
        return hs[t];
    }

    /**
     * The GRU over x_k = E[v_k] (width d) from h_0 = 0: returns {h_0, ..., h_t} (width h), and keeps
     * what its backward needs in {@code hs[t + 1 ..]}: for each step k, z, r, candidate and r * h.
     */
    private double[][] gruForward(double[] th, Batch bt, int b, NeuralDropout dr) {
        int t = bt.len[b];
        double[][] out = new double[t + 1 + 4 * t][];
        double[] hh = new double[h];
        out[0] = hh;
        for (int k = 0; k < t; k++) {
            double[] x = row(th, L.in.offset() + bt.items[b * bt.T + k] * d);
            for (int c = 0; c < d; c++) x[c] *= inputFactor(bt, b, k, c, dr);
            double[] gx = add(vm(x, th, L.Wx), Arrays.copyOfRange(th, L.bx.offset(), L.bx.end()));
            double[] gh = vm(hh, th, L.U);
            double[] z = new double[h], r = new double[h], rh = new double[h];
            for (int c = 0; c < h; c++) {
                z[c] = gate(gx[c] + gh[c]);
                r[c] = gate(gx[h + c] + gh[h + c]);
                rh[c] = r[c] * hh[c];
            }
            double[] uc = vm(rh, th, L.Uh);
            double[] cand = new double[h], hn = new double[h];
            for (int c = 0; c < h; c++) {
                cand[c] = Math.tanh(gx[2 * h + c] + uc[c]);
                hn[c] = (1 - z[c]) * hh[c] + z[c] * cand[c];
            }
            int q = t + 1 + 4 * k;
            out[q] = z;
            out[q + 1] = r;
            out[q + 2] = cand;
            out[q + 3] = rh;
            hh = hn;
            out[k + 1] = hh;
        }
        return out;
    }

    /** Backward of {@link #gruForward} from dLoss/dh_k (dh[k - 1]; null entries are zero), added into g. */
    private void gruBackward(double[] th, Batch bt, int b, double[][] hs, double[][] dhExt, double[] g, NeuralDropout dr) {
        int t = bt.len[b];
        double[] dh = new double[h];
        for (int k = t - 1; k >= 0; k--) {
            if (dhExt[k] != null) addInto(dh, dhExt[k]);
            int q = t + 1 + 4 * k;
            double[] hp = hs[k], z = hs[q], r = hs[q + 1], cand = hs[q + 2], rh = hs[q + 3];
            double[] x = row(th, L.in.offset() + bt.items[b * bt.T + k] * d);
            for (int c = 0; c < d; c++) x[c] *= inputFactor(bt, b, k, c, dr);
            double[] dgx = new double[3 * h], dgh = new double[2 * h], dac = new double[h], dhp = new double[h];
            for (int c = 0; c < h; c++) {
                dac[c] = dh[c] * z[c] * (1 - cand[c] * cand[c]);
                dgx[2 * h + c] = dac[c];
                dhp[c] = dh[c] * (1 - z[c]);
                double dz = dh[c] * (cand[c] - hp[c]);
                dgx[c] = dgh[c] = dz * gateGrad(z[c]);
            }
            outer(rh, dac, g, L.Uh);
            double[] drh = vmT(dac, th, L.Uh);
            for (int c = 0; c < h; c++) {
                dhp[c] += drh[c] * r[c];
                double drc = drh[c] * hp[c];
                dgx[h + c] = dgh[h + c] = drc * gateGrad(r[c]);
            }
            outer(x, dgx, g, L.Wx);
            addTo(g, L.bx.offset(), dgx);
            outer(hp, dgh, g, L.U);
            addInto(dhp, vmT(dgh, th, L.U));
            double[] dx = vmT(dgx, th, L.Wx);
            for (int c = 0; c < d; c++) dx[c] *= inputFactor(bt, b, k, c, dr);
            addTo(g, L.in.offset() + bt.items[b * bt.T + k] * d, dx);
            dh = dhp;
        }
    }

    private double[] narm(double[] th, Batch bt, int b, double[][] back, NeuralDropout dr) {
        int t = bt.len[b];
        double[][] hs = gruForward(th, bt, b, dr);
        double[] ht = hs[t];
        double[] q1 = vm(ht, th, L.A1);
        double[][] sg = new double[t][];
        double[] a = new double[t], cl = new double[h];
        for (int j = 0; j < t; j++) {
            double[] pre = add(q1, vm(hs[j + 1], th, L.A2));
            sg[j] = new double[h];
            for (int c = 0; c < h; c++) sg[j][c] = gate(pre[c]);
            a[j] = dot(sg[j], th, L.va.offset());
        }
        if (code) { // a softmax over the session's positions
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < t; j++) max = Math.max(max, a[j]);
            for (int j = 0; j < t; j++) sum += (a[j] = Math.exp(a[j] - max));
            for (int j = 0; j < t; j++) a[j] /= sum;
        }
        for (int j = 0; j < t; j++) for (int c = 0; c < h; c++) cl[c] += a[j] * hs[j + 1][c];
        double[] cat = concat(ht, cl), catMask = new double[2 * h];
        for (int c = 0; c < 2 * h; c++) {
            catMask[c] = code ? dr.factor(NeuralDropout.SITE_CAT, (long) b * 2 * h + c, NeuralConfig.CODE_DROP_CAT) : 1;
            cat[c] *= catMask[c];
        }
        double[] s = vm(cat, th, L.WB);
        if (back == null) return s;
        double[] ds = back[0], g = back[1];
        outer(cat, ds, g, L.WB);
        double[] dcat = vmT(ds, th, L.WB);
        for (int c = 0; c < 2 * h; c++) dcat[c] *= catMask[c];
        double[][] dh = new double[t][];
        for (int j = 0; j < t; j++) dh[j] = new double[h];
        double[] dq1 = new double[h];
        double[] da = new double[t];
        double mean = 0; // code form: sum_k a_k da_k, for the softmax's backward
        for (int j = 0; j < t; j++) {
            for (int c = 0; c < h; c++) {
                da[j] += dcat[h + c] * hs[j + 1][c];
                dh[j][c] += a[j] * dcat[h + c];
            }
            mean += a[j] * da[j];
        }
        for (int j = 0; j < t; j++) {
            double de = code ? a[j] * (da[j] - mean) : da[j]; // dLoss/d(va . gate(pre_j))
            double[] dpre = new double[h];
            for (int c = 0; c < h; c++) {
                g[L.va.offset() + c] += de * sg[j][c];
                dpre[c] = de * th[L.va.offset() + c] * gateGrad(sg[j][c]);
                dq1[c] += dpre[c];
            }
            outer(hs[j + 1], dpre, g, L.A2);
            addInto(dh[j], vmT(dpre, th, L.A2));
        }
        outer(ht, dq1, g, L.A1);
        addInto(dh[t - 1], vmT(dq1, th, L.A1));
        for (int c = 0; c < h; c++) dh[t - 1][c] += dcat[c];
        gruBackward(th, bt, b, hs, dh, g, dr);
        return s;
    }

    /** SR-GNN's session graph of row b: {nodes (item ids, first-click order), alias (node of each position)}, and Ain, Aout. */
    static final class SessionGraph {
        final int[] nodes, alias;
        final double[][] ain, aout;

        SessionGraph(Batch bt, int b) {
            int t = bt.len[b];
            alias = new int[t];
            int[] tmp = new int[t];
            int m = 0;
            for (int i = 0; i < t; i++) {
                int v = bt.items[b * bt.T + i], k = 0;
                while (k < m && tmp[k] != v) k++;
                if (k == m) tmp[m++] = v;
                alias[i] = k;
            }
            nodes = Arrays.copyOf(tmp, m);
            boolean[][] edge = new boolean[m][m];
            for (int i = 0; i + 1 < t; i++) edge[alias[i]][alias[i + 1]] = true;
            int[] indeg = new int[m], outdeg = new int[m];
            for (int k = 0; k < m; k++) for (int l = 0; l < m; l++) if (edge[k][l]) {
                outdeg[k]++;
                indeg[l]++;
            }
            ain = new double[m][m];
            aout = new double[m][m];
            for (int k = 0; k < m; k++) for (int l = 0; l < m; l++) if (edge[k][l]) {
                ain[l][k] = 1.0 / indeg[l];
                aout[k][l] = 1.0 / outdeg[k];
            }
        }
    }

    private double[] srgnn(double[] th, Batch bt, int b, double[][] back) {
        int t = bt.len[b];
        SessionGraph sgph = new SessionGraph(bt, b);
        int m = sgph.nodes.length;
        double[][] x = new double[m][], pin = new double[m][], pout = new double[m][], inp = new double[m][], gi = new double[m][], gh = new double[m][];
        double[][] r = new double[m][], u = new double[m][], cand = new double[m][], gn = new double[m][];
        for (int k = 0; k < m; k++) {
            x[k] = row(th, L.in.offset() + sgph.nodes[k] * d);
            pin[k] = add(vm(x[k], th, L.Win), row(th, L.bin.offset()));
            pout[k] = add(vm(x[k], th, L.Wout), row(th, L.bout.offset()));
        }
        for (int k = 0; k < m; k++) {
            double[] ik = row(th, L.biah.offset()), ok = row(th, L.boah.offset());
            for (int l = 0; l < m; l++) for (int c = 0; c < d; c++) {
                ik[c] += sgph.ain[k][l] * pin[l][c];
                ok[c] += sgph.aout[k][l] * pout[l][c];
            }
            inp[k] = concat(ik, ok);
            gi[k] = add(vm(inp[k], th, L.Wih), Arrays.copyOfRange(th, L.bih.offset(), L.bih.end()));
            gh[k] = add(vm(x[k], th, L.Whh), Arrays.copyOfRange(th, L.bhh.offset(), L.bhh.end()));
            r[k] = new double[d];
            u[k] = new double[d];
            cand[k] = new double[d];
            gn[k] = new double[d];
            for (int c = 0; c < d; c++) {
                r[k][c] = sigmoid(gi[k][c] + gh[k][c]);
                u[k][c] = sigmoid(gi[k][d + c] + gh[k][d + c]);
                cand[k][c] = Math.tanh(gi[k][2 * d + c] + r[k][c] * gh[k][2 * d + c]);
                gn[k][c] = cand[k][c] + u[k][c] * (x[k][c] - cand[k][c]);
            }
        }
        int last = sgph.alias[t - 1];
        double[] sl = gn[last];
        double[] q1 = add(vm(sl, th, L.Q1), row(th, L.bq1.offset()));
        double[][] sg = new double[t][];
        double[] a = new double[t], sgl = new double[d];
        for (int i = 0; i < t; i++) {
            double[] gi2 = gn[sgph.alias[i]];
            double[] pre = add(add(q1, vm(gi2, th, L.Q2)), row(th, L.bq2.offset()));
            sg[i] = new double[d];
            for (int c = 0; c < d; c++) sg[i][c] = sigmoid(pre[c]);
            a[i] = dot(sg[i], th, L.q3.offset());
            for (int c = 0; c < d; c++) sgl[c] += a[i] * gi2[c];
        }
        double[] cat = concat(sgl, sl);
        double[] s = add(vm(cat, th, L.Wr), row(th, L.br.offset()));
        if (back == null) return s;
        double[] ds = back[0], g = back[1];
        outer(cat, ds, g, L.Wr);
        addTo(g, L.br.offset(), ds);
        double[] dcat = vmT(ds, th, L.Wr);
        double[][] dg = new double[m][d];
        double[] dq1 = new double[d];
        for (int i = 0; i < t; i++) {
            int k = sgph.alias[i];
            double da = 0;
            for (int c = 0; c < d; c++) {
                da += dcat[c] * gn[k][c];
                dg[k][c] += a[i] * dcat[c];
            }
            double[] dpre = new double[d];
            for (int c = 0; c < d; c++) {
                g[L.q3.offset() + c] += da * sg[i][c];
                dpre[c] = da * th[L.q3.offset() + c] * sg[i][c] * (1 - sg[i][c]);
                dq1[c] += dpre[c];
            }
            outer(gn[k], dpre, g, L.Q2);
            addTo(g, L.bq2.offset(), dpre);
            addInto(dg[k], vmT(dpre, th, L.Q2));
        }
        outer(sl, dq1, g, L.Q1);
        addTo(g, L.bq1.offset(), dq1);
        addInto(dg[last], vmT(dq1, th, L.Q1));
        for (int c = 0; c < d; c++) dg[last][c] += dcat[d + c];
        double[][] dx = new double[m][], dpin = new double[m][d], dpout = new double[m][d];
        for (int k = 0; k < m; k++) {
            double[] dgi = new double[3 * d], dgh = new double[3 * d];
            dx[k] = new double[d];
            for (int c = 0; c < d; c++) {
                double dy = dg[k][c];
                dx[k][c] += dy * u[k][c];
                double dc = dy * (1 - u[k][c]);
                double du = dy * (x[k][c] - cand[k][c]);
                dgi[d + c] = dgh[d + c] = du * u[k][c] * (1 - u[k][c]);
                double dn = dc * (1 - cand[k][c] * cand[k][c]);
                dgi[2 * d + c] = dn;
                dgh[2 * d + c] = dn * r[k][c];
                double dr = dn * gh[k][2 * d + c];
                dgi[c] = dgh[c] = dr * r[k][c] * (1 - r[k][c]);
            }
            outer(inp[k], dgi, g, L.Wih);
            addTo(g, L.bih.offset(), dgi);
            double[] dinp = vmT(dgi, th, L.Wih);
            outer(x[k], dgh, g, L.Whh);
            addTo(g, L.bhh.offset(), dgh);
            addInto(dx[k], vmT(dgh, th, L.Whh));
            for (int c = 0; c < d; c++) {
                g[L.biah.offset() + c] += dinp[c];
                g[L.boah.offset() + c] += dinp[d + c];
            }
            for (int l = 0; l < m; l++) for (int c = 0; c < d; c++) {
                dpin[l][c] += sgph.ain[k][l] * dinp[c];
                dpout[l][c] += sgph.aout[k][l] * dinp[d + c];
            }
        }
        for (int k = 0; k < m; k++) {
            outer(x[k], dpin[k], g, L.Win);
            addTo(g, L.bin.offset(), dpin[k]);
            addInto(dx[k], vmT(dpin[k], th, L.Win));
            outer(x[k], dpout[k], g, L.Wout);
            addTo(g, L.bout.offset(), dpout[k]);
            addInto(dx[k], vmT(dpout[k], th, L.Wout));
            addTo(g, L.in.offset() + sgph.nodes[k] * d, dx[k]);
        }
        return s;
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

    private static double[] concat(double[] a, double[] b) {
        double[] y = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, y, a.length, b.length);
        return y;
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

    /** Theano's hard sigmoid, NARM's code form: clip(0.2 x + 0.5, 0, 1). */
    public static double hardSigmoid(double x) {
        return Math.max(0, Math.min(1, 0.2 * x + 0.5));
    }

    /** The GRU's gates and NARM's attention: the sigmoid, or the hard sigmoid in NARM's code form. */
    private double gate(double x) {
        return code ? hardSigmoid(x) : sigmoid(x);
    }

    /** The gate's derivative from its value y: y (1 - y), or 0.2 inside the hard sigmoid's slope (0 where it is clipped). */
    private double gateGrad(double y) {
        return code ? (y > 0 && y < 1 ? 0.2 : 0) : y * (1 - y);
    }

    /** The dropout factor of entry c of the GRU's input x_k of row b (1 unless NARM's code form). */
    private double inputFactor(Batch bt, int b, int k, int c, NeuralDropout dr) {
        return code ? dr.factor(NeuralDropout.SITE_INPUT, ((long) b * bt.T + k) * d + c, NeuralConfig.CODE_DROP_INPUT) : 1;
    }
}
