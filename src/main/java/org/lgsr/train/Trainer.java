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
import org.lgsr.data.Sessions;
import org.lgsr.eval.Evaluator;
import org.lgsr.eval.Metrics;
import org.lgsr.eval.PaperNumbers;
import org.lgsr.graph.GlobalEncoder;
import org.lgsr.model.LearningRate;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.ParamLayout;
import org.lgsr.model.cpu.RecTrainer;
import org.lgsr.report.Json;
import org.lgsr.report.Provenance;

/**
 * A training run on either engine ({@link TrainingEngine}). Each epoch: for {@code lgsr}, up to {@code g} passes of L_g
 * over the walk corpus (until the early-stop rule ends them for good), then one pass of L_rec
 * over the shuffled training samples; then evaluation. One line per epoch (and per L_g pass),
 * the best P@K and MRR@K with their epochs, and a JSON run report rewritten after every epoch,
 * so an interrupted run keeps what it did.
 *
 * <p>With validation, the last 10% of training sessions are held out: the model (and the item
 * graph) see only the first 90%, each epoch is also scored on the held-out samples, and the
 * epoch with the best held-out P@K selects the reported test figures. The test figures of
 * every epoch and the best of them (how the published numbers were made) are reported too.
 */
public final class Trainer {
    private final SessionDataset data;
    private final TrainConfig cfg;
    private final PrintStream out;
    private final Path reportFile;
    private final TrainingEngine.Factory factory;
    private final Map<String, Object> report = new LinkedHashMap<>();
    private final List<Map<String, Object>> epochs = new ArrayList<>();
    private String comparison;
    private boolean compare = true;
    private Path checkpointDir;
    private int keep = 2;
    private List<String> args;
    private org.lgsr.model.Checkpoint resumeFrom;
    private Path resumePath;

    public Trainer(SessionDataset data, TrainConfig cfg, PrintStream out, Path reportFile) {
        this(data, cfg, out, reportFile, TrainingEngine.Cpu.FACTORY);
    }

    /** A run on the engine {@code factory} builds (CPU or GPU). */
    public Trainer(SessionDataset data, TrainConfig cfg, PrintStream out, Path reportFile, TrainingEngine.Factory factory) {
        this.factory = factory;
        this.data = data;
        this.cfg = cfg;
        this.out = out;
        this.reportFile = reportFile;
    }

    /** Whether the end of the run puts its result beside S-POP and Item-KNN on the same data (default: yes). */
    public Trainer compareWithBaselines(boolean on) {
        this.compare = on;
        return this;
    }

    /**
     * Checkpoints (org.lgsr.model.Checkpoint) after every evaluated epoch into {@code dir}:
     * {@code epoch-N.lgsr}, the latest {@code keep} of them kept, and {@code best.lgsr}, the best
     * epoch by the run's selection rule (validation P@20 with --validation, else test P@20).
     * Null: none.
     */
    public Trainer checkpoints(Path dir, int keep) {
        if (keep < 0) throw new IllegalArgumentException("--keep: must be >= 0, got " + keep);
        this.checkpointDir = dir;
        this.keep = keep;
        return this;
    }

    /** The run's command-line arguments, stored in its checkpoints so that {@code --resume} can rebuild the run. */
    public Trainer commandArgs(List<String> args) {
        this.args = List.copyOf(args);
        return this;
    }

    /** Continues the run that wrote checkpoint {@code c} ({@code file}) after its epoch, as if it had never stopped. */
    public Trainer resume(org.lgsr.model.Checkpoint c, Path file) {
        this.resumeFrom = c;
        this.resumePath = file;
        return this;
    }

    /** The outcome: the report as written, and whether the run was stopped early. */
    public record Result(Map<String, Object> report, boolean interrupted) {
    }

    /** Best value of a metric so far and its epoch. */
    private static final class Best {
        double value = Double.NEGATIVE_INFINITY;
        int epoch;

        void offer(double v, int e) {
            if (v > value) {
                value = v;
                epoch = e;
            }
        }
    }

