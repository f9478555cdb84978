package org.lgsr.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lgsr.data.Sessions;

class ItemGraphTest {
    static Sessions sessions(int[]... rows) {
        Sessions.Builder b = new Sessions.Builder();
        for (int[] r : rows) b.add(r);
        return b.build();
    }

    @Test
    void edgesCountsAndNormalizedWeights() {
        // 1->2 three times, 1->3 once, 2->2 is a self pair (dropped), 3->1, 5 only ends sessions
        ItemGraph g = ItemGraph.build(sessions(new int[] {1, 2, 2, 1, 2}, new int[] {1, 3, 1, 2}, new int[] {4, 5}), 7);
        assertEquals(7, g.numItems());
        assertArrayEquals(new int[] {1, 2, 3, 4, 5}, g.nodes());
        assertEquals(2, g.outDegree(1));
        assertEquals(0.75, g.weight(1, 2), 1e-15);
        assertEquals(0.25, g.weight(1, 3), 1e-15);
        assertEquals(1.0, g.weight(2, 1), 1e-15);
        assertEquals(0.0, g.weight(2, 2));
        assertEquals(1.0, g.weight(3, 1), 1e-15);
        assertEquals(1.0, g.weight(4, 5), 1e-15);
        assertEquals(0, g.outDegree(5));
        assertEquals(0, g.outDegree(6));
        assertEquals(0, g.outDegree(0));
        assertFalse(g.isNode(6));
        assertTrue(g.isNode(5));
        assertEquals(5, g.numEdges()); // 1->2, 1->3, 2->1, 3->1, 4->5
        // degree = transitions touching the node: 1: out 4 + in 2 = 6; 2: in 3 + out 1 = 4
        assertEquals(6, g.degree(1));
        assertEquals(4, g.degree(2));
        assertEquals(2, g.degree(3));
        assertEquals(1, g.degree(4));
        assertEquals(1, g.degree(5));
        assertArrayEquals(new int[] {1, 2, 3, 4, 5}, g.nodesByDegree());
        for (int u = 0; u < g.numItems(); u++) {
            double sum = 0;
            for (int k = g.edgeStart(u); k < g.edgeStart(u) + g.outDegree(u); k++) sum += g.weights()[k];
            if (g.outDegree(u) > 0) assertEquals(1.0, sum, 1e-12);
        }
    }

    @Test
    void rejectsIdsOutsideTheItemSpace() {
        assertThrows(IllegalArgumentException.class, () -> ItemGraph.build(sessions(new int[] {1, 9}), 5));
        assertThrows(IllegalArgumentException.class, () -> ItemGraph.build(sessions(new int[] {0, 1}), 5));
    }

    @org.junit.jupiter.api.Test
    void plainDegreeRankingOverNodesWithAnEdge() {
        // edges 1->2, 2->3 (twice), 3->2, and 6->2: plain degrees 1:1, 2:3, 3:2, 6:1; item 4 has no edge
        ItemGraph g = ItemGraph.build(sessions(new int[] {1, 2, 3}, new int[] {2, 3, 2}, new int[] {4, 4}, new int[] {6, 2}), 7);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, 3, 1, 6}, g.nodesByPlainDegree());
        // weighted degree ranks every node: 2 (5 transitions), 3 (3), then 1, 6 (1 each), then 4 (0)
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, 3, 1, 6, 4}, g.nodesByDegree());
        LogUniformSampler s = new LogUniformSampler(g, true);
        org.junit.jupiter.api.Assertions.assertEquals(4, s.range());
        org.junit.jupiter.api.Assertions.assertEquals(-1, s.rankOfItem(4));
        org.junit.jupiter.api.Assertions.assertEquals(1, s.rankOfItem(3));
    }
}
