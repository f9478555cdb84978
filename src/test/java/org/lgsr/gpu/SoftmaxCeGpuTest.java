package org.lgsr.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.lgsr.cpu.SoftmaxCe;
import org.lgsr.gpu.kernels.SoftmaxCeKernels;

/**
 * The kernels of cuda/softmax_ce.cu against their twin SoftmaxCe, fresh random inputs each run,
 * outputs and scratch poisoned first. The twin runs on row slices in parallel (its offsets).
 */
@Tag("gpu")
class SoftmaxCeGpuTest extends KernelTestBase {
    static SoftmaxCeKernels kernels;

    /** (B, n, d): odd sizes, one item (n = 2), the datasets' sizes, and the t4 tiles (d > 128). */
    static final int[][] SIZES = {
        {1, 2, 3}, {7, 1000, 64}, {512, 37484, 100}, {7, 37484, 3}, {512, 2, 64}, {1, 1000, 100},
        {512, 1000, 100}, {130, 1000, 129}, {7, 1000, 256},
    };

    /**
     * The sizes on this device: on the simulated device, whose shuffles cost ~40 ns per thread,
     * 48 rows wherever the GPU takes 512 (top-k at 512 rows and 37,484 items took 147 s there;
     * the tiles and the merge are the same code at every B).
     */
    static int[][] sizes() {
        if (!GpuTests.simulated()) return SIZES;
        int[][] s = SIZES.clone();
        for (int i = 0; i < s.length; i++) if (s[i][0] == 512) s[i] = new int[] {48, s[i][1], s[i][2]};
        return s;
    }

    @BeforeEach
    void open() {
        if (kernels == null) kernels = new SoftmaxCeKernels(module, ctx.info());
    }


    /** Inputs of one size: Gaussian (scores of spread ~2) or small integers (exact scores, real ties). */
    record Inputs(int b, int n, int d, float[] sf, float[] e, int[] target) {
        String where(long seed) {
            return "B " + b + ", n " + n + ", d " + d + ", seed " + seed;
        }
    }

    Inputs inputs(int b, int n, int d, boolean integer) {
        float[] sf = new float[b * d], e = new float[n * d];
        for (int i = 0; i < sf.length; i++) sf[i] = integer ? rnd.nextInt(5) - 2 : (float) (rnd.nextGaussian() * 2 / Math.sqrt(d));
        for (int i = 0; i < e.length; i++) e[i] = integer ? rnd.nextInt(5) - 2 : (float) rnd.nextGaussian();
        int[] t = new int[b];
        for (int i = 0; i < b; i++) t[i] = 1 + rnd.nextInt(n - 1);
        return new Inputs(b, n, d, sf, e, t);
    }

    /** Up to 16 row slices [from, to) for the twin (each backward slice holds an n x d float64 dE). */
    static int[][] slices(int b) {
        int parts = Math.min(b, 16);
        int[][] s = new int[parts][];
        for (int p = 0; p < parts; p++) s[p] = new int[] {(int) ((long) b * p / parts), (int) ((long) b * (p + 1) / parts)};
        return s;
    }

    /** ||got - want|| / ||want|| < 1e-5, or every element exactly 0 where want is all 0 (n = 2: P = 0). */
    static void assertClose(String what, float[] got, double[] want, String where) {
        double norm = 0;
        for (double w : want) norm += w * w;
        if (norm == 0) {
            for (int i = 0; i < got.length; i++) assertTrue(got[i] == 0f, what + "[" + i + "] = " + got[i] + " must be 0, " + where);
            return;
        }
        double err = GpuTests.relativeError(got, want);
        assertTrue(err < 1e-5, what + ": relative error " + err + ", " + where);
    }

