package org.lgsr.engine;

import org.lgsr.cpu.Aggregate;
import org.lgsr.cpu.Attention;
import org.lgsr.cpu.Layers;
import org.lgsr.cpu.SoftmaxCe;

/**
 * The CPU twin of {@link GpuBackend}: Java arrays for buffers and, for every kernel, its CPU twin
 * in {@code org.lgsr.cpu} (the products: a plain column-major sgemm). Running {@link RecStep} on
 * this backend checks the orchestration against the CPU engine ({@code CpuModel}) without a GPU,
 * and gives the reference the GPU run is compared with. Single-threaded; meant for tests and
 * small runs.
 */
public final class CpuBackend implements Backend {
    @Override
    public String name() {
        return "cpu twins";
    }

    @Override
    public Buf floats(long n) {
        return new Buf(new float[Math.toIntExact(n)], Buf.Type.FLOAT, 0, n);
    }

    @Override
    public Buf ints(long n) {
        return new Buf(new int[Math.toIntExact(n)], Buf.Type.INT, 0, n);
    }

    @Override
    public Buf doubles(long n) {
        return new Buf(new double[Math.toIntExact(n)], Buf.Type.DOUBLE, 0, n);
    }

    @Override
    public Buf longs(long n) {
        return new Buf(new long[Math.toIntExact(n)], Buf.Type.LONG, 0, n);
    }

    static long[] lng(Buf b) {
        if (b.type != Buf.Type.LONG) throw new IllegalArgumentException("a " + b.type + " buffer where longs are needed");
        return (long[]) b.store;
    }

    @Override
    public void upload(Buf dst, double[] src, int srcOffset, int count) {
        System.arraycopy(src, srcOffset, dbl(dst), o(dst), count);
    }

    @Override
    public void upload(Buf dst, long[] src, int srcOffset, int count) {
        System.arraycopy(src, srcOffset, lng(dst), o(dst), count);
    }

    static float[] f(Buf b) {
        if (b == null) return null;
        if (b.type != Buf.Type.FLOAT) throw new IllegalArgumentException("a " + b.type + " buffer where floats are needed");
        return (float[]) b.store;
    }

    static int[] i(Buf b) {
        if (b == null) return null;
        if (b.type != Buf.Type.INT) throw new IllegalArgumentException("a " + b.type + " buffer where ints are needed");
        return (int[]) b.store;
    }

    static double[] dbl(Buf b) {
        if (b.type != Buf.Type.DOUBLE) throw new IllegalArgumentException("a " + b.type + " buffer where doubles are needed");
        return (double[]) b.store;
    }

    static int o(Buf b) {
        return b == null ? 0 : (int) b.offset;
    }

    @Override
    public void upload(Buf dst, float[] src, int srcOffset, int count) {
        System.arraycopy(src, srcOffset, f(dst), o(dst), count);
    }

    @Override
    public void upload(Buf dst, int[] src, int srcOffset, int count) {
        System.arraycopy(src, srcOffset, i(dst), o(dst), count);
    }

    @Override
    public void download(Buf src, float[] dst, int dstOffset, int count) {
        System.arraycopy(f(src), o(src), dst, dstOffset, count);
    }

    @Override
    public void download(Buf src, int[] dst, int dstOffset, int count) {
        System.arraycopy(i(src), o(src), dst, dstOffset, count);
    }

    @Override
    public void download(Buf src, double[] dst, int dstOffset, int count) {
        System.arraycopy(dbl(src), o(src), dst, dstOffset, count);
    }

    @Override
    public void fill(Buf b, float value) {
        if (b.type != Buf.Type.FLOAT) throw new IllegalArgumentException("fill: a " + b.type + " buffer");
        java.util.Arrays.fill(f(b), o(b), (int) (b.offset + b.length), value);
    }

