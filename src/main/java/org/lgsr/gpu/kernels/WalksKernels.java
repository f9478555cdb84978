package org.lgsr.gpu.kernels;

import org.lgsr.gpu.CudaStream;
import org.lgsr.gpu.DeviceInfo;
import org.lgsr.gpu.KernelModule;

/**
 * Launches of the kernels in {@code cuda/walks.cu}: the global encoder's walk corpus and its
 * skip-gram pairs, bit-identical to their twins in {@link org.lgsr.cpu.Walks} and to the CPU
 * engine ({@code RandomWalks.generate}, {@code SkipGramPairs.next}). Pointers are raw device
 * addresses; every kernel is grid-stride, at most {@code 16 x SMs} blocks of 256 threads.
 *
 * <p>Floors ({@code xxxBytes}, {@code xxxFlops}): the bytes of the elements a kernel must read
 * and write (each once), and its floating-point operations.
 */
public final class WalksKernels {
    static final int THREADS = 256;
    /** The corpus is int-indexed (as on the CPU): {@code numWalks * maxLen} stays below this. */
    public static final long MAX_SLOTS = Integer.MAX_VALUE - 16;

    private final KernelModule module;
    private final int maxBlocks;

    /** Launches into {@code module}'s context on {@code device}. */
    public WalksKernels(KernelModule module, DeviceInfo device) {
        this.module = module;
        this.maxBlocks = Math.max(1, 16 * device.multiprocessors());
    }

    private int blocksFor(long work) {
        return (int) Math.max(1, Math.min(maxBlocks, (work + THREADS - 1) / THREADS));
    }

    private static void checkWalks(String kernel, int numWalks, int nodesPerRound, int maxLen) {
        if (numWalks < 0) throw new IllegalArgumentException(kernel + ": numWalks must be >= 0, got " + numWalks);
        if (nodesPerRound < 1) throw new IllegalArgumentException(kernel + ": nodesPerRound must be >= 1, got " + nodesPerRound);
        if (maxLen < 1) throw new IllegalArgumentException(kernel + ": maxLen must be >= 1, got " + maxLen);
        if ((long) numWalks * maxLen > MAX_SLOTS) {
            throw new IllegalArgumentException(kernel + ": numWalks * maxLen = " + (long) numWalks * maxLen
                    + " exceeds MAX_SLOTS = " + MAX_SLOTS);
        }
    }

    private static void checkPointers(String kernel, long... ptrs) {
        for (int i = 0; i < ptrs.length; i++) {
            if (ptrs[i] == 0) throw new IllegalArgumentException(kernel + ": pointer argument " + i + " is null");
        }
    }

    /**
     * random_walks (twin: {@code Walks.randomWalks}): walk {@code w} of round
     * {@code w / nodesPerRound} from {@code starts[w]} into {@code slots[w * maxLen ..]} and
     * {@code lengths[w]}; the graph as CSR {@code csrOffsets}, {@code targets} with the alias
     * tables {@code prob} (float64) and {@code alias} of {@code AliasTable.of(graph)}. Nodes and
     * slots are trusted (come from the graph): check them on the host. {@code targets},
     * {@code prob} and {@code alias} may be 0 for a graph without edges.
     *
     * @throws IllegalArgumentException on a size below its minimum, a null pointer, or
     *         {@code numWalks * maxLen > MAX_SLOTS}
     */
    public void randomWalks(long csrOffsets, long targets, long prob, long alias, long starts, int numWalks,
                            int nodesPerRound, int maxLen, long seed, long slots, long lengths, CudaStream stream) {
        checkWalks("random_walks", numWalks, nodesPerRound, maxLen);
        if (numWalks == 0) return;
        checkPointers("random_walks", csrOffsets, starts, slots, lengths); // a graph without edges may pass 0s
        module.launch("random_walks", blocksFor(numWalks), THREADS, 0, stream, csrOffsets, targets, prob, alias, starts,
                numWalks, nodesPerRound, maxLen, seed, slots, lengths);
    }

