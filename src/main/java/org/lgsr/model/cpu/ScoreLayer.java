package org.lgsr.model.cpu;

import org.lgsr.util.Parallel;

/**
 * The scoring layer on its own: every item j of a table E (n, d) scored by a batch of session
 * vectors, z = s E^T, then softmax cross-entropy over items 1..n-1 and both backward products.
 * With the Vector API ({@link Simd#available()}) it runs {@link VecKernels#scoreStep}, exactly as
 * {@link CpuModel#forwardBackward} does; without it, the scalar {@link ScoreKernels}. Used by the
 * benchmarks and by the neural baselines' engine ({@link NeuralCpuModel}). Results do not depend
 * on the thread count.
 */
public final class ScoreLayer implements AutoCloseable {
    private final int cap, d, n;
    private final boolean simd;
    private final Parallel par;
    private final Object step;
    /** SIMD: E in item panels; scalar: E transposed (d, n). */
    private final float[] table;
    /** Scalar path: logits / dLoss/dz (cap, n) and the score part of dE transposed (d, n); allocated on first use. */
    private float[] z, det;
    private final long[] ns = new long[2];

    /** A layer for batches of exactly B rows on the Vector API kernels (the benchmarks' form). */
    public ScoreLayer(int B, int d, int n, int threads) {
        this(B, d, n, threads, true);
        if (!simd) {
            par.close();
            throw new IllegalStateException(Simd.available() ? "width " + d + " is below one vector (" + Simd.lanes() + ")"
                    : "the Vector API kernels are unavailable (run with --add-modules jdk.incubator.vector)");
        }
    }

    /**
     * A layer for batches of up to {@code capacity} rows; with {@code simd} false (or where the
     * Vector API is unavailable or d is below one vector) the scalar kernels run.
     */
    public ScoreLayer(int capacity, int d, int n, int threads, boolean simd) {
        this.cap = capacity;
        this.d = d;
        this.n = n;
        this.simd = simd && Simd.available() && d >= Simd.lanes();
        this.par = new Parallel(threads);
        this.step = this.simd ? new VecKernels.Step(capacity, d, n, CpuModel.CHUNKS) : null;
        this.table = this.simd ? new float[VecKernels.panels(n) * VecKernels.P * d] : new float[d * n];
    }

    /** Whether the Vector API kernels run. */
    public boolean usesSimd() {
        return simd;
    }

    /** Takes the table E (n, d), read from offset 0 of e, for {@link #scores}. */
    public void pack(float[] e) {
        if (simd) VecKernels.pack(e, n, d, table, par);
        else ScoreKernels.transpose(e, n, d, table, par);
    }

    /** The benchmarks' form: {@link #step(int, float[], float[], int[], float[], float[])} with B = the capacity. */
    public double step(float[] sf, float[] e, int[] target, float[] g, float[] dsf) {
        return step(cap, sf, e, target, g, dsf);
    }

    /**
     * sf (B, d), E (n, d) at offset 0 of e, targets in 1..n-1: overwrites g[0 .. n d) with
     * dLoss/dE (row 0 gets 0) and dsf (B, d) with dLoss/dsf, for loss = the mean cross-entropy,
     * which it returns.
     */
    public double step(int B, float[] sf, float[] e, int[] target, float[] g, float[] dsf) {
        if (B < 1 || B > cap) throw new IllegalArgumentException("batch of " + B + " outside 1.." + cap);
        pack(e);
        if (simd) return VecKernels.scoreStep((VecKernels.Step) step, sf, B, e, table, target, g, dsf, par, ns) / B;
        if (z == null) {
            z = new float[Math.multiplyExact(cap, n)];
            det = new float[d * n];
        }
        ScoreKernels.scores(sf, B, d, table, n, z, par);
        double[] rowLoss = new double[B];
        par.forEach(B, b -> {
            int o = b * n;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 1; j < n; j++) max = Math.max(max, z[o + j]);
            double sum = 0;
            float zt = z[o + target[b]];
            for (int j = 1; j < n; j++) {
                float ex = (float) Math.exp(z[o + j] - max);
                z[o + j] = ex;
                sum += ex;
            }
            rowLoss[b] = Math.log(sum) + max - zt;
            float scale = (float) (1.0 / (sum * B));
            for (int j = 1; j < n; j++) z[o + j] *= scale;
            z[o] = 0f;
            z[o + target[b]] -= 1f / B;
        });
        double loss = 0;
        for (double l : rowLoss) loss += l;
        ScoreKernels.scoresBackwardE(sf, B, d, z, n, det, par);
        ScoreKernels.transpose(det, d, n, g, par);
        ScoreKernels.scoresBackwardS(z, B, n, e, d, dsf, par);
        return loss / B;
    }

    /** Scores out (B, n) = sf (B, d) E^T of the table last given to {@link #pack}. */
    public void scores(int B, float[] sf, float[] out) {
        if (simd) VecKernels.scores(sf, B, d, table, n, out, par);
        else ScoreKernels.scores(sf, B, d, table, n, out, par);
    }

    /** Floating-point operations of the three products of one step: 3 (2 B d n). */
    public double flops() {
        return 3.0 * 2.0 * cap * d * n;
    }

    @Override
    public void close() {
        par.close();
    }
}
