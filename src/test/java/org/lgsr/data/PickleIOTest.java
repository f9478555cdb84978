package org.lgsr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.Pickler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PickleIOTest {
    @TempDir
    Path dir;

    private Path pickle(String name, Object value) throws Exception {
        Path f = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(f)) {
            new Pickler().dump(value, out);
        }
        return f;
    }

    @Test
    void roundTripsSessionsAndSamples() {
        Sessions s = new Sessions.Builder().add(3, 1, 2).add(9, 9).build();
        PickleIO.writeSessions(dir.resolve("all_train_seq.txt"), s);
        assertEquals(s, PickleIO.readSessions(dir.resolve("all_train_seq.txt")));
        Samples samples = Samples.fromSessions(s);
        PickleIO.writeSamples(dir.resolve("train.txt"), samples);
        Samples back = PickleIO.readSamples(dir.resolve("train.txt"));
        assertEquals(samples.inputs(), back.inputs());
        assertArrayEquals(samples.targets(), back.targets());
    }

    @Test
    void readsWhatAnotherPicklerWrote() throws Exception {
        // a pickle built independently of PickleIO's writer: tuple of (list of lists, list)
        Path f = pickle("test.txt", new Object[] {List.of(List.of(5, 6), List.of(7)), List.of(8, 9)});
        Samples s = PickleIO.readSamples(f);
        assertArrayEquals(new int[] {5, 6}, s.inputs().get(0));
        assertArrayEquals(new int[] {7}, s.inputs().get(1));
        assertArrayEquals(new int[] {8, 9}, s.targets());
    }

    private void assertOneLineError(Path file, Runnable r, String fragment) {
        DataException e = assertThrows(DataException.class, r::run);
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void rejectsBadFilesWithOneLineNamingTheFile() throws Exception {
        Path missing = dir.resolve("nope.txt");
        assertOneLineError(missing, () -> PickleIO.readSessions(missing), "not found");

        Path garbage = dir.resolve("garbage.txt");
        Files.writeString(garbage, "this is not a pickle at all");
        assertOneLineError(garbage, () -> PickleIO.readSessions(garbage), "not a readable pickle");

        Path good = pickle("ok.txt", List.of(List.of(1, 2, 3), List.of(4, 5)));
        byte[] bytes = Files.readAllBytes(good);
        Path truncated = dir.resolve("truncated.txt");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertOneLineError(truncated, () -> PickleIO.readSessions(truncated), "pickle");

        Path dict = pickle("dict.txt", Map.of("a", 1));
        assertOneLineError(dict, () -> PickleIO.readSessions(dict), "expected a list of sessions");

        Path strings = pickle("strings.txt", List.of(List.of("a", "b")));
        assertOneLineError(strings, () -> PickleIO.readSessions(strings), "session 0");

        Path zero = pickle("zero.txt", List.of(List.of(1, 2), List.of(3, 0)));
        assertOneLineError(zero, () -> PickleIO.readSessions(zero), "item id 0");

        Path negative = pickle("neg.txt", List.of(List.of(-4, 2)));
        assertOneLineError(negative, () -> PickleIO.readSessions(negative), "out of range");

        Path empty = pickle("empty.txt", List.of(List.of(1, 2), List.of()));
        assertOneLineError(empty, () -> PickleIO.readSessions(empty), "session 1 is empty");

        Path uneven = pickle("uneven.txt", new Object[] {List.of(List.of(1, 2)), List.of(3, 4)});
        assertOneLineError(uneven, () -> PickleIO.readSamples(uneven), "1 inputs but 2 targets");

        Path notPair = pickle("notpair.txt", List.of(List.of(1, 2)));
        assertOneLineError(notPair, () -> PickleIO.readSamples(notPair), "expected a pair");
    }
}
