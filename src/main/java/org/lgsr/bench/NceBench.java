package org.lgsr.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.lgsr.data.Datasets;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.Sessions;
import org.lgsr.graph.AdamTf;
import org.lgsr.graph.EmbeddingAdam;
import org.lgsr.graph.GlobalEncoder;
import org.lgsr.graph.ItemGraph;
import org.lgsr.graph.RandomWalks;
import org.lgsr.graph.SkipGramPairs;
import org.lgsr.model.cpu.Simd;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * One full L_g batch of the CPU engine at the paper's settings against the machine's FP32 peak,
 * in the same run. {@code batch}: {@code GlobalEncoder.trainBatch} on yoochoose1_64 (17376
 * items, d = 100) with 8192 real skip-gram pairs (walks T = 13, L = 50, window 8), N_s = 512
 * negatives drawn by the sampler, the loss, all gradients and the dense TF Adam of theta, the
 * bias and E (EmbeddingAdam, DENSE), on all processors. Its work is counted as
 * 3 x 2 x 8192 x 100 x 513 FLOP (the three dense products, the label column included);
 * the gathers, scatters, the sigmoid/log pass and the Adam steps are not counted.
 * {@code ScoreStepBench.peak} measures the peak (independent fma chains on every processor).
 *
 * <p>{@code java --add-modules jdk.incubator.vector -cp target/lgsr.jar org.lgsr.bench.NceBench
 * [warmups iterations rounds]} ({@code scripts/bench.sh nce}; defaults 3 5 3: the peak and the
 * batch run alternately, rounds times, as the machine may be shared) prints the medians: peak GFLOP/s, ms per
 * batch, achieved GFLOP/s and its share of the peak, pairs per second and the minutes of a
 * yoochoose1_64 pass. The dataset comes from {@code -Dlgsr.bench.data=DIR}, else
 * {@code $LGSR_DATA}, else {@code ../shared/data}; without it the same shapes are made from a
 * random item graph (said in the output).
 */
public class NceBench {
    static final int PAIRS = 8192, D = 100, NEGATIVES = 512;
    /** FLOP of one batch: three products of (8192 x 100) by (100 x 513). */
    public static final double FLOPS = 3.0 * 2.0 * PAIRS * D * (NEGATIVES + 1);
    /** Pairs of one yoochoose1_64 pass at the paper's walk settings (scripts/bench.sh graph prints it). */
    static final double PASS_PAIRS = 114_044_394;
    static final int BATCHES = 16;

    @State(Scope.Benchmark)
    public static class BatchState {
        GlobalEncoder enc;
        EmbeddingAdam eAdam;
        float[] e, eGrad;
        int[][] inputs = new int[BATCHES][PAIRS], labels = new int[BATCHES][PAIRS];
        int next;
        String source;

        @Setup(Level.Trial)
        public void setup() {
            ItemGraph g;
            int numItems;
            Path root = dataRoot();
            if (root != null && Files.isDirectory(root.resolve("yoochoose1_64"))) {
                SessionDataset data = Datasets.load("yoochoose64", root);
                numItems = data.numItems();
                g = ItemGraph.build(data.trainSessions(), numItems);
                source = "yoochoose1_64 from " + root;
            } else {
                numItems = 17377;
                g = ItemGraph.build(randomSessions(numItems), numItems);
                source = "random sessions over " + (numItems - 1) + " items (no yoochoose1_64 found)";
            }
            int threads = Runtime.getRuntime().availableProcessors();
            Sessions walks = RandomWalks.generate(g, RandomWalks.Config.defaults().withThreads(threads));
            SkipGramPairs pairs = new SkipGramPairs(walks, 8, 1L, 0);
            for (int b = 0; b < BATCHES; b++) {
                if (pairs.next(inputs[b], labels[b], PAIRS) != PAIRS) throw new IllegalStateException("too few pairs");
            }
            GlobalEncoder.Config c = GlobalEncoder.Config.defaults().withThreads(threads);
            enc = new GlobalEncoder(g, c);
            e = new float[numItems * D];
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            for (int i = D; i < e.length; i++) e[i] = (float) ((2 * r.nextDouble() - 1) * 0.1);
            eGrad = new float[e.length];
            eAdam = new EmbeddingAdam(e, 0, eGrad, 0, numItems, D, AdamTf.Mode.DENSE, 1e-3, threads);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            enc.close();
            eAdam.close();
            System.out.println();
            System.out.println("data: " + source + "; kernels: " + Simd.describe() + "; loss body "
                    + (enc.vectorLoss() ? "vector" : "plain loops"));
        }
    }

