package org.lgsr.model;

import java.util.Arrays;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;

/**
 * The attention weights a trained model gives one session (paper Figures 7 and 8), read from
 * the float64 {@link ReferenceModel}'s forward pass with dropout off: the same parameters
 * (laid out by {@link ParamLayout}), the same h (hard sigmoid or sigmoid, from the
 * {@link ModelConfig}), the same left-aligned input and position indices as the engines that
 * score sessions. Nothing here changes a number of the model; it only keeps what the pass
 * computes on the way.
 *
 * <p>For a session of t items (its last {@code maxLen}, oldest first, the part the model
 * reads):
 * <pre>
 *  selfAttention (t, t)  A of the whole session: row i = query position i, column j = key
 *                        position j; 0 above the diagonal (keys after the query are masked)
 *  aggregation   (t, t)  row k = alpha of the prefix items[0..k] (the prediction made after
 *                        item k), over its k+1 positions; 0 after column k. Null for LGSR-A.
 *  last                  the whole session's {@link ReferenceModel.Trace} (F, s_f, alpha)
 * </pre>
 * Not thread-safe; one instance holds a float64 copy of the parameters.
 */
public final class SessionAttention {
    private final ModelConfig cfg;
    private final ReferenceModel ref;
    private final double[] th;
    private final Batch batch;

    /** The weights of {@code cfg}'s model with parameters {@code params} (a checkpoint's). */
    public SessionAttention(ModelConfig cfg, float[] params) {
        int want = new ParamLayout(cfg).total();
        if (params.length != want) throw new IllegalArgumentException(params.length + " parameters for a model of " + want);
        this.cfg = cfg;
        this.ref = new ReferenceModel(cfg);
        this.th = new double[params.length];
        for (int i = 0; i < params.length; i++) th[i] = params[i];
        this.batch = new Batch(1, cfg.maxLen());
    }

    /** The weights of one session (see the class comment); {@code items} is what the model read. */
    public record Maps(int[] items, double[][] selfAttention, double[][] aggregation, ReferenceModel.Trace last) {
        public int length() {
            return items.length;
        }
    }

    /**
     * The maps of {@code session} (item ids in 1..n-1, oldest first); a session longer than the
     * model's max_len is cut to its last max_len items first, as the model cuts its input.
     */
    public Maps of(int[] session) {
        if (session.length == 0) throw new IllegalArgumentException("an empty session");
        int t = Math.min(session.length, cfg.maxLen());
        int[] items = Arrays.copyOfRange(session, session.length - t, session.length);
        ReferenceModel.Trace whole = trace(items);
        double[][] agg = null;
        if (cfg.variant() == Variant.LGSR_C) {
            agg = new double[t][t];
            for (int k = 0; k < t; k++) {
                double[] alpha = k == t - 1 ? whole.aggregation() : trace(Arrays.copyOf(items, k + 1)).aggregation();
                System.arraycopy(alpha, 0, agg[k], 0, k + 1);
            }
        }
        return new Maps(items, whole.selfAttention(), agg, whole);
    }

    private ReferenceModel.Trace trace(int[] items) {
        batch.fill(new Samples(new Sessions(new int[] {0, items.length}, items), new int[] {1}), null, 0, 1);
        batch.check(cfg.numItems());
        return ref.trace(th, batch, 0);
    }
}
