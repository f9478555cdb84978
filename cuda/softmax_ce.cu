// softmax_ce.cu: the scoring layer of LGSR (MODEL.md 2.8-2.9), fused so that the B x n score
// matrix is never written to device memory: every kernel recomputes its tile of scores in
// registers and consumes it at once (online log-sum-exp, the softmax gradient, rank counts,
// top-K candidates).
//
// Shapes (row-major float32): sf (B, d) session embeddings; E (n, d) item table (the first n*d
// floats of the parameter buffer; row 0 is padding); target (B) int32 in [1, n). Scores
// z[b, j] = sf[b] . E[j] for every item j = 1..n-1; item 0 is never scored nor predicted.
// Limits: B >= 1, n >= 2, 1 <= d <= 256, top-K 1 <= K <= min(32, n - 1).
//
// Every score is ONE sequential fused multiply-add chain over k = 0..d-1 starting from +0
// (acc = fmaf(sf[b,k], E[j,k], acc)); the zero padding of the last float4 adds fmaf(0, 0, acc),
// which leaves acc unchanged. So all kernels here (and the twin, which uses Math.fma in the same
// order) see bit-identical scores: ties in rank_targets and top_k are real ties, and the
// target's score in a rank count is the same number as in the loss.
//
// Kernels (launched by org.lgsr.gpu.kernels.SoftmaxCeKernels, which also sizes the scratch):
//   softmax_ce_forward_t8 / _t4   per (row tile, column tile): online max/sum of exp over the
//                                 tile's items -> part_m, part_s (B, nct); z[b, target_b] -> zt (B)
//   softmax_ce_forward_finish     per row: merges the nct partials in column order:
//                                 lse = log sum_{j=1}^{n-1} exp(z), loss = lse - z[target]
//   softmax_ce_backward_t8c1 / _t8c2 / _t4c4
//                                 per column tile (and row group): recomputes the scores, forms
//                                 P = (softmax - onehot(target)) * scale, and does both products
//                                 from shared memory: dsf partial (per column tile) = P E_tile,
//                                 dE_tile = P^T sf (accumulated in registers over the rows)
//   softmax_ce_backward_dsf       dsf = sum over column tiles of the partials, in a fixed order
//   softmax_ce_backward_de        dE = sum over row groups of their dE partials, in group order
//                                 (only when the launcher splits the rows into groups)
//   rank_targets_init             zt = z[b, target_b] (same fma chain); rank = 1 (n-1 if NaN)
//   rank_targets_t8 / _t4         rank[b] += #{j != t: z_j > z_t or (z_j == z_t and j < t)} of
//                                 the tile (integer atomicAdd: exact, order-free)
//   top_k_t8 / _t4                per (row, column tile): the tile's K best (score desc, id asc)
//   top_k_merge                   per row: the K best of all tiles' candidates
// Deterministic: no float atomics; every float sum has a fixed order.
// CPU twin: org.lgsr.cpu.SoftmaxCe (softmaxCeForward, softmaxCeBackward, rankTargets, topK).
//
// Tiles. 256 threads as 16 x 16 (tx = tid & 15, ty = tid >> 4). A score tile is BM = 16 TM
// rows (sessions) by BN = 16 TN columns (items); thread (ty, tx) owns rows ty + 16 i, columns
// tx + 16 c. Config t8: TM = TN = 8 (128 x 128 tiles, d <= 128); config t4: TM = TN = 4
// (64 x 64, d <= 256). Both operand tiles sit whole in shared memory in a "float4-column
// major" layout: float4 (q, r) = row r, elements 4q..4q+3, at index q * (ROWS + 1) + r. The
// score loop reads, per step of 4 in k, TN float4 of E (16 consecutive rows per half warp:
// conflict-free) and TM float4 of sf (2 addresses per warp: broadcast), then does 4 TM TN
// FMAs: 16 LDS.128 per 256 FFMA for t8. The +1 float4 per column keeps the backward's reads
// along a row (group g = tx + 16 c at stride ROWS + 1) conflict-free too.
//
// Backward. One block per column tile (times row groups, see below). E's tile is loaded once;
// for each row tile of sf: scores -> P into shared memory (BM x (BN + 16) floats), then
//   dsf_part[ct][b][:] = sum_j P[b, j] E[j, :]   (BM x d4 outputs, 8 rows x CG float4 each)
//   dE_acc[j][:]      += sum_b P[b, j] sf[b, :]   (BN x d4 in registers across row tiles)
// CG float4 columns per thread cover d4 = 64 CG (c1: d <= 64, c2: d <= 128, c4: d <= 256).
// The dsf partials (nct x B x d4 floats) are summed by softmax_ce_backward_dsf. When the
// column tiles alone give too few blocks for the GPU (wave quantization), the launcher splits
// the row tiles into groups: each (column tile, group) block writes its dE partial into the
// scratch and softmax_ce_backward_de sums the groups.
//
// Cost (B = 512, n = 43098, d = 100, t8): forward 2 B n d = 4.4 GFLOP; reads E once per row
// tile (4 x 17 MB, mostly L2) and sf per block (L2); writes 2 B nct + 3 B floats. Backward
// 6 B n d = 13.2 GFLOP (the product phases run on d4 padded to 64 CG: 128 for d = 100, so
// they do 28% more FMAs than needed); device traffic: E read once per block, sf once per row
// tile and block (L2), dE written once (17 MB), the dsf partials written and read once
// (nct x B x 100 x 4 = 69 MB each way). Both are bound by FP32 FMA issue, not by bytes: the
// byte floor (E + sf + dE, ~35 MB) is ~12 us at 3 TB/s against ~200 us of FMAs at 67 TFLOP/s.
// Shared memory: forward/rank/top_k t8 with d = 100: 2 x 25 x 129 x 16 B = 103 KB (2 blocks
// per SM); backward t8c2 with d = 100: 177 KB, d = 128: 206 KB (1 block per SM). Needs the
// Hopper opt-in limit (227 KB) for the backward at d > 88 (A100: 163 KB); set by the launcher.

