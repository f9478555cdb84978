package org.lgsr.data.preprocess;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.lgsr.data.DataException;
import org.lgsr.data.preprocess.Preprocessor.Format;

/**
 * Streams a raw click log line by line into a {@link ClickLog}. Every parse problem becomes a
 * one-line {@link DataException} naming the file, the line number and the offending value.
 */
final class LogReader {
    static final long PROGRESS_EVERY = 1_000_000;

    private final Format format;
    private final Path file;
    private final Consumer<String> progress;
    private final ClickLog log;

    private final LongIntMap sessions = new LongIntMap(1 << 12);
    private final LongIntMap numericItems = new LongIntMap(1 << 12);
    private final Map<String, Integer> otherItems = new HashMap<>();

    // Diginetica columns, found from the header
    private int nFields;
    private int colSession = -1;
    private int colItem = -1;
    private int colTimeframe = -1;
    private int colDate = -1;

    private long lineNo;
    private final int[] bounds = new int[64]; // field i is [bounds[2i], bounds[2i+1])

    // the last day parsed, cached: most consecutive rows share it
    private String cachedDay;
    private long cachedDayEpoch;

    private LogReader(Format format, Path file, Consumer<String> progress) {
        this.format = format;
        this.file = file;
        this.progress = progress;
        this.log = new ClickLog(format == Format.DIGINETICA);
    }

    static ClickLog read(Format format, Path file, Consumer<String> progress) {
        LogReader r = new LogReader(format, file, progress);
        r.readAll();
        return r.log;
    }

