package org.lgsr.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.Sessions;
import org.lgsr.data.SyntheticData;

class GlobalEncoderTest {
    static SessionDataset data;
    static ItemGraph graph;

    @BeforeAll
    static void build() {
        data = SyntheticData.generate(SyntheticData.Config.defaults());
        graph = ItemGraph.build(data.trainSessions(), data.numItems());
    }

    /** E as the recommendation module holds it: inside a flat array, at an offset; row 0 zero. */
    static float[] flatWithE(int off, int numItems, int d, long seed) {
        float[] flat = new float[off + numItems * d + 7];
        Rng r = new Rng(seed);
        float scale = (float) (1 / Math.sqrt(d));
        for (int i = d; i < numItems * d; i++) flat[off + i] = (float) ((2 * r.nextDouble() - 1) * scale);
        return flat;
    }

    static double cosine(float[] a, int ao, int bo, int d) {
        double ab = 0, aa = 0, bb = 0;
        for (int j = 0; j < d; j++) {
            ab += a[ao + j] * a[bo + j];
            aa += a[ao + j] * a[ao + j];
            bb += a[bo + j] * a[bo + j];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Test
    void trainingAlonePullsSuccessorsTogether() {
        int d = 32;
        int off = 11;
        Sessions walks = RandomWalks.generate(graph, new RandomWalks.Config(3, 20, 3L, 2));
        GlobalEncoder.Config c = GlobalEncoder.Config.defaults().withDim(d).withBatch(1024).withNegatives(32).withThreads(2);
        float[] flat = flatWithE(off, graph.numItems(), d, 5L);
        float[] grad = new float[flat.length];
        int[] frequent = frequentEdges(300);
        int[] random = randomPairs(300);
        double edgeBefore = meanCosine(flat, off, d, frequent);
        double randBefore = meanCosine(flat, off, d, random);
        double first = 0;
        double last = 0;
        try (GlobalEncoder enc = new GlobalEncoder(graph, c);
             EmbeddingAdam adam = new EmbeddingAdam(flat, off, grad, 0, graph.numItems(), d, AdamTf.Mode.DENSE, 0.01, 2)) {
            for (int pass = 0; pass < 2; pass++) {
                GlobalEncoder.PassStats st = enc.trainPass(walks, pass, flat, off, grad, 0, 0.01, adam, Long.MAX_VALUE);
                if (pass == 0) first = st.meanLoss();
                last = st.meanLoss();
                assertEquals(SkipGramPairs.count(walks, 8), st.pairs());
            }
        }
        double edgeAfter = meanCosine(flat, off, d, frequent);
        double randAfter = meanCosine(flat, off, d, random);
        System.out.printf("encoder alone: loss %.4f -> %.4f; centred cosine of frequent edges %.3f -> %.3f, random pairs %.3f -> %.3f%n",
                first, last, edgeBefore, edgeAfter, randBefore, randAfter);
        assertTrue(last < first, "loss did not fall: " + first + " -> " + last);
        assertTrue(edgeAfter > randAfter + 0.3, "frequent edges " + edgeBefore + " -> " + edgeAfter + ", random pairs "
                + randBefore + " -> " + randAfter);
        for (int j = 0; j < d; j++) assertEquals(0f, flat[off + j], "padding row moved");
        for (float g : grad) assertEquals(0f, g, "gradient buffer not left zero");
    }

    /**
     * Mean cosine of the pairs' E rows after centring E on its mean node row (skip-gram
     * embeddings share a common direction; the centred cosine shows the structure).
     */
    private static double meanCosine(float[] flat, int off, int d, int[] pairs) {
        float[] mean = new float[d];
        for (int u : graph.nodes()) for (int j = 0; j < d; j++) mean[j] += flat[off + u * d + j] / graph.numNodes();
        float[] centred = new float[graph.numItems() * d];
        for (int u : graph.nodes()) for (int j = 0; j < d; j++) centred[u * d + j] = flat[off + u * d + j] - mean[j];
        double s = 0;
        for (int i = 0; i < pairs.length; i += 2) s += cosine(centred, pairs[i] * d, pairs[i + 1] * d, d);
        return s / (pairs.length / 2);
    }

    /** The {@code k} edges with the highest counts, as (u, v) pairs. */
    private static int[] frequentEdges(int k) {
        int m = graph.numEdges();
        long[] keys = new long[m];
        int[] src = new int[m];
        for (int u : graph.nodes()) {
            for (int e = graph.edgeStart(u); e < graph.edgeStart(u) + graph.outDegree(u); e++) src[e] = u;
        }
        for (int e = 0; e < m; e++) keys[e] = ((long) (Integer.MAX_VALUE - graph.counts()[e]) << 32) | e;
        java.util.Arrays.sort(keys);
        int[] out = new int[2 * k];
        for (int i = 0; i < k; i++) {
            int e = (int) keys[i];
            out[2 * i] = src[e];
            out[2 * i + 1] = graph.targets()[e];
        }
        return out;
    }

    /** {@code k} random node pairs joined by no edge either way. */
    private static int[] randomPairs(int k) {
        Rng r = new Rng(8);
        int[] nodes = graph.nodes();
        int[] out = new int[2 * k];
        for (int i = 0; i < k; ) {
            int u = nodes[r.nextInt(nodes.length)];
            int v = nodes[r.nextInt(nodes.length)];
            if (u == v || graph.weight(u, v) > 0 || graph.weight(v, u) > 0) continue;
            out[2 * i] = u;
            out[2 * i + 1] = v;
            i++;
        }
        return out;
    }

    @Test
    void resultsDoNotDependOnThreadsAndLazyTouchesOnlyBatchRows() {
        int d = 16;
        Sessions walks = RandomWalks.generate(graph, new RandomWalks.Config(1, 20, 4L, 2));
        float[][] es = new float[2][];
        float[][] thetas = new float[2][];
        for (int t = 1; t <= 2; t++) {
            GlobalEncoder.Config c = GlobalEncoder.Config.defaults().withDim(d).withBatch(512).withNegatives(64).withThreads(t);
            float[] e = flatWithE(0, graph.numItems(), d, 6L);
            float[] grad = new float[e.length];
            try (GlobalEncoder enc = new GlobalEncoder(graph, c);
                 EmbeddingAdam adam = new EmbeddingAdam(e, 0, grad, 0, graph.numItems(), d, AdamTf.Mode.DENSE, 1e-3, t)) {
                enc.trainPass(walks, 0, e, 0, grad, 0, 1e-3, adam, 20);
                es[t - 1] = e;
                thetas[t - 1] = enc.theta().clone();
            }
        }
        assertArrayEquals(es[0], es[1]);
        assertArrayEquals(thetas[0], thetas[1]);

        // lazy Adam: rows of theta that were neither labels nor negatives keep their values
        GlobalEncoder.Config c = GlobalEncoder.Config.defaults().withDim(d).withBatch(64).withNegatives(8)
                .withAdam(AdamTf.Mode.LAZY).withThreads(1);
        float[] e = flatWithE(0, graph.numItems(), d, 6L);
        float[] grad = new float[e.length];
        int[] in = new int[64];
        int[] lab = new int[64];
        new SkipGramPairs(walks, 8, 1L, 0).next(in, lab, 64);
        try (GlobalEncoder enc = new GlobalEncoder(graph, c)) {
            float[] before = enc.theta().clone();
            int[][] seen = new int[1][];
            enc.trainBatch(in, lab, 64, e, 0, grad, 0, 1e-3, (rows, count) -> seen[0] = java.util.Arrays.copyOf(rows, count));
            java.util.Set<Integer> labels = new java.util.HashSet<>();
            for (int x : lab) labels.add(x);
            int changed = 0;
            for (int item = 0; item < graph.numItems(); item++) {
                boolean moved = false;
                for (int j = 0; j < d; j++) moved |= before[item * d + j] != enc.theta()[item * d + j];
                if (moved) changed++;
                if (labels.contains(item)) assertTrue(moved, "label row " + item + " did not move");
            }
            assertTrue(changed <= labels.size() + 8, changed + " rows moved");
            // the E rows handed over are exactly the distinct inputs, ascending
            int[] want = java.util.Arrays.stream(in).distinct().sorted().toArray();
            assertArrayEquals(want, seen[0]);
        }
    }
}
