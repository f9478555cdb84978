package org.lgsr.cpu;

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
        }
        assertThrows(IllegalArgumentException.class, () -> Embedding.sortedSegments(new int[] {1, -1}));
    }

    @Test
    void sortedAndAtomicScatterAddAgreeWithFloat64() {
        long seed = System.nanoTime();
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
