package org.lgsr.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.lgsr.data.DataException;
import org.lgsr.experiment.ExperimentRunner;
import org.lgsr.experiment.ExperimentSpec;
import org.lgsr.experiment.Figures;
import org.lgsr.experiment.Results;
import org.lgsr.report.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = {"Run an experiment: datasets x methods x a grid of flags x seeds, as given by a JSON spec (docs/experiments.md).",
                "Runs the cells one after another (a finished cell with the same configuration is not run again), then writes "
                        + "results.csv, summary.csv, table.md (mean and 95% interval over seeds beside the paper) and the PNG figures."})
final class ExperimentCommand implements Runnable {
    @Parameters(paramLabel = "SPEC", description = "The experiment's JSON spec, e.g. experiments/smoke.json.")
    Path specFile;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: the spec's \"out\", else results/NAME).")
    Path out;

    @Option(names = "--only", paramLabel = "REGEX", description = "Run only the runs whose key (DATASET-CELL[__FLAG-VALUE]-sSEED) matches.")
    String only;

    @Option(names = "--dry-run", description = "Print the runs and their command lines; run nothing.")
    boolean dryRun;

    @Option(names = "--table-only", description = "Run nothing: gather the finished runs into the tables and figures.")
    boolean tableOnly;

    @Option(names = "--readme", paramLabel = "FILE",
            description = "Also put the table and figures into FILE between the lines <!-- experiment NAME --> and <!-- /experiment NAME -->.")
    Path readme;

    @Override
    public void run() {
        ExperimentSpec spec = ExperimentSpec.read(specFile);
        Pattern onlyRe = null;
        if (only != null) {
            try {
                onlyRe = Pattern.compile(only);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("--only: not a regular expression: " + e.getDescription());
            }
        }
        Path dir = out != null ? out : spec.out;
        if (readme != null && !Files.isRegularFile(readme)) throw new IllegalArgumentException("--readme: " + readme + ": no such file");
        if (readme != null) readmeBlock(read(readme), spec.name); // a README without the markers fails before anything runs
        OutputPaths.checkWritable(dir.resolve("table.md"), "--out");
        ExperimentRunner runner = new ExperimentRunner(spec, dir, Main::execute);
        List<ExperimentRunner.Run> plan = runner.plan();
        if (dryRun) {
            for (ExperimentRunner.Run r : plan) {
                if (onlyRe != null && !onlyRe.matcher(r.key()).find()) continue;
                System.out.println(r.key() + (ExperimentRunner.finished(r) != null ? "  (done)" : "") + "\n    lgsr " + String.join(" ", r.argv()));
            }
            return;
        }
        ExperimentRunner.Outcome o = tableOnly ? null : runner.execute(plan, onlyRe, System.out);
        Results res = new Results(spec, plan);
        String table;
        try {
            Files.createDirectories(dir);
            List<String> pngs = new java.util.ArrayList<>(new Figures(res, dir).all());
            if (spec.figures.contains("attention")) pngs.addAll(attention(res, dir));
            String command = "./lgsr experiment " + specFile;
            table = res.write(dir, command, pngs);
            System.out.println("wrote " + dir.resolve("results.csv") + ", summary.csv, table.md" + (pngs.isEmpty() ? "" : ", " + String.join(", ", pngs)));
            if (readme != null) updateReadme(spec, dir, res.markdown(command, prefixed(pngs, dir)));
        } catch (IOException e) {
            throw new DataException(dir + ": cannot write the experiment's tables or figures (" + e.getMessage() + ")");
        }
        System.out.print(table);
        if (o != null && o.failed() > 0) {
            throw new org.lgsr.data.DataException(o.failed() + " of the experiment's runs failed: " + String.join("; ", o.failures()));
        }
    }

    /**
     * Figures 7 and 8 for each training cell of the LGSR module (a neural cell is skipped in a line): {@code lgsr attention} on the best model of its
     * first finished run (two test sessions), into {@code attention-KEY/}; the PNGs' names.
     */
    private static List<String> attention(Results res, Path dir) throws IOException {
        List<String> pngs = new java.util.ArrayList<>();
        for (Results.Group g : res.groups) {
            if (g.cell().baseline() || g.rows().isEmpty()) continue;
            ExperimentRunner.Run r = g.rows().get(0).run();
            if (org.lgsr.train.TrainConfig.neuralKind(g.cell().method()) != null) { // its saved model is not the LGSR module
                System.out.println("attention: " + r.key() + " is a neural model (" + g.cell().method() + "); Figures 7 and 8 are of the LGSR module");
                continue;
            }
            Path model = dir.resolve("models").resolve(r.key()).resolve("best.lgsr");
            Path outDir = dir.resolve("attention-" + r.key());
            if (!Files.isRegularFile(model)) {
                // the models stay out of git (tens of MB): figures drawn where the run was made are kept as they are
                if (Files.isDirectory(outDir)) {
                    System.out.println("attention: no saved model for " + r.key() + "; keeping the figures drawn before in " + outDir);
                    pngs.addAll(pngsIn(outDir, dir));
                } else {
                    System.out.println("attention: no saved model for " + r.key() + " (" + model + "); run it with \"checkpoints\": true");
                }
                continue;
            }
            int code = Main.execute("attention", "--model", model.toString(), "--dataset", r.dataset(), "--sessions", "2", "--output", outDir.toString());
            if (code != 0) throw new DataException("lgsr attention failed on " + model + " (exit " + code + ")");
            pngs.addAll(pngsIn(outDir, dir));
        }
        return pngs;
    }

    /** The PNG files in {@code folder}, named relative to {@code dir}, sorted. */
    private static List<String> pngsIn(Path folder, Path dir) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.list(folder)) {
            return files.map(p -> dir.relativize(p).toString()).filter(p -> p.endsWith(".png")).sorted().toList();
        }
    }

    private List<String> prefixed(List<String> pngs, Path dir) {
        Path base = readme.toAbsolutePath().getParent();
        return pngs.stream().map(p -> base.relativize(dir.toAbsolutePath().resolve(p)).toString()).toList();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new DataException(p + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** The start and end offsets of the block's content in the README. */
    private int[] readmeBlock(String text, String name) {
        String open = "<!-- experiment " + name + " -->", close = "<!-- /experiment " + name + " -->";
        int a = text.indexOf(open), b = text.indexOf(close);
        if (a < 0 || b < a) {
            throw new IllegalArgumentException("--readme: " + readme + " has no block for this experiment: add the lines " + open + " and " + close);
        }
        return new int[] {a + open.length(), b};
    }

    private void updateReadme(ExperimentSpec spec, Path dir, String md) throws IOException {
        String text = read(readme);
        int[] ab = readmeBlock(text, spec.name);
        String now = text.substring(0, ab[0]) + "\n" + md + text.substring(ab[1]);
        AtomicFiles.write(readme, o -> o.write(now.getBytes(StandardCharsets.UTF_8)));
        System.out.println("updated " + readme + " (block " + spec.name + ")");
    }
}
