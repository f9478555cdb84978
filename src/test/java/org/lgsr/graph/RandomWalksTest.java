package org.lgsr.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.apache.commons.math3.distribution.ChiSquaredDistribution;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.Sessions;
import org.lgsr.data.SyntheticData;

class RandomWalksTest {
    static SessionDataset data;
    static ItemGraph graph;

    @BeforeAll
    static void build() {
        data = SyntheticData.generate(SyntheticData.Config.defaults().withSize(300, 3000, 10));
        graph = ItemGraph.build(data.trainSessions(), data.numItems());
    }

    @Test
    void everyNodeStartsExactlyTWalksOnePerRound() {
        RandomWalks.Config c = new RandomWalks.Config(13, 50, 7L, 2);
        Sessions walks = RandomWalks.generate(graph, c);
        int n = graph.numNodes();
        assertEquals(13 * n, walks.size());
        for (int r = 0; r < 13; r++) {
            int[] starts = new int[n];
            for (int s = 0; s < n; s++) starts[s] = walks.item(r * n + s, 0);
            int[] sorted = starts.clone();
            Arrays.sort(sorted);
            assertArrayEquals(graph.nodes(), sorted, "round " + r + " is not a permutation of the nodes");
            if (r > 0) {
                int[] prev = new int[n];
                for (int s = 0; s < n; s++) prev[s] = walks.item((r - 1) * n + s, 0);
                assertNotEquals(Arrays.toString(prev), Arrays.toString(starts), "rounds reuse the same order");
            }
        }
    }

    @Test
    void walksFollowEdgesAndStopOnlyAtSinksOrAtL() {
        // a graph with sinks: 1->2->3 (3 is a sink), 4<->5 cycle, 6->3
        Sessions s = ItemGraphTest.sessions(new int[] {1, 2, 3}, new int[] {4, 5, 4, 5}, new int[] {6, 3});
        ItemGraph g = ItemGraph.build(s, 8);
        Sessions walks = RandomWalks.generate(g, new RandomWalks.Config(5, 10, 3L, 2));
        for (int w = 0; w < walks.size(); w++) {
            int len = walks.length(w);
            for (int k = 1; k < len; k++) assertTrue(g.weight(walks.item(w, k - 1), walks.item(w, k)) > 0);
            int last = walks.last(w);
            if (len < 10) assertEquals(0, g.outDegree(last), "walk " + w + " stopped early at " + last);
            else assertEquals(10, len);
        }
        // the sink 3 starts walks of length 1; the cycle never stops early
        for (int w = 0; w < walks.size(); w++) {
            if (walks.item(w, 0) == 3) assertEquals(1, walks.length(w));
            if (walks.item(w, 0) == 4) assertEquals(10, walks.length(w));
            if (walks.item(w, 0) == 1) assertArrayEquals(new int[] {1, 2, 3}, walks.get(w));
        }
        // synthetic graph: every node that ends a short walk is a sink
        Sessions big = RandomWalks.generate(graph, new RandomWalks.Config(2, 50, 1L, 2));
        for (int w = 0; w < big.size(); w++) {
            if (big.length(w) < 50) assertEquals(0, graph.outDegree(big.last(w)));
        }
    }

    @Test
    void transitionFrequenciesMatchEdgeWeights() {
        // long walks; pooled chi-square over all nodes whose expected counts are all >= 5
        Sessions walks = RandomWalks.generate(graph, new RandomWalks.Config(20, 500, 11L, 2));
        int[] off = graph.offsets();
        long[] observed = new long[graph.numEdges()];
        long[] visits = new long[graph.numItems()];
        for (int w = 0; w < walks.size(); w++) {
            for (int k = 1; k < walks.length(w); k++) {
                int u = walks.item(w, k - 1);
                int v = walks.item(w, k);
                int e = Arrays.binarySearch(graph.targets(), off[u], off[u + 1], v);
                assertTrue(e >= 0, "step " + u + " -> " + v + " is not an edge");
                observed[e]++;
                visits[u]++;
            }
        }
        double stat = 0;
        int df = 0;
        int tested = 0;
        for (int u : graph.nodes()) {
            int deg = graph.outDegree(u);
            if (deg < 2) continue;
            boolean ok = true;
            for (int e = off[u]; e < off[u + 1]; e++) ok &= visits[u] * graph.weights()[e] >= 5;
            if (!ok) continue;
            for (int e = off[u]; e < off[u + 1]; e++) {
                double exp = visits[u] * graph.weights()[e];
                stat += (observed[e] - exp) * (observed[e] - exp) / exp;
            }
            df += deg - 1;
            tested++;
        }
        assertTrue(tested > 50, "only " + tested + " nodes testable");
        double p = 1 - new ChiSquaredDistribution(df).cumulativeProbability(stat);
        assertTrue(p > 1e-3, "pooled chi-square " + stat + " on " + df + " df, p = " + p);
        // and one busy node on its own, with commons-math's test
        int busiest = graph.nodes()[0];
        for (int u : graph.nodes()) if (graph.outDegree(u) > 1 && visits[u] > visits[busiest]) busiest = u;
        double[] expected = Arrays.copyOfRange(graph.weights(), off[busiest], off[busiest + 1]);
        long[] obs = Arrays.copyOfRange(observed, off[busiest], off[busiest + 1]);
        double p1 = new org.apache.commons.math3.stat.inference.ChiSquareTest().chiSquareTest(expected, obs);
        assertTrue(p1 > 1e-3, "node " + busiest + ": p = " + p1);
    }

    @Test
    void sameSeedSameCorpusForAnyThreadCount() {
        RandomWalks.Config c = new RandomWalks.Config(3, 50, 99L, 1);
        Sessions one = RandomWalks.generate(graph, c);
        Sessions two = RandomWalks.generate(graph, c.withThreads(2));
        Sessions four = RandomWalks.generate(graph, c.withThreads(4));
        assertEquals(one, two);
        assertEquals(one, four);
        assertNotEquals(one, RandomWalks.generate(graph, c.withSeed(100L)));
    }
}
