package org.lgsr.experiment;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.math3.distribution.TDistribution;
import org.lgsr.eval.PaperNumbers;
import org.lgsr.report.AtomicFiles;

/**
 * The finished runs of an experiment gathered: one row per run ({@code results.csv}), and per
 * group of runs that differ only in their seed the mean and a 95% confidence interval (Student t)
 * beside the paper's figure ({@code summary.csv}, {@code table.md}).
 */
public final class Results {
    /** A finished run's figures: the best test P@K and MRR@K over its epochs (the paper's selection), and its epochs' curves. */
    public record Row(ExperimentRunner.Run run, Map<String, Double> best, Map<String, Integer> bestEpoch, Map<String, Double> validationSelected,
            int epochs, double wallSeconds, double trainSecondsPerEpoch, List<Map<String, Object>> epochRows, String device, String command) {
    }

    /** Mean and 95% interval half-width (NaN with one value). */
    public record Stat(double mean, double ci95, int n) {
        static Stat of(List<Double> xs) {
            int n = xs.size();
            if (n == 0) return new Stat(Double.NaN, Double.NaN, 0);
            double m = 0;
            for (double x : xs) m += x;
            m /= n;
            if (n == 1) return new Stat(m, Double.NaN, 1);
            double ss = 0;
            for (double x : xs) ss += (x - m) * (x - m);
            double sd = Math.sqrt(ss / (n - 1));
            double t = new TDistribution(n - 1).inverseCumulativeProbability(0.975);
            return new Stat(m, t * sd / Math.sqrt(n), n);
        }

        String fmt() {
            if (n == 0) return "";
            return Double.isNaN(ci95) ? String.format(Locale.ROOT, "%.2f", mean) : String.format(Locale.ROOT, "%.2f ± %.2f", mean, ci95);
        }
    }

    /** Runs that differ only in the seed. */
    public record Group(String dataset, ExperimentSpec.Cell cell, Map<String, String> point, List<Row> rows, int planned) {
        public Stat stat(String metric) {
            return statOf(Row::best, metric);
        }

        public Stat validationStat(String metric) {
            return statOf(Row::validationSelected, metric);
        }

        private Stat statOf(java.util.function.Function<Row, Map<String, Double>> figures, String metric) {
            List<Double> xs = new ArrayList<>();
            for (Row r : rows) {
                Double v = figures.apply(r).get(metric);
                if (v != null) xs.add(v);
            }
            return Stat.of(xs);
        }

        public Stat secondsPerEpoch() {
            List<Double> xs = new ArrayList<>();
            for (Row r : rows) {
                if (!Double.isNaN(r.trainSecondsPerEpoch())) xs.add(r.trainSecondsPerEpoch());
            }
            return Stat.of(xs);
        }

        public String label() {
            StringBuilder s = new StringBuilder(cell.id());
            for (Map.Entry<String, String> e : point.entrySet()) s.append(' ').append(e.getKey()).append(' ').append(e.getValue());
            return s.toString();
        }
    }

    public final ExperimentSpec spec;
    public final List<Row> rows = new ArrayList<>();
    public final List<Group> groups = new ArrayList<>();
    public final int k;

    @SuppressWarnings("unchecked")
    public Results(ExperimentSpec spec, List<ExperimentRunner.Run> plan) {
        this.spec = spec;
        int kk = 20;
        Map<String, Group> byKey = new LinkedHashMap<>();
        Map<String, Integer> planned = new LinkedHashMap<>();
        for (ExperimentRunner.Run r : plan) planned.merge(groupKey(r), 1, Integer::sum);
        for (ExperimentRunner.Run r : plan) {
            String gk = groupKey(r);
            Group g = byKey.computeIfAbsent(gk, x -> new Group(r.dataset(), r.cell(), r.point(), new ArrayList<>(), planned.get(gk)));
            Map<String, Object> rep = ExperimentRunner.finished(r);
            if (rep == null) continue;
            Map<String, Double> best = new LinkedHashMap<>();
            Map<String, Integer> bestEpoch = new LinkedHashMap<>();
            Object bt = rep.get("bestTest");
            if (bt instanceof Map<?, ?> bm) {
                for (Map.Entry<?, ?> e : bm.entrySet()) {
                    Map<String, Object> v = (Map<String, Object>) e.getValue();
                    best.put((String) e.getKey(), ((Number) v.get("value")).doubleValue());
                    bestEpoch.put((String) e.getKey(), ((Number) v.get("epoch")).intValue());
                }
            }
            List<Map<String, Object>> eps = rep.get("epochs") instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
            Map<String, Double> vsel = validationSelected(eps);
            double train = 0;
            int n = 0;
            for (Map<String, Object> e : eps) {
                if (e.get("trainSeconds") instanceof Number t) {
                    train += t.doubleValue();
                    n++;
                }
                // the global encoder's passes are part of the epoch's cost (what g, T, L, N_s change)
                if (e.get("globalPasses") instanceof List<?> ps) {
                    for (Object o : ps) {
                        if (o instanceof Map<?, ?> pm && pm.get("seconds") instanceof Number sec) train += sec.doubleValue();
                    }
                }
            }
            double wall = rep.get("wallSeconds") instanceof Number w ? w.doubleValue() : Double.NaN;
            Row row = new Row(r, best, bestEpoch, vsel, eps.size(), wall, n == 0 ? Double.NaN : train / n, eps,
                    rep.get("device") instanceof String dv ? dv : "cpu", rep.get("command") instanceof String cm ? cm : "");
            rows.add(row);
            g.rows().add(row);
        }
        groups.addAll(byKey.values());
        // P@20 and MRR@20 where the runs have them (the paper's cut-off), else the largest K they have
        for (Row r : rows) {
            if (!r.best().containsKey("P@20")) {
                int m = 0;
                for (String key : r.best().keySet()) {
                    if (key.startsWith("P@")) m = Math.max(m, Integer.parseInt(key.substring(2)));
                }
                kk = Math.min(kk, m);
            }
        }
        this.k = kk;
    }