    static Path dataRoot() {
        String p = System.getProperty("lgsr.bench.data");
        if (p == null) p = System.getenv("LGSR_DATA");
        if (p == null && Files.isDirectory(Paths.get("../shared/data"))) p = "../shared/data";
        return p == null ? null : Paths.get(p);
    }

    /** Sessions of 2..9 items, skewed towards low ids (a stand-in when the dataset is absent). */
    static Sessions randomSessions(int numItems) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        int sessions = 120_000;
        int[] off = new int[sessions + 1];
        int[] items = new int[sessions * 9];
        int at = 0;
        for (int q = 0; q < sessions; q++) {
            int len = 2 + r.nextInt(8);
            for (int j = 0; j < len; j++) {
                double u = r.nextDouble();
                items[at++] = 1 + (int) ((numItems - 1) * u * u);
            }
            off[q + 1] = at;
        }
        return new Sessions(off, java.util.Arrays.copyOf(items, at));
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public double batch(BatchState st) {
        int b = st.next;
        st.next = (b + 1) % BATCHES;
        return st.enc.trainBatch(st.inputs[b], st.labels[b], PAIRS, st.e, 0, st.eGrad, 0, 1e-3, st.eAdam);
    }

    static double median(List<Double> x) {
        List<Double> s = new ArrayList<>(x);
        Collections.sort(s);
        int n = s.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : 0.5 * (s.get(n / 2 - 1) + s.get(n / 2));
    }

    public static void main(String[] args) throws RunnerException {
        int warmups = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        System.out.println("kernels: " + Simd.describe() + ", processors " + Runtime.getRuntime().availableProcessors());
        List<String> jvm = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector", "-Xmx4g", "-XX:+UseParallelGC"));
        Path root = dataRoot();
        if (root != null) jvm.add("-Dlgsr.bench.data=" + root.toAbsolutePath());
        // the machine may be shared: the peak and the batch run alternately, rounds times (a fork
        // each), and the medians are over all their measured iterations
        List<Double> peaks = new ArrayList<>(), batches = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (String bench : new String[] {ScoreStepBench.class.getName() + "\\.peak$", NceBench.class.getName() + "\\.batch$"}) {
                Options opt = new OptionsBuilder()
                        .include(bench)
                        .forks(1)
                        .warmupIterations(warmups)
                        .measurementIterations(iterations)
                        .warmupTime(TimeValue.seconds(2))
                        .measurementTime(TimeValue.seconds(3))
                        .jvmArgsAppend(jvm.toArray(new String[0]))
                        .build();
                for (RunResult rr : new Runner(opt).run()) {
                    String name = rr.getParams().getBenchmark();
                    rr.getBenchmarkResults().forEach(br -> br.getIterationResults().forEach(ir ->
                            (name.endsWith(".peak") ? peaks : batches).add(ir.getPrimaryResult().getScore())));
                }
            }
        }
        double peak = median(peaks) * ScoreStepBench.peakFlopsPerOp() * 1e-9;
        double peakMax = Collections.max(peaks) * ScoreStepBench.peakFlopsPerOp() * 1e-9;
        double batchMs = median(batches);
        double got = FLOPS / (batchMs * 1e-3) * 1e-9;
        double pairsPerSecond = PAIRS / (batchMs * 1e-3);
        System.out.printf("peak %.1f GFLOP/s (median of %d iterations; highest %.1f); L_g batch (8192 pairs, d %d, N_s %d, dense Adam of"
                        + " theta, bias and E): median %.2f ms (%d iterations, fastest %.2f) = %.1f GFLOP/s = %.1f%% of the median peak;"
                        + " %.0f pairs/s, %.1f min per yoochoose1_64 pass (%.0f pairs)%n",
                peak, peaks.size(), peakMax, D, NEGATIVES, batchMs, batches.size(), Collections.min(batches), got, 100 * got / peak,
                pairsPerSecond, PASS_PAIRS / pairsPerSecond / 60, PASS_PAIRS);
    }
}
