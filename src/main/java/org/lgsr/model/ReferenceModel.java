package org.lgsr.model;

import java.util.Arrays;

/**
 * The specification of the recommendation module (MODEL.md section 2, [code] behaviour), in
 * double precision, written for clarity: one sample at a time, forward then backward, with
 * fresh arrays. The float engines must match it; finite differences check it.
 *
 * <p>Per sample of length t (slots 0..t-1 of a left-aligned {@link Batch}), d = model width:
 * <pre>
 *  X   = (E[v_i] + P[pos_i]) * mask_x                         (t, d)
 *  Q,K,V = X Wq, X Wk, X Wv                                    (t, d)
 *  A   = softmax_j<=i (Q_i . K_j / sqrt(d))                    (t, t)  causal, pad keys excluded
 *  S   = LN1(( A * mask_attn) V + X)                           (t, d)
 *  F   = LN2(mask_ff2 * ((mask_ff1 * ReLU(S W1 + b1)) W2 + b2) + S)
 *  f_t = F[t-1]
 *  C:  u = f_t Wa1; e_i = q . h(F_i Wa2 + u); alpha = softmax_i(e); s_l = sum_i alpha_i F_i
 *      c = [f_t ; s_l] * mask_cat                               (2d)
 *  A:  c = f_t * mask_cat                                       (d)
 *  s_f = c W3                                                   (d)
 *  z_j = s_f . E[j], j = 1..n-1;  loss_b = logsumexp(z) - z_target
 *  loss = mean_b loss_b + lambda2/2 * sum(theta^2)   (all parameters)
 * </pre>
 * LN(x) = gamma * (x - mean) / sqrt(var + 1e-8) + beta with the population variance over d.
 */
public final class ReferenceModel {
    public static final double LN_EPS = 1e-8;
    private final ModelConfig cfg;
    private final ParamLayout L;
    private final int d;

    public ReferenceModel(ModelConfig cfg) {
        this.cfg = cfg;
        this.L = new ParamLayout(cfg);
        this.d = cfg.dim();
    }

    public ParamLayout layout() {
        return L;
    }

    /**
     * The loss of the batch; when {@code grad} is not null it is overwritten with the gradient.
     * {@code masks} null means dropout off (evaluation mode).
     */
    public double lossAndGradient(double[] th, double[] grad, Batch bt, DropoutMasks masks) {
        if (grad != null) Arrays.fill(grad, 0.0);
        double sum = 0;
        for (int b = 0; b < bt.B; b++) sum += sample(th, grad, bt, masks, b, 1.0 / bt.B, null, null);
        double l2 = 0;
        for (double x : th) l2 += x * x;
        double lam = cfg.lambda2();
        if (grad != null) {
            for (int i = 0; i < th.length; i++) grad[i] += lam * th[i];
            Arrays.fill(grad, L.E.offset(), L.E.offset() + d, 0.0);
            Arrays.fill(grad, L.P.offset(), L.P.offset() + d, 0.0);
        }
        return sum / bt.B + 0.5 * lam * l2;
    }

    /** The session representation s_f of every row (dropout off), (B, d). */
    public double[][] sessionEmbeddings(double[] th, Batch bt) {
        double[][] out = new double[bt.B][];
        for (int b = 0; b < bt.B; b++) {
            out[b] = new double[d];
            sample(th, null, bt, null, b, 1.0, out[b], null);
        }
        return out;
    }

    /**
     * What one forward pass of row {@code b} computes on the way to its scores, dropout off (the
     * model as it recommends; paper Figures 7 and 8). {@code selfAttention} is the causal softmax
     * A (t x t, row i = query position i, {@code A[i][j] = 0} for keys j > i); {@code aggregation}
     * is alpha over the t positions (null for LGSR-A, which has no aggregation layer);
     * {@code features} are the rows f_i of F (t x d) and {@code sessionEmbedding} is s_f.
     * Positions are the row's slots, oldest item first.
     */
    public record Trace(double[][] selfAttention, double[] aggregation, double[][] features, double[] sessionEmbedding) {
    }

    /** The {@link Trace} of row {@code b} of {@code bt}: the same forward pass as the loss, with dropout off. */
    public Trace trace(double[] th, Batch bt, int b) {
        if (b < 0 || b >= bt.B) throw new IllegalArgumentException("row " + b + " outside 0.." + (bt.B - 1));
        Trace[] out = new Trace[1];
        sample(th, null, bt, null, b, 1.0, null, out);
        return out[0];
    }