    private static String groupKey(ExperimentRunner.Run r) {
        return r.dataset() + "|" + r.cell().id() + "|" + r.point();
    }

    /** The test figures of the epoch with the best validation P@20, where the run held a validation set. */
    @SuppressWarnings("unchecked")
    private static Map<String, Double> validationSelected(List<Map<String, Object>> eps) {
        Map<String, Double> r = new LinkedHashMap<>();
        double best = Double.NEGATIVE_INFINITY;
        for (Map<String, Object> e : eps) {
            if (!(e.get("validation") instanceof Map<?, ?> v) || !(e.get("test") instanceof Map<?, ?> t)) continue;
            Object p = v.get("P@20");
            if (p instanceof Number x && x.doubleValue() > best) {
                best = x.doubleValue();
                r.clear();
                for (Map.Entry<?, ?> te : t.entrySet()) {
                    if (te.getValue() instanceof Number y) r.put((String) te.getKey(), y.doubleValue());
                }
            }
        }
        return r;
    }

    public String p() {
        return "P@" + k;
    }

    public String mrr() {
        return "MRR@" + k;
    }

    /** The paper's figures for a group, or null. */
    public PaperNumbers.Pair paper(Group g) {
        return k == 20 && g.point().isEmpty() ? PaperNumbers.get(g.cell().method(), g.dataset()) : null;
    }

    /** results.csv: one line per finished run. */
    public String csv() {
        StringBuilder s = new StringBuilder("dataset,cell,method");
        for (ExperimentSpec.Axis a : spec.grid) s.append(',').append(a.name());
        List<String> metrics = metricNames();
        s.append(",seed");
        for (String m : metrics) s.append(',').append(m);
        for (String m : metrics) s.append(",best_epoch_").append(m);
        s.append(",epochs,train_seconds_per_epoch,wall_seconds,report,device\n");
        for (Row r : rows) {
            ExperimentRunner.Run run = r.run();
            s.append(run.dataset()).append(',').append(run.cell().id()).append(',').append(run.cell().method());
            for (ExperimentSpec.Axis a : spec.grid) s.append(',').append(run.point().getOrDefault(a.flag(), ""));
            s.append(',').append(run.seed() == null ? "" : run.seed());
            for (String m : metrics) s.append(',').append(num(r.best().get(m)));
            for (String m : metrics) s.append(',').append(r.bestEpoch().getOrDefault(m, 0));
            s.append(',').append(r.epochs()).append(',').append(num(r.trainSecondsPerEpoch())).append(',').append(num(r.wallSeconds()));
            s.append(',').append(run.imported() != null ? run.imported().toString().replace(',', '_') : "runs/" + run.report().getFileName().toString().replace(",", "_"));
            s.append(',').append(csvText(r.device())).append('\n');
        }
        return s.toString();
    }

    private static String csvText(String v) {
        return v == null ? "" : "\"" + v.replace("\"", "\"\"") + "\"";
    }

    private List<String> metricNames() {
        java.util.LinkedHashSet<String> m = new java.util.LinkedHashSet<>();
        for (Row r : rows) m.addAll(r.best().keySet());
        return new ArrayList<>(m);
    }

    private static String num(Double v) {
        return v == null || v.isNaN() ? "" : String.format(Locale.ROOT, "%.4f", v);
    }

