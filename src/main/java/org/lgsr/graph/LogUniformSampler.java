package org.lgsr.graph;

/**
 * TF's {@code log_uniform_candidate_sampler} over the graph's nodes ranked by degree
 * (rank 0 = highest degree, {@link ItemGraph#nodesByDegree()}), with {@code range} = number of
 * nodes: {@code P(k) = (log(k+2) - log(k+1)) / log(range+1)}; a draw is
 * {@code floor(exp(u * log(range+1))) - 1}.
 *
 * <p>With {@code unique} (TF's default in {@code nce_loss}) draws repeat until
 * {@code numSampled} distinct ranks are found and {@code numTries} counts every draw; the
 * expected count of a class is then {@code 1 - (1-P)^numTries}, else {@code numSampled * P}
 * (TF's {@code ExpectedCountHelper}). {@code nce_loss} subtracts the log of these counts from
 * the logits of true and sampled classes.
 */
public final class LogUniformSampler {
    private final int[] itemOfRank;
    private final int[] rankOfItem;   // -1 for items that are not nodes
    private final double logRange;
    private final int[] stamp;        // rank -> last draw round that took it (unique mode)
    private int round;

    public LogUniformSampler(ItemGraph g) {
        this(g, false);
    }

    /**
     * @param plainDegree rank as the authors' code does ({@link ItemGraph#nodesByPlainDegree}: plain degree, over
     *                    the nodes with an edge) instead of by weighted degree over every node
     */
    public LogUniformSampler(ItemGraph g, boolean plainDegree) {
        this.itemOfRank = plainDegree ? g.nodesByPlainDegree() : g.nodesByDegree();
        this.rankOfItem = new int[g.numItems()];
        java.util.Arrays.fill(rankOfItem, -1);
        for (int r = 0; r < itemOfRank.length; r++) rankOfItem[itemOfRank[r]] = r;
        this.logRange = Math.log(itemOfRank.length + 1.0);
        this.stamp = new int[itemOfRank.length];
    }

    public int range() {
        return itemOfRank.length;
    }

    /** log(range + 1), the normaliser of {@link #probability} (for the device's log Q). */
    public double logRange() {
        return logRange;
    }

    public int itemOfRank(int rank) {
        return itemOfRank[rank];
    }

    public int rankOfItem(int item) {
        return rankOfItem[item];
    }

    public double probability(int rank) {
        return Math.log((rank + 2.0) / (rank + 1.0)) / logRange;
    }

    /** Expected count of {@code rank} in a draw of {@code numSampled} that took {@code numTries} tries. */
    public double expectedCount(int rank, int numSampled, int numTries) {
        double p = probability(rank);
        if (numTries == numSampled) return p * numSampled;
        return -Math.expm1(numTries * Math.log1p(-p));
    }

    int drawRank(Rng rng) {
        int k = (int) (Math.exp(rng.nextDouble() * logRange)) - 1;
        return Math.min(Math.max(k, 0), itemOfRank.length - 1);
    }

    /**
     * Draws {@code numSampled} ranks into {@code outRanks}; returns the number of tries (equal
     * to {@code numSampled} unless {@code unique}).
     */
    int sample(Rng rng, int numSampled, boolean unique, int[] outRanks) {
        if (!unique) {
            for (int i = 0; i < numSampled; i++) outRanks[i] = drawRank(rng);
            return numSampled;
        }
        if (numSampled > itemOfRank.length) {
            throw new IllegalArgumentException("cannot draw " + numSampled + " unique negatives from " + itemOfRank.length + " nodes");
        }
        if (++round == Integer.MAX_VALUE) {
            java.util.Arrays.fill(stamp, 0);
            round = 1;
        }
        int tries = 0;
        int got = 0;
        while (got < numSampled) {
            int k = drawRank(rng);
            tries++;
            if (stamp[k] != round) {
                stamp[k] = round;
                outRanks[got++] = k;
            }
        }
        return tries;
    }
}
