package org.lgsr.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.SyntheticData;
import org.lgsr.cpu.Nce;
import org.lgsr.cpu.NceReference;

/** The one NCE ({@link Nce}) against its float64 reference, and the reference against central differences. */
class NceLossTest {
    // a small problem: 12 items, d 5, 7 pairs (input 3 twice, label 4 three times), 4 sampled
    // classes of which 4 is one (accidental hit for three rows) and 2 is another
    static final int ITEMS = 12;
    static final int D = 5;
    static final int[] INPUTS = {3, 5, 3, 7, 1, 9, 11};
    static final int[] LABELS = {4, 4, 6, 2, 8, 4, 10};
    static final int[] SAMPLED = {4, 2, 9, 11};
    static final double[] TRUE_LOGQ = {-1.2, -1.2, -2.0, -0.7, -3.1, -1.2, -2.5};
    static final double[] SAMPLED_LOGQ = {-1.2, -0.7, -0.4, -0.9};

    static double[] random(int n, long seed, double scale) {
        Rng r = new Rng(seed);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = (2 * r.nextDouble() - 1) * scale;
        return a;
    }

    static double loss(double[] e, double[] th, double[] b, boolean remove) {
        return NceReference.forwardBackward(e, th, b, D, INPUTS, LABELS, TRUE_LOGQ, INPUTS.length, SAMPLED,
                SAMPLED_LOGQ, SAMPLED.length, remove, null, null, null);
    }

    @Test
    void referenceGradientsMatchCentralDifferences() {
        for (boolean remove : new boolean[] {true, false}) {
            double[] e = random(ITEMS * D, 1, 0.8);
            double[] th = random(ITEMS * D, 2, 0.8);
            double[] b = random(ITEMS, 3, 0.5);
            double[] ge = new double[e.length];
            double[] gt = new double[th.length];
            double[] gb = new double[b.length];
            NceReference.forwardBackward(e, th, b, D, INPUTS, LABELS, TRUE_LOGQ, INPUTS.length, SAMPLED, SAMPLED_LOGQ,
                    SAMPLED.length, remove, ge, gt, gb);
            checkFd(e, ge, () -> loss(e, th, b, remove), "E");
            checkFd(th, gt, () -> loss(e, th, b, remove), "theta");
            checkFd(b, gb, () -> loss(e, th, b, remove), "bias");
        }
    }

    private static void checkFd(double[] x, double[] grad, java.util.function.DoubleSupplier f, String name) {
        double h = 1e-5;
        int nonZero = 0;
        for (int i = 0; i < x.length; i++) {
            double keep = x[i];
            x[i] = keep + h;
            double up = f.getAsDouble();
            x[i] = keep - h;
            double down = f.getAsDouble();
            x[i] = keep;
            double fd = (up - down) / (2 * h);
            assertEquals(fd, grad[i], 1e-8 + 1e-6 * Math.abs(fd), name + "[" + i + "]");
            if (grad[i] != 0) nonZero++;
        }
        assertTrue(nonZero > 0, name + " got no gradient");
    }

    @Test
    void accidentalHitsAreRemoved() {
        double[] e = random(ITEMS * D, 1, 0.8);
        double[] th = random(ITEMS * D, 2, 0.8);
        double[] b = random(ITEMS, 3, 0.5);
        // removing a sampled class equal to the label = that pair's xent(s, 0) term is gone
        double with = loss(e, th, b, false);
        double without = loss(e, th, b, true);
        double hits = 0;
        int count = 0;
        for (int i = 0; i < INPUTS.length; i++) {
            for (int k = 0; k < SAMPLED.length; k++) {
                int c = SAMPLED[k];
                if (LABELS[i] != c) continue;
                double x = b[c] - SAMPLED_LOGQ[k];
                for (int j = 0; j < D; j++) x += e[INPUTS[i] * D + j] * th[c * D + j];
                hits += NceReference.xent(x, 0);
                count++;
            }
        }
        assertEquals(4, count); // label 4 three times, label 2 once
        assertEquals(with - hits / INPUTS.length, without, 1e-12);
    }

