package org.lgsr.experiment;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.lgsr.data.DataException;
import org.lgsr.report.Json;

/**
 * Runs an experiment's cells one after another, each as the {@code lgsr} command it stands for,
 * in this process, with its output kept in a log beside its report. A cell whose report is
 * complete and carries the same configuration hash is not run again, so an experiment stopped
 * by Ctrl-C or a crash loses at most the cell that was running.
 */
public final class ExperimentRunner {
    /** One run of the plan: a cell on a dataset at a grid point with a seed (none for a baseline). */
    public record Run(String dataset, ExperimentSpec.Cell cell, Map<String, String> point, Long seed, String key, Path report, Path log,
            List<String> argv, String hash, Path imported) {
    }

    /** What happened to the plan. */
    public record Outcome(int ran, int skipped, int failed, List<String> failures) {
    }

    private static final List<String> BASELINE_FLAGS = List.of("--k", "--threads", "--data-root");

    private final ExperimentSpec spec;
    private final Path out;
    private final Function<String[], Integer> lgsr;

    /** {@code lgsr} runs a command line and returns its exit code (the CLI's own entry point in use). */
    public ExperimentRunner(ExperimentSpec spec, Path out, Function<String[], Integer> lgsr) {
        this.spec = spec;
        this.out = out;
        this.lgsr = lgsr;
    }

    /** Every run of the spec, in order: datasets, then cells, then grid points, then seeds. */
    public List<Run> plan() {
        List<Run> runs = new ArrayList<>();
        for (String ds : spec.datasets) {
            for (ExperimentSpec.Cell c : spec.cells) {
                if (c.baseline()) {
                    runs.add(run(ds, c, Map.of(), null));
                    continue;
                }
                for (Map<String, String> pt : spec.gridPoints()) {
                    for (Long s : c.seeds()) runs.add(run(ds, c, pt, s));
                }
            }
        }
        return runs;
    }

    private Run run(String ds, ExperimentSpec.Cell c, Map<String, String> pt, Long seed) {
        StringBuilder key = new StringBuilder(ds.replaceAll("[^A-Za-z0-9._-]", "_")).append('-').append(c.id());
        for (Map.Entry<String, String> e : pt.entrySet()) {
            key.append("__").append(e.getKey().replaceFirst("^-+", "")).append('-').append(e.getValue().replaceAll("[^A-Za-z0-9._-]", "_"));
        }
        if (seed != null) key.append("-s").append(seed);
        String k = key.toString();
        Path report = out.resolve("runs").resolve(k + ".json");
        Path log = out.resolve("runs").resolve(k + ".log");
        List<String> argv = new ArrayList<>();
        List<String> hashed;
        if (c.baseline()) {
            argv.addAll(List.of("baseline", "--method", c.method(), "--dataset", ds));
            for (int i = 0; i < spec.common.size(); i++) {
                if (BASELINE_FLAGS.contains(spec.common.get(i)) && i + 1 < spec.common.size()) {
                    argv.add(spec.common.get(i));
                    argv.add(spec.common.get(i + 1));
                }
            }
            argv.addAll(c.args());
            hashed = List.copyOf(argv);
            argv.addAll(List.of("--report", report.toString()));
        } else {
            argv.addAll(List.of("train", "--variant", c.method(), "--dataset", ds));
            argv.addAll(spec.common);
            argv.addAll(c.args());
            for (Map.Entry<String, String> e : pt.entrySet()) {
                argv.add(e.getKey());
                argv.add(e.getValue());
            }
            argv.addAll(List.of("--seed", String.valueOf(seed)));
            if (!argv.contains("--no-compare")) argv.add("--no-compare");
            hashed = List.copyOf(argv);
            if (spec.checkpoints) argv.addAll(List.of("--checkpoint-dir", out.resolve("models").resolve(k).toString(), "--keep", "0"));
            else argv.add("--no-checkpoints");
            argv.addAll(List.of("--report", report.toString()));
        }
        Path imported = seed == null || !pt.isEmpty() ? null : spec.imports.get(ds + "|" + c.method() + "|" + seed);
        return new Run(ds, c, pt, seed, k, report, log, List.copyOf(argv), hash(hashed), imported);
    }

