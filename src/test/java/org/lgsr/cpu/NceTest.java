package org.lgsr.cpu;

import org.lgsr.TestData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.lgsr.data.Sessions;
import org.lgsr.graph.ItemGraph;
import org.lgsr.graph.LogUniformSampler;

/**
 * The twins of cuda/nce.cu: each kernel twin against a float64 computation written here, the
 * true classes' log Q against LogUniformSampler.expectedCount, and the whole step
 * ({@link Nce#step}) against the CPU engine's threaded {@link Nce#forwardBackward}, the plain
 * loops, and the float64 {@link NceReference}. Also the problem generator the GPU test uses (public).
 */
public class NceTest {
    final long seed = TestData.seed();
    final Random rnd = new Random(seed);

    /** A graph over items 1..numItems-1 (the last 40 ids never occur: not nodes), from random sessions. */
    public static ItemGraph graph(Random rnd, int numItems, int sessions) {
        int[] off = new int[sessions + 1];
        int[] items = new int[sessions * 8];
        int at = 0;
        int top = numItems - 41;
        for (int q = 0; q < sessions; q++) {
            int len = 2 + rnd.nextInt(7);
            for (int j = 0; j < len; j++) {
                double u = rnd.nextDouble();
                items[at++] = 1 + (int) (top * u * u); // skewed: low ids frequent
            }
            off[q + 1] = at;
        }
        return ItemGraph.build(new Sessions(off, Arrays.copyOf(items, at)), numItems);
    }

    /**
     * One random batch as GlobalEncoder makes it: E inside a flat array at {@code eOff}, its
     * gradient at {@code gEOff}; gradient tables prefilled with small values (to see that they
     * are added to); s distinct negatives (random ranks, {@code numTries} = s or more) with log Q
     * from the sampler; labels graph nodes, a third of them drawn from the negatives (accidental
     * hits), the rest from a small pool (repeats); inputs from a small pool (repeats).
     */
    public static final class Problem {
        public final int numItems, d, n, s, numTries, eOff, gEOff;
        public final float[] e, gE, theta, gTheta, bias, gBias;
        public final int[] inputs, labels, sampled, rankOfItem;
        public final float[] sampledLogQ, trueLogQ;
        public final double logRange;

        public Problem(Random rnd, ItemGraph g, LogUniformSampler sampler, int n, int s, int d, boolean unique) {
            this.numItems = g.numItems();
            this.d = d;
            this.n = n;
            this.s = s;
            this.eOff = 3 + rnd.nextInt(20);
            this.gEOff = rnd.nextInt(20);
            int range = sampler.range();
            e = new float[eOff + numItems * d + 5];
            gE = new float[gEOff + numItems * d + 3];
            theta = new float[numItems * d];
            gTheta = new float[numItems * d];
            bias = new float[numItems];
            gBias = new float[numItems];
            float base = 0.01f / n;
            for (int i = 0; i < e.length; i++) e[i] = (float) (rnd.nextDouble() - 0.5);
            for (int i = 0; i < theta.length; i++) theta[i] = (float) (rnd.nextDouble() - 0.5);
            for (int i = 0; i < numItems; i++) bias[i] = (float) (0.2 * rnd.nextGaussian());
            for (int i = 0; i < gE.length; i++) gE[i] = (float) (base * rnd.nextGaussian());
            for (int i = 0; i < gTheta.length; i++) gTheta[i] = (float) (base * rnd.nextGaussian());
            for (int i = 0; i < numItems; i++) gBias[i] = (float) (base * rnd.nextGaussian());
            // negatives: s distinct ranks, their items and log Q as GlobalEncoder computes them
            int[] perm = new int[range];
            for (int i = 0; i < range; i++) perm[i] = i;
            for (int i = 0; i < s; i++) {
                int j = i + rnd.nextInt(range - i);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            numTries = unique ? s + rnd.nextInt(3 * s + 1) + 1 : s;
            sampled = new int[s];
            sampledLogQ = new float[s];
            for (int k = 0; k < s; k++) {
                sampled[k] = sampler.itemOfRank(perm[k]);
                sampledLogQ[k] = (float) Math.log(sampler.expectedCount(perm[k], s, numTries));
            }
            int[] labelPool = new int[Math.max(1, n / 3)];
            for (int i = 0; i < labelPool.length; i++) labelPool[i] = sampler.itemOfRank(rnd.nextInt(range));
            int[] inputPool = new int[Math.max(1, n / 2)];
            for (int i = 0; i < inputPool.length; i++) inputPool[i] = sampler.itemOfRank(rnd.nextInt(range));
            inputs = new int[n];
            labels = new int[n];
            for (int i = 0; i < n; i++) {
                inputs[i] = inputPool[rnd.nextInt(inputPool.length)];
                labels[i] = rnd.nextInt(3) == 0 ? sampled[rnd.nextInt(s)] : labelPool[rnd.nextInt(labelPool.length)];
            }
            rankOfItem = new int[numItems];
            for (int i = 0; i < numItems; i++) rankOfItem[i] = sampler.rankOfItem(i);
            trueLogQ = new float[n];
            for (int i = 0; i < n; i++) trueLogQ[i] = (float) Math.log(sampler.expectedCount(rankOfItem[labels[i]], s, numTries));
            logRange = sampler.logRange();
        }

        /** The number of (pair, negative) accidental hits. */
        public int hits() {
            int h = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) if (sampled[k] == labels[i]) h++;
            }
            return h;
        }

