// attention.cu: the fused causal self-attention of the recommendation module (MODEL.md 2, step 4),
// forward and backward, with the residual and LayerNorm1 fused in (CpuModel.encodeForward /
// encodeBackward between Q, K, V and S).
//
// Shapes (row-major): Q, K, V, X, S, XH, dS, dR, dQ, dK, dV: (B, T, d); A, maskA: (B, T, T);
// RS: (B, T); len: (B,); gamma, beta: (d,); dGammaPart, dBetaPart: (B, d). Row r = b * T + i.
// Limits: T <= 32 (one key per lane), d <= 256 (eight columns per lane); the launcher
// (AttentionKernels) also checks the dynamic shared memory against 48 KB. Slots i < len[b] are
// valid (len is trusted; it is clamped to [0, T] so that a bad value cannot read outside the
// session). maskA may be 0 (dropout off).
//
// attention_forward, for valid rows i:
//   s_ij = (Q_i . K_j) * (1/sqrt d) for j <= i;  A_ij = softmax_j(s_ij), 0 for j > i
//   R_i = sum_j A_ij maskA_ij V_j + X_i
//   LayerNorm over d (population variance, eps 1e-8): RS = 1 / sqrt(var + 1e-8) (in double,
//   rounded once, as CpuModel), XH = (R - mean) RS, S = gamma XH + beta.
// padded rows: A row 0, R_i = X_i, then the same LayerNorm (finite: X = 0 gives S = beta).
//
// attention_backward, for valid rows (g = dS gamma, m1 = mean(g), m2 = mean(g XH)):
//   dR_i = RS_i (g_i - m1 - XH_i m2)                     (LayerNorm backward, CpuModel's form)
//   dV_j = sum_{valid i >= j} A_ij maskA_ij dR_i
//   dAd_ij = (dR_i . V_j) maskA_ij;  ds_ij = A_ij (dAd_ij - sum_k A_ik dAd_ik) / sqrt d
//   dQ_i = sum_{j <= i} ds_ij K_j;  dK_j = sum_{valid i >= j} ds_ij Q_i
//   dGammaPart[b] = sum_{valid i} dS_i XH_i,  dBetaPart[b] = sum_{valid i} dS_i
// padded rows: dR, dQ, dK, dV written 0 (dS there is ignored).
//
// CPU twin: org.lgsr.cpu.Attention.attentionForward / attentionBackward (same operations in
// sequential order; the kernels sum in warp trees and fuse multiply-adds: equal up to rounding).
//
// Performance design. Per session the matrices are tiny (T x T scores, T x d rows). At T = 19,
// d = 100, masked, a session costs 92.5 kFLOP against 48.6 kB of device traffic forward and
// 174 kFLOP against 72.2 kB backward (AttentionKernels.forwardFlops/forwardBytes and
// backwardFlops/backwardBytes): 1.9 and 2.4 FLOP/byte, far below an H100's ~18 FP32 FLOP/byte,
// so both kernels are bound by device-memory bytes (and on chip by shared-memory and shuffle
// issue, not by FLOPs). One block per session with a whole number of warps; the launcher takes
// 32 * min(4, T) threads (on sm_90 the backward's 87 registers and the forward's 70 let 5 and 7
// such blocks share an SM, so 512 sessions are resident in one wave on an H100 and one block's
// loads overlap another's arithmetic). One warp per query row (rows round-robin over warps),
// lane l holding columns l, l + 32, ... (KD = ceil(d/32) registers per row vector, KD a template
// parameter: a row loop takes only the column steps d needs). Every global access is a warp reading or writing
// 32 consecutive floats of one row (coalesced), and every input is read once, every output
// written once (bytes: AttentionKernels.forwardBytes / backwardBytes).
//  - forward: K and V of the valid rows staged in shared memory (2 T d floats); Q_i, X_i read
//    straight into the row's registers. A score is a lane-partial dot product (conflict-free
//    shared reads) closed by a butterfly shuffle sum, kept by lane j; softmax across lanes;
//    R_i accumulates A_ij V_j with A_ij broadcast by shuffle; LayerNorm by two warp sums.
//  - backward: V and Q staged (3 T d + 2 T T floats in all); phase 1 (warp per valid row): dR
//    from dS and XH in registers (written to global and to shared), the scores' gradient ds_ij
//    (lane j) and A_ij maskA_ij into two T x T shared tiles. Then K replaces V in shared memory,
//    and phase 2 (warp per valid row r) forms dQ_r, dK_r and dV_r as sums over the tiles' row r
//    or column r in a fixed order (no atomics). The LayerNorm partials are summed per warp in
//    registers and then over the warps in warp order: deterministic.

