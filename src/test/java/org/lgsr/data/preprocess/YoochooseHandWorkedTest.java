package org.lgsr.data.preprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.lgsr.data.preprocess.DigineticaSampleTest.assertSamples;
import static org.lgsr.data.preprocess.DigineticaSampleTest.assertSessions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lgsr.data.PickleIO;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.data.preprocess.Preprocessor.Format;
import org.lgsr.data.preprocess.Preprocessor.Result;

/**
 * A small Yoochoose log whose correct output was worked out by hand from the rules (MODEL.md
 * section 1, SR-GNN's preprocess.py). The reasoning is in the comments of {@link #log()}.
 */
class YoochooseHandWorkedTest {

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    /** Rows of one run of a session: one click a second from {@code start}. */
    private static void run(List<String> rows, long session, String start, int... items) {
        LocalDateTime t = LocalDateTime.parse(start);
        for (int item : items) {
            rows.add(session + "," + SECONDS.format(t) + ".123Z," + item + "," + (item % 2 == 0 ? "0" : "S"));
            t = t.plusSeconds(1);
        }
    }

    /*
     * File order and what becomes of each session ("date" = time of the last row of the
     * session's last run; the sessions' order before sorting is the order in which a run of
     * theirs FIRST ends).
     *
     *   A   id 100  2014-04-01T06:00:00  [11,22,33,44] x7              28 clicks, date 06:00:27
     *   B   id 101  2014-04-01T07:00:00  [44,33,22,11] x6 + [44,33,22] 27 clicks, date 07:00:26
     *   S1  id 1    2014-04-01T08:00:00  [66]                          length 1: dropped first
     *   S3  id 3    run 1 09:00:00       [22,55,33]                    (first run ends here)
     *   S4  id 4    09:10:00             [77,66,11,77]                 date 09:10:03
     *   S3  id 3    run 2 09:20:00       [66,44]                       S3 = [22,55,33,66,44], date 09:20:01
     *   S5  id 5    10:00:00             [66,11]                       -> [11] after filtering: dropped
     *   S9  id 9    11:00:00             [99,55,11]                    date 11:00:02
     *   S7  id 7    11:00:00             [88,55,22]                    date 11:00:02 (same as S9, ends later in the file)
     *   S8  id 8    11:30:00             [77,99,88,55]                 date 11:30:03
     *   S6  id 6    12:00:00             [77,99,88,77,99,88,99,88]     date 12:00:07
     *   S10 id 10   2014-04-02T11:59:58  [11,22,33]                    date 2014-04-02T12:00:00
     *   T21 id 21   2014-04-03T09:00:00  [123,123,55]                  date 09:00:02
     *   T22 id 22   2014-04-03T10:00:00  [33,123,44,99]                date 10:00:03
     *   T20 id 20   2014-04-03T08:00:00  [11,123,22,66,123]            date 08:00:04
     *   T23 id 23   2014-04-03T11:59:59  [22,88]                       date 2014-04-03T12:00:00 (the latest)
     *
     * Item counts over the sessions left after dropping S1 (length 1):
     *   66: S4, S3, S5, T20 = exactly 4 (the 5th, in S1, does not count) -> removed
     *   55: S3, S9, S7, S8, T21 = exactly 5 -> kept
     *   77: S4 twice, S8, S6 twice = 5 -> kept;  99 and 88: 6 each;  11..44: many
     *   123: T21 twice, T22, T20 twice = 5 -> kept by the count, but never in training
     * After removing 66: S5 = [11] -> dropped; S3 = [22,55,33,44]; S4 = [77,11,77];
     * T20 = [11,123,22,123].
     *
     * Split: maxdate = 2014-04-03T12:00:00 (T23); splitdate = maxdate - 1 day
     * = 2014-04-02T12:00:00 = 1396440000. S10 ends exactly then: neither train nor test.
     * Train (date < split), sorted by date, stably:
     *   A, B, S4 (09:10:03), S3 (09:20:01; by its first run it would precede S4),
     *   S9, S7 (tie at 11:00:02: S9 ended first in the file, so S9 first), S8, S6.
     * Renumbering in that order: 11->1, 22->2, 33->3, 44->4 (A), 77->5 (S4), 55->6 (S3),
     * 99->7 (S9), 88->8 (S7). (With S3 before S4, 55 and 77 would swap; with S7 before S9,
     * 99 and 88 would swap.)
     *   A  = [1,2,3,4] x7                27 samples   (sample indices 0..26)
     *   B  = [4,3,2,1] x6 + [4,3,2]      26 samples   (27..52)
     *   S4 = [5,1,5]                      2 samples   (53..54)
     *   S3 = [2,6,3,4]                    3           (55..57)
     *   S9 = [7,6,1]                      2           (58..59)
     *   S7 = [8,6,2]                      2           (60..61)
     *   S8 = [5,7,8,6]                    3           (62..64)
     *   S6 = [5,7,8,5,7,8,7,8]            7           (65..71)
     * 72 training samples.
     * Test (date > split), sorted by date: T20 (08:00:04) -> 123 unseen -> [11,22] = [1,2];
     * T21 -> [55] = 1 item: dropped; T22 -> [33,44,99] = [3,4,7]; T23 -> [22,88] = [2,8].
     * Test samples: ([1],2), ([3,4],7), ([3],4), ([2],8).
     *
     * Fractions: 1/4: split = 72 // 4 = 18, the first kept sample is index 72 - 18 = 54, the
     * second (last) sample of S4, so train.txt = ([5],1) then all samples of S3..S6 (1+3+2+2+3+7
     * = 18), and all_train_seq.txt = S4, S3, S9, S7, S8, S6.
     * 1/64: split = 72 // 64 = 1: the last sample ([5],7); all_train_seq.txt = [S6].
     */
    static List<String> log() {
        List<String> rows = new ArrayList<>();
        run(rows, 100, "2014-04-01T06:00:00", 11, 22, 33, 44, 11, 22, 33, 44, 11, 22, 33, 44, 11, 22, 33, 44,
                11, 22, 33, 44, 11, 22, 33, 44, 11, 22, 33, 44);
        run(rows, 101, "2014-04-01T07:00:00", 44, 33, 22, 11, 44, 33, 22, 11, 44, 33, 22, 11, 44, 33, 22, 11,
                44, 33, 22, 11, 44, 33, 22, 11, 44, 33, 22);
        run(rows, 1, "2014-04-01T08:00:00", 66);
        run(rows, 3, "2014-04-01T09:00:00", 22, 55, 33);
        run(rows, 4, "2014-04-01T09:10:00", 77, 66, 11, 77);
        run(rows, 3, "2014-04-01T09:20:00", 66, 44);
        run(rows, 5, "2014-04-01T10:00:00", 66, 11);
        run(rows, 9, "2014-04-01T11:00:00", 99, 55, 11);
        run(rows, 7, "2014-04-01T11:00:00", 88, 55, 22);
        run(rows, 8, "2014-04-01T11:30:00", 77, 99, 88, 55);
        run(rows, 6, "2014-04-01T12:00:00", 77, 99, 88, 77, 99, 88, 99, 88);
        run(rows, 10, "2014-04-02T11:59:58", 11, 22, 33);
        run(rows, 21, "2014-04-03T09:00:00", 123, 123, 55);
        run(rows, 22, "2014-04-03T10:00:00", 33, 123, 44, 99);
        run(rows, 20, "2014-04-03T08:00:00", 11, 123, 22, 66, 123);
        run(rows, 23, "2014-04-03T11:59:59", 22, 88);
        return rows;
    }

