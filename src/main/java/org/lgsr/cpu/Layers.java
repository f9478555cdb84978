package org.lgsr.cpu;

/**
 * The element-wise and row-wise layers of the recommendation step; CPU twins of the kernels in
 * {@code cuda/layers.cu} (same names in camelCase, same argument order, an {@code int} offset
 * after every array; a {@code null} mask stands for a 0 pointer: dropout off).
 *
 * <p>Shapes: activations {@code (rows, d)} row-major at their offsets, {@code bias}, {@code gamma},
 * {@code beta} {@code (d)}; masks hold 0 or {@code 1/(1-rate)} and have the activation's shape.
 * Float arithmetic is the CPU engine's ({@code CpuModel}): each operation rounded to float on its
 * own, sums in index order. The element-wise twins, {@link #colSum} and the {@code g} of
 * {@link #l2Grad} equal their kernels bit for bit; the LayerNorm twins equal theirs to rounding
 * (the kernels sum a row in a warp tree).
 */
public final class Layers {
    /** LayerNorm's epsilon (added to the population variance, in double). */
    public static final double LN_EPS = 1e-8;
    /** Threads of a {@code col_sum} block; the partition of {@link #colSum} depends on it. */
    public static final int COL_SUM_THREADS = 256;
    /** The most blocks of {@code col_sum}'s first stage (rows of its scratch). */
    public static final int COL_SUM_MAX_BLOCKS = 512;
    /** Rows each thread of {@code col_sum}'s first stage adds, at least (where there are enough rows). */
    public static final int COL_SUM_ROWS_PER_THREAD = 16;

    private Layers() {
    }

    // ---------------------------------------------------------------- dropout masks

    /**
     * out[i] = 1/(1-rate) where the entry is kept, else 0, for i &lt; count (twin of
     * {@code dropout_mask}; equal to {@link org.lgsr.model.DropoutMasks#fill} bit for bit):
     * {@code z = mix64(seed + site * 0x9E3779B97F4A7C15 + i * 0xD1B54A32D192ED03)}, kept when
     * {@code (z >>> 40) * 2^-24 >= rate}.
     */
    public static void dropoutMask(float[] out, int outOff, long count, long seed, int site, float rate) {
        int n = checkCount(count, out, outOff, "out");
        float scale = 1f / (1f - rate);
        long base = seed + site * 0x9E3779B97F4A7C15L;
        for (int i = 0; i < n; i++) {
            long z = mix64(base + i * 0xD1B54A32D192ED03L);
            float u = (z >>> 40) * 0x1p-24f;
            out[outOff + i] = u >= rate ? scale : 0f;
        }
    }

    /** SplitMix64's finalizer (Java long arithmetic, wrapping). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // ---------------------------------------------------------------- forward

    /** X[r, c] = (E[items[r], c] + P[pos[r], c]) * mask[r, c] (twin of {@code embed_input}; mask null: no product). */
    public static void embedInput(float[] X, int xOff, float[] E, int eOff, float[] P, int pOff, int[] items, int itemsOff,
                                  int[] pos, int posOff, float[] mask, int maskOff, int rows, int d) {
        checkD(d);
        for (int r = 0; r < rows; r++) {
            int eo = eOff + items[itemsOff + r] * d, po = pOff + pos[posOff + r] * d, o = r * d;
            for (int c = 0; c < d; c++) {
                float v = E[eo + c] + P[po + c];
                X[xOff + o + c] = mask == null ? v : v * mask[maskOff + o + c];
            }
        }
    }

