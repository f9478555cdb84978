package org.lgsr.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.lgsr.cpu.Adam;

class AdamTest {
    /**
     * Two entries, two steps, by hand (beta1 0.9, beta2 0.999, eps 1e-8, lr 1e-3):
     * step 1, g = (0.5, 0): m = (0.05, 0), v = (2.5e-4, 0), lr_1 = 1e-3 sqrt(1-0.999) / (1-0.9)
     * = 3.16227766e-4, w0 -= lr_1 * 0.05 / (0.0158113883 + 1e-8) = 9.99999368e-4 -> 1.00000063e-3;
     * w1 unchanged (m = 0).
     * step 2, g = (-0.2, 1e-3): m = (0.025, 1e-4), v = (2.8975e-4, 1e-9),
     * lr_2 = 1e-3 sqrt(1-0.999^2) / (1-0.9^2) = 2.35316725e-4,
     * w0 -= lr_2 * 0.025 / (0.0170220445 + 1e-8) -> 6.54394988e-4,
     * w1 -= lr_2 * 1e-4 / (3.16227766e-5 + 1e-8) -> -1.04390158e-3.
     * The asserted values redo this with the betas and inputs rounded to float32 first (as TF's
     * float32 variables hold them: beta2 = 0.99900001287), which moves lr_t by ~7e-6 relative.
     */
    /** One update of the flat buffer as the trainer makes it (update number p.step + 1). */
    private static void update(Parameters p, double lr) {
        float lrT = Adam.learningRate(lr, 0.9f, 0.999f, p.step + 1);
        Adam.adam(p.w, p.g, p.m, p.v, p.w.length, lrT, 0.9f, 0.999f, 1e-8f);
        p.step++;
    }

    @Test
    void twoStepsByHand() {
        ModelConfig cfg = new ModelConfig(2, 1, 1, 0f, 0f, Variant.LGSR_A, true);
        Parameters p = new Parameters(new ParamLayout(cfg));
        p.w[0] = 0.002f;
        p.w[1] = -0.0003f;
        assertEquals((float) 3.1622565496269904e-4, Adam.learningRate(1e-3, 0.9f, 0.999f, 1), 0); // rounded to float once
        assertEquals((float) 2.353151581249253e-4, Adam.learningRate(1e-3, 0.9f, 0.999f, 2), 0);
        p.g[0] = 0.5f;
        p.g[1] = 0f;
        update(p, 1e-3);
        assertEquals(1, p.step);
        assertEquals(0.050000011920928955, p.m[0], 1e-9);
        assertEquals(2.4999678134918213e-4, p.v[0], 1e-11);
        assertEquals(0.001000000727454106, p.w[0], 2e-10);
        assertEquals(-0.0003000000142492354, p.w[1], 1e-12);
        p.g[0] = -0.2f;
        p.g[1] = 1e-3f;
        update(p, 1e-3);
        assertEquals(0.025000004470348003, p.m[0], 1e-9);
        assertEquals(2.8974627399438904e-4, p.v[0], 1e-11);
        assertEquals(0.0006543951003574633, p.w[0], 2e-10);
        assertEquals(-0.0010439016057086537, p.w[1], 2e-10);
    }

    @Test
    void staircaseDecaysTenfoldEveryTenthOfAnEpoch() {
        // n_train = 369859: decay every 0.1 * 369859 / 512 = 72.238 steps
        LearningRate lr = LearningRate.staircase(1e-3, 369859);
        assertEquals(1e-3, lr.at(0), 1e-15);
        assertEquals(1e-3, lr.at(72), 1e-15);
        assertEquals(1e-4, lr.at(73), 1e-16);
        assertEquals(1e-4, lr.at(144), 1e-16);
        assertEquals(1e-5, lr.at(145), 1e-17);
        assertEquals(2e-3, LearningRate.constant(2e-3).at(1000), 0);
    }
}
