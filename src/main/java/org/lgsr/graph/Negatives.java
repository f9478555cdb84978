package org.lgsr.graph;

/**
 * The negatives of each L_g batch (MODEL.md 3.4): {@code numSampled} ranks drawn by
 * {@link LogUniformSampler} from the stream keyed {@code (seed, step, -3)} for batch number
 * {@code step} (1-based), mapped to item ids, with the log of their expected counts (TF's
 * log-Q correction). Shared by the CPU encoder ({@link GlobalEncoder}) and the GPU engine, so
 * both train on the same negatives.
 */
public final class Negatives {
    private final LogUniformSampler sampler;
    private final int numSampled;
    private final boolean unique;
    private final long seed;
    private final int[] ranks;
    private final Rng rng = new Rng(0);

    public Negatives(ItemGraph graph, int numSampled, boolean unique, long seed) {
        this(new LogUniformSampler(graph), numSampled, unique, seed);
    }

    /** As above, ranking as the authors' code does when {@code plainDegree} ({@link LogUniformSampler#LogUniformSampler(ItemGraph, boolean)}). */
    public Negatives(ItemGraph graph, int numSampled, boolean unique, long seed, boolean plainDegree) {
        this(new LogUniformSampler(graph, plainDegree), numSampled, unique, seed);
    }

    Negatives(LogUniformSampler sampler, int numSampled, boolean unique, long seed) {
        if (unique && numSampled > sampler.range()) {
            throw new IllegalArgumentException("--negatives: " + numSampled + " unique negatives per batch, but the item graph has only "
                    + sampler.range() + " nodes: give --negatives " + sampler.range() + " or fewer");
        }
        this.sampler = sampler;
        this.numSampled = numSampled;
        this.unique = unique;
        this.seed = seed;
        this.ranks = new int[numSampled];
    }

    public LogUniformSampler sampler() {
        return sampler;
    }

    public int numSampled() {
        return numSampled;
    }

    /** Fills {@code sampled} and {@code sampledLogQ} for batch {@code step}; returns the sampler's tries. */
    public int draw(long step, int[] sampled, float[] sampledLogQ) {
        rng.reset(Rng.key(seed, step, -3));
        int tries = sampler.sample(rng, numSampled, unique, ranks);
        for (int k = 0; k < numSampled; k++) {
            sampled[k] = sampler.itemOfRank(ranks[k]);
            sampledLogQ[k] = (float) Math.log(sampler.expectedCount(ranks[k], numSampled, tries));
        }
        return tries;
    }

    /** The sampler's rank of every item id, -1 for items that are not graph nodes (a copy). */
    public int[] rankOfItem(int numItems) {
        int[] r = new int[numItems];
        for (int i = 0; i < numItems; i++) r[i] = sampler.rankOfItem(i);
        return r;
    }
}
