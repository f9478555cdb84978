package org.lgsr.graph;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The health of an embedding table after an L_g pass: how far L_g has pushed its rows in one
 * common direction. Over the rows {@code 1 .. rows-1} (row 0 is padding), with {@code m} the
 * mean row: the mean row norm, the norm of {@code m}, and the mean cosine of a row with
 * {@code m} (about 0 for a table of independent random rows; 1 when every row points the same
 * way). Rows of norm 0 count as cosine 0.
 */
public record TableHealth(double meanNorm, double meanRowNorm, double meanCosine) {

    /** The health of the table of {@code rows} rows of {@code d} floats at {@code off} in {@code t}. */
    public static TableHealth of(float[] t, int off, int rows, int d) {
        if (rows < 2) return new TableHealth(0, 0, 0);
        double[] mean = new double[d];
        double normSum = 0;
        for (int r = 1; r < rows; r++) {
            int o = off + r * d;
            double sq = 0;
            for (int j = 0; j < d; j++) {
                mean[j] += t[o + j];
                sq += (double) t[o + j] * t[o + j];
            }
            normSum += Math.sqrt(sq);
        }
        int n = rows - 1;
        double mn = 0;
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
            mn += mean[j] * mean[j];
        }
        mn = Math.sqrt(mn);
        double cosSum = 0;
        if (mn > 0) {
            for (int r = 1; r < rows; r++) {
                int o = off + r * d;
                double dot = 0, sq = 0;
                for (int j = 0; j < d; j++) {
                    dot += t[o + j] * mean[j];
                    sq += (double) t[o + j] * t[o + j];
                }
                if (sq > 0) cosSum += dot / (Math.sqrt(sq) * mn);
            }
        }
        return new TableHealth(normSum / n, mn, cosSum / n);
    }

    /** For the run report. */
    public Map<String, Double> asMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("meanRowNorm", meanNorm);
        m.put("normOfMeanRow", meanRowNorm);
        m.put("meanCosineToMean", meanCosine);
        return m;
    }

    /**
     * The report's health entry after a pass: {@code E} and {@code theta} ({@link #asMap}) of (n, d) tables at their
     * offsets, and {@code biasMin}, {@code biasMax} of the bias's rows 1 .. n-1.
     */
    public static Map<String, Object> report(float[] e, int eOff, float[] theta, int thetaOff, float[] bias, int n, int d) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("E", of(e, eOff, n, d).asMap());
        h.put("theta", of(theta, thetaOff, n, d).asMap());
        double[] r = range(bias, 0, n);
        h.put("biasMin", r[0]);
        h.put("biasMax", r[1]);
        return h;
    }

    /** Minimum and maximum of {@code n} floats at {@code off}, skipping index {@code off} (row 0). */
    public static double[] range(float[] b, int off, int n) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (int i = 1; i < n; i++) {
            lo = Math.min(lo, b[off + i]);
            hi = Math.max(hi, b[off + i]);
        }
        return n < 2 ? new double[] {0, 0} : new double[] {lo, hi};
    }
}
