package org.lgsr.cpu;

import org.lgsr.TestData;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.Sessions;
import org.lgsr.data.SyntheticData;
import org.lgsr.graph.AliasTable;
import org.lgsr.graph.ItemGraph;
import org.lgsr.graph.RandomWalks;
import org.lgsr.graph.SkipGramPairs;
import org.lgsr.gpu.DeviceInfo;
import org.lgsr.gpu.kernels.WalksKernels;

/**
 * The twins of cuda/walks.cu against the CPU engine they must reproduce bit for bit:
 * RandomWalks.generate (walks) and SkipGramPairs.next (pairs), plus hand-worked cases.
 */
public class WalksTest {
    final long seed = TestData.seed();
    final Random rnd = new Random(seed);

    /** Random sessions over items 1..numItems-1, skewed so that transitions repeat (uneven weights); some items only end sessions. */
    public static Sessions randomSessions(Random rnd, int numItems, int count) {
        Sessions.Builder b = new Sessions.Builder();
        for (int s = 0; s < count; s++) {
            int len = 1 + rnd.nextInt(12);
            int[] items = new int[len];
            for (int i = 0; i < len; i++) {
                int hot = 1 + (int) (Math.pow(rnd.nextDouble(), 2.5) * (numItems - 4));
                items[i] = (i == len - 1 && rnd.nextInt(10) == 0) ? numItems - 1 - rnd.nextInt(2) : hot; // tail ids: sinks
                if (i > 0 && rnd.nextInt(8) == 0) items[i] = items[i - 1]; // self pairs are dropped by the graph
            }
            b.add(items);
        }
        return b.build();
    }

    /** The twins' corpus of (g, c), before compaction: slots poisoned with -7 first. */
    record Raw(int[] slots, int[] lengths) {
    }

    static Raw twinSlots(ItemGraph g, RandomWalks.Config c) {
        AliasTable t = AliasTable.of(g);
        int[] starts = RandomWalks.starts(g, c);
        int numWalks = starts.length, len = c.maxLength();
        int[] slots = new int[numWalks * len];
        Arrays.fill(slots, -7);
        int[] lengths = new int[numWalks];
        Walks.randomWalks(t.offsets(), 0, g.targets(), 0, t.prob(), 0, t.alias(), 0, starts, 0, numWalks, g.numNodes(), len,
                c.seed(), slots, 0, lengths, 0);
        return new Raw(slots, lengths);
    }

    static Sessions twinCorpus(ItemGraph g, RandomWalks.Config c) {
        Raw raw = twinSlots(g, c);
        int numWalks = raw.lengths().length;
        int[] off = Walks.walkOffsets(raw.lengths(), 0, numWalks);
        int[] items = new int[off[numWalks]];
        Walks.compactWalks(raw.slots(), 0, raw.lengths(), 0, off, 0, numWalks, c.maxLength(), items, 0);
        return new Sessions(off, items);
    }

    private void assertWalksEqualTheEngine(ItemGraph g, RandomWalks.Config c) {
        Sessions want = RandomWalks.generate(g, c);
        Raw raw = twinSlots(g, c);
        int len = c.maxLength();
        assertEquals(want.size(), raw.lengths().length, "walks, seed " + seed);
        for (int w = 0; w < want.size(); w++) {
            assertEquals(want.length(w), raw.lengths()[w], "length of walk " + w + ", " + c + ", seed " + seed);
            for (int k = 0; k < len; k++) {
                int expect = k < want.length(w) ? want.item(w, k) : -7; // the rest of the row is not written
                assertEquals(expect, raw.slots()[w * len + k], "walk " + w + " slot " + k + ", " + c + ", seed " + seed);
            }
        }
        assertEquals(want, twinCorpus(g, c), "compacted corpus, " + c + ", seed " + seed);
    }

    @Test
    void walksEqualTheEngineOnARandomWeightedGraph() {
        for (int trial = 0; trial < 4; trial++) {
            int numItems = 20 + rnd.nextInt(60);
            ItemGraph g = ItemGraph.build(randomSessions(rnd, numItems, 150), numItems);
            boolean uneven = false;
            for (double w : g.weights()) uneven |= w != 1.0 && w != 0.5 && w != 0.25;
            assertTrue(uneven, "the graph should have uneven weights");
            for (int len : new int[] {1, 2, 7, 50}) {
                RandomWalks.Config c = new RandomWalks.Config(1 + rnd.nextInt(4), len, rnd.nextLong(), 1);
                assertWalksEqualTheEngine(g, c);
            }
        }
    }

