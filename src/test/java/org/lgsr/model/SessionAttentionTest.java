package org.lgsr.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lgsr.TestData;
import org.lgsr.model.cpu.Recommender;

/**
 * The attention maps of {@link SessionAttention}: softmax rows, the causal mask, the hard
 * sigmoid / sigmoid choice, and (independently of the reference model) the scores rebuilt from
 * the maps against what the float engine ({@link Recommender}) scores for the same session.
 */
class SessionAttentionTest {
    static final int N = 60, D = 16, MAX_LEN = 8;

    /** A random model whose attention is far from uniform: the attention and aggregation weights scaled up. */
    static float[] params(ModelConfig cfg, long seed) {
        Parameters p = Parameters.init(cfg, seed);
        ParamLayout L = p.layout;
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (ParamLayout.View v : L.views()) {
            double scale = v == L.Wq || v == L.Wk || v == L.Wa1 || v == L.Wa2 || v == L.q ? 4 : 1;
            for (int i = v.offset(); i < v.end(); i++) p.w[i] *= (float) scale;
            if (v == L.ln1g || v == L.ln2g || v == L.ln1b || v == L.ln2b) for (int i = v.offset(); i < v.end(); i++) p.w[i] += (float) (0.5 * r.nextDouble() - 0.25);
        }
        return p.w;
    }

