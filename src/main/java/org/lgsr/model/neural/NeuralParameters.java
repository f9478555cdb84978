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
 * <li>NARM: every entry uniform in (-1/sqrt(h), 1/sqrt(h)), h its GRU width;</li>
 * <li>NARM's code form (its authors' {@code init_weights} and {@code ortho_weight}): each weight matrix N(0, 2 / r) with r
 * the rows of the code's matrix (E: n; Wx: d; A1, A2: h; va, the code's (1, h) {@code bl_vector}: 1; WB, the code's
 * (d, 2h) {@code bili}: d), the recurrent U (two h x h blocks) and Uh random orthogonal matrices (the Q of a QR
 * decomposition of an N(0, 1) matrix, its columns' signs fixed by R's diagonal), the bias bx 0;</li>
 * <li>GRU4Rec's code form (its authors' {@code init_matrix} with {@code sigma = 0}): each matrix of the code uniform in
 * (-s, s), s = sqrt(6 / (rows + cols)) of that matrix: the one-hot input's three (n, h) blocks (E) and the output
 * table O (n, h) with s = sqrt(6 / (n + h)), each h x h block of U and Uh with s = sqrt(6 / 2h); the biases bx and bO 0.</li>
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
        if (layout.cfg.code()) {
            initializeCode(seed);
            return;
        }
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

    private void initializeCode(long seed) {
        if (layout.cfg.kind() == NeuralKind.GRU4REC) {
            initializeGru4RecCode(seed);
            return;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        NeuralLayout L = layout;
        int h = L.h;
        normalFill(rnd, L.out.offset() + L.d, L.out.end(), Math.sqrt(2.0 / L.n));
        Arrays.fill(w, L.out.offset(), L.out.offset() + L.d, 0f);
        normalFill(rnd, L.Wx.offset(), L.Wx.end(), Math.sqrt(2.0 / L.d));
        Arrays.fill(w, L.bx.offset(), L.bx.end(), 0f);
        orthogonal(rnd, L.U.offset(), 2 * h, 0); // U = [ortho | ortho], rows of 2h
        orthogonal(rnd, L.U.offset(), 2 * h, h);
        orthogonal(rnd, L.Uh.offset(), h, 0);
        normalFill(rnd, L.A1.offset(), L.A1.end(), Math.sqrt(2.0 / h));
        normalFill(rnd, L.A2.offset(), L.A2.end(), Math.sqrt(2.0 / h));
        normalFill(rnd, L.va.offset(), L.va.end(), Math.sqrt(2.0));
        normalFill(rnd, L.WB.offset(), L.WB.end(), Math.sqrt(2.0 / L.d));
        Arrays.fill(g, 0f);
        Arrays.fill(m, 0f);
        Arrays.fill(v, 0f);
        step = 0;
    }

    private void initializeGru4RecCode(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        NeuralLayout L = layout;
        double table = Math.sqrt(6.0 / (L.n + L.h)), square = Math.sqrt(6.0 / (2.0 * L.h));
        uniformFill(rnd, L.out.offset() + L.out.cols(), L.out.end(), table);
        Arrays.fill(w, L.out.offset(), L.out.offset() + L.out.cols(), 0f);
        uniformFill(rnd, L.in.offset() + L.in.cols(), L.in.end(), table);
        Arrays.fill(w, L.in.offset(), L.in.offset() + L.in.cols(), 0f);
        Arrays.fill(w, L.outBias.offset(), L.outBias.end(), 0f);
        Arrays.fill(w, L.bx.offset(), L.bx.end(), 0f);
        uniformFill(rnd, L.U.offset(), L.U.end(), square);
        uniformFill(rnd, L.Uh.offset(), L.Uh.end(), square);
        Arrays.fill(g, 0f);
        Arrays.fill(m, 0f);
        Arrays.fill(v, 0f);
        step = 0;
    }

    private void uniformFill(SplittableRandom rnd, int from, int to, double a) {
        for (int i = from; i < to; i++) w[i] = (float) (-a + 2 * a * rnd.nextDouble());
    }

    private void normalFill(SplittableRandom rnd, int from, int to, double std) {
        for (int i = from; i < to; i++) w[i] = (float) (std * normal(rnd));
    }

    /** A random h x h orthogonal matrix into columns [col, col + h) of the row-major block at {@code off} with rows of {@code stride}. */
    private void orthogonal(SplittableRandom rnd, int off, int stride, int col) {
        int h = layout.h;
        double[][] a = new double[h][h];
        for (double[] row : a) for (int c = 0; c < h; c++) row[c] = normal(rnd);
        var qr = new org.apache.commons.math3.linear.QRDecomposition(new org.apache.commons.math3.linear.Array2DRowRealMatrix(a, false));
        double[][] q = qr.getQ().getData(), r = qr.getR().getData();
        for (int i = 0; i < h; i++) {
            for (int c = 0; c < h; c++) w[off + i * stride + col + c] = (float) (q[i][c] * Math.signum(r[c][c] == 0 ? 1 : r[c][c]));
        }
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
