package org.lgsr.graph;

import org.lgsr.util.Parallel;

import org.lgsr.data.Sessions;

/**
 * The walk corpus of MODEL.md 3.2 (node2vec with p = q = 1): {@code rounds} rounds; in each
 * round every node, in a fresh random order, starts one walk of up to {@code maxLength} nodes
 * (the start included); each step moves to an out-neighbour drawn in proportion to the edge
 * weight with the alias tables; a walk ends early at a node without out-edges.
 *
 * <p>Layout of the result (a {@link Sessions}, i.e. CSR int arrays of item ids): walk
 * {@code r * numNodes + s} is the walk started by the {@code s}-th node of round {@code r}'s
 * order. Determinism: round {@code r}'s order is a shuffle from the stream keyed
 * {@code (seed, r, -1)}, and walk {@code (r, s)} draws its steps from the stream keyed
 * {@code (seed, r, s)}, so the corpus depends on the seed only, never on the thread count.
 */
public final class RandomWalks {
    /** Rounds T (13), walk length L (50), seed, worker threads. */
    public record Config(int rounds, int maxLength, long seed, int threads) {
        public Config {
            if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
            if (maxLength < 1) throw new IllegalArgumentException("walk length must be >= 1, got " + maxLength);
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }

        public static Config defaults() {
            return new Config(13, 50, 1L, Runtime.getRuntime().availableProcessors());
        }

        public Config withSeed(long s) {
            return new Config(rounds, maxLength, s, threads);
        }

        public Config withThreads(int t) {
            return new Config(rounds, maxLength, seed, t);
        }

        public Config withRounds(int r) {
            return new Config(r, maxLength, seed, threads);
        }

        public Config withMaxLength(int l) {
            return new Config(rounds, l, seed, threads);
        }
    }

    private static final int CHUNK = 256; // walks per task

    private RandomWalks() {
    }

    /**
     * The start node of every walk: {@code starts[r * numNodes + s]} is the {@code s}-th node of
     * round {@code r}'s order (a shuffle of {@link ItemGraph#nodes()} from the stream keyed
     * {@code (seed, r, -1)}); length {@code rounds * numNodes}. Walk {@code w} of round
     * {@code r = w / numNodes} draws its steps from the stream keyed {@code (seed, r, w - r * numNodes)}.
     */
    public static int[] starts(ItemGraph g, Config c) {
        int[] nodes = g.nodes();
        int n = nodes.length;
        long walksL = (long) c.rounds() * n;
        if (walksL > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("too many walks: " + walksL);
        int[] starts = new int[(int) walksL];
        Rng orderRng = new Rng(0);
        for (int r = 0; r < c.rounds(); r++) {
            int[] perm = nodes.clone();
            orderRng.reset(Rng.key(c.seed(), r, -1));
            orderRng.shuffle(perm);
            System.arraycopy(perm, 0, starts, r * n, n);
        }
        return starts;
    }

    public static Sessions generate(ItemGraph g, Config c) {
        return generate(g, AliasTable.of(g), c);
    }

    /** As {@link #generate(ItemGraph, Config)} with prebuilt alias tables of {@code g}. */
    public static Sessions generate(ItemGraph g, AliasTable alias, Config c) {
        int[] nodes = g.nodes();
        int n = nodes.length;
        int len = c.maxLength();
        long walksL = (long) c.rounds() * n;
        if (walksL * len > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("walk corpus too large: " + walksL + " walks of up to " + len);
        }
        int walks = (int) walksL;
        int[] starts = starts(g, c);
        int[] slots = new int[walks * len];
        int[] lengths = new int[walks];
        int[] offsets = g.offsets();
        int[] targets = g.targets();
        int tasks = (walks + CHUNK - 1) / CHUNK;
        try (Parallel par = new Parallel(c.threads())) {
            par.forEach(tasks, task -> {
                Rng rng = new Rng(0);
                int to = Math.min(walks, (task + 1) * CHUNK);
                for (int w = task * CHUNK; w < to; w++) {
                    int r = w / n;
                    rng.reset(Rng.key(c.seed(), r, w - (long) r * n));
                    int base = w * len;
                    int cur = starts[w];
                    slots[base] = cur;
                    int k = 1;
                    while (k < len && offsets[cur + 1] > offsets[cur]) {
                        cur = targets[alias.sample(cur, rng.nextDouble())];
                        slots[base + k++] = cur;
                    }
                    lengths[w] = k;
                }
            });
        }
        // compact in place: walk w moves down from w * len to its CSR offset
        int[] walkOffsets = new int[walks + 1];
        for (int w = 0; w < walks; w++) {
            walkOffsets[w + 1] = walkOffsets[w] + lengths[w];
            System.arraycopy(slots, w * len, slots, walkOffsets[w], lengths[w]);
        }
        return new Sessions(walkOffsets, java.util.Arrays.copyOf(slots, walkOffsets[walks]));
    }
}
