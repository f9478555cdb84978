package org.lgsr.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.lgsr.cpu.Attention;
import org.lgsr.gpu.kernels.AttentionKernels;

/** attention_forward / attention_backward against their twins, fresh random data, outputs poisoned with NaN. */
@Tag("gpu")
class AttentionGpuTest extends KernelTestBase {
    static AttentionKernels kernels;

    @BeforeEach
    void open() {
        if (kernels == null) kernels = new AttentionKernels(module, ctx.info());
    }


    /**
     * (B, T, d): the requested B = 1, 3, 512 at T = 19, d = 100 and 64, and odd corners; the last
     * two need more than 48 KB of shared memory (backward; T = 32, d = 256 is the largest shape).
     */
    static final int[][] SHAPES = {
        {1, 19, 100}, {3, 19, 100}, {512, 19, 100}, {1, 19, 64}, {3, 19, 64}, {512, 19, 64},
        {5, 32, 37}, {7, 1, 100}, {2, 6, 256}, {33, 19, 3}, {4, 32, 120}, {2, 32, 256},
    };

    @Test
    void forwardAndBackwardMatchTheirTwins() {
        for (int[] sh : SHAPES) {
            for (boolean masked : new boolean[] {false, true}) check(sh[0], sh[1], sh[2], masked);
        }
    }

    private void check(int B, int T, int d, boolean masked) {
        String at = "B, T, d = " + B + ", " + T + ", " + d + ", masked " + masked + ", seed " + seed;
        int btd = B * T * d, btt = B * T * T;
        float[] q = GpuTests.gaussian(rnd, btd, 1f), k = GpuTests.gaussian(rnd, btd, 1f), v = GpuTests.gaussian(rnd, btd, 1f);
        float[] x = GpuTests.gaussian(rnd, btd, 1f);
        float[] gamma = new float[d], beta = GpuTests.gaussian(rnd, d, 0.3f);
        for (int c = 0; c < d; c++) gamma[c] = 1f + 0.3f * (float) rnd.nextGaussian();
        int[] len = new int[B];
        for (int b = 0; b < B; b++) len[b] = 1 + rnd.nextInt(T);
        len[0] = masked ? 1 : T;
        if (B > 1) len[B - 1] = masked ? T : 1;
        float[] mask = null;
        if (masked) {
            mask = new float[btt];
            for (int e = 0; e < btt; e++) mask[e] = rnd.nextFloat() < 0.2f ? 0f : 1.25f;
            // as in training: padded slots hold X = 0
            for (int b = 0; b < B; b++) {
                for (int e = len[b] * d; e < T * d; e++) x[b * T * d + e] = 0f;
            }
        }
        float[] a = new float[btt], s = new float[btd], xh = new float[btd], rs = new float[B * T];
        Attention.attentionForward(q, 0, k, 0, v, 0, x, 0, len, 0, mask, 0, gamma, 0, beta, 0, B, T, d, a, 0, s, 0, xh, 0, rs, 0);
        float[] dS = GpuTests.gaussian(rnd, btd, 1f); // padded rows too: they must be ignored
        float[] dR = new float[btd], dQ = new float[btd], dK = new float[btd], dV = new float[btd];
        float[] dG = new float[B * d], dB = new float[B * d];
        Attention.attentionBackward(dS, 0, xh, 0, rs, 0, gamma, 0, q, 0, k, 0, v, 0, a, 0, mask, 0, len, 0, B, T, d, dR, 0, dQ,
                0, dK, 0, dV, 0, dG, 0, dB, 0);
        try (DeviceFloats gq = DeviceFloats.of(q); DeviceFloats gk = DeviceFloats.of(k); DeviceFloats gv = DeviceFloats.of(v);
             DeviceFloats gx = DeviceFloats.of(x); DeviceInts gl = DeviceInts.of(len);
             DeviceFloats gm = masked ? DeviceFloats.of(mask) : null;
             DeviceFloats gg = DeviceFloats.of(gamma); DeviceFloats gb = DeviceFloats.of(beta);
             DeviceFloats oa = new DeviceFloats(btt); DeviceFloats os = new DeviceFloats(btd); DeviceFloats oxh = new DeviceFloats(btd);
             DeviceFloats ors = new DeviceFloats(B * T);
             // the backward reads the twin's A, XH, RS so that both sides see the same inputs
             DeviceFloats ia = DeviceFloats.of(a); DeviceFloats ixh = DeviceFloats.of(xh); DeviceFloats irs = DeviceFloats.of(rs);
             DeviceFloats ids = DeviceFloats.of(dS);
             DeviceFloats odr = new DeviceFloats(btd); DeviceFloats odq = new DeviceFloats(btd); DeviceFloats odk = new DeviceFloats(btd);
             DeviceFloats odv = new DeviceFloats(btd); DeviceFloats odg = new DeviceFloats(B * d); DeviceFloats odb = new DeviceFloats(B * d)) {
            for (DeviceFloats o : new DeviceFloats[] {oa, os, oxh, ors, odr, odq, odk, odv, odg, odb}) o.fill(Float.NaN, stream);
            long maskAddress = masked ? gm.address() : 0L;
            kernels.attentionForward(gq.address(), gk.address(), gv.address(), gx.address(), gl.address(), maskAddress, gg.address(),
                    gb.address(), B, T, d, oa.address(), os.address(), oxh.address(), ors.address(), stream);
            kernels.attentionBackward(ids.address(), ixh.address(), irs.address(), gg.address(), gq.address(), gk.address(),
                    gv.address(), ia.address(), maskAddress, gl.address(), B, T, d, odr.address(), odq.address(), odk.address(),
                    odv.address(), odg.address(), odb.address(), stream);
            stream.synchronize();
            float[] ga = oa.toArray(), gdr = odr.toArray(), gdq = odq.toArray(), gdk = odk.toArray(), gdv = odv.toArray();
            close("A", ga, a, at);
            close("S", os.toArray(), s, at);
            close("XH", oxh.toArray(), xh, at);
            close("RS", ors.toArray(), rs, at);
            close("dR", gdr, dR, at);
            close("dQ", gdq, dQ, at);
            close("dK", gdk, dK, at);
            close("dV", gdv, dV, at);
            close("dGammaPart", odg.toArray(), dG, at);
            close("dBetaPart", odb.toArray(), dB, at);
            // exact zeros: A above the diagonal and on padded rows; every gradient on padded rows
            for (int b = 0; b < B; b++) {
                for (int i = 0; i < T; i++) {
                    int row = b * T + i;
                    for (int j = 0; j < T; j++) {
                        if (j > i || i >= len[b]) assertEquals(0f, ga[row * T + j], "A[" + row + ", " + j + "], " + at);
                    }
                    if (i < len[b]) continue;
                    for (int c = 0; c < d; c++) {
                        int e = row * d + c;
                        assertTrue(gdr[e] == 0f && gdq[e] == 0f && gdk[e] == 0f && gdv[e] == 0f, "padded row " + row + ", " + at);
                    }
                }
            }
        }
    }

