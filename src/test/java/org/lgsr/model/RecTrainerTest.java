package org.lgsr.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.eval.Evaluator;
import org.lgsr.eval.Metrics;
import org.lgsr.model.cpu.CpuScorer;
import org.lgsr.model.cpu.RecTrainer;

class RecTrainerTest {
    /** Sessions that walk a fixed cycle of items: the next item is learnable from the last one. */
    private static Samples cyclic(int count, int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        Sessions.Builder b = new Sessions.Builder();
        int[] targets = new int[count];
        for (int s = 0; s < count; s++) {
            int len = 1 + r.nextInt(6);
            int start = 1 + r.nextInt(n - 1);
            int[] in = new int[len];
            for (int i = 0; i < len; i++) in[i] = 1 + (start - 1 + 3 * i) % (n - 1);
            b.add(in);
            targets[s] = 1 + (start - 1 + 3 * len) % (n - 1);
        }
        return new Samples(b.build(), targets);
    }

    @Test
    void learnsAndIsDeterministic() {
        int n = 60;
        ModelConfig cfg = new ModelConfig(n, 16, 5, 0.1f, 1e-6f, Variant.LGSR_C, true);
        Samples train = cyclic(2000, n, 1);
        Samples test = cyclic(300, n, 2);
        RecTrainer.Config tc = new RecTrainer.Config(64, 7, 2, org.lgsr.model.LearningRate.constant(1e-2));
        float[] w1;
        double last = 0, firstLoss = 0;
        Metrics m;
        try (RecTrainer t = new RecTrainer(cfg, tc, train.size())) {
            for (int e = 0; e < 4; e++) {
                RecTrainer.EpochStats s = t.trainEpoch(train, 0);
                if (e == 0) firstLoss = s.meanLoss();
                last = s.meanLoss();
                assertEquals(train.size(), s.samples());
            }
            w1 = t.parameters().w.clone();
            try (CpuScorer sc = t.scorer()) {
                m = new Evaluator(new int[] {20}, 1).evaluate(sc, test);
            }
        }
        assertTrue(last < 0.5 * firstLoss, "loss should fall: " + firstLoss + " -> " + last);
        assertTrue(m.precision(20) > 90, "P@20 on a learnable cycle: " + m.precision(20));
        try (RecTrainer t = new RecTrainer(cfg, tc, train.size())) {
            for (int e = 0; e < 4; e++) t.trainEpoch(train, 0);
            assertArrayEquals(w1, t.parameters().w, "same seed, same parameters");
        }
    }

    @Test
    void scorerMatchesReference() {
        ModelConfig cfg = new ModelConfig(90, 12, 6, 0.3f, 1e-6f, Variant.LGSR_C, true);
        Samples s = ModelTestData.samples(10, cfg.numItems(), cfg.maxLen(), 3);
        Parameters p = Parameters.init(cfg, 5);
        float[] out = new float[10 * cfg.numItems()];
        try (CpuScorer sc = new CpuScorer(cfg, p, 10, 1)) {
            sc.score(s, 0, 10, out);
        }
        double[] th = p.weightsAsDouble();
        double[][] sf = new ReferenceModel(cfg).sessionEmbeddings(th, Batch.of(s, 0, 10, cfg.maxLen()));
        for (int b = 0; b < 10; b++) {
            for (int j = 1; j < cfg.numItems(); j++) {
                double z = 0;
                for (int c = 0; c < cfg.dim(); c++) z += sf[b][c] * th[j * cfg.dim() + c];
                assertEquals(z, out[b * cfg.numItems() + j], 1e-5 * (1 + Math.abs(z)));
            }
        }
    }
}