        /** Nce.forwardBackward (the CPU engine) on copies of the gradient tables: {loss}, gE, gTheta, gBias. */
        public Object[] nceLoss(boolean removeHits, int threads) {
            float[] ge = gE.clone(), gt = gTheta.clone(), gb = gBias.clone();
            double loss;
            try (Nce l = new Nce(d, n, s, threads)) {
                loss = l.forwardBackward(e, eOff, theta, bias, inputs, labels, trueLogQ, n, sampled, sampledLogQ, s, removeHits,
                        ge, gEOff, gt, gb);
            }
            return new Object[] {loss, ge, gt, gb};
        }
    }

    /** ||a - b|| / ||b - base|| in float64: the error of the increment a - base against b - base. */
    public static double incrementError(float[] a, float[] b, float[] base) {
        double num = 0, den = 0;
        for (int i = 0; i < b.length; i++) {
            if (Float.isNaN(a[i])) return Double.POSITIVE_INFINITY;
            double x = (double) a[i] - b[i], y = (double) b[i] - base[i];
            num += x * x;
            den += y * y;
        }
        return Math.sqrt(num / den);
    }

    static double relErr(float[] a, double[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(a[i])) return Double.POSITIVE_INFINITY;
            num += (a[i] - ref[i]) * (a[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    static float[] uniform(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((2 * rnd.nextDouble() - 1) * scale);
        return a;
    }

    @Test
    void trueLogqMatchesTheSampler() {
        ItemGraph g = graph(rnd, 700, 400);
        LogUniformSampler sampler = new LogUniformSampler(g);
        int n = 500;
        int[] labels = new int[n];
        int[] rank = new int[g.numItems()];
        for (int i = 0; i < rank.length; i++) rank[i] = sampler.rankOfItem(i);
        for (int i = 0; i < n; i++) labels[i] = sampler.itemOfRank(rnd.nextInt(sampler.range()));
        labels[7] = g.numItems() - 1; // never occurs: not a node
        assertEquals(-1, rank[labels[7]]);
        for (int tries : new int[] {64, 65, 300, 5000}) {
            float[] q = new float[n + 3];
            Arrays.fill(q, 123f);
            Nce.nceTrueLogq(labels, 0, rank, 0, n, 64, tries, sampler.logRange(), q, 2);
            assertEquals(123f, q[1]);
            assertEquals(123f, q[n + 2]);
            for (int i = 0; i < n; i++) {
                int r = rank[labels[i]];
                if (r < 0) {
                    assertTrue(Float.isNaN(q[2 + i]), "non-node label gives NaN");
                    continue;
                }
                double want = Math.log(sampler.expectedCount(r, 64, tries));
                assertEquals(want, q[2 + i], 1e-6 * Math.abs(want) + 1e-30, "tries " + tries + ", rank " + r + ", seed " + seed);
            }
        }
        // hand-worked: range 3, rank 0, no unique sampling: p = log 2 / log 4 = 1/2, Q = 2 p = 1
        float[] one = new float[1];
        Nce.nceTrueLogq(new int[] {1}, 0, new int[] {-1, 0}, 0, 1, 2, 2, Math.log(4), one, 0);
        assertEquals(0f, one[0], 1e-7f);
        // unique, 3 tries: Q = 1 - (1/2)^3 = 7/8
        Nce.nceTrueLogq(new int[] {1}, 0, new int[] {-1, 0}, 0, 1, 2, 3, Math.log(4), one, 0);
        assertEquals(Math.log(7.0 / 8), one[0], 1e-7);
    }

    /** nce_loss_grad's twin against the formulas in float64, on random logits. */
    @Test
    void lossGradMatchesFloat64() {
        for (int[] c : new int[][] {{1, 1, 1}, {1, 40, 100}, {33, 1, 7}, {100, 40, 37}, {97, 130, 100}}) {
            int n = c[0], s = c[1], d = c[2], items = 50;
            for (boolean remove : new boolean[] {true, false}) {
                float[] logits = uniform(rnd, n * s, 3), vin = uniform(rnd, n * d, 0.5), theta = uniform(rnd, items * d, 0.5);
                float[] bias = uniform(rnd, items, 1), sq = uniform(rnd, s, 2), tq = uniform(rnd, n, 2);
                int[] labels = new int[n], sampled = new int[s];
                for (int k = 0; k < s; k++) sampled[k] = rnd.nextInt(items);
                for (int i = 0; i < n; i++) labels[i] = i % 2 == 0 ? sampled[rnd.nextInt(s)] : rnd.nextInt(items);
                float scale = 1.0f / n;
                // float64 reference
                double[] g = new double[n * s], loss = new double[n], dTrue = new double[n], dv = new double[n * d];
                double[] col = new double[s];
                for (int i = 0; i < n; i++) {
                    double t = bias[labels[i]] - (double) tq[i];
                    for (int j = 0; j < d; j++) t += (double) vin[i * d + j] * theta[labels[i] * d + j];
                    loss[i] = Math.log1p(Math.exp(-t));
                    dTrue[i] = (1 / (1 + Math.exp(-t)) - 1) * scale;
                    for (int j = 0; j < d; j++) dv[i * d + j] = dTrue[i] * theta[labels[i] * d + j];
                    for (int k = 0; k < s; k++) {
                        if (remove && sampled[k] == labels[i]) continue;
                        double x = (double) logits[i * s + k] + bias[sampled[k]] - sq[k];
                        loss[i] += Math.log1p(Math.exp(x));
                        g[i * s + k] = scale / (1 + Math.exp(-x));
                        col[k] += g[i * s + k];
                    }
                }
                int parts = Nce.parts(n);
                float[] rowLoss = new float[n + 1], dT = new float[n + 1], dVin = new float[n * d + 1], colPart = new float[parts * s + 1];
                for (float[] a : new float[][] {rowLoss, dT, dVin, colPart}) Arrays.fill(a, Float.NaN);
                Nce.nceLossGrad(logits, 0, vin, 0, theta, 0, bias, 0, labels, 0, sampled, 0, sq, 0, tq, 0, n, s, d, remove, scale,
                        rowLoss, 1, dT, 1, dVin, 1, colPart, 1);
                float[] colSum = new float[s];
                for (int b = 0; b < parts; b++) for (int k = 0; k < s; k++) colSum[k] += colPart[1 + b * s + k];
                String at = "n " + n + ", s " + s + ", d " + d + ", remove " + remove + ", seed " + seed;
                assertTrue(relErr(logits, g) < 1e-6, "dL " + relErr(logits, g) + ", " + at);
                assertTrue(relErr(Arrays.copyOfRange(rowLoss, 1, n + 1), loss) < 1e-6, "rowLoss, " + at);
                assertTrue(relErr(Arrays.copyOfRange(dT, 1, n + 1), dTrue) < 1e-6, "dTrue, " + at);
                assertTrue(relErr(Arrays.copyOfRange(dVin, 1, n * d + 1), dv) < 1e-6, "dVin, " + at);
                assertTrue(relErr(colSum, col) < 1e-6, "column sums, " + at);
                if (remove) {
                    for (int i = 0; i < n; i++) {
                        for (int k = 0; k < s; k++) if (sampled[k] == labels[i]) assertEquals(0f, logits[i * s + k], at);
                    }
                }
            }
        }
    }

    /** nce_loss_grad at large |logits|: the gradients keep their relative accuracy (no 1 - sigmoid cancellation). */
    @Test
    void lossGradIsAccurateAtLargeLogits() {
        int n = 2, s = 2, d = 1;
        float[] logits = {20f, -30f, 9f, -9f};
        float[] vin = {1f, 1f}, theta = {15f, -12f}, bias = {0f, 0f};
        int[] labels = {0, 1}, sampled = {0, 1};
        float[] rowLoss = new float[n], dT = new float[n], dV = new float[n], col = new float[s];
        Nce.nceLossGrad(logits, 0, vin, 0, theta, 0, bias, 0, labels, 0, sampled, 0, new float[s], 0, new float[n], 0, n, s, d,
                false, 1f, rowLoss, 0, dT, 0, dV, 0, col, 0);
        assertEquals(-1 / (1 + Math.exp(15)), dT[0], 1e-6 * Math.exp(-15)); // t = 15
        assertEquals(-1 / (1 + Math.exp(-12)), dT[1], 1e-6);                   // t = -12
        assertEquals(1 / (1 + Math.exp(30)), logits[1], 1e-6 * Math.exp(-30));
        assertEquals(Math.log1p(Math.exp(-15)) + 20 + Math.log1p(Math.exp(-20)) + Math.log1p(Math.exp(-30)), rowLoss[0], 1e-5);
    }

    @Test
    void scatterMatchesFloat64() {
        for (int[] c : new int[][] {{1, 1, 1}, {70, 13, 100}, {300, 64, 33}}) {
            int n = c[0], s = c[1], d = c[2], items = 40, parts = Nce.parts(n);
            float[] ge0 = uniform(rnd, items * d + 2, 1), gt0 = uniform(rnd, items * d + 1, 1), gb0 = uniform(rnd, items + 3, 1);
            float[] vin = uniform(rnd, n * d, 1), dVin = uniform(rnd, n * d, 1), dTrue = uniform(rnd, n, 1);
            float[] dThetaS = uniform(rnd, s * d, 1), colPart = uniform(rnd, parts * s, 1);
            int[] inputs = new int[n], labels = new int[n], sampled = new int[s];
            for (int i = 0; i < n; i++) {
                inputs[i] = rnd.nextInt(items);
                labels[i] = rnd.nextInt(items);
            }
            for (int k = 0; k < s; k++) sampled[k] = rnd.nextInt(items);
            double[] ge = new double[ge0.length], gt = new double[gt0.length], gb = new double[gb0.length];
            for (int i = 0; i < ge.length; i++) ge[i] = ge0[i];
            for (int i = 0; i < gt.length; i++) gt[i] = gt0[i];
            for (int i = 0; i < gb.length; i++) gb[i] = gb0[i];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    ge[2 + inputs[i] * d + j] += dVin[i * d + j];
                    gt[1 + labels[i] * d + j] += (double) dTrue[i] * vin[i * d + j];
                }
                gb[3 + labels[i]] += dTrue[i];
            }
            for (int k = 0; k < s; k++) {
                for (int j = 0; j < d; j++) gt[1 + sampled[k] * d + j] += dThetaS[k * d + j];
                for (int b = 0; b < parts; b++) gb[3 + sampled[k]] += colPart[b * s + k];
            }
            float[] a = ge0.clone(), b = gt0.clone(), cb = gb0.clone();
            Nce.nceScatter(a, 2, b, 1, cb, 3, vin, 0, dVin, 0, dTrue, 0, inputs, 0, labels, 0, n, dThetaS, 0, colPart, 0, parts,
                    sampled, 0, s, d);
            String at = "n " + n + ", s " + s + ", seed " + seed;
            assertTrue(relErr(a, ge) < 1e-6, "gE " + at);
            assertTrue(relErr(b, gt) < 1e-6, "gTheta " + at);
            assertTrue(relErr(cb, gb) < 1e-6, "gBias " + at);
            assertEquals(ge0[0], a[0]);
            assertEquals(gb0[0], cb[0]);
        }
    }

    @Test
    void lossSumIsTheMeanInFloat64() {
        for (int n : new int[] {1, 255, 256, 257, 8192}) {
            float[] r = uniform(rnd, n + 4, 100);
            double want = 0;
            for (int i = 0; i < n; i++) want += r[4 + i];
            assertEquals(want / n, Nce.nceLossSum(r, 4, n), 1e-12 * Math.abs(want / n) + 1e-12, "n " + n);
        }
    }

    /** The whole step against the threaded instance (same bits), the plain loops and the float64 reference. */
    @Test
    void stepMatchesNceLossAndTheReference() {
        ItemGraph g = graph(rnd, 400, 300);
        LogUniformSampler sampler = new LogUniformSampler(g);
        for (int[] c : new int[][] {{1, 1, 5}, {37, 7, 100}, {100, 64, 16}, {250, 33, 100}, {300, 150, 100}, {70, 128, 37}}) {
            int n = c[0], s = c[1], d = c[2];
            for (boolean remove : new boolean[] {true, false}) {
                Problem p = new Problem(rnd, g, sampler, n, s, d, (n + s) % 2 == 0);
                String at = "n " + n + ", s " + s + ", d " + d + ", remove " + remove + ", hits " + p.hits() + ", seed " + seed;
                assertTrue(n < 30 || p.hits() > 0, "the problem has accidental hits, " + at);
                float[] ge = p.gE.clone(), gt = p.gTheta.clone(), gb = p.gBias.clone();
                double loss = Nce.step(d, p.e, p.eOff, ge, p.gEOff, p.theta, 0, gt, 0, p.bias, 0, gb, 0, p.inputs, p.labels, n,
                        p.sampled, p.sampledLogQ, s, p.numTries, p.rankOfItem, p.logRange, remove);
                // the same batch on three threads is the same bits; on the plain loops within 1e-5
                Object[] threaded = p.nceLoss(remove, 3);
                assertEquals((Double) threaded[0], loss, 0.0, "loss on 3 threads, " + at);
                org.junit.jupiter.api.Assertions.assertArrayEquals((float[]) threaded[1], ge, "gE on 3 threads, " + at);
                org.junit.jupiter.api.Assertions.assertArrayEquals((float[]) threaded[2], gt, "gTheta on 3 threads, " + at);
                org.junit.jupiter.api.Assertions.assertArrayEquals((float[]) threaded[3], gb, "gBias on 3 threads, " + at);
                String keep = System.getProperty(Nce.VECTOR_PROPERTY);
                System.setProperty(Nce.VECTOR_PROPERTY, "false");
                Object[] cpu;
                try {
                    cpu = p.nceLoss(remove, 1);
                } finally {
                    if (keep == null) System.clearProperty(Nce.VECTOR_PROPERTY);
                    else System.setProperty(Nce.VECTOR_PROPERTY, keep);
                }
                double want = (Double) cpu[0];
                assertEquals(want, loss, 1e-5 * Math.abs(want), "loss, " + at);
                assertTrue(incrementError(ge, (float[]) cpu[1], p.gE) < 1e-5, "gE " + incrementError(ge, (float[]) cpu[1], p.gE) + ", " + at);
                assertTrue(incrementError(gt, (float[]) cpu[2], p.gTheta) < 1e-5, "gTheta " + incrementError(gt, (float[]) cpu[2], p.gTheta) + ", " + at);
                assertTrue(incrementError(gb, (float[]) cpu[3], p.gBias) < 1e-5, "gBias " + incrementError(gb, (float[]) cpu[3], p.gBias) + ", " + at);

                // float64 reference (E at offset 0 there; gradients from zero)
                int items = p.numItems;
                double[] e = new double[items * d], th = new double[items * d], b = new double[items];
                for (int i = 0; i < items * d; i++) {
                    e[i] = p.e[p.eOff + i];
                    th[i] = p.theta[i];
                }
                for (int i = 0; i < items; i++) b[i] = p.bias[i];
                double[] tq = new double[n], sq = new double[s];
                for (int i = 0; i < n; i++) tq[i] = p.trueLogQ[i];
                for (int k = 0; k < s; k++) sq[k] = p.sampledLogQ[k];
                double[] rge = new double[items * d], rgt = new double[items * d], rgb = new double[items];
                double ref = NceReference.forwardBackward(e, th, b, d, p.inputs, p.labels, tq, n, p.sampled, sq, s, remove, rge, rgt, rgb);
                assertEquals(ref, loss, 1e-5 * Math.abs(ref), "loss vs float64, " + at);
                float[] incE = new float[items * d], incT = new float[items * d], incB = new float[items];
                for (int i = 0; i < items * d; i++) {
                    incE[i] = ge[p.gEOff + i] - p.gE[p.gEOff + i];
                    incT[i] = gt[i] - p.gTheta[i];
                }
                for (int i = 0; i < items; i++) incB[i] = gb[i] - p.gBias[i];
                assertTrue(relErr(incE, rge) < 1e-5, "gE vs float64 " + relErr(incE, rge) + ", " + at);
                assertTrue(relErr(incT, rgt) < 1e-5, "gTheta vs float64 " + relErr(incT, rgt) + ", " + at);
                assertTrue(relErr(incB, rgb) < 1e-5, "gBias vs float64 " + relErr(incB, rgb) + ", " + at);
            }
        }
        assertEquals(0.0, Nce.step(4, new float[8], 0, new float[8], 0, new float[8], 0, new float[8], 0, new float[2], 0,
                new float[2], 0, new int[0], new int[0], 0, new int[] {1}, new float[1], 1, 1, new int[2], 1.0, true));
    }

    @Test
    void vectorLog1pIsAccurate() {
        if (!org.lgsr.model.cpu.Simd.available()) return;
        int lanes = org.lgsr.model.cpu.Simd.lanes();
        float[] u = new float[lanes];
        float[] out = new float[lanes];
        double worst = 0;
        for (int i = 0; i <= 100_000; i += lanes) {
            for (int l = 0; l < lanes; l++) u[l] = (float) Math.min(1.0, (i + l) / 100_000.0 * ((i + l) % 3 == 0 ? 1e-6 : 1));
            Nce.Lanes.log1p(u, out);
            for (int l = 0; l < lanes; l++) {
                double want = Math.log1p(u[l]);
                if (want > 0) worst = Math.max(worst, Math.abs(out[l] - want) / want);
            }
        }
        assertTrue(worst < 5e-7, "relative error " + worst);
    }

    @Test
    void limitsAreChecked() {
        float[] f = new float[4];
        int[] i = new int[4];
        assertThrows(IllegalArgumentException.class, () -> Nce.nceLossGrad(f, 0, f, 0, f, 0, f, 0, i, 0, i, 0, f, 0, f, 0, 1, 1,
                Nce.MAX_D + 1, true, 1f, f, 0, f, 0, f, 0, f, 0));
        assertThrows(IllegalArgumentException.class, () -> Nce.nceLossGrad(f, 0, f, 0, f, 0, f, 0, i, 0, i, 0, f, 0, f, 0, 1,
                Nce.MAX_S + 1, 1, true, 1f, f, 0, f, 0, f, 0, f, 0));
    }
}
