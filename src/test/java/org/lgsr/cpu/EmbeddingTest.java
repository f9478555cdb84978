package org.lgsr.cpu;

import org.lgsr.TestData;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class EmbeddingTest {
    @Test
    void gatherCopiesRows() {
        float[] table = {0, 1, 10, 11, 20, 21};
        float[] out = new float[6];
        Embedding.embeddingGather(out, table, new int[] {2, 0, 2}, 2);
        assertArrayEquals(new float[] {20, 21, 0, 1, 20, 21}, out);
        assertThrows(IllegalArgumentException.class, () -> Embedding.embeddingGather(out, table, new int[] {3, 0, 0}, 2));
    }

    @Test
    void segmentsAreStableRunsOfEqualIndices() {
        Embedding.Segments s = Embedding.sortedSegments(new int[] {5, 2, 5, 0, 2, 5});
        assertArrayEquals(new int[] {3, 1, 4, 0, 2, 5}, s.rowOrder());
        assertArrayEquals(new int[] {0, 1, 3, 6}, s.segStart());
        assertEquals(3, s.count());
    }

    @Test
    void paddingRowsCanBeLeftOut() {
        Embedding.Segments s = Embedding.sortedSegments(new int[] {5, 2, 5, 0, 2, 5, 0}, 7, true);
        assertArrayEquals(new int[] {1, 4, 0, 2, 5}, s.rowOrder());
        assertArrayEquals(new int[] {0, 2, 5}, s.segStart());
        assertEquals(2, s.count());
        Embedding.Segments none = Embedding.sortedSegments(new int[] {0, 0, 0}, 3, true);
        assertEquals(0, none.count());
        assertEquals(0, none.rowOrder().length);
        assertArrayEquals(new int[] {0}, none.segStart());
        assertEquals(1, Embedding.sortedSegments(new int[] {3, 3}, 2, true).count());
    }

    /**
     * The sorted scatter-add's order of additions, worked by hand: a run of nine rows with
     * values 1e8, 1 x 7, -1e8 (one column). Parts of the run are rows {0, 8}, {1}, ..., {7}:
     * part 0 = 1e8 - 1e8 = 0, parts 1..7 = 1, total 7 (row order from 0 would give 0: 1e8 + 1
     * rounds back to 1e8 in float).
     */
    @Test
    void sortedScatterAddSumsEightInterleavedParts() {
        float[] gradOut = {1e8f, 1, 1, 1, 1, 1, 1, 1, -1e8f};
        int[] idx = new int[9];
        java.util.Arrays.fill(idx, 1);
        float[] table = {0, 0.5f};
        Embedding.embeddingScatterAddSorted(table, gradOut, idx, Embedding.sortedSegments(idx), 1);
        assertArrayEquals(new float[] {0, 7.5f}, table);
        float sequential = 0;
        for (float g : gradOut) sequential += g;
        assertEquals(0f, sequential, "the other order rounds the ones away");
    }

    /** The counting sort against a comparison sort of (index, row) keys, on random batches with many repeats and an empty one. */
    @Test
    void segmentsEqualAComparisonSort() {
        Random rnd = new Random(17);
        for (int rep = 0; rep < 50; rep++) {
            int n = rep == 0 ? 0 : 1 + rnd.nextInt(3000);
            int range = 1 + rnd.nextInt(rep % 2 == 0 ? 20 : 50000);
            int[] idx = new int[n];
            for (int i = 0; i < n; i++) idx[i] = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(range);
            long[] keys = new long[n];
            for (int i = 0; i < n; i++) keys[i] = ((long) idx[i] << 32) | i;
            java.util.Arrays.sort(keys);
            int[] order = new int[n];
            java.util.List<Integer> starts = new java.util.ArrayList<>();
            for (int j = 0; j < n; j++) {
                order[j] = (int) keys[j];
                if (j == 0 || (keys[j] >>> 32) != (keys[j - 1] >>> 32)) starts.add(j);
            }
            starts.add(n);
            Embedding.Segments s = Embedding.sortedSegments(idx);
            assertArrayEquals(order, s.rowOrder(), "row order, case " + rep);
            assertArrayEquals(starts.stream().mapToInt(Integer::intValue).toArray(), s.segStart(), "segment starts, case " + rep);
            // leaving index 0 out: the same with the leading run of zeros cut off
            int zeros = 0;
            while (zeros < n && idx[order[zeros]] == 0) zeros++;
            Embedding.Segments k = Embedding.sortedSegments(idx, n, true);
            assertArrayEquals(java.util.Arrays.copyOfRange(order, zeros, n), k.rowOrder(), "row order without 0, case " + rep);
            final int z = zeros;
            int[] kept = starts.stream().mapToInt(Integer::intValue).filter(x -> x >= z).map(x -> x - z).distinct().toArray();
            if (n == zeros) kept = new int[] {0};
            assertArrayEquals(kept, k.segStart(), "segment starts without 0, case " + rep);
        }
        assertThrows(IllegalArgumentException.class, () -> Embedding.sortedSegments(new int[] {1, -1}));
    }

    @Test
    void sortedAndAtomicScatterAddAgreeWithFloat64() {
        long seed = TestData.seed();
        Random rnd = new Random(seed);
        int v = 50, d = 7, r = 400;
        int[] idx = new int[r];
        for (int i = 0; i < r; i++) idx[i] = rnd.nextInt(v);
        float[] gradOut = new float[r * d], base = new float[v * d];
        for (int i = 0; i < gradOut.length; i++) gradOut[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < base.length; i++) base[i] = (float) rnd.nextGaussian();
        float[] atomic = base.clone(), sorted = base.clone();
        Embedding.embeddingScatterAddAtomic(atomic, gradOut, idx, d);
        Embedding.embeddingScatterAddSorted(sorted, gradOut, idx, Embedding.sortedSegments(idx), d);
        double[] ref = new double[v * d];
        for (int i = 0; i < ref.length; i++) ref[i] = base[i];
        for (int i = 0; i < r; i++) {
            for (int c = 0; c < d; c++) ref[idx[i] * d + c] += gradOut[i * d + c];
        }
        for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i], atomic[i], 1e-4, "seed " + seed);
            assertEquals(ref[i], sorted[i], 1e-4, "seed " + seed);
        }
    }
}
