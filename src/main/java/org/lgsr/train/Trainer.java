package org.lgsr.train;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.lgsr.data.Samples;
import org.lgsr.data.SessionDataset;
import org.lgsr.eval.Evaluator;
import org.lgsr.eval.Metrics;
import org.lgsr.eval.PaperNumbers;
import org.lgsr.model.LearningRate;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.cpu.CpuScorer;
import org.lgsr.model.cpu.RecTrainer;
import org.lgsr.report.Json;
import org.lgsr.report.Provenance;

/**
 * A training run on the CPU engine: epochs of the recommendation module, evaluation on the test
 * samples after each, one line per epoch, the best P@K and MRR@K and their epochs, and a JSON
 * run report rewritten after every epoch (so an interrupted run keeps what it did).
 */
public final class Trainer {
    private final SessionDataset data;
    private final TrainConfig cfg;
    private final PrintStream out;
    private final Path reportFile;
    private final Map<String, Object> report = new LinkedHashMap<>();
    private final List<Map<String, Object>> epochs = new ArrayList<>();

    public Trainer(SessionDataset data, TrainConfig cfg, PrintStream out, Path reportFile) {
        this.data = data;
        this.cfg = cfg;
        this.out = out;
        this.reportFile = reportFile;
    }

    /** The outcome: best figures per cut-off, and whether the run was stopped early. */
    public record Result(Map<String, Object> report, boolean interrupted) {
    }

    public Result run(String commandLine, String device, BooleanSupplier stop) {
        if (cfg.joint()) {
            throw new UnsupportedOperationException("--variant lgsr (joint training with the global encoder) is not implemented yet; use --variant lgsr-c or lgsr-a");
        }
        if (cfg.validation()) {
            throw new UnsupportedOperationException("--validation is not implemented yet");
        }
        Samples train = data.train();
        Samples test = data.test();
        ModelConfig model = cfg.model(data.numItems());
        LearningRate schedule = LearningRate.byName(cfg.lrSchedule(), cfg.lr(), train.size(), cfg.batchSize());

        report.put("command", commandLine);
        report.put("status", "running");
        report.put("started", Instant.now().toString());
        report.put("config", cfg);
        report.put("model", Map.of("variant", cfg.variant(), "aggregation", cfg.sigmoid() ? "sigmoid [paper]" : "hard sigmoid [code]",
                "lossForm", "softmax cross-entropy over all items [code]", "parameters",
                new org.lgsr.model.ParamLayout(model).total()));
        Map<String, Object> ds = new LinkedHashMap<>();
        ds.put("name", data.name());
        ds.put("source", data.source());
        ds.put("trainSamples", train.size());
        ds.put("testSamples", test.size());
        ds.put("numItems", data.numItems());
        ds.put("sha256", data.checksums());
        report.put("dataset", ds);
        report.put("gitCommit", Provenance.gitCommit());
        report.put("machine", Provenance.machine());
        report.put("device", device);
        report.put("epochs", epochs);

        Evaluator evaluator = new Evaluator(cfg.ks(), cfg.threads());
        int[] ks = cfg.ks();
        double[] bestP = new double[ks.length];
        double[] bestM = new double[ks.length];
        int[] bestPEpoch = new int[ks.length];
        int[] bestMEpoch = new int[ks.length];
        boolean interrupted = false;
        long runStart = System.nanoTime();
        RecTrainer.Config tc = new RecTrainer.Config(cfg.batchSize(), cfg.seed(), cfg.threads(), schedule);
        try (RecTrainer trainer = new RecTrainer(model, tc, train.size())) {
            for (int e = 1; e <= cfg.epochs(); e++) {
                long stepsPerEpoch = (train.size() + cfg.batchSize() - 1) / cfg.batchSize();
                long planned = cfg.maxSteps() > 0 ? Math.min((long) cfg.maxSteps() * cfg.batchSize(), train.size()) : train.size();
                RecTrainer.EpochStats st;
                try (EpochProgress bar = new EpochProgress(String.format("epoch %d/%d", e, cfg.epochs()), planned)) {
                    st = trainer.trainEpoch(train, cfg.maxSteps(), bar::update, stop);
                }
                interrupted = stop.getAsBoolean();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("epoch", e);
                row.put("steps", st.steps());
                row.put("samples", st.samples());
                row.put("trainLoss", st.meanLoss());
                row.put("learningRateAtEnd", schedule.at(trainer.parameters().step - 1));
                row.put("trainSeconds", st.seconds());
                row.put("samplesPerSecond", st.samplesPerSecond());
                Map<String, Double> phases = new LinkedHashMap<>();
                for (int i = 0; i < RecTrainer.EpochStats.PHASES.length; i++) phases.put(RecTrainer.EpochStats.PHASES[i], st.phaseSeconds()[i]);
                row.put("phaseSeconds", phases);
                String line = String.format(Locale.ROOT, "epoch %d/%d  loss %.4f", e, cfg.epochs(), st.meanLoss());
                if (st.steps() < stepsPerEpoch) line += String.format(Locale.ROOT, " (%d of %d steps)", st.steps(), stepsPerEpoch);
                boolean evaluate = !interrupted && (e % cfg.evalEvery() == 0 || e == cfg.epochs());
                double evalSecs = 0;
                if (evaluate) {
                    long t0 = System.nanoTime();
                    Metrics m;
                    try (CpuScorer scorer = trainer.scorer()) {
                        m = evaluator.evaluate(scorer, test);
                    }
                    evalSecs = (System.nanoTime() - t0) / 1e9;
                    Map<String, Double> metrics = new LinkedHashMap<>();
                    for (int i = 0; i < ks.length; i++) {
                        double p = m.precision(ks[i]);
                        double r = m.mrr(ks[i]);
                        metrics.put("P@" + ks[i], p);
                        metrics.put("MRR@" + ks[i], r);
                        if (p > bestP[i]) {
                            bestP[i] = p;
                            bestPEpoch[i] = e;
                        }
                        if (r > bestM[i]) {
                            bestM[i] = r;
                            bestMEpoch[i] = e;
                        }
                    }
                    row.put("test", metrics);
                    line += "  " + m.summary();
                }
                row.put("evalSeconds", evalSecs);
                epochs.add(row);
                line += String.format(Locale.ROOT, "  %.1f s (+%.1f s eval)  %.0f samples/s", st.seconds(), evalSecs, st.samplesPerSecond());
                out.println(line);
                putBest(ks, bestP, bestM, bestPEpoch, bestMEpoch);
                report.put("wallSeconds", (System.nanoTime() - runStart) / 1e9);
                if (interrupted) break;
                writeReport();
            }
        } catch (RuntimeException ex) {
            report.put("status", "failed: " + ex.getMessage());
            report.put("finished", Instant.now().toString());
            writeReport();
            throw ex;
        }
        report.put("status", interrupted ? "interrupted" : "completed");
        report.put("finished", Instant.now().toString());
        report.put("wallSeconds", (System.nanoTime() - runStart) / 1e9);
        writeReport();
        printBest(ks, bestP, bestM, bestPEpoch, bestMEpoch, interrupted);
        return new Result(report, interrupted);
    }

