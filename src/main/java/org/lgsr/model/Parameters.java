package org.lgsr.model;

import java.util.SplittableRandom;

/**
 * The four flat buffers of the module, laid out by {@link ParamLayout}: parameters, gradients,
 * Adam first and second moments. Initialization [code]: every weight (embeddings, matrices,
 * biases, q) uniform in (-1/sqrt(d), 1/sqrt(d)); LayerNorm gamma 1, beta 0; rows 0 of E and P
 * zero. Values are drawn in layout order from one {@code SplittableRandom(seed)}, one
 * {@code nextDouble()} per float (row 0 of E and P consume no draws).
 */
public final class Parameters {
    public final ParamLayout layout;
    public final float[] w, g, m, v;
    /** Adam step count t (number of updates applied so far). */
    public long step;

    public Parameters(ParamLayout layout) {
        this.layout = layout;
        int n = layout.total();
        w = new float[n];
        g = new float[n];
        m = new float[n];
        v = new float[n];
    }

    public static Parameters init(ModelConfig cfg, long seed) {
        Parameters p = new Parameters(new ParamLayout(cfg));
        p.initialize(seed);
        return p;
    }

    public void initialize(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double a = 1.0 / Math.sqrt(layout.d);
        for (ParamLayout.View view : layout.views()) {
            int from = view.offset();
            if (view == layout.E || view == layout.P) {
                for (int c = 0; c < view.cols(); c++) w[from + c] = 0f;
                from += view.cols();
            }
            for (int i = from; i < view.end(); i++) {
                if (ParamLayout.isGamma(view)) w[i] = 1f;
                else if (ParamLayout.isBeta(view)) w[i] = 0f;
                else w[i] = (float) (-a + 2 * a * rnd.nextDouble());
            }
        }
        java.util.Arrays.fill(g, 0f);
        java.util.Arrays.fill(m, 0f);
        java.util.Arrays.fill(v, 0f);
        step = 0;
    }

    public double[] weightsAsDouble() {
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) out[i] = w[i];
        return out;
    }
}
