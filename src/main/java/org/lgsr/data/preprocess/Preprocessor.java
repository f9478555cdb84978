package org.lgsr.data.preprocess;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.lgsr.data.DataException;
import org.lgsr.data.PickleIO;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.data.preprocess.IntArrays.Longs;

/**
 * Turns a raw click log (Yoochoose or Diginetica) into the SR-GNN/LGSR dataset layout
 * ({@code train.txt}, {@code test.txt}, {@code all_train_seq.txt}), by the rules of SR-GNN's
 * {@code preprocess.py} as written down in MODEL.md section 1.
 *
 * <p>The log is streamed; memory grows with the number of sessions and clicks (about 4 bytes a
 * click plus a few dozen bytes a session), not with the file. All output is first written into
 * a temporary directory beside the output directory and moved into place only once every file
 * is complete; on any failure before that the output directory is left as it was.
 */
public final class Preprocessor {
    private Preprocessor() {
    }

    /** The raw formats understood. */
    public enum Format {
        /**
         * {@code yoochoose-clicks.dat}: {@code session_id,timestamp,item_id,category}, no header
         * (a header line starting with {@code session_id} is skipped); test = the last day.
         */
        YOOCHOOSE("yoochoose-clicks.dat", 86_400L),
        /**
         * {@code train-item-views.csv}: {@code ;}-separated with the header
         * {@code session_id;user_id;item_id;timeframe;eventdate}; test = the last 7 days.
         */
        DIGINETICA("train-item-views.csv", 7 * 86_400L);

        private final String fileName;
        private final long testSeconds;

        Format(String fileName, long testSeconds) {
            this.fileName = fileName;
            this.testSeconds = testSeconds;
        }

        /** The usual name of the raw file, looked up when the input given is a directory. */
        public String fileName() {
            return fileName;
        }

        /** Length of the test period in seconds: split date = latest session date minus this. */
        public long testSeconds() {
            return testSeconds;
        }
    }

    /** One dataset folder written: its training side (the test side is the same in all). */
    public record Output(Path dir, int trainSessions, int trainSamples, int testSamples) {
    }

    /**
     * What a run did.
     *
     * @param lines        lines read from the input (header included)
     * @param clicks       click rows read
     * @param sessions     distinct sessions read
     * @param keptSessions sessions left after dropping length-1 sessions and rare items
     * @param trainSessions training sessions (all of them, before any Yoochoose fraction)
     * @param testSessions test sessions after dropping items unseen in training
     * @param trainSamples training samples (all of them, before any Yoochoose fraction)
     * @param testSamples  test samples
     * @param items        distinct item ids in training ({@code 1..items})
     * @param splitDate    the split date, epoch seconds (UTC)
     * @param outputs      the dataset folders written (one for Diginetica; 1/4 and 1/64 for Yoochoose)
     */
    public record Result(Format format, Path input, long lines, long clicks, int sessions, int keptSessions,
                         int trainSessions, int testSessions, long trainSamples, long testSamples, int items,
                         long splitDate, List<Output> outputs) {

        /** The split date in ISO form, e.g. {@code 2016-05-25T00:00:00Z}. */
        public String splitDateText() {
            return Instant.ofEpochSecond(splitDate).toString();
        }
    }

