package org.lgsr.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.lgsr.data.DatasetStats;
import org.lgsr.data.Datasets;
import org.lgsr.data.SessionDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "datasets", mixinStandardHelpOptions = true, description = "List the named datasets or print their statistics.",
        subcommands = {DatasetsCommand.Stats.class, DatasetsCommand.ListNames.class})
final class DatasetsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed: stats or list");
    }

    @Command(name = "stats", mixinStandardHelpOptions = true,
            description = "The figures of the paper's Table 1: training and test samples, items in training, average length.")
    static final class Stats implements Runnable {
        @Parameters(paramLabel = "NAME", description = "synth, yoochoose64, yoochoose4, diginetica, or a dataset folder.")
        String name;

        @Mixin
        DataOptions data;

        @Override
        public void run() {
            SessionDataset ds = data.load(name);
            DatasetStats s = DatasetStats.of(ds);
            System.out.printf("dataset               %s%n", s.name());
            System.out.printf("source                %s%n", ds.source());
            System.out.printf("train samples         %d%n", s.trainSamples());
            System.out.printf("test samples          %d%n", s.testSamples());
            System.out.printf("items in training     %d%n", s.itemsInTraining());
            System.out.printf("average length        %.2f   (prefix + target, over all samples: Table 1's figure)%n", s.averageLength());
            System.out.printf("train sessions        %d%n", s.trainSessions());
            System.out.printf("test sessions         %d%n", s.testSessions());
            System.out.printf("mean session length   %.2f%n", s.averageSessionLength());
            System.out.printf("largest item id       %d%n", s.largestId());
            for (Map.Entry<String, String> e : ds.checksums().entrySet()) {
                System.out.printf("sha256 %-18s %s%n", e.getKey(), e.getValue());
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The dataset names and where each resolves.")
    static final class ListNames implements Runnable {
        @Mixin
        DataOptions data;

        @Override
        public void run() {
            Path root = Datasets.dataRoot(data.dataRoot);
            System.out.printf("%-12s %s%n", Datasets.SYNTH, "embedded synthetic default (generated, seed 42)");
            for (Map.Entry<String, String> e : Datasets.FOLDERS.entrySet()) {
                Path dir = root.resolve(e.getValue()).toAbsolutePath().normalize();
                System.out.printf("%-12s %s%s%n", e.getKey(), dir, Files.isDirectory(dir) ? "" : "  (missing)");
            }
        }
    }
}
