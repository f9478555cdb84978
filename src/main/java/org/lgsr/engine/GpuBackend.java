package org.lgsr.engine;

import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.lgsr.gpu.Cublas;
import org.lgsr.gpu.CudaEvent;
import org.lgsr.gpu.CudaStream;
import org.lgsr.gpu.DeviceBuffer;
import org.lgsr.gpu.DeviceFloats;
import org.lgsr.gpu.DeviceInts;
import org.lgsr.gpu.DevicePointers;
import org.lgsr.gpu.GpuContext;
import org.lgsr.gpu.GpuKernels;
import org.lgsr.gpu.KernelModule;
import org.lgsr.gpu.Nvtx;
import org.lgsr.gpu.PinnedRing;
import org.lgsr.gpu.kernels.AggregateKernels;
import org.lgsr.gpu.kernels.AttentionKernels;
import org.lgsr.gpu.kernels.LayersKernels;
import org.lgsr.gpu.kernels.SoftmaxCeKernels;
import org.lgsr.gpu.kernels.WalksKernels;

/**
 * The GPU backend: every operation queued on one CUDA stream of the device's primary context;
 * products through cuBLAS (FP32, or TF32 when asked), the rest through the kernels of
 * {@code cuda/}. Uploads go through a pinned ring ({@link PinnedRing}) so that the host can
 * prepare the next batch while the device works; downloads wait for the stream.
 *
 * <p>With profiling on, every named range ({@link #push}) and every kernel or product is timed
 * with CUDA events; {@link #profile} sums them (milliseconds and calls per name).
 */
public final class GpuBackend implements Backend {
    private final GpuContext ctx;
    private final KernelModule module;
    final CudaStream stream;
    final Cublas blas;
    final GpuKernels base;
    final LayersKernels lay;
    final AttentionKernels att;
    final AggregateKernels agg;
    final SoftmaxCeKernels sce;
    final WalksKernels walks;
    private final PinnedRing ring;
    private final List<DeviceBuffer> owned = new ArrayList<>();
    private final Map<String, DeviceFloats> scratch = new LinkedHashMap<>();
    private final boolean profiling;
    private final ArrayDeque<CudaEvent> eventPool = new ArrayDeque<>();
    private final List<Object[]> pendingTimes = new ArrayList<>();
    private final ArrayDeque<Object[]> openRanges = new ArrayDeque<>();
    private final Map<String, double[]> times = new LinkedHashMap<>();
    private boolean closed;

    /** Opens device {@code ordinal}: context, kernels, cuBLAS (TF32 products when {@code tf32}). */
    public GpuBackend(int ordinal, boolean tf32, boolean profiling) {
        this.ctx = GpuContext.open(ordinal);
        KernelModule km = null;
        CudaStream st = null;
        Cublas cb = null;
        PinnedRing pr = null;
        try {
            km = new KernelModule();
            st = new CudaStream();
            cb = new Cublas();
            cb.setStream(st);
            cb.setMathMode(tf32 ? Cublas.MathMode.TF32 : Cublas.MathMode.FP32);
            pr = new PinnedRing(16L << 20, st);
        } catch (RuntimeException | LinkageError e) {
            if (pr != null) pr.close();
            if (cb != null) cb.close();
            if (st != null) st.close();
            if (km != null) km.close();
            ctx.close();
            throw e;
        }
        this.module = km;
        this.stream = st;
        this.blas = cb;
        this.ring = pr;
        this.profiling = profiling;
        this.base = new GpuKernels(km, ctx.info());
        this.lay = new LayersKernels(km, ctx.info());
        this.att = new AttentionKernels(km, ctx.info());
        this.agg = new AggregateKernels(km, ctx.info());
        this.sce = new SoftmaxCeKernels(km, ctx.info());
        this.walks = new WalksKernels(km, ctx.info());
    }

    @Override
    public String name() {
        return "gpu: " + ctx.info().name();
    }



    public CudaStream stream() {
        return stream;
    }

    public Cublas cublas() {
        return blas;
    }

    // ------------------------------------------------------------------ buffers

    @Override
    public Buf floats(long n) {
        DeviceFloats b = new DeviceFloats(Math.max(1, n));
        owned.add(b);
        return new Buf(b, Buf.Type.FLOAT, 0, n);
    }