    private void putBest(int[] ks, double[] bestP, double[] bestM, int[] bestPEpoch, int[] bestMEpoch) {
        Map<String, Object> best = new LinkedHashMap<>();
        for (int i = 0; i < ks.length; i++) {
            if (bestPEpoch[i] == 0) continue;
            best.put("P@" + ks[i], Map.of("value", bestP[i], "epoch", bestPEpoch[i]));
            best.put("MRR@" + ks[i], Map.of("value", bestM[i], "epoch", bestMEpoch[i]));
        }
        report.put("bestTest", best);
    }

    private void printBest(int[] ks, double[] bestP, double[] bestM, int[] bestPEpoch, int[] bestMEpoch, boolean interrupted) {
        StringBuilder sb = new StringBuilder(interrupted ? "stopped early; best so far:" : "best:");
        boolean any = false;
        for (int i = 0; i < ks.length; i++) {
            if (bestPEpoch[i] == 0) continue;
            any = true;
            sb.append(String.format(Locale.ROOT, "  P@%d %.2f (epoch %d)  MRR@%d %.2f (epoch %d)", ks[i], bestP[i], bestPEpoch[i],
                    ks[i], bestM[i], bestMEpoch[i]));
        }
        if (!any) sb.append(" no epoch was evaluated");
        out.println(sb);
        PaperNumbers.Pair paper = PaperNumbers.get(cfg.variant().equals("lgsr") ? "lgsr" : "", data.name());
        if (paper != null) {
            out.printf(Locale.ROOT, "paper (LGSR): P@20 %.2f  MRR@20 %.2f%n", paper.p20(), paper.mrr20());
        }
        if (reportFile != null) out.println("report: " + reportFile);
    }

    private void writeReport() {
        if (reportFile != null) Json.write(reportFile, report);
    }
}
