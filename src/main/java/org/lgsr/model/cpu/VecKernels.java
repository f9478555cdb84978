package org.lgsr.model.cpu;

import org.lgsr.util.Parallel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The scoring layer with the Vector API: register-blocked SGEMM micro-kernels (FloatVector.fma)
 * and a fused softmax cross-entropy. Only {@link Simd} decides whether this class is used, so a
 * JVM without {@code jdk.incubator.vector} never loads it.
 *
 * <p>Items are grouped in panels of {@link #P} = 3 vectors; E transposed is packed per panel,
 * {@code etp[p][k][P]}, so every load of the score kernel is contiguous. The training step
 * works in two passes over fixed chunks of panels ({@link CpuModel#CHUNKS}, independent of the
 * thread count):
 * <pre>
 *   pass A (per chunk): z block = sf . ETp (a 4 x 3-vector tile of accumulators over k = 0..d-1),
 *           then per row an online softmax: running max m, lane sums of exp(z - m), rescaled when
 *           m grows; the exps are kept (panel-major) together with the m they used
 *   merge (per row): global max M, sum S = sum over chunks in chunk order
 *   pass B (per chunk and panel): dz = exp * exp(m - M) / (S B) - onehot / B (a (B, P) block), then
 *           dE rows of the panel = (sf^T dz)^T   (4 x 3-vector tiles, reduction b = 0..B-1)
 *           dsf partial of the chunk += dz . E   (4 rows x 4 vectors of d, j in panel order)
 *   dsf = sum of the chunk partials in chunk order
 * </pre>
 * Every output element is summed in one fixed order whatever the thread count. Only IEEE
 * operations are used (fma, add, mul, max, bit moves; no SVML transcendental and no lane
 * reduction of sums), so interpreted and compiled runs give the same bits.
 */
final class VecKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Items per panel. */
    static final int P = 3 * L;

    private VecKernels() {
    }

    /** Lanes when the kernels work here (a tiny self-check), else 0. */
    static int probe() {
        if (L < 4) return 0;
        float[] a = new float[L], b = new float[L], c = new float[L];
        for (int i = 0; i < L; i++) {
            a[i] = i;
            b[i] = 2;
            c[i] = 1;
        }
        FloatVector.fromArray(S, a, 0).fma(FloatVector.fromArray(S, b, 0), FloatVector.fromArray(S, c, 0)).intoArray(c, 0);
        for (int i = 0; i < L; i++) if (c[i] != 2 * i + 1) return 0;
        return L;
    }

    private static final int TMP_ROWS = 8;

    static int panels(int n) {
        return (n + P - 1) / P;
    }

    // ------------------------------------------------------------------ exp

    private static final float EXP_LO = -87.3f, LOG2E = 1.44269504088896341f, MAGIC = 12582912f;
    private static final float C1 = 0.693359375f, C2 = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /** exp(x) for x <= ~88 (x below -87.3 gives ~1e-38), a few ulp (Cephes expf polynomial). */
    static FloatVector exp(FloatVector x) {
        x = x.max(EXP_LO);
        FloatVector tm = x.mul(LOG2E).add(MAGIC);           // round(x log2 e) in the low mantissa bits
        FloatVector nf = tm.sub(MAGIC);
        FloatVector r = x.sub(nf.mul(C1)).sub(nf.mul(C2));
        FloatVector p = r.fma(FloatVector.broadcast(S, P0), FloatVector.broadcast(S, P1));
        p = p.fma(r, FloatVector.broadcast(S, P2));
        p = p.fma(r, FloatVector.broadcast(S, P3));
        p = p.fma(r, FloatVector.broadcast(S, P4));
        p = p.fma(r, FloatVector.broadcast(S, P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) tm.reinterpretAsInts()).sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23);
        return y.mul((FloatVector) bits.reinterpretAsFloats());
    }

    /** The scalar twin of {@link #exp(FloatVector)} (same bits). */
    static float exp(float x) {
        x = Math.max(x, EXP_LO);
        float tm = x * LOG2E + MAGIC;
        float nf = tm - MAGIC;
        float r = x - nf * C1 - nf * C2;
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat((Float.floatToRawIntBits(tm) - (0x4B400000 - 127)) << 23);
    }

    // ------------------------------------------------------------------ packing

    /** etp[p][k][P] = E[p P + i][k] for items below n, zero beyond; E (n, d) at offset 0 of e. */
    static void pack(float[] e, int n, int d, float[] etp, Parallel par) {
        int np = panels(n);
        par.forEach(np, p -> {
            int base = p * d * P, j0 = p * P, cnt = Math.min(P, n - j0);
            for (int i = 0; i < cnt; i++) {
                int eo = (j0 + i) * d;
                for (int k = 0; k < d; k++) etp[base + k * P + i] = e[eo + k];
            }
            for (int k = 0; k < d; k++) for (int i = cnt; i < P; i++) etp[base + k * P + i] = 0f;
        });
    }

    // ------------------------------------------------------------------ z = sf . ET

    /** dst[o + r ds + (0..P)] = sf row (b0 + r) . panel at eo, r = 0..3; sum over k = 0..d-1. */
    private static void scoreTile4(float[] sf, int so, int d, float[] etp, int eo, float[] dst, int o, int ds) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
        final int s1 = so + d, s2 = s1 + d, s3 = s2 + d;
        for (int k = 0, ek = eo; k < d; k++, ek += P) {
            FloatVector e0 = FloatVector.fromArray(S, etp, ek);
            FloatVector e1 = FloatVector.fromArray(S, etp, ek + L);
            FloatVector e2 = FloatVector.fromArray(S, etp, ek + 2 * L);
            FloatVector s = FloatVector.broadcast(S, sf[so + k]);
            c00 = e0.fma(s, c00);
            c01 = e1.fma(s, c01);
            c02 = e2.fma(s, c02);
            s = FloatVector.broadcast(S, sf[s1 + k]);
            c10 = e0.fma(s, c10);
            c11 = e1.fma(s, c11);
            c12 = e2.fma(s, c12);
            s = FloatVector.broadcast(S, sf[s2 + k]);
            c20 = e0.fma(s, c20);
            c21 = e1.fma(s, c21);
            c22 = e2.fma(s, c22);
            s = FloatVector.broadcast(S, sf[s3 + k]);
            c30 = e0.fma(s, c30);
            c31 = e1.fma(s, c31);
            c32 = e2.fma(s, c32);
        }
        c00.intoArray(dst, o);
        c01.intoArray(dst, o + L);
        c02.intoArray(dst, o + 2 * L);
        o += ds;
        c10.intoArray(dst, o);
        c11.intoArray(dst, o + L);
        c12.intoArray(dst, o + 2 * L);
        o += ds;
        c20.intoArray(dst, o);
        c21.intoArray(dst, o + L);
        c22.intoArray(dst, o + 2 * L);
        o += ds;
        c30.intoArray(dst, o);
        c31.intoArray(dst, o + L);
        c32.intoArray(dst, o + 2 * L);
    }

    /** dst[o + r ds + (0..P)] = sf row (r) . panel at eo, r = 0..7; sum over k = 0..d-1. */
    private static void scoreTile8(float[] sf, int so, int d, float[] etp, int eo, float[] dst, int o, int ds) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S), c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c42 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S), c52 = FloatVector.zero(S), c60 = FloatVector.zero(S), c61 = FloatVector.zero(S), c62 = FloatVector.zero(S), c70 = FloatVector.zero(S), c71 = FloatVector.zero(S), c72 = FloatVector.zero(S);
        for (int k = 0; k < d; k++) {
            int ek = eo + k * P, sk = so + k;
            FloatVector e0 = FloatVector.fromArray(S, etp, ek);
            FloatVector e1 = FloatVector.fromArray(S, etp, ek + L);
            FloatVector e2 = FloatVector.fromArray(S, etp, ek + 2 * L);
            FloatVector s;
            s = FloatVector.broadcast(S, sf[sk + 0 * d]);
            c00 = e0.fma(s, c00);
            c01 = e1.fma(s, c01);
            c02 = e2.fma(s, c02);
            s = FloatVector.broadcast(S, sf[sk + 1 * d]);
            c10 = e0.fma(s, c10);
            c11 = e1.fma(s, c11);
            c12 = e2.fma(s, c12);
            s = FloatVector.broadcast(S, sf[sk + 2 * d]);
            c20 = e0.fma(s, c20);
            c21 = e1.fma(s, c21);
            c22 = e2.fma(s, c22);
            s = FloatVector.broadcast(S, sf[sk + 3 * d]);
            c30 = e0.fma(s, c30);
            c31 = e1.fma(s, c31);
            c32 = e2.fma(s, c32);
            s = FloatVector.broadcast(S, sf[sk + 4 * d]);
            c40 = e0.fma(s, c40);
            c41 = e1.fma(s, c41);
            c42 = e2.fma(s, c42);
            s = FloatVector.broadcast(S, sf[sk + 5 * d]);
            c50 = e0.fma(s, c50);
            c51 = e1.fma(s, c51);
            c52 = e2.fma(s, c52);
            s = FloatVector.broadcast(S, sf[sk + 6 * d]);
            c60 = e0.fma(s, c60);
            c61 = e1.fma(s, c61);
            c62 = e2.fma(s, c62);
            s = FloatVector.broadcast(S, sf[sk + 7 * d]);
            c70 = e0.fma(s, c70);
            c71 = e1.fma(s, c71);
            c72 = e2.fma(s, c72);
        }
        c00.intoArray(dst, o + 0 * ds + 0 * L);
        c01.intoArray(dst, o + 0 * ds + 1 * L);
        c02.intoArray(dst, o + 0 * ds + 2 * L);
        c10.intoArray(dst, o + 1 * ds + 0 * L);
        c11.intoArray(dst, o + 1 * ds + 1 * L);
        c12.intoArray(dst, o + 1 * ds + 2 * L);
        c20.intoArray(dst, o + 2 * ds + 0 * L);
        c21.intoArray(dst, o + 2 * ds + 1 * L);
        c22.intoArray(dst, o + 2 * ds + 2 * L);
        c30.intoArray(dst, o + 3 * ds + 0 * L);
        c31.intoArray(dst, o + 3 * ds + 1 * L);
        c32.intoArray(dst, o + 3 * ds + 2 * L);
        c40.intoArray(dst, o + 4 * ds + 0 * L);
        c41.intoArray(dst, o + 4 * ds + 1 * L);
        c42.intoArray(dst, o + 4 * ds + 2 * L);
        c50.intoArray(dst, o + 5 * ds + 0 * L);
        c51.intoArray(dst, o + 5 * ds + 1 * L);
        c52.intoArray(dst, o + 5 * ds + 2 * L);
        c60.intoArray(dst, o + 6 * ds + 0 * L);
        c61.intoArray(dst, o + 6 * ds + 1 * L);
        c62.intoArray(dst, o + 6 * ds + 2 * L);
        c70.intoArray(dst, o + 7 * ds + 0 * L);
        c71.intoArray(dst, o + 7 * ds + 1 * L);
        c72.intoArray(dst, o + 7 * ds + 2 * L);
    }

    private static void scoreTile1(float[] sf, int so, int d, float[] etp, int eo, float[] dst, int o) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0;
        for (int k = 0, ek = eo; k < d; k++, ek += P) {
            FloatVector s = FloatVector.broadcast(S, sf[so + k]);
            c0 = FloatVector.fromArray(S, etp, ek).fma(s, c0);
            c1 = FloatVector.fromArray(S, etp, ek + L).fma(s, c1);
            c2 = FloatVector.fromArray(S, etp, ek + 2 * L).fma(s, c2);
        }
        c0.intoArray(dst, o);
        c1.intoArray(dst, o + L);
        c2.intoArray(dst, o + 2 * L);
    }

    /** Rows b0..b1-1 of the panel block: dst[o + (b - b0) ds + (0..P)]. */
    private static void panelScores(float[] sf, int b0, int b1, int d, float[] etp, int p, float[] dst, int o, int ds) {
        int eo = p * d * P;
        int b = b0;
        for (; b + 7 < b1; b += 8) scoreTile8(sf, b * d, d, etp, eo, dst, o + (b - b0) * ds, ds);
        for (; b + 3 < b1; b += 4) scoreTile4(sf, b * d, d, etp, eo, dst, o + (b - b0) * ds, ds);
        for (; b < b1; b++) scoreTile1(sf, b * d, d, etp, eo, dst, o + (b - b0) * ds);
    }

    /** z (B, n) = sf (B, d) . E^T from the packed panels. Summation order: k = 0..d-1. */
    static void scores(float[] sf, int B, int d, float[] etp, int n, float[] z, Parallel par) {
        int np = panels(n);
        par.forEach(np, p -> {
            int j0 = p * P;
            if (j0 + P <= n) {
                panelScores(sf, 0, B, d, etp, p, z, j0, n);
            } else {
                float[] tmp = new float[TMP_ROWS * P];
                int cnt = n - j0;
                for (int b0 = 0; b0 < B; b0 += TMP_ROWS) {
                    int b1 = Math.min(B, b0 + TMP_ROWS);
                    panelScores(sf, b0, b1, d, etp, p, tmp, 0, P);
                    for (int b = b0; b < b1; b++) System.arraycopy(tmp, (b - b0) * P, z, b * n + j0, cnt);
                }
            }
        });
    }

    /** z of one item: the same fma chain as the tiles (k = 0..d-1), so the same bits. */
    static float dot(float[] sf, int so, float[] e, int eo, int d) {
        float acc = 0f;
        for (int k = 0; k < d; k++) acc = Math.fma(sf[so + k], e[eo + k], acc);
        return acc;
    }

    // ------------------------------------------------------------------ the fused training step

    /** Buffers of the fused step for a batch capacity, item count and width. */
    static final class Step {
        final int cap, d, n, np, chunks, nv, dvp;
        /** (np, B, P): the exps of pass A. */
        final float[] zp;
        /** (np, B): the running max each panel row's exps used. */
        final float[] mUsed;
        final float[] rowMax, rowScale, zt;
        final float[][] mRun, sumv, dsfC, detBuf, dzBuf;
        final int[] vOff, vSlot;

        Step(int cap, int d, int n, int chunks) {
            this.cap = cap;
            this.d = d;
            this.n = n;
            this.np = panels(n);
            this.chunks = chunks;
            this.nv = (d + L - 1) / L;
            this.dvp = nv * L;
            zp = new float[Math.multiplyExact(np, cap * P)];
            mUsed = new float[np * cap];
            rowMax = new float[cap];
            rowScale = new float[cap];
            zt = new float[cap];
            mRun = new float[chunks][cap];
            sumv = new float[chunks][cap * L];
            dsfC = new float[chunks][cap * dvp];
            detBuf = new float[chunks][d * P];
            dzBuf = new float[chunks][cap * P];
            vOff = new int[nv];
            vSlot = new int[nv];
            for (int v = 0; v < nv; v++) {
                vOff[v] = Math.min(v * L, d - L); // the last vector overlaps its neighbour when L does not divide d
                vSlot[v] = v * L;
            }
        }

        int chunkFrom(int c) {
            return (int) ((long) c * np / chunks);
        }
    }

    /**
     * Scores, softmax cross-entropy over items 1..n-1 (target t_b) and both backward products:
     * writes g[0 .. n d) = dLoss/dE of the score part (the (n, d) layout of E), dsf (B, d), and
     * returns the sum over rows of the cross-entropy. e is E (n, d) at offset 0, etp its panels;
     * ns receives the nanoseconds of pass A and of the merge.
     */
    static double scoreStep(Step st, float[] sf, int B, float[] e, float[] etp, int[] target, float[] g, float[] dsf, Parallel par, long[] ns) {
        long t0 = System.nanoTime();
        final int d = st.d, n = st.n, np = st.np;
        final float[] zp = st.zp;
        // pass A: scores and online softmax per chunk
        par.forEach(st.chunks, c -> {
            float[] mRun = st.mRun[c], sumv = st.sumv[c];
            java.util.Arrays.fill(mRun, 0, B, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(sumv, 0, B * L, 0f);
            for (int p = st.chunkFrom(c); p < st.chunkFrom(c + 1); p++) {
                int zo = p * B * P;
                int j0 = p * P, cnt = Math.min(P, n - j0);
                for (int b0 = 0; b0 < B; b0 += 8) {
                    int b1 = Math.min(B, b0 + 8);
                    panelScores(sf, b0, b1, d, etp, p, zp, zo + b0 * P, P);
                    for (int b = b0; b < b1; b++) {
                        int o = zo + b * P;
                        if (p == 0) zp[o] = Float.NEGATIVE_INFINITY;          // item 0 is never a candidate
                        for (int i = cnt; i < P; i++) zp[o + i] = Float.NEGATIVE_INFINITY;
                        FloatVector v0 = FloatVector.fromArray(S, zp, o);
                        FloatVector v1 = FloatVector.fromArray(S, zp, o + L);
                        FloatVector v2 = FloatVector.fromArray(S, zp, o + 2 * L);
                        float pm = v0.max(v1).max(v2).reduceLanes(VectorOperators.MAX);
                        float m = mRun[b];
                        FloatVector s = FloatVector.fromArray(S, sumv, b * L);
                        if (pm > m) {
                            s = s.mul(exp(m - pm));
                            m = pm;
                            mRun[b] = m;
                        }
                        FloatVector e0 = exp(v0.sub(m)), e1 = exp(v1.sub(m)), e2 = exp(v2.sub(m));
                        s.add(e0).add(e1).add(e2).intoArray(sumv, b * L);
                        e0.intoArray(zp, o);
                        e1.intoArray(zp, o + L);
                        e2.intoArray(zp, o + 2 * L);
                        st.mUsed[p * B + b] = m;
                    }
                }
            }
        });
        long t1 = System.nanoTime();
        // merge the chunks per row, in chunk order
        double loss = 0;
        for (int b = 0; b < B; b++) {
            float M = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < st.chunks; c++) M = Math.max(M, st.mRun[c][b]);
            double sum = 0;
            for (int c = 0; c < st.chunks; c++) {
                float m = st.mRun[c][b];
                if (m == Float.NEGATIVE_INFINITY) continue;
                float ls = 0f;
                for (int l = 0; l < L; l++) ls += st.sumv[c][b * L + l];
                sum += (double) ls * exp(m - M);
            }
            st.rowMax[b] = M;
            st.rowScale[b] = (float) (1.0 / (sum * B));
            st.zt[b] = dot(sf, b * d, e, target[b] * d, d);
            loss += Math.log(sum) + M - st.zt[b];
        }
        long t2 = System.nanoTime();
        ns[0] = t1 - t0;
        ns[1] = t2 - t1;
        // pass B: dz, dE rows of the panel, dsf partial of the chunk
        final float invB = 1f / B;
        par.forEach(st.chunks, c -> {
            float[] dsfC = st.dsfC[c], det = st.detBuf[c], dz = st.dzBuf[c];
            java.util.Arrays.fill(dsfC, 0, B * st.dvp, 0f);
            for (int p = st.chunkFrom(c); p < st.chunkFrom(c + 1); p++) {
                int zo = p * B * P;
                int j0 = p * P, cnt = Math.min(P, n - j0);
                // dz of the panel into the chunk's block buffer (cache-resident; zp is not written back)
                for (int b = 0; b < B; b++) {
                    int o = zo + b * P, q = b * P;
                    float sc = exp(st.mUsed[p * B + b] - st.rowMax[b]) * st.rowScale[b];
                    FloatVector.fromArray(S, zp, o).mul(sc).intoArray(dz, q);
                    FloatVector.fromArray(S, zp, o + L).mul(sc).intoArray(dz, q + L);
                    FloatVector.fromArray(S, zp, o + 2 * L).mul(sc).intoArray(dz, q + 2 * L);
                    int t = target[b] - j0;
                    if (t >= 0 && t < P) dz[q + t] -= invB;
                    if (p == 0) dz[q] = 0f;
                    for (int i = cnt; i < P; i++) dz[q + i] = 0f;
                }
                // dE^T panel (d, P) = sf^T . dz block, then into the (n, d) rows of g
                int k = 0;
                for (; k + 7 < d; k += 8) detTile8(sf, B, d, k, dz, 0, det);
                for (; k + 3 < d; k += 4) detTile4(sf, B, d, k, dz, 0, det);
                for (; k < d; k++) detTile1(sf, B, d, k, dz, 0, det);
                for (int i = 0; i < cnt; i++) {
                    int go = (j0 + i) * d;
                    for (int kk = 0; kk < d; kk++) g[go + kk] = det[kk * P + i];
                }
                // dsf partial += dz block . E rows of the panel
                for (int v0 = 0; v0 < st.nv; v0 += 4) {
                    int a0 = v0, a1 = Math.min(v0 + 1, st.nv - 1), a2 = Math.min(v0 + 2, st.nv - 1), a3 = Math.min(v0 + 3, st.nv - 1);
                    int o0 = st.vOff[a0], o1 = st.vOff[a1], o2 = st.vOff[a2], o3 = st.vOff[a3];
                    int q0 = st.vSlot[a0], q1 = st.vSlot[a1], q2 = st.vSlot[a2], q3 = st.vSlot[a3];
                    int b = 0;
                    for (; b + 3 < B; b += 4) dsfTile4(dz, b * P, cnt, e, j0 * d, d, o0, o1, o2, o3, dsfC, b * st.dvp, st.dvp, q0, q1, q2, q3);
                    for (; b < B; b++) dsfTile1(dz, b * P, cnt, e, j0 * d, d, o0, o1, o2, o3, dsfC, b * st.dvp, q0, q1, q2, q3);
                }
            }
        });
        // dsf = sum of the chunk partials in chunk order
        for (int b = 0; b < B; b++) {
            for (int col = 0; col < d; col++) {
                int v = Math.min(col / L, st.nv - 1);
                int slot = b * st.dvp + st.vSlot[v] + (col - st.vOff[v]);
                float s = 0f;
                for (int c = 0; c < st.chunks; c++) s += st.dsfC[c][slot];
                dsf[b * d + col] = s;
            }
        }
        return loss;
    }

    /** det[(k0 + r) P + (0..P)] = sum over b = 0..B-1 of sf[b, k0 + r] dz[b, panel], r = 0..3. */
    private static void detTile4(float[] sf, int B, int d, int k0, float[] zp, int zo, float[] det) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
        for (int b = 0, zb = zo, so = k0; b < B; b++, zb += P, so += d) {
            FloatVector z0 = FloatVector.fromArray(S, zp, zb);
            FloatVector z1 = FloatVector.fromArray(S, zp, zb + L);
            FloatVector z2 = FloatVector.fromArray(S, zp, zb + 2 * L);
            FloatVector s = FloatVector.broadcast(S, sf[so]);
            c00 = z0.fma(s, c00);
            c01 = z1.fma(s, c01);
            c02 = z2.fma(s, c02);
            s = FloatVector.broadcast(S, sf[so + 1]);
            c10 = z0.fma(s, c10);
            c11 = z1.fma(s, c11);
            c12 = z2.fma(s, c12);
            s = FloatVector.broadcast(S, sf[so + 2]);
            c20 = z0.fma(s, c20);
            c21 = z1.fma(s, c21);
            c22 = z2.fma(s, c22);
            s = FloatVector.broadcast(S, sf[so + 3]);
            c30 = z0.fma(s, c30);
            c31 = z1.fma(s, c31);
            c32 = z2.fma(s, c32);
        }
        int o = k0 * P;
        c00.intoArray(det, o);
        c01.intoArray(det, o + L);
        c02.intoArray(det, o + 2 * L);
        o += P;
        c10.intoArray(det, o);
        c11.intoArray(det, o + L);
        c12.intoArray(det, o + 2 * L);
        o += P;
        c20.intoArray(det, o);
        c21.intoArray(det, o + L);
        c22.intoArray(det, o + 2 * L);
        o += P;
        c30.intoArray(det, o);
        c31.intoArray(det, o + L);
        c32.intoArray(det, o + 2 * L);
    }

    /** det[(k0 + r) P + (0..P)] = sum over b = 0..B-1 of sf[b, k0 + r] dz[b, panel], r = 0..7. */
    private static void detTile8(float[] sf, int B, int d, int k0, float[] zp, int zo, float[] det) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S), c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c42 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S), c52 = FloatVector.zero(S), c60 = FloatVector.zero(S), c61 = FloatVector.zero(S), c62 = FloatVector.zero(S), c70 = FloatVector.zero(S), c71 = FloatVector.zero(S), c72 = FloatVector.zero(S);
        for (int b = 0, zb = zo, so = k0; b < B; b++, zb += P, so += d) {
            FloatVector z0 = FloatVector.fromArray(S, zp, zb);
            FloatVector z1 = FloatVector.fromArray(S, zp, zb + L);
            FloatVector z2 = FloatVector.fromArray(S, zp, zb + 2 * L);
            FloatVector s;
            s = FloatVector.broadcast(S, sf[so + 0]);
            c00 = z0.fma(s, c00);
            c01 = z1.fma(s, c01);
            c02 = z2.fma(s, c02);
            s = FloatVector.broadcast(S, sf[so + 1]);
            c10 = z0.fma(s, c10);
            c11 = z1.fma(s, c11);
            c12 = z2.fma(s, c12);
            s = FloatVector.broadcast(S, sf[so + 2]);
            c20 = z0.fma(s, c20);
            c21 = z1.fma(s, c21);
            c22 = z2.fma(s, c22);
            s = FloatVector.broadcast(S, sf[so + 3]);
            c30 = z0.fma(s, c30);
            c31 = z1.fma(s, c31);
            c32 = z2.fma(s, c32);
            s = FloatVector.broadcast(S, sf[so + 4]);
            c40 = z0.fma(s, c40);
            c41 = z1.fma(s, c41);
            c42 = z2.fma(s, c42);
            s = FloatVector.broadcast(S, sf[so + 5]);
            c50 = z0.fma(s, c50);
            c51 = z1.fma(s, c51);
            c52 = z2.fma(s, c52);
            s = FloatVector.broadcast(S, sf[so + 6]);
            c60 = z0.fma(s, c60);
            c61 = z1.fma(s, c61);
            c62 = z2.fma(s, c62);
            s = FloatVector.broadcast(S, sf[so + 7]);
            c70 = z0.fma(s, c70);
            c71 = z1.fma(s, c71);
            c72 = z2.fma(s, c72);
        }
        int o = k0 * P;
        c00.intoArray(det, o + 0 * P + 0 * L);
        c01.intoArray(det, o + 0 * P + 1 * L);
        c02.intoArray(det, o + 0 * P + 2 * L);
        c10.intoArray(det, o + 1 * P + 0 * L);
        c11.intoArray(det, o + 1 * P + 1 * L);
        c12.intoArray(det, o + 1 * P + 2 * L);
        c20.intoArray(det, o + 2 * P + 0 * L);
        c21.intoArray(det, o + 2 * P + 1 * L);
        c22.intoArray(det, o + 2 * P + 2 * L);
        c30.intoArray(det, o + 3 * P + 0 * L);
        c31.intoArray(det, o + 3 * P + 1 * L);
        c32.intoArray(det, o + 3 * P + 2 * L);
        c40.intoArray(det, o + 4 * P + 0 * L);
        c41.intoArray(det, o + 4 * P + 1 * L);
        c42.intoArray(det, o + 4 * P + 2 * L);
        c50.intoArray(det, o + 5 * P + 0 * L);
        c51.intoArray(det, o + 5 * P + 1 * L);
        c52.intoArray(det, o + 5 * P + 2 * L);
        c60.intoArray(det, o + 6 * P + 0 * L);
        c61.intoArray(det, o + 6 * P + 1 * L);
        c62.intoArray(det, o + 6 * P + 2 * L);
        c70.intoArray(det, o + 7 * P + 0 * L);
        c71.intoArray(det, o + 7 * P + 1 * L);
        c72.intoArray(det, o + 7 * P + 2 * L);
    }

    private static void detTile1(float[] sf, int B, int d, int k, float[] zp, int zo, float[] det) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0;
        for (int b = 0, zb = zo, so = k; b < B; b++, zb += P, so += d) {
            FloatVector s = FloatVector.broadcast(S, sf[so]);
            c0 = FloatVector.fromArray(S, zp, zb).fma(s, c0);
            c1 = FloatVector.fromArray(S, zp, zb + L).fma(s, c1);
            c2 = FloatVector.fromArray(S, zp, zb + 2 * L).fma(s, c2);
        }
        c0.intoArray(det, k * P);
        c1.intoArray(det, k * P + L);
        c2.intoArray(det, k * P + 2 * L);
    }

    /**
     * acc rows r = 0..3 (at ao + r as, slots q0..q3) += sum over i = 0..cnt-1 of dz[r, i] E[j0 + i,
     * offsets o0..o3 .. +L]; the E rows start at eo.
     */
    private static void dsfTile4(float[] zp, int zo, int cnt, float[] e, int eo, int d, int o0, int o1, int o2, int o3,
                                 float[] acc, int ao, int as, int q0, int q1, int q2, int q3) {
        int a1 = ao + as, a2 = a1 + as, a3 = a2 + as;
        FloatVector c00 = FloatVector.fromArray(S, acc, ao + q0), c01 = FloatVector.fromArray(S, acc, ao + q1);
        FloatVector c02 = FloatVector.fromArray(S, acc, ao + q2), c03 = FloatVector.fromArray(S, acc, ao + q3);
        FloatVector c10 = FloatVector.fromArray(S, acc, a1 + q0), c11 = FloatVector.fromArray(S, acc, a1 + q1);
        FloatVector c12 = FloatVector.fromArray(S, acc, a1 + q2), c13 = FloatVector.fromArray(S, acc, a1 + q3);
        FloatVector c20 = FloatVector.fromArray(S, acc, a2 + q0), c21 = FloatVector.fromArray(S, acc, a2 + q1);
        FloatVector c22 = FloatVector.fromArray(S, acc, a2 + q2), c23 = FloatVector.fromArray(S, acc, a2 + q3);
        FloatVector c30 = FloatVector.fromArray(S, acc, a3 + q0), c31 = FloatVector.fromArray(S, acc, a3 + q1);
        FloatVector c32 = FloatVector.fromArray(S, acc, a3 + q2), c33 = FloatVector.fromArray(S, acc, a3 + q3);
        for (int i = 0, er = eo; i < cnt; i++, er += d) {
            FloatVector e0 = FloatVector.fromArray(S, e, er + o0);
            FloatVector e1 = FloatVector.fromArray(S, e, er + o1);
            FloatVector e2 = FloatVector.fromArray(S, e, er + o2);
            FloatVector e3 = FloatVector.fromArray(S, e, er + o3);
            FloatVector s = FloatVector.broadcast(S, zp[zo + i]);
            c00 = e0.fma(s, c00);
            c01 = e1.fma(s, c01);
            c02 = e2.fma(s, c02);
            c03 = e3.fma(s, c03);
            s = FloatVector.broadcast(S, zp[zo + P + i]);
            c10 = e0.fma(s, c10);
            c11 = e1.fma(s, c11);
            c12 = e2.fma(s, c12);
            c13 = e3.fma(s, c13);
            s = FloatVector.broadcast(S, zp[zo + 2 * P + i]);
            c20 = e0.fma(s, c20);
            c21 = e1.fma(s, c21);
            c22 = e2.fma(s, c22);
            c23 = e3.fma(s, c23);
            s = FloatVector.broadcast(S, zp[zo + 3 * P + i]);
            c30 = e0.fma(s, c30);
            c31 = e1.fma(s, c31);
            c32 = e2.fma(s, c32);
            c33 = e3.fma(s, c33);
        }
        // stored last to first: when a slot repeats (the last vector group), the values are equal
        c03.intoArray(acc, ao + q3);
        c02.intoArray(acc, ao + q2);
        c01.intoArray(acc, ao + q1);
        c00.intoArray(acc, ao + q0);
        c13.intoArray(acc, a1 + q3);
        c12.intoArray(acc, a1 + q2);
        c11.intoArray(acc, a1 + q1);
        c10.intoArray(acc, a1 + q0);
        c23.intoArray(acc, a2 + q3);
        c22.intoArray(acc, a2 + q2);
        c21.intoArray(acc, a2 + q1);
        c20.intoArray(acc, a2 + q0);
        c33.intoArray(acc, a3 + q3);
        c32.intoArray(acc, a3 + q2);
        c31.intoArray(acc, a3 + q1);
        c30.intoArray(acc, a3 + q0);
    }

    private static void dsfTile1(float[] zp, int zo, int cnt, float[] e, int eo, int d, int o0, int o1, int o2, int o3,
                                 float[] acc, int ao, int q0, int q1, int q2, int q3) {
        FloatVector c0 = FloatVector.fromArray(S, acc, ao + q0), c1 = FloatVector.fromArray(S, acc, ao + q1);
        FloatVector c2 = FloatVector.fromArray(S, acc, ao + q2), c3 = FloatVector.fromArray(S, acc, ao + q3);
        for (int i = 0, er = eo; i < cnt; i++, er += d) {
            FloatVector s = FloatVector.broadcast(S, zp[zo + i]);
            c0 = FloatVector.fromArray(S, e, er + o0).fma(s, c0);
            c1 = FloatVector.fromArray(S, e, er + o1).fma(s, c1);
            c2 = FloatVector.fromArray(S, e, er + o2).fma(s, c2);
            c3 = FloatVector.fromArray(S, e, er + o3).fma(s, c3);
        }
        c3.intoArray(acc, ao + q3);
        c2.intoArray(acc, ao + q2);
        c1.intoArray(acc, ao + q1);
        c0.intoArray(acc, ao + q0);
    }

    // ------------------------------------------------------------------ small dense products

    /**
     * C (M, N) = init + A (M, K) . B (K, N), with A[i, k] at a[ao + i ais + k aks], B row-major
     * (row stride bs), C row-major (row stride cs); init is zero (mode 0), the row vector
     * bias[bo ..] (mode 1) or C itself (mode 2, accumulate). Each element is one fma chain over
     * k = 0..K-1. N must be at least {@link #L}: the columns go in groups of 4 vectors (a last group
     * of 3 when 3 remain), the last
     * vector overlapping its neighbour when L does not divide N (the overlapping lanes get equal
     * values, so storing them twice is harmless).
     */
    static void gemm(int M, int K, int N, float[] a, int ao, int ais, int aks, float[] b, int bo, int bs,
                     float[] c, int co, int cs, int mode, float[] bias, int biasOff) {
        int nv = (N + L - 1) / L;
        for (int v0 = 0; v0 < nv; v0 += 4) {
            int o0 = Math.min(v0 * L, N - L), o1 = Math.min((v0 + 1) * L, N - L), o2 = Math.min((v0 + 2) * L, N - L), o3 = Math.min((v0 + 3) * L, N - L);
            int i = 0;
            if (nv - v0 == 3) { // a last group of three vectors (N = 100: columns 64..99) needs no fourth, overlapping one
                for (; i + 2 < M; i += 3) gemmTile3x3(K, a, ao + i * ais, ais, aks, b, bo, bs, c, co + i * cs, cs, mode, bias, biasOff, o0, o1, o2);
                for (; i < M; i++) gemmTile1(K, a, ao + i * ais, aks, b, bo, bs, c, co + i * cs, mode, bias, biasOff, o0, o1, o2, o2);
                continue;
            }
            for (; i + 2 < M; i += 3) gemmTile3(K, a, ao + i * ais, ais, aks, b, bo, bs, c, co + i * cs, cs, mode, bias, biasOff, o0, o1, o2, o3);
            for (; i < M; i++) gemmTile1(K, a, ao + i * ais, aks, b, bo, bs, c, co + i * cs, mode, bias, biasOff, o0, o1, o2, o3);
        }
    }

    private static FloatVector init(float[] c, int o, int mode, float[] bias, int bo) {
        if (mode == 0) return FloatVector.zero(S);
        return mode == 1 ? FloatVector.fromArray(S, bias, bo) : FloatVector.fromArray(S, c, o);
    }

    private static void gemmTile3(int K, float[] a, int ao, int ais, int aks, float[] b, int bo, int bs, float[] c, int co, int cs,
                                  int mode, float[] bias, int bb, int o0, int o1, int o2, int o3) {
        int c1 = co + cs, c2 = c1 + cs;
        FloatVector x00 = init(c, co + o0, mode, bias, bb + o0), x01 = init(c, co + o1, mode, bias, bb + o1);
        FloatVector x02 = init(c, co + o2, mode, bias, bb + o2), x03 = init(c, co + o3, mode, bias, bb + o3);
        FloatVector x10 = init(c, c1 + o0, mode, bias, bb + o0), x11 = init(c, c1 + o1, mode, bias, bb + o1);
        FloatVector x12 = init(c, c1 + o2, mode, bias, bb + o2), x13 = init(c, c1 + o3, mode, bias, bb + o3);
        FloatVector x20 = init(c, c2 + o0, mode, bias, bb + o0), x21 = init(c, c2 + o1, mode, bias, bb + o1);
        FloatVector x22 = init(c, c2 + o2, mode, bias, bb + o2), x23 = init(c, c2 + o3, mode, bias, bb + o3);
        int a1 = ao + ais, a2 = a1 + ais;
        for (int k = 0, br = bo, ak = 0; k < K; k++, br += bs, ak += aks) {
            FloatVector b0 = FloatVector.fromArray(S, b, br + o0);
            FloatVector b1 = FloatVector.fromArray(S, b, br + o1);
            FloatVector b2 = FloatVector.fromArray(S, b, br + o2);
            FloatVector b3 = FloatVector.fromArray(S, b, br + o3);
            FloatVector s = FloatVector.broadcast(S, a[ao + ak]);
            x00 = b0.fma(s, x00);
            x01 = b1.fma(s, x01);
            x02 = b2.fma(s, x02);
            x03 = b3.fma(s, x03);
            s = FloatVector.broadcast(S, a[a1 + ak]);
            x10 = b0.fma(s, x10);
            x11 = b1.fma(s, x11);
            x12 = b2.fma(s, x12);
            x13 = b3.fma(s, x13);
            s = FloatVector.broadcast(S, a[a2 + ak]);
            x20 = b0.fma(s, x20);
            x21 = b1.fma(s, x21);
            x22 = b2.fma(s, x22);
            x23 = b3.fma(s, x23);
        }
        x03.intoArray(c, co + o3);
        x02.intoArray(c, co + o2);
        x01.intoArray(c, co + o1);
        x00.intoArray(c, co + o0);
        x13.intoArray(c, c1 + o3);
        x12.intoArray(c, c1 + o2);
        x11.intoArray(c, c1 + o1);
        x10.intoArray(c, c1 + o0);
        x23.intoArray(c, c2 + o3);
        x22.intoArray(c, c2 + o2);
        x21.intoArray(c, c2 + o1);
        x20.intoArray(c, c2 + o0);
    }

    /** {@link #gemmTile3} with three vectors of columns. */
    private static void gemmTile3x3(int K, float[] a, int ao, int ais, int aks, float[] b, int bo, int bs, float[] c, int co, int cs,
                                    int mode, float[] bias, int bb, int o0, int o1, int o2) {
        int c1 = co + cs, c2 = c1 + cs;
        FloatVector x00 = init(c, co + o0, mode, bias, bb + o0), x01 = init(c, co + o1, mode, bias, bb + o1);
        FloatVector x02 = init(c, co + o2, mode, bias, bb + o2);
        FloatVector x10 = init(c, c1 + o0, mode, bias, bb + o0), x11 = init(c, c1 + o1, mode, bias, bb + o1);
        FloatVector x12 = init(c, c1 + o2, mode, bias, bb + o2);
        FloatVector x20 = init(c, c2 + o0, mode, bias, bb + o0), x21 = init(c, c2 + o1, mode, bias, bb + o1);
        FloatVector x22 = init(c, c2 + o2, mode, bias, bb + o2);
        int a1 = ao + ais, a2 = a1 + ais;
        for (int k = 0, br = bo, ak = 0; k < K; k++, br += bs, ak += aks) {
            FloatVector b0 = FloatVector.fromArray(S, b, br + o0);
            FloatVector b1 = FloatVector.fromArray(S, b, br + o1);
            FloatVector b2 = FloatVector.fromArray(S, b, br + o2);
            FloatVector s = FloatVector.broadcast(S, a[ao + ak]);
            x00 = b0.fma(s, x00);
            x01 = b1.fma(s, x01);
            x02 = b2.fma(s, x02);
            s = FloatVector.broadcast(S, a[a1 + ak]);
            x10 = b0.fma(s, x10);
            x11 = b1.fma(s, x11);
            x12 = b2.fma(s, x12);
            s = FloatVector.broadcast(S, a[a2 + ak]);
            x20 = b0.fma(s, x20);
            x21 = b1.fma(s, x21);
            x22 = b2.fma(s, x22);
        }
        x02.intoArray(c, co + o2);
        x01.intoArray(c, co + o1);
        x00.intoArray(c, co + o0);
        x12.intoArray(c, c1 + o2);
        x11.intoArray(c, c1 + o1);
        x10.intoArray(c, c1 + o0);
        x22.intoArray(c, c2 + o2);
        x21.intoArray(c, c2 + o1);
        x20.intoArray(c, c2 + o0);
    }

    private static void gemmTile1(int K, float[] a, int ao, int aks, float[] b, int bo, int bs, float[] c, int co,
                                  int mode, float[] bias, int bb, int o0, int o1, int o2, int o3) {
        FloatVector x0 = init(c, co + o0, mode, bias, bb + o0), x1 = init(c, co + o1, mode, bias, bb + o1);
        FloatVector x2 = init(c, co + o2, mode, bias, bb + o2), x3 = init(c, co + o3, mode, bias, bb + o3);
        for (int k = 0, br = bo, ak = ao; k < K; k++, br += bs, ak += aks) {
            FloatVector s = FloatVector.broadcast(S, a[ak]);
            x0 = FloatVector.fromArray(S, b, br + o0).fma(s, x0);
            x1 = FloatVector.fromArray(S, b, br + o1).fma(s, x1);
            x2 = FloatVector.fromArray(S, b, br + o2).fma(s, x2);
            x3 = FloatVector.fromArray(S, b, br + o3).fma(s, x3);
        }
        x3.intoArray(c, co + o3);
        x2.intoArray(c, co + o2);
        x1.intoArray(c, co + o1);
        x0.intoArray(c, co + o0);
    }
}
