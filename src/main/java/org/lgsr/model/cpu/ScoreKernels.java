package org.lgsr.model.cpu;

import org.lgsr.util.Parallel;

/**
 * The three big products of the final scoring layer, cache-blocked so that the inner loop runs
 * over contiguous floats (which C2 vectorizes), with item blocks or row blocks as parallel
 * tasks. Every output element is summed in one fixed order whatever the thread count, so the
 * results are bit-identical for any number of threads.
 *
 * <pre>
 *   scores:          z   (B, n) = sf (B, d) . ET (d, n)        (ET = E transposed)
 *   scoresBackwardE: dET (d, n) = sf^T (d, B) . dz (B, n)
 *   scoresBackwardS: dsf (B, d) = dz (B, n) . E (n, d)
 * </pre>
 */
public final class ScoreKernels {
    /** Items per block: a (d, JB) slice of ET is 100 KB at d = 100. */
    static final int JB = 256;
    /** Items per block of the dsf product: a (JE, d) slice of E is 400 KB. */
    static final int JE = 1024;

    private ScoreKernels() {
    }

    /** dst (cols, rows) = src (rows, cols) transposed (src read from offset 0), in 64 x 64 tiles. */
    public static void transpose(float[] src, int rows, int cols, float[] dst, Parallel par) {
        final int tile = 64;
        boolean byCols = cols >= rows;
        int blocks = ((byCols ? cols : rows) + tile - 1) / tile;
        par.forEach(blocks, blk -> {
            int a0 = blk * tile;
            if (byCols) {
                int c1 = Math.min(cols, a0 + tile);
                for (int r0 = 0; r0 < rows; r0 += tile) {
                    int r1 = Math.min(rows, r0 + tile);
                    for (int c = a0; c < c1; c++) for (int r = r0; r < r1; r++) dst[c * rows + r] = src[r * cols + c];
                }
            } else {
                int r1 = Math.min(rows, a0 + tile);
                for (int c0 = 0; c0 < cols; c0 += tile) {
                    int c1 = Math.min(cols, c0 + tile);
                    for (int c = c0; c < c1; c++) for (int r = a0; r < r1; r++) dst[c * rows + r] = src[r * cols + c];
                }
            }
        });
    }

    /** z (B, n) = sf (B, d) ET (d, n). Summation order: k = 0..d-1. */
    public static void scores(float[] sf, int B, int d, float[] et, int n, float[] z, Parallel par) {
        int blocks = (n + JB - 1) / JB;
        par.forEach(blocks, blk -> {
            int j0 = blk * JB, j1 = Math.min(n, j0 + JB);
            for (int b = 0; b < B; b++) {
                int zo = b * n;
                int so = b * d;
                for (int j = j0; j < j1; j++) z[zo + j] = 0f;
                int k = 0;
                for (; k + 3 < d; k += 4) {
                    float s0 = sf[so + k], s1 = sf[so + k + 1], s2 = sf[so + k + 2], s3 = sf[so + k + 3];
                    int e0 = k * n, e1 = e0 + n, e2 = e1 + n, e3 = e2 + n;
                    for (int j = j0; j < j1; j++) {
                        z[zo + j] = z[zo + j] + s0 * et[e0 + j] + s1 * et[e1 + j] + s2 * et[e2 + j] + s3 * et[e3 + j];
                    }
                }
                for (; k < d; k++) {
                    float s0 = sf[so + k];
                    int e0 = k * n;
                    for (int j = j0; j < j1; j++) z[zo + j] += s0 * et[e0 + j];
                }
            }
        });
    }

    /** dET (d, n) = sf^T dz: overwrites dET. Summation order: b = 0..B-1. */
    public static void scoresBackwardE(float[] sf, int B, int d, float[] dz, int n, float[] det, Parallel par) {
        int blocks = (n + JB - 1) / JB;
        par.forEach(blocks, blk -> {
            int j0 = blk * JB, j1 = Math.min(n, j0 + JB);
            for (int k = 0; k < d; k++) {
                int o = k * n;
                for (int j = j0; j < j1; j++) det[o + j] = 0f;
                int b = 0;
                for (; b + 3 < B; b += 4) {
                    float s0 = sf[b * d + k], s1 = sf[(b + 1) * d + k], s2 = sf[(b + 2) * d + k], s3 = sf[(b + 3) * d + k];
                    int z0 = b * n, z1 = z0 + n, z2 = z1 + n, z3 = z2 + n;
                    for (int j = j0; j < j1; j++) {
                        det[o + j] = det[o + j] + s0 * dz[z0 + j] + s1 * dz[z1 + j] + s2 * dz[z2 + j] + s3 * dz[z3 + j];
                    }
                }
                for (; b < B; b++) {
                    float s0 = sf[b * d + k];
                    int z0 = b * n;
                    for (int j = j0; j < j1; j++) det[o + j] += s0 * dz[z0 + j];
                }
            }
        });
    }

    /** dsf (B, d) = dz (B, n) E (n, d): overwrites dsf. Summation order: j = 0..n-1. */
    public static void scoresBackwardS(float[] dz, int B, int n, float[] e, int d, float[] dsf, Parallel par) {
        // row groups as large as the threads allow, so each E block is reused by many rows
        int rowsPerTask = Math.max(4, (B + 2 * par.threads() - 1) / (2 * par.threads()));
        int tasks = (B + rowsPerTask - 1) / rowsPerTask;
        par.forEach(tasks, task -> {
            int b0 = task * rowsPerTask, b1 = Math.min(B, b0 + rowsPerTask);
            for (int b = b0; b < b1; b++) java.util.Arrays.fill(dsf, b * d, b * d + d, 0f);
            for (int j0 = 0; j0 < n; j0 += JE) {
                int j1 = Math.min(n, j0 + JE);
                for (int b = b0; b < b1; b++) {
                    int so = b * d, zo = b * n;
                    int j = j0;
                    for (; j + 3 < j1; j += 4) {
                        float a0 = dz[zo + j], a1 = dz[zo + j + 1], a2 = dz[zo + j + 2], a3 = dz[zo + j + 3];
                        int e0 = j * d, e1 = e0 + d, e2 = e1 + d, e3 = e2 + d;
                        for (int c = 0; c < d; c++) {
                            dsf[so + c] = dsf[so + c] + a0 * e[e0 + c] + a1 * e[e1 + c] + a2 * e[e2 + c] + a3 * e[e3 + c];
                        }
                    }
                    for (; j < j1; j++) {
                        float a0 = dz[zo + j];
                        int e0 = j * d;
                        for (int c = 0; c < d; c++) dsf[so + c] += a0 * e[e0 + c];
                    }
                }
            }
        });
    }
}
