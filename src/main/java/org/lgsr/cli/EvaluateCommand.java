package org.lgsr.cli;

import java.nio.file.Path;
import org.lgsr.data.SessionDataset;
import org.lgsr.eval.Evaluator;
import org.lgsr.eval.Metrics;
import org.lgsr.model.Checkpoint;
import org.lgsr.model.ParamLayout;
import org.lgsr.model.Parameters;
import org.lgsr.model.cpu.CpuScorer;
import org.lgsr.model.cpu.NeuralScorer;
import org.lgsr.model.neural.NeuralLayout;
import org.lgsr.model.neural.NeuralParameters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate a saved model (a checkpoint of lgsr train: the LGSR module or a neural model) on a dataset's test "
                + "samples: P@K and MRR@K, the same figures as the run's report at that epoch.")
final class EvaluateCommand implements Runnable {
    @Option(names = "--model", required = true, paramLabel = "CKPT", description = "A checkpoint (best.lgsr or epoch-N.lgsr).")
    Path model;

    @Option(names = "--dataset", paramLabel = "NAME",
            description = "The dataset (default: the one the model was trained on, by name); it must be that dataset.")
    String dataset;

    @Mixin
    DataOptions data;

    @Mixin
    EvalOptions eval;

    @Override
    public void run() {
        int[] ks = eval.cutoffs();
        int threads = eval.threads();
        Checkpoint c = Checkpoint.read(model);
        String name = dataset != null ? dataset : String.valueOf(c.dataset().getOrDefault("name", "synth"));
        SessionDataset ds = data.load(name);
        c.checkFits(ds, model);
        long t0 = System.nanoTime();
        Metrics m;
        if (c.isNeural()) { // STAMP, GRU4Rec, NARM, SR-GNN or LGSR-H: the engine its run evaluated with
            NeuralParameters p = new NeuralParameters(new NeuralLayout(c.neural()));
            System.arraycopy(c.params(), 0, p.w, 0, p.w.length);
            try (NeuralScorer scorer = new NeuralScorer(c.neural(), p, 512, threads)) {
                m = new Evaluator(ks, threads).evaluate(scorer, ds.test());
            }
        } else {
            Parameters p = new Parameters(new ParamLayout(c.model()));
            System.arraycopy(c.params(), 0, p.w, 0, p.w.length);
            try (CpuScorer scorer = new CpuScorer(c.model(), p, 512, threads)) {
                m = new Evaluator(ks, threads).evaluate(scorer, ds.test());
            }
        }
        System.out.printf("%s (%s, epoch %d) on %s: %s  (%d test samples, %.1f s)%n", model,
                c.isNeural() ? c.label() : c.model().variant().name().toLowerCase().replace('_', '-'),
                c.epoch(), ds.name(), m.summary(), m.count(), (System.nanoTime() - t0) / 1e9);
    }
}
