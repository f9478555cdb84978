package org.lgsr.cpu;

/**
 * The CPU twin of the cuBLAS products the GPU engine uses: {@code C = alpha op(A) op(B) + beta C}
 * on column-major views (cuBLAS's sgemm), float accumulation in k order. Plain loops: it serves
 * the kernels' twins and the tests, not speed.
 */
public final class Blas {
    private Blas() {
    }

    public static void sgemm(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int ao, int lda, float[] b, int bo,
                             int ldb, float beta, float[] c, int co, int ldc) {
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    float x = ta ? a[ao + p + i * lda] : a[ao + i + p * lda];
                    float y = tb ? b[bo + j + p * ldb] : b[bo + p + j * ldb];
                    s += x * y;
                }
                int ci = co + i + j * ldc;
                c[ci] = beta == 0f ? alpha * s : alpha * s + beta * c[ci];
            }
        }
    }
}
