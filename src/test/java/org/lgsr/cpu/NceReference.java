package org.lgsr.cpu;

/**
 * {@link Nce} in double precision, plain loops, one thread, written for clarity: the
 * specification the float implementation (and so the CUDA kernels) is checked against, and the
 * function the tests differentiate numerically. Gradients are added to the given arrays (E and
 * its gradient at offset 0 here); pass null gradient arrays for the loss only.
 */
public final class NceReference {
    private NceReference() {
    }

    public static double forwardBackward(double[] e, double[] theta, double[] bias, int d,
                                         int[] inputs, int[] labels, double[] trueLogQ, int n,
                                         int[] sampled, double[] sampledLogQ, int s, boolean removeAccidentalHits,
                                         double[] eGrad, double[] thetaGrad, double[] biasGrad) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            int in = inputs[i];
            int lab = labels[i];
            double t = dot(e, in * d, theta, lab * d, d) + bias[lab] - trueLogQ[i];
            total += xent(t, 1);
            double gt = (sigmoid(t) - 1) / n;
            if (eGrad != null) addScaled(eGrad, in * d, theta, lab * d, d, gt);
            if (thetaGrad != null) addScaled(thetaGrad, lab * d, e, in * d, d, gt);
            if (biasGrad != null) biasGrad[lab] += gt;
            for (int k = 0; k < s; k++) {
                int c = sampled[k];
                if (removeAccidentalHits && c == lab) continue;
                double x = dot(e, in * d, theta, c * d, d) + bias[c] - sampledLogQ[k];
                total += xent(x, 0);
                double gs = sigmoid(x) / n;
                if (eGrad != null) addScaled(eGrad, in * d, theta, c * d, d, gs);
                if (thetaGrad != null) addScaled(thetaGrad, c * d, e, in * d, d, gs);
                if (biasGrad != null) biasGrad[c] += gs;
            }
        }
        return total / n;
    }

    /** TF's sigmoid_cross_entropy_with_logits, stable form. */
    public static double xent(double x, double z) {
        return Math.max(x, 0) - x * z + Math.log1p(Math.exp(-Math.abs(x)));
    }

    static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    private static double dot(double[] a, int ao, double[] b, int bo, int d) {
        double sum = 0;
        for (int j = 0; j < d; j++) sum += a[ao + j] * b[bo + j];
        return sum;
    }

    private static void addScaled(double[] dst, int o, double[] src, int so, int d, double a) {
        for (int j = 0; j < d; j++) dst[o + j] += a * src[so + j];
    }
}