#include "warp.cuh"

#define ATT_FULL_MASK 0xffffffffu
#define ATT_LN_EPS 1e-8



__device__ __forceinline__ int att_valid_len(const int *__restrict__ len, int b, int T) {
    const int n = len[b];
    return n < 0 ? 0 : (n > T ? T : n);
}

// 1/sqrt(var + eps) in double, rounded once to float (CpuModel's rstd)
__device__ __forceinline__ float att_rstd(float var) {
    return (float) (1.0 / sqrt((double) var + ATT_LN_EPS));
}

template <int KD>
__device__ __forceinline__ void att_forward_session(const float *__restrict__ Q, const float *__restrict__ K,
                                                    const float *__restrict__ V, const float *__restrict__ X,
                                                    const int *__restrict__ len, const float *__restrict__ maskA,
                                                    const float *__restrict__ gamma, const float *__restrict__ beta,
                                                    int b, int T, int d, float *__restrict__ A, float *__restrict__ S,
                                                    float *__restrict__ XH, float *__restrict__ RS) {
    extern __shared__ float att_smem[];
    const int n = att_valid_len(len, b, T);
    float *Ks = att_smem, *Vs = att_smem + T * d;
    const long long base = (long long) b * T * d;
#pragma unroll 4
    for (int e = threadIdx.x; e < n * d; e += blockDim.x) {
        Ks[e] = K[base + e];
        Vs[e] = V[base + e];
    }
    const int lane = threadIdx.x & 31, nw = blockDim.x >> 5;
    const float inv = (float) (1.0 / sqrt((double) d));
    float gam[KD], bet[KD];
#pragma unroll
    for (int k = 0; k < KD; k++) {
        const int c = lane + 32 * k;
        gam[k] = c < d ? gamma[c] : 0.0f;
        bet[k] = c < d ? beta[c] : 0.0f;
    }
    __syncthreads();
    for (int i = threadIdx.x >> 5; i < T; i += nw) {
        const long long row = (long long) b * T + i, ro = row * d;
        float r[KD];
#pragma unroll
        for (int k = 0; k < KD; k++) {
            const int c = lane + 32 * k;
            r[k] = c < d ? X[ro + c] : 0.0f;
        }
        float a = 0.0f; // lane j: A_ij
        if (i < n) {
            float q[KD];
#pragma unroll
            for (int k = 0; k < KD; k++) {
                const int c = lane + 32 * k;
                q[k] = c < d ? Q[ro + c] : 0.0f;
            }
            float s = -INFINITY; // lane j: s_ij
            for (int j = 0; j <= i; j++) {
                const float *kj = Ks + j * d;
                float p = 0.0f;
#pragma unroll
                for (int k = 0; k < KD; k++) {
                    const int c = lane + 32 * k;
                    if (c < d) p = fmaf(q[k], kj[c], p);
                }
                p = lgsr_warp_sum(p) * inv;
                if (lane == j) s = p;
            }
            const float mx = lgsr_warp_max(s);
            const float ex = lane <= i ? expf(s - mx) : 0.0f;
            a = ex / lgsr_warp_sum(ex);
            float am = a;
            if (maskA != nullptr && lane <= i) am = a * maskA[row * T + lane];
            for (int j = 0; j <= i; j++) {
                const float w = __shfl_sync(ATT_FULL_MASK, am, j);
                const float *vj = Vs + j * d;
#pragma unroll
                for (int k = 0; k < KD; k++) {
                    const int c = lane + 32 * k;
                    if (c < d) r[k] = fmaf(w, vj[c], r[k]);
                }
            }
        }
        if (lane < T) A[row * T + lane] = a;
        // LayerNorm of R_i (r is 0 in the columns c >= d)
        float sum = 0.0f;
#pragma unroll
        for (int k = 0; k < KD; k++) sum += r[k];
        const float mean = lgsr_warp_sum(sum) / d;
        float var = 0.0f;
#pragma unroll
        for (int k = 0; k < KD; k++) {
            const int c = lane + 32 * k;
            if (c < d) {
                const float t = r[k] - mean;
                var = fmaf(t, t, var);
            }
        }
        var = lgsr_warp_sum(var) / d;
        const float rs = att_rstd(var);
#pragma unroll
        for (int k = 0; k < KD; k++) {
            const int c = lane + 32 * k;
            if (c < d) {
                const float h = (r[k] - mean) * rs;
                XH[ro + c] = h;
                S[ro + c] = fmaf(gam[k], h, bet[k]);
            }
        }
        if (lane == 0) RS[row] = rs;
    }
}