    static double[] toDouble(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    /** Twin forward: lse and loss. */
    static float[][] twinForward(Inputs in) {
        float[] lse = new float[in.b], loss = new float[in.b];
        IntStream.range(0, slices(in.b).length).parallel().forEach(p -> {
            int[] s = slices(in.b)[p];
            SoftmaxCe.softmaxCeForward(in.sf, s[0] * in.d, in.e, 0, in.target, s[0], s[1] - s[0], in.n, in.d, lse, s[0], loss, s[0]);
        });
        return new float[][] {lse, loss};
    }

    /** Twin backward: dsf, and dE summed over the slices in float64. */
    static Object[] twinBackward(Inputs in, float[] lse, float scale) {
        int[][] sl = slices(in.b);
        float[] dsf = new float[in.b * in.d];
        float[][] dEs = new float[sl.length][in.n * in.d];
        IntStream.range(0, sl.length).parallel().forEach(p -> {
            int[] s = sl[p];
            SoftmaxCe.softmaxCeBackward(in.sf, s[0] * in.d, in.e, 0, in.target, s[0], lse, s[0], s[1] - s[0], in.n, in.d, scale,
                    dsf, s[0] * in.d, dEs[p], 0);
        });
        double[] dE = new double[in.n * in.d];
        for (float[] part : dEs) for (int i = 0; i < dE.length; i++) dE[i] += part[i];
        return new Object[] {toDouble(dsf), dE};
    }

    static int[] twinRanks(Inputs in) {
        int[] rank = new int[in.b];
        IntStream.range(0, slices(in.b).length).parallel().forEach(p -> {
            int[] s = slices(in.b)[p];
            SoftmaxCe.rankTargets(in.sf, s[0] * in.d, in.e, 0, in.target, s[0], s[1] - s[0], in.n, in.d, rank, s[0]);
        });
        return rank;
    }

    static Object[] twinTopK(Inputs in, int k) {
        int[] items = new int[in.b * k];
        float[] scores = new float[in.b * k];
        IntStream.range(0, slices(in.b).length).parallel().forEach(p -> {
            int[] s = slices(in.b)[p];
            SoftmaxCe.topK(in.sf, s[0] * in.d, in.e, 0, s[1] - s[0], in.n, in.d, k, items, s[0] * k, scores, s[0] * k);
        });
        return new Object[] {items, scores};
    }

    /** Device copies of one input set, a NaN-poisoned scratch, and the outputs. */
    final class Device implements AutoCloseable {
        final Inputs in;
        final DeviceFloats sf, e, scratch;
        final DeviceInts target;

        Device(Inputs in) {
            this.in = in;
            sf = DeviceFloats.of(in.sf);
            e = DeviceFloats.of(in.e);
            target = DeviceInts.of(in.target);
            scratch = new DeviceFloats(SoftmaxCeKernels.scratchFloats(in.b, in.n, in.d));
            scratch.fill(Float.NaN, stream);
        }

        @Override
        public void close() {
            sf.close();
            e.close();
            target.close();
            scratch.close();
        }
    }

    @Test
    void forwardAndBackwardMatchTheTwin() {
        for (int[] s : sizes()) {
            Inputs in = inputs(s[0], s[1], s[2], false);
            String where = in.where(seed);
            float[][] want = twinForward(in);
            float scale = 1f / in.b;
            try (Device dev = new Device(in); DeviceFloats lse = new DeviceFloats(in.b); DeviceFloats loss = new DeviceFloats(in.b);
                 DeviceFloats dsf = new DeviceFloats((long) in.b * in.d); DeviceFloats dE = new DeviceFloats((long) in.n * in.d)) {
                lse.fill(Float.NaN, stream);
                loss.fill(Float.NaN, stream);
                kernels.forward(dev.sf.address(), dev.e.address(), dev.target.address(), in.b, in.n, in.d, dev.scratch.address(),
                        lse.address(), loss.address(), stream);
                stream.synchronize();
                assertClose("lse", lse.toArray(), toDouble(want[0]), where);
                assertClose("loss", loss.toArray(), toDouble(want[1]), where); // n = 2: exactly 0

                // the backward from the twin's lse (the same for both), twice: bit-identical
                Object[] wantGrad = twinBackward(in, want[0], scale);
                float[] first = null, firstE = null;
                for (int run = 0; run < 2; run++) {
                    lse.copyFrom(want[0]);
                    dsf.fill(Float.NaN, stream);
                    dE.fill(Float.NaN, stream);
                    dev.scratch.fill(Float.NaN, stream);
                    kernels.backward(dev.sf.address(), dev.e.address(), dev.target.address(), lse.address(), in.b, in.n, in.d, scale,
                            dev.scratch.address(), dsf.address(), dE.address(), stream);
                    stream.synchronize();
                    float[] gotDsf = dsf.toArray(), gotDE = dE.toArray();
                    assertClose("dsf", gotDsf, (double[]) wantGrad[0], where);
                    assertClose("dE", gotDE, (double[]) wantGrad[1], where);
                    for (int k = 0; k < in.d; k++) assertTrue(gotDE[k] == 0f, "row 0 of dE: " + gotDE[k] + ", " + where);
                    if (run == 0) {
                        first = gotDsf;
                        firstE = gotDE;
                    } else {
                        assertArrayEquals(first, gotDsf, "dsf not deterministic, " + where);
                        assertArrayEquals(firstE, gotDE, "dE not deterministic, " + where);
                    }
                }
            }
        }
    }

    @Test
    void ranksMatchTheTwin() {
        for (int[] s : sizes()) {
            for (boolean integer : new boolean[] {true, false}) {
                Inputs in = inputs(s[0], s[1], s[2], integer);
                String where = in.where(seed) + (integer ? ", integer inputs" : ", Gaussian inputs");
                int[] want = twinRanks(in);
                int[] got;
                try (Device dev = new Device(in); DeviceInts rank = new DeviceInts(in.b)) {
                    rank.fill(-7, stream);
                    kernels.rankTargets(dev.sf.address(), dev.e.address(), dev.target.address(), in.b, in.n, in.d, dev.scratch.address(),
                            rank.address(), stream);
                    stream.synchronize();
                    got = rank.toArray();
                }
                if (integer) {
                    assertArrayEquals(want, got, where);
                    continue;
                }
                // Gaussian: both use the same fma chain, so equal is expected; a difference is
                // allowed only in >= 99.9% of rows and only by items within 1e-5 of the target
                int differ = 0;
                for (int r = 0; r < in.b; r++) {
                    assertTrue(got[r] >= 1 && got[r] <= in.n - 1, "rank " + got[r] + " of row " + r + ", " + where);
                    if (got[r] == want[r]) continue;
                    differ++;
                    float zt = SoftmaxCe.score(in.sf, r * in.d, in.e, in.target[r] * in.d, in.d);
                    int near = 0;
                    for (int j = 1; j < in.n; j++) {
                        float z = SoftmaxCe.score(in.sf, r * in.d, in.e, j * in.d, in.d);
                        if (j != in.target[r] && Math.abs(z - zt) <= 1e-5 * Math.max(1, Math.abs(zt))) near++;
                    }
                    assertTrue(Math.abs(got[r] - want[r]) <= near, "row " + r + ": rank " + got[r] + " vs " + want[r] + " with " + near
                            + " near-ties, " + where);
                }
                assertTrue(differ <= in.b / 1000, differ + " rows differ, " + where);
            }
        }
    }

    @Test
    void topKMatchesTheTwin() {
        for (int[] s : sizes()) {
            for (boolean integer : new boolean[] {true, false}) {
                Inputs in = inputs(s[0], s[1], s[2], integer);
                for (int k : new int[] {1, 20, 32}) {
                    if (k > in.n - 1) continue;
                    String where = in.where(seed) + ", K " + k + (integer ? ", integer inputs" : ", Gaussian inputs");
                    Object[] want = twinTopK(in, k);
                    int[] gotItems;
                    float[] gotScores;
                    try (Device dev = new Device(in); DeviceInts items = new DeviceInts((long) in.b * k);
                         DeviceFloats scores = new DeviceFloats((long) in.b * k)) {
                        items.fill(-7, stream);
                        scores.fill(Float.NaN, stream);
                        kernels.topK(dev.sf.address(), dev.e.address(), in.b, in.n, in.d, k, dev.scratch.address(), items.address(),
                                scores.address(), stream);
                        stream.synchronize();
                        gotItems = items.toArray();
                        gotScores = scores.toArray();
                    }
                    if (integer) {
                        assertArrayEquals((int[]) want[0], gotItems, where);
                        assertArrayEquals((float[]) want[1], gotScores, where);
                        continue;
                    }
                    // Gaussian: a valid top-K up to 1e-5: each item's score is its twin score, the
                    // list descends, and its i-th score is the twin's i-th score
                    float[] wantScores = (float[]) want[1];
                    for (int r = 0; r < in.b; r++) {
                        for (int i = 0; i < k; i++) {
                            int item = gotItems[r * k + i];
                            assertTrue(item >= 1 && item < in.n, "item " + item + ", row " + r + ", " + where);
                            float z = SoftmaxCe.score(in.sf, r * in.d, in.e, item * in.d, in.d);
                            float tol = 1e-5f * Math.max(1, Math.abs(z));
                            assertEquals(z, gotScores[r * k + i], tol, "score of item " + item + ", row " + r + ", " + where);
                            assertEquals(wantScores[r * k + i], gotScores[r * k + i], tol, "rank " + i + ", row " + r + ", " + where);
                            if (i > 0) assertTrue(gotScores[r * k + i - 1] >= gotScores[r * k + i], "order, row " + r + ", " + where);
                        }
                    }
                }
            }
        }
    }

    @Test
    void launcherChecksItsLimits() {
        assertThrows(IllegalArgumentException.class, () -> kernels.forward(0, 0, 0, 0, 10, 10, 0, 0, 0, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.backward(0, 0, 0, 0, 4, 1, 10, 1f, 0, 0, 0, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.rankTargets(0, 0, 0, 4, 10, 257, 0, 0, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.topK(0, 0, 4, 10, 10, 33, 0, 0, 0, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.topK(0, 0, 4, 10, 10, 10, 0, 0, 0, stream));
        assertThrows(IllegalArgumentException.class, () -> kernels.topK(0, 0, 4, 10, 10, 0, 0, 0, 0, stream));
    }
}
