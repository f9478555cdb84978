// gemm.cpp: the cuBLAS stand-ins of the simulated device: cublasSgemm and
// cublasSgemmStridedBatched, column-major, op(A) m x k, op(B) k x n, C m x n.
//
// Every C[i, j] is one float fused multiply-add chain over p = 0 .. k-1 in order
// (acc = fmaf(op(A)[i, p], op(B)[p, j], acc), from +0), as a GPU's FFMA loop does, then
// C = alpha * acc (beta == 0: C is not read, so NaN there is ignored as cuBLAS does) or
// C = alpha * acc + beta * C. cuBLAS's own split of k (and so its rounding) is not reproduced.
//
// Blocked: the rows are taken in panels of kMb; a panel of op(A) is packed (k x kMb floats,
// contiguous per p) and every column j of the task's range runs the chain for kMb rows at
// once (vectorised over i; the order over p of each element is unchanged). Tasks (batch,
// row panel, column chunk) are spread over the worker pool. The chain is compiled twice
// (target_clones): with FMA instructions where the CPU has them, else through libm's fmaf.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "runtime.hpp"

namespace lgsr_sim {
namespace {

constexpr int kMb = 64; // rows per panel
constexpr int kNb = 64; // columns per task

#if defined(__x86_64__) && !defined(__clang__)
#define LGSR_SIM_CLONES __attribute__((target_clones("fma", "default")))
#else
#define LGSR_SIM_CLONES
#endif

// acc[0 .. kMb) = sum over p of ap[p * kMb + i] * bcol[p], each a fused chain in p order
LGSR_SIM_CLONES
void panel_column(const float *__restrict__ ap, const float *__restrict__ bcol, long long bstride, int k,
                  float *__restrict__ acc) {
    for (int i = 0; i < kMb; i++) acc[i] = 0.0f;
    for (int p = 0; p < k; p++) {
        const float b = bcol[(long long) p * bstride];
        const float *a = ap + (long long) p * kMb;
        for (int i = 0; i < kMb; i++) acc[i] = std::fma(a[i], b, acc[i]);
    }
}

} // namespace

void sgemm_strided_batched(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                           long long stride_a, const float *b, int ldb, long long stride_b, float beta, float *c,
                           int ldc, long long stride_c, int batch) {
    if (m <= 0 || n <= 0 || batch <= 0) return;
    const long long panels = (m + kMb - 1) / kMb, chunks = (n + kNb - 1) / kNb;
    const long long tasks = (long long) batch * panels * chunks;
    parallel_for(tasks, 0, [&](long long t) {
        const long long bi = t / (panels * chunks);
        const long long r = t - bi * panels * chunks;
        const int i0 = (int) (r / chunks) * kMb, j0 = (int) (r % chunks) * kNb;
        const int mi = std::min(kMb, m - i0), nj = std::min(kNb, n - j0);
        const float *A = a + bi * stride_a, *B = b + bi * stride_b;
        float *C = c + bi * stride_c;
        // the panel of op(A): rows i0 .. i0+mi, zero rows past m (their sums are not stored)
        std::vector<float> ap((size_t) std::max(k, 1) * kMb, 0.0f);
        for (int p = 0; p < k; p++) {
            float *dst = ap.data() + (size_t) p * kMb;
            if (!trans_a) {
                const float *src = A + (long long) p * lda + i0;
                std::memcpy(dst, src, sizeof(float) * mi);
            } else {
                for (int i = 0; i < mi; i++) dst[i] = A[(long long) (i0 + i) * lda + p];
            }
        }
        float acc[kMb];
        for (int j = j0; j < j0 + nj; j++) {
            // op(B)[p, j]: B[p + j ldb] or (transposed) B[j + p ldb]
            const float *bcol = trans_b ? B + j : B + (long long) j * ldb;
            const long long bstride = trans_b ? ldb : 1;
            if (k > 0) {
                panel_column(ap.data(), bcol, bstride, k, acc);
            } else {
                for (int i = 0; i < kMb; i++) acc[i] = 0.0f;
            }
            float *cc = C + (long long) j * ldc + i0;
            if (beta == 0.0f) {
                for (int i = 0; i < mi; i++) cc[i] = alpha * acc[i];
            } else {
                for (int i = 0; i < mi; i++) cc[i] = alpha * acc[i] + beta * cc[i];
            }
        }
    });
}

} // namespace lgsr_sim