    private double h(double x) {
        if (cfg.hardSigmoid()) return Math.max(0, Math.min(1, 0.2 * x + 0.5));
        return 1 / (1 + Math.exp(-x));
    }

    private double hPrime(double x) {
        if (cfg.hardSigmoid()) {
            double y = 0.2 * x + 0.5;
            return y > 0 && y < 1 ? 0.2 : 0.0;
        }
        double s = 1 / (1 + Math.exp(-x));
        return s * (1 - s);
    }

    private static double m(float[] mask, int idx) {
        return mask == null ? 1.0 : mask[idx];
    }

    /** y = x W (+ bias): x (r, in), W view (in, out). */
    private double[][] mm(double[][] x, double[] th, ParamLayout.View w, ParamLayout.View bias) {
        int in = w.rows(), out = w.cols();
        double[][] y = new double[x.length][out];
        for (int r = 0; r < x.length; r++) {
            for (int c = 0; c < out; c++) {
                double s = bias == null ? 0 : th[bias.offset() + c];
                for (int k = 0; k < in; k++) s += x[r][k] * th[w.offset() + k * out + c];
                y[r][c] = s;
            }
        }
        return y;
    }

    /** Backward of y = x W (+ b): accumulates dW (and db), returns dx. */
    private double[][] mmBack(double[][] x, double[][] dy, double[] th, double[] gr, ParamLayout.View w, ParamLayout.View bias) {
        int in = w.rows(), out = w.cols();
        double[][] dx = new double[x.length][in];
        for (int r = 0; r < x.length; r++) {
            for (int k = 0; k < in; k++) {
                double s = 0;
                for (int c = 0; c < out; c++) {
                    s += dy[r][c] * th[w.offset() + k * out + c];
                    gr[w.offset() + k * out + c] += x[r][k] * dy[r][c];
                }
                dx[r][k] = s;
            }
            if (bias != null) for (int c = 0; c < out; c++) gr[bias.offset() + c] += dy[r][c];
        }
        return dx;
    }

    /** LayerNorm forward; fills xhat and rstd for the backward. */
    private double[][] ln(double[][] x, double[] th, ParamLayout.View gam, ParamLayout.View bet, double[][] xhat, double[] rstd) {
        double[][] y = new double[x.length][d];
        for (int r = 0; r < x.length; r++) {
            double mean = 0;
            for (int c = 0; c < d; c++) mean += x[r][c];
            mean /= d;
            double var = 0;
            for (int c = 0; c < d; c++) var += (x[r][c] - mean) * (x[r][c] - mean);
            var /= d;
            rstd[r] = 1 / Math.sqrt(var + LN_EPS);
            for (int c = 0; c < d; c++) {
                xhat[r][c] = (x[r][c] - mean) * rstd[r];
                y[r][c] = th[gam.offset() + c] * xhat[r][c] + th[bet.offset() + c];
            }
        }
        return y;
    }

    private double[][] lnBack(double[][] dy, double[][] xhat, double[] rstd, double[] th, double[] gr, ParamLayout.View gam, ParamLayout.View bet) {
        double[][] dx = new double[dy.length][d];
        for (int r = 0; r < dy.length; r++) {
            double[] dxh = new double[d];
            double mean1 = 0, mean2 = 0;
            for (int c = 0; c < d; c++) {
                gr[gam.offset() + c] += dy[r][c] * xhat[r][c];
                gr[bet.offset() + c] += dy[r][c];
                dxh[c] = dy[r][c] * th[gam.offset() + c];
                mean1 += dxh[c];
                mean2 += dxh[c] * xhat[r][c];
            }
            mean1 /= d;
            mean2 /= d;
            for (int c = 0; c < d; c++) dx[r][c] = rstd[r] * (dxh[c] - mean1 - xhat[r][c] * mean2);
        }
        return dx;
    }

