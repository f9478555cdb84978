package org.lgsr.cpu;

/**
 * The walk corpus and its skip-gram pairs as the device computes them; CPU twins of the kernels
 * in {@code cuda/walks.cu}, equal to them bit for bit, and (through them) to the CPU engine:
 * {@link #randomWalks} then {@link #compactWalks} give {@code RandomWalks.generate}'s corpus,
 * {@link #skipgramPairs} gives any chunk of {@code SkipGramPairs.next}'s stream for a pass.
 *
 * <p>Arrays are the kernels' pointers: each is followed by the element offset it starts at.
 * Shapes: graph CSR {@code csrOffsets (numItems + 1)}, {@code targets, prob, alias (E)} (the
 * alias tables of {@code AliasTable.of(graph)}); {@code starts (numWalks)}
 * ({@code RandomWalks.starts}); {@code slots (numWalks * maxLen)}, {@code lengths (numWalks)};
 * {@code walkOffsets (numWalks + 1)}; {@code items (walkOffsets[numWalks])};
 * {@code order (numWalks)} ({@code SkipGramPairs.passOrder}); {@code pairPrefix (numWalks + 1)}.
 */
public final class Walks {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private Walks() {
    }

    // ---- SplitMix64, as org.lgsr.graph.Rng and walk_mix / walk_key / walk_next_double ----

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static long key(long seed, long a, long b) {
        return mix(mix(mix(seed) ^ (a * 0xD1B54A32D192ED03L)) ^ (b * 0xAEF17502108EF2D9L));
    }

    /**
     * Walk {@code w} (for {@code w} in {@code [0, numWalks)}) of round {@code r = w / nodesPerRound}:
     * starts at {@code starts[w]}, draws its steps from the SplitMix64 stream keyed
     * {@code (seed, r, w - r * nodesPerRound)}, one alias draw per step, and stops at
     * {@code maxLen} nodes or at a node without out-edges. Writes the walk into
     * {@code slots[w * maxLen ..]} and its length into {@code lengths[w]}; the rest of each
     * row of {@code slots} is left as it was (twin of random_walks).
     */
    public static void randomWalks(int[] csrOffsets, int csrOffsetsOff, int[] targets, int targetsOff,
                                   double[] prob, int probOff, int[] alias, int aliasOff, int[] starts, int startsOff,
                                   int numWalks, int nodesPerRound, int maxLen, long seed,
                                   int[] slots, int slotsOff, int[] lengths, int lengthsOff) {
        checkWalks(numWalks, nodesPerRound, maxLen);
        for (int w = 0; w < numWalks; w++) {
            long r = w / nodesPerRound;
            long state = key(seed, r, w - r * nodesPerRound);
            int row = slotsOff + w * maxLen;
            int cur = starts[startsOff + w];
            slots[row] = cur;
            int k = 1;
            while (k < maxLen) {
                int from = csrOffsets[csrOffsetsOff + cur];
                int n = csrOffsets[csrOffsetsOff + cur + 1] - from;
                if (n <= 0) break;
                state += GOLDEN;
                double u = (mix(state) >>> 11) * 0x1.0p-53;
                double x = u * n;
                int j = (int) x;
                if (j >= n) j = n - 1;
                int slot = from + j;
                int pick = (x - j) < prob[probOff + slot] ? slot : alias[aliasOff + slot];
                cur = targets[targetsOff + pick];
                slots[row + k++] = cur;
            }
            lengths[lengthsOff + w] = k;
        }
    }

