package org.lgsr.graph;

import java.util.Arrays;
import org.lgsr.data.Sessions;

/**
 * The directed, weighted cross-session item graph of MODEL.md 3.1 (paper 2.3), in compressed
 * sparse rows indexed by item id.
 *
 * <p>Nodes are the items that occur in the training sessions ({@code all_train_seq}). There is
 * an edge {@code u -> v} for every consecutive pair {@code (u, v)} with {@code u != v} in any
 * session; its count is the number of such pairs and its weight is the count divided by the
 * total count of {@code u}'s out-edges [code], so the weights of every node with out-edges sum
 * to 1. A node may have no out-edges (it only ever ends sessions or repeats itself); a walk
 * stops there.
 *
 * <p>Invariants: the out-edges of item {@code u} are {@code targets[edgeStart(u) ..
 * edgeStart(u+1))}, sorted by target id, with no duplicates; {@code offsets.length ==
 * numItems + 1}; ids not occurring in the sessions have no edges and are not nodes.
 *
 * <p>Degree, used to rank nodes for the log-uniform negative sampler (rank 0 = highest
 * degree): the <em>weighted total degree</em>, the number of transitions (with {@code u != v})
 * into and out of the node, counted with multiplicity; ties go to the smaller item id. It
 * stands in for node frequency, which the log-uniform (Zipf) distribution assumes the class
 * ids are sorted by.
 */
public final class ItemGraph {
    private final int numItems;
    private final int[] nodes;          // item ids that occur, ascending
    private final int[] offsets;        // item -> first edge index, length numItems + 1
    private final int[] targets;        // edge -> target item
    private final int[] counts;         // edge -> raw count
    private final double[] weights;     // edge -> count / out-count of its source
    private final long[] degree;        // item -> weighted in + out degree
    private final int[] byDegree;       // rank -> item

    private ItemGraph(int numItems, int[] nodes, int[] offsets, int[] targets, int[] counts, double[] weights,
                      long[] degree, int[] byDegree) {
        this.numItems = numItems;
        this.nodes = nodes;
        this.offsets = offsets;
        this.targets = targets;
        this.counts = counts;
        this.weights = weights;
        this.degree = degree;
        this.byDegree = byDegree;
    }

