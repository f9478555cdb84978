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
        return load(name, null);
    }

    /** Loads dataset {@code name}; the "loaded" line goes to {@code notes} (null: printed at once). */
    SessionDataset load(String name, java.util.List<String> notes) {
        long t0 = System.nanoTime();
        SessionDataset ds = Datasets.load(name, dataRoot);
        String line = String.format(java.util.Locale.ROOT, "loaded %s (%s): %d training samples, %d test samples, %d item ids, %.2f s",
                ds.name(), ds.source(), ds.train().size(), ds.test().size(), ds.numItems() - 1, (System.nanoTime() - t0) / 1e9);
        if (notes == null) System.err.println(line);
        else notes.add(line);
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

        SessionDataset load(java.util.List<String> notes) {
            return data.load(name, notes);
        }

        /** Fails (one line) when the dataset cannot be found, without reading it. */
        void check() {
            Datasets.locate(name, data.dataRoot);
        }
    }
}