    /**
     * Preprocesses a raw log.
     *
     * @param format    the log's format
     * @param input     the raw file, or a directory holding it under {@link Format#fileName()}
     * @param outputDir Diginetica: the folder that receives {@code train.txt}, {@code test.txt},
     *                  {@code all_train_seq.txt}; Yoochoose: the folder that receives the
     *                  sub-folders {@code yoochoose1_4} and {@code yoochoose1_64}, each with those
     *                  three files. Created if absent; files of the same names are replaced.
     * @param progress  receives one-line progress messages (every million lines and at each
     *                  stage); may be null
     * @return counts for reporting
     * @throws DataException on bad input (one line naming the file, and the line where it
     *                       applies), or when the output cannot be written; the output folder is
     *                       then unchanged
     */
    public static Result run(Format format, Path input, Path outputDir, Consumer<String> progress) {
        Consumer<String> say = progress == null ? m -> { } : progress;
        Path file = Files.isDirectory(input) ? input.resolve(format.fileName()) : input;
        if (Files.exists(outputDir) && !Files.isDirectory(outputDir)) {
            throw new DataException(outputDir + ": output exists and is not a directory");
        }

        say.accept("reading " + file);
        ClickLog log = LogReader.read(format, file, say);
        say.accept("read " + log.lines + " lines: " + log.clickCount() + " clicks, " + log.sessionCount()
                + " sessions, " + log.itemCount + " distinct items");

        // ------------------------------------------------------------ filtering
        say.accept("filtering: dropping sessions of length 1 and items seen fewer than 5 times");
        Filtered kept = filter(log);
        long clicks = log.clickCount();
        int nSessions = log.sessionCount();
        long lines = log.lines;
        int rawItems = log.itemCount;
        log = null; // the raw arrays are no longer needed
        if (kept.sessions.size() == 0) {
            throw new DataException(file + ": no sessions left after dropping sessions of length 1 and items seen fewer than 5 times");
        }
        say.accept("kept " + kept.sessions.size() + " sessions, " + kept.sessions.totalItems() + " clicks");

        // ------------------------------------------------------------ splitting
        long maxDate = Long.MIN_VALUE;
        for (long d : kept.dates) maxDate = Math.max(maxDate, d);
        long splitDate = maxDate - format.testSeconds();
        String splitText = Instant.ofEpochSecond(splitDate).toString();
        say.accept("splitting at " + splitText + " (latest session " + Instant.ofEpochSecond(maxDate) + ")");
        int[] trainIdx = selectSorted(kept.dates, splitDate, false);
        int[] testIdx = selectSorted(kept.dates, splitDate, true);

        int[] newId = new int[rawItems]; // 0: not in training
        int nextId = 1;
        Sessions.Builder tb = new Sessions.Builder(trainIdx.length, 16);
        int[] buf = new int[16];
        for (int s : trainIdx) {
            int start = kept.sessions.start(s);
            int len = kept.sessions.length(s);
            if (buf.length < len) buf = new int[Math.max(len, buf.length * 2)];
            for (int j = 0; j < len; j++) {
                int raw = kept.sessions.items()[start + j];
                if (newId[raw] == 0) newId[raw] = nextId++;
                buf[j] = newId[raw];
            }
            tb.add(buf, 0, len);
        }
        Sessions train = tb.build();
        Sessions.Builder eb = new Sessions.Builder(testIdx.length, 16);
        for (int s : testIdx) {
            int start = kept.sessions.start(s);
            int len = kept.sessions.length(s);
            if (buf.length < len) buf = new int[Math.max(len, buf.length * 2)];
            int n = 0;
            for (int j = 0; j < len; j++) {
                int id = newId[kept.sessions.items()[start + j]];
                if (id != 0) buf[n++] = id;
            }
            if (n >= 2) eb.add(buf, 0, n);
        }
        Sessions test = eb.build();
        int keptSessions = kept.sessions.size();
        kept = null;
        if (train.size() == 0) {
            throw new DataException(file + ": no training sessions (none ends before the split date " + splitText + ")");
        }
        if (test.size() == 0) {
            throw new DataException(file + ": no test sessions (none after the split date " + splitText
                    + " has 2 or more items seen in training)");
        }
        long trainSamples = countSamples(train);
        say.accept("split: " + train.size() + " training sessions (" + trainSamples + " samples), "
                + test.size() + " test sessions, " + (nextId - 1) + " items");

        // check the fractions before writing anything
        int[] fractions = format == Format.YOOCHOOSE ? new int[] {4, 64} : new int[0];
        for (int k : fractions) {
            if (trainSamples / k == 0) {
                throw new DataException(file + ": too few training samples (" + trainSamples + ") for the 1/" + k
                        + " fraction (need at least " + k + ")");
            }
        }

        // ------------------------------------------------------------ writing
        Samples testSamples = Samples.fromSessions(test);
        List<Output> outputs = new ArrayList<>();
        List<String[]> moves = new ArrayList<>(); // relative paths written into the staging folder
        Path target = outputDir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Path staging = null;
        try {
            Files.createDirectories(parent);
            staging = Files.createTempDirectory(parent, "." + target.getFileName() + ".lgsr-preprocess-");
            if (format == Format.DIGINETICA) {
                say.accept("writing " + target);
                Samples tr = Samples.fromSessions(train);
                PickleIO.writeSamples(staging.resolve("train.txt"), tr);
                PickleIO.writeSamples(staging.resolve("test.txt"), testSamples);
                PickleIO.writeSessions(staging.resolve("all_train_seq.txt"), train);
                moves.add(new String[] {"train.txt"});
                moves.add(new String[] {"test.txt"});
                moves.add(new String[] {"all_train_seq.txt"});
                outputs.add(new Output(target, train.size(), tr.size(), testSamples.size()));
            } else {
                for (int k : fractions) {
                    String sub = "yoochoose1_" + k;
                    say.accept("writing " + target.resolve(sub));
                    Fraction f = fraction(train, trainSamples, k);
                    Path d = Files.createDirectories(staging.resolve(sub));
                    PickleIO.writeSamples(d.resolve("train.txt"), f.samples);
                    PickleIO.writeSamples(d.resolve("test.txt"), testSamples);
                    PickleIO.writeSessions(d.resolve("all_train_seq.txt"), f.sessions);
                    moves.add(new String[] {sub, "train.txt"});
                    moves.add(new String[] {sub, "test.txt"});
                    moves.add(new String[] {sub, "all_train_seq.txt"});
                    outputs.add(new Output(target.resolve(sub), f.sessions.size(), f.samples.size(), testSamples.size()));
                }
            }
            // every file is complete: move them into place
            for (String[] rel : moves) {
                Path from = staging;
                Path to = target;
                for (String part : rel) {
                    from = from.resolve(part);
                    to = to.resolve(part);
                }
                Files.createDirectories(to.getParent());
                try {
                    Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new DataException(target + ": cannot write output (" + LogReader.oneLine(e.getMessage()) + ")");
        } finally {
            if (staging != null) deleteTree(staging);
        }
        say.accept("done: " + target);
        return new Result(format, file, lines, clicks, nSessions, keptSessions, train.size(), test.size(),
                trainSamples, testSamples.size(), nextId - 1, splitDate, List.copyOf(outputs));
    }

    // ---------------------------------------------------------------- stages

    /** Sessions after the length and item-count filters, in date-dict order, with their dates. */
    private record Filtered(Sessions sessions, long[] dates) {
    }

    private static Filtered filter(ClickLog log) {
        int[] count = new int[log.itemCount];
        int[] items = log.items.a;
        int[] clicks = new int[16];
        int[] order = Arrays.copyOf(log.order.a, log.order.size);
        // counts over the sessions of length >= 2
        for (int s : order) {
            int len = log.length(s);
            if (len < 2) continue;
            if (clicks.length < len) clicks = new int[Math.max(len, clicks.length * 2)];
            int n = log.clicks(s, clicks);
            for (int j = 0; j < n; j++) count[items[clicks[j]]]++;
        }
        Sessions.Builder b = new Sessions.Builder(order.length, (int) Math.min(Integer.MAX_VALUE - 16L, log.clickCount()));
        Longs dates = new Longs(order.length);
        long[] timeframes = log.timeframes == null ? null : log.timeframes.a;
        int[] tmp = new int[16];
        int[] out = new int[16];
        for (int s : order) {
            int len = log.length(s);
            if (len < 2) continue;
            if (clicks.length < len) clicks = new int[Math.max(len, clicks.length * 2)];
            if (tmp.length < len) {
                tmp = new int[clicks.length];
                out = new int[clicks.length];
            }
            int n = log.clicks(s, clicks);
            if (timeframes != null) {
                // Diginetica: order by timeframe, ties in file order
                IntArrays.stableSortByKey(clicks, n, timeframes, tmp);
            }
            int m = 0;
            for (int j = 0; j < n; j++) {
                int item = items[clicks[j]];
                if (count[item] >= 5) out[m++] = item;
            }
            if (m >= 2) {
                b.add(out, 0, m);
                dates.add(log.sessionDate.get(s));
            }
        }
        return new Filtered(b.build(), Arrays.copyOf(dates.a, dates.size));
    }

    /** Indices with date above (test) or below (train) the split date, stably sorted by date. */
    private static int[] selectSorted(long[] dates, long splitDate, boolean after) {
        int n = 0;
        int[] idx = new int[dates.length];
        for (int i = 0; i < dates.length; i++) {
            if (after ? dates[i] > splitDate : dates[i] < splitDate) idx[n++] = i;
        }
        IntArrays.stableSortByKey(idx, n, dates, new int[n]);
        return Arrays.copyOf(idx, n);
    }

    private static long countSamples(Sessions s) {
        long n = 0;
        for (int i = 0; i < s.size(); i++) n += Math.max(0, s.length(i) - 1);
        return n;
    }

    private record Fraction(Sessions sessions, Samples samples) {
    }

    /**
     * SR-GNN's Yoochoose fraction: the last {@code total/k} training samples, and the training
     * sessions from the one holding the first of them on.
     */
    private static Fraction fraction(Sessions train, long total, int k) {
        long split = total / k;
        long first = total - split; // index of the first sample kept
        long seen = 0;
        int from = 0;
        while (seen + train.length(from) - 1 <= first) {
            seen += train.length(from) - 1;
            from++;
        }
        Sessions tail = train.slice(from, train.size());
        Samples all = Samples.fromSessions(tail);
        int skip = (int) (first - seen);
        if (skip == 0) return new Fraction(tail, all);
        Samples kept = new Samples(all.inputs().slice(skip, all.size()), Arrays.copyOfRange(all.targets(), skip, all.size()));
        return new Fraction(tail, kept);
    }

    private static void deleteTree(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // best effort: a leftover staging folder holds nothing the output needs
        }
    }
}
