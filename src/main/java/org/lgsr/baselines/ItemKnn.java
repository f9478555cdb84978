package org.lgsr.baselines;

import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.eval.BatchScorer;

/**
 * Item-KNN (the baseline of the GRU4Rec and NARM papers): items are scored by the cosine
 * similarity of their session-occurrence vectors to the last item of the session,
 * {@code sim(i, j) = |S_i ∩ S_j| / sqrt(|S_i| |S_j|)}, where {@code S_i} is the set of training
 * sessions containing {@code i}. By default the last item itself is not recommended (its
 * self-similarity 1 is replaced by 0), which is how the paper's figures come out (with it, P@20
 * on Yoochoose-1/64 rises from about 51 to 65, as sessions often click an item again).
 */
public final class ItemKnn implements BatchScorer {
    private final int numItems;
    private final int[] support;     // |S_i|
    private final int[] itemOffsets; // item -> sessions containing it (CSR)
    private final int[] itemSessions;
    private final Sessions train;
    private final boolean includeSelf;

    public ItemKnn(Sessions train, int numItems, boolean includeSelf) {
        this.numItems = numItems;
        this.train = train;
        this.includeSelf = includeSelf;
        support = new int[numItems];
        forEachDistinct(train, numItems, (s, v) -> support[v]++);
        itemOffsets = new int[numItems + 1];
        for (int j = 0; j < numItems; j++) itemOffsets[j + 1] = itemOffsets[j] + support[j];
        itemSessions = new int[itemOffsets[numItems]];
        int[] fill = itemOffsets.clone();
        forEachDistinct(train, numItems, (s, v) -> itemSessions[fill[v]++] = s);
    }

    /** Calls {@code visit(s, v)} once for every distinct item {@code v} of every session {@code s}, in order. */
    private static void forEachDistinct(Sessions train, int numItems, java.util.function.BiConsumer<Integer, Integer> visit) {
        int[] lastSeen = new int[numItems];
        java.util.Arrays.fill(lastSeen, -1);
        for (int s = 0; s < train.size(); s++) {
            for (int k = 0; k < train.length(s); k++) {
                int v = train.item(s, k);
                if (lastSeen[v] != s) {
                    lastSeen[v] = s;
                    visit.accept(s, v);
                }
            }
        }
    }

    public ItemKnn(Sessions train, int numItems) {
        this(train, numItems, false);
    }

    @Override
    public int numItems() {
        return numItems;
    }

    @Override
    public int batchSize() {
        return 64;
    }

    @Override
    public boolean threadSafe() {
        return true;
    }

    @Override
    public void score(Samples samples, int first, int count, float[] out) {
        int[] co = new int[numItems];
        int[] stamp = new int[numItems]; // session visit mark per item: counts each item once per session
        int mark = 0;
        for (int r = 0; r < count; r++) {
            int off = r * numItems;
            java.util.Arrays.fill(out, off, off + numItems, 0f);
            int last = samples.inputs().last(first + r);
            if (last >= numItems || support[last] == 0) continue;
            // co-occurrence counts of `last` with every item, one session at a time
            java.util.Arrays.fill(co, 0);
            for (int p = itemOffsets[last]; p < itemOffsets[last + 1]; p++) {
                int s = itemSessions[p];
                int sTag = ++mark;
                for (int k = 0; k < train.length(s); k++) {
                    int v = train.item(s, k);
                    if (stamp[v] != sTag) {
                        stamp[v] = sTag;
                        co[v]++;
                    }
                }
            }
            double sl = support[last];
            for (int j = 1; j < numItems; j++) {
                if (co[j] > 0) out[off + j] = (float) (co[j] / Math.sqrt(sl * support[j]));
            }
            if (!includeSelf) out[off + last] = 0f;
        }
    }
}
