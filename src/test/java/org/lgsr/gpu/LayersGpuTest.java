package org.lgsr.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.lgsr.cpu.Layers;
import org.lgsr.gpu.kernels.LayersKernels;
import org.lgsr.model.DropoutMasks;

/**
 * The kernels of cuda/layers.cu against their twins (org.lgsr.cpu.Layers) on fresh random
 * inputs, outputs poisoned with NaN before each launch: bit for bit where the contract says so,
 * else relative error under 1e-5 (layer_norm_backward's dX: relative to ||RS dY gamma||, the size
 * of the terms it is the difference of). Sizes: rows in {1, 19, 9728} (9728 = 512 sessions of
 * 19), d in {100, 64, 3}.
 */
@Tag("gpu")
class LayersGpuTest extends KernelTestBase {
    static final int[] ROWS = {1, 19, 9728};
    static final int[] DS = {100, 64, 3};
    static final float RATE = 0.3f;

    static LayersKernels kernels;

    @BeforeEach
    void open() {
        if (kernels == null) kernels = new LayersKernels(module, ctx.info());
    }


    /** ||gpu - twin|| / ||twin|| in float64 (NaN anywhere: infinity; a zero twin: the plain norm). */
    static double relErr(float[] gpu, float[] twin) {
        double num = 0, den = 0;
        for (int i = 0; i < twin.length; i++) {
            if (Float.isNaN(gpu[i]) || Float.isNaN(twin[i])) return Double.POSITIVE_INFINITY;
            double e = (double) gpu[i] - twin[i];
            num += e * e;
            den += (double) twin[i] * twin[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** ||gpu - twin|| / scale (NaN anywhere: infinity). */
    static double errOver(float[] gpu, float[] twin, double scale) {
        double num = 0;
        for (int i = 0; i < twin.length; i++) {
            if (Float.isNaN(gpu[i]) || Float.isNaN(twin[i])) return Double.POSITIVE_INFINITY;
            double e = (double) gpu[i] - twin[i];
            num += e * e;
        }
        return Math.sqrt(num) / scale;
    }

    float[] dropout(int n, int site) {
        float[] m = new float[n];
        DropoutMasks.fill(m, n, rnd.nextLong(), site, RATE);
        return m;
    }

    static DeviceFloats poisoned(long n) {
        DeviceFloats b = new DeviceFloats(n);
        b.fill(Float.NaN, stream);
        return b;
    }

    static long addr(DeviceFloats b) {
        return b == null ? 0L : b.address();
    }

    // ---------------------------------------------------------------- dropout masks

    @Test
    void dropoutMaskEqualsDropoutMasksFillBitForBit() {
        long[] counts = {1, 19L * 100, 9728L * 100, 9728L * 64 + 5};
        for (long count : counts) {
            for (int site = 0; site < 5; site++) {
                float rate = new float[] {0f, 0.25f, 0.5f}[(site + (int) count) % 3];
                long s = rnd.nextLong();
                float[] want = new float[(int) count];
                DropoutMasks.fill(want, (int) count, s, site, rate);
                try (DeviceFloats out = poisoned(count)) {
                    kernels.dropoutMask(out.address(), count, s, site, rate, stream);
                    stream.synchronize();
                    assertArrayEquals(want, out.toArray(), "count " + count + ", site " + site + ", rate " + rate + ", seed " + seed);
                }
            }
        }
    }

    // ---------------------------------------------------------------- forward

    @Test
    void embedInputMatchesItsTwinBitForBit() {
        for (int rows : ROWS) {
            for (int d : DS) {
                int vocab = 1000, maxPos = 20;
                float[] E = GpuTests.gaussian(rnd, vocab * d, 1f), P = GpuTests.gaussian(rnd, maxPos * d, 0.5f);
                int[] items = new int[rows], pos = new int[rows];
                for (int r = 0; r < rows; r++) {
                    items[r] = rnd.nextInt(vocab);
                    pos[r] = rnd.nextInt(maxPos);
                }
                float[] mask = dropout(rows * d, 0);
                for (boolean masked : new boolean[] {false, true}) {
                    float[] want = new float[rows * d];
                    Layers.embedInput(want, 0, E, 0, P, 0, items, 0, pos, 0, masked ? mask : null, 0, rows, d);
                    try (DeviceFloats dE = DeviceFloats.of(E); DeviceFloats dP = DeviceFloats.of(P); DeviceInts dI = DeviceInts.of(items);
                         DeviceInts dPos = DeviceInts.of(pos); DeviceFloats dM = masked ? DeviceFloats.of(mask) : null;
                         DeviceFloats X = poisoned((long) rows * d)) {
                        kernels.embedInput(X.address(), dE.address(), dP.address(), dI.address(), dPos.address(), addr(dM), rows, d, stream);
                        stream.synchronize();
                        assertArrayEquals(want, X.toArray(), "rows " + rows + ", d " + d + ", masked " + masked + ", seed " + seed);
                    }
                }
            }
        }
    }

    @Test
    void biasReluDropoutMatchesItsTwinBitForBit() {
        for (int rows : ROWS) {
            for (int d : DS) {
                float[] pre = GpuTests.gaussian(rnd, rows * d, 1f), bias = GpuTests.gaussian(rnd, d, 0.5f);
                float[] mask = dropout(rows * d, 2);
                for (boolean masked : new boolean[] {false, true}) {
                    float[] wantPre = pre.clone(), want = new float[rows * d];
                    Layers.biasReluDropout(wantPre, 0, want, 0, bias, 0, masked ? mask : null, 0, rows, d);
                    try (DeviceFloats dPre = DeviceFloats.of(pre); DeviceFloats dB = DeviceFloats.of(bias);
                         DeviceFloats dM = masked ? DeviceFloats.of(mask) : null; DeviceFloats H1 = poisoned((long) rows * d)) {
                        kernels.biasReluDropout(dPre.address(), H1.address(), dB.address(), addr(dM), rows, d, stream);
                        stream.synchronize();
                        String at = "rows " + rows + ", d " + d + ", masked " + masked + ", seed " + seed;
                        assertArrayEquals(wantPre, dPre.toArray(), "H1pre, " + at);
                        assertArrayEquals(want, H1.toArray(), "H1, " + at);
                    }
                }
            }
        }
    }

    @Test
    void biasDropoutResidualLayernormMatchesItsTwin() {
        for (int rows : ROWS) {
            for (int d : DS) {
                float[] R2 = GpuTests.gaussian(rnd, rows * d, 1f), bias = GpuTests.gaussian(rnd, d, 0.3f);
                float[] S = GpuTests.gaussian(rnd, rows * d, 1.5f), gamma = GpuTests.gaussian(rnd, d, 1f);
                float[] beta = GpuTests.gaussian(rnd, d, 0.5f), mask = dropout(rows * d, 3);
                // some rows far from zero mean (not for d = 3, where three close values would make
                // XH ill-conditioned beyond 1e-5 in float, whatever the order of the sums)
                if (d >= 64) for (int i = 0; i < rows * d; i += 7 * d) S[i] += 4f;
                for (boolean masked : new boolean[] {false, true}) {
                    float[] F = new float[rows * d], XH = new float[rows * d], RS = new float[rows];
                    Layers.biasDropoutResidualLayernorm(R2, 0, bias, 0, masked ? mask : null, 0, S, 0, gamma, 0, beta, 0, rows, d,
                            F, 0, XH, 0, RS, 0);
                    try (DeviceFloats dR = DeviceFloats.of(R2); DeviceFloats dB = DeviceFloats.of(bias);
                         DeviceFloats dM = masked ? DeviceFloats.of(mask) : null; DeviceFloats dS = DeviceFloats.of(S);
                         DeviceFloats dG = DeviceFloats.of(gamma); DeviceFloats dBe = DeviceFloats.of(beta);
                         DeviceFloats dF = poisoned((long) rows * d); DeviceFloats dXH = poisoned((long) rows * d);
                         DeviceFloats dRS = poisoned(rows)) {
                        kernels.biasDropoutResidualLayernorm(dR.address(), dB.address(), addr(dM), dS.address(), dG.address(),
                                dBe.address(), rows, d, dF.address(), dXH.address(), dRS.address(), stream);
                        stream.synchronize();
                        String at = "rows " + rows + ", d " + d + ", masked " + masked + ", seed " + seed;
                        assertTrue(relErr(dF.toArray(), F) < 1e-5, "F, " + at + ": " + relErr(dF.toArray(), F));
                        assertTrue(relErr(dXH.toArray(), XH) < 1e-5, "XH, " + at + ": " + relErr(dXH.toArray(), XH));
                        assertTrue(relErr(dRS.toArray(), RS) < 1e-5, "RS, " + at + ": " + relErr(dRS.toArray(), RS));
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- backward

    @Test
    void layerNormBackwardMatchesItsTwin() {
        for (int rows : ROWS) {
            int[] segs = rows == 1 ? new int[] {1} : rows == 19 ? new int[] {1, 19} : new int[] {19, 32};
            for (int segRows : segs) {
                for (int d : DS) {
                    // XH and RS from the forward twin, as in the step
                    float[] x = GpuTests.gaussian(rnd, rows * d, 1.5f), gamma = GpuTests.gaussian(rnd, d, 1f);
                    float[] dY = GpuTests.gaussian(rnd, rows * d, 1f);
                    float[] F = new float[rows * d], XH = new float[rows * d], RS = new float[rows];
                    Layers.biasDropoutResidualLayernorm(x, 0, new float[d], 0, null, 0, new float[rows * d], 0, gamma, 0, new float[d], 0,
                            rows, d, F, 0, XH, 0, RS, 0);
                    int parts = rows / segRows;
                    float[] dX = new float[rows * d], dG = new float[parts * d], dB = new float[parts * d];
                    Layers.layerNormBackward(dY, 0, XH, 0, RS, 0, gamma, 0, rows, d, segRows, dX, 0, dG, 0, dB, 0);
                    // dX = RS (I - proj) (dY gamma) is a difference of terms of size |RS dY gamma|, and
                    // the rounding of both sides is relative to that: it is the error's scale (for
                    // large d it equals |dX|; for d = 3 |dX| alone can be arbitrarily smaller)
                    double scale = 0;
                    for (int i = 0; i < rows * d; i++) {
                        double t = (double) RS[i / d] * dY[i] * gamma[i % d];
                        scale += t * t;
                    }
                    scale = Math.sqrt(scale);
                    try (DeviceFloats ddY = DeviceFloats.of(dY); DeviceFloats dXH = DeviceFloats.of(XH); DeviceFloats dRS = DeviceFloats.of(RS);
                         DeviceFloats dGm = DeviceFloats.of(gamma); DeviceFloats ddX = poisoned((long) rows * d);
                         DeviceFloats ddG = poisoned((long) parts * d); DeviceFloats ddB = poisoned((long) parts * d)) {
                        float[] first = null;
                        for (int run = 0; run < 2; run++) {
                            kernels.layerNormBackward(ddY.address(), dXH.address(), dRS.address(), dGm.address(), rows, d, segRows,
                                    ddX.address(), ddG.address(), ddB.address(), stream);
                            stream.synchronize();
                            String at = "rows " + rows + ", d " + d + ", segRows " + segRows + ", seed " + seed;
                            float[] gx = ddX.toArray(), gg = ddG.toArray(), gb = ddB.toArray();
                            double ex = errOver(gx, dX, scale);
                            assertTrue(ex < 1e-5, "dX, " + at + ": " + ex);
                            assertTrue(relErr(gg, dG) < 1e-5, "dGammaPart, " + at + ": " + relErr(gg, dG));
                            assertTrue(relErr(gb, dB) < 1e-5, "dBetaPart, " + at + ": " + relErr(gb, dB));
                            if (first == null) {
                                first = gg;
                                ddX.fill(Float.NaN, stream);
                                ddG.fill(Float.NaN, stream);
                                ddB.fill(Float.NaN, stream);
                            } else {
                                assertArrayEquals(first, gg, "deterministic partials, " + at);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void maskKernelsMatchTheirTwinsBitForBit() {
        for (int rows : ROWS) {
            for (int d : DS) {
                int n = rows * d;
                float[] x = GpuTests.gaussian(rnd, n, 1f), pre = GpuTests.gaussian(rnd, n, 1f), mask = dropout(n, 3);
                for (boolean masked : new boolean[] {false, true}) {
                    float[] m = masked ? mask : null;
                    String at = "n " + n + ", masked " + masked + ", seed " + seed;
                    float[] wantMul = x.clone(), wantTo = new float[n], wantRelu = x.clone();
                    Layers.mulMask(wantMul, 0, m, 0, n);
                    Layers.mulMaskTo(wantTo, 0, x, 0, m, 0, n);
                    Layers.reluDropoutBackward(wantRelu, 0, pre, 0, m, 0, n);
                    try (DeviceFloats dx = DeviceFloats.of(x); DeviceFloats dM = masked ? DeviceFloats.of(mask) : null;
                         DeviceFloats dPre = DeviceFloats.of(pre); DeviceFloats out = poisoned(n); DeviceFloats dH = DeviceFloats.of(x)) {
                        kernels.mulMaskTo(out.address(), dx.address(), addr(dM), n, stream);
                        kernels.mulMask(dx.address(), addr(dM), n, stream);
                        kernels.reluDropoutBackward(dH.address(), dPre.address(), addr(dM), n, stream);
                        stream.synchronize();
                        assertArrayEquals(wantTo, out.toArray(), "mul_mask_to, " + at);
                        assertArrayEquals(wantMul, dx.toArray(), "mul_mask, " + at);
                        assertArrayEquals(wantRelu, dH.toArray(), "relu_dropout_backward, " + at);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- reductions

    @Test
    void colSumMatchesItsTwinBitForBitAndIsDeterministic() {
        int[][] cases = {{1, 100}, {1, 3}, {19, 64}, {19, 3}, {9728, 100}, {9728, 64}, {9728, 3}, {9728, 256}, {100_000, 100},
                {100_000, 3}, {512, 100}};
        for (int[] cs : cases) {
            int rows = cs[0], cols = cs[1];
            float[] in = GpuTests.gaussian(rnd, rows * cols, 1f), base = GpuTests.gaussian(rnd, cols, 1f);
            long scratchFloats = LayersKernels.colSumScratchFloats(rows, cols);
            for (boolean acc : new boolean[] {false, true}) {
                float[] want = base.clone();
                Layers.colSum(in, 0, rows, cols, want, 0, acc);
                try (DeviceFloats dIn = DeviceFloats.of(in); DeviceFloats out = new DeviceFloats(cols);
                     DeviceFloats scratch = scratchFloats > 0 ? poisoned(scratchFloats) : null) {
                    for (int run = 0; run < 2; run++) {
                        if (acc) out.copyFrom(base);
                        else out.fill(Float.NaN, stream);
                        kernels.colSum(dIn.address(), rows, cols, out.address(), acc, addr(scratch), stream);
                        stream.synchronize();
                        assertArrayEquals(want, out.toArray(), "rows " + rows + ", cols " + cols + ", accumulate " + acc + ", run " + run
                                + ", seed " + seed);
                    }
                }
            }
        }
    }

    @Test
    void l2GradMatchesItsTwin() {
        for (long count : new long[] {1, 1000, (1 << 20) + 3, 3_000_001}) {
            int n = (int) count;
            float[] w = GpuTests.gaussian(rnd, n, 0.2f), g = GpuTests.gaussian(rnd, n, 0.01f);
            float lambda = 1e-5f * (1 + rnd.nextInt(100));
            float[] want = g.clone();
            double wantSum = Layers.l2Grad(w, 0, want, 0, count, lambda);
            long parts = LayersKernels.l2ScratchDoubles(count);
            try (DeviceFloats dw = DeviceFloats.of(w); DeviceFloats dg = DeviceFloats.of(g); DeviceInts scratch = new DeviceInts(2 * parts);
                 DeviceInts result = new DeviceInts(2)) {
                double first = Double.NaN;
                for (int run = 0; run < 2; run++) {
                    dg.copyFrom(g);
                    scratch.fill(-1, stream); // NaN doubles
                    result.fill(-1, stream);
                    kernels.l2Grad(dw.address(), dg.address(), count, lambda, scratch.address(), result.address(), stream);
                    stream.synchronize();
                    int[] bits = result.toArray();
                    double sum = Double.longBitsToDouble(((long) bits[1] << 32) | (bits[0] & 0xFFFFFFFFL));
                    String at = "count " + count + ", run " + run + ", seed " + seed;
                    assertArrayEquals(want, dg.toArray(), "g, " + at);
                    assertEquals(wantSum, sum, 1e-12 * wantSum, "sum of squares, " + at);
                    if (run == 0) first = sum;
                    else assertEquals(Double.doubleToLongBits(first), Double.doubleToLongBits(sum), "deterministic sum, " + at);
                }
            }
        }
    }

    // ---------------------------------------------------------------- limits

    @Test
    void launchersRefuseSizesOutsideTheLimits() {
        assertThrows(IllegalArgumentException.class, () -> kernels.embedInput(8, 8, 8, 8, 8, 0, 1, 257, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.biasReluDropout(8, 8, 8, 0, 1, 0, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.biasDropoutResidualLayernorm(8, 8, 0, 8, 8, 8, -1, 4, 8, 8, 8, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.layerNormBackward(8, 8, 8, 8, 19, 4, 2, 8, 8, 8, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.dropoutMask(8, 10, 1, 0, 1f, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.colSum(8, 10, 257, 8, false, 8, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.colSum(8, 10, 0, 8, false, 8, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.mulMaskTo(8, 8, 0, -1, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.l2Grad(8, 8, 10, 1f, 12, 8, stream));
    }
}
