package org.lgsr.graph;

import org.lgsr.data.Sessions;

/**
 * One pass of skip-gram pairs over a walk corpus (MODEL.md 3.3), streamed into caller
 * buffers without materializing the pass.
 *
 * <p>The walks are visited in a shuffled order (a permutation from the stream keyed
 * {@code (seed, pass, -2)}). For position {@code i} of walk {@code c} the contexts are
 * {@code c[i-window .. i-1]} and {@code c[i+1 .. i+window-1]} [code: 8 before, 7 after for
 * window 8], clipped to the walk, in increasing position. Each pair is written as
 * {@code input = context item} (a row of E) and {@code label = c[i]}, the centre item (a row of
 * theta) [code].
 */
public final class SkipGramPairs {
    private final int[] offsets;
    private final int[] items;
    private final int before;
    private final int after;
    private final int[] order;
    private int walk;     // index into order
    private int pos;      // centre position in the current walk
    private int ctx;      // next context position for the current centre

    public SkipGramPairs(Sessions walks, int window, long seed, int pass) {
        if (window < 1) throw new IllegalArgumentException("window must be >= 1, got " + window);
        this.offsets = walks.offsets();
        this.items = walks.items();
        this.before = window;
        this.after = window - 1;
        this.order = passOrder(walks.size(), seed, pass);
        this.walk = 0;
        this.pos = 0;
        this.ctx = order.length > 0 ? firstContext(0) : 0;
    }

    /**
     * The order in which pass {@code pass} visits the walks: {@code 0 .. numWalks-1} shuffled by
     * the stream keyed {@code (seed, pass, -2)}.
     */
    public static int[] passOrder(int numWalks, long seed, int pass) {
        if (numWalks < 0) throw new IllegalArgumentException("numWalks must be >= 0, got " + numWalks);
        int[] order = new int[numWalks];
        for (int i = 0; i < numWalks; i++) order[i] = i;
        new Rng(Rng.key(seed, pass, -2)).shuffle(order);
        return order;
    }

    private int firstContext(int p) {
        return Math.max(0, p - before);
    }

    /**
     * Writes up to {@code max} next pairs into {@code inputs[0..)} and {@code labels[0..)};
     * returns how many, 0 once the pass is over.
     */
    public int next(int[] inputs, int[] labels, int max) {
        int n = 0;
        while (n < max && walk < order.length) {
            int w = order[walk];
            int base = offsets[w];
            int len = offsets[w + 1] - base;
            int hi = Math.min(len - 1, pos + after);
            int centre = items[base + pos];
            while (n < max && ctx <= hi) {
                if (ctx != pos) {
                    inputs[n] = items[base + ctx];
                    labels[n] = centre;
                    n++;
                }
                ctx++;
            }
            if (ctx > hi) {
                pos++;
                if (pos >= len) {
                    pos = 0;
                    walk++;
                }
                ctx = firstContext(pos);
            }
        }
        return n;
    }

    /** Number of pairs one pass over {@code walks} yields. */
    public static long count(Sessions walks, int window) {
        long total = 0;
        for (int w = 0; w < walks.size(); w++) {
            int len = walks.length(w);
            for (int p = 0; p < len; p++) {
                total += Math.min(len - 1, p + window - 1) - Math.max(0, p - window);
            }
        }
        return total;
    }
}