    private void readAll() {
        if (!Files.exists(file)) {
            throw new DataException(file + ": file not found");
        }
        if (!Files.isRegularFile(file)) {
            throw new DataException(file + ": not a regular file");
        }
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8.newDecoder()), 1 << 16)) {
            String line;
            boolean first = true;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (first) {
                    first = false;
                    if (!line.isEmpty() && line.charAt(0) == '\uFEFF') line = line.substring(1);
                    if (format == Format.DIGINETICA) {
                        header(line);
                        continue;
                    }
                    // SR-GNN's script expects a header added by hand; accept the file either way
                    if (line.startsWith("session_id")) continue;
                }
                if (line.isBlank()) continue; // Python's csv reader skips empty rows too
                if (format == Format.YOOCHOOSE) {
                    yoochooseRow(line);
                } else {
                    digineticaRow(line);
                }
                if (lineNo % PROGRESS_EVERY == 0) {
                    progress.accept("read " + lineNo + " lines, " + log.sessionCount() + " sessions");
                }
            }
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": file not found");
        } catch (AccessDeniedException e) {
            throw new DataException(file + ": cannot read (permission denied)");
        } catch (CharacterCodingException e) {
            throw new DataException(file + ":" + (lineNo + 1) + ": not valid UTF-8 text");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + oneLine(e.getMessage()) + ")");
        }
        if (format == Format.DIGINETICA && lineNo == 0) {
            throw new DataException(file + ": empty file (expected the header session_id;user_id;item_id;timeframe;eventdate)");
        }
        log.endRun();
        log.lines = lineNo;
        if (log.clickCount() == 0) {
            throw new DataException(file + ": no clicks in the file");
        }
    }

    // ---------------------------------------------------------------- Yoochoose

    private void yoochooseRow(String line) {
        int n = split(line, ',');
        if (n != 4) {
            throw new DataException(where() + "expected 4 comma-separated fields (session_id,timestamp,item_id,category), found "
                    + (n < 0 ? "more than " + bounds.length / 2 : n));
        }
        long sid = parseId(line, 0, "session_id");
        long date = parseTimestamp(line, 1);
        int item = intern(line, 2);
        log.add(session(sid), item, 0, date);
    }

    /** {@code yyyy-MM-ddTHH:mm:ss} (the first 19 characters; the rest is ignored) as epoch seconds, UTC. */
    private long parseTimestamp(String line, int field) {
        int from = bounds[2 * field];
        int to = bounds[2 * field + 1];
        if (to - from < 19 || line.charAt(from + 10) != 'T' || line.charAt(from + 13) != ':' || line.charAt(from + 16) != ':') {
            throw badValue("timestamp", line, field, "expected yyyy-MM-ddTHH:mm:ss...");
        }
        long day = parseDay(line, from, field, "timestamp");
        int h = digits2(line, from + 11);
        int m = digits2(line, from + 14);
        int s = digits2(line, from + 17);
        if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 61) {
            throw badValue("timestamp", line, field, "expected yyyy-MM-ddTHH:mm:ss...");
        }
        return day + h * 3600L + m * 60L + s;
    }

    // ---------------------------------------------------------------- Diginetica

    private void header(String line) {
        int n = split(line, ';');
        if (n < 0) {
            throw new DataException(file + ":1: header has more than " + bounds.length / 2 + " columns");
        }
        nFields = n;
        for (int i = 0; i < n; i++) {
            String name = line.substring(bounds[2 * i], bounds[2 * i + 1]).strip();
            switch (name) {
                case "session_id" -> colSession = i;
                case "item_id" -> colItem = i;
                case "timeframe" -> colTimeframe = i;
                case "eventdate" -> colDate = i;
                default -> {
                    // user_id and anything else: not used
                }
            }
        }
        StringBuilder missing = new StringBuilder();
        if (colSession < 0) missing.append(" session_id");
        if (colItem < 0) missing.append(" item_id");
        if (colTimeframe < 0) missing.append(" timeframe");
        if (colDate < 0) missing.append(" eventdate");
        if (missing.length() > 0) {
            throw new DataException(file + ":1: header lacks column(s)" + missing
                    + " (expected session_id;user_id;item_id;timeframe;eventdate separated by ';'), found '" + clip(line) + "'");
        }
    }

    private void digineticaRow(String line) {
        int n = split(line, ';');
        if (n != nFields) {
            throw new DataException(where() + "expected " + nFields + " ';'-separated fields as in the header, found "
                    + (n < 0 ? "more than " + bounds.length / 2 : n));
        }
        long sid = parseId(line, colSession, "session_id");
        long timeframe = parseLong(line, colTimeframe, "timeframe");
        int from = bounds[2 * colDate];
        int to = bounds[2 * colDate + 1];
        if (to - from != 10) {
            throw badValue("eventdate", line, colDate, "expected yyyy-MM-dd");
        }
        long date = parseDay(line, from, colDate, "eventdate");
        int item = intern(line, colItem);
        log.add(session(sid), item, timeframe, date);
    }

    // ---------------------------------------------------------------- fields

    /** Splits into fields, filling {@link #bounds}; returns the number of fields, or -1 when too many. */
    private int split(String line, char sep) {
        int n = 0;
        int start = 0;
        int len = line.length();
        while (true) {
            if (n * 2 + 1 >= bounds.length) return -1;
            int end = line.indexOf(sep, start);
            if (end < 0) end = len;
            bounds[2 * n] = start;
            bounds[2 * n + 1] = end;
            n++;
            if (end == len) return n;
            start = end + 1;
        }
    }

    private int session(long sid) {
        int s = sessions.get(sid);
        if (s < 0) {
            s = log.newSession();
            sessions.putNew(sid, s);
        }
        return s;
    }

    /**
     * Interns an item id string. Ids in canonical decimal form (no sign, no leading zero) go
     * through a primitive map keyed by their value; anything else through a string map. Two
     * different strings never share an id, as in SR-GNN's dict keyed by the string.
     */
    private int intern(String line, int field) {
        int from = bounds[2 * field];
        int to = bounds[2 * field + 1];
        if (from == to) {
            throw new DataException(where() + "empty item_id");
        }
        int len = to - from;
        boolean canonical = len <= 18 && (len == 1 || line.charAt(from) != '0');
        long v = 0;
        for (int i = from; canonical && i < to; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                canonical = false;
            } else {
                v = v * 10 + (c - '0');
            }
        }
        if (canonical) {
            int id = numericItems.get(v);
            if (id < 0) {
                id = log.itemCount++;
                numericItems.putNew(v, id);
            }
            return id;
        }
        String key = line.substring(from, to);
        Integer id = otherItems.get(key);
        if (id == null) {
            id = log.itemCount++;
            otherItems.put(key, id);
        }
        return id;
    }

    private long parseId(String line, int field, String what) {
        return parseLong(line, field, what);
    }

    private long parseLong(String line, int field, String what) {
        int from = bounds[2 * field];
        int to = bounds[2 * field + 1];
        // tolerate surrounding spaces, as Python's int() does
        while (from < to && line.charAt(from) == ' ') from++;
        while (to > from && line.charAt(to - 1) == ' ') to--;
        int i = from;
        boolean neg = false;
        if (i < to && (line.charAt(i) == '-' || line.charAt(i) == '+')) {
            neg = line.charAt(i) == '-';
            i++;
        }
        if (i == to || to - i > 18) {
            throw badValue(what, line, field, "expected an integer");
        }
        long v = 0;
        for (; i < to; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                throw badValue(what, line, field, "expected an integer");
            }
            v = v * 10 + (c - '0');
        }
        return neg ? -v : v;
    }

    /** The date {@code yyyy-MM-dd} starting at {@code from}, as epoch seconds at UTC midnight. */
    private long parseDay(String line, int from, int field, String what) {
        if (cachedDay != null && line.regionMatches(from, cachedDay, 0, 10)) {
            return cachedDayEpoch;
        }
        int y1 = digits2(line, from);
        int y2 = digits2(line, from + 2);
        int mo = digits2(line, from + 5);
        int d = digits2(line, from + 8);
        if (y1 < 0 || y2 < 0 || mo < 0 || d < 0 || line.charAt(from + 4) != '-' || line.charAt(from + 7) != '-') {
            throw badValue(what, line, field, "expected yyyy-MM-dd");
        }
        long epoch;
        try {
            epoch = LocalDate.of(y1 * 100 + y2, mo, d).toEpochDay() * 86400L;
        } catch (DateTimeException e) {
            throw badValue(what, line, field, "no such date");
        }
        cachedDay = line.substring(from, from + 10);
        cachedDayEpoch = epoch;
        return epoch;
    }

    /** Two decimal digits at {@code at}, or -1. */
    private static int digits2(String s, int at) {
        char a = s.charAt(at);
        char b = s.charAt(at + 1);
        if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
        return (a - '0') * 10 + (b - '0');
    }

    private DataException badValue(String what, String line, int field, String expected) {
        String value = line.substring(bounds[2 * field], bounds[2 * field + 1]);
        return new DataException(where() + "bad " + what + " '" + clip(value) + "' (" + expected + ")");
    }

    private String where() {
        return file + ":" + lineNo + ": ";
    }

    private static String clip(String s) {
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 60 ? t.substring(0, 60) + "..." : t;
    }

    static String oneLine(String s) {
        if (s == null) return "no detail";
        String t = s.strip().replaceAll("\\s+", " ");
        return t.length() > 160 ? t.substring(0, 160) + "..." : t;
    }
}