    @Test
    void walksEqualTheEngineOnTheSyntheticGraph() {
        SessionDataset data = SyntheticData.generate(SyntheticData.Config.defaults().withSize(300, 3000, 10));
        ItemGraph g = ItemGraph.build(data.trainSessions(), data.numItems());
        assertWalksEqualTheEngine(g, new RandomWalks.Config(13, 50, rnd.nextLong(), 2));
        assertWalksEqualTheEngine(g, new RandomWalks.Config(2, 13, -1L, 1));
    }

    @Test
    void handWorkedWalks() {
        // 1 -> 2 -> 3 (a sink); 4 <-> 5; every node has at most one out-edge: the walks are fixed
        Sessions s = new Sessions.Builder().add(1, 2, 3).add(4, 5, 4).build();
        ItemGraph g = ItemGraph.build(s, 6);
        Sessions walks = twinCorpus(g, new RandomWalks.Config(2, 4, 5L, 1));
        assertEquals(10, walks.size());
        for (int w = 0; w < walks.size(); w++) {
            int[] got = walks.get(w);
            int[] want = switch (got[0]) {
                case 1 -> new int[] {1, 2, 3};
                case 2 -> new int[] {2, 3};
                case 3 -> new int[] {3};
                case 4 -> new int[] {4, 5, 4, 5};
                case 5 -> new int[] {5, 4, 5, 4};
                default -> throw new AssertionError("start " + got[0]);
            };
            assertArrayEquals(want, got, "walk " + w);
        }
    }

    @Test
    void twinsHonourArrayOffsets() {
        int numItems = 40;
        ItemGraph g = ItemGraph.build(randomSessions(rnd, numItems, 100), numItems);
        RandomWalks.Config c = new RandomWalks.Config(2, 9, rnd.nextLong(), 1);
        AliasTable t = AliasTable.of(g);
        int[] starts = RandomWalks.starts(g, c);
        int n = starts.length, len = c.maxLength();
        int[] slots = new int[3 + n * len];
        int[] lengths = new int[5 + n];
        Walks.randomWalks(shift(t.offsets(), 2), 2, shift(g.targets(), 3), 3, shiftD(t.prob(), 4), 4, shift(t.alias(), 1), 1,
                shift(starts, 6), 6, n, g.numNodes(), len, c.seed(), slots, 3, lengths, 5);
        int[] off = Walks.walkOffsets(lengths, 5, n);
        int[] items = new int[2 + off[n]];
        Walks.compactWalks(slots, 3, lengths, 5, shift(off, 1), 1, n, len, items, 2);
        Sessions want = RandomWalks.generate(g, c);
        assertArrayEquals(want.offsets(), off, "seed " + seed);
        assertArrayEquals(want.items(), Arrays.copyOfRange(items, 2, items.length), "seed " + seed);
    }

    private static int[] shift(int[] a, int by) {
        int[] b = new int[a.length + by];
        Arrays.fill(b, Integer.MIN_VALUE);
        System.arraycopy(a, 0, b, by, a.length);
        return b;
    }

    private static double[] shiftD(double[] a, int by) {
        double[] b = new double[a.length + by];
        Arrays.fill(b, Double.NaN);
        System.arraycopy(a, 0, b, by, a.length);
        return b;
    }

    @Test
    void pairsBeforeIsTheSumOfThePerCentreCounts() {
        for (int window = 1; window <= 10; window++) {
            for (int len = 1; len <= 30; len++) {
                long sum = 0;
                for (int pos = 0; pos <= len; pos++) {
                    assertEquals(sum, Walks.pairsBefore(pos, len, window), "pos " + pos + ", len " + len + ", window " + window);
                    if (pos < len) {
                        // count the contexts one by one, as SkipGramPairs visits them
                        for (int ctx = Math.max(0, pos - window); ctx <= Math.min(len - 1, pos + window - 1); ctx++) {
                            if (ctx != pos) sum++;
                        }
                    }
                }
            }
        }
    }

