package org.lgsr.bench;

import java.nio.file.Path;
import java.nio.file.Paths;
import org.lgsr.data.Datasets;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.Sessions;
import org.lgsr.graph.AdamTf;
import org.lgsr.graph.AliasTable;
import org.lgsr.graph.EmbeddingAdam;
import org.lgsr.graph.GlobalEncoder;
import org.lgsr.graph.ItemGraph;
import org.lgsr.graph.RandomWalks;
import org.lgsr.graph.SkipGramPairs;

/**
 * Speed of the global module's CPU path on a real dataset: graph and alias tables, walk
 * generation (walks/s, steps/s) for 1 and all threads, and skip-gram training (pairs/s) with
 * 512 and a small number of negatives, dense (exact TF) and lazy Adam. A main-class harness:
 * {@code java -cp target/lgsr.jar org.lgsr.bench.GraphBench [dataset] [dataRoot] [batches] [reps]}, with
 * system properties {@code lgsr.bench.negatives} (N_s list, default 512,16),
 * {@code lgsr.bench.compare} (true: the scalar and the vector Adam alternately, medians of reps)
 * and {@code lgsr.bench.walkReps} (default 3).
 */
public final class GraphBench {
    private GraphBench() {
    }

    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "yoochoose64";
        Path root = args.length > 1 ? Paths.get(args[1]) : Paths.get("/work/shared/data");
        int batches = args.length > 2 ? Integer.parseInt(args[2]) : 6;
        int threads = Runtime.getRuntime().availableProcessors();
        SessionDataset data = Datasets.load(name, root);
        Sessions train = data.trainSessions();
        long t0 = System.nanoTime();
        ItemGraph g = ItemGraph.build(train, data.numItems());
        long t1 = System.nanoTime();
        AliasTable alias = AliasTable.of(g);
        long t2 = System.nanoTime();
        System.out.printf("%s: %d sessions, %d nodes, %d edges; graph %.1f ms, alias tables %.1f ms; %d threads%n",
                name, train.size(), g.numNodes(), g.numEdges(), (t1 - t0) * 1e-6, (t2 - t1) * 1e-6, threads);
        Sessions walks = null;
        int walkReps = Integer.getInteger("lgsr.bench.walkReps", 3); // 1: one run with all threads only
        for (int th : threads > 1 && walkReps > 1 ? new int[] {1, threads} : new int[] {threads}) {
            RandomWalks.Config c = RandomWalks.Config.defaults().withThreads(th);
            for (int rep = 0; rep < walkReps; rep++) {
                long a = System.nanoTime();
                walks = RandomWalks.generate(g, alias, c);
                double s = (System.nanoTime() - a) * 1e-9;
                long steps = walks.totalItems() - walks.size();
                System.out.printf("walks T=13 L=50, %d thread(s), run %d: %d walks, %d steps in %.3f s: %.0f walks/s, %.2f M steps/s%n",
                        th, rep, walks.size(), steps, s, walks.size() / s, steps / s * 1e-6);
            }
        }
        long pairs = SkipGramPairs.count(walks, 8);
        System.out.printf("pairs per pass: %d (%.0f batches of 8192), mean walk length %.1f%n", pairs, pairs / 8192.0,
                walks.totalItems() / (double) walks.size());
        // -Dlgsr.bench.negatives=512,64 picks the N_s values; -Dlgsr.bench.compare=true runs the
        // scalar Adam (Adam.useVector(false)) and the Vector API one alternately, reps times
        int[] negs = java.util.Arrays.stream(System.getProperty("lgsr.bench.negatives", "512,16").split(","))
                .mapToInt(Integer::parseInt).toArray();
        boolean compare = Boolean.getBoolean("lgsr.bench.compare");
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        for (int negatives : negs) {
            for (AdamTf.Mode mode : AdamTf.Mode.values()) {
                if (negatives != 512 && mode == AdamTf.Mode.DENSE && compare) continue;
                java.util.List<Double> oldRates = new java.util.ArrayList<>(), newRates = new java.util.ArrayList<>();
                for (int rep = 0; rep < reps; rep++) {
                    for (boolean vector : compare ? new boolean[] {false, true} : new boolean[] {true}) {
                        org.lgsr.cpu.Adam.useVector(vector);
                        double rate = trainRun(g, walks, data.numItems(), negatives, mode, threads, batches, pairs);
                        (vector ? newRates : oldRates).add(rate);
                    }
                }
                if (compare) {
                    double o = median(oldRates), nw = median(newRates);
                    System.out.printf("SUMMARY N_s=%d Adam %s: scalar Adam median %.0f pairs/s, vector median %.0f pairs/s, ratio %.2f (%d reps)%n",
                            negatives, mode, o, nw, nw / o, reps);
                }
            }
        }
    }

    private static double median(java.util.List<Double> x) {
        double[] a = x.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : 0.5 * (a[a.length / 2 - 1] + a[a.length / 2]);
    }

    private static double trainRun(ItemGraph g, Sessions walks, int numItems, int negatives, AdamTf.Mode mode, int threads,
                                   int batches, long pairs) {
        GlobalEncoder.Config c = GlobalEncoder.Config.defaults().withNegatives(negatives).withAdam(mode).withThreads(threads);
        int d = c.dim();
        float[] e = new float[numItems * d];
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        for (int i = d; i < e.length; i++) e[i] = (float) ((2 * r.nextDouble() - 1) * 0.1);
        float[] grad = new float[e.length];
        try (GlobalEncoder enc = new GlobalEncoder(g, c);
             EmbeddingAdam adam = new EmbeddingAdam(e, 0, grad, 0, numItems, d, mode, 1e-3, threads)) {
            int warm = negatives == 512 ? 2 : 20;
            enc.trainPass(walks, 0, e, 0, grad, 0, 1e-3, adam, warm);
            long[] before = enc.phaseNanos();
            int n = negatives == 512 ? batches : batches * 20;
            GlobalEncoder.PassStats st = enc.trainPass(walks, 1, e, 0, grad, 0, 1e-3, adam, n);
            long[] after = enc.phaseNanos();
            double[] ms = new double[after.length];
            for (int i = 0; i < ms.length; i++) ms[i] = (after[i] - before[i]) * 1e-6 / st.batches();
            System.out.printf("skip-gram N_s=%d, Adam %s, d=%d, batch 8192, %d threads, %s loss: %d batches, %.0f pairs/s (%.1f ms/batch:"
                            + " sample %.1f, loss %.1f, collect %.1f, theta Adam %.1f, E step %.1f), loss %.4f; a pass would take %.0f s%n",
                    negatives, mode, d, threads, enc.vectorLoss() ? "vector" : "scalar", st.batches(), st.pairsPerSecond(),
                    st.seconds() * 1e3 / st.batches(), ms[0], ms[1], ms[2], ms[3], ms[4], st.meanLoss(), pairs / st.pairsPerSecond());
            return st.pairsPerSecond();
        }
    }
}
