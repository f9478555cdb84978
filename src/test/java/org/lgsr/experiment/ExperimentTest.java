package org.lgsr.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lgsr.cli.Main;
import org.lgsr.data.DataException;
import org.lgsr.report.Json;

class ExperimentTest {
    @TempDir
    Path dir;

    private Path spec(String json) throws Exception {
        Path f = dir.resolve("spec.json");
        Files.writeString(f, json);
        return f;
    }

    /** Mean and Student-t 95% half-width worked by hand: {1, 2, 3} has sd 1 and t(2, 0.975) = 4.302653. */
    @Test
    void confidenceIntervalByHand() {
        Results.Stat s = Results.Stat.of(List.of(1.0, 2.0, 3.0));
        assertEquals(2.0, s.mean(), 1e-12);
        assertEquals(4.302653 / Math.sqrt(3), s.ci95(), 1e-5);
        Results.Stat one = Results.Stat.of(List.of(5.0));
        assertEquals(5.0, one.mean());
        assertTrue(Double.isNaN(one.ci95()), "one seed has no interval");
        assertEquals("5.00", one.fmt());
        // two values: t(1, 0.975) = 12.7062, sd = |a - b| / sqrt(2)
        Results.Stat two = Results.Stat.of(List.of(10.0, 12.0));
        assertEquals(12.7062 * Math.sqrt(2) / Math.sqrt(2), two.ci95(), 1e-3);
    }

    @Test
    void specMistakesNameTheFileAndTheKey() throws Exception {
        String[][] cases = {
                {"{\"name\": \"x\", \"cells\": [{\"method\": \"lgsr-c\"}], \"epochs\": 3}", "unknown key \"epochs\""},
                {"{\"name\": \"x\"}", "\"cells\" must be a non-empty list"},
                {"{\"name\": \"x y\", \"cells\": [{\"method\": \"pop\"}]}", "\"name\" must be a short id"},
                {"{\"name\": \"x\", \"cells\": [{\"method\": \"lgsr-c\", \"args\": [\"--seed\", \"3\"]}]}", "may not hold --seed"},
                {"{\"name\": \"x\", \"cells\": [{\"method\": \"pop\"}, {\"method\": \"pop\"}]}", "cell \"pop\" appears twice"},
                {"{\"name\": \"x\", \"cells\": [{\"method\": \"pop\"}], \"figures\": [\"hyper\"]}", "has no \"grid\""},
                {"{\"name\": \"x\", \"cells\": [{\"method\": \"pop\"}], \"seeds\": [1.5]}", "whole numbers"},
                {"{\"name\": \"x\", \"cells\": [{\"method\": \"pop\"}], \"grid\": {\"dim\": [1]}}", "is not a flag"},
                {"{\"name\": \"x\", \"cells\": [", "not valid JSON"},
                {"[1, 2]", "must be a JSON object"},
        };
        for (String[] c : cases) {
            Path f = spec(c[0]);
            DataException e = assertThrows(DataException.class, () -> ExperimentSpec.read(f), c[0]);
            assertTrue(e.getMessage().startsWith(f.toString() + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), e.getMessage() + " should say " + c[1]);
            assertFalse(e.getMessage().contains("Exception"), e.getMessage());
        }
        DataException e = assertThrows(DataException.class, () -> ExperimentSpec.read(dir.resolve("none.json")));
        assertTrue(e.getMessage().contains("no such spec file"), e.getMessage());
    }

    /** The plan: datasets x cells x grid x seeds, a baseline once; study.py's form (dataset and variant among the flags) accepted. */
    @Test
    void planCrossesGridAndSeeds() throws Exception {
        ExperimentSpec s = ExperimentSpec.read(spec("{\"name\": \"p\", \"seeds\": [1, 2, 3], \"common\": [\"--dataset\", \"diginetica\", \"--epochs\", \"2\"],"
                + " \"cells\": [{\"id\": \"knn\", \"method\": \"itemknn\"}, {\"id\": \"c\", \"args\": [\"--variant\", \"lgsr-c\"]}],"
                + " \"grid\": {\"--dim\": [60, 100], \"--window\": [\"3\", \"5\"]}}"));
        assertEquals(List.of("diginetica"), s.datasets);
        List<ExperimentRunner.Run> plan = new ExperimentRunner(s, dir, a -> 0).plan();
        assertEquals(1 + 4 * 3, plan.size());
        assertEquals("diginetica-knn", plan.get(0).key());
        assertEquals(List.of("baseline", "--method", "itemknn", "--dataset", "diginetica", "--report", dir.resolve("runs/diginetica-knn.json").toString()),
                plan.get(0).argv());
        ExperimentRunner.Run r = plan.get(1);
        assertEquals("diginetica-c__dim-60__window-3-s1", r.key());
        assertEquals("lgsr-c", r.cell().method());
        assertTrue(String.join(" ", r.argv()).startsWith("train --variant lgsr-c --dataset diginetica --epochs 2 --dim 60 --window 3 --seed 1 --no-compare"),
                String.join(" ", r.argv()));
        Set<String> hashes = new HashSet<>();
        for (ExperimentRunner.Run x : plan) hashes.add(x.hash());
        assertEquals(plan.size(), hashes.size(), "every run has its own configuration hash");
    }

