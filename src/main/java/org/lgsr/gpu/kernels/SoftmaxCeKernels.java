package org.lgsr.gpu.kernels;

import org.lgsr.gpu.CudaStream;
import org.lgsr.gpu.DeviceInfo;
import org.lgsr.gpu.KernelModule;

/**
 * Launches of the scoring layer's kernels in {@code cuda/softmax_ce.cu} (twin:
 * {@link org.lgsr.cpu.SoftmaxCe}): scores {@code z[b, j] = sf[b] . E[j]} for items
 * {@code j = 1..n-1}, never stored; the forward log-sum-exp and loss, the backward gradients,
 * the targets' ranks and the top-K lists.
 *
 * <p>Shapes: {@code sf} (B, d), {@code E} (n, d) row-major floats, {@code target} (B) ints in
 * [1, n). Limits: {@code B >= 1}, {@code n >= 2}, {@code 1 <= d <= 256}; tile counts and offsets
 * must fit an int. Every method takes a scratch buffer of at least {@link #scratchFloats}
 * floats (16-byte aligned, as a whole allocation is) that it overwrites. Pointers are raw device
 * addresses; the integer inputs are trusted (targets are not checked on the device).
 *
 * <p>Tiles: 128 x 128 scores per block for {@code d <= 128}, 64 x 64 above. The backward kernel
 * needs up to 206 KB of shared memory per block (d = 128): a Hopper GPU (227 KB opt-in); the
 * launcher raises each kernel's dynamic shared-memory limit once.
 */
public final class SoftmaxCeKernels {
    /** The largest d the kernels take. */
    public static final int MAX_D = 256;
    /** The largest K of {@link #topK}. */
    public static final int MAX_K = 32;
    static final int THREADS = 256;
    /** At most this many row groups in the backward (each adds an n x d partial of dE). */
    static final int MAX_ROW_GROUPS = 4;
    /** Warps of softmax_ce_backward_dsf, each summing one slice of the column tiles. */
    static final int DSF_SLICES = THREADS / 32;

    private final KernelModule module;
    private final int multiprocessors;
    private final int maxBlocks;

    public SoftmaxCeKernels(KernelModule module, DeviceInfo device) {
        this.module = module;
        this.multiprocessors = Math.max(1, device.multiprocessors());
        this.maxBlocks = 16 * multiprocessors;
    }

    // ---- tiling (mirrors cuda/softmax_ce.cu) ----

    /** Rows and columns of a score tile: 128 for d <= 128, 64 above. */
    static int tile(int d) {
        return d <= 128 ? 128 : 64;
    }

    /** Column tiles (items). */
    static int columnTiles(int n, int d) {
        return (n + tile(d) - 1) / tile(d);
    }

    /** Row tiles (sessions). */
    static int rowTiles(int b, int d) {
        return (b + tile(d) - 1) / tile(d);
    }

    /** d rounded up to a multiple of 4 (the float4 width of the tiles and partials). */
    static int d4(int d) {
        return (d + 3) & ~3;
    }

    /** Shared memory of a score tile: sf and E tiles, float4-column-major with one float4 of padding per column. */
    static int scoreSharedBytes(int d) {
        return 2 * (d4(d) / 4) * (tile(d) + 1) * 16;
    }

    /** The score tiles plus P (tile x (tile + 16) floats). */
    static int backwardSharedBytes(int d) {
        return scoreSharedBytes(d) + tile(d) * (tile(d) + 16) * 4;
    }

    static String suffix(int d) {
        return d <= 128 ? "_t8" : "_t4";
    }

    static String backwardKernel(int d) {
        return d <= 64 ? "softmax_ce_backward_t8c1" : d <= 128 ? "softmax_ce_backward_t8c2" : "softmax_ce_backward_t4c4";
    }

    // ---- scratch ----

    /** Scratch floats of {@link #forward}: per (row, column tile) max and sum, then z[target]. */
    public static long forwardScratchFloats(int b, int n, int d) {
        return 2L * b * columnTiles(n, d) + b;
    }

    /** Scratch floats of {@link #backward}: dsf partials per column tile, dE partials per row group. */
    public static long backwardScratchFloats(int b, int n, int d) {
        int groups = Math.min(rowTiles(b, d), MAX_ROW_GROUPS);
        return (long) columnTiles(n, d) * b * d4(d) + (groups > 1 ? (long) groups * n * d4(d) : 0);
    }

    /** Scratch floats of {@link #rankTargets}: the targets' scores. */
    public static long rankScratchFloats(int b) {
        return b;
    }

    /** Scratch floats of {@link #topK} for any K up to {@link #MAX_K}: K candidates per (row, column tile). */
    public static long topKScratchFloats(int b, int n, int d) {
        return 2L * b * columnTiles(n, d) * MAX_K;
    }