    @Override
    public void copy(Buf dst, Buf src) {
        if (dst.type != src.type || dst.length != src.length) throw new IllegalArgumentException("copy of " + src.length + " into " + dst.length);
        System.arraycopy(src.store, o(src), dst.store, o(dst), (int) dst.length);
    }


    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Buf a, int lda, Buf b, int ldb, float beta, Buf c,
                     int ldc) {
        org.lgsr.cpu.Blas.sgemm(transA, transB, m, n, k, alpha, f(a), o(a), lda, f(b), o(b), ldb, beta, f(c), o(c), ldc);
    }

    @Override
    public void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, Buf a, int lda, long strideA, Buf b,
                                   int ldb, long strideB, float beta, Buf c, int ldc, long strideC, int count) {
        for (int q = 0; q < count; q++) {
            org.lgsr.cpu.Blas.sgemm(transA, transB, m, n, k, alpha, f(a), (int) (o(a) + q * strideA), lda, f(b), (int) (o(b) + q * strideB), ldb, beta, f(c),
                    (int) (o(c) + q * strideC), ldc);
        }
    }

    // ------------------------------------------------------------------ layers

    @Override
    public void dropoutMask(Buf out, long count, long seed, int site, float rate) {
        Layers.dropoutMask(f(out), o(out), count, seed, site, rate);
    }

    @Override
    public void embedInput(Buf X, Buf E, Buf P, Buf items, Buf pos, Buf mask, int rows, int d) {
        Layers.embedInput(f(X), o(X), f(E), o(E), f(P), o(P), i(items), o(items), i(pos), o(pos), f(mask), o(mask), rows, d);
    }

    @Override
    public void biasReluDropout(Buf H1pre, Buf H1, Buf bias, Buf mask, int rows, int d) {
        Layers.biasReluDropout(f(H1pre), o(H1pre), f(H1), o(H1), f(bias), o(bias), f(mask), o(mask), rows, d);
    }

    @Override
    public void biasDropoutResidualLayerNorm(Buf R2, Buf bias, Buf mask, Buf S, Buf gamma, Buf beta, int rows, int d, Buf F, Buf XH,
                                             Buf RS) {
        Layers.biasDropoutResidualLayernorm(f(R2), o(R2), f(bias), o(bias), f(mask), o(mask), f(S), o(S), f(gamma), o(gamma), f(beta),
                o(beta), rows, d, f(F), o(F), f(XH), o(XH), f(RS), o(RS));
    }

    @Override
    public void layerNormBackward(Buf dY, Buf XH, Buf RS, Buf gamma, int rows, int d, int segRows, Buf dX, Buf dGammaPart,
                                  Buf dBetaPart) {
        Layers.layerNormBackward(f(dY), o(dY), f(XH), o(XH), f(RS), o(RS), f(gamma), o(gamma), rows, d, segRows, f(dX), o(dX),
                f(dGammaPart), o(dGammaPart), f(dBetaPart), o(dBetaPart));
    }

    @Override
    public void mulMask(Buf x, Buf mask, long count) {
        Layers.mulMask(f(x), o(x), f(mask), o(mask), count);
    }

    @Override
    public void mulMaskTo(Buf out, Buf x, Buf mask, long count) {
        Layers.mulMaskTo(f(out), o(out), f(x), o(x), f(mask), o(mask), count);
    }

    @Override
    public void reluDropoutBackward(Buf dH, Buf H1pre, Buf mask, long count) {
        Layers.reluDropoutBackward(f(dH), o(dH), f(H1pre), o(H1pre), f(mask), o(mask), count);
    }

    @Override
    public void colSum(Buf in, int rows, int cols, Buf out, boolean accumulate) {
        Layers.colSum(f(in), o(in), rows, cols, f(out), o(out), accumulate);
    }

    @Override
    public void l2Grad(Buf w, Buf g, long count, float lambda, Buf result) {
        dbl(result)[o(result)] = Layers.l2Grad(f(w), o(w), f(g), o(g), count, lambda);
    }

    // ------------------------------------------------------------------ attention

    @Override
    public void attentionForward(Buf Q, Buf K, Buf V, Buf X, Buf len, Buf maskA, Buf gamma, Buf beta, int B, int T, int d, Buf A, Buf S,
                                 Buf XH, Buf RS) {
        Attention.attentionForward(f(Q), o(Q), f(K), o(K), f(V), o(V), f(X), o(X), i(len), o(len), f(maskA), o(maskA), f(gamma), o(gamma),
                f(beta), o(beta), B, T, d, f(A), o(A), f(S), o(S), f(XH), o(XH), f(RS), o(RS));
    }

    @Override
    public void attentionBackward(Buf dS, Buf XH, Buf RS, Buf gamma, Buf Q, Buf K, Buf V, Buf A, Buf maskA, Buf len, int B, int T, int d,
                                  Buf dR, Buf dQ, Buf dK, Buf dV, Buf dGammaPart, Buf dBetaPart) {
        Attention.attentionBackward(f(dS), o(dS), f(XH), o(XH), f(RS), o(RS), f(gamma), o(gamma), f(Q), o(Q), f(K), o(K), f(V), o(V), f(A),
                o(A), f(maskA), o(maskA), i(len), o(len), B, T, d, f(dR), o(dR), f(dQ), o(dQ), f(dK), o(dK), f(dV), o(dV), f(dGammaPart),
                o(dGammaPart), f(dBetaPart), o(dBetaPart));
    }

    // ------------------------------------------------------------------ aggregate

    @Override
    public void gatherLast(Buf F, Buf len, int B, int T, int d, Buf Ft) {
        Aggregate.gatherLast(f(F), o(F), i(len), o(len), B, T, d, f(Ft), o(Ft));
    }

    @Override
    public void addLast(Buf dF, Buf dFt, Buf len, int B, int T, int d) {
        Aggregate.addLast(f(dF), o(dF), f(dFt), o(dFt), i(len), o(len), B, T, d);
    }

    @Override
    public void aggregateForward(Buf G, Buf U, Buf F, Buf q, Buf len, Buf maskC, int B, int T, int d, boolean hard, Buf alpha, Buf cat,
                                 Buf catD) {
        Aggregate.aggregateForward(f(G), o(G), f(U), o(U), f(F), o(F), f(q), o(q), i(len), o(len), f(maskC), o(maskC), B, T, d, hard,
                f(alpha), o(alpha), f(cat), o(cat), f(catD), o(catD));
    }

    @Override
    public void aggregateBackward(Buf dCatD, Buf maskC, Buf G, Buf F, Buf alpha, Buf q, Buf len, int B, int T, int d, boolean hard, Buf dF,
                                  Buf dG, Buf dU, Buf dqPart) {
        Aggregate.aggregateBackward(f(dCatD), o(dCatD), f(maskC), o(maskC), f(G), o(G), f(F), o(F), f(alpha), o(alpha), f(q), o(q), i(len),
                o(len), B, T, d, hard, f(dF), o(dF), f(dG), o(dG), f(dU), o(dU), f(dqPart), o(dqPart));
    }

    @Override
    public void lastForward(Buf F, Buf len, Buf maskC, int B, int T, int d, Buf cat, Buf catD) {
        Aggregate.lastForward(f(F), o(F), i(len), o(len), f(maskC), o(maskC), B, T, d, f(cat), o(cat), f(catD), o(catD));
    }

    @Override
    public void lastBackward(Buf dCatD, Buf maskC, Buf len, int B, int T, int d, Buf dF) {
        Aggregate.lastBackward(f(dCatD), o(dCatD), f(maskC), o(maskC), i(len), o(len), B, T, d, f(dF), o(dF));
    }

    // ------------------------------------------------------------------ softmax

    @Override
    public void softmaxCeForward(Buf sf, Buf E, Buf target, int B, int n, int d, Buf lse, Buf loss) {
        SoftmaxCe.softmaxCeForward(f(sf), o(sf), f(E), o(E), i(target), o(target), B, n, d, f(lse), o(lse), f(loss), o(loss));
    }

    @Override
    public void softmaxCeBackward(Buf sf, Buf E, Buf target, Buf lse, int B, int n, int d, float scale, Buf dsf, Buf dE) {
        SoftmaxCe.softmaxCeBackward(f(sf), o(sf), f(E), o(E), i(target), o(target), f(lse), o(lse), B, n, d, scale, f(dsf), o(dsf), f(dE),
                o(dE));
    }

    @Override
    public void rankTargets(Buf sf, Buf E, Buf target, int B, int n, int d, Buf rank) {
        SoftmaxCe.rankTargets(f(sf), o(sf), f(E), o(E), i(target), o(target), B, n, d, i(rank), o(rank));
    }

    // ------------------------------------------------------------------ walks

    @Override
    public void randomWalks(Buf csrOffsets, Buf targets, Buf prob, Buf alias, Buf starts, int numWalks, int nodesPerRound, int maxLen,
                            long seed, Buf slots, Buf lengths) {
        org.lgsr.cpu.Walks.randomWalks(i(csrOffsets), o(csrOffsets), i(targets), o(targets), dbl(prob), o(prob), i(alias), o(alias), i(starts),
                o(starts), numWalks, nodesPerRound, maxLen, seed, i(slots), o(slots), i(lengths), o(lengths));
    }

    @Override
    public void compactWalks(Buf slots, Buf lengths, Buf walkOffsets, int numWalks, int maxLen, Buf items) {
        org.lgsr.cpu.Walks.compactWalks(i(slots), o(slots), i(lengths), o(lengths), i(walkOffsets), o(walkOffsets), numWalks, maxLen, i(items),
                o(items));
    }

    @Override
    public void skipgramPairs(Buf walkOffsets, Buf items, Buf order, Buf pairPrefix, int numWalks, long first, int count, int window,
                              Buf inputs, Buf labels) {
        org.lgsr.cpu.Walks.skipgramPairs(i(walkOffsets), o(walkOffsets), i(items), o(items), i(order), o(order), lng(pairPrefix), o(pairPrefix),
                numWalks, first, count, window, i(inputs), o(inputs), i(labels), o(labels));
    }

    // ------------------------------------------------------------------ nce

    private static int[] whole(Buf b, String what) {
        if (b.offset != 0) throw new IllegalArgumentException(what + " must start at element 0 of its buffer");
        return i(b);
    }

    @Override
    public void nceStep(int d, Buf E, Buf gE, Buf theta, Buf gTheta, Buf bias, Buf gBias, Buf inputs, Buf labels, int n, int[] sampled,
                        float[] sampledLogQ, int s, int numTries, Buf rankOfItem, double logRange, boolean removeHits, boolean logQ,
                        Buf lossOut) {
        dbl(lossOut)[o(lossOut)] = org.lgsr.cpu.Nce.step(d, f(E), o(E), f(gE), o(gE), f(theta), o(theta), f(gTheta), o(gTheta), f(bias),
                o(bias), f(gBias), o(gBias), whole(inputs, "inputs"), whole(labels, "labels"), n, sampled, sampledLogQ, s, numTries,
                whole(rankOfItem, "rankOfItem"), logRange, removeHits, logQ);
    }

    // ------------------------------------------------------------------ embedding, adam

    @Override
    public void scatterAddSorted(Buf table, Buf rows, Buf idx, Buf order, Buf segStart, int segments, int d) {
        org.lgsr.cpu.Embedding.embeddingScatterAddSorted(f(table), o(table), (int) (table.length / d), f(rows), o(rows), i(idx), o(idx),
                i(order), o(order), i(segStart), o(segStart), segments, d);
    }

    @Override
    public void adam(Buf p, Buf g, Buf m, Buf v, long n, float lrT, float beta1, float beta2, float eps) {
        if (o(m) != o(v)) throw new IllegalArgumentException("adam: the moments must share an offset");
        org.lgsr.cpu.Adam.adam(f(p), o(p), f(g), o(g), f(m), f(v), o(m), Math.toIntExact(n), lrT, beta1, beta2, eps);
    }

    @Override
    public void push(String name) {
    }

    @Override
    public void pop() {
    }

    @Override
    public void sync() {
    }

    @Override
    public void close() {
    }
}