    /**
     * The harness end to end on the synthetic data: the runs' reports, results.csv against the
     * reports themselves, the summary's mean against the runs' values, the PNGs decoded and not
     * blank, the README block replaced; a second call runs nothing; a changed flag runs again.
     */
    @Test
    @SuppressWarnings("unchecked")
    void smokeExperimentEndToEnd() throws Exception {
        Path out = dir.resolve("out");
        Path readme = dir.resolve("README.md");
        Files.writeString(readme, "# title\n\nbefore\n<!-- experiment t -->\nold table\n<!-- /experiment t -->\nafter\n");
        String json = "{\"name\": \"t\", \"title\": \"tiny\", \"seeds\": [1, 2], \"out\": \"" + out.toString().replace("\\", "/") + "\","
                + " \"common\": [\"--epochs\", \"2\", \"--max-steps\", \"4\", \"--g-max-batches\", \"2\", \"--dim\", \"16\", \"--threads\", \"1\"],"
                + " \"cells\": [{\"id\": \"spop\", \"method\": \"spop\"}, {\"id\": \"c\", \"method\": \"lgsr-c\"}, {\"id\": \"g\", \"method\": \"lgsr\", \"seeds\": [1]}],"
                + " \"figures\": [\"bars\", \"curves\", \"lg\"]}";
        Path f = spec(json);
        String first = run(0, "experiment", f.toString(), "--readme", readme.toString());
        assertTrue(first.contains("4 to run"), first);
        ExperimentSpec s = ExperimentSpec.read(f);
        List<ExperimentRunner.Run> plan = new ExperimentRunner(s, out, a -> 0).plan();
        assertEquals(4, plan.size());
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(5, csv.size(), String.join("\n", csv));
        List<String> header = List.of(csv.get(0).split(","));
        int pCol = header.indexOf("P@20"), mCol = header.indexOf("MRR@20");
        List<Double> cP = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            Map<String, Object> rep = (Map<String, Object>) Json.fromJson(Files.readString(plan.get(i).report()), Map.class);
            assertEquals("completed", rep.get("status"));
            // the best test P@20 over the report's own epochs
            double best = Double.NEGATIVE_INFINITY;
            if (rep.get("epochs") instanceof List<?> eps && !eps.isEmpty()) {
                for (Object o : eps) best = Math.max(best, ((Number) ((Map<String, Object>) ((Map<String, Object>) o).get("test")).get("P@20")).doubleValue());
            } else {
                best = ((Number) ((Map<String, Object>) rep.get("test")).get("P@20")).doubleValue();
            }
            String[] row = csv.get(1 + i).split(",");
            assertEquals(best, Double.parseDouble(row[pCol]), 1e-4, csv.get(1 + i));
            assertFalse(row[mCol].isEmpty());
            if (plan.get(i).cell().id().equals("c")) cP.add(best);
        }
        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        String cLine = summary.stream().filter(l -> l.startsWith("synth,c,")).findFirst().orElseThrow();
        List<String> sh = List.of(summary.get(0).split(","));
        String[] cs = cLine.split(",");
        assertEquals("2", cs[sh.indexOf("runs")]);
        assertEquals((cP.get(0) + cP.get(1)) / 2, Double.parseDouble(cs[sh.indexOf("P@20_mean")]), 1e-4);
        assertEquals(12.7062 * Math.abs(cP.get(0) - cP.get(1)) / 2, Double.parseDouble(cs[sh.indexOf("P@20_ci95")]), 2e-3);
        String table = Files.readString(out.resolve("table.md"));
        assertTrue(table.contains("| synth | c | 2/2 |"), table);
        for (String png : List.of("bars-synth.png", "curves-synth.png", "lg-synth.png")) {
            BufferedImage img = ImageIO.read(out.resolve(png).toFile());
            assertTrue(img != null && img.getWidth() >= 400 && img.getHeight() >= 300, png);
            Set<Integer> colours = new HashSet<>();
            for (int y = 0; y < img.getHeight(); y += 3) {
                for (int x = 0; x < img.getWidth(); x += 3) colours.add(img.getRGB(x, y));
            }
            assertTrue(colours.size() > 10, png + " looks blank: " + colours.size() + " colours");
            assertTrue(table.contains("(" + png + ")"), "table.md links " + png);
        }
        String md = Files.readString(readme);
        assertTrue(md.startsWith("# title\n\nbefore\n<!-- experiment t -->\n"), md);
        assertTrue(md.endsWith("<!-- /experiment t -->\nafter\n"), md);
        assertFalse(md.contains("old table"), md);
        assertTrue(md.contains("| synth | c | 2/2 |") && md.contains("(out/bars-synth.png)"), md);

