package org.lgsr.model.neural;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.lgsr.model.ParamLayout.View;

/**
 * Where each parameter of a neural baseline lives in its one flat buffer (gradients and Adam's
 * moments at the same offsets). Matrices are row-major and act on row vectors ({@code y = x W},
 * W of shape (in, out)). The table that scores the items ({@link #out}) always starts at offset 0,
 * as the shared scoring layer expects.
 *
 * <pre>
 * STAMP                                  GRU4Rec
 *  E   (n, d)  item embeddings x_i,      O   (n, d)   output table: z_j = h_t . O[j]
 *              also score the items      E   (n, d)   input embeddings
 *  W1  (d, d)  attention, on x_i         Wx  (d, 3d)  input to gates [z | r | candidate]
 *  W2  (d, d)  attention, on x_t         bx  (3d)     gate biases
 *  W3  (d, d)  attention, on m_s         U   (d, 2d)  state to gates [z | r]
 *  ba  (d)     attention bias            Uh  (d, d)   (r * h) to candidate
 *  w0  (d)     attention output
 *  Ws  (d, d), bs (d)   h_s = tanh(m_a Ws + bs)
 *  Wt  (d, d), bt (d)   h_t = tanh(x_t Wt + bt)
 * </pre>
 */
public final class NeuralLayout {
    public final NeuralConfig cfg;
    public final int n, d;
    /** The table that scores the items (offset 0) and the one the inputs are looked up in (the same for STAMP). */
    public final View out, in;
    // STAMP
    public final View W1, W2, W3, ba, w0, Ws, bs, Wt, bt;
    // GRU4Rec
    public final View Wx, bx, U, Uh;
    private final List<View> views;
    private final int total;

    public NeuralLayout(NeuralConfig cfg) {
        this.cfg = cfg;
        this.n = cfg.numItems();
        this.d = cfg.dim();
        List<View> vs = new ArrayList<>();
        int[] off = {0};
        if (cfg.kind() == NeuralKind.STAMP) {
            out = add(vs, off, "E", n, d);
            in = out;
            W1 = add(vs, off, "W1", d, d);
            W2 = add(vs, off, "W2", d, d);
            W3 = add(vs, off, "W3", d, d);
            ba = add(vs, off, "ba", 1, d);
            w0 = add(vs, off, "w0", 1, d);
            Ws = add(vs, off, "Ws", d, d);
            bs = add(vs, off, "bs", 1, d);
            Wt = add(vs, off, "Wt", d, d);
            bt = add(vs, off, "bt", 1, d);
            Wx = bx = U = Uh = null;
        } else {
            out = add(vs, off, "O", n, d);
            in = add(vs, off, "E", n, d);
            Wx = add(vs, off, "Wx", d, 3L * d);
            bx = add(vs, off, "bx", 1, 3L * d);
            U = add(vs, off, "U", d, 2L * d);
            Uh = add(vs, off, "Uh", d, d);
            W1 = W2 = W3 = ba = w0 = Ws = bs = Wt = bt = null;
        }
        views = Collections.unmodifiableList(vs);
        total = off[0];
    }

    private static View add(List<View> vs, int[] off, String name, long rows, long cols) {
        long end = off[0] + rows * cols;
        if (end > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("the model's parameters (" + end + " floats) do not fit one Java array: lower --dim");
        }
        View v = new View(name, off[0], (int) rows, (int) cols);
        vs.add(v);
        off[0] = (int) end;
        return v;
    }

    public int total() {
        return total;
    }

    /** First offset after the item tables: the dense block. */
    public int denseStart() {
        return cfg.kind() == NeuralKind.STAMP ? W1.offset() : Wx.offset();
    }

    public List<View> views() {
        return views;
    }

    /** Whether entry {@code i} is in row 0 (padding) of an item table: held at zero. */
    public boolean pinned(int i) {
        return (i >= out.offset() && i < out.offset() + d) || (i >= in.offset() && i < in.offset() + d);
    }

    /** Whether the view is an item table. */
    public boolean isTable(View v) {
        return v == out || v == in;
    }

    /** Whether the view is a bias (STAMP's biases start at zero). */
    public boolean isBias(View v) {
        return v.name().startsWith("b");
    }
}
