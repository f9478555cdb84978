package org.lgsr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EpochProgressTest {
    /** Not a terminal: one line per 30 s of the clock, with the rate and the time left; none at the end. */
    @Test
    void aLogGetsALineEveryThirtySeconds() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(buf, true, StandardCharsets.UTF_8);
        long[] clock = {0};
        try (EpochProgress p = new EpochProgress("epoch 2/30", "samples", 10_000, false, log, () -> clock[0], 30_000_000_000L)) {
            clock[0] = 10_000_000_000L;
            p.update(1_000, 5.0); // 10 s: too soon
            clock[0] = 40_000_000_000L;
            p.update(4_000, 4.5); // 40 s: 100 samples/s, 6,000 left: 60 s
            clock[0] = 50_000_000_000L;
            p.update(5_000, 4.4); // 10 s after the last line
            clock[0] = 80_000_000_000L;
            p.update(10_000, 4.3); // done: the epoch line follows
        }
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(1, lines.length, buf.toString(StandardCharsets.UTF_8));
        assertEquals("epoch 2/30: 4,000 of 10,000 samples (40%), 100 samples/s, loss 4.5000, about 1 min 00 s left", lines[0]);
    }

    /** An L_g pass: batches, no loss. */
    @Test
    void batchesWithoutALoss() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long[] clock = {0};
        try (EpochProgress p = new EpochProgress("epoch 1/30  L_g pass 1/2", "batches", 1000, false,
                new PrintStream(buf, true, StandardCharsets.UTF_8), () -> clock[0], 30_000_000_000L)) {
            clock[0] = 31_000_000_000L;
            p.update(310, Double.NaN);
        }
        assertEquals("epoch 1/30  L_g pass 1/2: 310 of 1,000 batches (31%), 10 batches/s, about 1 min 09 s left\n",
                buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void durationsRead() {
        assertEquals("59 s", EpochProgress.duration(59.4));
        assertEquals("2 min 05 s", EpochProgress.duration(125));
        assertEquals("1 h 01 min", EpochProgress.duration(3700));
        assertTrue(EpochProgress.duration(0).equals("0 s"));
    }
}
