package org.lgsr.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.lgsr.eval.PaperNumbers;
import org.lgsr.report.AtomicFiles;

/**
 * The experiment's pictures as PNG (XChart): the groups as bars beside the paper's figures, the
 * learning curves, the global encoder's passes, and the grid's curves. Each returns the files it
 * wrote (names relative to the output folder); a figure with nothing to show is not written.
 */
public final class Figures {
    private static final int W = 640, H = 460;
    private final Results res;
    private final Path dir;

    public Figures(Results res, Path dir) {
        this.res = res;
        this.dir = dir;
        System.setProperty("java.awt.headless", "true");
    }

    /** The figures the spec asks for, in its order. */
    public List<String> all() throws IOException {
        List<String> files = new ArrayList<>();
        for (String f : res.spec.figures) {
            switch (f) {
                case "bars" -> files.addAll(bars());
                case "curves" -> files.addAll(curves());
                case "lg" -> files.addAll(globalPasses());
                case "hyper" -> files.addAll(hyper());
                case "attention" -> { } // drawn by lgsr attention from the saved models (the experiment command)
                default -> throw new IllegalStateException("figure " + f);
            }
        }
        return files;
    }

    private List<String> datasets() {
        List<String> ds = new ArrayList<>();
        for (Results.Group g : res.groups) {
            if (!ds.contains(g.dataset())) ds.add(g.dataset());
        }
        return ds;
    }

    /** Grouped bars per dataset: P@K and MRR@K per group with their 95% intervals, the paper's figures as lighter bars beside them. */
    List<String> bars() throws IOException {
        List<String> out = new ArrayList<>();
        for (String ds : datasets()) {
            List<String> labels = new ArrayList<>();
            List<Double> p = new ArrayList<>(), pe = new ArrayList<>(), m = new ArrayList<>(), me = new ArrayList<>();
            List<Double> pp = new ArrayList<>(), pm = new ArrayList<>();
            boolean anyPaper = false;
            for (Results.Group g : res.groups) {
                if (!g.dataset().equals(ds) || g.rows().isEmpty()) continue;
                Results.Stat a = g.stat(res.p()), b = g.stat(res.mrr());
                labels.add(g.label());
                p.add(a.mean());
                pe.add(Double.isNaN(a.ci95()) ? 0.0 : a.ci95());
                m.add(b.mean());
                me.add(Double.isNaN(b.ci95()) ? 0.0 : b.ci95());
                PaperNumbers.Pair paper = res.paper(g);
                anyPaper |= paper != null;
                pp.add(paper == null ? null : paper.p20());
                pm.add(paper == null ? null : paper.mrr20());
            }
            if (labels.isEmpty()) continue;
            CategoryChart c = new CategoryChartBuilder().width(Math.max(760, 110 * labels.size() + 320)).height(H)
                    .title(ds + ": best test " + res.p() + " and " + res.mrr() + (anyPaper ? ", ours and the paper's" : "")).xAxisTitle("method")
                    .yAxisTitle("percent").build();
            style(c.getStyler());
            c.getStyler().setOverlapped(false);
            c.getStyler().setErrorBarsColor(java.awt.Color.DARK_GRAY);
            c.getStyler().setXAxisLabelRotation(labels.size() > 6 ? 30 : 0);
            c.getStyler().setYAxisMin(0.0);
            java.awt.Color blue = new java.awt.Color(47, 94, 200), orange = new java.awt.Color(230, 140, 20);
            c.addSeries(res.p() + " (ours, 95% CI)", labels, p, pe).setFillColor(blue);
            if (anyPaper) c.addSeries(res.p() + " (paper)", labels, zeroForNull(pp)).setFillColor(new java.awt.Color(160, 185, 235));
            c.addSeries(res.mrr() + " (ours, 95% CI)", labels, m, me).setFillColor(orange);
            if (anyPaper) c.addSeries(res.mrr() + " (paper)", labels, zeroForNull(pm)).setFillColor(new java.awt.Color(245, 205, 150));
            String f = "bars-" + safe(ds) + ".png";
            save(List.of(c), 1, 1, f);
            out.add(f);
        }
        return out;
    }

    /** A bar of height 0 where the paper has no figure (the table says so; XChart takes no gaps in bars). */
    private static List<Double> zeroForNull(List<Double> xs) {
        List<Double> r = new ArrayList<>();
        for (Double x : xs) r.add(x == null ? 0.0 : x);
        return r;
    }

