package org.lgsr.cli;

import java.nio.file.Path;
import org.lgsr.data.Datasets;
import org.lgsr.data.SessionDataset;
import picocli.CommandLine.Option;

/** The options that find datasets, shared by every command that reads one. */
final class DataOptions {
    @Option(names = "--data-root", paramLabel = "DIR",
            description = "Folder holding the named datasets (default: $LGSR_DATA, else ./data).")
    Path dataRoot;

    SessionDataset load(String name) {
        long t0 = System.nanoTime();
        SessionDataset ds = Datasets.load(name, dataRoot);
        System.err.printf("loaded %s (%s): %d training samples, %d test samples, %d item ids, %.2f s%n",
                ds.name(), ds.source(), ds.train().size(), ds.test().size(), ds.numItems() - 1, (System.nanoTime() - t0) / 1e9);
        return ds;
    }

    /** {@code --dataset} (default synth) with {@code --data-root}: for commands that train or evaluate. */
    static final class Choice {
        @Option(names = "--dataset", defaultValue = "synth", paramLabel = "NAME",
                description = "synth (default), yoochoose64, yoochoose4, diginetica, or a dataset folder.")
        String name;

        @picocli.CommandLine.Mixin
        DataOptions data;

        SessionDataset load() {
            return data.load(name);
        }

        /** Fails (one line) when the dataset cannot be found, without reading it. */
        void check() {
            Datasets.locate(name, data.dataRoot);
        }
    }
}
