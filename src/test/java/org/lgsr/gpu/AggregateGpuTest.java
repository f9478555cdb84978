package org.lgsr.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.lgsr.cpu.Aggregate;
import org.lgsr.gpu.kernels.AggregateKernels;

/** The kernels of cuda/aggregate.cu against their twin Aggregate, outputs poisoned with NaN first. */
@Tag("gpu")
class AggregateGpuTest extends KernelTestBase {
    static AggregateKernels kernels;

    @BeforeEach
    void open() {
        if (kernels == null) kernels = new AggregateKernels(module, ctx.info());
    }


    /** The sizes: B in {1, 3, 512} with T = 19, d in {100, 64}; and the limits T = 32, d = 256, and T = d = 1. */
    static final int[][] SHAPES = {{1, 19, 100}, {3, 19, 100}, {512, 19, 100}, {1, 19, 64}, {3, 19, 64}, {512, 19, 64},
            {5, 32, 256}, {4, 1, 1}, {33, 32, 1}};

    int[] lengths(int B, int T, int pattern) {
        int[] len = new int[B];
        for (int b = 0; b < B; b++) {
            len[b] = switch (pattern) {
                case 0 -> 1;
                case 1 -> T;
                default -> b == 0 ? 1 : b == 1 ? T : 1 + rnd.nextInt(T);
            };
        }
        return len;
    }

    float[] mask(int n) {
        float[] m = new float[n];
        for (int k = 0; k < n; k++) m[k] = rnd.nextFloat() < 0.2f ? 0f : 1.25f;
        return m;
    }

    static DeviceFloats poisoned(long n) {
        DeviceFloats b = new DeviceFloats(n);
        b.fill(Float.NaN, stream);
        return b;
    }

    /** ||gpu - twin|| / ||twin|| < 1e-5 over every element (exactly 0 where the twin is all 0). */
    static void assertClose(float[] twin, float[] gpu, String what) {
        double num = 0, den = 0;
        for (int i = 0; i < twin.length; i++) {
            assertTrue(!Float.isNaN(gpu[i]), what + ": NaN at " + i);
            num += ((double) gpu[i] - twin[i]) * ((double) gpu[i] - twin[i]);
            den += (double) twin[i] * twin[i];
        }
        if (den == 0) assertTrue(num == 0, what + ": the twin is all 0, the kernel's error norm is " + Math.sqrt(num));
        else assertTrue(Math.sqrt(num / den) < 1e-5, what + ": relative error " + Math.sqrt(num / den));
    }

    @Test
    void aggregationMatchesItsTwin() {
        for (int[] s : SHAPES) {
            int B = s[0], T = s[1], d = s[2];
            for (int pattern = B == 1 ? 0 : 2; pattern <= 2; pattern++) {
                for (boolean hard : new boolean[] {true, false}) {
                    for (boolean withMask : new boolean[] {false, true}) {
                        String what = "B " + B + " T " + T + " d " + d + (hard ? " hard" : " sigmoid") + (withMask ? " masked" : "")
                                + " len pattern " + pattern + ", seed " + seed;
                        check(B, T, d, lengths(B, T, pattern), hard, withMask ? mask(B * 2 * d) : null, what);
                    }
                }
            }
        }
    }