    @Test
    void floatKernelMatchesTheReference() {
        for (int threads : new int[] {1, 2}) {
            double[] e = random(ITEMS * D, 1, 0.8);
            double[] th = random(ITEMS * D, 2, 0.8);
            double[] b = random(ITEMS, 3, 0.5);
            double[] ge = new double[e.length];
            double[] gt = new double[th.length];
            double[] gb = new double[b.length];
            double ref = NceReference.forwardBackward(e, th, b, D, INPUTS, LABELS, TRUE_LOGQ, INPUTS.length, SAMPLED,
                    SAMPLED_LOGQ, SAMPLED.length, true, ge, gt, gb);
            // E at an offset inside a bigger flat array, as the recommendation module holds it
            int off = 17;
            float[] flat = new float[off + e.length + 3];
            for (int i = 0; i < e.length; i++) flat[off + i] = (float) e[i];
            float[] fth = toFloat(th);
            float[] fb = toFloat(b);
            float[] fge = new float[off + 5 + e.length];
            float[] fgt = new float[th.length];
            float[] fgb = new float[b.length];
            try (Nce k = new Nce(D, 16, 8, threads)) {
                double got = k.forwardBackward(flat, off, fth, fb, INPUTS, LABELS, toFloat(TRUE_LOGQ), INPUTS.length, SAMPLED,
                        toFloat(SAMPLED_LOGQ), SAMPLED.length, true, fge, 5, fgt, fgb);
                assertEquals(ref, got, 1e-5 * Math.abs(ref));
            }
            for (int i = 0; i < e.length; i++) assertEquals(ge[i], fge[5 + i], 1e-6, "dE " + i);
            for (int i = 0; i < th.length; i++) assertEquals(gt[i], fgt[i], 1e-6, "dtheta " + i);
            for (int i = 0; i < b.length; i++) assertEquals(gb[i], fgb[i], 1e-6, "dbias " + i);
        }
    }

    @Test
    void floatKernelMatchesTheReferenceAtFullSizeOnRealisticBatch() {
        // d 100, 512 sampled, 300 rows with repeated ids, several row/sample blocks, 2 threads;
        // the Vector API body where available, and the scalar loops
        checkAgainstReference(100, 512, 300, 2000, true);
        checkAgainstReference(100, 512, 300, 2000, false);
    }

