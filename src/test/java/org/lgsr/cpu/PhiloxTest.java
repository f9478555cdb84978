package org.lgsr.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PhiloxTest {
    /** Known-answer vectors of Philox4x32-10 (Random123's kat_vectors). */
    @Test
    void knownAnswers() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                Philox.philox4x32_10(new int[] {0, 0, 0, 0}, new int[] {0, 0}));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                Philox.philox4x32_10(new int[] {-1, -1, -1, -1}, new int[] {-1, -1}));
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                Philox.philox4x32_10(new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                        new int[] {0xa4093822, 0x299f31d0}));
    }

    @Test
    void streamLayoutAndOffsets() {
        long seed = 0x1234_5678_9abc_def0L, stream = 0x0fed_cba9_8765_4321L;
        // word e is word e % 4 of the block with counter (lo(e/4), hi(e/4), lo(stream), hi(stream))
        long e = (5L << 32) + 4 * 7 + 2;
        int[] blk = Philox.philox4x32_10(new int[] {(int) (e >>> 2), (int) (e >>> 34), (int) stream, (int) (stream >>> 32)},
                new int[] {(int) seed, (int) (seed >>> 32)});
        assertEquals(blk[2], Philox.word(seed, stream, e));
        // a fill at any offset is the same words
        int[] all = new int[37];
        Philox.philoxBits(all, seed, stream, 0);
        for (int off = 0; off < 9; off++) {
            int[] part = new int[37 - off - 3];
            Philox.philoxBits(part, seed, stream, off);
            for (int j = 0; j < part.length; j++) assertEquals(all[off + j], part[j], "offset " + off + " word " + j);
        }
        float[] u = new float[37];
        Philox.philoxUniform(u, seed, stream, 0);
        for (int j = 0; j < u.length; j++) {
            assertEquals(Philox.toUniform(all[j]), u[j]);
            assertTrue(u[j] >= 0f && u[j] < 1f);
        }
        assertEquals(1f - 0x1.0p-24f, Philox.toUniform(-1));
    }

    @Test
    void uniformsLookUniform() {
        float[] u = new float[1 << 16];
        Philox.philoxUniform(u, 42, 7, 3);
        double mean = 0;
        int[] bins = new int[16];
        for (float x : u) {
            mean += x;
            bins[(int) (x * 16)]++;
        }
        mean /= u.length;
        assertEquals(0.5, mean, 0.01);
        for (int b : bins) assertEquals(u.length / 16.0, b, 5 * Math.sqrt(u.length / 16.0));
    }
}