    /** Test P@K and MRR@K per epoch (mean over seeds) per group, baselines as flat dashed lines. */
    List<String> curves() throws IOException {
        List<String> out = new ArrayList<>();
        for (String ds : datasets()) {
            XYChart cp = xy(ds + ": test " + res.p() + " per epoch", "epoch", "test " + res.p() + " (%)");
            XYChart cm = xy(ds + ": test " + res.mrr() + " per epoch", "epoch", "test " + res.mrr() + " (%)");
            int maxEpoch = 1;
            for (Results.Group g : res.groups) {
                for (Results.Row r : g.rows()) maxEpoch = Math.max(maxEpoch, r.epochs());
            }
            boolean any = false;
            for (Results.Group g : res.groups) {
                if (!g.dataset().equals(ds) || g.rows().isEmpty()) continue;
                if (g.cell().baseline()) {
                    for (int i = 0; i < 2; i++) {
                        double v = (i == 0 ? g.stat(res.p()) : g.stat(res.mrr())).mean();
                        XYSeries s = (i == 0 ? cp : cm).addSeries(g.label(), new double[] {1, maxEpoch}, new double[] {v, v});
                        s.setLineStyle(SeriesLines.DASH_DASH);
                        s.setMarker(SeriesMarkers.NONE);
                    }
                    continue;
                }
                double[][] pm = meanCurve(g);
                if (pm[0].length == 0) continue;
                any = true;
                cp.addSeries(g.label(), pm[0], pm[1]).setMarker(SeriesMarkers.CIRCLE);
                cm.addSeries(g.label(), pm[0], pm[2]).setMarker(SeriesMarkers.CIRCLE);
            }
            if (!any) continue;
            String f = "curves-" + safe(ds) + ".png";
            save(List.of(cp, cm), 1, 2, f);
            out.add(f);
        }
        return out;
    }

    /** Epochs with test figures and, per epoch, the mean over the group's runs of P@K and MRR@K. */
    @SuppressWarnings("unchecked")
    private double[][] meanCurve(Results.Group g) {
        Map<Integer, double[]> acc = new java.util.TreeMap<>(); // epoch -> {sumP, sumM, n}
        for (Results.Row r : g.rows()) {
            for (Map<String, Object> e : r.epochRows()) {
                if (!(e.get("test") instanceof Map<?, ?> t) || !(t.get(res.p()) instanceof Number p) || !(t.get(res.mrr()) instanceof Number m)) continue;
                int ep = ((Number) e.get("epoch")).intValue();
                double[] a = acc.computeIfAbsent(ep, x -> new double[3]);
                a[0] += p.doubleValue();
                a[1] += m.doubleValue();
                a[2]++;
            }
        }
        double[][] r = new double[3][acc.size()];
        int i = 0;
        for (Map.Entry<Integer, double[]> e : acc.entrySet()) {
            r[0][i] = e.getKey();
            r[1][i] = e.getValue()[0] / e.getValue()[2];
            r[2][i] = e.getValue()[1] / e.getValue()[2];
            i++;
        }
        return r;
    }

    /** L_g's mean loss and the mean cosine of a row of E with the mean row, per pass, for the groups that train L_g (first seed). */
    @SuppressWarnings("unchecked")
    List<String> globalPasses() throws IOException {
        List<String> out = new ArrayList<>();
        for (String ds : datasets()) {
            XYChart loss = xy(ds + ": L_g loss per pass", "L_g pass", "mean NCE loss per batch");
            XYChart cos = xy(ds + ": how much the rows of E share one direction", "L_g pass", "mean cosine of a row of E with the mean row");
            loss.getStyler().setYAxisDecimalPattern("#,##0.###");
            cos.getStyler().setYAxisDecimalPattern("0.0000");
            boolean any = false;
            for (Results.Group g : res.groups) {
                if (!g.dataset().equals(ds) || g.rows().isEmpty()) continue;
                Results.Row r = g.rows().get(0);
                List<Double> x = new ArrayList<>(), l = new ArrayList<>(), c = new ArrayList<>();
                for (Map<String, Object> e : r.epochRows()) {
                    if (!(e.get("globalPasses") instanceof List<?> ps)) continue;
                    for (Object o : ps) {
                        Map<String, Object> pass = (Map<String, Object>) o;
                        x.add((double) x.size() + 1);
                        l.add(((Number) pass.get("meanLoss")).doubleValue());
                        Object h = pass.get("health");
                        double cv = Double.NaN;
                        if (h instanceof Map<?, ?> hm && hm.get("E") instanceof Map<?, ?> em && em.get("meanCosineToMean") instanceof Number n) {
                            cv = n.doubleValue();
                        }
                        c.add(cv);
                    }
                }
                if (x.isEmpty()) continue;
                any = true;
                String name = g.label() + (r.run().seed() == null ? "" : " (seed " + r.run().seed() + ")");
                loss.addSeries(name, x, l).setMarker(SeriesMarkers.CIRCLE);
                cos.addSeries(name, x, c).setMarker(SeriesMarkers.CIRCLE);
            }
            if (!any) continue;
            String f = "lg-" + safe(ds) + ".png";
            save(List.of(loss, cos), 1, 2, f);
            out.add(f);
        }
        return out;
    }