    /**
     * The exclusive prefix sum of {@code lengths[0 .. numWalks)} with the total at the end
     * (length {@code numWalks + 1}): the corpus' CSR offsets, as the host computes them for
     * {@code compact_walks} and {@code skipgram_pairs}.
     *
     * @throws IllegalArgumentException when a length is below 1 or the total exceeds an int
     */
    public static int[] walkOffsets(int[] lengths, int lengthsOff, int numWalks) {
        int[] off = new int[numWalks + 1];
        long total = 0;
        for (int w = 0; w < numWalks; w++) {
            int len = lengths[lengthsOff + w];
            if (len < 1) throw new IllegalArgumentException("walk " + w + " has length " + len);
            total += len;
            if (total > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("walk corpus too large: " + total + " items");
            off[w + 1] = (int) total;
        }
        return off;
    }

    /** {@code items[walkOffsets[w] + k] = slots[w * maxLen + k]} for {@code k < lengths[w]} (twin of compact_walks). */
    public static void compactWalks(int[] slots, int slotsOff, int[] lengths, int lengthsOff, int[] walkOffsets,
                                    int walkOffsetsOff, int numWalks, int maxLen, int[] items, int itemsOff) {
        checkWalks(numWalks, 1, maxLen);
        for (int w = 0; w < numWalks; w++) {
            System.arraycopy(slots, slotsOff + w * maxLen, items, itemsOff + walkOffsets[walkOffsetsOff + w],
                    lengths[lengthsOff + w]);
        }
    }

    /**
     * Skip-gram pairs of a walk of length {@code len} whose centres are {@code 0 .. pos-1}:
     * the sum over {@code p < pos} of {@code min(len-1, p+window-1) - max(0, p-window)}, in
     * closed form (walk_pairs_before).
     */
    public static long pairsBefore(long pos, long len, long window) {
        long t = Math.max(0, Math.min(pos, len - window + 1)); // centres with all window-1 contexts after
        long after = t * (t - 1) / 2 + t * (window - 1) + (pos - t) * (len - 1);
        long m = Math.max(0, pos - 1 - window);
        return after - m * (m + 1) / 2;
    }

    /**
     * {@code pairPrefix[o]} = skip-gram pairs of the walks {@code order[0 .. o)} (length
     * {@code numWalks + 1}; the last is the pass' total, {@code SkipGramPairs.count}).
     * {@code walkOffsets} has {@code numWalks + 1} entries.
     */
    public static long[] pairPrefix(int[] walkOffsets, int[] order, int window) {
        if (window < 1) throw new IllegalArgumentException("window must be >= 1, got " + window);
        int numWalks = order.length;
        if (walkOffsets.length < numWalks + 1) {
            throw new IllegalArgumentException("walkOffsets has " + walkOffsets.length + " entries for " + numWalks + " walks");
        }
        long[] prefix = new long[numWalks + 1];
        for (int o = 0; o < numWalks; o++) {
            int w = order[o];
            int len = walkOffsets[w + 1] - walkOffsets[w];
            prefix[o + 1] = prefix[o] + pairsBefore(len, len, window);
        }
        return prefix;
    }

    /**
     * Pairs {@code [first, first + count)} of a pass in {@code SkipGramPairs}' order: pair
     * {@code first + i} goes to {@code inputs[i]} (the context item) and {@code labels[i]} (the
     * centre item). Each pair is decoded on its own, as the kernel does: its walk by a binary
     * search of {@code pairPrefix}, its centre by a binary search of {@link #pairsBefore}
     * (twin of skipgram_pairs). Requires {@code first + count <= pairPrefix[numWalks]}.
     */
    public static void skipgramPairs(int[] walkOffsets, int walkOffsetsOff, int[] items, int itemsOff, int[] order,
                                     int orderOff, long[] pairPrefix, int pairPrefixOff, int numWalks, long first,
                                     int count, int window, int[] inputs, int inputsOff, int[] labels, int labelsOff) {
        if (window < 1) throw new IllegalArgumentException("window must be >= 1, got " + window);
        if (numWalks < 1 || first < 0 || count < 0 || first + count > pairPrefix[pairPrefixOff + numWalks]) {
            throw new IllegalArgumentException("pairs [" + first + ", " + (first + count) + ") of a pass of "
                    + (numWalks < 1 ? 0 : pairPrefix[pairPrefixOff + numWalks]) + " over " + numWalks + " walks");
        }
        for (int i = 0; i < count; i++) {
            long p = first + i;
            int lo = 0, hi = numWalks;
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                if (pairPrefix[pairPrefixOff + mid] <= p) lo = mid;
                else hi = mid;
            }
            int walk = order[orderOff + lo];
            int base = walkOffsets[walkOffsetsOff + walk];
            long len = walkOffsets[walkOffsetsOff + walk + 1] - base;
            long q = p - pairPrefix[pairPrefixOff + lo];
            long a = 0, b = len;
            while (b - a > 1) {
                long mid = (a + b) >> 1;
                if (pairsBefore(mid, len, window) <= q) a = mid;
                else b = mid;
            }
            long pos = a;
            long ctx = Math.max(0, pos - window) + (q - pairsBefore(pos, len, window));
            if (ctx >= pos) ctx++;
            inputs[inputsOff + i] = items[itemsOff + base + (int) ctx];
            labels[labelsOff + i] = items[itemsOff + base + (int) pos];
        }
    }

    private static void checkWalks(int numWalks, int nodesPerRound, int maxLen) {
        if (numWalks < 0) throw new IllegalArgumentException("numWalks must be >= 0, got " + numWalks);
        if (nodesPerRound < 1) throw new IllegalArgumentException("nodesPerRound must be >= 1, got " + nodesPerRound);
        if (maxLen < 1) throw new IllegalArgumentException("maxLen must be >= 1, got " + maxLen);
        if ((long) numWalks * maxLen > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("numWalks * maxLen = " + (long) numWalks * maxLen + " exceeds the int-indexed corpus limit");
        }
    }
}