    /** Scratch floats that serve every method of this class for these sizes. */
    public static long scratchFloats(int b, int n, int d) {
        checkSizes(b, n, d);
        return Math.max(Math.max(forwardScratchFloats(b, n, d), backwardScratchFloats(b, n, d)),
                Math.max(rankScratchFloats(b), topKScratchFloats(b, n, d)));
    }

    // ---- kernels ----

    /**
     * {@code lse[b] = log sum_{j=1}^{n-1} exp(z[b, j])} and {@code loss[b] = lse[b] - z[b, target[b]]}
     * (twin: SoftmaxCe.softmaxCeForward). Two launches: the tiles, then the per-row merge.
     */
    public void forward(long sf, long e, long target, int b, int n, int d, long scratch, long lse, long loss,
                        CudaStream stream) {
        checkSizes(b, n, d);
        int nct = columnTiles(n, d);
        long pm = scratch, ps = scratch + 4L * b * nct, zt = scratch + 8L * b * nct;
        String name = "softmax_ce_forward" + suffix(d);
        launch(name, nct * rowTiles(b, d), scoreSharedBytes(d), stream, sf, e, target, b, n, d, pm, ps, zt);
        launch("softmax_ce_forward_finish", (b + 7) / 8, 0, stream, pm, ps, zt, b, nct, lse, loss);
    }

    /**
     * The gradients of {@code scale * sum_b loss[b]} (scale = 1/B for the mean): with
     * {@code P[b, j] = (exp(z[b, j] - lse[b]) - [j == target[b]]) * scale} for j >= 1,
     * {@code dsf = P E} (B, d) and {@code dE = P^T sf} (n, d), both overwritten, row 0 of dE
     * written 0 (twin: SoftmaxCe.softmaxCeBackward). {@code lse} from {@link #forward}.
     * Deterministic for a given GPU (the row grouping depends on its multiprocessor count).
     */
    public void backward(long sf, long e, long target, long lse, int b, int n, int d, float scale, long scratch,
                         long dsf, long dE, CudaStream stream) {
        checkSizes(b, n, d);
        int nct = columnTiles(n, d), rts = rowTiles(b, d);
        int per = rowTilesPerGroup(nct, rts, n, d, multiprocessors);
        int groups = (rts + per - 1) / per;
        long dsfPart = scratch, dePart = scratch + 4L * nct * b * d4(d);
        long out = groups == 1 ? dE : dePart;
        long groupStride = groups == 1 ? 0 : (long) n * d4(d);
        int ld = groups == 1 ? d : d4(d);
        launch(backwardKernel(d), nct * groups, backwardSharedBytes(d), stream, sf, e, target, lse, b, n, d, scale, per,
                dsfPart, out, groupStride, ld);
        launch("softmax_ce_backward_dsf", (int) (((long) b * (d4(d) / 4) + 31) / 32), DSF_SLICES * 32 * 16, stream, dsfPart, b,
                d, nct, dsf);
        if (groups > 1) launch("softmax_ce_backward_de", blocksFor((long) n * d), 0, stream, dePart, n, d, groups, dE);
    }

    /**
     * Row tiles per block in the backward. One block per column tile (all row tiles, dE kept in
     * registers) leaves SMs idle in the last wave when there are few column tiles; splitting the
     * rows into groups gives more, shorter blocks at the price of an n x d partial of dE per
     * group. Picks the split with the least estimated time: waves x row tiles per block x the
     * time of one tile, plus the partials' traffic.
     */
    static int rowTilesPerGroup(int nct, int rts, int n, int d, int sms) {
        double tileSeconds = 2.0 * tile(d) * tile(d) * (d4(d) + 2.0 * padded(d)) / 0.45e12; // ~60 TFLOP/s over 132 SMs
        int best = rts;
        double bestTime = Double.MAX_VALUE;
        for (int groups = 1; groups <= Math.min(rts, MAX_ROW_GROUPS); groups++) {
            int per = (rts + groups - 1) / groups;
            int real = (rts + per - 1) / per;
            long waves = ((long) nct * real + sms - 1) / sms;
            double time = waves * per * tileSeconds + (real > 1 ? 2.0 * real * n * d4(d) * 4 / 2.5e12 : 0);
            if (time < bestTime - 1e-12) {
                bestTime = time;
                best = per;
            }
        }
        return best;
    }

    /** The columns the backward's product phases compute (64 per float4 column group per thread). */
    static int padded(int d) {
        return d <= 64 ? 64 : d <= 128 ? 128 : 256;
    }

