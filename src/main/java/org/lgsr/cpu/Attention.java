package org.lgsr.cpu;

/**
 * The fused causal self-attention of the recommendation module with its residual and
 * LayerNorm1 (MODEL.md section 2, step 4), forward and backward; CPU twins of the kernels in
 * {@code cuda/attention.cu}, with CpuModel's arithmetic (sequential float sums, the LayerNorm's
 * {@code 1/sqrt(var + 1e-8)} in double rounded once). The kernels sum in other orders and fuse
 * multiply-adds: equal up to rounding.
 *
 * <p>Shapes, row-major, row {@code r = b * T + i}: Q, K, V, X, S, XH, dS, dR, dQ, dK, dV
 * (B, T, d); A, maskA (B, T, T); RS (B, T); len (B); gamma, beta (d); dGammaPart, dBetaPart
 * (B, d). Slots {@code i < len[b]} are valid ({@code 1 <= len[b] <= T}). Every array is
 * followed by the offset of its first element; a {@code null} maskA means no dropout.
 */
public final class Attention {
    /** The LayerNorm epsilon (CpuModel's, ReferenceModel.LN_EPS). */
    public static final double LN_EPS = 1e-8;

    private Attention() {
    }

    /**
     * Forward (twin of attention_forward). Valid rows: {@code s_ij = (Q_i . K_j) / sqrt d} for
     * {@code j <= i}, {@code A_ij = softmax_j(s_ij)} (0 for {@code j > i}),
     * {@code R_i = sum_j A_ij maskA_ij V_j + X_i}; padded rows: A row 0, {@code R_i = X_i}. Every
     * row: LayerNorm over d with population variance, {@code RS = 1/sqrt(var + 1e-8)},
     * {@code XH = (R - mean) RS}, {@code S = gamma XH + beta}. Writes A, S, XH, RS for all B T rows.
     */
    public static void attentionForward(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] x, int xOff,
                                        int[] len, int lenOff, float[] maskA, int maskOff, float[] gamma, int gammaOff,
                                        float[] beta, int betaOff, int B, int T, int d, float[] a, int aOff, float[] s,
                                        int sOff, float[] xh, int xhOff, float[] rs, int rsOff) {
        checkShape(B, T, d);
        final float inv = (float) (1.0 / Math.sqrt(d));
        float[] r = new float[d];
        float[] e = new float[T];
        for (int b = 0; b < B; b++) {
            final int n = validLength(len, lenOff, b, T);
            for (int i = 0; i < T; i++) {
                final int row = b * T + i, ro = row * d, ao = aOff + row * T;
                System.arraycopy(x, xOff + ro, r, 0, d);
                for (int j = 0; j < T; j++) a[ao + j] = 0f;
                if (i < n) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        final int qo = qOff + ro, ko = kOff + (b * T + j) * d;
                        float sc = 0f;
                        for (int c = 0; c < d; c++) sc += q[qo + c] * k[ko + c];
                        sc *= inv;
                        e[j] = sc;
                        if (sc > max) max = sc;
                    }
                    float sum = 0f;
                    for (int j = 0; j <= i; j++) {
                        e[j] = (float) Math.exp(e[j] - max);
                        sum += e[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        final float aij = e[j] / sum;
                        a[ao + j] = aij;
                        final float w = maskA == null ? aij : aij * maskA[maskOff + row * T + j];
                        final int vo = vOff + (b * T + j) * d;
                        for (int c = 0; c < d; c++) r[c] += w * v[vo + c];
                    }
                }
                float mean = 0f;
                for (int c = 0; c < d; c++) mean += r[c];
                mean /= d;
                float var = 0f;
                for (int c = 0; c < d; c++) {
                    final float t = r[c] - mean;
                    var += t * t;
                }
                var /= d;
                final float rstd = (float) (1.0 / Math.sqrt(var + LN_EPS));
                rs[rsOff + row] = rstd;
                for (int c = 0; c < d; c++) {
                    final float h = (r[c] - mean) * rstd;
                    xh[xhOff + ro + c] = h;
                    s[sOff + ro + c] = gamma[gammaOff + c] * h + beta[betaOff + c];
                }
            }
        }
    }

    /**
     * Backward (twin of attention_backward) from dS, the forward's XH, RS, A and the inputs.
     * Valid rows: {@code dR = RS (g - mean(g) - XH mean(g XH))} with {@code g = dS gamma};
     * {@code dV_j = sum_{valid i >= j} A_ij maskA_ij dR_i};
     * {@code dAd_ij = (dR_i . V_j) maskA_ij}; {@code ds_ij = A_ij (dAd_ij - sum_k A_ik dAd_ik) / sqrt d};
     * {@code dQ_i = sum_{j <= i} ds_ij K_j}; {@code dK_j = sum_{valid i >= j} ds_ij Q_i}. Padded rows:
     * dR, dQ, dK, dV written 0 (dS there ignored). Per session: {@code dGammaPart[b] = sum_{valid i} dS_i XH_i},
     * {@code dBetaPart[b] = sum_{valid i} dS_i} (written, not accumulated).
     */
    public static void attentionBackward(float[] dS, int dSOff, float[] xh, int xhOff, float[] rs, int rsOff, float[] gamma,
                                         int gammaOff, float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] a,
                                         int aOff, float[] maskA, int maskOff, int[] len, int lenOff, int B, int T, int d,
                                         float[] dR, int dROff, float[] dQ, int dQOff, float[] dK, int dKOff, float[] dV,
                                         int dVOff, float[] dGammaPart, int dGammaOff, float[] dBetaPart, int dBetaOff) {
        checkShape(B, T, d);
        final float inv = (float) (1.0 / Math.sqrt(d));
        float[] dAd = new float[T];
        for (int b = 0; b < B; b++) {
            final int n = validLength(len, lenOff, b, T);
            final int base = b * T * d;
            for (int e = 0; e < T * d; e++) {
                dR[dROff + base + e] = 0f;
                dQ[dQOff + base + e] = 0f;
                dK[dKOff + base + e] = 0f;
                dV[dVOff + base + e] = 0f;
            }
            final int po = b * d;
            for (int c = 0; c < d; c++) {
                dGammaPart[dGammaOff + po + c] = 0f;
                dBetaPart[dBetaOff + po + c] = 0f;
            }
            // LayerNorm backward, valid rows (CpuModel.layerNormBackward)
            for (int i = 0; i < n; i++) {
                final int ro = base + i * d;
                float m1 = 0f, m2 = 0f;
                for (int c = 0; c < d; c++) {
                    final float g = dS[dSOff + ro + c], h = xh[xhOff + ro + c];
                    dGammaPart[dGammaOff + po + c] += g * h;
                    dBetaPart[dBetaOff + po + c] += g;
                    final float gg = g * gamma[gammaOff + c];
                    m1 += gg;
                    m2 += gg * h;
                }
                m1 /= d;
                m2 /= d;
                final float rstd = rs[rsOff + b * T + i];
                for (int c = 0; c < d; c++) {
                    dR[dROff + ro + c] = rstd * (dS[dSOff + ro + c] * gamma[gammaOff + c] - m1 - xh[xhOff + ro + c] * m2);
                }
            }
            // R_i = sum_j A_ij maskA_ij V_j + X_i (CpuModel.encodeBackward)
            for (int i = 0; i < n; i++) {
                final int row = b * T + i, ao = row * T, ri = dROff + base + i * d;
                float dot = 0f;
                for (int j = 0; j <= i; j++) {
                    final float aij = a[aOff + ao + j];
                    final float mij = maskA == null ? 1f : maskA[maskOff + ao + j];
                    final float am = maskA == null ? aij : aij * mij;
                    final int vo = vOff + base + j * d, dvo = dVOff + base + j * d;
                    float sc = 0f;
                    for (int c = 0; c < d; c++) {
                        sc += dR[ri + c] * v[vo + c];
                        dV[dvo + c] += am * dR[ri + c];
                    }
                    if (maskA != null) sc *= mij;
                    dAd[j] = sc;
                    dot += sc * aij;
                }
                for (int j = 0; j <= i; j++) {
                    final float ds = a[aOff + ao + j] * (dAd[j] - dot) * inv;
                    final int ko = kOff + base + j * d, qo = qOff + base + i * d;
                    final int dqo = dQOff + base + i * d, dko = dKOff + base + j * d;
                    for (int c = 0; c < d; c++) {
                        dQ[dqo + c] += ds * k[ko + c];
                        dK[dko + c] += ds * q[qo + c];
                    }
                }
            }
        }
    }

    private static void checkShape(int B, int T, int d) {
        if (B < 0 || T < 1 || d < 1) throw new IllegalArgumentException("attention: B = " + B + ", T = " + T + ", d = " + d);
    }

    private static int validLength(int[] len, int lenOff, int b, int T) {
        final int n = len[lenOff + b];
        if (n < 1 || n > T) throw new IllegalArgumentException("attention: len[" + b + "] = " + n + " is outside [1, T = " + T + "]");
        return n;
    }
}
