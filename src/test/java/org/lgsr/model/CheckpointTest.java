package org.lgsr.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lgsr.data.DataException;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.SyntheticData;

class CheckpointTest {
    @TempDir
    Path dir;

    static final SessionDataset DATA = SyntheticData.generate(SyntheticData.Config.defaults());

    static Checkpoint sample() {
        ModelConfig m = new ModelConfig(DATA.numItems(), 16, 19, 0.3f, 1e-5f, Variant.LGSR_C, true);
        Parameters p = Parameters.init(m, 7);
        return new Checkpoint(m, 3, Map.of("variant", "lgsr-c", "seed", 7), Checkpoint.fingerprint(DATA), Map.of("P@20", 71.5, "MRR@20", 43.8), p.w);
    }

    @Test
    void writesAndReadsBackEveryPart() {
        Checkpoint c = sample();
        Path f = dir.resolve("sub/best.lgsr");
        c.write(f);
        Checkpoint r = Checkpoint.read(f);
        assertEquals(c.model(), r.model());
        assertEquals(3, r.epoch());
        assertArrayEquals(c.params(), r.params());
        assertEquals(71.5, r.metrics().get("P@20"));
        assertEquals(c.dataset().get("samplesCrc32"), r.dataset().get("samplesCrc32"));
        assertEquals(((Number) r.config().get("seed")).longValue(), 7);
        r.checkFits(DATA, f);
        // E's rows: the item embeddings, row 0 the padding (zero)
        float[] e = r.itemEmbeddings();
        assertEquals(DATA.numItems() * 16, e.length);
        for (int k = 0; k < 16; k++) assertEquals(0f, e[k]);
    }