    @Override
    public Buf ints(long n) {
        DeviceInts b = new DeviceInts(Math.max(1, n));
        owned.add(b);
        return new Buf(b, Buf.Type.INT, 0, n);
    }

    @Override
    public Buf doubles(long n) {
        DeviceFloats b = new DeviceFloats(Math.max(2, 2 * n));
        owned.add(b);
        return new Buf(b, Buf.Type.DOUBLE, 0, n);
    }

    @Override
    public Buf longs(long n) {
        DeviceFloats b = new DeviceFloats(Math.max(2, 2 * n));
        owned.add(b);
        return new Buf(b, Buf.Type.LONG, 0, n);
    }

    /** The device address of a view (0 for null). */
    public static long addr(Buf b) {
        if (b == null) return 0L;
        DeviceBuffer d = (DeviceBuffer) b.store;
        return d.address() + b.offset * Buf.bytes(b.type);
    }

    /** A scratch allocation of at least {@code n} floats under {@code key}, grown on demand. */
    long scratch(String key, long n) {
        DeviceFloats s = scratch.get(key);
        if (s == null || s.length() < n) {
            if (s != null) {
                stream.synchronize();
                s.close();
            }
            s = new DeviceFloats(Math.max(1, n));
            scratch.put(key, s);
        }
        return s.address();
    }

    private static void need(Buf b, Buf.Type t, long n, String what) {
        if (b.type != t) throw new IllegalArgumentException(what + ": a " + b.type + " buffer where " + t + " is needed");
        if (b.length < n) throw new IllegalArgumentException(what + ": " + b.length + " elements, " + n + " needed");
    }

    @Override
    public void upload(Buf dst, float[] src, int srcOffset, int count) {
        need(dst, Buf.Type.FLOAT, count, "upload");
        ring.upload(addr(dst), src, srcOffset, count);
    }

    @Override
    public void upload(Buf dst, int[] src, int srcOffset, int count) {
        need(dst, Buf.Type.INT, count, "upload");
        ring.upload(addr(dst), src, srcOffset, count);
    }

    @Override
    public void upload(Buf dst, double[] src, int srcOffset, int count) {
        need(dst, Buf.Type.DOUBLE, count, "upload");
        ring.upload(addr(dst), src, srcOffset, count);
    }

    @Override
    public void upload(Buf dst, long[] src, int srcOffset, int count) {
        need(dst, Buf.Type.LONG, count, "upload");
        ring.upload(addr(dst), src, srcOffset, count);
    }

    @Override
    public void download(Buf src, float[] dst, int dstOffset, int count) {
        need(src, Buf.Type.FLOAT, count, "download");
        DevicePointers.download(addr(src), dst, 4L * dstOffset, 4L * count, stream);
    }

    @Override
    public void download(Buf src, int[] dst, int dstOffset, int count) {
        need(src, Buf.Type.INT, count, "download");
        DevicePointers.download(addr(src), dst, 4L * dstOffset, 4L * count, stream);
    }

    @Override
    public void download(Buf src, double[] dst, int dstOffset, int count) {
        need(src, Buf.Type.DOUBLE, count, "download");
        DevicePointers.download(addr(src), dst, 8L * dstOffset, 8L * count, stream);
    }

    @Override
    public void fill(Buf b, float value) {
        if (b.length == 0) return;
        if (b.type != Buf.Type.FLOAT) throw new IllegalArgumentException("fill: a " + b.type + " buffer");
        DevicePointers.memsetD32(addr(b), Float.floatToRawIntBits(value), b.length, stream);
    }

    @Override
    public void copy(Buf dst, Buf src) {
        if (dst.type != src.type || dst.length != src.length) {
            throw new IllegalArgumentException("copy of " + src.length + " " + src.type + " into " + dst.length + " " + dst.type);
        }
        if (dst.length == 0) return;
        DevicePointers.copy(addr(dst), addr(src), dst.length * Buf.bytes(dst.type), stream);
    }

    // ------------------------------------------------------------------ timing

    private CudaEvent event() {
        CudaEvent e = eventPool.poll();
        return e != null ? e : new CudaEvent();
    }

    /** Runs {@code launch}, timed under {@code name} when profiling (no FLOP or byte count). */
    private void k(String name, Runnable launch) {
        k(name, 0, 0, launch);
    }

