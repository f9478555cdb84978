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
 * {@code java -cp target/lgsr.jar org.lgsr.bench.GraphBench [dataset] [dataRoot] [batches]}.
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
        for (int th : threads > 1 ? new int[] {1, threads} : new int[] {1}) {
            RandomWalks.Config c = RandomWalks.Config.defaults().withThreads(th);
            for (int rep = 0; rep < 3; rep++) {
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
        for (int negatives : new int[] {512, 16}) {
            for (AdamTf.Mode mode : AdamTf.Mode.values()) {
                GlobalEncoder.Config c = GlobalEncoder.Config.defaults().withNegatives(negatives).withAdam(mode).withThreads(threads);
                int d = c.dim();
                float[] e = new float[data.numItems() * d];
                java.util.SplittableRandom r = new java.util.SplittableRandom(1);
                for (int i = d; i < e.length; i++) e[i] = (float) ((2 * r.nextDouble() - 1) * 0.1);
                float[] grad = new float[e.length];
                try (GlobalEncoder enc = new GlobalEncoder(g, c);
                     EmbeddingAdam adam = new EmbeddingAdam(e, 0, grad, 0, data.numItems(), d, mode, 1e-3, threads)) {
                    int warm = negatives == 512 ? 2 : 20;
                    enc.trainPass(walks, 0, e, 0, grad, 0, 1e-3, adam, warm);
                    int n = negatives == 512 ? batches : batches * 20;
                    GlobalEncoder.PassStats st = enc.trainPass(walks, 1, e, 0, grad, 0, 1e-3, adam, n);
                    System.out.printf("skip-gram N_s=%d, Adam %s, d=%d, batch 8192, %d threads: %d batches, %.0f pairs/s (%.1f ms/batch), loss %.4f; a pass would take %.0f s%n",
                            negatives, mode, d, threads, st.batches(), st.pairsPerSecond(), st.seconds() * 1e3 / st.batches(),
                            st.meanLoss(), pairs / st.pairsPerSecond());
                }
            }
        }
    }
}