    void check(int B, int T, int d, int[] len, boolean hard, float[] mask, String what) {
        float[] g0 = GpuTests.gaussian(rnd, B * T * d, 2f), u = GpuTests.gaussian(rnd, B * d, 1f);
        float[] f = GpuTests.gaussian(rnd, B * T * d, 1f), q = GpuTests.gaussian(rnd, d, 1f);
        float[] dCatD = GpuTests.gaussian(rnd, B * 2 * d, 1f);
        // the twin
        float[] g = g0.clone(), alpha = new float[B * T], cat = new float[B * 2 * d], catD = new float[B * 2 * d];
        Aggregate.aggregateForward(g, 0, u, 0, f, 0, q, 0, len, 0, mask, 0, B, T, d, hard, alpha, 0, cat, 0, catD, 0);
        float[] dF = new float[B * T * d], dG = new float[B * T * d], dU = new float[B * d], dq = new float[B * d];
        Aggregate.aggregateBackward(dCatD, 0, mask, 0, g, 0, f, 0, alpha, 0, q, 0, len, 0, B, T, d, hard, dF, 0, dG, 0, dU, 0, dq, 0);
        try (DeviceFloats xG = DeviceFloats.of(g0); DeviceFloats xU = DeviceFloats.of(u); DeviceFloats xF = DeviceFloats.of(f);
             DeviceFloats xq = DeviceFloats.of(q); DeviceInts xLen = DeviceInts.of(len);
             DeviceFloats xMask = mask == null ? null : DeviceFloats.of(mask); DeviceFloats xAlpha = poisoned(B * T);
             DeviceFloats xCat = poisoned(B * 2L * d); DeviceFloats xCatD = poisoned(B * 2L * d);
             DeviceFloats xDCatD = DeviceFloats.of(dCatD); DeviceFloats tG = DeviceFloats.of(g); DeviceFloats tAlpha = DeviceFloats.of(alpha);
             DeviceFloats xDF = poisoned((long) B * T * d); DeviceFloats xDG = poisoned((long) B * T * d);
             DeviceFloats xDU = poisoned((long) B * d); DeviceFloats xDq = poisoned((long) B * d)) {
            long m = xMask == null ? 0 : xMask.address();
            kernels.aggregateForward(xG.address(), xU.address(), xF.address(), xq.address(), xLen.address(), m, B, T, d, hard,
                    xAlpha.address(), xCat.address(), xCatD.address(), stream);
            // the backward on the twin's G and alpha: each kernel checked on its own
            kernels.aggregateBackward(xDCatD.address(), m, tG.address(), xF.address(), tAlpha.address(), xq.address(), xLen.address(),
                    B, T, d, hard, xDF.address(), xDG.address(), xDU.address(), xDq.address(), stream);
            stream.synchronize();
            assertClose(g, xG.toArray(), "G " + what);
            assertClose(alpha, xAlpha.toArray(), "alpha " + what);
            assertClose(cat, xCat.toArray(), "cat " + what);
            assertClose(catD, xCatD.toArray(), "catD " + what);
            assertClose(dF, xDF.toArray(), "dF " + what);
            assertClose(dG, xDG.toArray(), "dG " + what);
            assertClose(dU, xDU.toArray(), "dU " + what);
            assertClose(dq, xDq.toArray(), "dqPart " + what);
            float[] ga = xAlpha.toArray(), gdF = xDF.toArray(), gdG = xDG.toArray();
            for (int b = 0; b < B; b++) {
                for (int i = len[b]; i < T; i++) {
                    assertTrue(ga[b * T + i] == 0f, "padded alpha " + what);
                    for (int c = 0; c < d; c++) {
                        int o = (b * T + i) * d + c;
                        assertTrue(gdF[o] == 0f && gdG[o] == 0f, "padded dF, dG " + what);
                    }
                }
            }
        }
    }

    @Test
    void lastItemKernelsMatchTheirTwin() {
        for (int[] s : SHAPES) {
            int B = s[0], T = s[1], d = s[2];
            for (boolean withMask : new boolean[] {false, true}) {
                String what = "B " + B + " T " + T + " d " + d + (withMask ? " masked" : "") + ", seed " + seed;
                int[] len = lengths(B, T, 2);
                float[] f = GpuTests.gaussian(rnd, B * T * d, 1f), dCatD = GpuTests.gaussian(rnd, B * d, 1f);
                float[] dFt = GpuTests.gaussian(rnd, B * d, 1f), dF0 = GpuTests.gaussian(rnd, B * T * d, 1f);
                float[] mask = withMask ? mask(B * d) : null;
                float[] ft = new float[B * d], cat = new float[B * d], catD = new float[B * d], dF = new float[B * T * d];
                float[] added = dF0.clone();
                Aggregate.gatherLast(f, 0, len, 0, B, T, d, ft, 0);
                Aggregate.lastForward(f, 0, len, 0, mask, 0, B, T, d, cat, 0, catD, 0);
                Aggregate.lastBackward(dCatD, 0, mask, 0, len, 0, B, T, d, dF, 0);
                Aggregate.addLast(added, 0, dFt, 0, len, 0, B, T, d);
                try (DeviceFloats xF = DeviceFloats.of(f); DeviceInts xLen = DeviceInts.of(len);
                     DeviceFloats xMask = mask == null ? null : DeviceFloats.of(mask); DeviceFloats xFt = poisoned((long) B * d);
                     DeviceFloats xCat = poisoned((long) B * d); DeviceFloats xCatD = poisoned((long) B * d);
                     DeviceFloats xDCatD = DeviceFloats.of(dCatD); DeviceFloats xDF = poisoned((long) B * T * d);
                     DeviceFloats xDFt = DeviceFloats.of(dFt); DeviceFloats xAdded = DeviceFloats.of(dF0)) {
                    long m = xMask == null ? 0 : xMask.address();
                    kernels.gatherLast(xF.address(), xLen.address(), B, T, d, xFt.address(), stream);
                    kernels.lastForward(xF.address(), xLen.address(), m, B, T, d, xCat.address(), xCatD.address(), stream);
                    kernels.lastBackward(xDCatD.address(), m, xLen.address(), B, T, d, xDF.address(), stream);
                    kernels.addLast(xAdded.address(), xDFt.address(), xLen.address(), B, T, d, stream);
                    stream.synchronize();
                    // copies, one product or one sum per element: bit for bit
                    assertArrayEquals(ft, xFt.toArray(), "gather_last " + what);
                    assertArrayEquals(cat, xCat.toArray(), "last_forward cat " + what);
                    assertArrayEquals(catD, xCatD.toArray(), "last_forward catD " + what);
                    assertArrayEquals(dF, xDF.toArray(), "last_backward " + what);
                    assertArrayEquals(added, xAdded.toArray(), "add_last " + what);
                }
            }
        }
    }
}
