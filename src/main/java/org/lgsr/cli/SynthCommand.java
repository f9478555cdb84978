package org.lgsr.cli;

import java.nio.file.Path;
import org.lgsr.data.DatasetLoader;
import org.lgsr.data.DatasetStats;
import org.lgsr.data.PickleIO;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.SyntheticData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write the deterministic synthetic dataset (the embedded default) in the SR-GNN/LGSR layout.")
final class SynthCommand implements Runnable {
    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder to write train.txt, test.txt, all_train_seq.txt into.")
    Path output;

    @Option(names = "--force", description = "Write into a folder that is not empty (never over the data root's named datasets).")
    boolean force;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--items", defaultValue = "2000", description = "Number of items (default: ${DEFAULT-VALUE}).")
    int items;

    @Option(names = "--train-sessions", defaultValue = "12000", description = "Training sessions (default: ${DEFAULT-VALUE}).")
    int trainSessions;

    @Option(names = "--test-sessions", defaultValue = "2000", description = "Test sessions (default: ${DEFAULT-VALUE}).")
    int testSessions;

    @Override
    public void run() {
        OutputPaths.checkDataOutput(output, force, "--output", java.util.List.of(""));
        SyntheticData.Config c = SyntheticData.Config.defaults().withSeed(seed).withSize(items, trainSessions, testSessions);
        SessionDataset ds = SyntheticData.generate(c);
        PickleIO.writeSessions(output.resolve(DatasetLoader.ALL_TRAIN_SEQ), ds.trainSessions());
        PickleIO.writeSamples(output.resolve(DatasetLoader.TRAIN), ds.train());
        PickleIO.writeSamples(output.resolve(DatasetLoader.TEST), ds.test());
        DatasetStats s = DatasetStats.of(ds);
        System.out.printf("wrote %s: %d training sessions, %d training samples, %d test samples, %d items in training, average length %.2f%n",
                output, s.trainSessions(), s.trainSamples(), s.testSamples(), s.itemsInTraining(), s.averageLength());
    }
}
