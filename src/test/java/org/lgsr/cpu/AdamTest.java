package org.lgsr.cpu;

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
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int n = 1003;
        float[] p = new float[n], m = new float[n], v = new float[n], g = new float[n];
        double[] pd = new double[n], md = new double[n], vd = new double[n];
        for (int i = 0; i < n; i++) pd[i] = p[i] = (float) rnd.nextGaussian();
        float lr = 0.001f, b1 = Adam.DEFAULT_BETA1, b2 = Adam.DEFAULT_BETA2, eps = Adam.DEFAULT_EPSILON;
        for (int t = 1; t <= 5; t++) {
            for (int i = 0; i < n; i++) g[i] = (float) rnd.nextGaussian() * 0.1f;
            float lrT = Adam.learningRate(lr, b1, b2, t);
            Adam.adam(p, g, m, v, n, lrT, b1, b2, eps);
            double lrTd = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
            for (int i = 0; i < n; i++) {
                md[i] = b1 * md[i] + (1 - b1) * (double) g[i];
                vd[i] = b2 * vd[i] + (1 - b2) * (double) g[i] * g[i];
                pd[i] -= lrTd * md[i] / (Math.sqrt(vd[i]) + eps);
            }
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
}