    /**
     * {@code rank[b] = 1 + #{j in 1..n-1, j != t: z[b, j] > z[b, t] or (z[b, j] == z[b, t] and j < t)}},
     * t = target[b]; n - 1 where z[b, t] is NaN (twin: SoftmaxCe.rankTargets, the rule of
     * {@link org.lgsr.eval.Ranking}). All scores come from the same fma chain, so ties are exact.
     */
    public void rankTargets(long sf, long e, long target, int b, int n, int d, long scratch, long rank,
                            CudaStream stream) {
        checkSizes(b, n, d);
        launch("rank_targets_init", blocksFor(b), 0, stream, sf, e, target, b, n, d, scratch, rank);
        launch("rank_targets" + suffix(d), columnTiles(n, d) * rowTiles(b, d), scoreSharedBytes(d), stream, sf, e,
                target, b, n, d, scratch, rank);
    }

    /**
     * The K best items 1..n-1 of each row by score, descending, ties by the smaller id:
     * {@code items} (B, K) ints and their {@code scores} (B, K) (twin: SoftmaxCe.topK). A NaN
     * score orders as -inf. {@code 1 <= K <= min(32, n - 1)}.
     */
    public void topK(long sf, long e, int b, int n, int d, int k, long scratch, long items, long scores,
                     CudaStream stream) {
        checkSizes(b, n, d);
        if (k < 1 || k > MAX_K || k > n - 1) {
            throw new IllegalArgumentException("top_k: K = " + k + " must be in 1.." + MAX_K + " and at most n - 1 = " + (n - 1));
        }
        int nct = columnTiles(n, d);
        long candS = scratch, candI = scratch + 4L * b * nct * k;
        launch("top_k" + suffix(d), nct * rowTiles(b, d), scoreSharedBytes(d), stream, sf, e, b, n, d, k, candS, candI);
        launch("top_k_merge", (b + 7) / 8, 0, stream, candS, candI, b, nct, k, items, scores);
    }

    // ---- floors for the benchmark ----

    /** Minimal FLOPs of {@link #forward}: the scores, 2 B (n-1) d. */
    public static double forwardFlops(int b, int n, int d) {
        return 2.0 * b * (n - 1) * d;
    }

    /** Minimal bytes of {@link #forward}: sf, E, target read once; lse, loss written once. */
    public static double forwardBytes(int b, int n, int d) {
        return 4.0 * ((double) b * d + (double) n * d + b + 2.0 * b);
    }

    /** Minimal FLOPs of {@link #backward}: the scores and the two products, 6 B (n-1) d. */
    public static double backwardFlops(int b, int n, int d) {
        return 6.0 * b * (n - 1) * d;
    }

    /** Minimal bytes of {@link #backward}: sf, E, target, lse read once; dsf and dE written once. */
    public static double backwardBytes(int b, int n, int d) {
        return 4.0 * (2.0 * b * d + 2.0 * n * d + 2.0 * b);
    }

    /** Minimal FLOPs of {@link #rankTargets}: the scores. */
    public static double rankFlops(int b, int n, int d) {
        return 2.0 * b * (n - 1) * d;
    }

    /** Minimal bytes of {@link #rankTargets}: sf, E, target read once; rank written once. */
    public static double rankBytes(int b, int n, int d) {
        return 4.0 * ((double) b * d + (double) n * d + 2.0 * b);
    }

    /** Minimal FLOPs of {@link #topK}: the scores. */
    public static double topKFlops(int b, int n, int d) {
        return 2.0 * b * (n - 1) * d;
    }

    /** Minimal bytes of {@link #topK}: sf, E read once; items and scores written once. */
    public static double topKBytes(int b, int n, int d, int k) {
        return 4.0 * ((double) b * d + (double) n * d + 2.0 * b * k);
    }

    // ---- helpers ----

    static void checkSizes(int b, int n, int d) {
        if (b < 1) throw new IllegalArgumentException("softmax_ce: B = " + b + " must be >= 1");
        if (n < 2) throw new IllegalArgumentException("softmax_ce: n = " + n + " must be >= 2 (item 0 is padding)");
        if (d < 1 || d > MAX_D) throw new IllegalArgumentException("softmax_ce: d = " + d + " must be in 1.." + MAX_D);
        long nct = columnTiles(n, d), rts = rowTiles(b, d);
        if (nct * Math.max(rts, MAX_ROW_GROUPS) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("softmax_ce: B = " + b + ", n = " + n + " give more than 2^31 - 1 tiles (the grid limit)");
        }
    }

    int blocksFor(long threads) {
        return (int) Math.max(1, Math.min(maxBlocks, (threads + THREADS - 1) / THREADS));
    }

    private void launch(String name, int blocks, int sharedBytes, CudaStream stream, Object... args) {
        module.launch(name, blocks, THREADS, sharedBytes, stream, args);
    }
}
