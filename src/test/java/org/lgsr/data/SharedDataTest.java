package org.lgsr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.lgsr.TestData;

/** The shipped benchmark data against the published statistics of the paper's Table 1. */
class SharedDataTest {

    private static SessionDataset load(String name) {
        assumeTrue(TestData.has("yoochoose1_64") && TestData.has("diginetica"), "../shared/data is absent");
        return Datasets.load(name, TestData.root());
    }

    @Test
    void yoochoose64MatchesTable1() {
        DatasetStats s = DatasetStats.of(load("yoochoose64"));
        assertEquals(369859, s.trainSamples());
        assertEquals(55898, s.testSamples());
        assertEquals(17376, s.itemsInTraining());
        assertEquals(6.16, s.averageLength(), 0.005);
        assertEquals(37483, s.largestId()); // the data README: full Yoochoose numbering
        assertEquals(116167, s.trainSessions());
    }

    @Test
    void digineticaMatchesTable1() {
        DatasetStats s = DatasetStats.of(load("diginetica"));
        assertEquals(719470, s.trainSamples());
        assertEquals(60858, s.testSamples());
        assertEquals(43097, s.itemsInTraining());
        assertEquals(5.13, s.averageLength(), 0.005);
        assertEquals(186670, s.trainSessions());
    }

    @Test
    void derivedTrainingSamplesEqualTheShippedTrainFile() {
        SessionDataset ds = load("yoochoose64");
        Path trainFile = TestData.dir("yoochoose1_64").resolve(DatasetLoader.TRAIN);
        Samples shipped = PickleIO.readSamples(trainFile);
        assertEquals(shipped.inputs(), ds.train().inputs());
        assertArrayEquals(shipped.targets(), ds.train().targets());
    }

    @Test
    void expectedSampleFilesAreConsistent() {
        assumeTrue(TestData.has("raw/diginetica-sample/expected"), "raw sample absent");
        Path dir = TestData.dir("raw/diginetica-sample/expected");
        // protocol 4 pickles; train.txt there is the derivation of all_train_seq.txt
        Sessions seqs = PickleIO.readSessions(dir.resolve(DatasetLoader.ALL_TRAIN_SEQ));
        Samples train = PickleIO.readSamples(dir.resolve(DatasetLoader.TRAIN));
        Samples derived = Samples.fromSessions(seqs);
        assertEquals(1205, train.size());
        assertEquals(train.inputs(), derived.inputs());
        assertArrayEquals(train.targets(), derived.targets());
        assertEquals(469, seqs.size());
        // a folder with only train.txt and test.txt loads too, rebuilding the sessions
        SessionDataset ds = DatasetLoader.load("expected", dir);
        assertEquals(99, ds.test().size());
        assertEquals(309, ds.itemsInTraining());
    }
}