    /**
     * compact_walks (twin: {@code Walks.compactWalks}): {@code items[walkOffsets[w] + k] =
     * slots[w * maxLen + k]} for {@code k < lengths[w]}; {@code walkOffsets} from
     * {@code Walks.walkOffsets} on the host (the lengths copied back).
     */
    public void compactWalks(long slots, long lengths, long walkOffsets, int numWalks, int maxLen, long items,
                             CudaStream stream) {
        checkWalks("compact_walks", numWalks, 1, maxLen);
        if (numWalks == 0) return;
        checkPointers("compact_walks", slots, lengths, walkOffsets, items);
        module.launch("compact_walks", blocksFor((long) numWalks * maxLen), THREADS, 0, stream, slots, lengths,
                walkOffsets, numWalks, maxLen, items);
    }

    /**
     * skipgram_pairs (twin: {@code Walks.skipgramPairs}): pairs {@code [first, first + count)}
     * of the pass whose walk order is {@code order} ({@code SkipGramPairs.passOrder}) and whose
     * per-order pair prefix is {@code pairPrefix} (int64, {@code Walks.pairPrefix}); pair
     * {@code first + i} into {@code inputs[i]} (context) and {@code labels[i]} (centre). The
     * caller guarantees {@code first + count <= pairPrefix[numWalks]} (it holds the prefix).
     */
    public void skipgramPairs(long walkOffsets, long items, long order, long pairPrefix, int numWalks, long first,
                              int count, int window, long inputs, long labels, CudaStream stream) {
        if (numWalks < 1) throw new IllegalArgumentException("skipgram_pairs: numWalks must be >= 1, got " + numWalks);
        if (window < 1) throw new IllegalArgumentException("skipgram_pairs: window must be >= 1, got " + window);
        if (first < 0 || count < 0) throw new IllegalArgumentException("skipgram_pairs: first " + first + ", count " + count);
        if (count == 0) return;
        checkPointers("skipgram_pairs", walkOffsets, items, order, pairPrefix, inputs, labels);
        module.launch("skipgram_pairs", blocksFor(count), THREADS, 0, stream, walkOffsets, items, order, pairPrefix,
                numWalks, first, count, window, inputs, labels);
    }

    /** random_walks: one FP64 product and one difference per step ({@code totalItems - numWalks} steps). */
    public static double randomWalksFlops(int numWalks, long totalItems) {
        return 2.0 * (totalItems - numWalks);
    }

    /**
     * random_walks: per walk its start (4 B) and length (4 B) and the two offsets of its last
     * node (8 B); per step the two offsets (8 B), the keep probability (8 B) and the target
     * (4 B) (the alias, read only when the coin rejects, is left out); each walk item written
     * once (4 B). {@code totalItems} = the sum of the lengths.
     */
    public static double randomWalksBytes(int numWalks, long totalItems) {
        long steps = totalItems - numWalks;
        return 16.0 * numWalks + 20.0 * steps + 4.0 * totalItems;
    }

    /** compact_walks: no floating point. */
    public static double compactWalksFlops(int numWalks, long totalItems) {
        return 0;
    }

    /** compact_walks: each item read from its slot and written once (8 B), each length and offset read once (8 B). */
    public static double compactWalksBytes(int numWalks, long totalItems) {
        return 8.0 * totalItems + 8.0 * numWalks;
    }

    /** skipgram_pairs: no floating point. */
    public static double skipgramPairsFlops(int count, int window) {
        return 0;
    }

    /**
     * skipgram_pairs: two ints written per pair (8 B), and at least one item read per centre
     * the chunk covers (a centre has at most {@code 2 window - 1} pairs: 4 B per
     * {@code ceil(count / (2 window - 1))}).
     */
    public static double skipgramPairsBytes(int count, int window) {
        long perCentre = 2L * window - 1;
        return 8.0 * count + 4.0 * ((count + perCentre - 1) / perCentre);
    }
}