    /**
     * Runs {@code launch}; when profiling, times it under {@code name} with the minimal FLOPs
     * and bytes of this call (each input read once, each output written once) for the floors.
     */
    private void k(String name, double flops, double bytes, Runnable launch) {
        if (!profiling) {
            launch.run();
            return;
        }
        CudaEvent a = event(), b = event();
        a.record(stream);
        launch.run();
        b.record(stream);
        pendingTimes.add(new Object[] {"kernel " + name, a, b, flops, bytes});
        if (pendingTimes.size() >= MAX_PENDING) collect();
    }

    /** Pending timed launches before they are summed (and their events reused): bounds the live events. */
    private static final int MAX_PENDING = 1 << 14;

    /** Waits for the stream and sums the pending event pairs into the totals; their events go back to the pool. */
    private void collect() {
        stream.synchronize();
        for (Object[] t : pendingTimes) {
            CudaEvent a = (CudaEvent) t[1], b = (CudaEvent) t[2];
            double[] acc = times.computeIfAbsent((String) t[0], x -> new double[4]);
            acc[0] += b.millisSince(a);
            acc[1] += 1;
            if (t.length > 3) {
                acc[2] += (Double) t[3];
                acc[3] += (Double) t[4];
            }
            eventPool.push(a);
            eventPool.push(b);
        }
        pendingTimes.clear();
    }

    @Override
    public void push(String name) {
        Nvtx.push(name);
        if (profiling) {
            CudaEvent a = event();
            a.record(stream);
            openRanges.push(new Object[] {name, a});
        }
    }

    @Override
    public void pop() {
        Nvtx.pop();
        if (profiling) {
            Object[] r = openRanges.pop();
            CudaEvent b = event();
            b.record(stream);
            pendingTimes.add(new Object[] {"range " + r[0], r[1], b});
        }
    }

    /**
     * Per name ("kernel NAME" or "range NAME"): {milliseconds, calls, FLOPs, bytes} summed since
     * the last call (FLOPs and bytes: the minimal counts, kernels only); waits for the stream.
     * Empty without profiling.
     */
    public Map<String, double[]> profile() {
        if (!profiling) return Map.of();
        collect();
        Map<String, double[]> out = new LinkedHashMap<>(times);
        times.clear();
        return out;
    }

    @Override
    public void sync() {
        stream.synchronize();
    }

    /** Fills a float view with uniform [0, 1) numbers (Philox stream {@code id} of {@code seed}): benchmark inputs, never zeros. */
    public void random(Buf out, long seed, long id) {
        if (out.type != Buf.Type.FLOAT) throw new IllegalArgumentException("random: a " + out.type + " buffer");
        k("philox_uniform", 0, 4.0 * out.length, () -> base.philoxUniform(addr(out), out.length, seed, id, 0, stream));
    }