#define SCE_THREADS 256
#define SCE_WARPS (SCE_THREADS / 32)
#define SCE_FULL_MASK 0xffffffffu

extern __shared__ float4 sce_smem[];

// ---- small helpers ----

__device__ __forceinline__ float sce_comp(const float4 &v, int i) {
    return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

// out += s * v, elementwise, one fma each
__device__ __forceinline__ void sce_axpy4(float4 &out, float s, const float4 &v) {
    out.x = fmaf(s, v.x, out.x);
    out.y = fmaf(s, v.y, out.y);
    out.z = fmaf(s, v.z, out.z);
    out.w = fmaf(s, v.w, out.w);
}

// Merges a partial (om, os) = (max, sum exp(z - max)) into (m, s); os == 0 means "no item".
__device__ __forceinline__ void sce_lse_merge(float &m, float &s, float om, float os) {
    if (os == 0.0f) return;
    if (s == 0.0f) {
        m = om;
        s = os;
        return;
    }
    const float mx = fmaxf(m, om);
    s = s * expf(m - mx) + os * expf(om - mx);
    m = mx;
}

// The order of top_k: a before b when its key is larger, or equal with a smaller id. Keys are
// scores with NaN mapped to -inf (never NaN), so this is a strict total order on distinct ids.
__device__ __forceinline__ bool sce_before(float ka, int ia, float kb, int ib) {
    return ka > kb || (ka == kb && ia < ib);
}

__device__ __forceinline__ float sce_key(float s) {
    return isnan(s) ? -INFINITY : s;
}

// ---- tiles in shared memory ----

// Rows first .. first+ROWS-1 of a row-major (.., d) matrix into the float4-column-major tile
// dst: float4 (q, r) at dst[q * (ROWS + 1) + r], q < q4 = ceil(d / 4). Rows r >= valid and
// elements k >= d are zero. One warp per row, lanes along q: coalesced reads, and the float4
// stores of a warp land at stride ROWS + 1 (odd): conflict-free.
template <int ROWS>
__device__ __forceinline__ void sce_load_tile(float4 *dst, const float *__restrict__ src, long long first, int valid,
                                              int d) {
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int q4 = (d + 3) >> 2;
    const float *base = src + first * d;
    const bool vec = (d & 3) == 0 && (reinterpret_cast<unsigned long long>(base) & 15) == 0;
    for (int q = lane; q < q4; q += 32) {
        float4 *col = dst + q * (ROWS + 1);
        const int k = 4 * q;
        // ROWS / SCE_WARPS rows per warp, loaded four at a time before they are stored
#pragma unroll
        for (int r0 = 0; r0 < ROWS / SCE_WARPS; r0 += 4) {
            float4 v[4];
#pragma unroll
            for (int u = 0; u < 4; u++) {
                const int r = warp + SCE_WARPS * (r0 + u);
                v[u] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
                if (r < valid) {
                    const float *p = base + (long long) r * d + k;
                    if (vec) {
                        v[u] = *reinterpret_cast<const float4 *>(p);
                    } else {
                        v[u].x = p[0];
                        if (k + 1 < d) v[u].y = p[1];
                        if (k + 2 < d) v[u].z = p[2];
                        if (k + 3 < d) v[u].w = p[3];
                    }
                }
            }
#pragma unroll
            for (int u = 0; u < 4; u++) col[warp + SCE_WARPS * (r0 + u)] = v[u];
        }
    }
}

// acc[i][c] = z[row ty + 16 i][col tx + 16 c]: the fma chain over k = 0 .. 4 q4 - 1 in order.
template <int TM, int TN>
__device__ __forceinline__ void sce_scores(const float4 *sfS, const float4 *ES, int q4, float (&acc)[TM][TN]) {
    constexpr int BM = 16 * TM, BN = 16 * TN;
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
#pragma unroll
    for (int i = 0; i < TM; i++) {
#pragma unroll
        for (int c = 0; c < TN; c++) acc[i][c] = 0.0f;
    }
    const float4 *a = sfS + ty, *b = ES + tx;
    for (int q = 0; q < q4; q++, a += BM + 1, b += BN + 1) {
        float4 bv[TN];
#pragma unroll
        for (int c = 0; c < TN; c++) bv[c] = b[16 * c];
#pragma unroll
        for (int i = 0; i < TM; i++) {
            const float4 av = a[16 * i];
#pragma unroll
            for (int c = 0; c < TN; c++) {
                acc[i][c] = fmaf(av.x, bv[c].x, acc[i][c]);
                acc[i][c] = fmaf(av.y, bv[c].y, acc[i][c]);
                acc[i][c] = fmaf(av.z, bv[c].z, acc[i][c]);
                acc[i][c] = fmaf(av.w, bv[c].w, acc[i][c]);
            }
        }
    }
}

// Loads the block's sf row tile and E column tile (grid: column tiles fastest) and computes its
// scores. Returns the tile's first row b0 and first column j0.
template <int TM, int TN>
__device__ __forceinline__ void sce_score_tile(const float *__restrict__ sf, const float *__restrict__ E, int B, int n,
                                               int d, float (&acc)[TM][TN], int &b0, int &j0, int &ct, int &nct) {
    constexpr int BM = 16 * TM, BN = 16 * TN;
    nct = (n + BN - 1) / BN;
    ct = blockIdx.x % nct;
    b0 = (blockIdx.x / nct) * BM;
    j0 = ct * BN;
    const int q4 = (d + 3) >> 2;
    float4 *sfS = sce_smem, *ES = sce_smem + q4 * (BM + 1);
    sce_load_tile<BM>(sfS, sf, b0, min(BM, B - b0), d);
    sce_load_tile<BN>(ES, E, j0, min(BN, n - j0), d);
    __syncthreads();
    sce_scores<TM, TN>(sfS, ES, q4, acc);
}

// ---- forward ----

template <int TM, int TN>
__device__ __forceinline__ void sce_forward_tile(const float *__restrict__ sf, const float *__restrict__ E,
                                                 const int *__restrict__ target, int B, int n, int d,
                                                 float *__restrict__ part_m, float *__restrict__ part_s,
                                                 float *__restrict__ zt) {
    float acc[TM][TN];
    int b0, j0, ct, nct;
    sce_score_tile<TM, TN>(sf, E, B, n, d, acc, b0, j0, ct, nct);
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
#pragma unroll
    for (int i = 0; i < TM; i++) {
        const int b = b0 + ty + 16 * i;
        const int t = b < B ? target[b] : -1;
        float m = -INFINITY, s = 0.0f;
#pragma unroll
        for (int c = 0; c < TN; c++) {
            const int j = j0 + tx + 16 * c;
            if (j >= 1 && j < n) m = fmaxf(m, acc[i][c]);
        }
#pragma unroll
        for (int c = 0; c < TN; c++) {
            const int j = j0 + tx + 16 * c;
            if (j >= 1 && j < n) {
                s += expf(acc[i][c] - m);
                if (j == t) zt[b] = acc[i][c];
            }
        }
        // the 16 threads of this row are one half warp
#pragma unroll
        for (int off = 8; off >= 1; off >>= 1) {
            const float om = __shfl_xor_sync(SCE_FULL_MASK, m, off);
            const float os = __shfl_xor_sync(SCE_FULL_MASK, s, off);
            sce_lse_merge(m, s, om, os);
        }
        if (tx == 0 && b < B) {
            part_m[(long long) b * nct + ct] = m;
            part_s[(long long) b * nct + ct] = s;
        }
    }
}

extern "C" __global__ void __launch_bounds__(SCE_THREADS, 2)
softmax_ce_forward_t8(const float *__restrict__ sf, const float *__restrict__ E, const int *__restrict__ target, int B,
                      int n, int d, float *__restrict__ part_m, float *__restrict__ part_s, float *__restrict__ zt) {
    sce_forward_tile<8, 8>(sf, E, target, B, n, d, part_m, part_s, zt);
}

extern "C" __global__ void __launch_bounds__(SCE_THREADS, 1)
softmax_ce_forward_t4(const float *__restrict__ sf, const float *__restrict__ E, const int *__restrict__ target, int B,
                      int n, int d, float *__restrict__ part_m, float *__restrict__ part_s, float *__restrict__ zt) {
    sce_forward_tile<4, 4>(sf, E, target, B, n, d, part_m, part_s, zt);
}

// One warp per row: lanes merge partials c = lane, lane + 32, ... in order, then a fixed
// butterfly; lse = max + log(sum), loss = lse - z[target].
extern "C" __global__ void __launch_bounds__(SCE_THREADS)
softmax_ce_forward_finish(const float *__restrict__ part_m, const float *__restrict__ part_s,
                          const float *__restrict__ zt, int B, int nct, float *__restrict__ lse,
                          float *__restrict__ loss) {
    const int lane = threadIdx.x & 31;
    const int b = blockIdx.x * SCE_WARPS + (threadIdx.x >> 5);
    float m = -INFINITY, s = 0.0f;
    if (b < B) {
        for (int c = lane; c < nct; c += 32) sce_lse_merge(m, s, part_m[(long long) b * nct + c], part_s[(long long) b * nct + c]);
    }
#pragma unroll
    for (int off = 16; off >= 1; off >>= 1) {
        const float om = __shfl_xor_sync(SCE_FULL_MASK, m, off);
        const float os = __shfl_xor_sync(SCE_FULL_MASK, s, off);
        sce_lse_merge(m, s, om, os);
    }
    if (lane == 0 && b < B) {
        const float l = m + logf(s);
        lse[b] = l;
        loss[b] = l - zt[b];
    }
}

// ---- backward ----

// Block = (column tile ct, row group rg), ct fastest. Row tiles rg * rt_per_group ..
// (exclusive) min(rts, (rg + 1) * rt_per_group). dsf partials at dsf_part[(ct * B + b) * d4 + k];
// dE (or the group's partial) at de_out[rg * de_group_stride + j * de_ld + k].
template <int TM, int TN, int CG>
__device__ __forceinline__ void sce_backward_tile(const float *__restrict__ sf, const float *__restrict__ E,
                                                  const int *__restrict__ target, const float *__restrict__ lse, int B,
                                                  int n, int d, float scale, int rt_per_group,
                                                  float *__restrict__ dsf_part, float *__restrict__ de_out,
                                                  long long de_group_stride, int de_ld) {
    constexpr int BM = 16 * TM, BN = 16 * TN, PS = BN + 16;
    static_assert(TN % 4 == 0, "dE rows come in float4 quads");
    const int nct = (n + BN - 1) / BN, rts = (B + BM - 1) / BM;
    const int ct = blockIdx.x % nct, rg = blockIdx.x / nct;
    const int rt_begin = rg * rt_per_group, rt_end = min(rts, rt_begin + rt_per_group);
    const int j0 = ct * BN;
    const int q4 = (d + 3) >> 2, d4 = 4 * q4;
    float4 *sfS = sce_smem, *ES = sce_smem + q4 * (BM + 1);
    float *Ps = reinterpret_cast<float *>(ES + q4 * (BN + 1));
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
    // float4 column groups of this thread in the products, clamped to the tile for loads
    int gl[CG];
#pragma unroll
    for (int c = 0; c < CG; c++) gl[c] = min(tx + 16 * c, q4 - 1);

    sce_load_tile<BN>(ES, E, j0, min(BN, n - j0), d);

    float4 de[TN][CG]; // rows j0 + 4 (ty + 16 r) + u at de[4 r + u], groups tx + 16 c
#pragma unroll
    for (int r = 0; r < TN; r++) {
#pragma unroll
        for (int c = 0; c < CG; c++) de[r][c] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    }

    for (int rt = rt_begin; rt < rt_end; rt++) {
        const int b0 = rt * BM;
        __syncthreads(); // the previous row tile's readers of sfS and Ps are done
        sce_load_tile<BM>(sfS, sf, b0, min(BM, B - b0), d);
        __syncthreads();
        {
            float acc[TM][TN];
            sce_scores<TM, TN>(sfS, ES, q4, acc);
#pragma unroll
            for (int i = 0; i < TM; i++) {
                const int b = b0 + ty + 16 * i;
                const bool row = b < B;
                const float l = row ? lse[b] : 0.0f;
                const int t = row ? target[b] : -1;
#pragma unroll
                for (int c = 0; c < TN; c++) {
                    const int j = j0 + tx + 16 * c;
                    float p = 0.0f;
                    if (row && j >= 1 && j < n) {
                        p = expf(acc[i][c] - l) * scale;
                        if (j == t) p -= scale;
                    }
                    Ps[(ty + 16 * i) * PS + tx + 16 * c] = p;
                }
            }
        }
        __syncthreads();
        {
            // dsf partial: rows ty + 16 i, groups tx + 16 c; k runs over the tile's items
            float4 o[TM][CG];
#pragma unroll
            for (int i = 0; i < TM; i++) {
#pragma unroll
                for (int c = 0; c < CG; c++) o[i][c] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            }
            for (int k = 0; k < BN; k += 4) {
                float4 a[TM];
#pragma unroll
                for (int i = 0; i < TM; i++) a[i] = *reinterpret_cast<const float4 *>(Ps + (ty + 16 * i) * PS + k);
#pragma unroll
                for (int u = 0; u < 4; u++) {
                    float4 e[CG];
#pragma unroll
                    for (int c = 0; c < CG; c++) e[c] = ES[gl[c] * (BN + 1) + k + u];
#pragma unroll
                    for (int i = 0; i < TM; i++) {
#pragma unroll
                        for (int c = 0; c < CG; c++) sce_axpy4(o[i][c], sce_comp(a[i], u), e[c]);
                    }
                }
            }
#pragma unroll
            for (int i = 0; i < TM; i++) {
                const int b = b0 + ty + 16 * i;
#pragma unroll
                for (int c = 0; c < CG; c++) {
                    const int g = tx + 16 * c;
                    if (b < B && g < q4) {
                        *reinterpret_cast<float4 *>(dsf_part + ((long long) ct * B + b) * d4 + 4 * g) = o[i][c];
                    }
                }
            }
        }
        // dE: rows j = 4 (ty + 16 r) + u of the tile; k runs over the row tile's sessions
        for (int k = 0; k < BM; k++) {
            float4 a[TN / 4], e[CG];
#pragma unroll
            for (int r = 0; r < TN / 4; r++) a[r] = *reinterpret_cast<const float4 *>(Ps + k * PS + 4 * (ty + 16 * r));
#pragma unroll
            for (int c = 0; c < CG; c++) e[c] = sfS[gl[c] * (BM + 1) + k];
#pragma unroll
            for (int r = 0; r < TN / 4; r++) {
#pragma unroll
                for (int u = 0; u < 4; u++) {
#pragma unroll
                    for (int c = 0; c < CG; c++) sce_axpy4(de[4 * r + u][c], sce_comp(a[r], u), e[c]);
                }
            }
        }
    }

    float *out = de_out + (long long) rg * de_group_stride;
#pragma unroll
    for (int r = 0; r < TN / 4; r++) {
#pragma unroll
        for (int u = 0; u < 4; u++) {
            const int j = j0 + 4 * (ty + 16 * r) + u;
            if (j >= n) continue;
#pragma unroll
            for (int c = 0; c < CG; c++) {
                const int k = 4 * (tx + 16 * c);
                float *o = out + (long long) j * de_ld + k;
                const float4 v = de[4 * r + u][c];
                if (k < d) o[0] = v.x;
                if (k + 1 < d) o[1] = v.y;
                if (k + 2 < d) o[2] = v.z;
                if (k + 3 < d) o[3] = v.w;
            }
        }
    }
}

#define SCE_BACKWARD_KERNEL(name, TM, TN, CG)                                                                         \
    extern "C" __global__ void __launch_bounds__(SCE_THREADS, 1)                                                       \
    name(const float *__restrict__ sf, const float *__restrict__ E, const int *__restrict__ target,                   \
         const float *__restrict__ lse, int B, int n, int d, float scale, int rt_per_group,                           \
         float *__restrict__ dsf_part, float *__restrict__ de_out, long long de_group_stride, int de_ld) {            \
        sce_backward_tile<TM, TN, CG>(sf, E, target, lse, B, n, d, scale, rt_per_group, dsf_part, de_out,             \
                                      de_group_stride, de_ld);                                                        \
    }

SCE_BACKWARD_KERNEL(softmax_ce_backward_t8c1, 8, 8, 1)
SCE_BACKWARD_KERNEL(softmax_ce_backward_t8c2, 8, 8, 2)
SCE_BACKWARD_KERNEL(softmax_ce_backward_t4c4, 4, 4, 4)

// dsf[b, k] = sum over ct of part[ct][b][k] in a fixed order: a block takes 32 float4 of dsf
// (one per lane, coalesced) and 8 slices of the column tiles (one per warp, ct ascending within
// a slice); the slices' sums are added in slice order. Grid: ceil(B * q4 / 32) blocks,
// SCE_DSF_SLICES * 32 * 16 bytes of dynamic shared memory. Memory-bound: reads the partials once.
#define SCE_DSF_SLICES (SCE_THREADS / 32)
extern "C" __global__ void __launch_bounds__(SCE_THREADS)
softmax_ce_backward_dsf(const float *__restrict__ part, int B, int d, int nct, float *__restrict__ dsf) {
    const int q4 = (d + 3) >> 2;
    const long long total = (long long) B * q4; // float4s per partial
    const int lane = threadIdx.x & 31, slice = threadIdx.x >> 5;
    const long long e = (long long) blockIdx.x * 32 + lane;
    const int per = (nct + SCE_DSF_SLICES - 1) / SCE_DSF_SLICES;
    const int c0 = slice * per, c1 = min(nct, c0 + per);
    const float4 *p4 = reinterpret_cast<const float4 *>(part);
    float4 s = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    if (e < total) {
#pragma unroll 4
        for (int c = c0; c < c1; c++) {
            const float4 v = p4[c * total + e];
            s.x += v.x;
            s.y += v.y;
            s.z += v.z;
            s.w += v.w;
        }
    }
    sce_smem[slice * 32 + lane] = s;
    __syncthreads();
    if (slice == 0 && e < total) {
        for (int w = 1; w < SCE_DSF_SLICES; w++) {
            const float4 v = sce_smem[w * 32 + lane];
            s.x += v.x;
            s.y += v.y;
            s.z += v.z;
            s.w += v.w;
        }
        const long long b = e / q4;
        const int k = 4 * (int) (e - b * q4);
        float *o = dsf + b * d + k;
        if (k < d) o[0] = s.x;
        if (k + 1 < d) o[1] = s.y;
        if (k + 2 < d) o[2] = s.z;
        if (k + 3 < d) o[3] = s.w;
    }
}

// dE[j, k] = sum_{g = 0}^{groups-1} part[g][j][k] (row stride d4) in that order.
extern "C" __global__ void __launch_bounds__(SCE_THREADS)
softmax_ce_backward_de(const float *__restrict__ part, int n, int d, int groups, float *__restrict__ dE) {
    const int d4 = (d + 3) & ~3;
    const long long total = (long long) n * d, stride = (long long) n * d4;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += (long long) gridDim.x * blockDim.x) {
        const long long j = e / d;
        const long long src = j * d4 + (e - j * d);
        float s = 0.0f;
        for (int g = 0; g < groups; g++) s += part[g * stride + src];
        dE[e] = s;
    }
}