    /** A short hash of the command line that defines a run (its output paths left out). */
    static String hash(List<String> argv) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String a : argv) {
                md.update(a.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The run's finished report, or null when it has none, or one of another configuration, or an unfinished one. */
    public static Map<String, Object> finished(Run r) {
        if (r.imported() != null) return read(r.imported()); // checked when the spec was read
        Map<String, Object> rep = read(r.report());
        if (rep == null || !"completed".equals(rep.get("status"))) return null;
        Object e = rep.get("experiment");
        if (!(e instanceof Map<?, ?> em) || !r.hash().equals(em.get("hash"))) return null;
        return rep;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> read(Path p) {
        if (!Files.isRegularFile(p)) return null;
        try {
            Object o = Json.fromJson(Files.readString(p), Object.class);
            return o instanceof Map<?, ?> ? (Map<String, Object>) o : null;
        } catch (IOException | RuntimeException e) {
            return null; // a report cut short: the run is done again
        }
    }

    /**
     * Runs the plan's runs that match {@code only} (null: all) and are not finished. Progress goes
     * to {@code progress}: one line before each run with the count, the time so far and the time
     * left. A run that fails with bad input (exit code 2) stops the experiment: its flags are wrong
     * for every seed; another failure is recorded and the next run starts.
     */
    public Outcome execute(List<Run> plan, Pattern only, PrintStream progress) {
        List<Run> todo = new ArrayList<>();
        int skipped = 0, imported = 0;
        for (Run r : plan) {
            if (only != null && !only.matcher(r.key()).find()) continue;
            if (r.imported() != null) imported++;
            if (finished(r) != null) skipped++;
            else todo.add(r);
        }
        progress.printf(Locale.ROOT, "experiment %s: %d runs, %d already done (same configuration%s), %d to run; output %s%n", spec.name,
                todo.size() + skipped, skipped, imported > 0 ? "; " + imported + " of them imported" : "", todo.size(), out);
        long t0 = System.nanoTime();
        Map<String, double[]> secsByMethod = new LinkedHashMap<>(); // method -> {sum, count}
        int ran = 0, failed = 0;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < todo.size(); i++) {
            Run r = todo.get(i);
            if (finished(r) != null) { // another process finished it meanwhile
                skipped++;
                continue;
            }
            double elapsed = (System.nanoTime() - t0) / 1e9;
            progress.printf(Locale.ROOT, "[%d/%d] %s%s  (%s elapsed%s)%n", i + 1, todo.size(), r.key(),
                    "", fmtTime(elapsed), left(todo, i, secsByMethod));
            progress.flush();
            long c0 = System.nanoTime();
            int code = runOne(r);
            double secs = (System.nanoTime() - c0) / 1e9;
            double[] acc = secsByMethod.computeIfAbsent(r.cell().method() + "|" + r.dataset(), k -> new double[2]);
            acc[0] += secs;
            acc[1]++;
            if (code == 0 && finishedAfterRun(r)) {
                ran++;
                continue;
            }
            String why = code == 0 ? "finished without a complete report" : "exit code " + code;
            if (code == 2) {
                throw new DataException(spec.file + ": run " + r.key() + " was refused (bad input; the line above, and " + r.log()
                        + "): fix the spec; " + ran + " runs of this call finished and are kept");
            }
            failed++;
            failures.add(r.key() + ": " + why + " (log: " + r.log() + ")");
            progress.println("run " + r.key() + " failed: " + why + "; its log: " + r.log() + "; going on with the next run");
        }
        progress.printf(Locale.ROOT, "experiment %s: %d run now, %d skipped as done, %d failed; %s%n", spec.name, ran, skipped, failed,
                fmtTime((System.nanoTime() - t0) / 1e9));
        return new Outcome(ran, skipped, failed, failures);
    }

    private static String left(List<Run> todo, int i, Map<String, double[]> secsByMethod) {
        double left = 0;
        java.util.Set<String> untimed = new java.util.LinkedHashSet<>();
        for (int j = i; j < todo.size(); j++) {
            double[] a = secsByMethod.get(todo.get(j).cell().method() + "|" + todo.get(j).dataset());
            if (a != null) left += a[0] / a[1];
            else untimed.add(todo.get(j).cell().method() + " on " + todo.get(j).dataset());
        }
        if (untimed.isEmpty()) return ", about " + fmtTime(left) + " left";
        return (left > 0 ? ", " + fmtTime(left) + " left for what has been timed" : "") + "; not yet timed: " + String.join(", ", untimed);
    }

    static String fmtTime(double s) {
        long t = Math.round(s);
        if (t < 60) return t + " s";
        if (t < 3600) return String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
        return String.format(Locale.ROOT, "%dh%02dm", t / 3600, (t % 3600) / 60);
    }

    /** Runs one command with its output copied into its log; returns the exit code. */
    private int runOne(Run r) {
        PrintStream oldOut = System.out, oldErr = System.err;
        try {
            Files.createDirectories(r.log().toAbsolutePath().getParent());
            try (OutputStream logFile = Files.newOutputStream(r.log())) {
                PrintStream logPs = new PrintStream(logFile, true, StandardCharsets.UTF_8);
                logPs.println("$ lgsr " + String.join(" ", r.argv()));
                System.setOut(new PrintStream(new Tee(oldOut, logPs), true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(new Tee(oldErr, logPs), true, StandardCharsets.UTF_8));
                try {
                    return lgsr.apply(r.argv().toArray(String[]::new));
                } finally {
                    System.out.flush();
                    System.err.flush();
                    System.setOut(oldOut);
                    System.setErr(oldErr);
                }
            }
        } catch (IOException e) {
            throw new DataException(r.log() + ": cannot write the run's log (" + e.getMessage() + ")");
        }
    }

    /** Stamps the report of a run that ended well with its place in the experiment; false when the report is missing or unfinished. */
    private boolean finishedAfterRun(Run r) {
        Map<String, Object> rep = read(r.report());
        if (rep == null || !"completed".equals(rep.get("status"))) return false;
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("spec", spec.name);
        e.put("cell", r.cell().id());
        e.put("method", r.cell().method());
        e.put("dataset", r.dataset());
        e.put("seed", r.seed());
        e.put("grid", r.point());
        e.put("hash", r.hash());
        e.put("argv", r.argv());
        rep.put("experiment", e);
        Json.write(r.report(), rep);
        return true;
    }

    /** An output stream that writes to two. */
    private static final class Tee extends OutputStream {
        private final OutputStream a, b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }
}
