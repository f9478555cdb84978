package org.lgsr.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = "Raw Yoochoose or Diginetica clicks to the SR-GNN/LGSR layout (MODEL.md section 1).")
final class PreprocessCommand implements Runnable {
    enum Format { yoochoose, diginetica }

    @Option(names = "--format", required = true, description = "yoochoose or diginetica.")
    Format format;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "yoochoose-clicks.dat or train-item-views.csv.")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output folder.")
    Path output;

    @Override
    public void run() {
        throw new UnsupportedOperationException("lgsr preprocess is not wired yet");
    }
}
