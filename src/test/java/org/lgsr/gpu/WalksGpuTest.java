package org.lgsr.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.lgsr.cpu.Walks;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.Sessions;
import org.lgsr.data.SyntheticData;
import org.lgsr.graph.AliasTable;
import org.lgsr.graph.ItemGraph;
import org.lgsr.graph.RandomWalks;
import org.lgsr.graph.SkipGramPairs;
import org.lgsr.gpu.kernels.WalksKernels;

/**
 * The kernels of cuda/walks.cu against their twins (org.lgsr.cpu.Walks), which WalksTest ties to
 * RandomWalks.generate and SkipGramPairs.next: every output element equal, bit for bit; outputs
 * poisoned first, and the slots past a walk's end must keep the poison.
 */
@Tag("gpu")
class WalksGpuTest extends KernelTestBase {
    static WalksKernels kernels;
    static final int POISON = 0x7fc00000;

    @BeforeEach
    void open() {
        if (kernels == null) kernels = new WalksKernels(module, ctx.info());
    }


    /** A device copy of a double[] (two 4-byte elements per value); at least one element. */
    static DeviceInts doubles(double[] a) {
        DeviceInts d = new DeviceInts(Math.max(1, 2L * a.length));
        if (a.length > 0) d.copyFromHost(a, 0, 0, 2 * a.length);
        return d;
    }

    /** A device copy of a long[]. */
    static DeviceInts longs(long[] a) {
        DeviceInts d = new DeviceInts(Math.max(1, 2L * a.length));
        if (a.length > 0) d.copyFromHost(a, 0, 0, 2 * a.length);
        return d;
    }

    static DeviceInts ints(int[] a) {
        return a.length == 0 ? new DeviceInts(1) : DeviceInts.of(a);
    }


    /**
     * Runs random_walks and compact_walks on (g, c) and checks them against the twins;
     * returns the corpus.
     */
    private Sessions checkWalks(ItemGraph g, RandomWalks.Config c, String what) {
        AliasTable t = AliasTable.of(g);
        int[] off = t.offsets(), targets = g.targets(), alias = t.alias();
        double[] prob = t.prob();
        int[] starts = RandomWalks.starts(g, c);
        int n = starts.length, len = c.maxLength();
        String tag = what + ", " + n + " walks, " + c + ", seed " + seed;
        int[] wantSlots = new int[n * len];
        Arrays.fill(wantSlots, POISON);
        int[] wantLengths = new int[n];
        Walks.randomWalks(off, 0, targets, 0, prob, 0, alias, 0, starts, 0, n, g.numNodes(), len, c.seed(), wantSlots, 0,
                wantLengths, 0);
        int[] walkOffsets = Walks.walkOffsets(wantLengths, 0, n);
        int total = walkOffsets[n];
        int[] wantItems = new int[total];
        Walks.compactWalks(wantSlots, 0, wantLengths, 0, walkOffsets, 0, n, len, wantItems, 0);
        try (DeviceInts dOff = ints(off); DeviceInts dTargets = ints(targets); DeviceInts dProb = doubles(prob);
             DeviceInts dAlias = ints(alias); DeviceInts dStarts = ints(starts); DeviceInts slots = new DeviceInts((long) n * len);
             DeviceInts lengths = new DeviceInts(n)) {
            slots.fill(POISON, stream);
            lengths.fill(POISON, stream);
            kernels.randomWalks(dOff.address(), targets.length == 0 ? 0 : dTargets.address(), prob.length == 0 ? 0 : dProb.address(),
                    alias.length == 0 ? 0 : dAlias.address(), dStarts.address(), n, g.numNodes(), len, c.seed(), slots.address(),
                    lengths.address(), stream);
            stream.synchronize();
            assertArrayEquals(wantLengths, lengths.toArray(), "lengths, " + tag);
            assertArrayEquals(wantSlots, slots.toArray(), "slots (the rest of each row unwritten), " + tag);
            // the host computes the offsets from the device's lengths; items at an offset of 3 in their buffer
            try (DeviceInts dWalkOffsets = ints(walkOffsets); DeviceInts items = new DeviceInts(total + 5L)) {
                items.fill(POISON, stream);
                kernels.compactWalks(slots.address(), lengths.address(), dWalkOffsets.address(), n, len, items.address() + 4L * 3, stream);
                stream.synchronize();
                int[] got = items.toArray();
                assertArrayEquals(wantItems, Arrays.copyOfRange(got, 3, 3 + total), "compacted items, " + tag);
                for (int i : new int[] {0, 1, 2, 3 + total, 4 + total}) assertEquals(POISON, got[i], "written outside the corpus, " + tag);
            }
        }
        return new Sessions(walkOffsets, wantItems);
    }

