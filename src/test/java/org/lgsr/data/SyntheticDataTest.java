package org.lgsr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SyntheticDataTest {
    private static final SessionDataset DS = SyntheticData.generate(SyntheticData.Config.defaults());

    @Test
    void sameSeedSameData_otherSeedOtherData() {
        SessionDataset again = SyntheticData.generate(SyntheticData.Config.defaults());
        assertEquals(DS.trainSessions(), again.trainSessions());
        assertArrayEquals(DS.test().targets(), again.test().targets());
        SessionDataset other = SyntheticData.generate(SyntheticData.Config.defaults().withSeed(43));
        assertFalse(DS.trainSessions().equals(other.trainSessions()));
    }

    @Test
    void sessionLengthsAreYoochooseLike() {
        Sessions s = DS.trainSessions();
        double mean = (double) s.totalItems() / s.size();
        assertEquals(4.2, mean, 0.25); // Yoochoose-1/64 training sessions: 4.18
        int min = Integer.MAX_VALUE;
        for (int i = 0; i < s.size(); i++) min = Math.min(min, s.length(i));
        assertEquals(2, min);
    }

    @Test
    void popularityIsSkewed() {
        int[] counts = new int[DS.numItems()];
        for (int v : DS.trainSessions().items()) counts[v]++;
        int[] sorted = counts.clone();
        Arrays.sort(sorted);
        long top = 0;
        long all = 0;
        for (int i = 0; i < sorted.length; i++) {
            all += sorted[i];
            if (i >= sorted.length - sorted.length / 10) top += sorted[i];
        }
        // under a uniform choice the top 10% of items would hold about 10% of the clicks
        assertTrue(top > 0.4 * all, "top 10% of items hold " + (100.0 * top / all) + "% of clicks");
    }

    @Test
    void transitionsRepeatAcrossSessions() {
        // the most frequent successor of an item is the same in many different sessions:
        // its share of that item's transitions is far above 1/(number of items)
        Map<Long, Integer> pair = new HashMap<>();
        int[] out = new int[DS.numItems()];
        Sessions s = DS.trainSessions();
        for (int i = 0; i < s.size(); i++) {
            for (int k = 0; k + 1 < s.length(i); k++) {
                int u = s.item(i, k);
                int v = s.item(i, k + 1);
                if (u == v) continue;
                pair.merge(((long) u << 32) | v, 1, Integer::sum);
                out[u]++;
            }
        }
        int[] best = new int[DS.numItems()];
        pair.forEach((key, c) -> {
            int u = (int) (key >>> 32);
            best[u] = Math.max(best[u], c);
        });
        double share = 0;
        int items = 0;
        for (int u = 1; u < DS.numItems(); u++) {
            if (out[u] >= 20) {
                share += (double) best[u] / out[u];
                items++;
            }
        }
        share /= items;
        assertTrue(items > 100);
        assertTrue(share > 0.2, "mean share of the top successor: " + share);
    }

    @Test
    void testItemsWereSeenInTraining() {
        java.util.BitSet seen = new java.util.BitSet();
        for (int v : DS.trainSessions().items()) seen.set(v);
        for (int v : DS.test().inputs().items()) assertTrue(seen.get(v));
        for (int v : DS.test().targets()) assertTrue(seen.get(v));
    }
}
