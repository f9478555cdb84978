package org.lgsr.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.model.Batch;
import org.lgsr.model.cpu.NeuralCpuModel;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.NeuralKind;
import org.lgsr.model.neural.NeuralParameters;
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
 * The neural models' training step on the CPU engine at yoochoose1_64's shape (37,484 items,
 * T = 19, each model's own width and batch: d 100, NARM d 50 and h 100, SR-GNN batch 100),
 * sessions of yoochoose1_64's length distribution (geometric, mean about 4): {@code step} is one
 * forward and backward with the scoring of every item, {@code encoder} the session encoder's
 * forward alone (the part the model adds to the shared scoring layer). On all processors.
 * {@code scripts/bench.sh neural [warmups iterations]} prints samples per second (medians).
 */
public class NeuralStepBench {
    static final int N = 37484, T = 19;

    @State(Scope.Benchmark)
    public static class Model {
        @Param({"gru4rec", "narm", "stamp", "srgnn"})
        public String kind;
        NeuralCpuModel engine;
        NeuralParameters params;
        Batch batch;

        @Setup(Level.Trial)
        public void setup() {
            NeuralKind k = NeuralKind.byName(kind);
            int d = k == NeuralKind.NARM ? 50 : 100, h = k == NeuralKind.NARM ? 100 : d, b = k == NeuralKind.SRGNN ? 100 : 512;
            NeuralConfig cfg = new NeuralConfig(k, N, d, h, T, 1e-5f);
            params = NeuralParameters.init(cfg, 1);
            SplittableRandom rnd = new SplittableRandom(7);
            Sessions.Builder sb = new Sessions.Builder();
            int[] targets = new int[b];
            for (int s = 0; s < b; s++) {
                int len = 1;
                while (len < 25 && rnd.nextDouble() < 0.72) len++;
                int[] ids = new int[len];
                for (int i = 0; i < len; i++) ids[i] = 1 + rnd.nextInt(N - 1);
                sb.add(ids);
                targets[s] = 1 + rnd.nextInt(N - 1);
            }
            batch = Batch.of(new Samples(sb.build(), targets), 0, b, T);
            engine = new NeuralCpuModel(cfg, b, Runtime.getRuntime().availableProcessors());
        }

        @TearDown(Level.Trial)
        public void close() {
            engine.close();
        }
    }

    /** One training step's forward and backward (scores of every item included). */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public double step(Model m) {
        return m.engine.forwardBackward(m.params, m.batch);
    }

    /** The session encoder's forward alone. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public float[] encoder(Model m) {
        m.engine.encode(m.params, m.batch);
        return m.engine.sessionVectors();
    }

    public static void main(String[] args) throws RunnerException {
        int warm = args.length > 0 ? Integer.parseInt(args[0]) : 3, iters = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Options opt = new OptionsBuilder().include(NeuralStepBench.class.getSimpleName()).forks(1).warmupIterations(warm)
                .measurementIterations(iters).warmupTime(TimeValue.seconds(2)).measurementTime(TimeValue.seconds(3))
                .jvmArgsAppend("--add-modules", "jdk.incubator.vector").build();
        for (RunResult r : new Runner(opt).run()) {
            String kind = r.getParams().getParam("kind");
            int b = kind.equals("srgnn") ? 100 : 512;
            List<Double> it = new ArrayList<>();
            r.getBenchmarkResults().forEach(br -> br.getIterationResults().forEach(ir -> it.add(ir.getPrimaryResult().getScore())));
            double[] v = it.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double median = v[v.length / 2];
            String what = r.getParams().getBenchmark().replaceAll(".*\\.", "");
            System.out.printf(Locale.ROOT, "%-8s %-7s batch %d: %.1f calls/s, %.0f samples/s (median of %d; %d processors)%n", kind, what, b, median,
                    median * b, v.length, Runtime.getRuntime().availableProcessors());
        }
    }
}