    /**
     * ||gpu - twin|| / ||twin|| < 1e-5 over every element (a NaN left by the poison fails); where
     * the twin is 0 throughout (len 1: dQ = dK = 0), the kernel's output must be 0 throughout.
     */
    private static void close(String what, float[] gpu, float[] twin, String at) {
        double[] ref = new double[twin.length];
        boolean allZero = true;
        for (int i = 0; i < twin.length; i++) {
            ref[i] = twin[i];
            allZero &= twin[i] == 0f;
        }
        if (allZero) {
            for (int i = 0; i < gpu.length; i++) assertEquals(0f, Math.abs(gpu[i]), what + "[" + i + "] where the twin is all 0, " + at);
            return;
        }
        double err = GpuTests.relativeError(gpu, ref);
        assertTrue(err < 1e-5, what + ": relative error " + err + ", " + at);
    }

    @Test
    void shapesBeyondTheLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> kernels.attentionForward(1, 1, 1, 1, 1, 0, 1, 1, 1, 33, 8, 1, 1, 1, 1, stream));
        assertThrows(IllegalArgumentException.class,
                () -> kernels.attentionBackward(1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 32, 257, 1, 1, 1, 1, 1, 1, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.attentionForward(1, 1, 1, 0, 1, 0, 1, 1, 1, 19, 100, 1, 1, 1, 1, stream));
    }
}
