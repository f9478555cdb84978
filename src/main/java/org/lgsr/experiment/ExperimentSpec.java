package org.lgsr.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.lgsr.baselines.Baselines;
import org.lgsr.data.DataException;

/**
 * An experiment: datasets x cells (a baseline or a training variant with its flags) x a grid of
 * flag values x seeds. Read from a JSON file (docs/experiments.md gives the format); every
 * mistake is one line naming the file and the key.
 */
public final class ExperimentSpec {
    /** One cell: an id, a method (a baseline or a variant of {@code lgsr train}), its own flags and seeds. */
    public record Cell(String id, String method, List<String> args, List<Long> seeds) {
        public boolean baseline() {
            return Baselines.METHODS.contains(method);
        }
    }

    /** One flag of the grid and its values, in the spec's order. */
    public record Axis(String flag, List<String> values) {
        /** The flag without its dashes ({@code --dim} gives {@code dim}). */
        public String name() {
            return flag.replaceFirst("^-+", "");
        }
    }

    private static final Set<String> KEYS = Set.of("name", "title", "out", "datasets", "seeds", "common", "cells", "grid", "figures",
            "checkpoints", "notes", "imports", "sweep");
    private static final Set<String> CELL_KEYS = Set.of("id", "method", "args", "seeds");
    /** The figures a spec may ask for. */
    public static final List<String> FIGURES = List.of("bars", "curves", "lg", "hyper", "attention");
    private static final Set<String> TRAIN_ONLY_FLAGS_REFUSED = Set.of("--report", "--seed", "--dataset", "--variant", "--resume",
            "--checkpoint-dir", "--no-checkpoints", "--keep");

    public final Path file;
    public final String name;
    public final String title;
    public final Path out;
    public final List<String> datasets;
    public final List<Long> seeds;
    public final List<String> common;
    public final List<Cell> cells;
    public final List<Axis> grid;
    public final List<String> figures;
    public final boolean checkpoints;
    /** The grid's flags one at a time (the others at their defaults) instead of their product. */
    public final boolean sweep;
    public final String notes;
    /** Reports of runs made elsewhere (another machine, a GPU) that stand for planned runs: dataset|method|seed to file. */
    public final Map<String, Path> imports;

