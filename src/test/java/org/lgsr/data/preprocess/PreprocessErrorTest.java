package org.lgsr.data.preprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lgsr.data.DataException;
import org.lgsr.data.preprocess.Preprocessor.Format;

/** Bad input gives one-line DataExceptions naming file (and line), and leaves the output untouched. */
class PreprocessErrorTest {
    @TempDir
    Path tmp;
    Path raw;
    Path parent;
    Path out;

    @BeforeEach
    void setUp() throws IOException {
        raw = Files.createDirectories(tmp.resolve("raw"));
        parent = Files.createDirectories(tmp.resolve("datasets"));
        out = Files.createDirectories(parent.resolve("out"));
        Files.writeString(out.resolve("marker"), "keep me");
    }

    private DataException fails(Format format, Path input) {
        DataException e = assertThrows(DataException.class, () -> Preprocessor.run(format, input, out, null));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().contains(input.toString()) || e.getMessage().contains(input.getFileName().toString()),
                "names the file: " + e.getMessage());
        assertOutputUntouched();
        return e;
    }

    private void assertOutputUntouched() {
        try (Stream<Path> inOut = Files.list(out); Stream<Path> inParent = Files.list(parent)) {
            assertEquals(List.of("marker"), inOut.map(p -> p.getFileName().toString()).collect(Collectors.toList()));
            assertEquals(List.of("out"), inParent.map(p -> p.getFileName().toString()).collect(Collectors.toList()),
                    "no staging folder left beside the output");
            assertEquals("keep me", Files.readString(out.resolve("marker")));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private Path write(String name, String... lines) throws IOException {
        return Files.write(raw.resolve(name), List.of(lines));
    }

    @Test
    void missingFile() {
        DataException e = fails(Format.YOOCHOOSE, raw.resolve("yoochoose-clicks.dat"));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
        // a folder without the expected file name is reported with the file it looked for
        DataException d = assertThrows(DataException.class, () -> Preprocessor.run(Format.DIGINETICA, raw, out, null));
        assertTrue(d.getMessage().contains(raw.resolve("train-item-views.csv").toString()), d.getMessage());
        assertOutputUntouched();
    }

    @Test
    void wrongNumberOfColumnsNamesFileAndLine() throws IOException {
        Path f = write("clicks.dat",
                "1,2014-04-01T10:00:00.000Z,214536502,0",
                "1,2014-04-01T10:00:01.000Z,214536500,0",
                "2,2014-04-01T10:05:00.000Z,214536502");
        DataException e = fails(Format.YOOCHOOSE, f);
        assertTrue(e.getMessage().startsWith(f + ":3: "), e.getMessage());
        assertTrue(e.getMessage().contains("4 comma-separated fields"), e.getMessage());
    }

    @Test
    void badTimestampNamesLineAndValue() throws IOException {
        Path f = write("clicks.dat",
                "1,2014-04-01T10:00:00.000Z,214536502,0",
                "1,2014-04-01 10:00:01,214536500,0");
        DataException e = fails(Format.YOOCHOOSE, f);
        assertTrue(e.getMessage().startsWith(f + ":2: "), e.getMessage());
        assertTrue(e.getMessage().contains("'2014-04-01 10:00:01'"), e.getMessage());

        Path g = write("clicks2.dat", "1,2014-02-30T10:00:00.000Z,214536502,0");
        DataException e2 = fails(Format.YOOCHOOSE, g);
        assertTrue(e2.getMessage().startsWith(g + ":1: "), e2.getMessage());
    }

    @Test
    void badSessionIdAndTimeframe() throws IOException {
        Path f = write("clicks.dat", "x1,2014-04-01T10:00:00.000Z,214536502,0");
        assertTrue(fails(Format.YOOCHOOSE, f).getMessage().contains(":1: bad session_id 'x1'"));

        Path d = write("views.csv", "session_id;user_id;item_id;timeframe;eventdate", "1;NA;81766;52a6309;2016-05-09");
        assertTrue(fails(Format.DIGINETICA, d).getMessage().contains(":2: bad timeframe '52a6309'"));

        Path e = write("views2.csv", "session_id;user_id;item_id;timeframe;eventdate", "1;;81766;526309;2016/05/09");
        assertTrue(fails(Format.DIGINETICA, e).getMessage().contains(":2: bad eventdate '2016/05/09'"));
    }

    @Test
    void digineticaHeaderWithoutNeededColumns() throws IOException {
        Path f = write("views.csv", "session;user_id;item_id;timeframe;eventdate", "1;NA;81766;526309;2016-05-09");
        DataException e = fails(Format.DIGINETICA, f);
        assertTrue(e.getMessage().contains("session_id"), e.getMessage());
    }

    @Test
    void emptyInput() throws IOException {
        fails(Format.YOOCHOOSE, write("empty.dat"));
        fails(Format.DIGINETICA, write("empty.csv"));
        fails(Format.DIGINETICA, write("header-only.csv", "session_id;user_id;item_id;timeframe;eventdate"));
    }

    @Test
    void noTrainingSessions() throws IOException {
        // every session on the same day: all are within the last day, none before the split
        String[] rows = new String[10];
        for (int i = 0; i < 10; i++) {
            rows[i] = (i / 2 + 1) + ",2014-04-01T10:00:0" + i + ".000Z," + (i % 2 == 0 ? 5 : 6) + ",0";
        }
        DataException e = fails(Format.YOOCHOOSE, write("clicks.dat", rows));
        assertTrue(e.getMessage().contains("no training sessions"), e.getMessage());
    }

    @Test
    void tooFewTrainingSamplesForAFraction() throws IOException {
        // 5 training sessions [5,6] on day 1 (5 samples: 5 // 4 = 1 but 5 // 64 = 0) and
        // one test session on day 3
        String[] rows = new String[12];
        for (int i = 0; i < 10; i++) {
            rows[i] = (i / 2 + 1) + ",2014-04-01T10:00:0" + i + ".000Z," + (i % 2 == 0 ? 5 : 6) + ",0";
        }
        rows[10] = "9,2014-04-03T10:00:00.000Z,5,0";
        rows[11] = "9,2014-04-03T10:00:01.000Z,6,0";
        DataException e = fails(Format.YOOCHOOSE, write("clicks.dat", rows));
        assertTrue(e.getMessage().contains("1/64"), e.getMessage());
    }
}
