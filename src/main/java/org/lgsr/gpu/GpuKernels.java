package org.lgsr.gpu;

import org.lgsr.cpu.Embedding;

/**
 * Typed launches of the kernels in {@code cuda/}; each has a CPU twin of the same name in
 * {@code org.lgsr.cpu}. Grid-stride kernels get at most {@code 16 x SMs} blocks of 256 threads.
 */
public final class GpuKernels {
    static final int THREADS = 256;
    private final KernelModule module;
    private final int maxBlocks;

    public GpuKernels(KernelModule module, DeviceInfo device) {
        this.module = module;
        this.maxBlocks = Math.max(1, 16 * device.multiprocessors());
    }

    int blocksFor(long work) {
        return (int) Math.max(1, Math.min(maxBlocks, (work + THREADS - 1) / THREADS));
    }

    /** One Adam step over elements [0, n) of p, g, m, v (twin: Adam.adam); lrT from Adam.learningRate. */
    public void adam(DeviceFloats p, DeviceFloats g, DeviceFloats m, DeviceFloats v, long n, float lrT, float beta1,
                     float beta2, float eps, CudaStream stream) {
        for (DeviceFloats b : new DeviceFloats[] {p, g, m, v}) {
            if (b.length() < n) throw new IllegalArgumentException("adam: a buffer of " + b.length() + " elements for n = " + n);
        }
        adam(p.address(), g.address(), m.address(), v.address(), n, lrT, beta1, beta2, eps, stream);
    }

    /** out (R, D) = table[idx] (twin: Embedding.embeddingGather). Indices are trusted: check them on the host. */
    public void embeddingGather(DeviceFloats out, DeviceFloats table, DeviceInts idx, int rows, int d, CudaStream stream) {
        embeddingGather(out.address(), table.address(), idx.address(), rows, d, stream);
    }

    /** gradTable[idx[r]] += gradOut[r] with atomics (twin: Embedding.embeddingScatterAddAtomic). */
    public void embeddingScatterAddAtomic(DeviceFloats gradTable, DeviceFloats gradOut, DeviceInts idx, int rows, int d,
                                          CudaStream stream) {
        embeddingScatterAddAtomic(gradTable.address(), gradOut.address(), idx.address(), rows, d, stream);
    }

    /**
     * The deterministic scatter-add (twin: Embedding.embeddingScatterAddSorted): rowOrder and
     * segStart as made by {@link Embedding#sortedSegments}, {@code segments} runs; one block of
     * {@link Embedding#SCATTER_GROUPS} warps per run, d at most {@link Embedding#SCATTER_MAX_D}.
     */
    public void embeddingScatterAddSorted(DeviceFloats gradTable, DeviceFloats gradOut, DeviceInts idx, DeviceInts rowOrder,
                                          DeviceInts segStart, int segments, int d, CudaStream stream) {
        embeddingScatterAddSorted(gradTable.address(), gradOut.address(), idx.address(), rowOrder.address(), segStart.address(), segments,
                d, stream);
    }

    /** out[j] = word (offset + j) of Philox stream (seed, stream) (twin: Philox.philoxBits). */
    public void philoxBits(DeviceInts out, long n, long seed, long streamId, long offset, CudaStream stream) {
        module.launch("philox_bits", blocksFor(n / 4 + 2), THREADS, 0, stream, out, n, seed, streamId, offset);
    }

    /** out[j] = uniform [0, 1) from word (offset + j) (twin: Philox.philoxUniform). */
    public void philoxUniform(DeviceFloats out, long n, long seed, long streamId, long offset, CudaStream stream) {
        philoxUniform(out.address(), n, seed, streamId, offset, stream);
    }

    /** {@link #adam} on raw device addresses (views inside a larger allocation). */
    public void adam(long p, long g, long m, long v, long n, float lrT, float beta1, float beta2, float eps, CudaStream stream) {
        if (n <= 0) return;
        module.launch("adam", blocksFor((n + 3) / 4), THREADS, 0, stream, p, g, m, v, n, lrT, beta1, beta2, eps);
    }

    /** {@link #embeddingScatterAddSorted} on raw device addresses. */
    public void embeddingScatterAddSorted(long gradTable, long gradOut, long idx, long rowOrder, long segStart, int segments, int d,
                                          CudaStream stream) {
        if (segments <= 0) return;
        if (d < 1 || d > Embedding.SCATTER_MAX_D) {
            throw new IllegalArgumentException("embedding_scatter_add_sorted: d = " + d + "; the limit is 1 <= d <= " + Embedding.SCATTER_MAX_D);
        }
        int threads = 32 * Embedding.SCATTER_GROUPS;
        module.launch("embedding_scatter_add_sorted", (int) Math.min(segments, maxBlocks), threads, Embedding.SCATTER_GROUPS * d * Float.BYTES,
                stream, gradTable, gradOut, idx, rowOrder, segStart, segments, d);
    }

    /** {@link #embeddingGather} on raw device addresses. */
    public void embeddingGather(long out, long table, long idx, int rows, int d, CudaStream stream) {
        if (rows <= 0) return;
        module.launch("embedding_gather", blocksFor((long) rows * d), THREADS, 0, stream, out, table, idx, rows, d);
    }

    /** {@link #embeddingScatterAddAtomic} on raw device addresses. */
    public void embeddingScatterAddAtomic(long gradTable, long gradOut, long idx, int rows, int d, CudaStream stream) {
        if (rows <= 0) return;
        module.launch("embedding_scatter_add_atomic", blocksFor((long) rows * d), THREADS, 0, stream, gradTable, gradOut, idx, rows, d);
    }

    /** {@link #philoxUniform} into a raw device address. */
    public void philoxUniform(long out, long n, long seed, long streamId, long offset, CudaStream stream) {
        if (n <= 0) return;
        module.launch("philox_uniform", blocksFor(n / 4 + 2), THREADS, 0, stream, out, n, seed, streamId, offset);
    }
}
