package org.lgsr.graph;

import org.lgsr.cpu.Adam;
import org.lgsr.util.Parallel;

/**
 * An {@link EmbeddingStep} that moves an E table of (numItems, d) floats, at an offset in a
 * caller's array, with its own TF Adam ({@link Adam}): its own moments and step count, as a
 * separate TF optimizer instance minimizing L_g would. {@link AdamTf.Mode#DENSE} updates every
 * row of E each step, exactly as TF; {@link AdamTf.Mode#LAZY} only the rows the batch touched.
 */
public final class EmbeddingAdam implements EmbeddingStep, AutoCloseable {
    private final float[] e;
    private final int eOff;
    private final float[] eGrad;
    private final int eGradOff;
    private final int numItems;
    private final int d;
    private final AdamTf.Mode mode;
    private final float[] m;
    private final float[] v;
    private final Parallel par;
    private long t;
    private double lr;

    public EmbeddingAdam(float[] e, int eOff, float[] eGrad, int eGradOff, int numItems, int d, AdamTf.Mode mode,
                         double lr, int threads) {
        this.e = e;
        this.eOff = eOff;
        this.eGrad = eGrad;
        this.eGradOff = eGradOff;
        this.numItems = numItems;
        this.d = d;
        this.mode = mode;
        this.m = new float[numItems * d];
        this.v = new float[numItems * d];
        this.par = new Parallel(threads);
        this.lr = lr;
    }

    public void setLearningRate(double lr) {
        this.lr = lr;
    }

    public long steps() {
        return t;
    }

    /** The first moment, live (for checkpoints). */
    public float[] m() {
        return m;
    }

    /** The second moment, live (for checkpoints). */
    public float[] v() {
        return v;
    }

    /** Puts back the moments and the step count of a checkpoint. */
    public void restore(float[] m, float[] v, long t) {
        System.arraycopy(m, 0, this.m, 0, this.m.length);
        System.arraycopy(v, 0, this.v, 0, this.v.length);
        this.t = t;
    }

    @Override
    public void apply(int[] rows, int count) {
        t++;
        float lrT = Adam.learningRate(lr, Adam.DEFAULT_BETA1, Adam.DEFAULT_BETA2, t);
        if (mode == AdamTf.Mode.LAZY) {
            Adam.rows(e, eOff, eGrad, eGradOff, m, v, 0, d, rows, count, lrT, Adam.DEFAULT_BETA1, Adam.DEFAULT_BETA2, Adam.DEFAULT_EPSILON);
        } else {
            Adam.adam(par, e, eOff, eGrad, eGradOff, m, v, 0, numItems * d, lrT, Adam.DEFAULT_BETA1, Adam.DEFAULT_BETA2,
                    Adam.DEFAULT_EPSILON);
        }
    }

    @Override
    public void close() {
        par.close();
    }
}
