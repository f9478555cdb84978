package org.lgsr.engine;

/**
 * The operations the engine's steps are written in: buffers, cuBLAS-style products and the
 * kernels of {@code cuda/} (docs/gpu-engine.md gives each one's contract). Two
 * implementations: {@link GpuBackend} launches the kernels, {@link CpuBackend} runs their CPU
 * twins on Java arrays, so one orchestration ({@link RecStep}, {@link GlobalStep}) runs on
 * both and the CPU run checks the GPU run. A {@code null} mask means dropout off.
 */
public interface Backend extends AutoCloseable {
    /** "cpu" or "gpu: NAME". */
    String name();

    Buf floats(long n);

    Buf ints(long n);

    Buf doubles(long n);

    Buf longs(long n);

    void upload(Buf dst, float[] src, int srcOffset, int count);

    void upload(Buf dst, int[] src, int srcOffset, int count);

    void upload(Buf dst, double[] src, int srcOffset, int count);

    void upload(Buf dst, long[] src, int srcOffset, int count);

    void download(Buf src, float[] dst, int dstOffset, int count);

    void download(Buf src, int[] dst, int dstOffset, int count);

    void download(Buf src, double[] dst, int dstOffset, int count);

    /** Sets every float element of the view to {@code value}. */
    void fill(Buf b, float value);

    /** Copies {@code src} into {@code dst} (same length and type). */
    void copy(Buf dst, Buf src);

    /** C = alpha op(A) op(B) + beta C, column-major (cuBLAS's sgemm). */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Buf a, int lda, Buf b, int ldb, float beta, Buf c,
              int ldc);

    /** {@code count} products as {@link #gemm}, operand i at element offset i * stride. */
    void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, Buf a, int lda, long strideA, Buf b,
                            int ldb, long strideB, float beta, Buf c, int ldc, long strideC, int count);

    // ------------------------------------------------------------------ layers.cu

    void dropoutMask(Buf out, long count, long seed, int site, float rate);

    void embedInput(Buf X, Buf E, Buf P, Buf items, Buf pos, Buf mask, int rows, int d);

    void biasReluDropout(Buf H1pre, Buf H1, Buf bias, Buf mask, int rows, int d);

    void biasDropoutResidualLayerNorm(Buf R2, Buf bias, Buf mask, Buf S, Buf gamma, Buf beta, int rows, int d, Buf F, Buf XH,
                                      Buf RS);

    void layerNormBackward(Buf dY, Buf XH, Buf RS, Buf gamma, int rows, int d, int segRows, Buf dX, Buf dGammaPart, Buf dBetaPart);

    void mulMask(Buf x, Buf mask, long count);

    void mulMaskTo(Buf out, Buf x, Buf mask, long count);

    void reluDropoutBackward(Buf dH, Buf H1pre, Buf mask, long count);

    void colSum(Buf in, int rows, int cols, Buf out, boolean accumulate);

    /** g += lambda w over {@code count} elements; the sum of squares of w into {@code result} (one double). */
    void l2Grad(Buf w, Buf g, long count, float lambda, Buf result);

    // ------------------------------------------------------------------ attention.cu

    void attentionForward(Buf Q, Buf K, Buf V, Buf X, Buf len, Buf maskA, Buf gamma, Buf beta, int B, int T, int d, Buf A, Buf S,
                          Buf XH, Buf RS);

    void attentionBackward(Buf dS, Buf XH, Buf RS, Buf gamma, Buf Q, Buf K, Buf V, Buf A, Buf maskA, Buf len, int B, int T, int d,
                           Buf dR, Buf dQ, Buf dK, Buf dV, Buf dGammaPart, Buf dBetaPart);

    // ------------------------------------------------------------------ aggregate.cu

    void gatherLast(Buf F, Buf len, int B, int T, int d, Buf Ft);

    void addLast(Buf dF, Buf dFt, Buf len, int B, int T, int d);

    void aggregateForward(Buf G, Buf U, Buf F, Buf q, Buf len, Buf maskC, int B, int T, int d, boolean hard, Buf alpha, Buf cat,
                          Buf catD);

    void aggregateBackward(Buf dCatD, Buf maskC, Buf G, Buf F, Buf alpha, Buf q, Buf len, int B, int T, int d, boolean hard, Buf dF,
                           Buf dG, Buf dU, Buf dqPart);

    void lastForward(Buf F, Buf len, Buf maskC, int B, int T, int d, Buf cat, Buf catD);

    void lastBackward(Buf dCatD, Buf maskC, Buf len, int B, int T, int d, Buf dF);

    // ------------------------------------------------------------------ softmax_ce.cu

    void softmaxCeForward(Buf sf, Buf E, Buf target, int B, int n, int d, Buf lse, Buf loss);

    void softmaxCeBackward(Buf sf, Buf E, Buf target, Buf lse, int B, int n, int d, float scale, Buf dsf, Buf dE);

    void rankTargets(Buf sf, Buf E, Buf target, int B, int n, int d, Buf rank);

    // ------------------------------------------------------------------ walks.cu

    void randomWalks(Buf csrOffsets, Buf targets, Buf prob, Buf alias, Buf starts, int numWalks, int nodesPerRound, int maxLen, long seed,
                     Buf slots, Buf lengths);

    void compactWalks(Buf slots, Buf lengths, Buf walkOffsets, int numWalks, int maxLen, Buf items);

    void skipgramPairs(Buf walkOffsets, Buf items, Buf order, Buf pairPrefix, int numWalks, long first, int count, int window, Buf inputs,
                       Buf labels);

    // ------------------------------------------------------------------ nce.cu

    /**
     * One L_g batch (TF's nce_loss, as {@code org.lgsr.cpu.Nce}): gradients added into
     * gE, gTheta, gBias; the batch's mean loss into {@code lossOut} (one double). {@code inputs}
     * and {@code labels} start at their buffer's element 0.
     */
    void nceStep(int d, Buf E, Buf gE, Buf theta, Buf gTheta, Buf bias, Buf gBias, Buf inputs, Buf labels, int n, int[] sampled,
                 float[] sampledLogQ, int s, int numTries, Buf rankOfItem, double logRange, boolean removeHits, boolean logQ, Buf lossOut);

    // ------------------------------------------------------------------ embedding.cu, adam.cu

    /** table[idx[order[j]]] += rows[order[j]] over each run of equal indices (deterministic). */
    void scatterAddSorted(Buf table, Buf rows, Buf idx, Buf order, Buf segStart, int segments, int d);

    void adam(Buf p, Buf g, Buf m, Buf v, long n, float lrT, float beta1, float beta2, float eps);

    // ------------------------------------------------------------------ timing and profiling

    /** Opens a named range (NVTX on the GPU; with profiling on, also timed with events). */
    void push(String name);

    void pop();

    /** Waits for all queued work. */
    void sync();

    @Override
    void close();
}
