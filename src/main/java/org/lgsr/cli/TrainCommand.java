package org.lgsr.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.lgsr.data.SessionDataset;
import org.lgsr.gpu.Device;
import org.lgsr.train.TrainConfig;
import org.lgsr.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train LGSR and evaluate it on the test samples after every epoch.",
                "Prints one line per epoch, the best P@K and MRR@K with their epochs, and writes a JSON run report",
                "(configuration, dataset checksums, git commit, machine, per-epoch metrics and timings).",
                "Ctrl-C stops after the current step and writes the report so far."})
final class TrainCommand implements Runnable {
    @Mixin
    DataOptions.Choice dataset;

    /**
     * The variant a run without {@code --variant} trains, and why (printed in one line): the README's study
     * ("Joint training") decides it.
     */
    static final String DEFAULT_VARIANT = "lgsr-c";
    static final String DEFAULT_WHY = "on yoochoose64 the full model, --variant lgsr, gains P@20 but loses MRR@20 against it; "
            + "README, Joint training";

    @Option(names = "--variant", paramLabel = "V",
            description = {"lgsr (joint training with the global encoder), lgsr-c (the recommendation module alone), lgsr-a (s_f from f_t only);",
                    "or a neural model on the CPU engine: the baselines of Table 2 stamp, gru4rec, narm, srgnn; gru4rec-top1",
                    "(GRU4Rec trained as its paper: session-parallel, TOP1, Adagrad); gru4rec-code and narm-code (GRU4Rec and NARM",
                    "as their authors' code computes them); lgsr-h",
                    "(SR-GNN's module with the global encoder, the paper's ablation) (docs/baselines-neural.md).",
                    "Default: " + DEFAULT_VARIANT + " (" + DEFAULT_WHY + ")."})
    String variant;

    @Option(names = "--preset", defaultValue = "auto", paramLabel = "P",
            description = {"Defaults of the settings marked [preset]: paper (MODEL.md: the published settings), quick (what a CPU",
                    "runs in minutes: 10 epochs, T 4, L 20, N_s 64, lazy Adam), or auto (default: quick on synth, paper otherwise).",
                    "A flag given explicitly always wins."})
    String preset;

    @Option(names = "--epochs", description = "Epochs [preset] (paper 30, quick 10).")
    Integer epochs;