    // ------------------------------------------------------------------ products

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Buf a, int lda, Buf b, int ldb, float beta, Buf c,
                     int ldc) {
        k("sgemm", 2.0 * m * n * k, 4.0 * ((double) m * k + (double) k * n + (beta == 0f ? 1.0 : 2.0) * m * n), () -> blas.sgemm(transA, transB, m, n, k, alpha, addr(a), lda, addr(b), ldb, beta, addr(c), ldc));
    }

    @Override
    public void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, Buf a, int lda, long strideA,
                                   Buf b, int ldb, long strideB, float beta, Buf c, int ldc, long strideC, int count) {
        k("sgemm_strided_batched", 2.0 * m * n * k * count, 4.0 * count * ((double) m * k + (double) k * n + (beta == 0f ? 1.0 : 2.0) * m * n),
                () -> blas.sgemmStridedBatched(transA, transB, m, n, k, alpha, addr(a), lda, strideA, addr(b), ldb,
                strideB, beta, addr(c), ldc, strideC, count));
    }

    // ------------------------------------------------------------------ layers.cu

    @Override
    public void dropoutMask(Buf out, long count, long seed, int site, float rate) {
        k("dropout_mask", 0, 4.0 * count, () -> lay.dropoutMask(addr(out), count, seed, site, rate, stream));
    }

    @Override
    public void embedInput(Buf X, Buf E, Buf P, Buf items, Buf pos, Buf mask, int rows, int d) {
        k("embed_input", (double) rows * d * 2, 4.0 * ((mask == null ? 3.0 : 4.0) * rows * d + 2.0 * rows), () -> lay.embedInput(addr(X), addr(E), addr(P), addr(items), addr(pos), addr(mask), rows, d, stream));
    }

    @Override
    public void biasReluDropout(Buf H1pre, Buf H1, Buf bias, Buf mask, int rows, int d) {
        k("bias_relu_dropout", 3.0 * rows * d, 4.0 * ((mask == null ? 3.0 : 4.0) * rows * d + d), () -> lay.biasReluDropout(addr(H1pre), addr(H1), addr(bias), addr(mask), rows, d, stream));
    }

    @Override
    public void biasDropoutResidualLayerNorm(Buf R2, Buf bias, Buf mask, Buf S, Buf gamma, Buf beta, int rows, int d, Buf F, Buf XH,
                                             Buf RS) {
        k("bias_dropout_residual_layernorm", 10.0 * rows * d, 4.0 * ((mask == null ? 4.0 : 5.0) * rows * d + rows + 3.0 * d), () -> lay.biasDropoutResidualLayernorm(addr(R2), addr(bias), addr(mask), addr(S), addr(gamma),
                addr(beta), rows, d, addr(F), addr(XH), addr(RS), stream));
    }

    @Override
    public void layerNormBackward(Buf dY, Buf XH, Buf RS, Buf gamma, int rows, int d, int segRows, Buf dX, Buf dGammaPart,
                                  Buf dBetaPart) {
        k("layer_norm_backward", 10.0 * rows * d, 4.0 * (3.0 * rows * d + rows + d + 2.0 * rows / segRows * d), () -> lay.layerNormBackward(addr(dY), addr(XH), addr(RS), addr(gamma), rows, d, segRows, addr(dX),
                addr(dGammaPart), addr(dBetaPart), stream));
    }

    @Override
    public void mulMask(Buf x, Buf mask, long count) {
        k("mul_mask", count, 12.0 * count, () -> lay.mulMask(addr(x), addr(mask), count, stream));
    }

    @Override
    public void mulMaskTo(Buf out, Buf x, Buf mask, long count) {
        k("mul_mask_to", count, 12.0 * count, () -> lay.mulMaskTo(addr(out), addr(x), addr(mask), count, stream));
    }

    @Override
    public void reluDropoutBackward(Buf dH, Buf H1pre, Buf mask, long count) {
        k("relu_dropout_backward", 2.0 * count, 16.0 * count, () -> lay.reluDropoutBackward(addr(dH), addr(H1pre), addr(mask), count, stream));
    }

    @Override
    public void colSum(Buf in, int rows, int cols, Buf out, boolean accumulate) {
        long s = scratch("col_sum", LayersKernels.colSumScratchFloats(rows, cols));
        k("col_sum", (double) rows * cols, 4.0 * ((double) rows * cols + cols), () -> lay.colSum(addr(in), rows, cols, addr(out), accumulate, s, stream));
    }

    @Override
    public void l2Grad(Buf w, Buf g, long count, float lambda, Buf result) {
        long s = scratch("l2", 2 * LayersKernels.l2ScratchDoubles(count));
        k("l2_grad", 4.0 * count, 12.0 * count, () -> lay.l2Grad(addr(w), addr(g), count, lambda, s, addr(result), stream));
    }

    // ------------------------------------------------------------------ attention.cu

    @Override
    public void attentionForward(Buf Q, Buf K, Buf V, Buf X, Buf len, Buf maskA, Buf gamma, Buf beta, int B, int T, int d, Buf A, Buf S,
                                 Buf XH, Buf RS) {
        k("attention_forward", 2.0 * B * T * T * d + 10.0 * B * T * d, 4.0 * (6.0 * B * T * d + (double) B * T * T + B * T + 2 * d), () -> att.attentionForward(addr(Q), addr(K), addr(V), addr(X), addr(len), addr(maskA), addr(gamma), addr(beta),
                B, T, d, addr(A), addr(S), addr(XH), addr(RS), stream));
    }

    @Override
    public void attentionBackward(Buf dS, Buf XH, Buf RS, Buf gamma, Buf Q, Buf K, Buf V, Buf A, Buf maskA, Buf len, int B, int T, int d,
                                  Buf dR, Buf dQ, Buf dK, Buf dV, Buf dGammaPart, Buf dBetaPart) {
        k("attention_backward", 4.0 * B * T * T * d + 12.0 * B * T * d, 4.0 * (9.0 * B * T * d + 2.0 * B * T * T + B * T + 2.0 * B * d), () -> att.attentionBackward(addr(dS), addr(XH), addr(RS), addr(gamma), addr(Q), addr(K), addr(V), addr(A),
                addr(maskA), addr(len), B, T, d, addr(dR), addr(dQ), addr(dK), addr(dV), addr(dGammaPart), addr(dBetaPart), stream));
    }

    // ------------------------------------------------------------------ aggregate.cu

    @Override
    public void gatherLast(Buf F, Buf len, int B, int T, int d, Buf Ft) {
        k("gather_last", () -> agg.gatherLast(addr(F), addr(len), B, T, d, addr(Ft), stream));
    }

    @Override
    public void addLast(Buf dF, Buf dFt, Buf len, int B, int T, int d) {
        k("add_last", () -> agg.addLast(addr(dF), addr(dFt), addr(len), B, T, d, stream));
    }

    @Override
    public void aggregateForward(Buf G, Buf U, Buf F, Buf q, Buf len, Buf maskC, int B, int T, int d, boolean hard, Buf alpha, Buf cat,
                                 Buf catD) {
        k("aggregate_forward", () -> agg.aggregateForward(addr(G), addr(U), addr(F), addr(q), addr(len), addr(maskC), B, T, d, hard,
                addr(alpha), addr(cat), addr(catD), stream));
    }

    @Override
    public void aggregateBackward(Buf dCatD, Buf maskC, Buf G, Buf F, Buf alpha, Buf q, Buf len, int B, int T, int d, boolean hard, Buf dF,
                                  Buf dG, Buf dU, Buf dqPart) {
        k("aggregate_backward", () -> agg.aggregateBackward(addr(dCatD), addr(maskC), addr(G), addr(F), addr(alpha), addr(q), addr(len), B,
                T, d, hard, addr(dF), addr(dG), addr(dU), addr(dqPart), stream));
    }

    @Override
    public void lastForward(Buf F, Buf len, Buf maskC, int B, int T, int d, Buf cat, Buf catD) {
        k("last_forward", () -> agg.lastForward(addr(F), addr(len), addr(maskC), B, T, d, addr(cat), addr(catD), stream));
    }

    @Override
    public void lastBackward(Buf dCatD, Buf maskC, Buf len, int B, int T, int d, Buf dF) {
        k("last_backward", () -> agg.lastBackward(addr(dCatD), addr(maskC), addr(len), B, T, d, addr(dF), stream));
    }

    // ------------------------------------------------------------------ softmax_ce.cu

    @Override
    public void softmaxCeForward(Buf sf, Buf E, Buf target, int B, int n, int d, Buf lse, Buf loss) {
        long s = scratch("softmax", SoftmaxCeKernels.scratchFloats(B, n, d));
        k("softmax_ce_forward", 2.0 * B * n * d, 4.0 * ((double) B * d + (double) n * d + 3.0 * B), () -> sce.forward(addr(sf), addr(E), addr(target), B, n, d, s, addr(lse), addr(loss), stream));
    }

    @Override
    public void softmaxCeBackward(Buf sf, Buf E, Buf target, Buf lse, int B, int n, int d, float scale, Buf dsf, Buf dE) {
        long s = scratch("softmax", SoftmaxCeKernels.scratchFloats(B, n, d));
        k("softmax_ce_backward", 6.0 * B * n * d, 4.0 * (2.0 * B * d + 2.0 * n * d + 2.0 * B), () -> sce.backward(addr(sf), addr(E), addr(target), addr(lse), B, n, d, scale, s, addr(dsf),
                addr(dE), stream));
    }

    @Override
    public void rankTargets(Buf sf, Buf E, Buf target, int B, int n, int d, Buf rank) {
        long s = scratch("softmax", SoftmaxCeKernels.scratchFloats(B, n, d));
        k("rank_targets", 2.0 * B * n * d, 4.0 * ((double) B * d + (double) n * d + 2.0 * B), () -> sce.rankTargets(addr(sf), addr(E), addr(target), B, n, d, s, addr(rank), stream));
    }

    // ------------------------------------------------------------------ walks.cu

    @Override
    public void randomWalks(Buf csrOffsets, Buf targets, Buf prob, Buf alias, Buf starts, int numWalks, int nodesPerRound, int maxLen,
                            long seed, Buf slots, Buf lengths) {
        k("random_walks", () -> walks.randomWalks(addr(csrOffsets), addr(targets), addr(prob), addr(alias), addr(starts), numWalks,
                nodesPerRound, maxLen, seed, addr(slots), addr(lengths), stream));
    }

    @Override
    public void compactWalks(Buf slots, Buf lengths, Buf walkOffsets, int numWalks, int maxLen, Buf items) {
        k("compact_walks", () -> walks.compactWalks(addr(slots), addr(lengths), addr(walkOffsets), numWalks, maxLen, addr(items), stream));
    }

    @Override
    public void skipgramPairs(Buf walkOffsets, Buf items, Buf order, Buf pairPrefix, int numWalks, long first, int count, int window,
                              Buf inputs, Buf labels) {
        k("skipgram_pairs", () -> walks.skipgramPairs(addr(walkOffsets), addr(items), addr(order), addr(pairPrefix), numWalks, first, count,
                window, addr(inputs), addr(labels), stream));
    }

    // ------------------------------------------------------------------ nce.cu

    private org.lgsr.gpu.kernels.DeviceNceStep nce;

    private static DeviceInts whole(Buf b, String what) {
        if (b.offset != 0 || b.type != Buf.Type.INT) throw new IllegalArgumentException(what + " must be an int buffer from element 0");
        return (DeviceInts) b.store;
    }

    @Override
    public void nceStep(int d, Buf E, Buf gE, Buf theta, Buf gTheta, Buf bias, Buf gBias, Buf inputs, Buf labels, int n, int[] sampled,
                        float[] sampledLogQ, int s, int numTries, Buf rankOfItem, double logRange, boolean removeHits, boolean logQ,
                        Buf lossOut) {
        if (nce == null || nce.dim() != d || nce.maxN() < n || nce.maxS() < s) {
            if (nce != null) {
                stream.synchronize();
                nce.close();
            }
            nce = new org.lgsr.gpu.kernels.DeviceNceStep(module, ctx.info(), blas, d, Math.max(n, 8192), Math.max(s, 512));
        }
        k("nce_step", () -> nce.enqueue(addr(E), addr(gE), addr(theta), addr(gTheta), addr(bias), addr(gBias), whole(inputs, "inputs"),
                whole(labels, "labels"), n, sampled, sampledLogQ, s, numTries, whole(rankOfItem, "rankOfItem"), logRange, removeHits, logQ, stream));
        DevicePointers.copy(addr(lossOut), nce.lossAddress(), 8, stream);
    }

    // ------------------------------------------------------------------ embedding.cu, adam.cu

    @Override
    public void scatterAddSorted(Buf table, Buf rows, Buf idx, Buf order, Buf segStart, int segments, int d) {
        k("embedding_scatter_add_sorted", 0, 0, () -> base.embeddingScatterAddSorted(addr(table), addr(rows), addr(idx), addr(order),
                addr(segStart), segments, d, stream));
    }

    @Override
    public void adam(Buf p, Buf g, Buf m, Buf v, long n, float lrT, float beta1, float beta2, float eps) {
        k("adam", 12.0 * n, 28.0 * n, () -> base.adam(addr(p), addr(g), addr(m), addr(v), n, lrT, beta1, beta2, eps, stream));
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            stream.synchronize();
        } finally {
            if (nce != null) nce.close();
            for (DeviceBuffer b : owned) b.close();
            for (DeviceFloats s : scratch.values()) s.close();
            for (Object[] t : pendingTimes) {
                ((CudaEvent) t[1]).close();
                ((CudaEvent) t[2]).close();
            }
            for (Object[] r : openRanges) ((CudaEvent) r[1]).close();
            for (CudaEvent e : eventPool) e.close();
            ring.close();
            blas.close();
            stream.close();
            module.close();
            ctx.close();
        }
    }
}
