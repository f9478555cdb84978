package org.lgsr.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.lgsr.data.DataException;
import org.lgsr.model.Checkpoint;
import org.lgsr.model.ParamLayout;
import org.lgsr.model.Parameters;
import org.lgsr.model.neural.NeuralLayout;
import org.lgsr.model.neural.NeuralParameters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "recommend", mixinStandardHelpOptions = true,
        description = "The top-K next items for sessions, from a saved model (the LGSR module or a neural one): one session with --session, or one session a line "
                + "from --input FILE (- for stdin), ids separated by spaces or commas. Writes one JSON line per session, in order: "
                + "{\"line\": N, \"session\": [...], \"items\": [...], \"scores\": [...]} (ties: the lower id first).")
final class RecommendCommand implements Runnable {
    @Option(names = "--model", required = true, paramLabel = "CKPT", description = "A checkpoint (best.lgsr or epoch-N.lgsr).")
    Path model;

    @Option(names = "--session", paramLabel = "IDS", description = "One session: item ids, e.g. \"214 8 15\".")
    String session;

    @Option(names = "--input", paramLabel = "FILE", description = "Sessions, one a line (- reads stdin).")
    String input;

    @Option(names = "--k", defaultValue = "20", paramLabel = "K", description = "Items per session (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--exclude-seen", description = "Leave out the items already in the session.")
    boolean excludeSeen;

    @Option(names = "--skip-unknown", description = "Drop ids the model does not know instead of failing (the line says which).")
    boolean skipUnknown;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "Worker threads (default 0: one per core).")
    int threads;

    /** Sessions scored per call of the model. */
    static final int BATCH = 512;

    @Override
    public void run() {
        if ((session == null) == (input == null)) throw new IllegalArgumentException("give one of --session and --input");
        if (k < 1) throw new IllegalArgumentException("--k: must be >= 1, got " + k);
        if (threads < 0) throw new IllegalArgumentException("--threads: must be >= 0, got " + threads);
        Checkpoint c = Checkpoint.read(model);
        int n = c.numItems();
        if (k > n - 1) throw new IllegalArgumentException("--k: " + k + " is more than the model's " + (n - 1) + " items");
        List<String> lines = session != null ? List.of(session) : readLines();
        List<int[]> sessions = new ArrayList<>();
        List<List<String>> dropped = new ArrayList<>();
        String where = session != null ? "--session" : (input.equals("-") ? "stdin" : input);
        for (int i = 0; i < lines.size(); i++) {
            List<String> drop = new ArrayList<>();
            sessions.add(parse(lines.get(i), n, where + " line " + (i + 1), drop));
            dropped.add(drop);
        }
        PrintStream out = System.out;
        try (org.lgsr.model.cpu.Recommender r = recommender(c, threads == 0 ? Runtime.getRuntime().availableProcessors() : threads)) {
            for (int first = 0; first < sessions.size(); first += BATCH) {
                int count = Math.min(BATCH, sessions.size() - first);
                List<int[]> part = sessions.subList(first, first + count);
                int[][] top = new int[count][];
                float[][] scores = new float[count][];
                r.recommend(part, k, excludeSeen, top, scores);
                for (int i = 0; i < count; i++) out.println(json(first + i + 1, part.get(i), top[i], scores[i], dropped.get(first + i)));
            }
        }
        out.flush();
    }

    /** A recommender over the checkpoint's model: the LGSR module or a neural model. */
    static org.lgsr.model.cpu.Recommender recommender(Checkpoint c, int threads) {
        if (c.isNeural()) {
            NeuralParameters p = new NeuralParameters(new NeuralLayout(c.neural()));
            System.arraycopy(c.params(), 0, p.w, 0, p.w.length);
            return new org.lgsr.model.cpu.Recommender(c.neural(), p, BATCH, threads);
        }
        Parameters p = new Parameters(new ParamLayout(c.model()));
        System.arraycopy(c.params(), 0, p.w, 0, p.w.length);
        return new org.lgsr.model.cpu.Recommender(c.model(), p, BATCH, threads);
    }

    private List<String> readLines() {
        try {
            if (input.equals("-")) {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                return in.lines().toList();
            }
            return Files.readAllLines(Path.of(input), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new DataException("--input: " + input + ": no such file");
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new DataException("--input: " + input + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** The ids of one line; an id the model does not know fails naming the line, or is dropped into {@code dropped}. */
    int[] parse(String line, int numItems, String where, List<String> dropped) {
        String t = line.strip();
        if (t.isEmpty()) throw new DataException(where + ": an empty session");
        List<Integer> ids = new ArrayList<>();
        for (String tok : t.split("[\\s,]+")) {
            if (tok.isEmpty()) continue;
            int id;
            try {
                id = Integer.parseInt(tok);
            } catch (NumberFormatException e) {
                id = -1;
            }
            if (id < 1 || id >= numItems) {
                if (!skipUnknown) {
                    throw new DataException(where + ": item id '" + tok + "' is not one of the model's items (1 .. " + (numItems - 1)
                            + "); --skip-unknown drops such ids");
                }
                dropped.add(tok);
                continue;
            }
            ids.add(id);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    static String json(int line, int[] session, int[] items, float[] scores, List<String> dropped) {
        StringBuilder b = new StringBuilder(64 + 16 * items.length);
        b.append("{\"line\": ").append(line).append(", \"session\": [");
        for (int i = 0; i < session.length; i++) b.append(i == 0 ? "" : ", ").append(session[i]);
        b.append("], \"items\": [");
        for (int i = 0; i < items.length; i++) b.append(i == 0 ? "" : ", ").append(items[i]);
        b.append("], \"scores\": [");
        for (int i = 0; i < scores.length; i++) b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6g", scores[i]));
        b.append(']');
        if (!dropped.isEmpty()) {
            b.append(", \"unknown\": [");
            for (int i = 0; i < dropped.size(); i++) b.append(i == 0 ? "" : ", ").append('"').append(dropped.get(i).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            b.append(']');
        }
        return b.append('}').toString();
    }
}