// ---- rank of the target ----

// zt[b] = z[b, target_b] by the same fma chain as the tiles; rank[b] = 1, or n - 1 when zt is
// NaN (a NaN target ranks last; the count kernel then adds nothing).
extern "C" __global__ void __launch_bounds__(SCE_THREADS)
rank_targets_init(const float *__restrict__ sf, const float *__restrict__ E, const int *__restrict__ target, int B,
                  int n, int d, float *__restrict__ zt, int *__restrict__ rank) {
    for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < B; b += gridDim.x * blockDim.x) {
        const float *x = sf + (long long) b * d, *y = E + (long long) target[b] * d;
        float acc = 0.0f;
        for (int k = 0; k < d; k++) acc = fmaf(x[k], y[k], acc);
        zt[b] = acc;
        rank[b] = isnan(acc) ? n - 1 : 1;
    }
}

template <int TM, int TN>
__device__ __forceinline__ void sce_rank_tile(const float *__restrict__ sf, const float *__restrict__ E,
                                              const int *__restrict__ target, int B, int n, int d,
                                              const float *__restrict__ zt, int *__restrict__ rank) {
    float acc[TM][TN];
    int b0, j0, ct, nct;
    sce_score_tile<TM, TN>(sf, E, B, n, d, acc, b0, j0, ct, nct);
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
#pragma unroll
    for (int i = 0; i < TM; i++) {
        const int b = b0 + ty + 16 * i;
        int count = 0;
        if (b < B) {
            const int t = target[b];
            const float z = zt[b];
            if (!isnan(z)) {
#pragma unroll
                for (int c = 0; c < TN; c++) {
                    const int j = j0 + tx + 16 * c;
                    const float v = acc[i][c];
                    if (j >= 1 && j < n && j != t && (v > z || (v == z && j < t))) count++;
                }
            }
        }
#pragma unroll
        for (int off = 8; off >= 1; off >>= 1) count += __shfl_xor_sync(SCE_FULL_MASK, count, off);
        if (tx == 0 && count > 0) atomicAdd(rank + b, count);
    }
}

