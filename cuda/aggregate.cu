// aggregate.cu: the attentive aggregation of the recommendation module (MODEL.md 2.6-2.7,
// CpuModel.encodeForward from "aggregation (LGSR-C)" to catD and encodeBackward up to dF),
// and the LGSR-A variant's last-item path.
//
// Shapes (row-major float32; b < B sessions, i < T slots, c < d columns):
//   F, G, dF, dG        (B, T, d)   row (b, i) at (b * T + i) * d
//   U, dU, Ft, dFt      (B, d)
//   dqPart              (B, d)      per-session partial of dLoss/dq (summed over b by col_sum)
//   alpha               (B, T)
//   cat, catD, dCatD, maskC   (B, 2d) for LGSR-C, (B, d) for LGSR-A
//   q (d);  len (B) int32, the valid slots of session b, left-aligned, trusted to lie in [1, T]
//   (a len outside it is the caller's error; the kernels clamp it so as never to leave the arrays)
//   maskC: the dropout mask (0 or 1/(1-rate)), or 0 (a null pointer) for no dropout.
//   hard: 1 = hard sigmoid h(x) = max(0, min(1, 0.2x + 0.5)), h'(x) = 0.2 where 0 < 0.2x+0.5 < 1,
//   else 0; 0 = logistic sigmoid h = s, h' = s (1 - s) (CpuModel.hs / hsPrime).
//
// Semantics:
//   gather_last        Ft[b] = F[b, len-1]
//   add_last           dF[b, len-1] += dFt[b]
//   aggregate_forward  on entry G = F Wa2, U = Ft Wa1.  G[b, i] += U[b] for every i < T (padded
//                      too: saved for the backward); e_i = q . h(G[b, i]) for i < len;
//                      alpha = softmax_i<len(e) (max-subtracted), 0 at padded slots;
//                      cat[b] = [F[b, len-1] ; sum_i alpha_i F[b, i]]; catD = cat * maskC.
//   aggregate_backward dcat = dCatD * maskC; for i < len: dF[b, i] = alpha_i dcat[d:2d]
//                      (+ dcat[0:d] at i = len-1); dalpha_i = F_i . dcat[d:2d];
//                      de_i = alpha_i (dalpha_i - sum_j alpha_j dalpha_j);
//                      dqPart[b] = sum_i de_i h(G_i); dG_i = de_i q .* h'(G_i); dU[b] = sum_i dG_i.
//                      Padded slots: dF = dG = 0 (written).  The orchestrator then adds dG Wa2^T
//                      into dF and dU Wa1^T at len-1 (add_last).
//   last_forward       LGSR-A: cat[b] = F[b, len-1]; catD = cat * maskC.
//   last_backward      LGSR-A: dF = 0 except dF[b, len-1] = dCatD[b] * maskC[b] (every slot written).
//
// CPU twin: org.lgsr.cpu.Aggregate (same names in camelCase), whose float arithmetic follows
// CpuModel's order. The column sums here (cat's weighted sum, dU, dqPart, the dot) add in the
// twin's order with each product and sum rounded on its own; the row dot products (e_i,
// dalpha_i) are warp tree sums and expf replaces the twin's double exp: equal up to rounding.
//
// Performance: memory-bound (a few FLOPs per byte). aggregate_forward / aggregate_backward use
// one block per session, blockDim = d rounded up to a warp (64 to 256 threads; any multiple of
// 32 up to 1024 works): warps take rows (a coalesced dot product of a row with a shared vector,
// shuffle-reduced), threads take columns for the sums over slots. Every input byte is read from
// device memory once and every output byte written once:
//   aggregate_forward   G read + written (8BTd), U (4Bd), F valid rows (4 sum(len) d), q (4d),
//                       len (4B), maskC (8Bd, if any), alpha (4BT), cat + catD (16Bd)
//   aggregate_backward  dCatD (8Bd), maskC (8Bd, if any), G and F valid rows (8 sum(len) d),
//                       alpha valid (4 sum(len)), q, len, dF + dG (8BTd), dU + dqPart (8Bd)
// gather_last, add_last, last_forward, last_backward are grid-stride element loops (coalesced
// over c); their bytes are in AggregateKernels.

#include "warp.cuh"

#define AGG_MAX_T 32
#define AGG_MAX_D 256

// len[b] clamped into [1, T] (a len outside it is a caller error; never leave the arrays).
__device__ __forceinline__ int agg_len(const int *__restrict__ len, long long b, int T) {
    return min(max(len[b], 1), T);
}



