package org.lgsr.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.lgsr.data.SessionDataset;
import org.lgsr.data.Sessions;
import org.lgsr.data.SyntheticData;

/**
 * The remedies of {@link GlobalEncoder.Options}: the E gradient one batch hands to the E step (before any Adam)
 * against the float64 reference, with theta tied to E, without log Q, and with the batch's common component
 * removed; the tied loss's gradient also against central finite differences of the reference loss.
 */
class GlobalEncoderRemediesTest {
    static SessionDataset data;
    static ItemGraph graph;
    static Sessions walks;
    static final int D = 8, BATCH = 96, S = 16, OFF = 5;

    @BeforeAll
    static void build() {
        data = SyntheticData.generate(SyntheticData.Config.defaults());
        graph = ItemGraph.build(data.trainSessions(), data.numItems());
        walks = RandomWalks.generate(graph, new RandomWalks.Config(1, 20, 4L, 1));
    }

    /** The E gradient of the first batch, as handed to the E step, in E's layout (n, d) starting at row 0. */
    static float[] encoderGrad(GlobalEncoder.Options o, float[] flat, int[] in, int[] lab, int[][] rowsOut) {
        GlobalEncoder.Config c = GlobalEncoder.Config.defaults().withDim(D).withBatch(BATCH).withNegatives(S).withThreads(1);
        float[] grad = new float[flat.length];
        float[] got = new float[graph.numItems() * D];
        try (GlobalEncoder enc = new GlobalEncoder(graph, c, o)) {
            enc.trainBatch(in, lab, BATCH, flat, OFF, grad, 0, 1e-3, (rows, count) -> {
                rowsOut[0] = java.util.Arrays.copyOf(rows, count);
                System.arraycopy(grad, 0, got, 0, got.length);
            });
        }
        return got;
    }

    /** The reference's E gradient (tied: both roles summed), and its loss in [0]. */
    static double[] referenceGrad(GlobalEncoder.Options o, double[] e, double[] theta, int[] in, int[] lab, double[] lossOut) {
        int n = graph.numItems();
        int[] sampled = new int[S];
        float[] lq = new float[S];
        Negatives neg = new Negatives(graph, S, true, GlobalEncoder.Config.defaults().seed());
        int tries = neg.draw(1, sampled, lq);
        double[] sq = new double[S];
        double[] tq = new double[BATCH];
        if (o.logQ()) {
            for (int k = 0; k < S; k++) sq[k] = lq[k];
            for (int i = 0; i < BATCH; i++) {
                tq[i] = (float) Math.log(neg.sampler().expectedCount(neg.sampler().rankOfItem(lab[i]), S, tries));
            }
        }
        double[] ge = new double[n * D];
        double[] gt = new double[n * D];
        double[] th = o.tie() ? e : theta;
        lossOut[0] = org.lgsr.cpu.NceReference.forwardBackward(e, th, new double[n], D, in, lab, tq, BATCH, sampled, sq, S, true, ge, gt, null);
        if (o.tie()) for (int i = 0; i < ge.length; i++) ge[i] += gt[i];
        return ge;
    }