    static int[] session(int len, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] s = new int[len];
        for (int i = 0; i < len; i++) s[i] = 1 + r.nextInt(N - 1);
        return s;
    }

    /** x W for a row vector x and W = the view (in, out) of {@code w}. */
    static double[] times(double[] x, float[] w, ParamLayout.View v) {
        double[] y = new double[v.cols()];
        for (int c = 0; c < v.cols(); c++) for (int k = 0; k < v.rows(); k++) y[c] += x[k] * w[v.offset() + k * v.cols() + c];
        return y;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static void softmaxInPlace(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v);
        double sum = 0;
        for (int i = 0; i < z.length; i++) sum += z[i] = Math.exp(z[i] - max);
        for (int i = 0; i < z.length; i++) z[i] /= sum;
    }

    /** Every item's score from the float engine: the top n-1 of lgsr recommend's engine is all of them. */
    static double[] engineScores(ModelConfig cfg, float[] w, int[] session) {
        Parameters p = new Parameters(new ParamLayout(cfg));
        System.arraycopy(w, 0, p.w, 0, w.length);
        int[][] items = new int[1][];
        float[][] scores = new float[1][];
        try (Recommender r = new Recommender(cfg, p, 4, 1)) {
            r.recommend(List.of(session), N - 1, false, items, scores);
        }
        double[] out = new double[N];
        for (int i = 0; i < items[0].length; i++) out[items[0][i]] = scores[0][i];
        return out;
    }

    @Test
    void mapsAreCausalSoftmaxesAndRebuildTheEngineScores() {
        long seed = TestData.seed();
        for (boolean hard : new boolean[] {true, false}) {
            ModelConfig cfg = new ModelConfig(N, D, MAX_LEN, 0.3f, 1e-6f, Variant.LGSR_C, hard);
            float[] w = params(cfg, seed);
            ParamLayout L = new ParamLayout(cfg);
            SessionAttention sa = new SessionAttention(cfg, w);
            for (int len : new int[] {1, 5, MAX_LEN, MAX_LEN + 3}) {
                String at = "seed " + seed + ", hard sigmoid " + hard + ", length " + len;
                int[] s = session(len, seed + len);
                SessionAttention.Maps m = sa.of(s);
                int t = Math.min(len, MAX_LEN);
                assertArrayEquals(java.util.Arrays.copyOfRange(s, len - t, len), m.items(), at + ": the last max_len items");
                double[][] A = m.selfAttention(), alpha = m.aggregation();
                assertEquals(t, A.length, at);
                assertEquals(t, alpha.length, at);

                // the causal self-attention, recomputed here: X = E[v_i] + P[t - i], A = softmax_{j<=i}(X_i Wq . X_j Wk / sqrt(d))
                double[][] X = new double[t][D];
                for (int i = 0; i < t; i++) for (int c = 0; c < D; c++) X[i][c] = (double) w[L.E.offset() + m.items()[i] * D + c] + w[L.P.offset() + (t - i) * D + c];
                for (int i = 0; i < t; i++) {
                    double[] qi = times(X[i], w, L.Wq);
                    double[] row = new double[i + 1];
                    for (int j = 0; j <= i; j++) row[j] = dot(qi, times(X[j], w, L.Wk)) / Math.sqrt(D);
                    softmaxInPlace(row);
                    double sum = 0;
                    for (int j = 0; j < t; j++) {
                        if (j > i) assertEquals(0.0, A[i][j], 0.0, at + ": key " + j + " after query " + i + " is masked");
                        else assertEquals(row[j], A[i][j], 1e-12, at + ": A[" + i + "][" + j + "]");
                        sum += A[i][j];
                    }
                    assertEquals(1.0, sum, 1e-12, at + ": row " + i + " of A");
                }
                // aggregation rows: softmaxes over their prefix, 0 after it
                for (int k = 0; k < t; k++) {
                    double sum = 0;
                    for (int j = 0; j < t; j++) {
                        if (j > k) assertEquals(0.0, alpha[k][j], 0.0, at + ": prefix " + k + " has no position " + j);
                        else assertTrue(alpha[k][j] > 0, at);
                        sum += alpha[k][j];
                    }
                    assertEquals(1.0, sum, 1e-12, at + ": aggregation row " + k);
                }

                // the last row, recomputed from F with this config's h: alpha_i = softmax(q . h(f_t Wa1 + f_i Wa2))
                double[][] F = m.last().features();
                double[] ft = F[t - 1], u = times(ft, w, L.Wa1), e = new double[t];
                for (int i = 0; i < t; i++) {
                    double[] g = times(F[i], w, L.Wa2);
                    for (int c = 0; c < D; c++) {
                        double x = g[c] + u[c];
                        double h = hard ? Math.max(0, Math.min(1, 0.2 * x + 0.5)) : 1 / (1 + Math.exp(-x));
                        e[i] += w[L.q.offset() + c] * h;
                    }
                }
                softmaxInPlace(e);
                for (int i = 0; i < t; i++) assertEquals(e[i], alpha[t - 1][i], 1e-12, at + ": alpha_" + i);

                // s_l = sum alpha_i f_i, s_f = [f_t ; s_l] W3, z_j = s_f . E[j]: against the float engine
                double[] cat = new double[2 * D];
                for (int c = 0; c < D; c++) {
                    cat[c] = ft[c];
                    for (int i = 0; i < t; i++) cat[D + c] += alpha[t - 1][i] * F[i][c];
                }
                double[] sf = times(cat, w, L.W3);
                double[] engine = engineScores(cfg, w, s);
                for (int j = 1; j < N; j++) {
                    double z = 0;
                    for (int c = 0; c < D; c++) z += sf[c] * w[L.E.offset() + j * D + c];
                    assertEquals(engine[j], z, 1e-4, at + ": score of item " + j);
                }
            }
        }
    }

    @Test
    void zeroQueryWeightsGiveUniformWeights() {
        // Wq = 0 makes every attention score 0: row i is 1/(i+1) on keys 0..i. q = 0 does the same to alpha.
        ModelConfig cfg = new ModelConfig(N, D, MAX_LEN, 0f, 0f, Variant.LGSR_C, true);
        float[] w = params(cfg, 7);
        ParamLayout L = new ParamLayout(cfg);
        java.util.Arrays.fill(w, L.Wq.offset(), L.Wq.end(), 0f);
        java.util.Arrays.fill(w, L.q.offset(), L.q.end(), 0f);
        SessionAttention.Maps m = new SessionAttention(cfg, w).of(new int[] {3, 9, 9, 41, 2, 17});
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                assertEquals(j <= i ? 1.0 / (i + 1) : 0.0, m.selfAttention()[i][j], 1e-15, "A[" + i + "][" + j + "]");
                assertEquals(j <= i ? 1.0 / (i + 1) : 0.0, m.aggregation()[i][j], 1e-15, "alpha row " + i + ", position " + j);
            }
        }
    }

    @Test
    void withoutAggregationLayerScoresComeFromTheLastPosition() {
        long seed = TestData.seed();
        ModelConfig cfg = new ModelConfig(N, D, MAX_LEN, 0.3f, 1e-6f, Variant.LGSR_A, true);
        float[] w = params(cfg, seed);
        ParamLayout L = new ParamLayout(cfg);
        int[] s = session(6, seed);
        SessionAttention.Maps m = new SessionAttention(cfg, w).of(s);
        assertNull(m.aggregation(), "LGSR-A has no aggregation weights");
        double[] sf = times(m.last().features()[5], w, L.W3);
        double[] engine = engineScores(cfg, w, s);
        for (int j = 1; j < N; j++) {
            double z = 0;
            for (int c = 0; c < D; c++) z += sf[c] * w[L.E.offset() + j * D + c];
            assertEquals(engine[j], z, 1e-4, "seed " + seed + ": score of item " + j);
        }
    }
}
