package org.lgsr.graph;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.lgsr.model.cpu.Vec;
import org.lgsr.util.Parallel;

/**
 * The Vector API body of {@link NceLoss} (used only when {@code Simd.available()}, d and S at
 * least one vector wide). With V (n, d) the gathered input rows and W (S, d) the sampled theta
 * rows (W^T packed as (d, S)):
 * <pre>
 *   per block of ROWS rows (a task):  gather V rows; G = V . W^T + (bias - logQ)  (gemm, k = 0..d-1)
 *                                     fused pass: loss, G = dloss/dlogit (vector exp, log1p, sigmoid)
 *                                     dV = gTrue theta[label] + G . W            (gemm, k = 0..S-1)
 *   per (block of S columns, block of d rows) (a task):
 *                                     dW^T (d, S) = V^T . G, summed over rows i = 0..n-1 in
 *                                     blocks of NB rows, each block accumulated in order
 *   per block of S columns:           dbias = column sums of G, rows in order
 * </pre>
 * Every output element has one writer and one summation order, so the result does not depend
 * on the thread count. Only IEEE operations (no SVML), so interpreted and compiled code agree.
 */
final class NceLossVec {
    private static final VectorSpecies<Float> FS = Vec.SPECIES;
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, FS.vectorShape());
    private static final int L = FS.length();
    /** Rows per task of the row pass (a multiple of the gemm's 3-row tile). */
    static final int ROWS = 96;
    /** Rows per accumulation block of dW (keeps the V and G blocks in L2). */
    static final int NB = 256;
    /** Sampled columns per dW task. */
    static final int KC = 64;
    /** d rows per dW task (a multiple of 3). */
    static final int JC = 51;

    private NceLossVec() {
    }

    /** True when the vector body can run these widths. */
    static boolean fits(int d, int s) {
        return d >= L && s >= L;
    }

    /**
     * Fills {@code g} (n, S) with dloss/ds_ik, {@code gTrue}, {@code dv} (n, d), {@code dwt}
     * (d, S), {@code dsb} (S) and {@code rowLoss}; {@code w}, {@code wt}, {@code sb} are
     * already packed. {@code v} receives the gathered input rows.
     */
    static void run(int d, float[] e, int eOff, float[] theta, float[] bias, int[] inputs, int[] labels, float[] trueLogQ,
                    int n, int[] sampled, int s, boolean remove, float[] v, float[] w, float[] wt, float[] sb, float[] g,
                    float[] gTrue, float[] dv, float[] dwt, float[] dsb, double[] rowLoss, Parallel par) {
        final float invN = 1.0f / n;
        par.forEach((n + ROWS - 1) / ROWS, task -> {
            int i0 = task * ROWS, i1 = Math.min(n, i0 + ROWS), m = i1 - i0;
            for (int i = i0; i < i1; i++) System.arraycopy(e, eOff + inputs[i] * d, v, i * d, d);
            Vec.gemm(m, d, s, v, i0 * d, d, 1, wt, 0, s, g, i0 * s, s, 1, sb, 0);
            float[] lanes = new float[L];
            for (int i = i0; i < i1; i++) {
                int lab = labels[i], vo = i * d, to = lab * d;
                float t = bias[lab] - trueLogQ[i];
                for (int j = 0; j < d; j++) t = Math.fma(v[vo + j], theta[to + j], t);
                double et = Math.exp(-Math.abs(t));
                double loss = Math.max(-t, 0) + Math.log1p(et);
                float gt = (float) (((t >= 0 ? 1.0 : et) / (1.0 + et)) - 1.0) * invN;
                gTrue[i] = gt;
                fusedRow(g, i * s, s, sampled, lab, remove, invN, lanes);
                for (int l = 0; l < L; l++) loss += lanes[l];
                rowLoss[i] = loss;
                for (int j = 0; j < d; j++) dv[vo + j] = gt * theta[to + j];
            }
            Vec.gemm(m, s, d, g, i0 * s, s, 1, w, 0, d, dv, i0 * d, d, 2, null, 0);
        });
        // dW^T and dbias: column blocks of S (the last one absorbs a remainder under a vector)
        int kBlocks = s / KC;
        if (kBlocks == 0 || s - kBlocks * KC >= L) kBlocks++; // else the last block takes the remainder
        final int kb = kBlocks;
        int jBlocks = (d + JC - 1) / JC;
        par.forEach(kb * jBlocks, task -> {
            int kc = task / jBlocks, jc = task % jBlocks;
            int k0 = kc * KC, k1 = kc == kb - 1 ? s : k0 + KC;
            int j0 = jc * JC, j1 = Math.min(d, j0 + JC);
            for (int ib = 0; ib < n; ib += NB) {
                int ie = Math.min(n, ib + NB);
                Vec.gemm(j1 - j0, ie - ib, k1 - k0, v, ib * d + j0, 1, d, g, ib * s + k0, s, dwt, j0 * s + k0, s,
                        ib == 0 ? 0 : 2, null, 0);
            }
            if (jc == 0) {
                java.util.Arrays.fill(dsb, k0, k1, 0f);
                for (int i = 0; i < n; i++) {
                    int go = i * s;
                    for (int k = k0; k < k1; k++) dsb[k] += g[go + k];
                }
            }
        });
    }

    /**
     * Row {@code go} of G from logits to dloss/dlogit (sigmoid(x) / n, zero for removed hits);
     * {@code lanes} receives the per-lane sums of softplus(x) = max(x, 0) + log1p(e^-|x|), where
     * one exp serves both: u = e^-|x|, sigmoid(x) = (x >= 0 ? 1 : u) / (1 + u).
     */
    private static void fusedRow(float[] g, int go, int s, int[] sampled, int lab, boolean remove, float invN,
                                 float[] lanes) {
        FloatVector acc = FloatVector.zero(FS);
        FloatVector zero = FloatVector.zero(FS);
        IntVector labV = IntVector.broadcast(IS, lab);
        int k = 0;
        for (; k + L <= s; k += L) {
            FloatVector x = FloatVector.fromArray(FS, g, go + k);
            FloatVector u = Vec.exp(x.abs().neg());
            FloatVector num = u.blend(1f, x.compare(VectorOperators.GE, 0f));
            FloatVector grad = num.div(u.add(1f)).mul(invN);
            FloatVector sp = x.max(0f).add(log1p01(u));
            if (remove) {
                VectorMask<Float> keep = IntVector.fromArray(IS, sampled, k).compare(VectorOperators.NE, labV).cast(FS);
                acc = acc.add(sp, keep);
                zero.blend(grad, keep).intoArray(g, go + k);
            } else {
                acc = acc.add(sp);
                grad.intoArray(g, go + k);
            }
        }
        if (k < s) {
            VectorMask<Float> in = FS.indexInRange(k, s);
            FloatVector x = FloatVector.fromArray(FS, g, go + k, in);
            FloatVector u = Vec.exp(x.abs().neg());
            FloatVector num = u.blend(1f, x.compare(VectorOperators.GE, 0f));
            FloatVector grad = num.div(u.add(1f)).mul(invN);
            FloatVector sp = x.max(0f).add(log1p01(u));
            VectorMask<Float> keep = in;
            if (remove) {
                keep = keep.and(IntVector.fromArray(IS, sampled, k, in.cast(IS)).compare(VectorOperators.NE, labV).cast(FS));
            }
            acc = acc.add(sp, keep);
            zero.blend(grad, keep).intoArray(g, go + k, in);
        }
        acc.intoArray(lanes, 0);
    }

    /**
     * log(1 + u) for u in [0, 1]: 2 atanh(z) with z = u / (2 + u) in [0, 1/3], the odd series
     * to z^13 (truncation below 2e-8 relative at u = 1, exact to rounding for small u).
     */
    static FloatVector log1p01(FloatVector u) {
        FloatVector z = u.div(u.add(2f));
        FloatVector z2 = z.mul(z);
        FloatVector p = z2.fma(1f / 13f, 1f / 11f);
        p = p.fma(z2, FloatVector.broadcast(FS, 1f / 9f));
        p = p.fma(z2, FloatVector.broadcast(FS, 1f / 7f));
        p = p.fma(z2, FloatVector.broadcast(FS, 1f / 5f));
        p = p.fma(z2, FloatVector.broadcast(FS, 1f / 3f));
        p = p.fma(z2, FloatVector.broadcast(FS, 1f));
        return z.add(z).mul(p);
    }
}
