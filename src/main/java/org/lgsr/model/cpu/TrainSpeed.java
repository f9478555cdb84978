package org.lgsr.model.cpu;

import java.nio.file.Path;
import org.lgsr.data.PickleIO;
import org.lgsr.data.Samples;
import org.lgsr.eval.Evaluator;
import org.lgsr.eval.Metrics;
import org.lgsr.model.ModelConfig;

/**
 * Speed harness (not the CLI): trains LGSR-C on a dataset folder for a number of steps (0 = one
 * full epoch), prints samples/second and the per-phase times, and optionally evaluates P@20 and
 * MRR@20 on test.txt. Usage: {@code TrainSpeed <dataDir> <steps> <threads> [eval] [constant]}
 * (constant: learning rate 1e-3 throughout instead of the reference staircase).
 */
public final class TrainSpeed {
    private TrainSpeed() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int steps = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        boolean eval = java.util.Arrays.asList(args).contains("eval");
        boolean constant = java.util.Arrays.asList(args).contains("constant");
        Samples train = Samples.fromSessions(PickleIO.readSessions(dir.resolve("all_train_seq.txt")));
        Samples test = PickleIO.readSamples(dir.resolve("test.txt"));
        int n = Math.max(train.inputs().maxItem(), test.inputs().maxItem());
        for (int t : train.targets()) n = Math.max(n, t);
        for (int t : test.targets()) n = Math.max(n, t);
        n += 1;
        ModelConfig cfg = ModelConfig.defaults(n);
        System.out.printf("train %d samples, test %d, numItems %d, threads %d, lr %s, cores %d, kernels: %s%n", train.size(), test.size(), n, threads, constant ? "constant 1e-3" : "staircase 1e-3", Runtime.getRuntime().availableProcessors(), Simd.describe());
        RecTrainer.Config tc = new RecTrainer.Config(512, 1, threads, constant ? org.lgsr.model.LearningRate.constant(1e-3) : org.lgsr.model.LearningRate.staircase(1e-3, train.size()));
        try (RecTrainer t = new RecTrainer(cfg, tc, train.size())) {
            if (steps > 0) {
                // a short warm-up so the timed steps run JIT-compiled code
                System.out.println("warm-up: " + t.trainEpoch(train, 3));
            }
            RecTrainer.EpochStats s = t.trainEpoch(train, steps);
            System.out.println(s);
            if (eval) {
                long t0 = System.nanoTime();
                try (CpuScorer sc = t.scorer()) {
                    Metrics m = new Evaluator(10, 20).evaluate(sc, test);
                    System.out.printf("test: P@20 %.2f MRR@20 %.2f P@10 %.2f MRR@10 %.2f (%.1f s)%n", m.precision(20), m.mrr(20), m.precision(10), m.mrr(10), (System.nanoTime() - t0) * 1e-9);
                }
            }
        }
    }
}