    @Test
    void floatKernelMatchesTheReferenceAtOddWidths() {
        // widths that are not multiples of a vector (tails, overlapping column groups, a last
        // row block and a last dW block that are partial)
        checkAgainstReference(37, 40, 301, 500, true);
        checkAgainstReference(100, 83, 517, 900, true);
        checkAgainstReference(100, 64, 260, 900, true);
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        for (int[] shape : new int[][] {{100, 512, 700}, {37, 40, 301}}) {
            float[][] one = run(shape[0], shape[1], shape[2], 1500, 1, true);
            float[][] three = run(shape[0], shape[1], shape[2], 1500, 3, true);
            for (int a = 0; a < one.length; a++) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(one[a], three[a], "output " + a + " for " + java.util.Arrays.toString(shape));
            }
        }
    }

    /** Shared random problem; returns {eGrad, thetaGrad, biasGrad, {loss}} of the float kernel. */
    private static float[][] run(int d, int s, int n, int items, int threads, boolean vector) {
        Problem p = new Problem(d, s, n, items);
        float[] fge = new float[p.e.length];
        float[] fgt = new float[p.th.length];
        float[] fgb = new float[p.b.length];
        String keep = System.getProperty(Nce.VECTOR_PROPERTY);
        System.setProperty(Nce.VECTOR_PROPERTY, Boolean.toString(vector));
        double got;
        try (Nce k = new Nce(d, n + 5, s + 3, threads)) {
            got = k.forwardBackward(toFloat(p.e), 0, toFloat(p.th), toFloat(p.b), p.in, p.lab, toFloat(p.tq), n, p.samp,
                    toFloat(p.sq), s, true, fge, 0, fgt, fgb);
        } finally {
            if (keep == null) System.clearProperty(Nce.VECTOR_PROPERTY);
            else System.setProperty(Nce.VECTOR_PROPERTY, keep);
        }
        return new float[][] {fge, fgt, fgb, {(float) got}};
    }

    private static final class Problem {
        final int[] in, lab, samp;
        final double[] tq, sq, e, th, b;

        Problem(int d, int s, int n, int items) {
            Rng r = new Rng(77);
            in = new int[n];
            lab = new int[n];
            tq = new double[n];
            for (int i = 0; i < n; i++) {
                in[i] = 1 + r.nextInt(60);
                lab[i] = 1 + r.nextInt(items - 1);
                tq[i] = -1 - 3 * r.nextDouble();
            }
            samp = new int[s];
            sq = new double[s];
            for (int k = 0; k < s; k++) {
                samp[k] = 1 + (k * 7) % (items - 1);
                sq[k] = -2 * r.nextDouble();
            }
            lab[3] = samp[10];
            lab[n - 1] = samp[s - 1];
            e = random(items * d, 4, 0.1);
            th = random(items * d, 5, 0.1);
            b = random(items, 6, 0.1);
        }
    }

    /**
     * Float kernel against the double reference: loss within 1e-5 relative, every gradient
     * element within 1e-5 of the largest element of its table.
     */
    private static void checkAgainstReference(int d, int s, int n, int items, boolean vector) {
        Problem p = new Problem(d, s, n, items);
        double[] ge = new double[p.e.length];
        double[] gt = new double[p.th.length];
        double[] gb = new double[p.b.length];
        double ref = NceReference.forwardBackward(p.e, p.th, p.b, d, p.in, p.lab, p.tq, n, p.samp, p.sq, s, true, ge, gt, gb);
        float[][] got = run(d, s, n, items, 2, vector);
        System.out.printf("Nce %s d=%d S=%d n=%d: loss rel. error %.2e; max |error| / max |gradient|: dE %.2e, dtheta %.2e, dbias %.2e%n",
                vector ? "vector" : "scalar", d, s, n, Math.abs(got[3][0] - ref) / Math.abs(ref), relErr(ge, got[0]),
                relErr(gt, got[1]), relErr(gb, got[2]));
        assertEquals(ref, got[3][0], 1e-5 * Math.abs(ref), "loss");
        assertClose(ge, got[0], "dE");
        assertClose(gt, got[1], "dtheta");
        assertClose(gb, got[2], "dbias");
    }

    private static double relErr(double[] want, float[] got) {
        double max = 0, err = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i]));
            err = Math.max(err, Math.abs(want[i] - got[i]));
        }
        return err / max;
    }

    private static void assertClose(double[] want, float[] got, String name) {
        double max = 0;
        for (double x : want) max = Math.max(max, Math.abs(x));
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5 * max, name + "[" + i + "]");
    }

    static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    @Test
    void logUniformSamplerMatchesTf() {
        SessionDataset data = SyntheticData.generate(SyntheticData.Config.defaults().withSize(300, 2000, 10));
        ItemGraph g = ItemGraph.build(data.trainSessions(), data.numItems());
        LogUniformSampler sam = new LogUniformSampler(g);
        double sum = 0;
        for (int k = 0; k < sam.range(); k++) sum += sam.probability(k);
        assertEquals(1.0, sum, 1e-12);
        assertEquals(g.nodesByDegree()[0], sam.itemOfRank(0));
        // draws follow P: chi-square over the first ranks pooled with the tail
        Rng rng = new Rng(3);
        int draws = 200_000;
        int buckets = 20;
        long[] counts = new long[buckets + 1];
        for (int i = 0; i < draws; i++) {
            int k = sam.drawRank(rng);
            counts[Math.min(k, buckets)]++;
        }
        double[] exp = new double[buckets + 1];
        double head = 0;
        for (int k = 0; k < buckets; k++) {
            exp[k] = sam.probability(k);
            head += exp[k];
        }
        exp[buckets] = 1 - head;
        double p = new org.apache.commons.math3.stat.inference.ChiSquareTest().chiSquareTest(exp, counts);
        assertTrue(p > 1e-3, "p = " + p);
        // unique draws are distinct, tries >= draws, expected counts as TF's helper
        int[] out = new int[64];
        int tries = sam.sample(rng, 64, true, out);
        assertTrue(tries >= 64);
        assertEquals(64, java.util.Arrays.stream(out).distinct().count());
        double p0 = sam.probability(0);
        assertEquals(1 - Math.pow(1 - p0, tries), sam.expectedCount(0, 64, tries), 1e-12);
        assertEquals(64 * p0, sam.expectedCount(0, 64, 64), 1e-12);
    }
}