    /**
     * Builds the graph of {@code sessions}; {@code numItems} is the size of the item id space
     * (largest id + 1), which the CSR rows are indexed by.
     */
    public static ItemGraph build(Sessions sessions, int numItems) {
        int[] items = sessions.items();
        int[] off = sessions.offsets();
        for (int v : items) {
            if (v < 1 || v >= numItems) {
                throw new IllegalArgumentException("item id " + v + " outside 1.." + (numItems - 1));
            }
        }
        boolean[] present = new boolean[numItems];
        for (int v : items) present[v] = true;
        // pairs packed as (u << 32 | v), sorted: equal pairs become runs, rows come out sorted
        long pairCount = 0;
        for (int s = 0; s < sessions.size(); s++) {
            for (int k = off[s] + 1; k < off[s + 1]; k++) {
                if (items[k - 1] != items[k]) pairCount++;
            }
        }
        if (pairCount > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("too many transitions: " + pairCount);
        long[] pairs = new long[(int) pairCount];
        int p = 0;
        for (int s = 0; s < sessions.size(); s++) {
            for (int k = off[s] + 1; k < off[s + 1]; k++) {
                int u = items[k - 1];
                int v = items[k];
                if (u != v) pairs[p++] = ((long) u << 32) | v;
            }
        }
        Arrays.sort(pairs);
        int edges = 0;
        for (int i = 0; i < pairs.length; i++) {
            if (i == 0 || pairs[i] != pairs[i - 1]) edges++;
        }
        int[] offsets = new int[numItems + 1];
        int[] targets = new int[edges];
        int[] counts = new int[edges];
        long[] degree = new long[numItems];
        int e = -1;
        for (int i = 0; i < pairs.length; i++) {
            int u = (int) (pairs[i] >>> 32);
            int v = (int) pairs[i];
            if (i == 0 || pairs[i] != pairs[i - 1]) {
                e++;
                targets[e] = v;
                offsets[u + 1]++;
            }
            counts[e]++;
            degree[u]++;
            degree[v]++;
        }
        for (int u = 0; u < numItems; u++) offsets[u + 1] += offsets[u];
        double[] weights = new double[edges];
        for (int u = 0; u < numItems; u++) {
            long total = 0;
            for (int k = offsets[u]; k < offsets[u + 1]; k++) total += counts[k];
            for (int k = offsets[u]; k < offsets[u + 1]; k++) weights[k] = counts[k] / (double) total;
        }
        int n = 0;
        for (boolean b : present) if (b) n++;
        int[] nodes = new int[n];
        n = 0;
        for (int v = 0; v < numItems; v++) if (present[v]) nodes[n++] = v;
        // rank by degree descending, ties by id ascending: sort (-degree, id) packed keys
        long[] keys = new long[nodes.length];
        for (int i = 0; i < nodes.length; i++) {
            long d = degree[nodes[i]];
            if (d >= (1L << 31)) throw new IllegalArgumentException("degree too large: " + d);
            keys[i] = ((Integer.MAX_VALUE - d) << 32) | nodes[i];
        }
        Arrays.sort(keys);
        int[] byDegree = new int[nodes.length];
        for (int i = 0; i < keys.length; i++) byDegree[i] = (int) keys[i];
        return new ItemGraph(numItems, nodes, offsets, targets, counts, weights, degree, byDegree);
    }

    /** Size of the item id space (largest id + 1). */
    public int numItems() {
        return numItems;
    }

    public int numNodes() {
        return nodes.length;
    }

    public int numEdges() {
        return targets.length;
    }

    /** The nodes (item ids occurring in the sessions), ascending; callers must not modify. */
    public int[] nodes() {
        return nodes;
    }

    public boolean isNode(int item) {
        return item > 0 && item < numItems && Arrays.binarySearch(nodes, item) >= 0;
    }

    public int outDegree(int item) {
        return offsets[item + 1] - offsets[item];
    }

    /** Index of the first out-edge of {@code item} in {@link #targets()} / {@link #weights()}. */
    public int edgeStart(int item) {
        return offsets[item];
    }

    /** CSR row offsets, length numItems + 1; callers must not modify. */
    public int[] offsets() {
        return offsets;
    }

    public int[] targets() {
        return targets;
    }

    /** Normalized edge weights (sum 1 over each node's out-edges). */
    public double[] weights() {
        return weights;
    }

    /** Raw edge counts. */
    public int[] counts() {
        return counts;
    }

    /** Weight of edge {@code u -> v}, 0 when absent. */
    public double weight(int u, int v) {
        int k = Arrays.binarySearch(targets, offsets[u], offsets[u + 1], v);
        return k >= 0 ? weights[k] : 0.0;
    }

    /** Weighted in + out degree of {@code item} (transitions touching it). */
    public long degree(int item) {
        return degree[item];
    }

    /**
     * The ranking of the authors' sampler (MODEL.md 4, [code]): the nodes that have at least one edge, by plain
     * (unweighted) degree, the number of distinct edges in and out, descending; ties by id ascending (the
     * authors' tie order is their graph library's insertion order, not reproduced). A new array.
     */
    public int[] nodesByPlainDegree() {
        int[] deg = new int[numItems];
        for (int u : nodes) {
            for (int k = offsets[u]; k < offsets[u + 1]; k++) {
                deg[u]++;
                deg[targets[k]]++;
            }
        }
        int m = 0;
        for (int u : nodes) if (deg[u] > 0) m++;
        long[] keys = new long[m];
        m = 0;
        for (int u : nodes) if (deg[u] > 0) keys[m++] = ((long) (Integer.MAX_VALUE - deg[u]) << 32) | u;
        Arrays.sort(keys);
        int[] out = new int[m];
        for (int i = 0; i < m; i++) out[i] = (int) keys[i];
        return out;
    }

    /** Nodes by rank: {@code byDegree()[0]} has the highest degree; callers must not modify. */
    public int[] nodesByDegree() {
        return byDegree;
    }
}
