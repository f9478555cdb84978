package org.lgsr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lgsr.data.Datasets;
import org.lgsr.data.Samples;
import org.lgsr.model.Checkpoint;

/** lgsr attention on a quickly trained model: the chosen sessions, the PNGs, attention.json and the errors. */
class AttentionCommandTest {
    static Path dir, model;

    @BeforeAll
    static void train() throws Exception {
        dir = Files.createTempDirectory("lgsr-attn");
        CliTest.Run t = CliTest.run("train", "--epochs", "1", "--max-steps", "6", "--no-compare", "--report", dir.resolve("run.json").toString());
        assertEquals(0, t.code(), t.err());
        model = dir.resolve("run.ckpt/best.lgsr");
    }

    /**
     * Decodes the PNG and checks it is a real picture: a sensible size, many colours, much that is
     * not background, and heat cells (the scale runs from cream to red: red well above blue,
     * which the white background, the grey plot area and the black text never are).
     */
    static void assertDrawn(Path png) throws Exception {
        assertTrue(Files.isRegularFile(png), png + " written");
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, png + " decodes as an image");
        assertTrue(img.getWidth() >= 600 && img.getWidth() <= 4000 && img.getHeight() >= 400 && img.getHeight() <= 4000,
                png + ": " + img.getWidth() + " x " + img.getHeight());
        int background = img.getRGB(0, 0);
        Set<Integer> colours = new HashSet<>();
        long other = 0, warm = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                colours.add(rgb);
                if (rgb != background) other++;
                if (((rgb >> 16) & 0xff) - (rgb & 0xff) > 8) warm++;
            }
        }
        assertTrue(colours.size() > 20, png + ": " + colours.size() + " colours");
        assertTrue(other > img.getWidth() * (long) img.getHeight() / 10, png + ": " + other + " pixels not background");
        assertTrue(warm > img.getWidth() * (long) img.getHeight() / 50, png + ": " + warm + " pixels of heat cells");
    }

    @Test
    @SuppressWarnings("unchecked")
    void drawsTheFirstTestSessionsOfTheChosenLengths() throws Exception {
        Path out = dir.resolve("figs");
        CliTest.Run r = CliTest.run("attention", "--model", model.toString(), "--sessions", "2", "--min-len", "4", "--max-len-shown", "9",
                "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        for (int i = 1; i <= 2; i++) {
            assertDrawn(out.resolve("attention-self-" + i + ".png"));
            assertDrawn(out.resolve("attention-aggregation-" + i + ".png"));
        }
        assertFalse(Files.exists(out.resolve("attention-self-3.png")), "two sessions only");

        // which sessions: the first two test samples of 4..9 items, the second not a prefix of the first
        Samples test = Datasets.load("synth", null).test();
        int first = -1, second = -1;
        for (int i = 0; i < test.size() && second < 0; i++) {
            int len = test.inputs().length(i);
            if (len < 4 || len > 9) continue;
            if (first < 0) first = i;
            else if (!isPrefix(test.inputs().get(i), test.inputs().get(first))) second = i;
        }
        Map<String, Object> j = new com.google.gson.Gson().fromJson(Files.readString(out.resolve("attention.json")), Map.class);
        assertEquals("lgsr-c", j.get("variant"));
        assertEquals(1.0, (Double) j.get("epoch"));
        List<Map<String, Object>> sessions = (List<Map<String, Object>>) j.get("sessions");
        assertEquals(2, sessions.size());
        int[] picked = {first, second};
        Checkpoint c = Checkpoint.read(model);
        for (int s = 0; s < 2; s++) {
            Map<String, Object> row = sessions.get(s);
            assertEquals(picked[s], ((Double) row.get("testSample")).intValue());
            assertEquals(test.targets()[picked[s]], ((Double) row.get("target")).intValue());
            int[] items = test.inputs().get(picked[s]);
            List<Double> got = (List<Double>) row.get("items");
            assertEquals(items.length, got.size());
            for (int i = 0; i < items.length; i++) assertEquals(items[i], got.get(i).intValue());
            List<List<Double>> a = (List<List<Double>>) row.get("selfAttention"), alpha = (List<List<Double>>) row.get("aggregation");
            assertEquals(items.length, a.size());
            for (int i = 0; i < items.length; i++) {
                double sa = 0, sb = 0;
                for (int k = 0; k < items.length; k++) {
                    if (k > i) {
                        assertEquals(0.0, a.get(i).get(k), 0.0, "causal mask");
                        assertEquals(0.0, alpha.get(i).get(k), 0.0, "prefix " + i);
                    }
                    sa += a.get(i).get(k);
                    sb += alpha.get(i).get(k);
                }
                assertEquals(1.0, sa, 1e-9);
                assertEquals(1.0, sb, 1e-9);
            }
            // the prediction after the last item weighs every position (its numbers are checked against the engine in SessionAttentionTest)
            for (int k = 0; k < items.length; k++) assertTrue(alpha.get(items.length - 1).get(k) > 0);
        }
        assertEquals(c.epoch(), ((Double) j.get("epoch")).intValue());
    }

    static boolean isPrefix(int[] a, int[] b) {
        return a.length < b.length && java.util.Arrays.equals(a, 0, a.length, b, 0, a.length);
    }

    @Test
    @SuppressWarnings("unchecked")
    void oneSessionFromTheCommandLineBesideTheCheckpoint() throws Exception {
        CliTest.Run r = CliTest.run("attention", "--model", model.toString(), "--session", "214 8, 15 8 31 977");
        assertEquals(0, r.code(), r.err());
        Path out = dir.resolve("run.ckpt/best-attention");
        assertDrawn(out.resolve("attention-self-1.png"));
        assertDrawn(out.resolve("attention-aggregation-1.png"));
        Map<String, Object> j = new com.google.gson.Gson().fromJson(Files.readString(out.resolve("attention.json")), Map.class);
        Map<String, Object> row = ((List<Map<String, Object>>) j.get("sessions")).get(0);
        assertEquals("--session", row.get("source"));
        assertNull(row.get("target"));
        assertEquals(List.of(214.0, 8.0, 15.0, 8.0, 31.0, 977.0), row.get("items"));
        assertTrue(r.out().contains("attention.json"), r.out());
    }

    @Test
    @SuppressWarnings("unchecked")
    void withoutAggregationLayerOnlyTheSelfAttentionIsDrawn() throws Exception {
        Path a = dir.resolve("lgsr-a");
        CliTest.Run t = CliTest.run("train", "--variant", "lgsr-a", "--epochs", "1", "--max-steps", "3", "--no-compare", "--report",
                a.resolve("run.json").toString());
        assertEquals(0, t.code(), t.err());
        Path out = a.resolve("figs");
        CliTest.Run r = CliTest.run("attention", "--model", a.resolve("run.ckpt/best.lgsr").toString(), "--session", "5 9 14 5", "--output",
                out.toString());
        assertEquals(0, r.code(), r.err());
        assertDrawn(out.resolve("attention-self-1.png"));
        assertFalse(Files.exists(out.resolve("attention-aggregation-1.png")), "LGSR-A has no aggregation layer");
        Map<String, Object> j = new com.google.gson.Gson().fromJson(Files.readString(out.resolve("attention.json")), Map.class);
        assertEquals("lgsr-a", j.get("variant"));
        Map<String, Object> row = ((List<Map<String, Object>>) j.get("sessions")).get(0);
        assertNull(row.get("aggregation"));
        assertEquals(List.of("attention-self-1.png"), row.get("files"));
    }

    @Test
    void badInputIsOneLineNamingTheFlagOrFile() throws Exception {
        CliTest.Run help = CliTest.run("attention", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("Usage:") && help.out().contains("--max-len-shown"), help.out());
        assertFalse(help.err().contains("WARN"), help.err());
        CliTest.assertOneLineError(CliTest.run("attention", "--model", dir.resolve("missing.lgsr").toString()), "missing.lgsr: no such file");
        CliTest.assertOneLineError(CliTest.run("attention", "--model", model.toString(), "--session", "5 99999"),
                "--session: item id '99999' is not one of the model's items");
        CliTest.assertOneLineError(CliTest.run("attention", "--model", model.toString(), "--session", "5 9", "--sessions", "2"),
                "give one of --sessions and --session");
        CliTest.assertOneLineError(CliTest.run("attention", "--model", model.toString(), "--min-len", "6", "--max-len-shown", "5"),
                "--max-len-shown: 5 is less than --min-len 6");
        CliTest.assertOneLineError(CliTest.run("attention", "--model", model.toString(), "--max-len-shown", "40"),
                "--max-len-shown: 40 is more than the model's max_len 19");
        CliTest.assertOneLineError(CliTest.run("attention", "--model", model.toString(), "--sessions", "0"), "--sessions: must be >= 1");
        Path file = dir.resolve("a-file");
        Files.writeString(file, "x");
        CliTest.assertOneLineError(CliTest.run("attention", "--model", model.toString(), "--session", "5 9", "--output", file.toString()),
                "--output: " + file.toAbsolutePath() + " is a file, not a folder");
    }
}
