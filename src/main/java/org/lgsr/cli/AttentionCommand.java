package org.lgsr.cli;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.style.Styler;
import org.lgsr.data.DataException;
import org.lgsr.data.Samples;
import org.lgsr.data.SessionDataset;
import org.lgsr.model.Checkpoint;
import org.lgsr.model.SessionAttention;
import org.lgsr.report.AtomicFiles;
import org.lgsr.report.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The paper's Figures 7 and 8 for a saved model: the self-attention map and the aggregation
 * weights of chosen sessions as PNG heatmaps, with the numbers in attention.json.
 */
@Command(name = "attention", mixinStandardHelpOptions = true,
        description = "Attention heatmaps of a saved model (the paper's Figures 7 and 8), dropout off: for each session, "
                + "attention-self-I.png (the causal self-attention A: row = query position, column = key position) and, for "
                + "LGSR-C, attention-aggregation-I.png (row k = the aggregation weights alpha of the prediction made after "
                + "position k), plus attention.json with the numbers. Colours run from 0 to the largest weight below the first row (whose one weight is always 1); every cell shows its value. Sessions: the first N test samples of the dataset whose "
                + "length is in --min-len..--max-len-shown (a shorter prefix of a session already shown is skipped), or one "
                + "--session.")
final class AttentionCommand implements Runnable {
    @Option(names = "--model", required = true, paramLabel = "CKPT", description = "A checkpoint (best.lgsr or epoch-N.lgsr).")
    Path model;

    @Option(names = "--dataset", paramLabel = "NAME",
            description = "The dataset whose test sessions are shown (default: the one the model was trained on, by name); not read with --session.")
    String dataset;

    @Mixin
    DataOptions data;

    @Option(names = "--sessions", paramLabel = "N", description = "How many test sessions (default 3).")
    Integer sessions;

    @Option(names = "--session", paramLabel = "IDS", description = "One session instead: item ids, oldest first, e.g. \"214 8 15 8 31\".")
    String session;

    @Option(names = "--min-len", defaultValue = "5", paramLabel = "L", description = "Shortest test session shown (default ${DEFAULT-VALUE} items).")
    int minLen;

    @Option(names = "--max-len-shown", defaultValue = "12", paramLabel = "L",
            description = "Longest test session shown (default ${DEFAULT-VALUE} items; at most the model's max_len).")
    int maxLenShown;

    @Option(names = "--output", paramLabel = "DIR",
            description = "Folder for the PNGs and attention.json (default: beside the checkpoint, CKPT without .lgsr plus -attention/); "
                    + "files of the same names are replaced.")
    Path output;

    /** One session to draw: its items (all of them, oldest first), its test sample (-1: --session) and the item that followed (0: unknown). */
    record Chosen(int[] items, int testSample, int target) {
    }