    @Test
    void walksMatchTheTwinOnOverAHundredThousandWalks() {
        int numItems = 9000;
        ItemGraph g = ItemGraph.build(org.lgsr.cpu.WalksTest.randomSessions(rnd, numItems, 40_000), numItems);
        int rounds = 100_000 / g.numNodes() + 2;
        Sessions walks = checkWalks(g, new RandomWalks.Config(rounds, 50, rnd.nextLong(), 4), "random graph");
        assertTrue(walks.size() >= 100_000, walks.size() + " walks");
        // and the engine's corpus itself, once
        assertEquals(RandomWalks.generate(g, new RandomWalks.Config(rounds, 50, 0L, 4)),
                checkWalks(g, new RandomWalks.Config(rounds, 50, 0L, 4), "random graph, seed 0"), "seed " + seed);
    }

    @Test
    void walksMatchTheTwinOnSmallAndOddShapes() {
        SessionDataset data = SyntheticData.generate(SyntheticData.Config.defaults().withSize(300, 3000, 10));
        ItemGraph syn = ItemGraph.build(data.trainSessions(), data.numItems());
        checkWalks(syn, new RandomWalks.Config(13, 50, rnd.nextLong(), 2), "synthetic graph");
        for (int len : new int[] {1, 2, 33}) {
            int numItems = 10 + rnd.nextInt(50);
            ItemGraph g = ItemGraph.build(org.lgsr.cpu.WalksTest.randomSessions(rnd, numItems, 30), numItems);
            checkWalks(g, new RandomWalks.Config(1 + rnd.nextInt(3), len, rnd.nextLong(), 1), "small graph, len " + len);
        }
        // a graph without edges: every walk is its start
        Sessions lonely = new Sessions.Builder().add(1).add(2).add(3).build();
        ItemGraph g = ItemGraph.build(lonely, 4);
        assertEquals(0, g.numEdges());
        Sessions walks = checkWalks(g, new RandomWalks.Config(2, 5, rnd.nextLong(), 1), "no edges");
        for (int w = 0; w < walks.size(); w++) assertEquals(1, walks.length(w));
    }

    /** Checks skipgram_pairs for the chunk (first, count) against the twin; the outputs at an offset of 1. */
    private void checkChunk(Sessions walks, int[] order, long[] prefix, int window, long first, int count, DeviceInts dOff,
                            DeviceInts dItems, DeviceInts dOrder, DeviceInts dPrefix, String tag) {
        int n = walks.size();
        int[] wantIn = new int[count], wantLab = new int[count];
        Walks.skipgramPairs(walks.offsets(), 0, walks.items(), 0, order, 0, prefix, 0, n, first, count, window, wantIn, 0,
                wantLab, 0);
        try (DeviceInts in = new DeviceInts(count + 2L); DeviceInts lab = new DeviceInts(count + 2L)) {
            in.fill(POISON, stream);
            lab.fill(POISON, stream);
            kernels.skipgramPairs(dOff.address(), dItems.address(), dOrder.address(), dPrefix.address(), n, first, count, window,
                    in.address() + 4, lab.address() + 4, stream);
            stream.synchronize();
            int[] gi = in.toArray(), gl = lab.toArray();
            String at = tag + ", pairs [" + first + ", " + (first + count) + "), window " + window + ", seed " + seed;
            assertArrayEquals(wantIn, Arrays.copyOfRange(gi, 1, 1 + count), "inputs, " + at);
            assertArrayEquals(wantLab, Arrays.copyOfRange(gl, 1, 1 + count), "labels, " + at);
            assertEquals(POISON, gi[0], at);
            assertEquals(POISON, gi[count + 1], at);
            assertEquals(POISON, gl[0], at);
            assertEquals(POISON, gl[count + 1], at);
        }
    }

