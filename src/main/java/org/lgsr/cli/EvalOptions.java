package org.lgsr.cli;

import picocli.CommandLine.Option;

/** Evaluation cut-offs and threads, shared by the commands that evaluate. */
final class EvalOptions {
    @Option(names = "--k", split = ",", defaultValue = "10,20", paramLabel = "K",
            description = "Cut-offs for P@K and MRR@K, comma-separated (default: ${DEFAULT-VALUE}).")
    int[] ks;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "Worker threads (default 0: one per core).")
    int threads;

    int[] cutoffs() {
        for (int k : ks) {
            if (k < 1) throw new IllegalArgumentException("--k: cut-offs must be >= 1, got " + k);
        }
        return ks;
    }

    int threads() {
        if (threads < 0) throw new IllegalArgumentException("--threads: must be >= 0, got " + threads);
        return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }
}