// h(x) (CpuModel.hs).
__device__ __forceinline__ float agg_h(float x, int hard) {
    if (hard) return fmaxf(0.0f, fminf(1.0f, __fadd_rn(__fmul_rn(0.2f, x), 0.5f)));
    return __fdiv_rn(1.0f, __fadd_rn(1.0f, expf(-x)));
}

// h(x) and h'(x) together (CpuModel.hs, hsPrime): one exp for the sigmoid.
__device__ __forceinline__ void agg_h_and_prime(float x, int hard, float &h, float &hp) {
    if (hard) {
        const float y = __fadd_rn(__fmul_rn(0.2f, x), 0.5f);
        h = fmaxf(0.0f, fminf(1.0f, y));
        hp = (y > 0.0f && y < 1.0f) ? 0.2f : 0.0f;
    } else {
        const float s = __fdiv_rn(1.0f, __fadd_rn(1.0f, expf(-x)));
        h = s;
        hp = __fmul_rn(s, __fsub_rn(1.0f, s));
    }
}

// Ft[b, c] = F[b, len-1, c]. Grid-stride over B*d.
extern "C" __global__ void gather_last(const float *__restrict__ F, const int *__restrict__ len, int B, int T, int d,
                                       float *__restrict__ Ft) {
    const long long total = (long long) B * d;
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const long long b = e / d, c = e - b * d;
        Ft[e] = F[(b * T + agg_len(len, b, T) - 1) * d + c];
    }
}

// dF[b, len-1, c] += dFt[b, c]. Grid-stride over B*d; each element of dF is touched once.
extern "C" __global__ void add_last(float *__restrict__ dF, const float *__restrict__ dFt, const int *__restrict__ len,
                                    int B, int T, int d) {
    const long long total = (long long) B * d;
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const long long b = e / d, c = e - b * d;
        const long long o = (b * T + agg_len(len, b, T) - 1) * d + c;
        dF[o] = __fadd_rn(dF[o], dFt[e]);
    }
}

// One block per session (grid = B). Limits: T <= 32, d <= 256, blockDim a multiple of 32.
extern "C" __global__ void aggregate_forward(float *__restrict__ G, const float *__restrict__ U,
                                             const float *__restrict__ F, const float *__restrict__ q,
                                             const int *__restrict__ len, const float *__restrict__ maskC, int B,
                                             int T, int d, int hard, float *__restrict__ alpha,
                                             float *__restrict__ cat, float *__restrict__ catD) {
    __shared__ float s_u[AGG_MAX_D], s_q[AGG_MAX_D], s_e[AGG_MAX_T];
    const long long b = blockIdx.x;
    if (b >= B) return;
    const int t = agg_len(len, b, T);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int c = threadIdx.x; c < d; c += blockDim.x) {
        s_u[c] = U[b * d + c];
        s_q[c] = q[c];
    }
    __syncthreads();
    // G[b, i] += U[b] on every slot; e_i = q . h(G[b, i]) on the valid ones (a warp per row)
    for (int i = warp; i < T; i += warps) {
        float *g = G + (b * T + i) * d;
        if (i < t) {
            float e = 0.0f;
            for (int c = lane; c < d; c += 32) {
                const float x = __fadd_rn(g[c], s_u[c]);
                g[c] = x;
                e = __fadd_rn(e, __fmul_rn(s_q[c], agg_h(x, hard)));
            }
            e = lgsr_warp_sum(e);
            if (lane == 0) s_e[i] = e;
        } else {
            for (int c = lane; c < d; c += 32) g[c] = __fadd_rn(g[c], s_u[c]);
        }
    }
    __syncthreads();
    // alpha = softmax over the valid slots (warp 0, a lane per slot)
    if (warp == 0) {
        const float e = lane < t ? s_e[lane] : -INFINITY;
        const float m = lgsr_warp_max(e);
        const float x = lane < t ? expf(e - m) : 0.0f;
        const float sum = lgsr_warp_sum(x);
        const float a = lane < t ? __fdiv_rn(x, sum) : 0.0f;
        if (lane < t) s_e[lane] = a;
        if (lane < T) alpha[b * T + lane] = a;
    }
    __syncthreads();
    // cat = [F_last ; sum_i alpha_i F_i], catD = cat * maskC (a thread per column)
    const float *f = F + b * T * d;
    float *co = cat + b * 2 * d, *cd = catD + b * 2 * d;
    const float *mk = maskC == nullptr ? nullptr : maskC + b * 2 * d;
    for (int c = threadIdx.x; c < d; c += blockDim.x) {
        const float last = f[(long long) (t - 1) * d + c];
        float s = 0.0f;
        for (int i = 0; i < t; i++) s = __fadd_rn(s, __fmul_rn(s_e[i], f[(long long) i * d + c]));
        co[c] = last;
        co[d + c] = s;
        cd[c] = mk == nullptr ? last : __fmul_rn(last, mk[c]);
        cd[d + c] = mk == nullptr ? s : __fmul_rn(s, mk[d + c]);
    }
}