    @Test
    void handWorkedPairs() {
        // one walk [10, 20, 30], window 1: centre 0 has no contexts (none before, 0 after),
        // centre 1 has context 0, centre 2 has context 1
        Sessions walks = new Sessions.Builder().add(10, 20, 30).build();
        int[] order = {0};
        long[] prefix = Walks.pairPrefix(walks.offsets(), order, 1);
        assertArrayEquals(new long[] {0, 2}, prefix);
        int[] in = {-1, -1}, lab = {-1, -1};
        Walks.skipgramPairs(walks.offsets(), 0, walks.items(), 0, order, 0, prefix, 0, 1, 0, 2, 1, in, 0, lab, 0);
        assertArrayEquals(new int[] {10, 20}, in);
        assertArrayEquals(new int[] {20, 30}, lab);
        // window 2 on [1..5]: centre 0: 1; centre 1: 0, 2; centre 2: 0, 1, 3; centre 3: 1, 2, 4; centre 4: 2, 3
        walks = new Sessions.Builder().add(1, 2, 3, 4, 5).build();
        prefix = Walks.pairPrefix(walks.offsets(), order, 2);
        assertEquals(11, prefix[1]);
        in = new int[11];
        lab = new int[11];
        Walks.skipgramPairs(walks.offsets(), 0, walks.items(), 0, order, 0, prefix, 0, 1, 0, 11, 2, in, 0, lab, 0);
        assertArrayEquals(new int[] {2, 1, 3, 1, 2, 4, 2, 3, 5, 3, 4}, in);
        assertArrayEquals(new int[] {1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5}, lab);
    }

    /** The whole pass from SkipGramPairs.next. */
    static int[][] enginePass(Sessions walks, int window, long seed, int pass) {
        int total = (int) SkipGramPairs.count(walks, window);
        int[] in = new int[total], lab = new int[total];
        int[] bi = new int[97], bl = new int[97];
        SkipGramPairs p = new SkipGramPairs(walks, window, seed, pass);
        int got = 0, n;
        while ((n = p.next(bi, bl, 1 + got % 97)) > 0) { // the engine's own chunks, of varying sizes
            assertTrue(got + n <= total, "the engine yields more than SkipGramPairs.count");
            System.arraycopy(bi, 0, in, got, n);
            System.arraycopy(bl, 0, lab, got, n);
            got += n;
        }
        assertEquals(total, got);
        return new int[][] {in, lab};
    }

    private void assertPairsEqualTheEngine(Sessions walks, int window, long pairSeed, int pass) {
        int[] order = SkipGramPairs.passOrder(walks.size(), pairSeed, pass);
        long[] prefix = Walks.pairPrefix(walks.offsets(), order, window);
        long total = SkipGramPairs.count(walks, window);
        assertEquals(total, prefix[walks.size()], "pair total, window " + window + ", seed " + seed);
        int[][] want = enginePass(walks, window, pairSeed, pass);
        int[] in = new int[(int) total], lab = new int[(int) total];
        Arrays.fill(in, -9);
        Arrays.fill(lab, -9);
        // random chunks (first, count) covering the pass, in a random order of chunks
        int[] cuts = new int[8];
        for (int i = 0; i < cuts.length; i++) cuts[i] = rnd.nextInt((int) total + 1);
        cuts[0] = 0;
        cuts[1] = (int) total;
        Arrays.sort(cuts);
        for (int c = cuts.length - 2; c >= 0; c--) {
            int first = cuts[c], count = cuts[c + 1] - first;
            int[] ci = new int[count + 3], cl = new int[count + 3];
            Walks.skipgramPairs(walks.offsets(), 0, walks.items(), 0, order, 0, prefix, 0, walks.size(), first, count, window,
                    ci, 3, cl, 3);
            System.arraycopy(ci, 3, in, first, count);
            System.arraycopy(cl, 3, lab, first, count);
        }
        assertArrayEquals(want[0], in, "inputs, window " + window + ", pass " + pass + ", seed " + seed);
        assertArrayEquals(want[1], lab, "labels, window " + window + ", pass " + pass + ", seed " + seed);
    }

    @Test
    void pairsEqualTheEngineStreamOnRandomWalks() {
        Sessions.Builder b = new Sessions.Builder();
        for (int w = 0; w < 300; w++) {
            int len = rnd.nextInt(4) == 0 ? 1 : 1 + rnd.nextInt(40); // many length-1 walks (no pairs)
            int[] walk = new int[len];
            for (int i = 0; i < len; i++) walk[i] = 1 + rnd.nextInt(1000);
            b.add(walk);
        }
        Sessions walks = b.build();
        for (int window : new int[] {1, 2, 3, 8, 45}) assertPairsEqualTheEngine(walks, window, rnd.nextLong(), rnd.nextInt(50));
    }

