package org.lgsr.model.neural;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The four flat buffers of a neural baseline (parameters, gradient, Adam's m and v), laid out by
 * {@link NeuralLayout}, and its initialization, drawn in layout order from one
 * {@code SplittableRandom(seed)} (rows 0 of the item tables draw nothing and stay 0):
 * <ul>
 * <li>STAMP (its paper and public code): weights N(0, 0.05^2), item embeddings N(0, 0.002^2), biases 0;</li>
 * <li>GRU4Rec and SR-GNN: every entry uniform in (-1/sqrt(d), 1/sqrt(d)), the default of common GRU
 * implementations (and of the LGSR module here), and SR-GNN's own reset of every parameter;</li>
 * <li>NARM: every entry uniform in (-1/sqrt(h), 1/sqrt(h)), h its GRU width.</li>
 * </ul>
 * Normal draws are {@code sqrt(-2 ln u1) cos(2 pi u2)} from two {@code nextDouble()} calls.
 */
public final class NeuralParameters {
    public static final double STAMP_WEIGHT_STD = 0.05, STAMP_EMBEDDING_STD = 0.002;

    public final NeuralLayout layout;
    public final float[] w, g, m, v;
    /** Adam steps taken. */
    public long step;

    public NeuralParameters(NeuralLayout layout) {
        this.layout = layout;
        int n = layout.total();
        w = new float[n];
        g = new float[n];
        m = new float[n];
        v = new float[n];
    }

    public static NeuralParameters init(NeuralConfig cfg, long seed) {
        NeuralParameters p = new NeuralParameters(new NeuralLayout(cfg));
        p.initialize(seed);
        return p;
    }

    public void initialize(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        boolean stamp = layout.cfg.kind() == NeuralKind.STAMP;
        double a = 1.0 / Math.sqrt(layout.cfg.kind() == NeuralKind.NARM ? layout.h : layout.d);
        for (var view : layout.views()) {
            int from = view.offset();
            if (layout.isTable(view)) {
                Arrays.fill(w, from, from + view.cols(), 0f);
                from += view.cols();
            }
            for (int i = from; i < view.end(); i++) {
                if (!stamp) w[i] = (float) (-a + 2 * a * rnd.nextDouble());
                else if (layout.isBias(view)) w[i] = 0f;
                else w[i] = (float) ((layout.isTable(view) ? STAMP_EMBEDDING_STD : STAMP_WEIGHT_STD) * normal(rnd));
            }
        }
        Arrays.fill(g, 0f);
        Arrays.fill(m, 0f);
        Arrays.fill(v, 0f);
        step = 0;
    }

    private static double normal(SplittableRandom rnd) {
        double u1 = 1.0 - rnd.nextDouble(); // in (0, 1]
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    public double[] weightsAsDouble() {
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) out[i] = w[i];
        return out;
    }
}
