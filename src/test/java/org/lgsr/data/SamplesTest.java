package org.lgsr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplesTest {

    @Test
    void derivesSamplesLongestPrefixFirst() {
        // sessions [1,2,3] and [4,5]; [7] yields nothing
        Sessions s = new Sessions.Builder().add(1, 2, 3).add(7).add(4, 5).build();
        Samples samples = Samples.fromSessions(s);
        // by hand: s[:-1]=[1,2]->3, s[:-2]=[1]->2, then [4]->5
        assertEquals(3, samples.size());
        assertArrayEquals(new int[] {1, 2}, samples.inputs().get(0));
        assertArrayEquals(new int[] {1}, samples.inputs().get(1));
        assertArrayEquals(new int[] {4}, samples.inputs().get(2));
        assertArrayEquals(new int[] {3, 2, 5}, samples.targets());
    }

    @Test
    void toSessionsInvertsTheDerivation() {
        SplittableRandom r = new SplittableRandom(7);
        Sessions.Builder b = new Sessions.Builder();
        for (int i = 0; i < 500; i++) {
            int len = 2 + r.nextInt(9);
            int[] seq = new int[len];
            for (int k = 0; k < len; k++) seq[k] = 1 + r.nextInt(6); // few items: many repeats
            b.add(seq);
        }
        Sessions sessions = b.build();
        Sessions back = Samples.fromSessions(sessions).toSessions();
        // adjacent sessions can only merge if one is exactly the other's continuation, which the
        // derivation order rules out; so the rebuild is exact
        assertEquals(sessions, back);
    }

    @Test
    void builderGrowsAndSlices() {
        Sessions.Builder b = new Sessions.Builder(1, 1);
        for (int i = 1; i <= 100; i++) {
            int[] seq = new int[i % 7 + 1];
            java.util.Arrays.fill(seq, i);
            b.add(seq);
        }
        Sessions s = b.build();
        assertEquals(100, s.size());
        assertArrayEquals(new int[] {50, 50}, s.get(49)); // 50 % 7 + 1 = 2
        Sessions sl = s.slice(49, 51);
        assertEquals(2, sl.size());
        assertEquals(51, sl.last(1));
        assertEquals(100, s.maxItem());
    }
}
