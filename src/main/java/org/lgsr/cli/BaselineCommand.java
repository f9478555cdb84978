package org.lgsr.cli;

import org.lgsr.baselines.Baselines;
import org.lgsr.data.SessionDataset;
import org.lgsr.eval.BatchScorer;
import org.lgsr.eval.Evaluator;
import org.lgsr.eval.Metrics;
import org.lgsr.eval.PaperNumbers;
import org.lgsr.gpu.Device;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "baseline", mixinStandardHelpOptions = true,
        description = "Evaluate a simple baseline (POP, S-POP, Item-KNN) and print it beside the paper's Table 2.")
final class BaselineCommand implements Runnable {
    @Option(names = "--method", required = true, paramLabel = "METHOD", description = "pop, spop or itemknn.")
    String method;

    @Mixin
    DataOptions.Choice dataset;

    @Option(names = "--knn-include-self", description = "Item-KNN: also recommend the session's last item (off: the paper's baseline).")
    boolean knnIncludeSelf;


    @Mixin
    EvalOptions eval;

    @Option(names = "--report", paramLabel = "FILE",
            description = "Also write the result as a JSON report (the shape of a training report's test figures).")
    java.nio.file.Path report;

    @Mixin
    DeviceOptions device;

    @Override
    public void run() {
        if (!Baselines.METHODS.contains(method)) {
            throw new IllegalArgumentException("--method: unknown baseline '" + method + "'; known: " + String.join(", ", Baselines.METHODS));
        }
        int[] ks = eval.cutoffs();
        if (report != null) OutputPaths.checkWritable(report, "--report");
        if (device.resolve() == Device.GPU) {
            System.err.println("baselines have no GPU path: " + method + " computes on the CPU");
        }
        SessionDataset ds = dataset.load();
        long t0 = System.nanoTime();
        BatchScorer scorer = Baselines.create(method, ds, knnIncludeSelf);
        Metrics m = new Evaluator(ks, eval.threads()).evaluate(scorer, ds.test());
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%s on %s: %s  (%d test samples, %.1f s)%n", method, ds.name(), m.summary(), m.count(), secs);
        if (report != null) writeReport(ds, m, ks, secs);
        PaperNumbers.Pair paper = PaperNumbers.get(method, ds.name());
        if (paper == null) {
            System.out.println("paper: no published figure for this dataset");
        } else if (contains(ks, 20)) {
            System.out.printf("paper: P@20 %.2f  MRR@20 %.2f   difference: P@20 %+.2f  MRR@20 %+.2f%n", paper.p20(), paper.mrr20(),
                    m.precision(20) - paper.p20(), m.mrr(20) - paper.mrr20());
        } else {
            System.out.printf("paper: P@20 %.2f  MRR@20 %.2f (add 20 to --k to compare)%n", paper.p20(), paper.mrr20());
        }
    }

    private void writeReport(SessionDataset ds, Metrics m, int[] ks, double secs) {
        java.util.Map<String, Object> r = new java.util.LinkedHashMap<>();
        r.put("command", "lgsr baseline --method " + method + " --dataset " + ds.name() + (knnIncludeSelf ? " --knn-include-self" : ""));
        r.put("status", "completed");
        java.util.Map<String, Object> cfg = new java.util.LinkedHashMap<>();
        cfg.put("dataset", ds.name());
        cfg.put("method", method);
        cfg.put("knnIncludeSelf", knnIncludeSelf);
        cfg.put("ks", ks);
        r.put("config", cfg);
        java.util.Map<String, Object> dsInfo = new java.util.LinkedHashMap<>();
        dsInfo.put("name", ds.name());
        dsInfo.put("testSamples", m.count());
        dsInfo.put("numItems", ds.numItems());
        r.put("dataset", dsInfo);
        r.put("gitCommit", org.lgsr.report.Provenance.gitCommit());
        r.put("machine", org.lgsr.report.Provenance.machine());
        java.util.Map<String, Object> test = new java.util.LinkedHashMap<>(), best = new java.util.LinkedHashMap<>();
        for (int k : ks) {
            test.put("P@" + k, m.precision(k));
            test.put("MRR@" + k, m.mrr(k));
        }
        // a baseline has no epochs: its figures are the "best" of a training report, at epoch 0
        for (java.util.Map.Entry<String, Object> e : test.entrySet()) best.put(e.getKey(), java.util.Map.of("epoch", 0, "value", e.getValue()));
        r.put("test", test);
        r.put("bestTest", best);
        r.put("wallSeconds", secs);
        org.lgsr.report.Json.write(report, r);
        System.out.println("report: " + report);
    }

    static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) return true;
        }
        return false;
    }
}