    @Override
    public void run() {
        System.setProperty("java.awt.headless", "true");
        if (session != null && sessions != null) throw new IllegalArgumentException("give one of --sessions and --session");
        int count = sessions == null ? 3 : sessions;
        if (count < 1) throw new IllegalArgumentException("--sessions: must be >= 1, got " + count);
        if (minLen < 1) throw new IllegalArgumentException("--min-len: must be >= 1, got " + minLen);
        if (maxLenShown < minLen) throw new IllegalArgumentException("--max-len-shown: " + maxLenShown + " is less than --min-len " + minLen);

        Checkpoint c = Checkpoint.read(model);
        int maxLen = c.lgsrModule(model, "attention").maxLen();
        if (maxLenShown > maxLen) {
            throw new IllegalArgumentException("--max-len-shown: " + maxLenShown + " is more than the model's max_len " + maxLen + " (it reads no more)");
        }
        Path dir = output != null ? output : defaultOutput(model);
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IllegalArgumentException("--output: " + dir.toAbsolutePath() + " is a file, not a folder");
        OutputPaths.checkWritable(dir.resolve("attention.json"), "--output");

        List<Chosen> chosen;
        String dsName = null;
        if (session != null) {
            chosen = List.of(new Chosen(parse(session, c.model().numItems()), -1, 0));
        } else {
            String name = dataset != null ? dataset : String.valueOf(c.dataset().getOrDefault("name", "synth"));
            SessionDataset ds = data.load(name);
            c.checkFits(ds, model);
            dsName = ds.name();
            chosen = choose(ds.test(), count, minLen, maxLenShown);
            if (chosen.isEmpty()) {
                throw new IllegalArgumentException("no test session of " + ds.name() + " has " + minLen + " to " + maxLenShown
                        + " items; lower --min-len or raise --max-len-shown");
            }
            if (chosen.size() < count) System.err.printf("lgsr: only %d test sessions of %s have %d to %d items%n", chosen.size(), ds.name(), minLen, maxLenShown);
        }

        String variant = c.model().variant().name().toLowerCase(Locale.ROOT).replace('_', '-');
        String modelLine = variant + ", epoch " + c.epoch();
        SessionAttention sa = new SessionAttention(c.model(), c.params());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int s = 0; s < chosen.size(); s++) {
            Chosen ch = chosen.get(s);
            int index = s + 1;
            SessionAttention.Maps m = sa.of(ch.items());
            if (m.length() < ch.items().length) {
                System.err.printf("lgsr: session %d has %d items; the model reads its last %d, which are shown%n", index, ch.items().length, m.length());
            }
            String what = ch.testSample() >= 0 ? "test sample " + ch.testSample() + " (next item " + ch.target() + ")" : "the session of --session";
            List<String> files = new ArrayList<>();
            String self = "attention-self-" + index + ".png";
            write(dir.resolve(self), heatmap("Self-attention (Fig. 7): " + what + "; " + modelLine, m.selfAttention(), m.items(),
                    "key position: item", "query position: item"));
            files.add(self);
            if (m.aggregation() != null) {
                String agg = "attention-aggregation-" + index + ".png";
                write(dir.resolve(agg), heatmap("Aggregation weights alpha (Fig. 8): " + what + "; " + modelLine, m.aggregation(), m.items(),
                        "position: item", "prediction after position: item"));
                files.add(agg);
            }
            for (String f : files) System.out.println(dir.resolve(f));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("index", index);
            row.put("source", ch.testSample() >= 0 ? "test" : "--session");
            if (ch.testSample() >= 0) {
                row.put("testSample", ch.testSample());
                row.put("target", ch.target());
            }
            row.put("items", m.items());
            if (m.length() < ch.items().length) row.put("itemsGiven", ch.items().length);
            row.put("selfAttention", m.selfAttention());
            row.put("aggregation", m.aggregation());
            row.put("files", files);
            rows.add(row);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", model.toAbsolutePath().normalize().toString());
        out.put("variant", variant);
        out.put("epoch", c.epoch());
        out.put("hardSigmoid", c.model().hardSigmoid());
        out.put("dataset", dsName);
        out.put("note", "positions are 0-based, oldest item first; selfAttention[i][j]: weight of key j for query i (0 for j > i); "
                + "aggregation[k][j]: alpha_j of the prediction made after position k (0 for j > k), absent for lgsr-a; dropout off");
        out.put("sessions", rows);
        Path json = dir.resolve("attention.json");
        Json.write(json, out);
        System.out.println(json);
    }

    /** The default folder: beside the checkpoint, its name without .lgsr plus -attention. */
    static Path defaultOutput(Path ckpt) {
        Path abs = ckpt.toAbsolutePath().normalize();
        String name = abs.getFileName().toString();
        if (name.endsWith(".lgsr")) name = name.substring(0, name.length() - ".lgsr".length());
        return abs.resolveSibling(name + "-attention");
    }