    /** summary.csv: one line per group. */
    public String summaryCsv() {
        StringBuilder s = new StringBuilder("dataset,cell,method");
        for (ExperimentSpec.Axis a : spec.grid) s.append(',').append(a.name());
        s.append(",runs,planned,").append(p()).append("_mean,").append(p()).append("_ci95,").append(mrr()).append("_mean,").append(mrr())
                .append("_ci95,paper_").append(p()).append(",paper_").append(mrr()).append(",train_seconds_per_epoch\n");
        for (Group g : groups) {
            s.append(g.dataset()).append(',').append(g.cell().id()).append(',').append(g.cell().method());
            for (ExperimentSpec.Axis a : spec.grid) s.append(',').append(g.point().getOrDefault(a.flag(), ""));
            Stat p = g.stat(p()), m = g.stat(mrr());
            PaperNumbers.Pair paper = paper(g);
            s.append(',').append(g.rows().size()).append(',').append(g.planned()).append(',').append(num(p.mean())).append(',')
                    .append(num(p.ci95())).append(',').append(num(m.mean())).append(',').append(num(m.ci95())).append(',')
                    .append(paper == null ? "" : num(paper.p20())).append(',').append(paper == null ? "" : num(paper.mrr20())).append(',')
                    .append(num(g.secondsPerEpoch().mean())).append('\n');
        }
        return s.toString();
    }

    /** The Markdown table: per group the runs, mean ± 95% interval, the paper's figure and the difference. */
    public String markdown(String command, List<String> pngs) {
        boolean anyValidation = false, anyTime = false;
        for (Group g : groups) {
            anyValidation |= g.validationStat(p()).n() > 0;
            anyTime |= g.secondsPerEpoch().n() > 0;
        }
        StringBuilder s = new StringBuilder();
        s.append("**").append(spec.title).append("**");
        if (spec.notes != null) s.append(" ").append(spec.notes);
        s.append("\n\nBest test ").append(p()).append(" and ").append(mrr())
                .append(" over the epochs (the paper's selection), mean ± 95% confidence interval (Student t) over the seeds; `runs` is finished of planned.");
        if (anyValidation) s.append(" \"validation-selected\": the test figures of the epoch with the best validation ").append(p()).append('.');
        s.append("\nRegenerate: `").append(command).append("`\n\n");
        s.append("| dataset | cell | runs | ").append(p()).append(" | ").append(mrr()).append(" | paper ").append(p()).append(" / ").append(mrr())
                .append(" | difference |");
        if (anyValidation) s.append(" validation-selected ").append(p()).append(" / ").append(mrr()).append(" |");
        if (anyTime) s.append(" s / epoch |");
        s.append("\n|---|---|---|---|---|---|---|");
        if (anyValidation) s.append("---|");
        if (anyTime) s.append("---|");
        s.append('\n');
        for (Group g : groups) {
            Stat p = g.stat(p()), m = g.stat(mrr());
            PaperNumbers.Pair paper = paper(g);
            s.append("| ").append(g.dataset()).append(" | ").append(g.label()).append(" | ").append(g.rows().size()).append('/').append(g.planned())
                    .append(" | ").append(p.fmt()).append(" | ").append(m.fmt()).append(" | ");
            if (paper != null) {
                s.append(String.format(Locale.ROOT, "%.2f / %.2f | ", paper.p20(), paper.mrr20()));
                s.append(p.n() == 0 ? "" : String.format(Locale.ROOT, "%+.2f / %+.2f", p.mean() - paper.p20(), m.mean() - paper.mrr20()));
                s.append(" |");
            } else {
                s.append("| |");
            }
            if (anyValidation) {
                Stat vp = g.validationStat(p()), vm = g.validationStat(mrr());
                s.append(' ').append(vp.n() == 0 ? "" : vp.fmt() + " / " + vm.fmt()).append(" |");
            }
            if (anyTime) {
                Stat t = g.secondsPerEpoch();
                s.append(' ').append(t.n() == 0 ? "" : String.format(Locale.ROOT, "%.1f", t.mean())).append(" |");
            }
            s.append('\n');
        }
        List<String> devices = new ArrayList<>();
        for (Row r : rows) {
            if (r.run().imported() == null && !devices.contains(r.device())) devices.add(r.device());
        }
        if (!devices.isEmpty()) s.append("\nRun here on: ").append(String.join("; ", devices)).append(".\n");
        boolean header = false;
        for (Row r : rows) {
            if (r.run().imported() == null) continue;
            if (!header) s.append("\nImported runs (made elsewhere, read from their reports):\n");
            header = true;
            s.append("- ").append(r.run().key()).append(": `").append(r.command()).append("` on ").append(r.device()).append(" (")
                    .append(r.run().imported().toString().replace('\\', '/')).append(")\n");
        }
        if (!pngs.isEmpty()) {
            s.append('\n');
            for (String png : pngs) s.append("![").append(png.replaceAll("\\.png$", "")).append("](").append(png).append(")\n");
        }
        return s.toString();
    }

    /** Writes results.csv, summary.csv and table.md into {@code dir}; returns the table. */
    public String write(Path dir, String command, List<String> pngs) throws java.io.IOException {
        String md = markdown(command, pngs);
        AtomicFiles.write(dir.resolve("results.csv"), o -> o.write(csv().getBytes(StandardCharsets.UTF_8)));
        AtomicFiles.write(dir.resolve("summary.csv"), o -> o.write(summaryCsv().getBytes(StandardCharsets.UTF_8)));
        AtomicFiles.write(dir.resolve("table.md"), o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        return md;
    }
}
