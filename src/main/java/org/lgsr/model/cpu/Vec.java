package org.lgsr.model.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The generic pieces of {@link VecKernels} for other packages (the global encoder's loss): the
 * register-blocked product and the IEEE-only vector exp. Like VecKernels it touches the Vector
 * API, so callers reach it only when {@link Simd#available()} is true.
 */
public final class Vec {
    /** The float species every kernel uses (the preferred one). */
    public static final VectorSpecies<Float> SPECIES = VecKernels.S;

    private Vec() {
    }

    /** Floats per vector. */
    public static int lanes() {
        return VecKernels.L;
    }

    /**
     * C (M, N) = init + A (M, K) . B (K, N), see {@link VecKernels#gemm}: A[i, k] at
     * {@code a[ao + i ais + k aks]}, B and C row-major with row strides {@code bs}, {@code cs};
     * init zero (mode 0), the row {@code bias[biasOff ..]} (mode 1) or C (mode 2). Each element
     * is one fma chain over k = 0..K-1; N must be at least {@link #lanes()}.
     */
    public static void gemm(int M, int K, int N, float[] a, int ao, int ais, int aks, float[] b, int bo, int bs,
                            float[] c, int co, int cs, int mode, float[] bias, int biasOff) {
        VecKernels.gemm(M, K, N, a, ao, ais, aks, b, bo, bs, c, co, cs, mode, bias, biasOff);
    }

    /** exp(x) for x <= ~88, a few ulp; IEEE operations only (see {@link VecKernels#exp(FloatVector)}). */
    public static FloatVector exp(FloatVector x) {
        return VecKernels.exp(x);
    }

    /**
     * The Adam step of {@code org.lgsr.cpu.Adam#adam} on whole vectors, with the same IEEE
     * operations in the same order (mul, add, sqrt, div; no fma), so the same bits:
     * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) (g g); p = p - (lrT m) / (sqrt(v) + eps)}.
     * Covers elements [0, n - n % lanes); returns that count (the caller does the rest).
     */
    public static int adam(float[] p, int pOff, float[] g, int gOff, float[] m, float[] v, int mOff, int n,
                           float lrT, float beta1, float beta2, float eps) {
        final float omb1 = 1.0f - beta1, omb2 = 1.0f - beta2;
        final int L = VecKernels.L;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector gi = FloatVector.fromArray(SPECIES, g, gOff + i);
            FloatVector mi = FloatVector.fromArray(SPECIES, m, mOff + i).mul(beta1).add(gi.mul(omb1));
            FloatVector vi = FloatVector.fromArray(SPECIES, v, mOff + i).mul(beta2).add(gi.mul(gi).mul(omb2));
            FloatVector pi = FloatVector.fromArray(SPECIES, p, pOff + i);
            pi.sub(mi.mul(lrT).div(vi.sqrt().add(eps))).intoArray(p, pOff + i);
            mi.intoArray(m, mOff + i);
            vi.intoArray(v, mOff + i);
        }
        return i;
    }
}