    public Result run(String commandLine, String device, BooleanSupplier stop) {
        Sessions trainSessions = data.trainSessions();
        Samples train = data.train();
        Samples valid = null;
        if (cfg.validation()) {
            int cut = trainSessions.size() - trainSessions.size() / 10;
            if (cut < 1 || cut == trainSessions.size()) {
                throw new IllegalArgumentException("--validation: too few training sessions to hold out 10% (" + trainSessions.size() + ")");
            }
            Sessions held = trainSessions.slice(cut, trainSessions.size());
            trainSessions = trainSessions.slice(0, cut);
            train = Samples.fromSessions(trainSessions);
            valid = Samples.fromSessions(held);
        }
        Samples test = data.test();
        org.lgsr.model.neural.NeuralKind neural = cfg.neural();
        if (neural != null && factory != TrainingEngine.Cpu.FACTORY) {
            throw new IllegalArgumentException("--variant " + cfg.variant() + ": the GPU engine implements lgsr, lgsr-c and lgsr-a only; use --device cpu");
        }
        ModelConfig model = neural == null ? cfg.model(data.numItems()) : null;
        org.lgsr.model.neural.NeuralConfig neuralModel = neural == null ? null : cfg.neuralModel(data.numItems());
        LearningRate schedule = LearningRate.byName(cfg.lrSchedule(), cfg.lr(), train.size(), cfg.batchSize());

        report.put("command", commandLine);
        report.put("status", "running");
        report.put("started", Instant.now().toString());
        report.put("config", cfg);
        Map<String, Object> modelInfo = new LinkedHashMap<>();
        modelInfo.put("variant", cfg.variant());
        if (neural == null) {
            modelInfo.put("aggregation", cfg.sigmoid() ? "sigmoid [paper]" : "hard sigmoid [code]");
            modelInfo.put("loss", "softmax cross-entropy over all items [code]");
            modelInfo.put("parameters", new ParamLayout(model).total());
        } else {
            modelInfo.put("architecture", switch (neural) {
                case STAMP -> "STAMP (Liu et al. 2018): attention over the session, h_s * h_t scores x_j (trilinear)";
                case GRU4REC -> neuralModel.code()
                        ? "GRU4Rec (Hidasi et al. 2016) as its authors' code: GRU over the one-hot input, its last state scores a separate output table with a bias, tanh"
                        : "GRU4Rec (Hidasi et al. 2016): GRU over the item embeddings, its last state scores a separate output table";
                case NARM -> "NARM (Li et al. 2017): GRU, attention over its states, [h_t | c_l] scores x_j through a bilinear map"
                        + (neuralModel.code() ? "; its authors' code form: hard sigmoids, softmax-normalised attention, the code's initialisation" : "");
                case SRGNN -> "SR-GNN (Wu et al. 2019): one gated graph step over the session graph, soft-attention readout with the last item"
                        + (cfg.joint() ? "; LGSR-H: trained jointly with the global encoder L_g on its item table" : "");
            });
            modelInfo.put("loss", TrainConfig.sessionParallel(cfg.variant())
                    ? "TOP1 over the other rows' targets, session-parallel mini-batches, Adagrad (GRU4Rec's own training; docs/baselines-neural.md)"
                    : "softmax cross-entropy over all items, per-prefix samples (docs/baselines-neural.md)");
            modelInfo.put("dropout", !neuralModel.code() ? "none" : neural == org.lgsr.model.neural.NeuralKind.GRU4REC
                    ? "0.5 on the hidden state (GRU4Rec's code: inverted, the dropped state carried to the next click)"
                    : "0.25 on the GRU's inputs, 0.5 on [h_t | c_l] (NARM's code: unscaled in training, scaled by the keep rate in evaluation)");
            modelInfo.put("dim", neuralModel.dim());
            if (neural.hasHidden()) modelInfo.put("hidden", neuralModel.hidden());
            modelInfo.put("parameters", new org.lgsr.model.neural.NeuralLayout(neuralModel).total());
        }
        report.put("model", modelInfo);
        Map<String, Object> ds = new LinkedHashMap<>();
        ds.put("name", data.name());
        ds.put("source", data.source());
        ds.put("trainSessions", trainSessions.size());
        ds.put("trainSamples", train.size());
        ds.put("validationSamples", valid == null ? 0 : valid.size());
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
        int selectK = selectionCutoff(ks);
        Best[] bestP = new Best[ks.length];
        Best[] bestM = new Best[ks.length];
        for (int i = 0; i < ks.length; i++) {
            bestP[i] = new Best();
            bestM[i] = new Best();
        }
        Best bestValid = new Best();
        boolean interrupted = false;
        long runStart = System.nanoTime();
        try (TrainingEngine engine = neural != null ? new NeuralEngine(neuralModel, cfg, schedule, trainSessions)
                : factory.create(model, cfg, train, trainSessions, schedule)) {
            TrainingEngine.Global global = engine.global();
            if (global != null) {
                Map<String, Object> g = global.info();
                report.put("globalGraph", g);
                out.printf(Locale.ROOT, "item graph: %s nodes, %s edges; %s walks (%s steps), %s skip-gram pairs per pass; %.1f s%n",
                        g.get("nodes"), g.get("edges"), g.get("walks"), g.get("walkSteps"), g.get("pairsPerPass"),
                        ((Number) g.get("setupSeconds")).doubleValue());
            }
            int firstEpoch = resumeFrom == null ? 1 : restore(engine, model, neuralModel, bestP, bestM, bestValid, ks, selectK);
            for (int e = firstEpoch; e <= cfg.epochs() && !interrupted; e++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("epoch", e);
                List<Map<String, Object>> passes = new ArrayList<>();
                final int epoch = e;
                if (global != null) {
                    global.startEpoch();
                    row.put("globalPasses", passes);
                    for (int p = 1; !cfg.global().interleave() && cfg.global().activeIn(e) && p <= cfg.global().passes() && !global.converged() && !interrupted; p++) {
                        double lr = schedule.at(engine.step()) * cfg.global().lrScale();
                        GlobalEncoder.PassStats ps;
                        // the pass asks stop once per batch: that is the progress tick (a line every 30 s in a log)
                        try (EpochProgress bar = new EpochProgress(String.format(Locale.ROOT, "epoch %d/%d  L_g pass %d/%d", e, cfg.epochs(), p,
                                cfg.global().passes()), "batches", global.batchesPerPass())) {
                            long[] batches = {0};
                            ps = global.pass(lr, () -> {
                                bar.update(++batches[0], Double.NaN);
                                return stop.getAsBoolean();
                            });
                        }
                        interrupted = stop.getAsBoolean();
                        recordPass(global, passes, ps, lr, epoch, p);
                    }
                    if (interrupted) {
                        epochs.add(row);
                        break;
                    }
                }
                long stepsPerEpoch = (train.size() + cfg.batchSize() - 1) / cfg.batchSize();
                long planned = cfg.maxSteps() > 0 ? Math.min((long) cfg.maxSteps() * cfg.batchSize(), train.size()) : train.size();
                RecTrainer.EpochStats st;
                double[] firstLoss = {Double.NaN};
                // interleaved L_g: after step k of the epoch's S steps, k/S of its passes' batches have run
                boolean inter = global != null && cfg.global().interleave() && cfg.global().activeIn(e);
                long plannedSteps = (planned + cfg.batchSize() - 1) / cfg.batchSize();
                long lgTotal = inter ? cfg.global().passes() * global.batchesPerPass() : 0;
                long[] lgDone = {0};
                try (EpochProgress bar = new EpochProgress(String.format("epoch %d/%d", e, cfg.epochs()), planned)) {
                    st = engine.trainEpoch(train, cfg.maxSteps(), (done, loss) -> {
                        if (Double.isNaN(firstLoss[0])) firstLoss[0] = loss;
                        bar.update(done, loss);
                        if (inter && !global.converged()) {
                            long k = (done + cfg.batchSize() - 1) / cfg.batchSize(); // steps done this epoch
                            long target = lgTotal * Math.min(k, plannedSteps) / plannedSteps;
                            double lr = schedule.at(engine.step()) * cfg.global().lrScale();
                            for (GlobalEncoder.PassStats ps : global.batches(target - lgDone[0], lr)) {
                                recordPass(global, passes, ps, lr, epoch, passes.size() + 1);
                            }
                            lgDone[0] = target;
                        }
                    }, stop);
                }
                interrupted = stop.getAsBoolean();
                row.put("steps", st.steps());
                row.put("samples", st.samples());
                row.put("trainLoss", st.meanLoss());
                row.put("firstStepLoss", firstLoss[0]);
                row.put("learningRateAtEnd", schedule.at(Math.max(0, engine.step() - 1)));
                row.put("trainSeconds", st.seconds());
                row.put("samplesPerSecond", st.samplesPerSecond());
                Map<String, Double> phases = new LinkedHashMap<>();
                for (int i = 0; i < RecTrainer.EpochStats.PHASES.length; i++) phases.put(RecTrainer.EpochStats.PHASES[i], st.phaseSeconds()[i]);
                row.put("phaseSeconds", phases);
                String line = String.format(Locale.ROOT, "epoch %d/%d  loss %.4f (first step %.4f)", e, cfg.epochs(), st.meanLoss(), firstLoss[0]);
                if (st.steps() < stepsPerEpoch) line += String.format(Locale.ROOT, " (%d of %d steps)", st.steps(), stepsPerEpoch);
                boolean evaluate = !interrupted && (e % cfg.evalEvery() == 0 || e == cfg.epochs());
                double evalSecs = 0;
                Map<String, Double> evaluated = null; // this epoch's test figures, for its checkpoint
                double selection = 0;
                if (evaluate) {
                    long t0 = System.nanoTime();
                    Metrics m;
                    Metrics mv = null;
                    if (valid != null) mv = engine.evaluate(evaluator, valid);
                    m = engine.evaluate(evaluator, test);
                    evalSecs = (System.nanoTime() - t0) / 1e9;
                    row.put("test", asMap(m, ks));
                    for (int i = 0; i < ks.length; i++) {
                        bestP[i].offer(m.precision(ks[i]), e);
                        bestM[i].offer(m.mrr(ks[i]), e);
                    }
                    if (mv != null) {
                        row.put("validation", asMap(mv, ks));
                        bestValid.offer(mv.precision(selectK), e);
                        line += String.format(Locale.ROOT, "  valid P@%d %.2f MRR@%d %.2f |", selectK, mv.precision(selectK), selectK, mv.mrr(selectK));
                    }
                    line += "  " + m.summary();
                    evaluated = asMap(m, ks);
                    selection = mv != null ? mv.precision(selectK) : m.precision(selectK);
                }
                row.put("evalSeconds", evalSecs);
                row.putAll(engine.epochExtras());
                epochs.add(row);
                line += String.format(Locale.ROOT, "  %.1f s (+%.1f s eval)  %.0f samples/s", st.seconds(), evalSecs, st.samplesPerSecond());
                out.println(line);
                putBest(ks, bestP, bestM, bestValid, selectK);
                report.put("wallSeconds", (System.nanoTime() - runStart) / 1e9);
                if (!interrupted) writeReport();
                // the checkpoint after the report: once it is there, its epoch's report is too (and again with the checkpoint's names)
                if (checkpointDir != null && evaluated != null) {
                    saveCheckpoint(engine, model, neuralModel, e, evaluated, selection);
                    if (!interrupted) writeReport();
                }
            }
        } catch (RuntimeException ex) {
            report.put("status", "failed: " + ex.getMessage());
            report.put("finished", Instant.now().toString());
            writeReport();
            throw ex;
        }
        if (!interrupted) compare(bestP, bestM, ks);
        report.put("status", interrupted ? "interrupted" : "completed");
        report.put("finished", Instant.now().toString());
        report.put("wallSeconds", (System.nanoTime() - runStart) / 1e9);
        writeReport();
        printBest(ks, bestP, bestM, bestValid, selectK, interrupted);
        return new Result(report, interrupted);
    }