extern "C" __global__ void __launch_bounds__(SCE_THREADS, 2)
rank_targets_t8(const float *__restrict__ sf, const float *__restrict__ E, const int *__restrict__ target, int B, int n,
                int d, const float *__restrict__ zt, int *__restrict__ rank) {
    sce_rank_tile<8, 8>(sf, E, target, B, n, d, zt, rank);
}

extern "C" __global__ void __launch_bounds__(SCE_THREADS, 1)
rank_targets_t4(const float *__restrict__ sf, const float *__restrict__ E, const int *__restrict__ target, int B, int n,
                int d, const float *__restrict__ zt, int *__restrict__ rank) {
    sce_rank_tile<4, 4>(sf, E, target, B, n, d, zt, rank);
}

// ---- top K ----

// Keeps the best candidate (key, id, raw score) of a and b in a; id < 0 is "none".
__device__ __forceinline__ void sce_take_better(float &k, int &id, float &s, float ok, int oid, float os) {
    if (oid >= 0 && (id < 0 || sce_before(ok, oid, k, id))) {
        k = ok;
        id = oid;
        s = os;
    }
}

// Per row of the tile, K rounds: the best item strictly after the previous round's winner
// (in the order of sce_before) among the tile's items; candidates at
// cand[(b * nct + ct) * K + r], id -1 (score -inf) when the tile has fewer than K items.
template <int TM, int TN>
__device__ __forceinline__ void sce_top_k_tile(const float *__restrict__ sf, const float *__restrict__ E, int B, int n,
                                               int d, int K, float *__restrict__ cand_s, int *__restrict__ cand_i) {
    float acc[TM][TN];
    int b0, j0, ct, nct;
    sce_score_tile<TM, TN>(sf, E, B, n, d, acc, b0, j0, ct, nct);
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
#pragma unroll
    for (int i = 0; i < TM; i++) {
        const int b = b0 + ty + 16 * i;
        float tk = INFINITY; // the last winner: every item comes after (+inf, -1)
        int ti = -1;
        for (int r = 0; r < K; r++) {
            float bk = -INFINITY, bs = -INFINITY;
            int bi = -1;
#pragma unroll
            for (int c = 0; c < TN; c++) {
                const int j = j0 + tx + 16 * c;
                const float key = sce_key(acc[i][c]);
                if (j >= 1 && j < n && sce_before(tk, ti, key, j)) sce_take_better(bk, bi, bs, key, j, acc[i][c]);
            }
#pragma unroll
            for (int off = 8; off >= 1; off >>= 1) {
                const float ok = __shfl_xor_sync(SCE_FULL_MASK, bk, off);
                const int oi = __shfl_xor_sync(SCE_FULL_MASK, bi, off);
                const float os = __shfl_xor_sync(SCE_FULL_MASK, bs, off);
                sce_take_better(bk, bi, bs, ok, oi, os);
            }
            if (tx == 0 && b < B) {
                const long long at = ((long long) b * nct + ct) * K + r;
                cand_i[at] = bi;
                cand_s[at] = bs;
            }
            if (bi >= 0) {
                tk = bk;
                ti = bi;
            }
        }
    }
}