    /**
     * H1pre[r, c] += bias[c] (in place); H1[r, c] = max(0, H1pre[r, c]) * mask[r, c] (twin of
     * {@code bias_relu_dropout}; mask null: no product).
     */
    public static void biasReluDropout(float[] H1pre, int hpOff, float[] H1, int hOff, float[] bias, int biasOff,
                                       float[] mask, int maskOff, int rows, int d) {
        checkD(d);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < d; c++) {
                int i = r * d + c;
                float h = H1pre[hpOff + i] + bias[biasOff + c];
                H1pre[hpOff + i] = h;
                float y = Math.max(0f, h);
                H1[hOff + i] = mask == null ? y : y * mask[maskOff + i];
            }
        }
    }

    /**
     * x = (R2 + bias) * mask + S (mask null: no product), then LayerNorm over each row of x
     * with the population variance (twin of {@code bias_dropout_residual_layernorm}):
     * {@code RS = (float) (1 / sqrt(var + 1e-8))}, {@code XH = (x - mean) * RS},
     * {@code F = gamma * XH + beta}; mean and variance summed in float in column order, as
     * {@code CpuModel.layerNormForward} does.
     */
    public static void biasDropoutResidualLayernorm(float[] R2, int r2Off, float[] bias, int biasOff, float[] mask, int maskOff,
                                                    float[] S, int sOff, float[] gamma, int gammaOff, float[] beta, int betaOff,
                                                    int rows, int d, float[] F, int fOff, float[] XH, int xhOff,
                                                    float[] RS, int rsOff) {
        checkD(d);
        float[] x = new float[d];
        for (int r = 0; r < rows; r++) {
            int o = r * d;
            for (int c = 0; c < d; c++) {
                float v = R2[r2Off + o + c] + bias[biasOff + c];
                if (mask != null) v = v * mask[maskOff + o + c];
                x[c] = v + S[sOff + o + c];
            }
            float mean = 0f;
            for (int c = 0; c < d; c++) mean += x[c];
            mean /= d;
            float var = 0f;
            for (int c = 0; c < d; c++) {
                float t = x[c] - mean;
                var += t * t;
            }
            var /= d;
            float rstd = (float) (1.0 / Math.sqrt(var + LN_EPS));
            RS[rsOff + r] = rstd;
            for (int c = 0; c < d; c++) {
                float h = (x[c] - mean) * rstd;
                XH[xhOff + o + c] = h;
                F[fOff + o + c] = gamma[gammaOff + c] * h + beta[betaOff + c];
            }
        }
    }

    // ---------------------------------------------------------------- backward

    /**
     * LayerNorm backward (twin of {@code layer_norm_backward}): per row, {@code g = dY * gamma},
     * {@code dX = RS * (g - mean(g) - XH * mean(g * XH))}; per segment s of {@code segRows}
     * consecutive rows ({@code rows % segRows == 0}), {@code dGammaPart[s, c]} = sum of
     * {@code dY * XH} and {@code dBetaPart[s, c]} = sum of {@code dY} over the segment's rows
     * (written, shape {@code (rows / segRows, d)}).
     */
    public static void layerNormBackward(float[] dY, int dyOff, float[] XH, int xhOff, float[] RS, int rsOff, float[] gamma,
                                         int gammaOff, int rows, int d, int segRows, float[] dX, int dxOff,
                                         float[] dGammaPart, int dgOff, float[] dBetaPart, int dbOff) {
        checkD(d);
        checkSegments(rows, segRows);
        for (int s = 0; s < rows / segRows; s++) {
            int po = s * d;
            for (int c = 0; c < d; c++) {
                dGammaPart[dgOff + po + c] = 0f;
                dBetaPart[dbOff + po + c] = 0f;
            }
            for (int i = 0; i < segRows; i++) {
                int r = s * segRows + i, o = r * d;
                float m1 = 0f, m2 = 0f;
                for (int c = 0; c < d; c++) {
                    float dy = dY[dyOff + o + c], xh = XH[xhOff + o + c];
                    dGammaPart[dgOff + po + c] += dy * xh;
                    dBetaPart[dbOff + po + c] += dy;
                    float g = dy * gamma[gammaOff + c];
                    m1 += g;
                    m2 += g * xh;
                }
                m1 /= d;
                m2 /= d;
                float rstd = RS[rsOff + r];
                for (int c = 0; c < d; c++) {
                    float g = dY[dyOff + o + c] * gamma[gammaOff + c];
                    dX[dxOff + o + c] = rstd * (g - m1 - XH[xhOff + o + c] * m2);
                }
            }
        }
    }

    /** x[i] *= mask[i] for i &lt; count (twin of {@code mul_mask}; mask null: nothing). */
    public static void mulMask(float[] x, int xOff, float[] mask, int maskOff, long count) {
        int n = checkCount(count, x, xOff, "x");
        if (mask == null) return;
        for (int i = 0; i < n; i++) x[xOff + i] *= mask[maskOff + i];
    }

    /** out[i] = x[i] * mask[i] for i &lt; count (twin of {@code mul_mask_to}; mask null: a copy). */
    public static void mulMaskTo(float[] out, int outOff, float[] x, int xOff, float[] mask, int maskOff, long count) {
        int n = checkCount(count, out, outOff, "out");
        if (mask == null) {
            System.arraycopy(x, xOff, out, outOff, n);
            return;
        }
        for (int i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * mask[maskOff + i];
    }

    /**
     * dH[i] = (H1pre[i] &gt; 0 ? dH[i] : 0) * mask[i] for i &lt; count (twin of
     * {@code relu_dropout_backward}; mask null: no product).
     */
    public static void reluDropoutBackward(float[] dH, int dhOff, float[] H1pre, int hpOff, float[] mask, int maskOff, long count) {
        int n = checkCount(count, dH, dhOff, "dH");
        for (int i = 0; i < n; i++) {
            float g = H1pre[hpOff + i] > 0f ? dH[dhOff + i] : 0f;
            dH[dhOff + i] = mask == null ? g : g * mask[maskOff + i];
        }
    }

    // ---------------------------------------------------------------- deterministic reductions

    /** Blocks of {@code col_sum}'s first stage for (rows, cols): 1 means a single stage. */
    public static int colSumBlocks(int rows, int cols) {
        checkCols(cols);
        long perBlock = (long) COL_SUM_ROWS_PER_THREAD * colSumRowLanes(cols);
        return (int) Math.max(1, Math.min(COL_SUM_MAX_BLOCKS, (rows + perBlock - 1) / perBlock));
    }

    /** Row lanes of a {@code col_sum} block: threads / (cols rounded up to 32). */
    public static int colSumRowLanes(int cols) {
        checkCols(cols);
        return COL_SUM_THREADS / ((cols + 31) & ~31);
    }

    /**
     * out[c] = sum over r of in[r, c] (plus out[c] when {@code accumulate}), for in (rows, cols),
     * cols &lt;= 256 (twin of {@code col_sum} as the launcher runs it, bit for bit): G =
     * {@link #colSumBlocks} blocks each sum {@code ceil(rows / G)} consecutive rows into a (G, cols)
     * scratch, then one block sums the scratch (G = 1: one stage straight into out). Inside a
     * block, row lane ri of {@link #colSumRowLanes} adds rows ri, ri + lanes, ... in order from 0,
     * then the lane sums are added in lane order.
     */
    public static void colSum(float[] in, int inOff, int rows, int cols, float[] out, int outOff, boolean accumulate) {
        if (rows < 0) throw new IllegalArgumentException("col_sum: rows must be >= 0, got " + rows);
        int blocks = colSumBlocks(rows, cols);
        if (blocks == 1) {
            colSumStage(in, inOff, rows, cols, 1, out, outOff, accumulate);
            return;
        }
        float[] scratch = new float[blocks * cols];
        colSumStage(in, inOff, rows, cols, blocks, scratch, 0, false);
        colSumStage(scratch, 0, blocks, cols, 1, out, outOff, accumulate);
    }

    /** One launch of {@code col_sum} with {@code blocks} blocks (see the kernel). */
    static void colSumStage(float[] in, int inOff, int rows, int cols, int blocks, float[] out, int outOff, boolean accumulate) {
        int lanes = colSumRowLanes(cols);
        long ch = ((long) rows + blocks - 1) / blocks;
        float[] part = new float[lanes];
        for (int b = 0; b < blocks; b++) {
            long begin = b * ch, end = Math.min(rows, begin + ch);
            for (int c = 0; c < cols; c++) {
                for (int ri = 0; ri < lanes; ri++) {
                    float s = 0f;
                    for (long r = begin + ri; r < end; r += lanes) s += in[(int) (inOff + r * cols + c)];
                    part[ri] = s;
                }
                float tot = part[0];
                for (int k = 1; k < lanes; k++) tot += part[k];
                int o = outOff + b * cols + c;
                out[o] = accumulate ? out[o] + tot : tot;
            }
        }
    }

    /**
     * g[i] = g[i] + lambda * w[i] for i &lt; count (each operation rounded to float, as the
     * kernel does) and returns the sum of w[i]^2 (each square rounded to float, as
     * {@code CpuModel} does, summed in double in index order). Twin of {@code l2_grad}: g bit for
     * bit, the sum to 1e-12 relative (the kernel adds in another order).
     */
    public static double l2Grad(float[] w, int wOff, float[] g, int gOff, long count, float lambda) {
        int n = checkCount(count, w, wOff, "w");
        double s = 0;
        for (int i = 0; i < n; i++) {
            float v = w[wOff + i];
            s += v * v;
            g[gOff + i] += lambda * v;
        }
        return s;
    }

    // ---------------------------------------------------------------- checks

    private static void checkD(int d) {
        if (d < 1 || d > 256) throw new IllegalArgumentException("row width d must be in [1, 256], got " + d);
    }

    private static void checkCols(int cols) {
        if (cols < 1 || cols > 256) throw new IllegalArgumentException("col_sum: cols must be in [1, 256], got " + cols);
    }

    private static void checkSegments(int rows, int segRows) {
        if (segRows < 1 || rows % segRows != 0) {
            throw new IllegalArgumentException("segRows " + segRows + " must be >= 1 and divide rows " + rows);
        }
    }

    private static int checkCount(long count, float[] a, int off, String what) {
        if (count < 0 || off + count > a.length) {
            throw new IllegalArgumentException(what + ": count " + count + " from offset " + off + " exceeds its " + a.length + " elements");
        }
        return (int) count;
    }
}