template <int KD>
__device__ __forceinline__ void att_backward_session(const float *__restrict__ dS, const float *__restrict__ XH,
                                                     const float *__restrict__ RS, const float *__restrict__ gamma,
                                                     const float *__restrict__ Q, const float *__restrict__ K,
                                                     const float *__restrict__ V, const float *__restrict__ A,
                                                     const float *__restrict__ maskA, const int *__restrict__ len, int b,
                                                     int T, int d, float *__restrict__ dR, float *__restrict__ dQ,
                                                     float *__restrict__ dK, float *__restrict__ dV,
                                                     float *__restrict__ dGammaPart, float *__restrict__ dBetaPart) {
    extern __shared__ float att_smem[];
    const int n = att_valid_len(len, b, T);
    float *KVs = att_smem;             // (T, d): V in phase 1, then K in phase 2
    float *dRs = att_smem + T * d;     // (T, d): dR
    float *Qs = att_smem + 2 * T * d;  // (T, d): Q
    float *dss = att_smem + 3 * T * d; // (T, T): ds_ij at i * T + j
    float *ams = dss + T * T;          // (T, T): A_ij maskA_ij at i * T + j
    const long long base = (long long) b * T * d;
#pragma unroll 4
    for (int e = threadIdx.x; e < n * d; e += blockDim.x) {
        KVs[e] = V[base + e];
        Qs[e] = Q[base + e];
    }
    // padded rows: every gradient 0
    for (int e = n * d + threadIdx.x; e < T * d; e += blockDim.x) {
        dR[base + e] = 0.0f;
        dQ[base + e] = 0.0f;
        dK[base + e] = 0.0f;
        dV[base + e] = 0.0f;
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    const float inv = (float) (1.0 / sqrt((double) d));
    float gam[KD], gsum[KD], bsum[KD];
#pragma unroll
    for (int k = 0; k < KD; k++) {
        const int c = lane + 32 * k;
        gam[k] = c < d ? gamma[c] : 0.0f;
        gsum[k] = 0.0f;
        bsum[k] = 0.0f;
    }
    __syncthreads();

    // phase 1: warp per valid row i: dR_i, then ds_i. and A_i. maskA_i. into the tiles
    for (int i = warp; i < n; i += nw) {
        const long long row = (long long) b * T + i, ro = row * d;
        float dr[KD], xh[KD];
        float m1 = 0.0f, m2 = 0.0f;
#pragma unroll
        for (int k = 0; k < KD; k++) {
            const int c = lane + 32 * k;
            dr[k] = 0.0f;
            xh[k] = 0.0f;
            if (c < d) {
                const float g = dS[ro + c], h = XH[ro + c];
                gsum[k] = fmaf(g, h, gsum[k]);
                bsum[k] += g;
                const float gg = g * gam[k];
                dr[k] = gg;
                xh[k] = h;
                m1 += gg;
                m2 = fmaf(gg, h, m2);
            }
        }
        m1 = lgsr_warp_sum(m1) / d;
        m2 = lgsr_warp_sum(m2) / d;
        const float rs = RS[row];
#pragma unroll
        for (int k = 0; k < KD; k++) {
            const int c = lane + 32 * k;
            if (c < d) {
                dr[k] = rs * (dr[k] - m1 - xh[k] * m2);
                dR[ro + c] = dr[k];
                dRs[i * d + c] = dr[k];
            }
        }
        float aij = 0.0f, mij = 1.0f; // lane j
        if (lane <= i) {
            aij = A[row * T + lane];
            if (maskA != nullptr) mij = maskA[row * T + lane];
        }
        float dad = 0.0f; // lane j: dAd_ij
        for (int j = 0; j <= i; j++) {
            const float *vj = KVs + j * d;
            float p = 0.0f;
#pragma unroll
            for (int k = 0; k < KD; k++) {
                const int c = lane + 32 * k;
                if (c < d) p = fmaf(dr[k], vj[c], p);
            }
            p = lgsr_warp_sum(p);
            if (lane == j) dad = p;
        }
        dad *= mij;
        const float dot = lgsr_warp_sum(aij * dad);
        if (lane < T) {
            dss[i * T + lane] = aij * (dad - dot) * inv; // 0 for j > i
            ams[i * T + lane] = aij * mij;
        }
    }
    __syncthreads();
#pragma unroll 4
    for (int e = threadIdx.x; e < n * d; e += blockDim.x) KVs[e] = K[base + e];
    __syncthreads();

    // phase 2: warp per valid row r: dQ_r (row r of the ds tile), dK_r and dV_r (its column r)
    for (int r = warp; r < n; r += nw) {
        const long long ro = ((long long) b * T + r) * d;
        float acc[KD];
#pragma unroll
        for (int k = 0; k < KD; k++) acc[k] = 0.0f;
        for (int j = 0; j <= r; j++) {
            const float w = dss[r * T + j];
            const float *kj = KVs + j * d;
#pragma unroll
            for (int k = 0; k < KD; k++) {
                const int c = lane + 32 * k;
                if (c < d) acc[k] = fmaf(w, kj[c], acc[k]);
            }
        }
#pragma unroll
        for (int k = 0; k < KD; k++) {
            const int c = lane + 32 * k;
            if (c < d) dQ[ro + c] = acc[k];
            acc[k] = 0.0f;
        }
        for (int i = r; i < n; i++) {
            const float w = dss[i * T + r];
            const float *qi = Qs + i * d;
#pragma unroll
            for (int k = 0; k < KD; k++) {
                const int c = lane + 32 * k;
                if (c < d) acc[k] = fmaf(w, qi[c], acc[k]);
            }
        }
#pragma unroll
        for (int k = 0; k < KD; k++) {
            const int c = lane + 32 * k;
            if (c < d) dK[ro + c] = acc[k];
            acc[k] = 0.0f;
        }
        for (int i = r; i < n; i++) {
            const float w = ams[i * T + r];
            const float *gi = dRs + i * d;
#pragma unroll
            for (int k = 0; k < KD; k++) {
                const int c = lane + 32 * k;
                if (c < d) acc[k] = fmaf(w, gi[c], acc[k]);
            }
        }
#pragma unroll
        for (int k = 0; k < KD; k++) {
            const int c = lane + 32 * k;
            if (c < d) dV[ro + c] = acc[k];
        }
    }

    // the LayerNorm partials: per-warp sums (registers) summed over the warps in order. Only
    // warps < min(nw, T) can hold rows; their 2 x d floats per warp fit in the 3 T d floats.
    __syncthreads();
    const int nwr = nw < T ? nw : T;
    float *red = att_smem;
    if (warp < nwr) {
#pragma unroll
        for (int k = 0; k < KD; k++) {
            const int c = lane + 32 * k;
            if (c < d) {
                red[warp * d + c] = gsum[k];
                red[(nwr + warp) * d + c] = bsum[k];
            }
        }
    }
    __syncthreads();
    for (int c = threadIdx.x; c < d; c += blockDim.x) {
        float g = 0.0f, be = 0.0f;
        for (int w = 0; w < nwr; w++) {
            g += red[w * d + c];
            be += red[(nwr + w) * d + c];
        }
        dGammaPart[(long long) b * d + c] = g;
        dBetaPart[(long long) b * d + c] = be;
    }
}

// One block per session (grid B), any whole number of warps, dynamic shared memory 2 * T * d floats.
extern "C" __global__ void
attention_forward(const float *__restrict__ Q, const float *__restrict__ K, const float *__restrict__ V,
                  const float *__restrict__ X, const int *__restrict__ len, const float *__restrict__ maskA,
                  const float *__restrict__ gamma, const float *__restrict__ beta, int B, int T, int d,
                  float *__restrict__ A, float *__restrict__ S, float *__restrict__ XH, float *__restrict__ RS) {
    const int b = blockIdx.x;
    if (b >= B) return;
    switch ((d + 31) >> 5) {
    case 1: att_forward_session<1>(Q, K, V, X, len, maskA, gamma, beta, b, T, d, A, S, XH, RS); break;
    case 2: att_forward_session<2>(Q, K, V, X, len, maskA, gamma, beta, b, T, d, A, S, XH, RS); break;
    case 3: att_forward_session<3>(Q, K, V, X, len, maskA, gamma, beta, b, T, d, A, S, XH, RS); break;
    case 4: att_forward_session<4>(Q, K, V, X, len, maskA, gamma, beta, b, T, d, A, S, XH, RS); break;
    case 5: att_forward_session<5>(Q, K, V, X, len, maskA, gamma, beta, b, T, d, A, S, XH, RS); break;
    case 6: att_forward_session<6>(Q, K, V, X, len, maskA, gamma, beta, b, T, d, A, S, XH, RS); break;
    case 7: att_forward_session<7>(Q, K, V, X, len, maskA, gamma, beta, b, T, d, A, S, XH, RS); break;
    case 8: att_forward_session<8>(Q, K, V, X, len, maskA, gamma, beta, b, T, d, A, S, XH, RS); break;
    default: break; // d > 256: refused by the launcher
    }
}

// One block per session (grid B), any whole number of warps, dynamic shared memory
// 3 * T * d + 2 * T * T floats.
extern "C" __global__ void
attention_backward(const float *__restrict__ dS, const float *__restrict__ XH, const float *__restrict__ RS,
                   const float *__restrict__ gamma, const float *__restrict__ Q, const float *__restrict__ K,
                   const float *__restrict__ V, const float *__restrict__ A, const float *__restrict__ maskA,
                   const int *__restrict__ len, int B, int T, int d, float *__restrict__ dR, float *__restrict__ dQ,
                   float *__restrict__ dK, float *__restrict__ dV, float *__restrict__ dGammaPart,
                   float *__restrict__ dBetaPart) {
    const int b = blockIdx.x;
    if (b >= B) return;
#define ATT_BACKWARD_CASE(KD)                                                                                       \
    case KD:                                                                                                        \
        att_backward_session<KD>(dS, XH, RS, gamma, Q, K, V, A, maskA, len, b, T, d, dR, dQ, dK, dV, dGammaPart,    \
                                 dBetaPart);                                                                        \
        break;
    switch ((d + 31) >> 5) {
        ATT_BACKWARD_CASE(1)
        ATT_BACKWARD_CASE(2)
        ATT_BACKWARD_CASE(3)
        ATT_BACKWARD_CASE(4)
        ATT_BACKWARD_CASE(5)
        ATT_BACKWARD_CASE(6)
        ATT_BACKWARD_CASE(7)
        ATT_BACKWARD_CASE(8)
    default: break; // d > 256: refused by the launcher
    }
#undef ATT_BACKWARD_CASE
}
