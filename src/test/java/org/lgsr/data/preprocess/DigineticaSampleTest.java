package org.lgsr.data.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lgsr.TestData;
import org.lgsr.data.PickleIO;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.data.preprocess.Preprocessor.Format;
import org.lgsr.data.preprocess.Preprocessor.Result;

/**
 * Acceptance: the Diginetica sample shipped with SR-GNN, preprocessed here, must give exactly
 * the sequences that SR-GNN's own preprocess.py made of it (shared/data/raw/diginetica-sample/expected).
 */
class DigineticaSampleTest {

    @Test
    void matchesSrGnnOutputOnTheSample(@TempDir Path out) {
        Path raw = TestData.dir("raw/diginetica-sample");
        Path csv = raw.resolve("train-item-views.csv");
        Path expected = raw.resolve("expected");
        assumeTrue(Files.isRegularFile(csv) && Files.isDirectory(expected), "shared sample data not found at " + raw);

        List<String> messages = new ArrayList<>();
        Result r = Preprocessor.run(Format.DIGINETICA, csv, out, messages::add);

        Sessions wantSeq = PickleIO.readSessions(expected.resolve("all_train_seq.txt"));
        Samples wantTrain = PickleIO.readSamples(expected.resolve("train.txt"));
        Samples wantTest = PickleIO.readSamples(expected.resolve("test.txt"));
        Sessions gotSeq = PickleIO.readSessions(out.resolve("all_train_seq.txt"));
        Samples gotTrain = PickleIO.readSamples(out.resolve("train.txt"));
        Samples gotTest = PickleIO.readSamples(out.resolve("test.txt"));

        assertSessions(wantSeq, gotSeq, "all_train_seq.txt");
        assertSamples(wantTrain, gotTrain, "train.txt");
        assertSamples(wantTest, gotTest, "test.txt");

        // the counts reported agree with what was written (and with data/README.md)
        assertEquals(wantSeq.size(), r.trainSessions());
        assertEquals(wantTrain.size(), r.trainSamples());
        assertEquals(wantTest.size(), r.testSamples());
        assertEquals(wantSeq.maxItem(), r.items());
        assertEquals(1, r.outputs().size());
        try (var lines = Files.lines(csv)) {
            assertEquals(lines.count() - 1, r.clicks(), "every row after the header is a click");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        // nothing left behind beside the three files
        try (var files = Files.list(out)) {
            assertEquals(3, files.count());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        try (var siblings = Files.list(out.getParent())) {
            assertEquals(0, siblings.filter(p -> p.getFileName().toString().contains("lgsr-preprocess")).count());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        assertEquals(true, messages.stream().anyMatch(m -> m.startsWith("splitting")));
    }

    static void assertSessions(Sessions want, Sessions got, String what) {
        assertEquals(want.size(), got.size(), what + ": number of sequences");
        assertArrayEquals(want.offsets(), got.offsets(), what + ": sequence lengths");
        assertArrayEquals(want.items(), got.items(), what + ": items");
    }

    static void assertSamples(Samples want, Samples got, String what) {
        assertSessions(want.inputs(), got.inputs(), what + " inputs");
        assertArrayEquals(want.targets(), got.targets(), what + ": targets");
    }
}