    private Map<String, Object> fingerprint; // the dataset's, computed once for all of the run's checkpoints
    private double bestSelection = Double.NEGATIVE_INFINITY;
    private final java.util.ArrayDeque<Path> kept = new java.util.ArrayDeque<>();

    /**
     * Writes epoch {@code e}'s checkpoint, drops the oldest beyond {@code keep}, and rewrites best.lgsr when {@code selection} is the best so far.
     * The checkpoint holds the LGSR module ({@code model}) or, when {@code neural} is not null, that neural model.
     */
    private void saveCheckpoint(TrainingEngine engine, ModelConfig model, org.lgsr.model.neural.NeuralConfig neural, int e,
                                Map<String, Double> test, double selection) {
        Map<String, Object> train = new LinkedHashMap<>();
        train.put("variant", cfg.variant());
        train.put("seed", cfg.seed());
        train.put("epochs", cfg.epochs());
        train.put("batchSize", cfg.batchSize());
        train.put("lr", cfg.lr());
        train.put("lrSchedule", cfg.lrSchedule());
        train.put("validation", cfg.validation());
        if (fingerprint == null) fingerprint = org.lgsr.model.Checkpoint.fingerprint(data);
        TrainingEngine.State st = args == null ? null : engine.state();
        org.lgsr.model.Checkpoint c;
        if (st == null) {
            c = neural != null ? org.lgsr.model.Checkpoint.neural(neural, e, train, fingerprint, test, engine.parameters(), null, null, null, null)
                    : new org.lgsr.model.Checkpoint(model, e, train, fingerprint, test, engine.parameters());
        } else {
            Map<String, Object> resume = new LinkedHashMap<>();
            resume.put("args", args);
            resume.put("step", st.step());
            resume.put("epochsDone", st.epochsDone());
            resume.put("epochs", new ArrayList<>(epochs));
            Map<String, float[]> lg = null;
            if (engine.global() != null) {
                GlobalState gs = engine.global().state();
                if (gs != null) { // null: an interleaved pass under way; the run then resumes once L_g is done
                    resume.put("global", gs.counters());
                    lg = gs.arrays();
                }
            }
            c = neural != null ? org.lgsr.model.Checkpoint.neural(neural, e, train, fingerprint, test, st.w(), st.m(), st.v(), resume, lg)
                    : new org.lgsr.model.Checkpoint(model, e, train, fingerprint, test, st.w(), st.m(), st.v(), resume, lg);
        }
        Path f = checkpointDir.resolve("epoch-" + e + ".lgsr");
        if (keep > 0) {
            c.write(f);
            kept.addLast(f);
            while (kept.size() > keep) {
                try {
                    java.nio.file.Files.deleteIfExists(kept.removeFirst());
                } catch (java.io.IOException ex) {
                    out.println("note: could not remove an old checkpoint: " + ex.getMessage());
                }
            }
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("folder", checkpointDir.toString());
        info.put("latest", keep > 0 ? f.toString() : null);
        if (selection > bestSelection) {
            bestSelection = selection;
            c.write(checkpointDir.resolve("best.lgsr"));
            report.put("bestCheckpointEpoch", e);
        }
        info.put("best", checkpointDir.resolve("best.lgsr").toString());
        report.put("checkpoints", info);
    }

    /**
     * Puts the checkpoint's run back: the engine's state, the report's epoch rows and the best
     * figures so far; returns the first epoch to train. The global encoder's state comes back too; a run whose global encoder still has
     * passes to run is refused when the checkpoint lacks that state (an interleaved pass under way, an older file).
     */
    @SuppressWarnings("unchecked")
    private int restore(TrainingEngine engine, ModelConfig model, org.lgsr.model.neural.NeuralConfig neural, Best[] bestP, Best[] bestM,
                        Best bestValid, int[] ks, int selectK) {
        org.lgsr.model.Checkpoint c = resumeFrom;
        Map<String, Object> r = c.resume();
        if (neural != null ? !neural.equals(c.neural()) : !model.equals(c.model())) {
            throw new IllegalArgumentException("--resume: " + resumePath + " holds a model of another shape than this run's");
        }
        c.checkFits(data, resumePath);
        if (cfg.joint() && r.get("global") instanceof Map<?, ?> counters) {
            engine.global().restore(new GlobalState(c.global(), (Map<String, Object>) counters));
        } else if (cfg.joint()) {
            for (int e = c.epoch() + 1; e <= cfg.epochs(); e++) {
                if (cfg.global().activeIn(e)) {
                    throw new IllegalArgumentException("--resume: the global encoder (L_g) of this run still has passes in epoch " + e
                            + ", and this checkpoint does not hold its state (written during an interleaved pass, --g-interleave on, or by "
                            + "an older version): resume from a checkpoint written once L_g is done");
                }
            }
        }
        engine.restore(new TrainingEngine.State(c.params(), c.adamM(), c.adamV(), ((Number) r.get("step")).longValue(),
                ((Number) r.get("epochsDone")).intValue()));
        for (Object o : (List<Object>) r.get("epochs")) {
            Map<String, Object> row = (Map<String, Object>) o;
            epochs.add(row);
            int e = ((Number) row.get("epoch")).intValue();
            Map<String, Object> t = (Map<String, Object>) row.get("test");
            if (t != null) {
                for (int i = 0; i < ks.length; i++) {
                    bestP[i].offer(((Number) t.get("P@" + ks[i])).doubleValue(), e);
                    bestM[i].offer(((Number) t.get("MRR@" + ks[i])).doubleValue(), e);
                }
                Map<String, Object> v = (Map<String, Object>) row.get("validation");
                if (v != null) bestValid.offer(((Number) v.get("P@" + selectK)).doubleValue(), e);
                double sel = v != null ? ((Number) v.get("P@" + selectK)).doubleValue() : ((Number) t.get("P@" + selectK)).doubleValue();
                bestSelection = Math.max(bestSelection, sel);
            }
        }
        if (checkpointDir != null) {
            for (int e = 1; e <= c.epoch(); e++) {
                Path f = checkpointDir.resolve("epoch-" + e + ".lgsr");
                if (java.nio.file.Files.exists(f)) kept.addLast(f);
            }
        }
        Map<String, Object> from = new LinkedHashMap<>();
        from.put("checkpoint", resumePath.toString());
        from.put("epoch", c.epoch());
        report.put("resumedFrom", from);
        out.printf(Locale.ROOT, "resumed from %s: epoch %d of %d done, Adam step %d%n", resumePath, c.epoch(), cfg.epochs(),
                ((Number) r.get("step")).longValue());
        return c.epoch() + 1;
    }

    /** Adds a pass's statistics and the tables' health to the epoch's list, and prints its line. */
    private void recordPass(TrainingEngine.Global global, List<Map<String, Object>> passes, GlobalEncoder.PassStats ps, double lr, int epoch,
                            int p) {
        Map<String, Object> pr = new LinkedHashMap<>();
        pr.put("meanLoss", ps.meanLoss());
        pr.put("pairs", ps.pairs());
        pr.put("batches", ps.batches());
        pr.put("seconds", ps.seconds());
        pr.put("pairsPerSecond", ps.pairsPerSecond());
        pr.put("learningRate", lr);
        Map<String, Object> health = global.health();
        pr.put("health", health);
        passes.add(pr);
        out.printf(Locale.ROOT, "epoch %d/%d  L_g pass %d%s  loss %.4f  %.1f s  %.0f pairs/s  %s%s%n", epoch, cfg.epochs(), p,
                cfg.global().interleave() ? " (interleaved)" : "/" + cfg.global().passes(), ps.meanLoss(), ps.seconds(), ps.pairsPerSecond(),
                healthLine(health), global.converged() ? "  (converged: L_g stops here)"
                        : global.stopPending() ? "  (converged: L_g stops after this epoch's passes)" : "");
    }

    /** The health of E and theta after a pass, in one short piece of a line. */
    @SuppressWarnings("unchecked")
    static String healthLine(Map<String, Object> h) {
        Map<String, Double> eh = (Map<String, Double>) h.get("E");
        Map<String, Double> th = (Map<String, Double>) h.get("theta");
        return String.format(Locale.ROOT, "E: norm %.3f |mean| %.3f cos %.3f  theta: norm %.3f |mean| %.3f cos %.3f  bias [%.2f, %.2f]",
                eh.get("meanRowNorm"), eh.get("normOfMeanRow"), eh.get("meanCosineToMean"), th.get("meanRowNorm"), th.get("normOfMeanRow"),
                th.get("meanCosineToMean"), (Double) h.get("biasMin"), (Double) h.get("biasMax"));
    }

    /** The cut-off that validation selects on: 20 when evaluated, else the largest. */
    private static int selectionCutoff(int[] ks) {
        int max = ks[0];
        for (int k : ks) {
            if (k == 20) return 20;
            max = Math.max(max, k);
        }
        return max;
    }

    private static Map<String, Double> asMap(Metrics m, int[] ks) {
        Map<String, Double> r = new LinkedHashMap<>();
        for (int k : ks) {
            r.put("P@" + k, m.precision(k));
            r.put("MRR@" + k, m.mrr(k));
        }
        return r;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Double> testAt(int epoch) {
        for (Map<String, Object> row : epochs) {
            if (((Integer) row.get("epoch")) == epoch) return (Map<String, Double>) row.get("test");
        }
        return Map.of();
    }

    private void putBest(int[] ks, Best[] bestP, Best[] bestM, Best bestValid, int selectK) {
        Map<String, Object> best = new LinkedHashMap<>();
        for (int i = 0; i < ks.length; i++) {
            if (bestP[i].epoch == 0) continue;
            best.put("P@" + ks[i], Map.of("value", bestP[i].value, "epoch", bestP[i].epoch));
            best.put("MRR@" + ks[i], Map.of("value", bestM[i].value, "epoch", bestM[i].epoch));
        }
        report.put("bestTest", best);
        if (bestValid.epoch > 0) {
            Map<String, Object> sel = new LinkedHashMap<>();
            sel.put("criterion", "validation P@" + selectK);
            sel.put("epoch", bestValid.epoch);
            sel.put("validationValue", bestValid.value);
            sel.put("test", testAt(bestValid.epoch));
            report.put("selectedByValidation", sel);
        }
    }

    private void printBest(int[] ks, Best[] bestP, Best[] bestM, Best bestValid, int selectK, boolean interrupted) {
        StringBuilder sb = new StringBuilder(interrupted ? "stopped early; best test so far:" : "best test:");
        boolean any = false;
        for (int i = 0; i < ks.length; i++) {
            if (bestP[i].epoch == 0) continue;
            any = true;
            sb.append(String.format(Locale.ROOT, "  P@%d %.2f (epoch %d)  MRR@%d %.2f (epoch %d)", ks[i], bestP[i].value, bestP[i].epoch,
                    ks[i], bestM[i].value, bestM[i].epoch));
        }
        if (!any) sb.append(" no epoch was evaluated");
        out.println(sb);
        if (bestValid.epoch > 0) {
            Map<String, Double> t = testAt(bestValid.epoch);
            StringBuilder v = new StringBuilder(String.format(Locale.ROOT, "selected by validation P@%d: epoch %d; test", selectK, bestValid.epoch));
            t.forEach((k, val) -> v.append(String.format(Locale.ROOT, "  %s %.2f", k, val)));
            out.println(v);
        }
        if (comparison != null) out.println(comparison);
        if (reportFile != null) out.println("report: " + reportFile);
    }

    /**
     * The run's best test P@20 and MRR@20 beside S-POP's and Item-KNN's on the same test samples (computed here,
     * about a second) and the paper's LGSR row where it has one; into the report, and as one line.
     */
    private void compare(Best[] bestP, Best[] bestM, int[] ks) {
        int i20 = -1;
        for (int i = 0; i < ks.length; i++) if (ks[i] == 20) i20 = i;
        if (i20 < 0 || bestP[i20].epoch == 0 || !compare) return;
        Map<String, Object> cmp = new LinkedHashMap<>();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "beside (P@20 / MRR@20): this run %.2f / %.2f", bestP[i20].value,
                bestM[i20].value));
        Evaluator ev = new Evaluator(new int[] {20}, cfg.threads());
        for (String m : new String[] {"spop", "itemknn"}) {
            Metrics r = ev.evaluate(org.lgsr.baselines.Baselines.create(m, data), data.test());
            cmp.put(m, Map.of("P@20", r.precision(20), "MRR@20", r.mrr(20)));
            line.append(String.format(Locale.ROOT, "  %s %.2f / %.2f", m.equals("spop") ? "S-POP" : "Item-KNN", r.precision(20), r.mrr(20)));
        }
        PaperNumbers.Pair paper = PaperNumbers.get("lgsr", data.name());
        if (paper != null) {
            cmp.put("paperLgsr", Map.of("P@20", paper.p20(), "MRR@20", paper.mrr20()));
            line.append(String.format(Locale.ROOT, "  paper's LGSR %.2f / %.2f", paper.p20(), paper.mrr20()));
        }
        org.lgsr.model.neural.NeuralKind neural = cfg.neural();
        PaperNumbers.Pair own = neural == null ? null : PaperNumbers.get(cfg.variant(), data.name()); // lgsr-h has no row of its own
        if (own != null) {
            String label = switch (neural) {
                case STAMP -> "STAMP";
                case GRU4REC -> "GRU4Rec";
                case NARM -> "NARM";
                case SRGNN -> "SR-GNN";
            };
            cmp.put("paper" + label.replace("-", ""), Map.of("P@20", own.p20(), "MRR@20", own.mrr20()));
            line.append(String.format(Locale.ROOT, "  paper's %s %.2f / %.2f", label, own.p20(), own.mrr20()));
        }
        report.put("comparison", cmp);
        comparison = line.toString();
    }

    private void writeReport() {
        if (reportFile != null) Json.write(reportFile, report);
    }
}
