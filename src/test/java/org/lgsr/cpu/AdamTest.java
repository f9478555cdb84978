package org.lgsr.cpu;

import org.lgsr.TestData;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AdamTest {
    @Test
    void learningRateIsTensorFlows() {
        // lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)
        double b1 = 0.9f, b2 = 0.999f; // the float hyperparameters, exactly
        assertEquals((float) (0.001f * Math.sqrt(1 - b2) / (1 - b1)), Adam.learningRate(0.001f, 0.9f, 0.999f, 1), 0f);
        assertEquals((float) (0.01f * Math.sqrt(1 - Math.pow(b2, 10)) / (1 - Math.pow(b1, 10))),
                Adam.learningRate(0.01f, 0.9f, 0.999f, 10), 0f);
        assertThrows(IllegalArgumentException.class, () -> Adam.learningRate(0.1f, 0.9f, 0.999f, 0));
    }

    @Test
    void matchesAFloat64ReferenceOverSteps() {
        long seed = TestData.seed();
        Random rnd = new Random(seed);
        int n = 1003;
        float[] p = new float[n], m = new float[n], v = new float[n], g = new float[n];
        double[] pd = new double[n], md = new double[n], vd = new double[n], gd = new double[n];
        for (int i = 0; i < n; i++) pd[i] = p[i] = (float) rnd.nextGaussian();
        float lr = 0.001f, b1 = Adam.DEFAULT_BETA1, b2 = Adam.DEFAULT_BETA2, eps = Adam.DEFAULT_EPSILON;
        for (int t = 1; t <= 5; t++) {
            for (int i = 0; i < n; i++) gd[i] = g[i] = (float) rnd.nextGaussian() * 0.1f;
            float lrT = Adam.learningRate(lr, b1, b2, t);
            Adam.adam(p, g, m, v, n, lrT, b1, b2, eps);
            AdamReference.step(pd, gd, md, vd, n, lr, b1, b2, eps, t);
        }
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            num += (p[i] - pd[i]) * (p[i] - pd[i]);
            den += pd[i] * pd[i];
        }
        assertEquals(0, Math.sqrt(num / den), 1e-6, "seed " + seed);
    }

    @Test
    void vectorStepHasTheScalarLoopsBits() {
        // odd length and offsets: whole vectors, then the scalar tail; several steps
        int n = 1003;
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        float[][] a = new float[4][n + 7], b = new float[4][n + 7];
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < n + 7; i++) a[k][i] = b[k][i] = (float) ((r.nextDouble() - 0.5) * (k == 3 ? 1e-3 : 1));
        }
        for (int i = 0; i < n + 7; i++) a[3][i] = b[3][i] = Math.abs(a[3][i]);
        for (int step = 1; step <= 3; step++) {
            float lrT = Adam.learningRate(1e-2, 0.9f, 0.999f, step);
            Adam.adam(a[0], 3, a[1], 5, a[2], a[3], 2, n, lrT, 0.9f, 0.999f, 1e-8f);
            Adam.adamScalar(b[0], 3, b[1], 5, b[2], b[3], 2, n, lrT, 0.9f, 0.999f, 1e-8f);
        }
        for (int k = 0; k < 4; k++) org.junit.jupiter.api.Assertions.assertArrayEquals(b[k], a[k], "array " + k);
    }

    @Test
    void parallelAndRowStepsHaveTheFlatStepsBits() {
        // the threaded whole-table step equals the flat one; the rows step equals the flat step
        // on those rows and leaves the others alone
        int w = 7, rowsN = 5000, n = w * rowsN;
        java.util.SplittableRandom r = new java.util.SplittableRandom(9);
        float[][] a = new float[4][n], b = new float[4][n], c = new float[4][n];
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < n; i++) a[k][i] = b[k][i] = c[k][i] = (float) ((r.nextDouble() - 0.5) * (k == 3 ? 1e-3 : 1));
        }
        for (int i = 0; i < n; i++) a[3][i] = b[3][i] = c[3][i] = Math.abs(a[3][i]);
        int[] rows = {0, 3, 4, 4999};
        try (org.lgsr.util.Parallel par = new org.lgsr.util.Parallel(3)) {
            for (int step = 1; step <= 3; step++) {
                float lrT = Adam.learningRate(1e-2, 0.9f, 0.999f, step);
                Adam.adam(par, a[0], 0, a[1], 0, a[2], a[3], 0, n, lrT, 0.9f, 0.999f, 1e-8f);
                Adam.adam(b[0], b[1], b[2], b[3], n, lrT, 0.9f, 0.999f, 1e-8f);
                Adam.rows(c[0], 0, c[1], 0, c[2], c[3], 0, w, rows, rows.length, lrT, 0.9f, 0.999f, 1e-8f);
            }
        }
        for (int k = 0; k < 4; k++) org.junit.jupiter.api.Assertions.assertArrayEquals(b[k], a[k], "array " + k);
        float[] fresh = new float[n];
        r = new java.util.SplittableRandom(9);
        for (int i = 0; i < n; i++) fresh[i] = (float) ((r.nextDouble() - 0.5));
        java.util.Set<Integer> touched = new java.util.HashSet<>();
        for (int x : rows) touched.add(x);
        for (int row = 0; row < rowsN; row++) {
            for (int j = 0; j < w; j++) {
                int i = row * w + j;
                if (touched.contains(row)) assertEquals(b[0][i], c[0][i], 0f, "row " + row);
                else assertEquals(fresh[i], c[0][i], 0f, "row " + row + " moved");
            }
        }
    }
}
