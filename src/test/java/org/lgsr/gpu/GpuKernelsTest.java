package org.lgsr.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.lgsr.cpu.Adam;
import org.lgsr.cpu.Embedding;
import org.lgsr.cpu.Philox;

/** Each kernel against its CPU twin, on fresh random data, outputs poisoned with NaN first. */
@Tag("gpu")
class GpuKernelsTest extends KernelTestBase {
    static GpuKernels kernels;

    @BeforeEach
    void open() {
        if (kernels == null) kernels = new GpuKernels(module, ctx.info());
    }


    @Test
    void buffersCopyFillAndFree() {
        float[] a = GpuTests.gaussian(rnd, 1001, 1f);
        try (DeviceFloats d = DeviceFloats.of(a); DeviceFloats e = new DeviceFloats(a.length); DeviceInts i = DeviceInts.of(new int[] {1, -2, 3})) {
            e.fill(Float.NaN, stream);
            e.copyFrom(d, stream);
            stream.synchronize();
            assertArrayEquals(a, e.toArray());
            d.fill(2.5f, null);
            float[] back = d.toArray();
            for (float x : back) assertEquals(2.5f, x);
            float[] part = new float[3];
            e.copyTo(10, part, 0, 3);
            assertEquals(a[11], part[1]);
            assertArrayEquals(new int[] {1, -2, 3}, i.toArray());
            assertTrue(d.address() % 256 == 0, "cuMemAlloc alignment");
            assertThrows(IndexOutOfBoundsException.class, () -> e.copyTo(1000, part, 0, 3));
            d.close();
            assertThrows(IllegalStateException.class, d::address);
        }
    }