    @ParameterizedTest
    @CsvSource({"true,false,false", "false,false,false", "true,true,false", "false,true,false", "true,false,true", "false,true,true"})
    void eGradientBeforeAdamMatchesTheReference(boolean logQ, boolean tie, boolean center) {
        GlobalEncoder.Options o = new GlobalEncoder.Options(logQ, tie, center);
        int n = graph.numItems();
        float[] flat = GlobalEncoderTest.flatWithE(OFF, n, D, 9L);
        int[] in = new int[BATCH];
        int[] lab = new int[BATCH];
        new SkipGramPairs(walks, 8, 1L, 0).next(in, lab, BATCH);
        int[][] rows = new int[1][];
        float[] got = encoderGrad(o, flat, in, lab, rows);

        double[] e = new double[n * D];
        for (int i = 0; i < e.length; i++) e[i] = flat[OFF + i];
        float[] th0 = new float[n * D];
        GlobalEncoder.initialTheta(th0, D, GlobalEncoder.Config.defaults().seed());
        double[] theta = new double[n * D];
        for (int i = 0; i < theta.length; i++) theta[i] = th0[i];
        double[] want = referenceGrad(o, e, theta, in, lab, new double[1]);
        // the rows handed over: inputs, and with a tied table also labels and negatives
        java.util.TreeSet<Integer> expectRows = new java.util.TreeSet<>();
        for (int x : in) expectRows.add(x);
        for (int r = 0; r < n; r++) {
            boolean any = false;
            for (int j = 0; j < D; j++) any |= want[r * D + j] != 0;
            if (any) expectRows.add(r);
        }
        assertEquals(expectRows.size(), rows[0].length, "rows handed to the E step");
        if (center) {
            double[] mean = new double[D];
            for (int r : rows[0]) for (int j = 0; j < D; j++) mean[j] += want[r * D + j] / rows[0].length;
            for (int r : rows[0]) for (int j = 0; j < D; j++) want[r * D + j] -= mean[j];
            double[] gm = new double[D];
            for (int r : rows[0]) for (int j = 0; j < D; j++) gm[j] += got[r * D + j];
            for (int j = 0; j < D; j++) assertEquals(0, gm[j], 1e-5, "centred gradient rows still have a common component");
        }
        double max = 0, err = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i]));
            err = Math.max(err, Math.abs(want[i] - got[i]));
        }
        assertTrue(max > 0, "reference gradient is zero");
        assertTrue(err <= 1e-5 * max + 1e-9, "E gradient off by " + err + " (largest " + max + ") for " + o);
    }

    @Test
    void tiedGradientMatchesFiniteDifferences() {
        GlobalEncoder.Options o = new GlobalEncoder.Options(true, true, false);
        int n = graph.numItems();
        float[] flat = GlobalEncoderTest.flatWithE(OFF, n, D, 10L);
        double[] e = new double[n * D];
        for (int i = 0; i < e.length; i++) e[i] = flat[OFF + i];
        int[] in = new int[BATCH];
        int[] lab = new int[BATCH];
        new SkipGramPairs(walks, 8, 1L, 0).next(in, lab, BATCH);
        double[] g = referenceGrad(o, e, null, in, lab, new double[1]);
        // coordinates of an input row, a label row and (through the tie) rows in both roles
        int[] probe = {in[0] * D, in[0] * D + 3, lab[5] * D + 1, lab[17] * D + 7, in[40] * D + 2};
        double h = 1e-5;
        for (int idx : probe) {
            double keep = e[idx];
            double[] lp = new double[1], lm = new double[1];
            e[idx] = keep + h;
            referenceLoss(o, e, in, lab, lp);
            e[idx] = keep - h;
            referenceLoss(o, e, in, lab, lm);
            e[idx] = keep;
            double fd = (lp[0] - lm[0]) / (2 * h);
            assertEquals(fd, g[idx], 1e-6 + 1e-5 * Math.abs(fd), "coordinate " + idx);
        }
    }

    private static void referenceLoss(GlobalEncoder.Options o, double[] e, int[] in, int[] lab, double[] out) {
        referenceGrad(o, e, null, in, lab, out);
    }

    @Test
    void tableHealthOfAHandWorkedTable() {
        // row 0 padding, then (1,0), (0,1), (1,1): mean (2/3, 2/3)
        float[] t = {9, 9, 1, 0, 0, 1, 1, 1};
        TableHealth h = TableHealth.of(t, 0, 4, 2);
        assertEquals((2 + Math.sqrt(2)) / 3, h.meanNorm(), 1e-12);
        assertEquals(Math.sqrt(8) / 3, h.meanRowNorm(), 1e-12);
        assertEquals((2 * Math.sqrt(0.5) + 1) / 3, h.meanCosine(), 1e-12);
        double[] r = TableHealth.range(new float[] {-100, 2, -3, 5}, 0, 4);
        assertEquals(-3, r[0]);
        assertEquals(5, r[1]);
    }
}