    private static Sessions seqs(int[]... s) {
        Sessions.Builder b = new Sessions.Builder();
        for (int[] x : s) b.add(x);
        return b.build();
    }

    /** Samples from explicit (input, target) pairs: {@code pairs[i] = {input..., target}}. */
    private static Samples samples(int[]... pairs) {
        Sessions.Builder b = new Sessions.Builder();
        int[] targets = new int[pairs.length];
        for (int i = 0; i < pairs.length; i++) {
            b.add(pairs[i], 0, pairs[i].length - 1);
            targets[i] = pairs[i][pairs[i].length - 1];
        }
        return new Samples(b.build(), targets);
    }

    private static int[] a(int... v) {
        return v;
    }

    @Test
    void handWorkedLog(@TempDir Path tmp) throws IOException {
        List<String> rows = log();
        Path in = Files.createDirectories(tmp.resolve("raw")).resolve("yoochoose-clicks.dat");
        Files.write(in, rows);
        Path out = tmp.resolve("out");

        Result r = Preprocessor.run(Format.YOOCHOOSE, in, out, null);

        Samples test = samples(a(1, 2), a(3, 4, 7), a(3, 4), a(2, 8));

        Path q = out.resolve("yoochoose1_4");
        assertSessions(seqs(a(5, 1, 5), a(2, 6, 3, 4), a(7, 6, 1), a(8, 6, 2), a(5, 7, 8, 6), a(5, 7, 8, 5, 7, 8, 7, 8)),
                PickleIO.readSessions(q.resolve("all_train_seq.txt")), "1_4 all_train_seq.txt");
        assertSamples(samples(
                a(5, 1),
                a(2, 6, 3, 4), a(2, 6, 3), a(2, 6),
                a(7, 6, 1), a(7, 6),
                a(8, 6, 2), a(8, 6),
                a(5, 7, 8, 6), a(5, 7, 8), a(5, 7),
                a(5, 7, 8, 5, 7, 8, 7, 8), a(5, 7, 8, 5, 7, 8, 7), a(5, 7, 8, 5, 7, 8), a(5, 7, 8, 5, 7),
                a(5, 7, 8, 5), a(5, 7, 8), a(5, 7)),
                PickleIO.readSamples(q.resolve("train.txt")), "1_4 train.txt");
        assertSamples(test, PickleIO.readSamples(q.resolve("test.txt")), "1_4 test.txt");

        Path s = out.resolve("yoochoose1_64");
        assertSessions(seqs(a(5, 7, 8, 5, 7, 8, 7, 8)), PickleIO.readSessions(s.resolve("all_train_seq.txt")),
                "1_64 all_train_seq.txt");
        assertSamples(samples(a(5, 7)), PickleIO.readSamples(s.resolve("train.txt")), "1_64 train.txt");
        assertSamples(test, PickleIO.readSamples(s.resolve("test.txt")), "1_64 test.txt");

        assertEquals(rows.size(), r.clicks());
        assertEquals(15, r.sessions()); // A, B, S1, S3..S10, T20..T23 (S3 counted once)
        assertEquals(13, r.keptSessions()); // all but S1 and S5
        assertEquals(8, r.trainSessions());
        assertEquals(3, r.testSessions());
        assertEquals(72, r.trainSamples());
        assertEquals(4, r.testSamples());
        assertEquals(8, r.items());
        assertEquals(1396440000L, r.splitDate());
        assertEquals("2014-04-02T12:00:00Z", r.splitDateText());
        assertEquals(2, r.outputs().size());
        assertEquals(18, r.outputs().get(0).trainSamples());
        assertEquals(6, r.outputs().get(0).trainSessions());
        assertEquals(1, r.outputs().get(1).trainSamples());
        assertEquals(1, r.outputs().get(1).trainSessions());
    }
}