    private ExperimentSpec(Path file, Map<String, Object> m) {
        this.file = file;
        for (String k : m.keySet()) {
            if (!KEYS.contains(k)) throw fail("unknown key \"" + k + "\"; known: " + String.join(", ", new java.util.TreeSet<>(KEYS)));
        }
        this.name = string(m, "name", null);
        if (name == null || !name.matches("[A-Za-z0-9._-]+")) throw fail("\"name\" must be a short id of letters, digits, '.', '_' or '-'");
        this.title = string(m, "title", name);
        this.notes = string(m, "notes", null);
        String o = string(m, "out", "results/" + name);
        this.out = Path.of(o);
        List<String> common = strings(m.get("common"), "common");
        List<String> ds = m.containsKey("datasets") ? strings(m.get("datasets"), "datasets") : null;
        int di = common.indexOf("--dataset");
        if (di >= 0) { // the form of scripts/study.py's specs: the dataset among the common flags
            if (ds != null || di + 1 >= common.size()) throw fail("give the datasets in \"datasets\", not as --dataset in \"common\"");
            ds = List.of(common.get(di + 1));
            common = new ArrayList<>(common);
            common.remove(di + 1);
            common.remove(di);
        }
        this.datasets = ds == null ? List.of("synth") : ds;
        if (datasets.isEmpty()) throw fail("\"datasets\" is empty");
        for (String f : common) {
            if (TRAIN_ONLY_FLAGS_REFUSED.contains(f)) throw fail("\"common\" may not hold " + f + ": the harness sets it per cell");
        }
        this.common = List.copyOf(common);
        this.seeds = m.containsKey("seeds") ? longs(m.get("seeds"), "seeds") : List.of(1L);
        if (seeds.isEmpty()) throw fail("\"seeds\" is empty");
        Object cs = m.get("cells");
        if (!(cs instanceof List<?> cl) || cl.isEmpty()) throw fail("\"cells\" must be a non-empty list of {\"id\", \"method\", \"args\", \"seeds\"}");
        List<Cell> cells = new ArrayList<>();
        Set<String> ids = new java.util.HashSet<>();
        for (Object c : (List<?>) cs) {
            if (!(c instanceof Map<?, ?> cm)) {
                throw fail("each of \"cells\" must be an object like {\"id\": \"lgsr-c\", \"method\": \"lgsr-c\"}");
            }
            for (Object k : cm.keySet()) {
                if (!CELL_KEYS.contains(String.valueOf(k))) throw fail("cell: unknown key \"" + k + "\"; known: id, method, args, seeds");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> cmap = (Map<String, Object>) cm;
            List<String> args = new ArrayList<>(strings(cmap.get("args"), "cells[].args"));
            String method = string(cmap, "method", null);
            int vi = args.indexOf("--variant");
            if (vi >= 0) { // study.py's form: the variant among the args
                if (method != null || vi + 1 >= args.size()) throw fail("cell: give the variant as \"method\", not as --variant in \"args\"");
                method = args.get(vi + 1);
                args.remove(vi + 1);
                args.remove(vi);
            }
            String id = string(cmap, "id", method);
            if (id == null) throw fail("cell: needs an \"id\" or a \"method\"");
            if (method == null) method = "lgsr";
            if (!id.matches("[A-Za-z0-9._-]+")) throw fail("cell \"" + id + "\": the id must be letters, digits, '.', '_' or '-'");
            if (!ids.add(id)) throw fail("cell \"" + id + "\" appears twice");
            for (String f : args) {
                if (TRAIN_ONLY_FLAGS_REFUSED.contains(f)) throw fail("cell \"" + id + "\": \"args\" may not hold " + f + ": the harness sets it");
            }
            List<Long> cseeds = cmap.containsKey("seeds") ? longs(cmap.get("seeds"), "cells[].seeds") : seeds;
            cells.add(new Cell(id, method, List.copyOf(args), cseeds));
        }
        this.cells = List.copyOf(cells);
        List<Axis> grid = new ArrayList<>();
        Object g = m.get("grid");
        if (g != null) {
            if (!(g instanceof Map<?, ?> gm)) {
                throw fail("\"grid\" must be an object of flag: [values], like {\"--dim\": [60, 100, 140]}");
            }
            for (Map.Entry<?, ?> e : gm.entrySet()) {
                String flag = String.valueOf(e.getKey());
                if (!flag.startsWith("--")) throw fail("grid: \"" + flag + "\" is not a flag (it starts with --)");
                if (TRAIN_ONLY_FLAGS_REFUSED.contains(flag)) throw fail("grid: " + flag + " is set by the harness");
                List<String> vals = strings(e.getValue(), "grid." + flag);
                if (vals.isEmpty()) throw fail("grid: " + flag + " has no values");
                grid.add(new Axis(flag, List.copyOf(vals)));
            }
        }
        this.grid = List.copyOf(grid);
        List<String> figs = m.containsKey("figures") ? strings(m.get("figures"), "figures") : defaultFigures();
        for (String f : figs) {
            if (!FIGURES.contains(f)) throw fail("figures: unknown figure \"" + f + "\"; known: " + String.join(", ", FIGURES));
        }
        if (figs.contains("hyper") && grid.isEmpty()) throw fail("figures: \"hyper\" plots the grid, and the spec has no \"grid\"");
        this.figures = List.copyOf(figs);
        Object ck = m.getOrDefault("checkpoints", Boolean.FALSE);
        if (!(ck instanceof Boolean)) throw fail("\"checkpoints\" must be true or false");
        this.checkpoints = (Boolean) ck;
        if (figures.contains("attention") && !checkpoints) {
            throw fail("figures: \"attention\" draws from the runs' saved models: set \"checkpoints\": true");
        }
        Object sw = m.getOrDefault("sweep", Boolean.FALSE);
        if (!(sw instanceof Boolean)) throw fail("\"sweep\" must be true or false");
        this.sweep = (Boolean) sw;
        if (sweep && grid.isEmpty()) throw fail("\"sweep\" varies the grid's flags one at a time, and the spec has no \"grid\"");
        Map<String, Path> imp = new LinkedHashMap<>();
        Path base = file.toAbsolutePath().getParent();
        for (String f : strings(m.get("imports"), "imports")) {
            Path given = Path.of(f);
            Path rp = given.isAbsolute() || Files.exists(given) ? given : base.resolve(given);
            Map<String, Object> rep = ExperimentRunner.read(rp);
            if (rep == null) throw fail("imports: " + f + " is not a readable JSON report");
            if (!"completed".equals(rep.get("status"))) throw fail("imports: " + f + " is the report of a run that did not complete");
            if (!(rep.get("config") instanceof Map<?, ?> c) || c.get("dataset") == null || c.get("variant") == null || c.get("seed") == null) {
                throw fail("imports: " + f + " is not a training report (its config has no dataset, variant and seed)");
            }
            String key = c.get("dataset") + "|" + c.get("variant") + "|" + ((Number) c.get("seed")).longValue();
            boolean planned = datasets.contains(String.valueOf(c.get("dataset")));
            boolean cellFound = false;
            for (Cell cell : cells) cellFound |= cell.method().equals(c.get("variant")) && cell.seeds().contains(((Number) c.get("seed")).longValue());
            if (!planned || !cellFound || !grid.isEmpty()) {
                throw fail("imports: " + f + " (" + key.replace('|', ' ') + ") stands for no run of this spec (a grid's runs cannot be imported)");
            }
            if (imp.put(key, rp) != null) throw fail("imports: two reports for " + key.replace('|', ' '));
        }
        this.imports = Map.copyOf(imp);
    }

    private List<String> defaultFigures() {
        return new ArrayList<>(List.of("bars", "curves"));
    }

    /** Reads and checks a spec. */
    public static ExperimentSpec read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new DataException(file + ": no such spec file");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read the spec (" + e.getMessage() + ")");
        }
        Object parsed;
        try {
            parsed = org.lgsr.report.Json.fromJson(text, Object.class);
        } catch (RuntimeException e) {
            String msg = e.getMessage() == null ? "" : e.getMessage().replaceFirst("^[\\w.]+Exception: ", "");
            throw new DataException(file + ": not valid JSON (" + msg + ")");
        }
        if (!(parsed instanceof Map<?, ?>)) throw new DataException(file + ": the spec must be a JSON object");
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) parsed;
        return new ExperimentSpec(file, m);
    }

    /**
     * Every grid point: an ordered map of flag to value (one empty map when there is no grid):
     * the product of the flags' values, or with {@code sweep} each flag's values alone.
     */
    public List<Map<String, String>> gridPoints() {
        List<Map<String, String>> pts = new ArrayList<>();
        if (sweep) {
            for (Axis a : grid) {
                for (String v : a.values()) pts.add(Map.of(a.flag(), v));
            }
            return pts;
        }
        pts.add(new LinkedHashMap<>());
        for (Axis a : grid) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> p : pts) {
                for (String v : a.values()) {
                    Map<String, String> q = new LinkedHashMap<>(p);
                    q.put(a.flag(), v);
                    next.add(q);
                }
            }
            pts = next;
        }
        return pts;
    }

    private DataException fail(String msg) {
        return new DataException(file + ": " + msg);
    }

    private String string(Map<String, Object> m, String key, String dflt) {
        Object v = m.get(key);
        if (v == null) return dflt;
        if (!(v instanceof String s)) {
            throw fail("\"" + key + "\" must be a string");
        }
        return s;
    }

    private List<String> strings(Object v, String key) {
        if (v == null) return List.of();
        if (!(v instanceof List<?> l)) {
            throw fail("\"" + key + "\" must be a list");
        }
        List<String> r = new ArrayList<>();
        for (Object o : l) {
            if (o instanceof String s) r.add(s);
            else if (o instanceof Long || o instanceof Integer) r.add(String.valueOf(o));
            else if (o instanceof Double d) r.add(d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf(d.longValue()) : String.valueOf(d));
            else throw fail("\"" + key + "\" must hold strings or numbers, not " + (o == null ? "null" : o instanceof Boolean ? "true/false" : "a list or object"));
        }
        return r;
    }

    private List<Long> longs(Object v, String key) {
        if (!(v instanceof List<?> l)) {
            throw fail("\"" + key + "\" must be a list of whole numbers");
        }
        List<Long> r = new ArrayList<>();
        for (Object o : l) {
            if (o instanceof Long x) r.add(x);
            else if (o instanceof Double d && d == Math.rint(d)) r.add(d.longValue());
            else throw fail("\"" + key + "\" must hold whole numbers");
        }
        return r;
    }
}