extern "C" __global__ void __launch_bounds__(SCE_THREADS, 2)
top_k_t8(const float *__restrict__ sf, const float *__restrict__ E, int B, int n, int d, int K,
         float *__restrict__ cand_s, int *__restrict__ cand_i) {
    sce_top_k_tile<8, 8>(sf, E, B, n, d, K, cand_s, cand_i);
}

extern "C" __global__ void __launch_bounds__(SCE_THREADS, 1)
top_k_t4(const float *__restrict__ sf, const float *__restrict__ E, int B, int n, int d, int K,
         float *__restrict__ cand_s, int *__restrict__ cand_i) {
    sce_top_k_tile<4, 4>(sf, E, B, n, d, K, cand_s, cand_i);
}

// One warp per row: K rounds over the row's nct * K candidates, each taking the best one
// strictly after the previous winner. items (B, K), scores (B, K).
extern "C" __global__ void __launch_bounds__(SCE_THREADS)
top_k_merge(const float *__restrict__ cand_s, const int *__restrict__ cand_i, int B, int nct, int K,
            int *__restrict__ items, float *__restrict__ scores) {
    const int lane = threadIdx.x & 31;
    const int b = blockIdx.x * SCE_WARPS + (threadIdx.x >> 5);
    const long long count = (long long) nct * K, base = (long long) b * count;
    float tk = INFINITY;
    int ti = -1;
    for (int r = 0; r < K; r++) {
        float bk = -INFINITY, bs = -INFINITY;
        int bi = -1;
        if (b < B) {
            for (long long c = lane; c < count; c += 32) {
                const int id = cand_i[base + c];
                if (id < 0) continue;
                const float s = cand_s[base + c], key = sce_key(s);
                if (sce_before(tk, ti, key, id)) sce_take_better(bk, bi, bs, key, id, s);
            }
        }
#pragma unroll
        for (int off = 16; off >= 1; off >>= 1) {
            const float ok = __shfl_xor_sync(SCE_FULL_MASK, bk, off);
            const int oi = __shfl_xor_sync(SCE_FULL_MASK, bi, off);
            const float os = __shfl_xor_sync(SCE_FULL_MASK, bs, off);
            sce_take_better(bk, bi, bs, ok, oi, os);
        }
        if (lane == 0 && b < B) {
            items[(long long) b * K + r] = bi;
            scores[(long long) b * K + r] = bs;
        }
        if (bi >= 0) {
            tk = bk;
            ti = bi;
        }
    }
}
