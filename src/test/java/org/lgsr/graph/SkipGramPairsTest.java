package org.lgsr.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.lgsr.data.Sessions;

class SkipGramPairsTest {
    @Test
    void eightBeforeSevenAfterContextIsInputCentreIsLabel() {
        int[] walk = new int[20];
        for (int i = 0; i < 20; i++) walk[i] = 100 + i;
        Sessions walks = ItemGraphTest.sessions(walk);
        SkipGramPairs p = new SkipGramPairs(walks, 8, 1L, 0);
        int[] in = new int[1000];
        int[] lab = new int[1000];
        int n = p.next(in, lab, 1000);
        assertEquals(SkipGramPairs.count(walks, 8), n);
        assertEquals(0, p.next(in, lab, 1000));
        // centre at position 10: contexts positions 2..9 then 11..17
        List<Integer> ctx = new ArrayList<>();
        for (int i = 0; i < n; i++) if (lab[i] == 110) ctx.add(in[i]);
        List<Integer> want = new ArrayList<>();
        for (int k = 2; k <= 17; k++) if (k != 10) want.add(100 + k);
        assertEquals(want, ctx);
        // position 0: contexts 1..7 only; position 19: 11..18
        assertEquals(7, count(lab, n, 100));
        assertEquals(8, count(lab, n, 119));
    }

    private static int count(int[] a, int n, int v) {
        int c = 0;
        for (int i = 0; i < n; i++) if (a[i] == v) c++;
        return c;
    }

    @Test
    void smallBatchesGiveTheSameStreamAndPassesShuffleWalks() {
        Sessions.Builder b = new Sessions.Builder();
        for (int w = 0; w < 40; w++) {
            int len = 1 + (w * 7) % 23;
            int[] walk = new int[len];
            for (int i = 0; i < len; i++) walk[i] = 1 + w * 100 + i;
            b.add(walk);
        }
        Sessions walks = b.build();
        long total = SkipGramPairs.count(walks, 8);
        int[] in = new int[(int) total];
        int[] lab = new int[(int) total];
        assertEquals(total, new SkipGramPairs(walks, 8, 5L, 3).next(in, lab, in.length));
        SkipGramPairs small = new SkipGramPairs(walks, 8, 5L, 3);
        int[] in2 = new int[(int) total];
        int[] lab2 = new int[(int) total];
        int[] bi = new int[13];
        int[] bl = new int[13];
        int got = 0;
        int n;
        while ((n = small.next(bi, bl, 13)) > 0) {
            System.arraycopy(bi, 0, in2, got, n);
            System.arraycopy(bl, 0, lab2, got, n);
            got += n;
        }
        assertEquals(total, got);
        assertArrayEquals(in, in2);
        assertArrayEquals(lab, lab2);
        int[] other = new int[(int) total];
        new SkipGramPairs(walks, 8, 5L, 4).next(other, new int[(int) total], other.length);
        assertEquals(false, java.util.Arrays.equals(in, other), "another pass must visit walks in another order");
    }
}
