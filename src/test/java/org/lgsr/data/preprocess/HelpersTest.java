package org.lgsr.data.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The primitive helpers against the boxed library versions. */
class HelpersTest {

    @Test
    void stableSortAgreesWithListSort() {
        Random r = new Random(42);
        for (int t = 0; t < 300; t++) {
            int n = r.nextInt(t < 50 ? 30 : 3000);
            long[] key = new long[n];
            int range = 1 + r.nextInt(40); // few distinct keys: many ties
            for (int i = 0; i < n; i++) key[i] = r.nextInt(range) - range / 2;
            int[] idx = new int[n + 5];
            for (int i = 0; i < n; i++) idx[i] = i;
            IntArrays.stableSortByKey(idx, n, key, new int[n]);
            Integer[] want = new Integer[n];
            for (int i = 0; i < n; i++) want[i] = i;
            Arrays.sort(want, Comparator.comparingLong(i -> key[i])); // stable (TimSort)
            assertArrayEquals(Arrays.stream(want).mapToInt(Integer::intValue).toArray(), Arrays.copyOf(idx, n), "n=" + n);
        }
    }

    @Test
    void longIntMapAgreesWithHashMap() {
        Random r = new Random(7);
        LongIntMap m = new LongIntMap(4);
        Map<Long, Integer> want = new HashMap<>();
        for (int i = 0; i < 200_000; i++) {
            long k = r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(300_000) - 1000;
            if (m.get(k) < 0) {
                m.putNew(k, want.size());
                want.put(k, want.size());
            }
        }
        assertEquals(want.size(), m.size());
        for (Map.Entry<Long, Integer> e : want.entrySet()) {
            assertEquals(e.getValue().intValue(), m.get(e.getKey()));
        }
        assertEquals(-1, m.get(Long.MIN_VALUE + 3));
    }
}
