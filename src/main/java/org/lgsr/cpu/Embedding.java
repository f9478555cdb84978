package org.lgsr.cpu;

import java.util.Arrays;

/**
 * Embedding rows by index and the scatter-add of row gradients; CPU twins of the kernels in
 * {@code cuda/embedding.cu}. Shapes: table and gradTable (V, D) row-major, idx (R), out and
 * gradOut (R, D).
 */
public final class Embedding {
    private Embedding() {
    }

    /** out[r, :] = table[idx[r], :] (twin of embedding_gather). */
    public static void embeddingGather(float[] out, float[] table, int[] idx, int d) {
        int v = rows(table.length, d, "table");
        for (int r = 0; r < idx.length; r++) {
            checkIndex(idx[r], v, r);
            System.arraycopy(table, idx[r] * d, out, r * d, d);
        }
    }

    /**
     * gradTable[idx[r], :] += gradOut[r, :] in row order (twin of embedding_scatter_add_atomic,
     * whose atomics add the same terms in an unspecified order: equal up to rounding).
     */
    public static void embeddingScatterAddAtomic(float[] gradTable, float[] gradOut, int[] idx, int d) {
        int v = rows(gradTable.length, d, "gradTable");
        for (int r = 0; r < idx.length; r++) {
            checkIndex(idx[r], v, r);
            int dst = idx[r] * d, src = r * d;
            for (int c = 0; c < d; c++) gradTable[dst + c] += gradOut[src + c];
        }
    }

    /** The rows stably sorted by index, and where each run of equal indices starts (plus R at the end). */
    public record Segments(int[] rowOrder, int[] segStart) {
        public int count() {
            return segStart.length - 1;
        }
    }

    /**
     * The inputs of the sorted (deterministic) scatter-add for a batch of indices: the rows
     * stably sorted by index (a counting sort: O(rows + largest index), about 10x faster than
     * a comparison sort at a training batch's size, which matters because the GPU engine makes
     * two per step on the host), and where each run of equal indices starts.
     */
    public static Segments sortedSegments(int[] idx) {
        return sortedSegments(idx, idx.length);
    }

    /** {@link #sortedSegments(int[])} of the first {@code n} indices. */
    public static Segments sortedSegments(int[] idx, int n) {
        return sortedSegments(idx, n, false);
    }

    /**
     * {@link #sortedSegments(int[], int)}, leaving out the rows of index 0 when {@code skipZero}
     * (padding: the training step holds row 0 of E and P at zero, so summing its often long run,
     * a few thousand padded slots per batch, would be wasted work).
     */
    public static Segments sortedSegments(int[] idx, int n, boolean skipZero) {
        int max = -1;
        for (int r = 0; r < n; r++) {
            if (idx[r] < 0) throw new IllegalArgumentException("embedding index " + idx[r] + " at row " + r + " is negative");
            if (idx[r] > max) max = idx[r];
        }
        int[] start = new int[max + 2];
        for (int r = 0; r < n; r++) start[idx[r] + 1]++;
        int segments = 0;
        for (int v = 1; v <= max + 1; v++) {
            if (start[v] > 0) segments++;
            start[v] += start[v - 1];
        }
        int zeros = skipZero && max >= 0 ? start[1] : 0; // rows of index 0 sort first: left out
        if (zeros > 0) segments--;
        int[] order = new int[n - zeros];
        int[] next = start; // start[v] is where index v's rows begin; filled in row order: stable
        int[] starts = new int[segments + 1];
        int s = 0;
        for (int v = zeros > 0 ? 1 : 0; v <= max; v++) {
            if (next[v + 1] > next[v]) starts[s++] = next[v] - zeros;
        }
        starts[s] = n - zeros;
        for (int r = 0; r < n; r++) {
            if (idx[r] == 0 && zeros > 0) continue;
            order[next[idx[r]]++ - zeros] = r;
        }
        return new Segments(order, starts);
    }

    /** Warps per run in embedding_scatter_add_sorted: the rows of a run are summed in this many interleaved parts. */
    public static final int SCATTER_GROUPS = 8;
    /** The widest row embedding_scatter_add_sorted takes (eight columns per lane). */
    public static final int SCATTER_MAX_D = 256;

    /**
     * The deterministic scatter-add (twin of embedding_scatter_add_sorted, bit for bit): for each
     * run of equal indices, part g (g = 0 .. {@link #SCATTER_GROUPS} - 1) sums the run's rows g,
     * g + 8, g + 16, ... (positions in the run's row order) from 0; the parts are added in order
     * (part 0 + part 1 + ...), then the total is added to the table row once.
     */
    public static void embeddingScatterAddSorted(float[] gradTable, float[] gradOut, int[] idx, Segments seg, int d) {
        embeddingScatterAddSorted(gradTable, 0, rows(gradTable.length, d, "gradTable"), gradOut, 0, idx, 0, seg.rowOrder(), 0,
                seg.segStart(), 0, seg.count(), d);
    }

    /**
     * The same on views, in the kernel's argument order: a table of {@code tableRows} rows at
     * {@code tableOff}, rows at {@code outOff}, indices at {@code idxOff}, the row order at
     * {@code orderOff} and {@code segments + 1} run starts at {@code segOff}.
     */
    public static void embeddingScatterAddSorted(float[] gradTable, int tableOff, int tableRows, float[] gradOut, int outOff, int[] idx,
                                                 int idxOff, int[] order, int orderOff, int[] segStart, int segOff, int segments, int d) {
        float[] part = new float[SCATTER_GROUPS * d];
        for (int s = 0; s < segments; s++) {
            int begin = segStart[segOff + s], end = segStart[segOff + s + 1];
            int item = idx[idxOff + order[orderOff + begin]];
            checkIndex(item, tableRows, order[orderOff + begin]);
            Arrays.fill(part, 0.0f);
            for (int j = begin; j < end; j++) {
                int src = outOff + order[orderOff + j] * d, dst = ((j - begin) % SCATTER_GROUPS) * d;
                for (int c = 0; c < d; c++) part[dst + c] += gradOut[src + c];
            }
            int dst = tableOff + item * d;
            for (int c = 0; c < d; c++) {
                float t = part[c];
                for (int g = 1; g < SCATTER_GROUPS; g++) t += part[g * d + c];
                gradTable[dst + c] += t;
            }
        }
    }

    private static int rows(int length, int d, String what) {
        if (d <= 0 || length % d != 0) {
            throw new IllegalArgumentException(what + " length " + length + " is not a multiple of the row width " + d);
        }
        return length / d;
    }

    private static void checkIndex(int i, int v, int row) {
        if (i < 0 || i >= v) throw new IllegalArgumentException("embedding index " + i + " at row " + row + " is outside [0, " + v + ")");
    }
}