    @Test
    void pairsEqualTheEngineStreamOnAWalkCorpus() {
        int numItems = 60;
        ItemGraph g = ItemGraph.build(randomSessions(rnd, numItems, 200), numItems);
        Sessions walks = twinCorpus(g, new RandomWalks.Config(3, 50, rnd.nextLong(), 1));
        assertPairsEqualTheEngine(walks, 8, rnd.nextLong(), 0);
        assertPairsEqualTheEngine(walks, 8, rnd.nextLong(), 7);
    }

    @Test
    void argumentChecks() {
        int[] off = {0, 3};
        int[] items = {1, 2, 3};
        int[] order = {0};
        long[] prefix = Walks.pairPrefix(off, order, 2);
        int[] out = new int[10];
        assertThrows(IllegalArgumentException.class,
                () -> Walks.skipgramPairs(off, 0, items, 0, order, 0, prefix, 0, 1, 1, (int) prefix[1], 2, out, 0, out, 0));
        assertThrows(IllegalArgumentException.class, () -> Walks.pairPrefix(off, order, 0));
        assertThrows(IllegalArgumentException.class, () -> Walks.walkOffsets(new int[] {2, 0}, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> Walks.randomWalks(off, 0, items, 0, new double[3], 0, items, 0,
                items, 0, 1, 0, 3, 1L, out, 0, out, 0));
    }

    @Test
    void launcherChecksItsLimitsBeforeTouchingTheDevice() {
        // the checks run before any launch: no module or GPU is needed to see them throw
        WalksKernels k = new WalksKernels(null, new DeviceInfo(0, "none", 9, 0, 132, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> k.randomWalks(8, 8, 8, 8, 8, 10, 5, 0, 1L, 8, 8, null));
        assertThrows(IllegalArgumentException.class, () -> k.randomWalks(8, 8, 8, 8, 8, 10, 0, 5, 1L, 8, 8, null));
        assertThrows(IllegalArgumentException.class, () -> k.randomWalks(8, 8, 8, 8, 8, -1, 5, 5, 1L, 8, 8, null));
        assertThrows(IllegalArgumentException.class, () -> k.randomWalks(8, 8, 8, 8, 8, Integer.MAX_VALUE / 10, 5, 50, 1L, 8, 8, null));
        assertThrows(IllegalArgumentException.class, () -> k.randomWalks(8, 8, 8, 8, 0, 10, 5, 5, 1L, 8, 8, null));
        assertThrows(IllegalArgumentException.class, () -> k.compactWalks(8, 8, 8, 1 << 30, 4, 8, null));
        assertThrows(IllegalArgumentException.class, () -> k.compactWalks(8, 8, 0, 10, 4, 8, null));
        assertThrows(IllegalArgumentException.class, () -> k.skipgramPairs(8, 8, 8, 8, 10, 0, 5, 0, 8, 8, null));
        assertThrows(IllegalArgumentException.class, () -> k.skipgramPairs(8, 8, 8, 8, 0, 0, 5, 8, 8, 8, null));
        assertThrows(IllegalArgumentException.class, () -> k.skipgramPairs(8, 8, 8, 8, 10, -1, 5, 8, 8, 8, null));
        assertThrows(IllegalArgumentException.class, () -> k.skipgramPairs(8, 8, 8, 8, 10, 0, -5, 8, 8, 8, null));
        assertThrows(IllegalArgumentException.class, () -> k.skipgramPairs(0, 8, 8, 8, 10, 0, 5, 8, 8, 8, null));
        // empty work launches nothing (the null module would throw)
        k.randomWalks(8, 8, 8, 8, 8, 0, 5, 5, 1L, 8, 8, null);
        k.compactWalks(8, 8, 8, 0, 4, 8, null);
        k.skipgramPairs(8, 8, 8, 8, 10, 0, 0, 8, 8, 8, null);
    }

    @Test
    void floorsCountTheBytesOfAHandWorkedCase() {
        // 2 walks of lengths 3 and 1: 2 steps; 16 B per walk, 20 B per step, 4 B per item written
        assertEquals(2 * 16 + 2 * 20 + 4 * 4, WalksKernels.randomWalksBytes(2, 4));
        assertEquals(4, WalksKernels.randomWalksFlops(2, 4));
        assertEquals(8 * 4 + 8 * 2, WalksKernels.compactWalksBytes(2, 4));
        // 30 pairs with window 8: 8 B each, and at least ceil(30 / 15) = 2 centre items
        assertEquals(8 * 30 + 4 * 2, WalksKernels.skipgramPairsBytes(30, 8));
    }
}
