package org.lgsr.data;

import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * A deterministic synthetic session dataset with structure the LGSR model can find; the
 * embedded default dataset of the main command and the data of most unit tests.
 *
 * <p>Planted structure:
 * <ul>
 *   <li><b>latent groups</b>: every item belongs to one of {@code groups} groups; a session
 *       mostly stays within its group;</li>
 *   <li><b>cross-session transitions</b>: every item has {@code successors} fixed successor
 *       items in its group (weights 0.6, 0.3, 0.1, ...), followed in every session that visits
 *       it, so the transition graph over all sessions carries signal the global encoder can
 *       use;</li>
 *   <li><b>Zipf-like popularity</b>: item weights {@code 1/rank^zipf} over a random ranking;</li>
 *   <li><b>Yoochoose-like lengths</b>: 2 + a geometric number of further clicks (mean session
 *       length about 4.2, as in Yoochoose-1/64's training sessions), at most {@code maxLength};
 *       clicks sometimes repeat an earlier item of the session, as real clicks do.</li>
 * </ul>
 * Test sessions come from the same process after the training ones; as in the real
 * preprocessing, test items never seen in training are dropped, then sessions under 2 clicks.
 */
public final class SyntheticData {

    /**
     * @param items          number of item ids (1..items)
     * @param pSuccessor     chance the next click follows a planted successor of the current item
     * @param pGroup         chance it is a popular item of the session's group
     * @param pRepeat        chance it repeats an earlier item of the session; the rest is a
     *                       globally popular item (which may move the session to another group)
     */
    public record Config(long seed, int items, int groups, int successors, int trainSessions, int testSessions,
                         double zipf, double meanLength, int maxLength, double pSuccessor, double pGroup,
                         double pRepeat) {
        public Config {
            if (items < 10) throw new IllegalArgumentException("synthetic data needs at least 10 items, got " + items);
            if (groups < 1 || groups > items) throw new IllegalArgumentException("groups must be in 1.." + items + ", got " + groups);
            if (successors < 1) throw new IllegalArgumentException("successors must be >= 1, got " + successors);
            if (trainSessions < 1 || testSessions < 1) throw new IllegalArgumentException("need at least one training and one test session");
            if (meanLength <= 2 || maxLength < 2) throw new IllegalArgumentException("mean length must exceed 2 and max length be >= 2");
            if (pSuccessor < 0 || pGroup < 0 || pRepeat < 0 || pSuccessor + pGroup + pRepeat > 1) {
                throw new IllegalArgumentException("click probabilities must be >= 0 and sum to at most 1");
            }
        }

        public static Config defaults() {
            return new Config(42, 2000, 25, 3, 12000, 2000, 1.0, 4.2, 50, 0.55, 0.25, 0.10);
        }

        public Config withSeed(long s) {
            return new Config(s, items, groups, successors, trainSessions, testSessions, zipf, meanLength, maxLength, pSuccessor, pGroup, pRepeat);
        }

        public Config withSize(int nItems, int nTrain, int nTest) {
            return new Config(seed, nItems, Math.min(groups, nItems), successors, nTrain, nTest, zipf, meanLength, maxLength, pSuccessor, pGroup, pRepeat);
        }
    }

    private final Config c;
    private final SplittableRandom rnd;
    private final int[] groupOf;          // item -> group
    private final double[] globalCdf;     // over items 1..n (index 0 unused)
    private final int[][] groupItems;     // group -> its items
    private final double[][] groupCdf;    // group -> cdf over its items by popularity
    private final int[][] successors;     // item -> planted successors
    private final double[] successorCdf;  // shared cdf over successor slots

    private SyntheticData(Config c) {
        this.c = c;
        this.rnd = new SplittableRandom(c.seed());
        int n = c.items();
        // popularity: a random ranking of the ids, weight 1/rank^zipf
        int[] rankOf = new int[n + 1];
        int[] perm = permutation(n);
        for (int r = 0; r < n; r++) rankOf[perm[r]] = r + 1;
        double[] weight = new double[n + 1];
        for (int i = 1; i <= n; i++) weight[i] = Math.pow(rankOf[i], -c.zipf());
        globalCdf = cdf(weight, 1, n);
        // groups: a random assignment, every group non-empty
        groupOf = new int[n + 1];
        int[] order = permutation(n);
        int[] sizes = new int[c.groups()];
        for (int k = 0; k < n; k++) {
            int g = k < c.groups() ? k : rnd.nextInt(c.groups());
            groupOf[order[k]] = g;
            sizes[g]++;
        }
        groupItems = new int[c.groups()][];
        groupCdf = new double[c.groups()][];
        for (int g = 0; g < c.groups(); g++) groupItems[g] = new int[sizes[g]];
        int[] fill = new int[c.groups()];
        for (int i = 1; i <= n; i++) groupItems[groupOf[i]][fill[groupOf[i]]++] = i;
        for (int g = 0; g < c.groups(); g++) {
            double[] w = new double[groupItems[g].length];
            for (int k = 0; k < w.length; k++) w[k] = weight[groupItems[g][k]];
            groupCdf[g] = cdf(w, 0, w.length - 1);
        }
        // planted successors: drawn by popularity within the item's group, never the item itself
        successors = new int[n + 1][];
        for (int i = 1; i <= n; i++) {
            int g = groupOf[i];
            int[] s = new int[c.successors()];
            for (int k = 0; k < s.length; k++) {
                int pick = i;
                for (int tries = 0; tries < 20 && pick == i; tries++) pick = groupItems[g][sample(groupCdf[g])];
                if (pick == i) pick = 1 + rnd.nextInt(n);
                s[k] = pick;
            }
            successors[i] = s;
        }
        double[] sw = new double[c.successors()];
        for (int k = 0; k < sw.length; k++) sw[k] = Math.pow(0.5, k) * (k == 0 ? 1.2 : 1.0);
        successorCdf = cdf(sw, 0, sw.length - 1);
    }

    public static SessionDataset generate(Config c) {
        SyntheticData g = new SyntheticData(c);
        Sessions train = g.sessions(c.trainSessions(), null);
        BitSet seen = new BitSet(c.items() + 1);
        for (int v : train.items()) seen.set(v);
        Sessions test = g.sessions(c.testSessions(), seen);
        Samples trainSamples = Samples.fromSessions(train);
        Samples testSamples = Samples.fromSessions(test);
        if (testSamples.size() == 0) throw new IllegalArgumentException("synthetic configuration yields no test samples");
        String source = "synthetic: seed " + c.seed() + ", " + c.items() + " items, " + c.groups() + " groups, "
                + c.trainSessions() + " training and " + c.testSessions() + " test sessions";
        return new SessionDataset(Datasets.SYNTH, source, train, trainSamples, testSamples, c.items() + 1,
                java.util.Map.of());
    }

    /** Generates {@code count} sessions; with {@code keep}, drops unseen items and sessions left under 2. */
    private Sessions sessions(int count, BitSet keep) {
        Sessions.Builder b = new Sessions.Builder(count, (int) (count * c.meanLength()) + 16);
        int[] buf = new int[c.maxLength()];
        double pStop = 1.0 / (c.meanLength() - 1.0); // further clicks after the second ~ geometric
        for (int s = 0; s < count; s++) {
            int len = 2;
            while (len < c.maxLength() && rnd.nextDouble() >= pStop) len++;
            int group = groupOfNewSession();
            int cur = groupItems[group][sample(groupCdf[group])];
            buf[0] = cur;
            for (int k = 1; k < len; k++) {
                double u = rnd.nextDouble();
                int next;
                if (u < c.pSuccessor()) {
                    next = successors[cur][sample(successorCdf)];
                } else if (u < c.pSuccessor() + c.pGroup()) {
                    next = groupItems[group][sample(groupCdf[group])];
                } else if (u < c.pSuccessor() + c.pGroup() + c.pRepeat()) {
                    next = buf[rnd.nextInt(k)];
                } else {
                    next = 1 + sample(globalCdf);
                    group = groupOf[next];
                }
                buf[k] = next;
                cur = next;
            }
            if (keep == null) {
                b.add(buf, 0, len);
            } else {
                int m = 0;
                for (int k = 0; k < len; k++) {
                    if (keep.get(buf[k])) buf[m++] = buf[k];
                }
                if (m >= 2) b.add(buf, 0, m);
            }
        }
        return b.build();
    }

    private int groupOfNewSession() {
        // a session's group is that of a globally popular item, so groups are Zipf-weighted too
        return groupOf[1 + sample(globalCdf)];
    }

    private int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i + 1;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Normalized cumulative sums of {@code w[from..to]}, as an array of length to-from+1. */
    private static double[] cdf(double[] w, int from, int to) {
        double[] out = new double[to - from + 1];
        double sum = 0;
        for (int i = from; i <= to; i++) {
            sum += w[i];
            out[i - from] = sum;
        }
        for (int i = 0; i < out.length; i++) out[i] /= sum;
        out[out.length - 1] = 1.0;
        return out;
    }

    /** An index drawn from a cdf by binary search. */
    private int sample(double[] cdf) {
        double u = rnd.nextDouble();
        int lo = 0;
        int hi = cdf.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] > u) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }
}
