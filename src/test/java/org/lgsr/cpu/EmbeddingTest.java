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
