package org.lgsr.model;

import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;

/**
 * One batch of model input, LEFT-ALIGNED: row b holds the last {@code len[b] = min(length,
 * maxLen)} items of sample b's input at slots {@code 0 .. len[b]-1} (oldest first) and padding
 * 0 after them. Position index [code]: slot i of a row of length t gets {@code t - i} (the last
 * item gets 1, padding gets 0), i.e. "item at 1-based position i gets t - i + 1".
 *
 * <pre>
 * items  (B, T) int   item ids, 0 = pad
 * pos    (B, T) int   position index into P, 0 = pad
 * len    (B)    int   number of valid slots, 1 .. T
 * target (B)    int   next item
 * </pre>
 * T = maxLen for every batch. Inputs of length 0 are rejected.
 */
public final class Batch {
    public final int capacity, T;
    public int B;
    public final int[] items, pos, len, target;

    public Batch(int capacity, int maxLen) {
        this.capacity = capacity;
        this.T = maxLen;
        items = new int[capacity * maxLen];
        pos = new int[capacity * maxLen];
        len = new int[capacity];
        target = new int[capacity];
    }

    /** A batch of samples {@code first .. first+count-1}. */
    public static Batch of(Samples samples, int first, int count, int maxLen) {
        Batch b = new Batch(count, maxLen);
        b.fill(samples, null, first, count);
        return b;
    }

    /**
     * Fills rows 0..count-1 with samples {@code order[first + r]} (or {@code first + r} when order
     * is null).
     */
    public void fill(Samples samples, int[] order, int first, int count) {
        if (count < 1 || count > capacity) throw new IllegalArgumentException("batch size " + count + " outside 1.." + capacity);
        B = count;
        Sessions in = samples.inputs();
        int[] all = in.items();
        java.util.Arrays.fill(items, 0, count * T, 0);
        java.util.Arrays.fill(pos, 0, count * T, 0);
        for (int r = 0; r < count; r++) {
            int s = order == null ? first + r : order[first + r];
            int length = in.length(s);
            if (length < 1) throw new IllegalArgumentException("sample " + s + " has an empty input");
            int t = Math.min(length, T);
            int start = in.start(s) + length - t;
            for (int i = 0; i < t; i++) {
                items[r * T + i] = all[start + i];
                pos[r * T + i] = t - i;
            }
            len[r] = t;
            target[r] = samples.targets()[s];
        }
    }

    /** Throws if an item or target id is outside 1..n-1 (validation at the boundary). */
    public void check(int numItems) {
        for (int r = 0; r < B; r++) {
            if (target[r] < 1 || target[r] >= numItems) throw new IllegalArgumentException("target " + target[r] + " of row " + r + " outside 1.." + (numItems - 1));
            for (int i = 0; i < len[r]; i++) {
                int it = items[r * T + i];
                if (it < 1 || it >= numItems) throw new IllegalArgumentException("item " + it + " of row " + r + " outside 1.." + (numItems - 1));
            }
        }
    }
}