    /** The global encoder's tables (sections lg.NAME) come back as written; a name outside the format is refused when writing. */
    @Test
    void globalEncoderTablesRoundTrip() {
        Checkpoint c = sample();
        java.util.Random rnd = new java.util.Random(5);
        float[] eM = new float[c.params().length / 4], bias = new float[DATA.numItems()];
        for (int i = 0; i < eM.length; i++) eM[i] = rnd.nextFloat() - 0.5f;
        for (int i = 0; i < bias.length; i++) bias[i] = (float) rnd.nextGaussian();
        float[] m = new float[c.params().length], v = new float[c.params().length];
        Checkpoint g = new Checkpoint(c.model(), 2, c.config(), c.dataset(), c.metrics(), c.params(), m, v, Map.of("step", 9),
                Map.of("eM", eM, "bias", bias));
        Path f = dir.resolve("g.lgsr");
        g.write(f);
        Checkpoint r = Checkpoint.read(f);
        assertEquals(java.util.Set.of("eM", "bias"), r.global().keySet());
        assertArrayEquals(eM, r.global().get("eM"));
        assertArrayEquals(bias, r.global().get("bias"));
        assertTrue(Checkpoint.read(writeAndPath(sample(), "plain.lgsr")).global().isEmpty(), "a checkpoint without L_g has no lg sections");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new Checkpoint(c.model(), 2, c.config(), c.dataset(),
                c.metrics(), c.params(), m, v, Map.of(), Map.of("thetta", bias)));
    }

    private Path writeAndPath(Checkpoint c, String name) {
        Path f = dir.resolve(name);
        c.write(f);
        return f;
    }

    /** Truncated, corrupt, foreign and future files: one line each, naming the file and the problem. */
    @Test
    void everyBadFileIsOneClearLine() throws Exception {
        byte[] good = bytesOf(sample());
        Path f = dir.resolve("x.lgsr");
        Files.write(f, java.util.Arrays.copyOf(good, good.length - 100));
        assertMessage(f, "truncated checkpoint");
        byte[] flip = good.clone();
        flip[flip.length - 5] ^= 0x40;
        Files.write(f, flip);
        assertMessage(f, "section params fails its CRC-32 check");
        byte[] v3 = good.clone();
        v3[11] = 3;
        Files.write(f, v3);
        assertMessage(f, "checkpoint format version 3; this lgsr reads versions 1 and 2");
        // version 2 is a neural model's: an LGSR module's config under that version describes none
        byte[] v2 = good.clone();
        v2[11] = 2;
        Files.write(f, v2);
        assertMessage(f, "corrupt checkpoint (its config section does not describe a neural model: no neural model kind)");
        Files.writeString(f, "{\"not\": \"a checkpoint\"}");
        assertMessage(f, "not an lgsr checkpoint");
        Files.write(f, new byte[3]);
        assertMessage(f, "truncated checkpoint");
        byte[] extra = java.util.Arrays.copyOf(good, good.length + 1);
        Files.write(f, extra);
        assertMessage(f, "bytes after the last section");
        assertMessage(dir.resolve("none.lgsr"), "no such file");
    }

    /**
     * A version-1 file written by the code before neural checkpoints existed (src/test/resources, made by that
     * Checkpoint class: a 6-item LGSR-C of d 4, Parameters.init seed 11, Adam's m[i] = i / 1000 and v[i] = i / 1e6)
     * reads as it did; the LGSR module is still written as version 1, byte for byte the same file.
     */
    @Test
    void aVersion1FileOfTheOlderCodeReadsUnchanged() throws Exception {
        Path f = Path.of("src/test/resources/checkpoints/v1-lgsr-c-tiny.lgsr");
        Checkpoint c = Checkpoint.read(f);
        ModelConfig m = new ModelConfig(6, 4, 3, 0.3f, 1e-5f, Variant.LGSR_C, true);
        assertEquals(m, c.model());
        assertEquals(null, c.neural());
        assertEquals(1, c.version());
        assertEquals(2, c.epoch());
        assertEquals(12.5, c.metrics().get("P@20"));
        float[] w = Parameters.init(m, 11).w;
        assertArrayEquals(w, c.params());
        for (int i = 0; i < w.length; i++) {
            assertEquals(i * 0.001f, c.adamM()[i]);
            assertEquals(i * 1e-6f, c.adamV()[i]);
        }
        assertTrue(c.resumable());
        assertEquals(7, ((Number) c.resume().get("step")).intValue());
        // written again now: the same bytes
        Path again = dir.resolve("again.lgsr");
        new Checkpoint(c.model(), c.epoch(), c.config(), c.dataset(), c.metrics(), c.params(), c.adamM(), c.adamV(), c.resume()).write(again);
        assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(again));
    }

    /** A neural model's checkpoint (format version 2): every part back as written, for each kind; its model has no LGSR variant. */
    @Test
    void aNeuralModelRoundTripsAsVersion2() throws Exception {
        for (org.lgsr.model.neural.NeuralKind k : org.lgsr.model.neural.NeuralKind.values()) {
            org.lgsr.model.neural.NeuralConfig nc = new org.lgsr.model.neural.NeuralConfig(k, DATA.numItems(), 8, k.hasHidden() ? 6 : 8, 19, 1e-5f);
            org.lgsr.model.neural.NeuralParameters p = org.lgsr.model.neural.NeuralParameters.init(nc, 3);
            int n = p.w.length;
            float[] m = new float[n], v = new float[n];
            for (int i = 0; i < n; i++) {
                m[i] = (float) Math.sin(i);
                v[i] = i * 1e-7f;
            }
            float[] eM = new float[DATA.numItems() * 8];
            eM[17] = 0.25f;
            Checkpoint c = Checkpoint.neural(nc, 4, Map.of("variant", k == org.lgsr.model.neural.NeuralKind.SRGNN ? "lgsr-h" : k.cliName),
                    Checkpoint.fingerprint(DATA), Map.of("P@20", 30.25), p.w, m, v, Map.of("step", 12), Map.of("eM", eM));
            Path f = dir.resolve(k.cliName + ".lgsr");
            c.write(f);
            byte[] b = Files.readAllBytes(f);
            assertEquals(2, java.nio.ByteBuffer.wrap(b, 8, 4).getInt(), "format version 2");
            Checkpoint r = Checkpoint.read(f);
            assertTrue(r.isNeural());
            assertEquals(null, r.model());
            assertEquals(nc, r.neural());
            assertEquals(4, r.epoch());
            assertArrayEquals(p.w, r.params());
            assertArrayEquals(m, r.adamM());
            assertArrayEquals(v, r.adamV());
            assertArrayEquals(eM, r.global().get("eM"));
            assertEquals(30.25, r.metrics().get("P@20"));
            assertEquals(DATA.numItems(), r.numItems());
            assertEquals(k == org.lgsr.model.neural.NeuralKind.SRGNN ? "lgsr-h" : k.cliName, r.label());
            r.checkFits(DATA, f);
            // the config's model: the kind's name, no LGSR variant for an older reader to take
            @SuppressWarnings("unchecked")
            Map<String, Object> model = (Map<String, Object>) new com.google.gson.Gson().fromJson(configText(b), Map.class).get("model");
            assertEquals(java.util.Set.of("kind", "numItems", "dim", "hidden", "maxLen", "lambda2"), model.keySet());
            assertEquals(k.cliName, model.get("kind"));
            // what works on the LGSR module only refuses it in one line naming the file
            DataException e = assertThrows(DataException.class, () -> r.lgsrModule(f, "export"));
            assertEquals(f + ": a checkpoint of a neural model (" + r.label() + "); lgsr export works on the LGSR module only (--variant lgsr-c, lgsr, lgsr-a)",
                    e.getMessage());
        }
        // a parameter count that is not the layout's: one line
        org.lgsr.model.neural.NeuralConfig nc = new org.lgsr.model.neural.NeuralConfig(org.lgsr.model.neural.NeuralKind.STAMP, DATA.numItems(), 8, 19, 0f);
        Checkpoint good = Checkpoint.neural(nc, 1, Map.of(), Map.of(), Map.of(), org.lgsr.model.neural.NeuralParameters.init(nc, 1).w, null, null, null, null);
        Path f = dir.resolve("stamp-bad.lgsr");
        good.write(f);
        byte[] b = Files.readAllBytes(f);
        String text = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher items = java.util.regex.Pattern.compile("\"numItems\":\\s*" + DATA.numItems()).matcher(text);
        assertTrue(items.find(), configText(b));
        b[items.end() - 1]++; // one item more than the parameters hold
        // the config's CRC-32 fails first: rewrite it so that the reader gets to the model
        fixConfigCrc(b);
        Files.write(f, b);
        assertMessage(f, "parameters for a stamp model of");
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint(null, 1, Map.of(), Map.of(), Map.of(), new float[1], null, null, null, null, null));
    }

    /** The first section's (config's) text. */
    static String configText(byte[] b) {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
        int lenAt = 18 + (bb.getShort(16) & 0xffff);
        return new String(b, lenAt + 12, (int) bb.getLong(lenAt), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Recomputes the CRC-32 of the first section (config) after the test edited its bytes. */
    static void fixConfigCrc(byte[] b) {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
        int nameLen = bb.getShort(16) & 0xffff;
        int lenAt = 18 + nameLen;
        long len = bb.getLong(lenAt);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, lenAt + 12, (int) len);
        bb.putInt(lenAt + 8, (int) crc.getValue());
    }

    @Test
    void aModelOfAnotherDatasetIsRefused() {
        Checkpoint c = sample();
        Path f = dir.resolve("m.lgsr");
        c.write(f);
        SyntheticData.Config other = new SyntheticData.Config(43, 2000, 25, 3, 12000, 2000, 1.0, 4.2, 50, 0.55, 0.25, 0.10);
        DataException e = assertThrows(DataException.class, () -> Checkpoint.read(f).checkFits(SyntheticData.generate(other), f));
        assertTrue(e.getMessage().contains("is not the one the model was trained on"), e.getMessage());
    }

    /** The bytes of a checkpoint, for the tests that corrupt them. */
    byte[] bytesOf(Checkpoint c) throws java.io.IOException {
        Path f = dir.resolve("good.lgsr");
        c.write(f);
        return Files.readAllBytes(f);
    }

    static void assertMessage(Path f, String fragment) {
        DataException e = assertThrows(DataException.class, () -> Checkpoint.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains(fragment), e.getMessage());
        assertTrue(!e.getMessage().contains("\n") && !e.getMessage().contains("Exception"), e.getMessage());
    }
}
