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
        byte[] v2 = good.clone();
        v2[11] = 2;
        Files.write(f, v2);
        assertMessage(f, "checkpoint format version 2; this lgsr reads version 1");
        Files.writeString(f, "{\"not\": \"a checkpoint\"}");
        assertMessage(f, "not an lgsr checkpoint");
        Files.write(f, new byte[3]);
        assertMessage(f, "truncated checkpoint");
        byte[] extra = java.util.Arrays.copyOf(good, good.length + 1);
        Files.write(f, extra);
        assertMessage(f, "bytes after the last section");
        assertMessage(dir.resolve("none.lgsr"), "no such file");
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
