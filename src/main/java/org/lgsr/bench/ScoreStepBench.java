package org.lgsr.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.lgsr.model.cpu.ScoreLayer;
import org.lgsr.model.cpu.Simd;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The scoring layer of a training step against the machine's FP32 peak.
 * <ul>
 *   <li>{@code peak}: one JMH thread per available processor, each running 12 independent
 *       FloatVector.fma chains held in registers; reported in fma-chain steps per second,
 *       i.e. GFLOP/s = ops/s x 2 x lanes x 12 x ITER / 1e9 (printed by {@link #main}).</li>
 *   <li>{@code scoreStep}: B = 512 sessions, d = 100, n = 37484 items (yoochoose1_64), random
 *       data: pack E, scores, softmax cross-entropy, dE and dsf, on all processors; achieved
 *       GFLOP/s = 3 (2 B d n) / time.</li>
 * </ul>
 * {@code java --add-modules jdk.incubator.vector -cp target/lgsr.jar org.lgsr.bench.ScoreStepBench [warmups iterations]}
 * runs both through the JMH Runner API and prints "peak X GFLOP/s, score step Y GFLOP/s = Z% of
 * peak"; the benchmarks also run from the JMH command line ({@code org.openjdk.jmh.Main ScoreStep}).
 */
public class ScoreStepBench {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** fma steps per chain per operation of the peak benchmark. */
    static final int ITER = 1 << 16;
    static final int CHAINS = 12;
    static final int B = 512, D = 100, N = 37484;

    /** Floating-point operations of one peak operation. */
    public static double peakFlopsPerOp() {
        return 2.0 * S.length() * CHAINS * (double) ITER;
    }

    @State(Scope.Thread)
    public static class PeakState {
        float[] init = new float[CHAINS * 16 + 2 * 16];

        @Setup
        public void setup() {
            for (int i = 0; i < init.length; i++) init[i] = 1e-3f * (i % 7);
        }
    }

    @Benchmark
    @Threads(Threads.MAX)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public float peak(PeakState st) {
        float[] a = st.init;
        int L = S.length();
        FloatVector x0 = FloatVector.fromArray(S, a, 0), x1 = FloatVector.fromArray(S, a, L), x2 = FloatVector.fromArray(S, a, 2 * L);
        FloatVector x3 = FloatVector.fromArray(S, a, 3 * L), x4 = FloatVector.fromArray(S, a, 4 * L), x5 = FloatVector.fromArray(S, a, 5 * L);
        FloatVector x6 = FloatVector.fromArray(S, a, 6 * L), x7 = FloatVector.fromArray(S, a, 7 * L), x8 = FloatVector.fromArray(S, a, 8 * L);
        FloatVector x9 = FloatVector.fromArray(S, a, 9 * L), x10 = FloatVector.fromArray(S, a, 10 * L), x11 = FloatVector.fromArray(S, a, 11 * L);
        FloatVector m = FloatVector.broadcast(S, 0.9999f), c = FloatVector.broadcast(S, 1e-4f);
        for (int i = 0; i < ITER; i++) {
            x0 = x0.fma(m, c);
            x1 = x1.fma(m, c);
            x2 = x2.fma(m, c);
            x3 = x3.fma(m, c);
            x4 = x4.fma(m, c);
            x5 = x5.fma(m, c);
            x6 = x6.fma(m, c);
            x7 = x7.fma(m, c);
            x8 = x8.fma(m, c);
            x9 = x9.fma(m, c);
            x10 = x10.fma(m, c);
            x11 = x11.fma(m, c);
        }
        FloatVector s = x0.add(x1).add(x2).add(x3).add(x4).add(x5).add(x6).add(x7).add(x8).add(x9).add(x10).add(x11);
        return s.lane(0) + s.lane(L - 1);
    }

    @State(Scope.Benchmark)
    public static class StepState {
        ScoreLayer layer;
        float[] sf, e, g, dsf;
        int[] target;

        @Setup(Level.Trial)
        public void setup() {
            SplittableRandom r = new SplittableRandom(7);
            sf = new float[B * D];
            e = new float[N * D];
            g = new float[N * D];
            dsf = new float[B * D];
            target = new int[B];
            for (int i = 0; i < sf.length; i++) sf[i] = (float) (r.nextDouble() - 0.5);
            for (int i = D; i < e.length; i++) e[i] = (float) (0.2 * (r.nextDouble() - 0.5));
            for (int b = 0; b < B; b++) target[b] = 1 + r.nextInt(N - 1);
            layer = new ScoreLayer(B, D, N, Runtime.getRuntime().availableProcessors());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            layer.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public double scoreStep(StepState st) {
        return st.layer.step(st.sf, st.e, st.target, st.g, st.dsf);
    }

    public static void main(String[] args) throws RunnerException {
        int warmups = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        System.out.println("kernels: " + Simd.describe() + ", processors " + Runtime.getRuntime().availableProcessors());
        Options opt = new OptionsBuilder()
                .include(ScoreStepBench.class.getName() + "\\.(peak|scoreStep)$")
                .forks(1)
                .warmupIterations(warmups)
                .measurementIterations(iterations)
                .warmupTime(TimeValue.seconds(2))
                .measurementTime(TimeValue.seconds(3))
                .jvmArgsAppend("--add-modules", "jdk.incubator.vector", "-Xmx4g")
                .build();
        // medians of the measured iterations: the machine may be shared, and a median is
        // robust to the iterations another process disturbed
        double peakOps = Double.NaN, stepMs = Double.NaN;
        for (RunResult rr : new Runner(opt).run()) {
            String name = rr.getParams().getBenchmark();
            java.util.List<Double> it = new java.util.ArrayList<>();
            rr.getBenchmarkResults().forEach(br -> br.getIterationResults().forEach(ir -> it.add(ir.getPrimaryResult().getScore())));
            java.util.Collections.sort(it);
            double med = it.isEmpty() ? rr.getPrimaryResult().getScore()
                    : it.size() % 2 == 1 ? it.get(it.size() / 2) : 0.5 * (it.get(it.size() / 2 - 1) + it.get(it.size() / 2));
            if (name.endsWith(".peak")) peakOps = med;
            else if (name.endsWith(".scoreStep")) stepMs = med;
        }
        double peak = peakOps * peakFlopsPerOp() * 1e-9;
        double step = 3.0 * 2.0 * B * D * N / (stepMs * 1e-3) * 1e-9;
        System.out.printf("peak %.1f GFLOP/s, score step %.1f GFLOP/s = %.1f%% of peak (median %.2f ms per step of B=%d, d=%d, n=%d)%n",
                peak, step, 100 * step / peak, stepMs, B, D, N);
    }
}
