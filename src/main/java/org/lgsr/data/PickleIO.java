package org.lgsr.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.List;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Pickler;
import net.razorvine.pickle.Unpickler;

/**
 * Reads and writes the SR-GNN/LGSR dataset files (Python pickles) with the razorvine pickle
 * library. Everything read is validated and copied into compact {@link Sessions} arrays; every
 * problem becomes a one-line {@link DataException} naming the file.
 */
public final class PickleIO {
    private PickleIO() {
    }

    /** {@code all_train_seq.txt}: a list of int lists. */
    public static Sessions readSessions(Path file) {
        Object root = unpickle(file);
        if (!(root instanceof List<?> list)) {
            throw new DataException(file + ": expected a list of sessions (int lists), found " + describe(root));
        }
        return toSessions(file, "session", list);
    }

    /** {@code train.txt} or {@code test.txt}: a tuple (list of int lists, list of ints). */
    public static Samples readSamples(Path file) {
        Object root = unpickle(file);
        Object inputs;
        Object targets;
        if (root instanceof Object[] tuple && tuple.length == 2) {
            inputs = tuple[0];
            targets = tuple[1];
        } else if (root instanceof List<?> l && l.size() == 2 && l.get(0) instanceof List<?> && l.get(1) instanceof List<?>) {
            inputs = l.get(0);
            targets = l.get(1);
        } else {
            throw new DataException(file + ": expected a pair (inputs, targets), found " + describe(root));
        }
        if (!(inputs instanceof List<?> in)) {
            throw new DataException(file + ": inputs must be a list of int lists, found " + describe(inputs));
        }
        if (!(targets instanceof List<?> tg)) {
            throw new DataException(file + ": targets must be a list of ints, found " + describe(targets));
        }
        if (in.size() != tg.size()) {
            throw new DataException(file + ": " + in.size() + " inputs but " + tg.size() + " targets");
        }
        Sessions sessions = toSessions(file, "input", in);
        int[] t = new int[tg.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = toItem(file, tg.get(i), "target " + i);
        }
        return new Samples(sessions, t);
    }

    private static Sessions toSessions(Path file, String what, List<?> list) {
        long total = 0;
        for (Object o : list) {
            if (o instanceof List<?> l) total += l.size();
        }
        Sessions.Builder b = new Sessions.Builder(list.size(), (int) Math.min(total, Integer.MAX_VALUE - 16));
        int[] buf = new int[64];
        for (int i = 0; i < list.size(); i++) {
            Object o = list.get(i);
            if (!(o instanceof List<?> seq)) {
                throw new DataException(file + ": " + what + " " + i + " is not a list of ints but " + describe(o));
            }
            if (seq.isEmpty()) {
                throw new DataException(file + ": " + what + " " + i + " is empty");
            }
            if (seq.size() > buf.length) buf = new int[Math.max(seq.size(), buf.length * 2)];
            for (int j = 0; j < seq.size(); j++) {
                buf[j] = toItem(file, seq.get(j), what + " " + i);
            }
            b.add(buf, 0, seq.size());
        }
        return b.build();
    }

    private static int toItem(Path file, Object o, String where) {
        long v;
        if (o instanceof Integer x) {
            v = x;
        } else if (o instanceof Long x) {
            v = x;
        } else if (o instanceof java.math.BigInteger x) {
            v = x.bitLength() < 63 ? x.longValue() : Long.MAX_VALUE;
        } else {
            throw new DataException(file + ": " + where + " holds " + describe(o) + " where an item id (int) belongs");
        }
        if (v < 1 || v >= Integer.MAX_VALUE) {
            throw new DataException(file + ": " + where + " holds item id " + v + ", out of range (ids are 1.." + (Integer.MAX_VALUE - 1) + "; 0 is padding)");
        }
        return (int) v;
    }

    private static Object unpickle(Path file) {
        InputStream raw;
        try {
            raw = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": file not found");
        } catch (IOException e) {
            throw new DataException(file + ": cannot open (" + oneLine(e.getMessage()) + ")");
        }
        try (InputStream in = new BufferedInputStream(raw, 1 << 16)) {
            Unpickler u = new Unpickler();
            try {
                return u.load(in);
            } finally {
                u.close();
            }
        } catch (PickleException | IOException e) {
            // a premature end of file means a truncated pickle; other I/O errors are rare here
            throw new DataException(file + ": not a readable pickle (" + oneLine(e.getMessage()) + ")");
        } catch (RuntimeException e) {
            // the unpickler throws assorted runtime exceptions on garbage input
            throw new DataException(file + ": not a readable pickle (corrupt data"
                    + (e.getMessage() == null ? "" : ": " + oneLine(e.getMessage())) + ")");
        }
    }

    static String oneLine(String s) {
        if (s == null) return "no detail";
        String t = s.strip().replaceAll("\\s+", " ");
        return t.length() > 160 ? t.substring(0, 160) + "..." : t;
    }

    private static String describe(Object o) {
        if (o == null) return "None";
        if (o instanceof Object[] a) return "a tuple of " + a.length;
        if (o instanceof List<?> l) return "a list of " + l.size();
        if (o instanceof String s) return "the string '" + (s.length() > 20 ? s.substring(0, 20) + "..." : s) + "'";
        if (o instanceof java.util.Map<?, ?> m) return "a dict of " + m.size();
        if (o instanceof Integer || o instanceof Long || o instanceof java.math.BigInteger) return "the int " + o;
        if (o instanceof Double || o instanceof Float) return "the float " + o;
        if (o instanceof Boolean b) return b ? "True" : "False";
        if (o instanceof byte[] b) return "bytes of " + b.length;
        if (o instanceof java.util.Set<?> st) return "a set of " + st.size();
        return "an object of a kind a dataset does not hold";
    }

    // ---------------------------------------------------------------- writing

    /** Writes sessions as a pickled list of int lists, atomically (temporary file, then rename). */
    public static void writeSessions(Path file, Sessions sessions) {
        writeAtomically(file, asPython(sessions));
    }

    /** Writes samples as a pickled tuple (inputs, targets), atomically. */
    public static void writeSamples(Path file, Samples samples) {
        List<Integer> targets = new IntListView(samples.targets(), 0, samples.size());
        writeAtomically(file, new Object[] {asPython(samples.inputs()), targets});
    }

    private static List<List<Integer>> asPython(Sessions s) {
        return new AbstractList<>() {
            @Override
            public List<Integer> get(int i) {
                return new IntListView(s.items(), s.start(i), s.length(i));
            }

            @Override
            public int size() {
                return s.size();
            }
        };
    }

    private static void writeAtomically(Path file, Object value) {
        try {
            // no memo: every list is distinct, and memoizing them only costs memory
            org.lgsr.report.AtomicFiles.write(file, out -> new Pickler(false).dump(value, out));
        } catch (IOException e) {
            throw new DataException(file + ": cannot write (" + oneLine(e.getMessage()) + ")");
        }
    }

    /** A read-only boxed view over part of an int array, so writing needs no copied lists. */
    private static final class IntListView extends AbstractList<Integer> {
        private final int[] a;
        private final int from;
        private final int len;

        IntListView(int[] a, int from, int len) {
            this.a = a;
            this.from = from;
            this.len = len;
        }

        @Override
        public Integer get(int i) {
            return a[from + i];
        }

        @Override
        public int size() {
            return len;
        }
    }
}