    private void checkPairs(Sessions walks, String what) {
        for (int window : new int[] {8, 1, 3}) {
            int pass = rnd.nextInt(20);
            long pairSeed = rnd.nextLong();
            int n = walks.size();
            int[] order = SkipGramPairs.passOrder(n, pairSeed, pass);
            long[] prefix = Walks.pairPrefix(walks.offsets(), order, window);
            long total = prefix[n];
            assertEquals(SkipGramPairs.count(walks, window), total, what);
            String tag = what + ", pass " + pass;
            try (DeviceInts dOff = ints(walks.offsets()); DeviceInts dItems = ints(walks.items()); DeviceInts dOrder = ints(order);
                 DeviceInts dPrefix = longs(prefix)) {
                // random chunks, odd sizes, single pairs, the first and last pairs
                checkChunk(walks, order, prefix, window, 0, 1, dOff, dItems, dOrder, dPrefix, tag);
                checkChunk(walks, order, prefix, window, total - 1, 1, dOff, dItems, dOrder, dPrefix, tag);
                for (int k = 0; k < 6; k++) {
                    int count = 1 + rnd.nextInt((int) Math.min(total, 70_001));
                    long first = (long) (rnd.nextDouble() * (total - count + 1));
                    checkChunk(walks, order, prefix, window, first, count, dOff, dItems, dOrder, dPrefix, tag);
                }
                if (window == 8) {
                    // the whole pass in one launch, against the engine's stream as well
                    checkChunk(walks, order, prefix, window, 0, (int) total, dOff, dItems, dOrder, dPrefix, tag + ", whole pass");
                    int[] in = new int[(int) total], lab = new int[(int) total];
                    assertEquals(total, new SkipGramPairs(walks, window, pairSeed, pass).next(in, lab, in.length));
                    int[] wantIn = new int[(int) total], wantLab = new int[(int) total];
                    Walks.skipgramPairs(walks.offsets(), 0, walks.items(), 0, order, 0, prefix, 0, n, 0, (int) total, window,
                            wantIn, 0, wantLab, 0);
                    assertArrayEquals(in, wantIn, "twin vs SkipGramPairs, " + tag + ", seed " + seed);
                    assertArrayEquals(lab, wantLab, "twin vs SkipGramPairs, " + tag + ", seed " + seed);
                }
            }
        }
    }

    @Test
    void pairsMatchTheTwinOnAWalkCorpus() {
        int numItems = 500;
        ItemGraph g = ItemGraph.build(org.lgsr.cpu.WalksTest.randomSessions(rnd, numItems, 2000), numItems);
        Sessions walks = checkWalks(g, new RandomWalks.Config(4, 50, rnd.nextLong(), 2), "corpus for pairs");
        checkPairs(walks, "walk corpus of " + walks.size() + " walks");
    }

    @Test
    void pairsMatchTheTwinOnWalksOfEveryLength() {
        Sessions.Builder b = new Sessions.Builder();
        for (int w = 0; w < 2001; w++) {
            int len = rnd.nextInt(5) == 0 ? 1 : 1 + rnd.nextInt(60);
            int[] walk = new int[len];
            for (int i = 0; i < len; i++) walk[i] = 1 + rnd.nextInt(100_000);
            b.add(walk);
        }
        Sessions walks = b.build();
        checkPairs(walks, "random walks of lengths 1..60");
    }
}