    @Option(names = "--batch", defaultValue = "512", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", description = "Learning rate (default: 0.001; stamp: " + STAMP_LR + ", the authors' logged run).")
    Double lr;

    /** STAMP's learning rate when --lr is not given: init_lr of the authors' logged yoochoose-1/64 run (docs/baselines-neural.md). */
    static final double STAMP_LR = 0.003;
    /** Whether {@code flag} was not given, so the model's own {@code value} applies (then noted as "FLAG VALUE"). */
    private static boolean ownDefault(picocli.CommandLine.ParseResult given, String flag, Object value, java.util.List<String> notes) {
        if (given.hasMatchedOption(flag)) return false;
        notes.add(flag + " " + value);
        return true;
    }

    /** GRU4Rec's training (its paper's best setting on RSC15 with TOP1: Adagrad at 0.01, mini-batches of 50 sessions). */
    static final double GRU4REC_TOP1_LR = 0.01;
    /** GRU4Rec's code form: the learning rate of its authors' 2016 code by default ({@code learning_rate=0.05}; batch 50 as above). */
    static final double GRU4REC_CODE_LR = 0.05;
    static final int GRU4REC_TOP1_BATCH = 50;
    /** NARM's embedding and GRU widths (its paper's experimental setup). */
    static final int NARM_DIM = 50, NARM_HIDDEN = 100;
    /** SR-GNN's batch, schedule and L2 (its paper and public code: lr decayed by 0.1 every 3 epochs, l2 1e-5). */
    static final int SRGNN_BATCH = 100;
    static final String SRGNN_SCHEDULE = "every:3";
    static final float SRGNN_L2 = 1e-5f;

    @Option(names = "--lr-schedule", defaultValue = "constant", paramLabel = "S",
            description = "constant, reference (MODEL.md: x0.1 every 0.1 epoch), or every:E (x0.1 every E epochs; default: ${DEFAULT-VALUE}).")
    String lrSchedule;

    @Option(names = "--dropout", defaultValue = "0.3", description = "Dropout rate of every dropout site (default: ${DEFAULT-VALUE}).")
    float dropout;

    @Option(names = "--l2", defaultValue = "1e-6", description = "lambda2 of the L2 term (default: ${DEFAULT-VALUE}).")
    float l2;

    @Option(names = "--dim", defaultValue = "100", description = "Embedding size d (default: ${DEFAULT-VALUE}; narm: 50, its paper's).")
    int dim;

    @Option(names = "--hidden", description = "narm: the GRU's width (default: 100, its paper's).")
    Integer hidden;

    @Option(names = "--max-len", defaultValue = "19", description = "Items of a session's prefix the model reads (default: ${DEFAULT-VALUE}).")
    int maxLen;

    @Option(names = "--sigmoid", description = "Aggregation attention with the paper's sigmoid (default: the code's hard sigmoid).")
    boolean sigmoid;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--max-steps", defaultValue = "0", description = "Stop each epoch after N steps (0: whole epochs; for quick runs).")
    int maxSteps;

    @Option(names = "--eval-every", defaultValue = "1", description = "Evaluate after every N epochs and after the last (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--validation", description = "Hold out the last 10%% of training sessions for model selection.")
    boolean validation;

    @Option(names = "--walks-per-node", paramLabel = "T", description = "lgsr: walk rounds, every node starting one walk per round [preset] (paper 13, quick 4).")
    Integer walksPerNode;

    @Option(names = "--walk-length", paramLabel = "L", description = "lgsr: nodes per walk at most [preset] (paper 50, quick 20).")
    Integer walkLength;

    @Option(names = "--window", defaultValue = "8", paramLabel = "N_w", description = "lgsr: skip-gram contexts before a position; N_w-1 after (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--negatives", paramLabel = "N_s", description = "lgsr: negatives drawn per skip-gram batch [preset] (paper 512, quick 64).")
    Integer negatives;

    @Option(names = "--g-passes", defaultValue = "2", paramLabel = "g", description = "lgsr: passes of L_g before each epoch of L_rec (default: ${DEFAULT-VALUE}).")
    int gPasses;

    @Option(names = "--g-batch", defaultValue = "8192", description = "lgsr: skip-gram pairs per batch (default: ${DEFAULT-VALUE}).")
    int gBatch;

    @Option(names = "--g-adam", paramLabel = "MODE", description = "lgsr: Adam of L_g on every row (dense, as TF) or the touched rows only (lazy) [preset] (paper dense, quick lazy).")
    String gAdam;

    @Option(names = "--g-max-batches", defaultValue = "0", description = "lgsr: stop each L_g pass after N batches (0: whole passes; for quick runs).")
    long gMaxBatches;

    @Option(names = "--g-stop-delta", defaultValue = "5e-4", description = "lgsr: L_g stops for good once a pass's mean loss moves by at most this (default: ${DEFAULT-VALUE}).")
    double gStopDelta;

    @Option(names = "--g-lr-scale", defaultValue = "1", paramLabel = "F",
            description = "lgsr: L_g's learning rate is F times the run's schedule (default 1: one schedule for both losses, as the reference code).")
    double gLrScale;

    @Option(names = "--g-logq", defaultValue = "off", paramLabel = "on|off",
            description = "lgsr: TF's log-Q correction of the NCE logits (on: the authors' code; default: ${DEFAULT-VALUE}, README 'Joint training').")
    String gLogQ;

    @Option(names = "--g-tie", defaultValue = "on", paramLabel = "on|off",
            description = "lgsr: the skip-gram output table is E itself instead of a separate theta (off: the authors' code; default: ${DEFAULT-VALUE}).")
    String gTie;

    @Option(names = "--g-center", defaultValue = "none", paramLabel = "MODE",
            description = "lgsr: remove the common component L_g gives E: none, grad (from each batch's gradient) or pass (from E after each pass) (default: ${DEFAULT-VALUE}).")
    String gCenter;

    @Option(names = "--g-stop-at", defaultValue = "epoch", paramLabel = "epoch|pass",
            description = "lgsr: when a converged L_g stops: at the next epoch's start, the epoch's passes still running (default, the authors' code), or right after the pass.")
    String gStopAt;

    @Option(names = "--g-interleave", defaultValue = "off", paramLabel = "on|off",
            description = "lgsr: spread each epoch's L_g passes evenly over its L_rec steps instead of running them first (default: ${DEFAULT-VALUE}).")
    String gInterleave;

    @Option(names = "--g-epochs", defaultValue = "1", paramLabel = "N",
            description = "lgsr: L_g trains in the first N epochs only (0: every epoch until it converges, as the authors' code; 1: pre-training of E) (default: ${DEFAULT-VALUE}).")
    int gEpochs;

    @Option(names = "--g-sampler", defaultValue = "weighted", paramLabel = "weighted|degree",
            description = "lgsr: the negatives' log-uniform ranking: every node by weighted degree, or the nodes with an edge by plain degree (the authors' code) (default: ${DEFAULT-VALUE}).")
    String gSampler;

    @Option(names = "--g-authors",
            description = "lgsr: L_g exactly as the authors' code: --g-logq on --g-tie off --g-center none --g-epochs 0 --g-stop-at epoch --g-sampler degree (the flags it names may not be given too).")
    boolean gAuthors;

    @Option(names = "--no-compare", description = "Do not put the result beside S-POP and Item-KNN on the same data at the end.")
    boolean noCompare;

    @Option(names = "--resume", paramLabel = "CKPT",
            description = "Continue the run that wrote this checkpoint (epoch-N.lgsr or best.lgsr) after its epoch, with the run's own "
                    + "settings (give no other flag): the same losses and metrics as a run that never stopped.")
    Path resume;

    /** Set when this command continues a run: the checkpoint read from --resume. */
    private org.lgsr.model.Checkpoint resumeCheckpoint;
    private Path resumeFile;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR",
            description = "Where the checkpoints go (default: beside the report, REPORT without .json plus .ckpt/): epoch-N.lgsr after every "
                    + "evaluated epoch and best.lgsr, the best epoch (validation P@20 with --validation, else test P@20). docs/checkpoint-format.md.")
    Path checkpointDir;

    @Option(names = "--keep", defaultValue = "2", paramLabel = "N",
            description = "Keep the latest N epoch checkpoints (default ${DEFAULT-VALUE}; 0: best.lgsr only).")
    int keep;

    @Option(names = "--no-checkpoints", description = "Write no checkpoints.")
    boolean noCheckpoints;

    @Option(names = "--report", paramLabel = "FILE", description = "Run report (default: runs/DATASET-VARIANT-TIME.json).")
    Path report;


    @Option(names = "--tf32", description = "GPU engine: cuBLAS products in TF32 (tensor cores; about 1e-3 relative error per product) instead of FP32.")
    boolean tf32;

    @Option(names = "--profile", description = "GPU engine: time every kernel and phase with CUDA events; per-epoch device times in the report.")
    boolean profile;

    @Mixin
    EvalOptions eval;

    @Mixin
    DeviceOptions device;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** This command's own arguments (what follows {@code train} on the command line). */
    private java.util.List<String> ownArgs() {
        java.util.List<String> all = spec.commandLine().getParseResult().originalArgs();
        int i = all.indexOf(spec.name());
        return i >= 0 && resumeCheckpoint == null ? all.subList(i + 1, all.size()) : all;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void run() {
        if (resume != null) {
            if (spec.commandLine().getParseResult().matchedOptions().size() > 1) {
                throw new IllegalArgumentException("--resume continues the run with its own settings: give no other flag");
            }
            org.lgsr.model.Checkpoint c = org.lgsr.model.Checkpoint.read(resume);
            if (!c.resumable()) {
                throw new IllegalArgumentException("--resume: " + resume + " holds the model only, not the run's state: "
                        + "it can be evaluated or exported, not resumed");
            }
            java.util.List<String> args = (java.util.List<String>) c.resume().get("args");
            TrainCommand again = new TrainCommand();
            picocli.CommandLine cl = new picocli.CommandLine(again);
            cl.parseArgs(args.toArray(String[]::new));
            again.resumeCheckpoint = c;
            again.resumeFile = resume;
            again.run();
            return;
        }
        // every check that needs neither the device nor the data comes first: an error is then the only line
        if (!preset.equals("auto") && !preset.equals("paper") && !preset.equals("quick")) {
            throw new IllegalArgumentException("--preset: unknown preset '" + preset + "'; known: auto, paper, quick");
        }
        if (gAdam != null && !gAdam.equals("dense") && !gAdam.equals("lazy")) {
            throw new IllegalArgumentException("--g-adam: unknown mode '" + gAdam + "'; known: dense, lazy");
        }
        if (variant != null) TrainConfig.checkVariant(variant);
        org.lgsr.model.neural.NeuralKind neural = variant == null ? null : TrainConfig.neuralKind(variant);
        boolean stampLr = lr == null && neural == org.lgsr.model.neural.NeuralKind.STAMP;
        boolean top1 = TrainConfig.sessionParallel(variant); // gru4rec-top1 and gru4rec-code: batch 50, Adagrad's rate
        java.util.List<String> ownDefaults = new java.util.ArrayList<>(); // a model's published settings, where a flag is not given
        if (top1 && lr == null) {
            lr = TrainConfig.GRU4REC_CODE.equals(variant) ? GRU4REC_CODE_LR : GRU4REC_TOP1_LR;
            ownDefaults.add("--lr " + lr);
        }
        if (lr == null) lr = stampLr ? STAMP_LR : 0.001;
        var given = spec.commandLine().getParseResult();
        if (hidden != null && neural != org.lgsr.model.neural.NeuralKind.NARM) {
            throw new IllegalArgumentException("--hidden: only --variant narm has a hidden width of its own");
        }
        if (top1 && ownDefault(given, "--batch", GRU4REC_TOP1_BATCH, ownDefaults)) batch = GRU4REC_TOP1_BATCH;
        if (neural == org.lgsr.model.neural.NeuralKind.NARM) {
            if (ownDefault(given, "--dim", NARM_DIM, ownDefaults)) dim = NARM_DIM;
            if (ownDefault(given, "--hidden", NARM_HIDDEN, ownDefaults)) hidden = NARM_HIDDEN;
        }
        if (neural == org.lgsr.model.neural.NeuralKind.SRGNN) {
            if (ownDefault(given, "--batch", SRGNN_BATCH, ownDefaults)) batch = SRGNN_BATCH;
            if (ownDefault(given, "--lr-schedule", SRGNN_SCHEDULE, ownDefaults)) lrSchedule = SRGNN_SCHEDULE;
            if (ownDefault(given, "--l2", "1e-5", ownDefaults)) l2 = SRGNN_L2;
        }
        if (hidden == null) hidden = dim;
        if (neural != null) {
            if (device.device.equals("gpu") || device.device.equals("sim")) {
                throw new IllegalArgumentException("--variant " + variant + ": the GPU engine implements lgsr, lgsr-c and lgsr-a only; use --device cpu");
            }
            if (spec.commandLine().getParseResult().hasMatchedOption("--dropout")) {
                boolean codeForm = variant.endsWith("-code"); // narm-code, gru4rec-code: their code's own rates
                throw new IllegalArgumentException("--dropout: --variant " + variant + (codeForm
                        ? " has its authors' code's fixed dropout rates; --dropout does not apply" : " has no dropout") + " (docs/baselines-neural.md)");
            }
        }
        org.lgsr.model.LearningRate.byName(lrSchedule, lr, 1, batch); // a bad schedule name fails before anything runs
        dataset.check();
        boolean reportFolderCreated = report != null && OutputPaths.checkWritable(report, "--report");
        if (keep < 0) throw new IllegalArgumentException("--keep: must be >= 0, got " + keep);
        if (checkpointDir != null && !noCheckpoints) OutputPaths.checkWritable(checkpointDir.resolve("best.lgsr"), "--checkpoint-dir");
        // the information lines wait until every check has passed: an error is then the only line
        java.util.List<String> notes = new java.util.ArrayList<>();
        if (variant == null) {
            variant = DEFAULT_VARIANT;
            notes.add("variant: " + DEFAULT_VARIANT + " (the default: " + DEFAULT_WHY + ")");
        }
        if (!ownDefaults.isEmpty()) {
            notes.add(variant + ": " + String.join(" ", ownDefaults) + " (the model's published settings where not given; docs/baselines-neural.md)");
        }
        if (stampLr) notes.add("learning rate: " + STAMP_LR + " (STAMP's default: the authors' logged Yoochoose-1/64 run; docs/baselines-neural.md)");
        if (reportFolderCreated) notes.add("created the report's folder " + report.toAbsolutePath().getParent());
        Device d;
        if (neural != null && device.device.equals("auto")) {
            d = Device.CPU; // the GPU is never probed for a model it cannot run
            notes.add("device: cpu (--device auto: --variant " + variant + " runs on the CPU engine only)");
        } else {
            d = device.resolve(notes);
        }
        boolean gpu = d == Device.GPU;
        if (!gpu && (tf32 || profile)) {
            throw new IllegalArgumentException((tf32 ? "--tf32" : "--profile") + ": only the GPU engine has it (the run is on the CPU)");
        }
        // the GPU affords the published settings on every dataset; the CPU only on named ones
        boolean sim = gpu && org.lgsr.gpu.Driver.get().simulated();
        String p = preset.equals("auto") ? ((gpu && !sim) || !dataset.name.equals(org.lgsr.data.Datasets.SYNTH) ? "paper" : "quick") : preset;
        boolean quick = p.equals("quick");
        String adamMode = gAdam != null ? gAdam : quick ? "lazy" : "dense";
        int nEpochs = epochs != null ? epochs : quick ? 10 : 30;
        if (gAuthors) {
            for (String f : new String[] {"--g-logq", "--g-tie", "--g-center", "--g-epochs", "--g-stop-at", "--g-sampler", "--g-interleave"}) {
                if (spec.commandLine().getParseResult().hasMatchedOption(f)) {
                    throw new IllegalArgumentException("--g-authors sets " + f + " itself; give one or the other");
                }
            }
            gLogQ = "on";
            gTie = "off";
            gCenter = "none";
            gEpochs = 0;
            gStopAt = "epoch";
            gSampler = "degree";
            gInterleave = "off";
        }
        TrainConfig cfg = new TrainConfig(dataset.name, variant, nEpochs, batch, lr, lrSchedule, dropout, l2, dim, hidden, maxLen, sigmoid, seed,
                eval.threads(), eval.cutoffs(), maxSteps, evalEvery, validation,
                new org.lgsr.train.GlobalSettings(orElse(walksPerNode, quick ? 4 : 13), orElse(walkLength, quick ? 20 : 50), window,
                        orElse(negatives, quick ? 64 : 512), gPasses, gBatch, adamMode.equals("lazy"), gMaxBatches, gStopDelta, gLrScale,
                        choice("--g-logq", gLogQ, "on", "off"), choice("--g-tie", gTie, "on", "off"), gCenter,
                        choice("--g-stop-at", gStopAt, "epoch", "pass"), choice("--g-interleave", gInterleave, "on", "off"), gEpochs,
                        choice("--g-sampler", gSampler, "degree", "weighted")));
        notes.add("preset: " + p + (preset.equals("auto") ? " (--preset auto, dataset " + dataset.name + ", " + (sim ? "sim" : gpu ? "gpu" : "cpu") + ")" : ""));
        if (cfg.joint()) notes.add("global encoder (L_g): " + cfg.global().describe() + (gAuthors ? " (--g-authors)" : ""));
        if (gpu && cfg.joint() && cfg.global().lazyAdam()) {
            throw new IllegalArgumentException("--g-adam lazy: the GPU engine implements the dense Adam of L_g only (TF's, the paper preset's)");
        }
        SessionDataset ds = dataset.load(notes);
        Path reportFile = report != null ? report : Paths.get("runs", ds.name().replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + variant + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json");
        if (report == null) OutputPaths.checkWritable(reportFile, "the report");
        Path ckptDir = noCheckpoints ? null : checkpointDir != null ? checkpointDir
                : reportFile.resolveSibling(reportFile.getFileName().toString().replaceFirst("\\.json$", "") + ".ckpt");
        if (ckptDir != null && checkpointDir == null) OutputPaths.checkWritable(ckptDir.resolve("best.lgsr"), "the checkpoint folder");
        notes.forEach(System.err::println);

        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            System.err.println("\nlgsr: interrupted; finishing the current step and writing the report ...");
            try {
                finished.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "lgsr-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            org.lgsr.train.TrainingEngine.Factory factory = gpu ? org.lgsr.engine.EngineTrainer.gpu(0, tf32, profile)
                    : org.lgsr.train.TrainingEngine.Cpu.FACTORY;
            String deviceLine = sim ? "sim: " + org.lgsr.gpu.GpuProbe.current().summary()
                    : gpu ? "gpu: " + org.lgsr.gpu.GpuProbe.get().summary() + (tf32 ? " (TF32 products)" : " (FP32)") : "cpu";
            new Trainer(ds, cfg, System.out, reportFile, factory).compareWithBaselines(!noCompare).checkpoints(ckptDir, keep)
                    .commandArgs(ownArgs()).resume(resumeCheckpoint, resumeFile).run("lgsr " + String.join(" ", spec.commandLine().getParseResult().originalArgs()),
                    deviceLine, stop::get);
        } finally {
            finished.countDown();
            if (!stop.get()) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException ignored) {
                    // already shutting down
                }
            }
        }
    }

    /** A two-valued flag: true for {@code yes}, false for {@code no}, else a one-line error naming the flag. */
    private static boolean choice(String flag, String v, String yes, String no) {
        if (v.equals(yes)) return true;
        if (v.equals(no)) return false;
        throw new IllegalArgumentException(flag + ": expected " + yes + " or " + no + ", got '" + v + "'");
    }

    private static int orElse(Integer v, int dflt) {
        return v != null ? v : dflt;
    }
}
