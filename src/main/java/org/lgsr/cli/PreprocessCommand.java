package org.lgsr.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.lgsr.data.preprocess.Preprocessor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = {"Raw Yoochoose or Diginetica clicks to the SR-GNN/LGSR layout (MODEL.md section 1).",
                "Yoochoose writes DIR/yoochoose1_4 and DIR/yoochoose1_64; Diginetica writes DIR itself.",
                "Output appears only when complete; a failure leaves DIR as it was."})
final class PreprocessCommand implements Runnable {
    enum Format { yoochoose, diginetica }

    @Option(names = "--format", required = true, description = "yoochoose or diginetica.")
    Format format;

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "yoochoose-clicks.dat or train-item-views.csv (or the folder holding it).")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output folder (empty, or --force).")
    Path output;

    @Option(names = "--force", description = "Write into a folder that is not empty (never over the data root's named datasets).")
    boolean force;

    @Override
    public void run() {
        if (!java.nio.file.Files.exists(input)) throw new org.lgsr.data.DataException("--input: " + input + ": no such file or folder");
        OutputPaths.checkDataOutput(output, force, "--output",
                format == Format.yoochoose ? java.util.List.of("", "yoochoose1_64", "yoochoose1_4") : java.util.List.of("", "diginetica"));
        long t0 = System.nanoTime();
        Preprocessor.Format f = format == Format.yoochoose ? Preprocessor.Format.YOOCHOOSE : Preprocessor.Format.DIGINETICA;
        Preprocessor.Result r = Preprocessor.run(f, input, output,
                msg -> System.err.printf(Locale.ROOT, "[%6.1f s] %s%n", (System.nanoTime() - t0) / 1e9, msg));
        System.out.printf(Locale.ROOT, "%s: %d lines, %d clicks, %d sessions (%d kept); split at %s%n", r.input(), r.lines(),
                r.clicks(), r.sessions(), r.keptSessions(), r.splitDateText());
        System.out.printf(Locale.ROOT, "train: %d sessions, %d samples; test: %d sessions, %d samples; %d items%n",
                r.trainSessions(), r.trainSamples(), r.testSessions(), r.testSamples(), r.items());
        for (Preprocessor.Output o : r.outputs()) {
            System.out.printf(Locale.ROOT, "wrote %s: %d training sessions, %d training samples, %d test samples%n",
                    o.dir(), o.trainSessions(), o.trainSamples(), o.testSamples());
        }
        System.out.printf(Locale.ROOT, "done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
}