    @Test
    void adamMatchesItsTwin() {
        for (int n : new int[] {1, 3, 4, 4099, 1 << 20}) {
            float[] p = GpuTests.gaussian(rnd, n, 1f), g = GpuTests.gaussian(rnd, n, 0.1f);
            float[] m = GpuTests.gaussian(rnd, n, 0.01f), v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) Math.abs(rnd.nextGaussian()) * 1e-3f;
            float lrT = Adam.learningRate(0.001f, 0.9f, 0.999f, 1 + rnd.nextInt(100));
            try (DeviceFloats dp = DeviceFloats.of(p); DeviceFloats dg = DeviceFloats.of(g); DeviceFloats dm = DeviceFloats.of(m);
                 DeviceFloats dv = DeviceFloats.of(v)) {
                kernels.adam(dp, dg, dm, dv, n, lrT, 0.9f, 0.999f, 1e-8f, stream);
                stream.synchronize();
                Adam.adam(p, g, m, v, n, lrT, 0.9f, 0.999f, 1e-8f);
                // the kernel rounds every operation as Java does: bit for bit (1 ulp allowed)
                assertTrue(GpuTests.maxUlps(p, dp.toArray()) <= 1, "p, n " + n + ", seed " + seed);
                assertTrue(GpuTests.maxUlps(m, dm.toArray()) <= 1, "m, n " + n + ", seed " + seed);
                assertTrue(GpuTests.maxUlps(v, dv.toArray()) <= 1, "v, n " + n + ", seed " + seed);
            }
        }
    }

    @Test
    void gatherMatchesItsTwin() {
        int vocab = 5000, d = 100, rows = 3001;
        float[] table = GpuTests.gaussian(rnd, vocab * d, 1f);
        int[] idx = new int[rows];
        for (int i = 0; i < rows; i++) idx[i] = rnd.nextInt(vocab);
        float[] want = new float[rows * d];
        Embedding.embeddingGather(want, table, idx, d);
        try (DeviceFloats dt = DeviceFloats.of(table); DeviceInts di = DeviceInts.of(idx); DeviceFloats out = new DeviceFloats((long) rows * d)) {
            out.fill(Float.NaN, stream);
            kernels.embeddingGather(out, dt, di, rows, d, stream);
            stream.synchronize();
            assertArrayEquals(want, out.toArray(), "seed " + seed);
        }
    }

    /**
     * (vocab, d, rows, skip index 0): many repeats per index (runs of ~33 rows: the kernel's
     * four-row loads), the widest row with runs of ~75 rows and padding left out, short runs.
     */
    static final int[][] SCATTER_CASES = {{300, 70, 5000, 0}, {80, 256, 3000, 1}, {2000, 33, 40, 1}};

    @Test
    void scatterAddsMatchTheirTwins() {
        for (int[] cs : SCATTER_CASES) scatterCase(cs[0], cs[1], cs[2], cs[3] == 1);
    }

    private void scatterCase(int vocab, int d, int rows, boolean skipZero) {
        String at = "vocab " + vocab + ", d " + d + ", rows " + rows + ", skip 0 " + skipZero + ", seed " + seed;
        float[] base = GpuTests.gaussian(rnd, vocab * d, 1f), gradOut = GpuTests.gaussian(rnd, rows * d, 1f);
        int[] idx = new int[rows];
        for (int i = 0; i < rows; i++) idx[i] = rnd.nextInt(vocab / 2) * 2; // odd rows untouched
        Embedding.Segments seg = Embedding.sortedSegments(idx, rows, skipZero);
        float[] wantAtomic = base.clone(), wantSorted = base.clone();
        Embedding.embeddingScatterAddAtomic(wantAtomic, gradOut, idx, d);
        Embedding.embeddingScatterAddSorted(wantSorted, gradOut, idx, seg, d);
        double[] ref = new double[base.length], refSkip = new double[base.length];
        for (int i = 0; i < ref.length; i++) ref[i] = refSkip[i] = base[i];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < d; c++) {
                ref[idx[r] * d + c] += gradOut[r * d + c];
                if (!skipZero || idx[r] != 0) refSkip[idx[r] * d + c] += gradOut[r * d + c];
            }
        }
        assertTrue(GpuTests.relativeError(wantSorted, refSkip) < 1e-6, "sorted twin vs float64, " + at);
        try (DeviceFloats go = DeviceFloats.of(gradOut); DeviceInts di = DeviceInts.of(idx); DeviceFloats table = DeviceFloats.of(base);
             DeviceInts order = DeviceInts.of(seg.rowOrder()); DeviceInts starts = DeviceInts.of(seg.segStart())) {
            kernels.embeddingScatterAddAtomic(table, go, di, rows, d, stream);
            stream.synchronize();
            float[] atomic = table.toArray();
            assertTrue(GpuTests.relativeError(atomic, ref) < 1e-6, "atomic vs float64: " + GpuTests.relativeError(atomic, ref) + ", " + at);
            assertTrue(GpuTests.relativeError(wantAtomic, ref) < 1e-6);
            // the sorted variant: deterministic, equal to its twin bit for bit, twice over
            for (int run = 0; run < 2; run++) {
                table.copyFrom(base);
                kernels.embeddingScatterAddSorted(table, go, di, order, starts, seg.count(), d, stream);
                stream.synchronize();
                assertArrayEquals(wantSorted, table.toArray(), "sorted, run " + run + ", " + at);
            }
        }
    }

    @Test
    void philoxMatchesItsTwinBitForBit() {
        for (long offset : new long[] {0, 1, 3, (1L << 34) + 2}) {
            int n = 100_003;
            long s = rnd.nextLong(), st = rnd.nextLong();
            int[] want = new int[n];
            float[] wantU = new float[n];
            Philox.philoxBits(want, s, st, offset);
            Philox.philoxUniform(wantU, s, st, offset);
            try (DeviceInts bits = new DeviceInts(n); DeviceFloats u = new DeviceFloats(n)) {
                bits.fill(0x7fc00000, stream);
                u.fill(Float.NaN, stream);
                kernels.philoxBits(bits, n, s, st, offset, stream);
                kernels.philoxUniform(u, n, s, st, offset, stream);
                stream.synchronize();
                assertArrayEquals(want, bits.toArray(), "offset " + offset + ", seed " + seed);
                assertArrayEquals(wantU, u.toArray(), "offset " + offset + ", seed " + seed);
            }
        }
    }

    @Test
    void eventsTimeWork() {
        try (CudaEvent a = new CudaEvent(); CudaEvent b = new CudaEvent(); DeviceFloats x = new DeviceFloats(1 << 24)) {
            a.record(stream);
            x.fill(1f, stream);
            b.record(stream);
            float ms = b.millisSince(a);
            assertTrue(ms >= 0 && ms < 1000, "elapsed " + ms);
        }
    }
}
