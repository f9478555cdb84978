package org.lgsr.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.Parameters;
import org.lgsr.model.Variant;
import org.lgsr.model.cpu.Recommender;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
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
 * {@code lgsr recommend}'s throughput on the CPU: a LGSR-C model of yoochoose1_64's shape
 * (37,484 items, d = 100, T = 19), random sessions of 1 to 10 items, the top 20 of every item
 * for {@code batch} sessions per call (1: one request at a time; 512: batch mode), on all
 * processors. {@code java --add-modules jdk.incubator.vector -cp target/lgsr.jar
 * org.lgsr.bench.RecommendBench [warmups iterations]} prints sessions per second (medians).
 */
public class RecommendBench {
    static final int N = 37484, D = 100, T = 19;

    @State(Scope.Benchmark)
    public static class Model {
        @Param({"1", "512"})
        public int batch;
        Recommender rec;
        List<int[]> sessions;
        int[][] items;
        float[][] scores;

        @Setup(Level.Trial)
        public void setup() {
            ModelConfig cfg = new ModelConfig(N, D, T, 0.3f, 1e-5f, Variant.LGSR_C, true);
            rec = new Recommender(cfg, Parameters.init(cfg, 1), batch, Runtime.getRuntime().availableProcessors());
            SplittableRandom rnd = new SplittableRandom(7);
            sessions = new ArrayList<>();
            for (int s = 0; s < batch; s++) {
                int[] ids = new int[1 + rnd.nextInt(10)];
                for (int i = 0; i < ids.length; i++) ids[i] = 1 + rnd.nextInt(N - 1);
                sessions.add(ids);
            }
            items = new int[batch][];
            scores = new float[batch][];
        }

        @TearDown(Level.Trial)
        public void close() {
            rec.close();
        }
    }

    /** One call: {@code batch} sessions scored against every item, top 20 kept. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int[][] recommend(Model m) {
        m.rec.recommend(m.sessions, 20, false, m.items, m.scores);
        return m.items;
    }

    public static void main(String[] args) throws RunnerException {
        int warm = args.length > 0 ? Integer.parseInt(args[0]) : 3, iters = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Options opt = new OptionsBuilder().include(RecommendBench.class.getSimpleName()).forks(1).warmupIterations(warm)
                .measurementIterations(iters).warmupTime(TimeValue.seconds(2)).measurementTime(TimeValue.seconds(3))
                .jvmArgsAppend("--add-modules", "jdk.incubator.vector").build();
        for (RunResult r : new Runner(opt).run()) {
            int batch = Integer.parseInt(r.getParams().getParam("batch"));
            List<Double> it = new ArrayList<>();
            r.getBenchmarkResults().forEach(br -> br.getIterationResults().forEach(ir -> it.add(ir.getPrimaryResult().getScore())));
            double[] v = it.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double median = v[v.length / 2];
            System.out.printf(Locale.ROOT, "recommend, batch %d: %.0f calls/s, %.0f sessions/s (median of %d; %d processors)%n", batch, median,
                    median * batch, v.length, Runtime.getRuntime().availableProcessors());
        }
    }
}