// One block per session (grid = B). Limits: T <= 32, d <= 256, blockDim a multiple of 32.
extern "C" __global__ void aggregate_backward(const float *__restrict__ dCatD, const float *__restrict__ maskC,
                                              const float *__restrict__ G, const float *__restrict__ F,
                                              const float *__restrict__ alpha, const float *__restrict__ q,
                                              const int *__restrict__ len, int B, int T, int d, int hard,
                                              float *__restrict__ dF, float *__restrict__ dG,
                                              float *__restrict__ dU, float *__restrict__ dqPart) {
    __shared__ float s_dcat[2 * AGG_MAX_D], s_a[AGG_MAX_T], s_da[AGG_MAX_T];
    const long long b = blockIdx.x;
    if (b >= B) return;
    const int t = agg_len(len, b, T);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int k = threadIdx.x; k < 2 * d; k += blockDim.x) {
        const float v = dCatD[b * 2 * d + k];
        s_dcat[k] = maskC == nullptr ? v : __fmul_rn(v, maskC[b * 2 * d + k]);
    }
    if (threadIdx.x < t) s_a[threadIdx.x] = alpha[b * T + threadIdx.x];
    __syncthreads();
    // dF rows and dalpha_i = F_i . dcat[d:2d] (a warp per row); padded rows: dF = dG = 0
    for (int i = warp; i < T; i += warps) {
        const long long o = (b * T + i) * d;
        if (i < t) {
            const float a = s_a[i];
            float da = 0.0f;
            for (int c = lane; c < d; c += 32) {
                const float s2 = s_dcat[d + c];
                const float v = __fmul_rn(a, s2);
                dF[o + c] = i == t - 1 ? __fadd_rn(s_dcat[c], v) : v;
                da = __fadd_rn(da, __fmul_rn(F[o + c], s2));
            }
            da = lgsr_warp_sum(da);
            if (lane == 0) s_da[i] = da;
        } else {
            for (int c = lane; c < d; c += 32) {
                dF[o + c] = 0.0f;
                dG[o + c] = 0.0f;
            }
        }
    }
    __syncthreads();
    // dot = sum_i alpha_i dalpha_i (every thread, in the twin's order); then a thread per column
    float dot = 0.0f;
    for (int i = 0; i < t; i++) dot = __fadd_rn(dot, __fmul_rn(s_a[i], s_da[i]));
    for (int c = threadIdx.x; c < d; c += blockDim.x) {
        const float qc = q[c];
        float dq = 0.0f, du = 0.0f;
        for (int i = 0; i < t; i++) {
            const long long o = (b * T + i) * d + c;
            const float de = __fmul_rn(s_a[i], __fsub_rn(s_da[i], dot));
            float h, hp;
            agg_h_and_prime(G[o], hard, h, hp);
            dq = __fadd_rn(dq, __fmul_rn(de, h));
            const float v = __fmul_rn(__fmul_rn(de, qc), hp);
            dG[o] = v;
            du = __fadd_rn(du, v);
        }
        dU[b * d + c] = du;
        dqPart[b * d + c] = dq;
    }
}

// LGSR-A: cat[b] = F[b, len-1], catD = cat * maskC. Grid-stride over B*d.
extern "C" __global__ void last_forward(const float *__restrict__ F, const int *__restrict__ len,
                                        const float *__restrict__ maskC, int B, int T, int d,
                                        float *__restrict__ cat, float *__restrict__ catD) {
    const long long total = (long long) B * d;
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const long long b = e / d, c = e - b * d;
        const float v = F[(b * T + agg_len(len, b, T) - 1) * d + c];
        cat[e] = v;
        catD[e] = maskC == nullptr ? v : __fmul_rn(v, maskC[e]);
    }
}

// LGSR-A: dF[b, i] = (i == len-1) ? dCatD[b] * maskC[b] : 0. Grid-stride over B*T*d (all written).
extern "C" __global__ void last_backward(const float *__restrict__ dCatD, const float *__restrict__ maskC,
                                         const int *__restrict__ len, int B, int T, int d, float *__restrict__ dF) {
    const long long total = (long long) B * T * d;
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const long long r = e / d, c = e - r * d;
        const long long b = r / T, i = r - b * T;
        float v = 0.0f;
        if (i == agg_len(len, b, T) - 1) {
            const long long k = b * d + c;
            v = maskC == nullptr ? dCatD[k] : __fmul_rn(dCatD[k], maskC[k]);
        }
        dF[e] = v;
    }
}
