package org.lgsr.model.neural;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.lgsr.model.ParamLayout.View;

/**
 * Where each parameter of a neural baseline lives in its one flat buffer (gradients and Adam's
 * moments at the same offsets). Matrices are row-major and act on row vectors ({@code y = x W},
 * W of shape (in, out)). The table that scores the items ({@link #out}) always starts at offset 0,
 * as the shared scoring layer expects; the item tables come first, the dense block after them.
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
 *  Ws  (d, d), bs (d)   h_s = tanh(m_a Ws + bs)     GRU4Rec's code form (gru4rec-code)
 *  Wt  (d, d), bt (d)   h_t = tanh(x_t Wt + bt)      O   (n, d)   output table
 *                                                     E   (n, 3h)  the one-hot input's rows: [z | r | candidate]
 *                                                     bO  (n, 1)   output bias
 *                                                     bx, U, Uh    as above (no Wx)
 *
 * NARM (d embedding, h hidden)           SR-GNN
 *  E   (n, d)  inputs and scores          E    (n, d)  node embeddings, also score the items
 *  Wx  (d, 3h), bx (3h), U (h, 2h),       Win  (d, d), bin (d)    edge-in projection
 *  Uh  (h, h)  the GRU, as GRU4Rec's      Wout (d, d), bout (d)   edge-out projection
 *  A1  (h, h)  attention, on h_t          biah (d), boah (d)      biases after the adjacency products
 *  A2  (h, h)  attention, on h_j          Wih  (2d, 3d), bih (3d) [in | out] to gates [r | i | n]
 *  va  (h)     attention output           Whh  (d, 3d),  bhh (3d) node state to gates [r | i | n]
 *  WB  (2h, d) bilinear decoder:          Q1 (d, d), bq1 (d)      readout attention, on the last item
 *              s = [h_t | c_l] WB         Q2 (d, d), bq2 (d)      readout attention, on every item
 *                                         q3 (d)                  readout attention output
 *                                         W3 (2d, d), b3 (d)      s = [s_g | s_l] W3 + b3
 * </pre>
 */
public final class NeuralLayout {
    public final NeuralConfig cfg;
    public final int n, d, h;
    /** The table that scores the items (offset 0) and the one the inputs are looked up in (the same except for GRU4Rec). */
    public final View out, in;
    /** GRU4Rec's code form: the output bias, one entry per item (an item table of width 1); null otherwise. */
    public final View outBias;
    // STAMP
    public final View W1, W2, W3, ba, w0, Ws, bs, Wt, bt;
    // GRU4Rec and NARM's GRU
    public final View Wx, bx, U, Uh;
    // NARM
    public final View A1, A2, va, WB;
    // SR-GNN
    public final View Win, bin, Wout, bout, biah, boah, Wih, bih, Whh, bhh, Q1, bq1, Q2, bq2, q3, Wr, br;
    private final List<View> views;
    private final int total, denseStart;

    public NeuralLayout(NeuralConfig cfg) {
        this.cfg = cfg;
        this.n = cfg.numItems();
        this.d = cfg.dim();
        this.h = cfg.hidden();
        List<View> vs = new ArrayList<>();
        int[] off = {0};
        NeuralKind k = cfg.kind();
        boolean stamp = k == NeuralKind.STAMP, gru4rec = k == NeuralKind.GRU4REC, narm = k == NeuralKind.NARM, srgnn = k == NeuralKind.SRGNN;
        boolean gruCode = cfg.gru4recCode();
        out = add(vs, off, gru4rec ? "O" : "E", n, d);
        in = gru4rec ? add(vs, off, "E", n, gruCode ? 3L * h : d) : out;
        outBias = gruCode ? add(vs, off, "bO", n, 1) : null;
        denseStart = off[0];
        W1 = stamp ? add(vs, off, "W1", d, d) : null;
        W2 = stamp ? add(vs, off, "W2", d, d) : null;
        W3 = stamp ? add(vs, off, "W3", d, d) : null;
        ba = stamp ? add(vs, off, "ba", 1, d) : null;
        w0 = stamp ? add(vs, off, "w0", 1, d) : null;
        Ws = stamp ? add(vs, off, "Ws", d, d) : null;
        bs = stamp ? add(vs, off, "bs", 1, d) : null;
        Wt = stamp ? add(vs, off, "Wt", d, d) : null;
        bt = stamp ? add(vs, off, "bt", 1, d) : null;
        boolean gru = gru4rec || narm;
        Wx = gru && !gruCode ? add(vs, off, "Wx", d, 3L * h) : null;
        bx = gru ? add(vs, off, "bx", 1, 3L * h) : null;
        U = gru ? add(vs, off, "U", h, 2L * h) : null;
        Uh = gru ? add(vs, off, "Uh", h, h) : null;
        A1 = narm ? add(vs, off, "A1", h, h) : null;
        A2 = narm ? add(vs, off, "A2", h, h) : null;
        va = narm ? add(vs, off, "va", 1, h) : null;
        WB = narm ? add(vs, off, "WB", 2L * h, d) : null;
        Win = srgnn ? add(vs, off, "Win", d, d) : null;
        bin = srgnn ? add(vs, off, "bin", 1, d) : null;
        Wout = srgnn ? add(vs, off, "Wout", d, d) : null;
        bout = srgnn ? add(vs, off, "bout", 1, d) : null;
        biah = srgnn ? add(vs, off, "biah", 1, d) : null;
        boah = srgnn ? add(vs, off, "boah", 1, d) : null;
        Wih = srgnn ? add(vs, off, "Wih", 2L * d, 3L * d) : null;
        bih = srgnn ? add(vs, off, "bih", 1, 3L * d) : null;
        Whh = srgnn ? add(vs, off, "Whh", d, 3L * d) : null;
        bhh = srgnn ? add(vs, off, "bhh", 1, 3L * d) : null;
        Q1 = srgnn ? add(vs, off, "Q1", d, d) : null;
        bq1 = srgnn ? add(vs, off, "bq1", 1, d) : null;
        Q2 = srgnn ? add(vs, off, "Q2", d, d) : null;
        bq2 = srgnn ? add(vs, off, "bq2", 1, d) : null;
        q3 = srgnn ? add(vs, off, "q3", 1, d) : null;
        Wr = srgnn ? add(vs, off, "W3", 2L * d, d) : null;
        br = srgnn ? add(vs, off, "b3", 1, d) : null;
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
        return denseStart;
    }

    public List<View> views() {
        return views;
    }

    /** Whether entry {@code i} is in row 0 (padding) of an item table: held at zero. */
    public boolean pinned(int i) {
        return (i >= out.offset() && i < out.offset() + d) || (i >= in.offset() && i < in.offset() + in.cols())
                || (outBias != null && i == outBias.offset());
    }

    /** Whether the view is an item table (one row per item). */
    public boolean isTable(View v) {
        return v == out || v == in || v == outBias;
    }

    /** Whether the view is a bias (STAMP's biases start at zero). */
    public boolean isBias(View v) {
        return v.name().startsWith("b");
    }
}