    /**
     * The first {@code count} test samples with {@code minLen..maxLen} input items, in file
     * order; a sample whose input is a prefix of the one chosen before it (the same session,
     * one click shorter: samples come longest prefix first) is skipped.
     */
    static List<Chosen> choose(Samples test, int count, int minLen, int maxLen) {
        List<Chosen> out = new ArrayList<>();
        int[] last = null;
        for (int i = 0; i < test.size() && out.size() < count; i++) {
            int len = test.inputs().length(i);
            if (len < minLen || len > maxLen) continue;
            int[] in = test.inputs().get(i);
            if (last != null && in.length < last.length && java.util.Arrays.equals(in, 0, in.length, last, 0, in.length)) continue;
            out.add(new Chosen(in, i, test.targets()[i]));
            last = in;
        }
        return out;
    }

    /** The ids of --session; an id the model does not know fails naming it. */
    static int[] parse(String text, int numItems) {
        List<Integer> ids = new ArrayList<>();
        for (String tok : text.strip().split("[\\s,]+")) {
            if (tok.isEmpty()) continue;
            int id;
            try {
                id = Integer.parseInt(tok);
            } catch (NumberFormatException e) {
                id = -1;
            }
            if (id < 1 || id >= numItems) {
                throw new DataException("--session: item id '" + tok + "' is not one of the model's items (1 .. " + (numItems - 1) + ")");
            }
            ids.add(id);
        }
        if (ids.isEmpty()) throw new DataException("--session: an empty session");
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Axis label of position i (0-based in the data, 1-based on the figure). */
    static String label(int i, int item) {
        return (i + 1) + ": " + item;
    }

    /**
     * A lower-triangular t x t map as a heatmap: row i at the top for i = 0, cells above the
     * diagonal left out (blank), each cell's value written in it, the colour scale (in the legend)
     * from 0 to the largest weight below the first row.
     */
    static HeatMapChart heatmap(String title, double[][] w, int[] items, String xTitle, String yTitle) {
        int t = items.length;
        int cell = t <= 8 ? 72 : t <= 13 ? 56 : 40;
        HeatMapChart chart = new HeatMapChartBuilder().width(Math.max(720, 260 + cell * t)).height(Math.max(560, 200 + cell * t))
                .title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        List<String> xs = new ArrayList<>(), ys = new ArrayList<>();
        for (int i = 0; i < t; i++) xs.add(label(i, items[i]));
        for (int i = t - 1; i >= 0; i--) ys.add(label(i, items[i])); // the first row at the top, as a matrix is read
        List<Number[]> cells = new ArrayList<>();
        double max = 0;
        for (int i = 0; i < t; i++) {
            for (int j = 0; j <= i; j++) {
                cells.add(new Number[] {j, t - 1 - i, w[i][j]});
                if (i > 0) max = Math.max(max, w[i][j]);
            }
        }
        chart.addSeries("weight", xs, ys, cells);
        // the first row's one weight is 1 by construction; the scale ends at the largest of the others (XChart gives
        // weights above it the top colour) so that the rows that carry information are not washed out
        chart.getStyler().setMin(0).setMax(max > 0 ? Math.ceil(max * 100) / 100 : 1); // two decimals in the legend
        chart.getStyler().setRangeColors(new Color[] {new Color(0xfff7ec), new Color(0xfdbb84), new Color(0xe34a33)});
        chart.getStyler().setShowValue(t <= 20).setHeatMapValueDecimalPattern("0.00").setValueFont(new Font(Font.SANS_SERIF, Font.PLAIN, t <= 13 ? 11 : 9));
        chart.getStyler().setValueFontColor(Color.BLACK);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        chart.getStyler().setPlotGridLinesVisible(false);
        chart.getStyler().setXAxisLabelRotation(t > 6 ? 45 : 0);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(new Color(0xeeeeee));
        return chart;
    }

    static void write(Path file, HeatMapChart chart) {
        try {
            AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new IllegalArgumentException("--output: cannot write " + file + " (" + OutputPaths.reason(e) + ")");
        }
    }
}
