package org.lgsr.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where each parameter lives in the ONE flat float buffer (and, at the same offsets, in the
 * gradient and Adam m, v buffers). The CUDA engine mirrors this layout exactly. All matrices
 * are row-major and act on row vectors: {@code y = x W} with W of shape (in, out).
 *
 * <pre>
 * order  name   shape             meaning (MODEL.md section 2)
 *  0     E      (n, d)            item embeddings, row 0 = padding, kept 0
 *  1     P      (maxLen+1, d)     position embeddings, row 0 = padding, kept 0
 *  2     Wq     (d, d)            attention query
 *  3     Wk     (d, d)            attention key
 *  4     Wv     (d, d)            attention value
 *  5     ln1_g  (d)               LayerNorm after attention: gamma (init 1)
 *  6     ln1_b  (d)               ... beta (init 0)
 *  7     W1     (d, d)            feed-forward layer 1
 *  8     b1     (d)
 *  9     W2     (d, d)            feed-forward layer 2
 * 10     b2     (d)
 * 11     ln2_g  (d)               LayerNorm after feed-forward: gamma (init 1)
 * 12     ln2_b  (d)               ... beta (init 0)
 * 13     Wa1    (d, d)            aggregation W_1 (applied to f_t)        LGSR-C only
 * 14     Wa2    (d, d)            aggregation W_2 (applied to each f_i)   LGSR-C only
 * 15     q      (d)               aggregation q                           LGSR-C only
 * 16     W3     (2d, d) | (d, d)  s_f = [s_c ; s_l] W3 (LGSR-C) or f_t W3 (LGSR-A)
 * </pre>
 * Offsets are consecutive in this order with no padding: E starts at 0, so everything after
 * {@link #denseStart()} is the small dense block (P is scattered into, like E).
 */
public final class ParamLayout {
    /** One named view: {@code buffer[offset + r * cols + c]}; a vector has rows 1. */
    public record View(String name, int offset, int rows, int cols) {
        public int size() {
            return rows * cols;
        }

        public int end() {
            return offset + rows * cols;
        }
    }

    public final int n, d, maxLen;
    public final Variant variant;
    public final View E, P, Wq, Wk, Wv, ln1g, ln1b, W1, b1, W2, b2, ln2g, ln2b, Wa1, Wa2, q, W3;
    private final List<View> views;
    private final int total;

    public ParamLayout(ModelConfig cfg) {
        this.n = cfg.numItems();
        this.d = cfg.dim();
        this.maxLen = cfg.maxLen();
        this.variant = cfg.variant();
        List<View> vs = new ArrayList<>();
        int[] off = {0};
        E = add(vs, off, "E", n, d);
        P = add(vs, off, "P", maxLen + 1, d);
        Wq = add(vs, off, "Wq", d, d);
        Wk = add(vs, off, "Wk", d, d);
        Wv = add(vs, off, "Wv", d, d);
        ln1g = add(vs, off, "ln1_g", 1, d);
        ln1b = add(vs, off, "ln1_b", 1, d);
        W1 = add(vs, off, "W1", d, d);
        b1 = add(vs, off, "b1", 1, d);
        W2 = add(vs, off, "W2", d, d);
        b2 = add(vs, off, "b2", 1, d);
        ln2g = add(vs, off, "ln2_g", 1, d);
        ln2b = add(vs, off, "ln2_b", 1, d);
        if (variant == Variant.LGSR_C) {
            Wa1 = add(vs, off, "Wa1", d, d);
            Wa2 = add(vs, off, "Wa2", d, d);
            q = add(vs, off, "q", 1, d);
        } else {
            Wa1 = null;
            Wa2 = null;
            q = null;
        }
        W3 = add(vs, off, "W3", variant.catDim(d), d);
        views = Collections.unmodifiableList(vs);
        total = off[0];
    }

    private static View add(List<View> vs, int[] off, String name, long rows, int cols) {
        long end = off[0] + rows * cols;
        if (end > Integer.MAX_VALUE - 16) {
            if (name.equals("E")) {
                throw new IllegalArgumentException("the item table E needs " + rows + " x " + cols + " floats, more than one Java array holds: the largest item id ("
                        + (rows - 1) + ") is too large; renumber the items 1..n (lgsr preprocess does) or lower --dim");
            }
            throw new IllegalArgumentException("the model's " + end + " parameters do not fit one Java array (2^31 - 16): lower --dim");
        }
        View v = new View(name, off[0], (int) rows, cols);
        vs.add(v);
        off[0] = (int) end;
        return v;
    }

    /** Number of floats in the parameter buffer. */
    public int total() {
        return total;
    }

    /** First offset after E and P: the dense block [Wq .. W3]. */
    public int denseStart() {
        return Wq.offset();
    }

    public List<View> views() {
        return views;
    }

    public View view(String name) {
        for (View v : views) if (v.name().equals(name)) return v;
        throw new IllegalArgumentException("no parameter named " + name + " in " + variant);
    }

    /** Whether the view is a LayerNorm gamma (initialized to 1) or beta (initialized to 0). */
    static boolean isGamma(View v) {
        return v.name().endsWith("_g");
    }

    static boolean isBeta(View v) {
        return v.name().endsWith("_b") && v.name().startsWith("ln");
    }
}