    /** For each flag of the grid: P@K, MRR@K (95% intervals) and training seconds per epoch against its values, a line per cell (and other flags' values). */
    List<String> hyper() throws IOException {
        List<String> out = new ArrayList<>();
        for (String ds : datasets()) {
            for (ExperimentSpec.Axis axis : res.spec.grid) {
                boolean numeric = true;
                for (String v : axis.values()) {
                    try {
                        Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        numeric = false;
                    }
                }
                String xt = axis.flag() + (numeric ? "" : " (values in the spec's order)");
                XYChart cp = xy(ds + ": " + res.p() + " against " + axis.flag(), xt, "best test " + res.p() + " (%), 95% CI");
                XYChart cm = xy(ds + ": " + res.mrr() + " against " + axis.flag(), xt, "best test " + res.mrr() + " (%), 95% CI");
                XYChart ct = xy(ds + ": time cost", xt, "training seconds per epoch, L_rec + L_g (mean)");
                Map<String, List<Results.Group>> lines = new LinkedHashMap<>();
                for (Results.Group g : res.groups) {
                    if (!g.dataset().equals(ds) || g.cell().baseline() || g.rows().isEmpty() || !g.point().containsKey(axis.flag())) continue;
                    StringBuilder name = new StringBuilder(g.cell().id());
                    for (Map.Entry<String, String> e : g.point().entrySet()) {
                        if (!e.getKey().equals(axis.flag())) name.append(' ').append(e.getKey()).append(' ').append(e.getValue());
                    }
                    lines.computeIfAbsent(name.toString(), k -> new ArrayList<>()).add(g);
                }
                boolean any = false;
                for (Map.Entry<String, List<Results.Group>> line : lines.entrySet()) {
                    List<Double> x = new ArrayList<>(), p = new ArrayList<>(), pe = new ArrayList<>(), m = new ArrayList<>(), me = new ArrayList<>(),
                            t = new ArrayList<>();
                    for (Results.Group g : line.getValue()) {
                        String v = g.point().get(axis.flag());
                        x.add(numeric ? Double.parseDouble(v) : axis.values().indexOf(v));
                        Results.Stat a = g.stat(res.p()), b = g.stat(res.mrr()), s = g.secondsPerEpoch();
                        p.add(a.mean());
                        pe.add(Double.isNaN(a.ci95()) ? 0.0 : a.ci95());
                        m.add(b.mean());
                        me.add(Double.isNaN(b.ci95()) ? 0.0 : b.ci95());
                        t.add(s.n() == 0 ? 0.0 : s.mean());
                    }
                    any = true;
                    cp.addSeries(line.getKey(), x, p, pe).setMarker(SeriesMarkers.CIRCLE);
                    cm.addSeries(line.getKey(), x, m, me).setMarker(SeriesMarkers.CIRCLE);
                    ct.addSeries(line.getKey(), x, t).setMarker(SeriesMarkers.CIRCLE);
                }
                if (!any) continue;
                String f = "hyper-" + safe(ds) + "-" + safe(axis.name()) + ".png";
                save(List.of(cp, cm, ct), 1, 3, f);
                out.add(f);
            }
        }
        return out;
    }

    private static XYChart xy(String title, String x, String y) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(title).xAxisTitle(x).yAxisTitle(y).build();
        style(c.getStyler());
        c.getStyler().setErrorBarsColor(java.awt.Color.DARK_GRAY);
        return c;
    }

    private static void style(Styler s) {
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setChartBackgroundColor(java.awt.Color.WHITE);
        s.setPlotBackgroundColor(java.awt.Color.WHITE);
        s.setChartTitleFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 14));
        s.setAntiAlias(true);
    }

    private void save(List<? extends Chart<?, ?>> charts, int rows, int cols, String name) throws IOException {
        for (Chart<?, ?> c : charts) {
            // a long legend goes to the right, one series a line, so that no name is cut off
            if (c.getSeriesMap().size() > 3) {
                c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
                c.getStyler().setLegendLayout(Styler.LegendLayout.Vertical);
            }
        }
        AtomicFiles.write(dir.resolve(name), o -> {
            if (charts.size() == 1) BitmapEncoder.saveBitmap(charts.get(0), o, BitmapEncoder.BitmapFormat.PNG);
            else BitmapEncoder.saveBitmap(new ArrayList<>(charts), rows, cols, o, BitmapEncoder.BitmapFormat.PNG);
        });
    }

    private static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