    /**
     * Forward (and backward when gr != null, scaled by {@code scale}) of one row; returns its
     * cross-entropy. When {@code sfOut} is not null it receives s_f; when {@code traceOut} is not
     * null its first element receives the pass's {@link Trace}.
     */
    private double sample(double[] th, double[] gr, Batch bt, DropoutMasks mk, int b, double scale, double[] sfOut, Trace[] traceOut) {
        final int T = bt.T, t = bt.len[b], n = cfg.numItems();
        final boolean aggregate = cfg.variant() == Variant.LGSR_C;
        final int cd = cfg.variant().catDim(d);
        final float[] mx = mk == null ? null : mk.x, ma = mk == null ? null : mk.attn;
        final float[] m1 = mk == null ? null : mk.ff1, m2 = mk == null ? null : mk.ff2, mc = mk == null ? null : mk.cat;

        // ---- forward ----
        double[][] X = new double[t][d];
        for (int i = 0; i < t; i++) {
            int it = bt.items[b * T + i], p = bt.pos[b * T + i];
            for (int c = 0; c < d; c++) X[i][c] = (th[L.E.offset() + it * d + c] + th[L.P.offset() + p * d + c]) * m(mx, (b * T + i) * d + c);
        }
        double[][] Q = mm(X, th, L.Wq, null), K = mm(X, th, L.Wk, null), V = mm(X, th, L.Wv, null);
        double[][] A = new double[t][t], Ad = new double[t][t];
        double inv = 1 / Math.sqrt(d);
        for (int i = 0; i < t; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int c = 0; c < d; c++) s += Q[i][c] * K[j][c];
                A[i][j] = s * inv;
                max = Math.max(max, A[i][j]);
            }
            double z = 0;
            for (int j = 0; j <= i; j++) {
                A[i][j] = Math.exp(A[i][j] - max);
                z += A[i][j];
            }
            for (int j = 0; j <= i; j++) {
                A[i][j] /= z;
                Ad[i][j] = A[i][j] * m(ma, (b * T + i) * T + j);
            }
        }
        double[][] R1 = new double[t][d];
        for (int i = 0; i < t; i++) {
            for (int c = 0; c < d; c++) {
                double s = X[i][c];
                for (int j = 0; j <= i; j++) s += Ad[i][j] * V[j][c];
                R1[i][c] = s;
            }
        }
        double[][] xh1 = new double[t][d];
        double[] rs1 = new double[t];
        double[][] S = ln(R1, th, L.ln1g, L.ln1b, xh1, rs1);
        double[][] H1pre = mm(S, th, L.W1, L.b1);
        double[][] H1 = new double[t][d];
        for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) H1[i][c] = Math.max(0, H1pre[i][c]) * m(m1, (b * T + i) * d + c);
        double[][] H2pre = mm(H1, th, L.W2, L.b2);
        double[][] R2 = new double[t][d];
        for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) R2[i][c] = H2pre[i][c] * m(m2, (b * T + i) * d + c) + S[i][c];
        double[][] xh2 = new double[t][d];
        double[] rs2 = new double[t];
        double[][] F = ln(R2, th, L.ln2g, L.ln2b, xh2, rs2);
        double[] ft = F[t - 1];

        double[] cat = new double[cd];
        double[] u = null, alpha = null;
        double[][] G = null;
        if (aggregate) {
            u = mm(new double[][] {ft}, th, L.Wa1, null)[0];
            G = mm(F, th, L.Wa2, null);
            double[] e = new double[t];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < t; i++) {
                double s = 0;
                for (int c = 0; c < d; c++) {
                    G[i][c] += u[c];
                    s += th[L.q.offset() + c] * h(G[i][c]);
                }
                e[i] = s;
                max = Math.max(max, s);
            }
            alpha = new double[t];
            double z = 0;
            for (int i = 0; i < t; i++) z += alpha[i] = Math.exp(e[i] - max);
            for (int i = 0; i < t; i++) alpha[i] /= z;
            for (int c = 0; c < d; c++) {
                cat[c] = ft[c];
                double s = 0;
                for (int i = 0; i < t; i++) s += alpha[i] * F[i][c];
                cat[d + c] = s;
            }
        } else {
            System.arraycopy(ft, 0, cat, 0, d);
        }
        double[] catD = new double[cd];
        for (int k = 0; k < cd; k++) catD[k] = cat[k] * m(mc, b * cd + k);
        double[] sf = mm(new double[][] {catD}, th, L.W3, null)[0];
        if (sfOut != null) System.arraycopy(sf, 0, sfOut, 0, d);
        if (traceOut != null) traceOut[0] = new Trace(A, alpha, F, sf);

        double[] zs = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 1; j < n; j++) {
            double s = 0;
            for (int c = 0; c < d; c++) s += sf[c] * th[L.E.offset() + j * d + c];
            zs[j] = s;
            max = Math.max(max, s);
        }
        double sumExp = 0;
        for (int j = 1; j < n; j++) sumExp += Math.exp(zs[j] - max);
        double lse = max + Math.log(sumExp);
        double loss = lse - zs[bt.target[b]];
        if (gr == null) return loss;

        // ---- backward ----
        double[] dsf = new double[d];
        for (int j = 1; j < n; j++) {
            double dz = (Math.exp(zs[j] - lse) - (j == bt.target[b] ? 1 : 0)) * scale;
            for (int c = 0; c < d; c++) {
                dsf[c] += dz * th[L.E.offset() + j * d + c];
                gr[L.E.offset() + j * d + c] += dz * sf[c];
            }
        }
        double[] dcatD = mmBack(new double[][] {catD}, new double[][] {dsf}, th, gr, L.W3, null)[0];
        double[] dcat = new double[cd];
        for (int k = 0; k < cd; k++) dcat[k] = dcatD[k] * m(mc, b * cd + k);
        double[][] dF = new double[t][d];
        for (int c = 0; c < d; c++) dF[t - 1][c] += dcat[c];
        if (aggregate) {
            // s_l = sum alpha_i F_i
            double[] dalpha = new double[t];
            for (int i = 0; i < t; i++) {
                for (int c = 0; c < d; c++) {
                    dF[i][c] += alpha[i] * dcat[d + c];
                    dalpha[i] += F[i][c] * dcat[d + c];
                }
            }
            double dot = 0;
            for (int i = 0; i < t; i++) dot += alpha[i] * dalpha[i];
            double[][] dG = new double[t][d];
            double[] du = new double[d];
            for (int i = 0; i < t; i++) {
                double de = alpha[i] * (dalpha[i] - dot);
                for (int c = 0; c < d; c++) {
                    gr[L.q.offset() + c] += de * h(G[i][c]);
                    dG[i][c] = de * th[L.q.offset() + c] * hPrime(G[i][c]);
                    du[c] += dG[i][c];
                }
            }
            double[][] dFa = mmBack(F, dG, th, gr, L.Wa2, null);
            double[] dft = mmBack(new double[][] {ft}, new double[][] {du}, th, gr, L.Wa1, null)[0];
            for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) dF[i][c] += dFa[i][c];
            for (int c = 0; c < d; c++) dF[t - 1][c] += dft[c];
        }
        double[][] dR2 = lnBack(dF, xh2, rs2, th, gr, L.ln2g, L.ln2b);
        double[][] dH2pre = new double[t][d];
        for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) dH2pre[i][c] = dR2[i][c] * m(m2, (b * T + i) * d + c);
        double[][] dH1 = mmBack(H1, dH2pre, th, gr, L.W2, L.b2);
        double[][] dH1pre = new double[t][d];
        for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) dH1pre[i][c] = H1pre[i][c] > 0 ? dH1[i][c] * m(m1, (b * T + i) * d + c) : 0;
        double[][] dS = mmBack(S, dH1pre, th, gr, L.W1, L.b1);
        for (int i = 0; i < t; i++) for (int c = 0; c < d; c++) dS[i][c] += dR2[i][c];
        double[][] dR1 = lnBack(dS, xh1, rs1, th, gr, L.ln1g, L.ln1b);
        double[][] dX = new double[t][d];
        double[][] dV = new double[t][d];
        double[][] dQ = new double[t][d], dK = new double[t][d];
        for (int i = 0; i < t; i++) {
            double[] dA = new double[i + 1];
            double dot = 0;
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int c = 0; c < d; c++) {
                    s += dR1[i][c] * V[j][c];
                    dV[j][c] += Ad[i][j] * dR1[i][c];
                }
                dA[j] = s * m(ma, (b * T + i) * T + j);
                dot += dA[j] * A[i][j];
            }
            for (int j = 0; j <= i; j++) {
                double dsc = A[i][j] * (dA[j] - dot) * inv;
                for (int c = 0; c < d; c++) {
                    dQ[i][c] += dsc * K[j][c];
                    dK[j][c] += dsc * Q[i][c];
                }
            }
            for (int c = 0; c < d; c++) dX[i][c] += dR1[i][c];
        }
        double[][] dXq = mmBack(X, dQ, th, gr, L.Wq, null);
        double[][] dXk = mmBack(X, dK, th, gr, L.Wk, null);
        double[][] dXv = mmBack(X, dV, th, gr, L.Wv, null);
        for (int i = 0; i < t; i++) {
            int it = bt.items[b * T + i], p = bt.pos[b * T + i];
            for (int c = 0; c < d; c++) {
                double g = (dX[i][c] + dXq[i][c] + dXk[i][c] + dXv[i][c]) * m(mx, (b * T + i) * d + c);
                gr[L.E.offset() + it * d + c] += g;
                gr[L.P.offset() + p * d + c] += g;
            }
        }
        return loss;
    }
}