        long stamp = Files.getLastModifiedTime(plan.get(1).report()).toMillis();
        String second = run(0, "experiment", f.toString());
        assertTrue(second.contains("4 already done (same configuration), 0 to run"), second);
        assertEquals(stamp, Files.getLastModifiedTime(plan.get(1).report()).toMillis(), "a finished run is not run again");

        // a run cut short (Ctrl-C, a crash: its report never says "completed") runs again, alone
        Path cut = plan.get(2).report();
        Files.writeString(cut, Files.readString(cut).replace("\"status\": \"completed\"", "\"status\": \"running\""));
        String again = run(0, "experiment", f.toString());
        assertTrue(again.contains("3 already done (same configuration), 1 to run") && again.contains(plan.get(2).key()), again);
        assertEquals(stamp, Files.getLastModifiedTime(plan.get(1).report()).toMillis(), "the finished runs stay as they were");

        // another value of a common flag is another configuration: every training run again, the baseline not
        Files.writeString(f, json.replace("\"--max-steps\", \"4\"", "\"--max-steps\", \"3\""));
        String third = run(0, "experiment", f.toString(), "--only", "-c-s1$");
        assertTrue(third.contains("1 to run"), third);
        List<ExperimentRunner.Run> plan2 = new ExperimentRunner(ExperimentSpec.read(f), out, a -> 0).plan();
        assertNotEquals(plan.get(1).hash(), plan2.get(1).hash());
        assertEquals(plan.get(0).hash(), plan2.get(0).hash());
    }

    /**
     * With saved models the harness draws Figures 7 and 8 (lgsr attention) for each training cell of the LGSR module, and
     * links them in the table; a neural cell's model is saved too, and skipped here in a line (it has no such attention).
     */
    @Test
    void attentionFiguresFromTheSavedModels() throws Exception {
        Path out = dir.resolve("att");
        Path f = spec("{\"name\": \"a\", \"out\": \"" + out.toString().replace("\\", "/") + "\", \"checkpoints\": true,"
                + " \"common\": [\"--epochs\", \"1\", \"--max-steps\", \"3\", \"--dim\", \"16\", \"--threads\", \"1\"],"
                + " \"cells\": [{\"id\": \"c\", \"method\": \"lgsr-c\"}, {\"id\": \"s\", \"method\": \"stamp\"}], \"figures\": [\"attention\"]}");
        String printed = run(0, "experiment", f.toString());
        assertTrue(Files.isRegularFile(out.resolve("models/synth-c-s1/best.lgsr")), "the run's best model is kept");
        assertTrue(org.lgsr.model.Checkpoint.read(out.resolve("models/synth-s-s1/best.lgsr")).isNeural(), "the neural cell's best model is kept");
        assertTrue(printed.contains("attention: synth-s-s1 is a neural model (stamp); Figures 7 and 8 are of the LGSR module"), printed);
        assertFalse(Files.exists(out.resolve("attention-synth-s-s1")));
        String table = Files.readString(out.resolve("table.md"));
        for (String png : List.of("attention-synth-c-s1/attention-self-1.png", "attention-synth-c-s1/attention-aggregation-2.png")) {
            assertTrue(ImageIO.read(out.resolve(png).toFile()) != null, png);
            assertTrue(table.contains("(" + png + ")"), table);
        }
        Path bad = spec("{\"name\": \"a\", \"cells\": [{\"method\": \"lgsr-c\"}], \"figures\": [\"attention\"]}");
        DataException e = assertThrows(DataException.class, () -> ExperimentSpec.read(bad));
        assertTrue(e.getMessage().contains("\"checkpoints\": true"), e.getMessage());
    }

    @Test
    void badRunStopsTheExperimentWithOneLine() throws Exception {
        Path f = spec("{\"name\": \"bad\", \"out\": \"" + dir.resolve("o").toString().replace("\\", "/") + "\","
                + " \"cells\": [{\"id\": \"c\", \"method\": \"lgsr-c\", \"args\": [\"--epochs\", \"-3\"]}]}");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = exec(new ByteArrayOutputStream(), err, "experiment", f.toString());
        assertEquals(2, code, err.toString());
        String last = err.toString().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("lgsr: error: ") && last.contains("was refused") && last.contains("fix the spec"), err.toString());
        code = exec(new ByteArrayOutputStream(), err, "experiment", dir.resolve("nope.json").toString());
        assertEquals(2, code);
        assertTrue(err.toString().contains("nope.json: no such spec file"), err.toString());
    }

    private String run(int expect, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = exec(out, err, args);
        assertEquals(expect, code, out + "\n" + err);
        return out.toString();
    }

    private static int exec(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        PrintStream o = System.out, e = System.err;
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            return Main.execute(args);
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(o);
            System.setErr(e);
        }
    }
}
