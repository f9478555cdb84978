// layers.cu: the element-wise and row-wise kernels of the recommendation step (docs/gpu-engine.md,
// steps 1, 4, 5, 12, 13 and 16): dropout masks, the embedding input, the feed-forward block's bias,
// ReLU and dropout, LayerNorm 2 forward (fused with bias, dropout and residual) and the LayerNorm
// backward, mask products, deterministic column sums and the L2 term.
//
// Shapes: rows = B*T, activations (rows, d) row-major, d <= 256; bias, gamma, beta (d,).
// A "mask" argument is a float array of 0 or 1/(1-rate) (dropout_mask's output) of the
// activation's shape, or 0 (a null pointer) for dropout off. No pointer needs more than 4-byte
// alignment. Padded rows are computed like any other (finite inputs give finite outputs).
//
// CPU twin: org.lgsr.cpu.Layers (one static method per kernel, same name in camelCase); launcher:
// org.lgsr.gpu.kernels.LayersKernels (grids, size checks, the two stages of col_sum and l2_grad).
//
// Equality with the twin:
//   bit for bit: dropout_mask (also = org.lgsr.model.DropoutMasks.fill), embed_input,
//     bias_relu_dropout, mul_mask, mul_mask_to, relu_dropout_backward, col_sum (the twin runs the
//     same partition and the same order of additions), l2_grad's g. Every product and sum is
//     rounded on its own (__fmul_rn, __fadd_rn: no contraction into FMA), as Java's float does.
//   to rounding (relative 1e-5): the LayerNorm kernels (warp-tree sums instead of the twin's
//     sequential ones); l2_grad's sum of squares (relative 1e-12: a double sum in another order).
//
// Performance: every kernel is bound by device-memory bytes (a few FLOPs per 4-byte element):
//   dropout_mask                      4 B/element written (plus 64-bit integer hashing)
//   embed_input                       (E row + P row + mask) read, X written: 16 B/element, 12 without mask
//   bias_relu_dropout                 H1pre read+written, mask read, H1 written: 16 B/element (12 unmasked)
//   bias_dropout_residual_layernorm   R2, mask, S read; F, XH written: 20 B/element (+4 B/row RS)
//   layer_norm_backward               dY, XH read; dX written: 12 B/element (+4 B/row RS, partials)
//   mul_mask 12, mul_mask_to 12 (8 as a copy), relu_dropout_backward 16 B/element
//   col_sum                           4 B/element (the partials are rows/~16 of that)
//   l2_grad                           w, g read; g written: 12 B/element
// Element-wise kernels are grid-stride loops in which consecutive threads take consecutive
// elements (each warp moves whole 128-byte lines). The LayerNorm kernels give one warp to a row:
// lane l holds columns l, l+32, ... (at most 8) in registers, indexed by compile-time constants
// (a template on the number of 32-column chunks), and the row sums are butterfly shuffles, so a
// row is read once and written once. col_sum and l2_grad are two-stage reductions over a fixed
// partition chosen from the sizes alone (never from timing or atomics): the same inputs give the
// same bits on every run.

#include "warp.cuh"

#define LAY_FULL_MASK 0xffffffffu
#define LAY_MAX_D 256
#define LAY_LN_BWD_MAX_WARPS 8
#define LAY_ROW_THREADS 256
#define LAY_COL_SUM_THREADS 256
#define LAY_L2_THREADS 256

// ---------------------------------------------------------------- dropout masks

// SplitMix64's finalizer on 64-bit words with wrap-around (Java's long arithmetic, unsigned shifts).
__device__ __forceinline__ unsigned long long lay_mix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// out[i] = keep(i) ? 1/(1-rate) : 0 for i < count, where
//   z = mix64(seed + site * 0x9E3779B97F4A7C15 + i * 0xD1B54A32D192ED03), u = (z >>> 40) * 2^-24,
//   keep = u >= rate   (org.lgsr.model.DropoutMasks.keep, bit for bit).
extern "C" __global__ void dropout_mask(float *__restrict__ out, long long count, unsigned long long seed, int site,
                                        float rate) {
    const float scale = __fdiv_rn(1.0f, __fsub_rn(1.0f, rate));
    // Java: site (int) widens to long with its sign, then every product wraps modulo 2^64
    const unsigned long long base = seed + (unsigned long long) (long long) site * 0x9E3779B97F4A7C15ull;
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride) {
        const unsigned long long z = lay_mix64(base + (unsigned long long) i * 0xD1B54A32D192ED03ull);
        const float u = (float) (unsigned) (z >> 40) * 0x1p-24f; // 24 bits: exact
        out[i] = u >= rate ? scale : 0.0f;
    }
}

// ---------------------------------------------------------------- forward, element-wise

// X[r, c] = (E[items[r], c] + P[pos[r], c]) * mask[r, c]   (mask 0: no product).
// The launcher guarantees rows * d < 2^31, so element indices are 32-bit.
extern "C" __global__ void embed_input(float *__restrict__ X, const float *__restrict__ E, const float *__restrict__ P,
                                       const int *__restrict__ items, const int *__restrict__ pos,
                                       const float *__restrict__ mask, int rows, int d) {
    const unsigned total = (unsigned) rows * (unsigned) d, ud = (unsigned) d;
    const unsigned stride = gridDim.x * blockDim.x;
    for (unsigned e = blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const unsigned r = e / ud, c = e - r * ud;
        float v = __fadd_rn(E[(long long) items[r] * d + c], P[(long long) pos[r] * d + c]);
        if (mask != nullptr) v = __fmul_rn(v, mask[e]);
        X[e] = v;
    }
}

// max(0, h) as Java's Math.max(0f, h): +0 for h <= 0 (either zero), NaN stays NaN.
__device__ __forceinline__ float lay_relu(float h) {
    return h <= 0.0f ? 0.0f : h;
}

// H1pre[r, c] += bias[c] (in place); H1[r, c] = max(0, H1pre[r, c]) * mask[r, c]   (mask 0: no product).
extern "C" __global__ void bias_relu_dropout(float *__restrict__ H1pre, float *__restrict__ H1,
                                             const float *__restrict__ bias, const float *__restrict__ mask, int rows,
                                             int d) {
    const unsigned total = (unsigned) rows * (unsigned) d, ud = (unsigned) d;
    const unsigned stride = gridDim.x * blockDim.x;
    for (unsigned e = blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const unsigned c = e % ud;
        const float h = __fadd_rn(H1pre[e], bias[c]);
        H1pre[e] = h;
        float y = lay_relu(h);
        if (mask != nullptr) y = __fmul_rn(y, mask[e]);
        H1[e] = y;
    }
}

// ---------------------------------------------------------------- warp helpers



// ---------------------------------------------------------------- LayerNorm 2 forward

// One warp per row (warp-stride over rows); NC = ceil(d / 32) chunks of 32 columns, lane l holds
// columns l + 32k (k < NC) in registers.
template <int NC>
__device__ __forceinline__ void lay_bdrln_rows(const float *__restrict__ R2, const float *__restrict__ bias,
                                               const float *__restrict__ mask, const float *__restrict__ S,
                                               const float *__restrict__ gamma, const float *__restrict__ beta,
                                               int rows, int d, float *__restrict__ F, float *__restrict__ XH,
                                               float *__restrict__ RS) {
    const int lane = threadIdx.x & 31;
    const int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const int warps = (gridDim.x * blockDim.x) >> 5;
    float b[NC], gm[NC], bt[NC];
#pragma unroll
    for (int k = 0; k < NC; k++) {
        const int c = lane + 32 * k;
        const bool ok = c < d;
        b[k] = ok ? bias[c] : 0.0f;
        gm[k] = ok ? gamma[c] : 0.0f;
        bt[k] = ok ? beta[c] : 0.0f;
    }
    const float fd = (float) d;
    for (int r = warp; r < rows; r += warps) {
        const long long o = (long long) r * d;
        float x[NC];
        float sum = 0.0f;
#pragma unroll
        for (int k = 0; k < NC; k++) {
            const int c = lane + 32 * k;
            float v = 0.0f;
            if (c < d) {
                v = __fadd_rn(R2[o + c], b[k]);
                if (mask != nullptr) v = __fmul_rn(v, mask[o + c]);
                v = __fadd_rn(v, S[o + c]);
            }
            x[k] = v;
            sum += v;
        }
        const float mean = __fdiv_rn(lgsr_warp_sum(sum), fd);
        float sq = 0.0f;
#pragma unroll
        for (int k = 0; k < NC; k++) {
            const int c = lane + 32 * k;
            x[k] = __fsub_rn(x[k], mean);
            if (c < d) sq = __fadd_rn(sq, __fmul_rn(x[k], x[k]));
        }
        const float var = __fdiv_rn(lgsr_warp_sum(sq), fd);
        const float rstd = (float) (1.0 / sqrt((double) var + 1e-8));
#pragma unroll
        for (int k = 0; k < NC; k++) {
            const int c = lane + 32 * k;
            if (c < d) {
                const float h = __fmul_rn(x[k], rstd);
                XH[o + c] = h;
                F[o + c] = __fadd_rn(__fmul_rn(gm[k], h), bt[k]);
            }
        }
        if (lane == 0) RS[r] = rstd;
    }
}

// x = (R2 + bias) * mask + S (mask 0: no product); LayerNorm over each row of x with the
// population variance and eps 1e-8: RS[r] = 1/sqrt(var + 1e-8) (in double, rounded once),
// XH = (x - mean) * RS, F = gamma * XH + beta. Launch: LAY_ROW_THREADS (256) threads per block,
// any number of blocks. Registers are capped at 64 (4 blocks of 256 per SM) without spills.
extern "C" __global__ void __launch_bounds__(LAY_ROW_THREADS, 4)
    bias_dropout_residual_layernorm(const float *__restrict__ R2, const float *__restrict__ bias,
                                    const float *__restrict__ mask, const float *__restrict__ S,
                                    const float *__restrict__ gamma, const float *__restrict__ beta, int rows, int d,
                                    float *__restrict__ F, float *__restrict__ XH, float *__restrict__ RS) {
    switch ((d + 31) >> 5) {
        case 1: lay_bdrln_rows<1>(R2, bias, mask, S, gamma, beta, rows, d, F, XH, RS); break;
        case 2: lay_bdrln_rows<2>(R2, bias, mask, S, gamma, beta, rows, d, F, XH, RS); break;
        case 3: lay_bdrln_rows<3>(R2, bias, mask, S, gamma, beta, rows, d, F, XH, RS); break;
        case 4: lay_bdrln_rows<4>(R2, bias, mask, S, gamma, beta, rows, d, F, XH, RS); break;
        case 5: lay_bdrln_rows<5>(R2, bias, mask, S, gamma, beta, rows, d, F, XH, RS); break;
        case 6: lay_bdrln_rows<6>(R2, bias, mask, S, gamma, beta, rows, d, F, XH, RS); break;
        case 7: lay_bdrln_rows<7>(R2, bias, mask, S, gamma, beta, rows, d, F, XH, RS); break;
        case 8: lay_bdrln_rows<8>(R2, bias, mask, S, gamma, beta, rows, d, F, XH, RS); break;
        default: break; // d outside [1, 256]: the launcher refuses it
    }
}

// ---------------------------------------------------------------- LayerNorm backward

// One block per segment (block-stride over segments), W = blockDim.x / 32 warps (<= 8): warp w
// takes the segment's rows w, w + W, ...; lane l holds columns l + 32k. dX is written row by
// row; each warp sums dY * XH and dY over its rows in registers, then the W warp sums are added
// in warp order through shared memory (a fixed order: deterministic).
template <int NC>
__device__ __forceinline__ void lay_lnb_segments(const float *__restrict__ dY, const float *__restrict__ XH,
                                                 const float *__restrict__ RS, const float *__restrict__ gamma,
                                                 int rows, int d, int segRows, float *__restrict__ dX,
                                                 float *__restrict__ dGammaPart, float *__restrict__ dBetaPart,
                                                 float (*sg)[LAY_MAX_D], float (*sb)[LAY_MAX_D]) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, W = blockDim.x >> 5;
    const int segments = rows / segRows;
    const float fd = (float) d;
    for (int s = blockIdx.x; s < segments; s += gridDim.x) {
        float accG[NC], accB[NC];
#pragma unroll
        for (int k = 0; k < NC; k++) accG[k] = accB[k] = 0.0f;
        for (int i = warp; i < segRows; i += W) {
            const int r = s * segRows + i;
            const long long o = (long long) r * d;
            float g[NC], xh[NC]; // gamma is re-read per row (L1-resident) to keep registers for these
            float s1 = 0.0f, s2 = 0.0f;
#pragma unroll
            for (int k = 0; k < NC; k++) {
                const int c = lane + 32 * k;
                const bool ok = c < d;
                const float dy = ok ? dY[o + c] : 0.0f;
                xh[k] = ok ? XH[o + c] : 0.0f;
                g[k] = __fmul_rn(dy, ok ? gamma[c] : 0.0f);
                s1 = __fadd_rn(s1, g[k]);
                s2 = __fadd_rn(s2, __fmul_rn(g[k], xh[k]));
                accG[k] = __fadd_rn(accG[k], __fmul_rn(dy, xh[k]));
                accB[k] = __fadd_rn(accB[k], dy);
            }
            const float m1 = __fdiv_rn(lgsr_warp_sum(s1), fd);
            const float m2 = __fdiv_rn(lgsr_warp_sum(s2), fd);
            const float rstd = RS[r];
#pragma unroll
            for (int k = 0; k < NC; k++) {
                const int c = lane + 32 * k;
                if (c < d) dX[o + c] = __fmul_rn(rstd, __fsub_rn(__fsub_rn(g[k], m1), __fmul_rn(xh[k], m2)));
            }
        }
#pragma unroll
        for (int k = 0; k < NC; k++) {
            const int c = lane + 32 * k;
            if (c < d) {
                sg[warp][c] = accG[k];
                sb[warp][c] = accB[k];
            }
        }
        __syncthreads();
        for (int c = threadIdx.x; c < d; c += blockDim.x) {
            float tg = sg[0][c], tb = sb[0][c];
            for (int w = 1; w < W; w++) {
                tg = __fadd_rn(tg, sg[w][c]);
                tb = __fadd_rn(tb, sb[w][c]);
            }
            dGammaPart[(long long) s * d + c] = tg;
            dBetaPart[(long long) s * d + c] = tb;
        }
        __syncthreads(); // the shared sums are reused by the next segment
    }
}

// Backward of y = gamma * XH + beta, XH = (x - mean) * RS, per row:
//   g = dY * gamma; dX = RS * (g - mean(g) - XH * mean(g * XH))
// and per segment s of segRows consecutive rows (rows % segRows == 0):
//   dGammaPart[s, c] = sum over the segment's rows of dY * XH,  dBetaPart[s, c] = sum of dY.
// Launch: blockDim.x = 32 * W with 1 <= W <= 8 (the launcher takes W = min(8, segRows)), any
// number of blocks; 16 KiB of shared memory per block.
extern "C" __global__ void __launch_bounds__(LAY_ROW_THREADS, 4)
    layer_norm_backward(const float *__restrict__ dY, const float *__restrict__ XH, const float *__restrict__ RS,
                        const float *__restrict__ gamma, int rows, int d, int segRows, float *__restrict__ dX,
                        float *__restrict__ dGammaPart, float *__restrict__ dBetaPart) {
    __shared__ float sg[LAY_LN_BWD_MAX_WARPS][LAY_MAX_D];
    __shared__ float sb[LAY_LN_BWD_MAX_WARPS][LAY_MAX_D];
    switch ((d + 31) >> 5) {
        case 1: lay_lnb_segments<1>(dY, XH, RS, gamma, rows, d, segRows, dX, dGammaPart, dBetaPart, sg, sb); break;
        case 2: lay_lnb_segments<2>(dY, XH, RS, gamma, rows, d, segRows, dX, dGammaPart, dBetaPart, sg, sb); break;
        case 3: lay_lnb_segments<3>(dY, XH, RS, gamma, rows, d, segRows, dX, dGammaPart, dBetaPart, sg, sb); break;
        case 4: lay_lnb_segments<4>(dY, XH, RS, gamma, rows, d, segRows, dX, dGammaPart, dBetaPart, sg, sb); break;
        case 5: lay_lnb_segments<5>(dY, XH, RS, gamma, rows, d, segRows, dX, dGammaPart, dBetaPart, sg, sb); break;
        case 6: lay_lnb_segments<6>(dY, XH, RS, gamma, rows, d, segRows, dX, dGammaPart, dBetaPart, sg, sb); break;
        case 7: lay_lnb_segments<7>(dY, XH, RS, gamma, rows, d, segRows, dX, dGammaPart, dBetaPart, sg, sb); break;
        case 8: lay_lnb_segments<8>(dY, XH, RS, gamma, rows, d, segRows, dX, dGammaPart, dBetaPart, sg, sb); break;
        default: break;
    }
}

// ---------------------------------------------------------------- backward, element-wise

// x[i] *= mask[i] for i < count (mask 0: nothing to do).
extern "C" __global__ void mul_mask(float *__restrict__ x, const float *__restrict__ mask, long long count) {
    if (mask == nullptr) return;
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride)
        x[i] = __fmul_rn(x[i], mask[i]);
}

// out[i] = x[i] * mask[i] for i < count (mask 0: out = x, a copy). out and x must not overlap.
extern "C" __global__ void mul_mask_to(float *__restrict__ out, const float *__restrict__ x,
                                       const float *__restrict__ mask, long long count) {
    const long long stride = (long long) gridDim.x * blockDim.x;
    if (mask == nullptr) {
        for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride) out[i] = x[i];
    } else {
        for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride)
            out[i] = __fmul_rn(x[i], mask[i]);
    }
}

// dH[i] = (H1pre[i] > 0 ? dH[i] : 0) * mask[i] for i < count (mask 0: no product).
extern "C" __global__ void relu_dropout_backward(float *__restrict__ dH, const float *__restrict__ H1pre,
                                                 const float *__restrict__ mask, long long count) {
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride) {
        float v = H1pre[i] > 0.0f ? dH[i] : 0.0f;
        if (mask != nullptr) v = __fmul_rn(v, mask[i]);
        dH[i] = v;
    }
}

// ---------------------------------------------------------------- deterministic reductions

// Column sums of in (rows, cols), cols <= 256, one stage: block b sums the rows
// [b * ch, min(rows, (b + 1) * ch)), ch = ceil(rows / gridDim.x), into out[b * cols + c]
// (out[b * cols + c] += ... when accumulate != 0). With one block this is out[c] (+)= sum_r in[r, c];
// the launcher runs gridDim.x = G blocks into a (G, cols) scratch, then one block over the scratch.
// Inside a block (LAY_COL_SUM_THREADS threads): cp = cols rounded up to 32 column lanes,
// rl = threads / cp row lanes; thread (ri, c) adds rows ri, ri + rl, ... of the block's range in
// order, then thread c adds the rl lane sums in lane order. The twin (Layers.colSum) does exactly
// these additions, so the result is the same bits.
extern "C" __global__ void col_sum(const float *__restrict__ in, int rows, int cols, float *__restrict__ out,
                                   int accumulate) {
    __shared__ float part[LAY_COL_SUM_THREADS];
    const int cp = (cols + 31) & ~31;
    const int rl = LAY_COL_SUM_THREADS / cp;
    const int t = threadIdx.x, ri = t / cp, c = t - ri * cp;
    const int ch = (int) (((long long) rows + gridDim.x - 1) / gridDim.x);
    const long long begin = (long long) blockIdx.x * ch;
    const long long end = min((long long) rows, begin + ch);
    if (ri < rl) {
        float s = 0.0f;
        if (c < cols) {
            for (long long r = begin + ri; r < end; r += rl) s = __fadd_rn(s, in[r * cols + c]);
        }
        part[t] = s;
    }
    __syncthreads();
    if (t < cols) {
        float tot = part[t];
        for (int k = 1; k < rl; k++) tot = __fadd_rn(tot, part[k * cp + t]);
        float *dst = out + (long long) blockIdx.x * cols + t;
        *dst = accumulate ? __fadd_rn(*dst, tot) : tot;
    }
}

// Sum of a block's double values in a fixed tree (warp butterflies, then the warp sums in warp
// order); every thread of the block calls it; thread 0 gets the total.
__device__ __forceinline__ double lay_block_sum_double(double v) {
    __shared__ double warp_sums[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = lgsr_warp_sum(v);
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    double tot = 0.0;
    if (threadIdx.x == 0) {
        for (int w = 0; w < warps; w++) tot += warp_sums[w];
    }
    return tot;
}

// g[i] = g[i] + lambda * w[i] (each operation rounded to float on its own) and, in partial[b],
// block b's sum of w[i]^2 (the square rounded to float as the CPU engine does, accumulated in
// double), over block b's elements [b * ch, min(count, (b + 1) * ch)), ch = ceil(count / gridDim.x).
// Stage one of l2_grad; l2_grad_sum adds the partials. Launch: LAY_L2_THREADS threads per block.
extern "C" __global__ void l2_grad(const float *__restrict__ w, float *__restrict__ g, long long count, float lambda,
                                   double *__restrict__ partial) {
    const long long ch = (count + gridDim.x - 1) / gridDim.x;
    const long long begin = (long long) blockIdx.x * ch;
    const long long end = min(count, begin + ch);
    double s = 0.0;
    for (long long i = begin + threadIdx.x; i < end; i += blockDim.x) {
        const float v = w[i];
        s += (double) __fmul_rn(v, v);
        g[i] = __fadd_rn(g[i], __fmul_rn(lambda, v));
    }
    const double tot = lay_block_sum_double(s);
    if (threadIdx.x == 0) partial[blockIdx.x] = tot;
}

// result[0] = sum of partial[0 .. parts) in a fixed order (one block: thread t adds t, t + blockDim, ...,
// then the block tree). Stage two of l2_grad.
extern "C" __global__ void l2_grad_sum(const double *__restrict__ partial, int parts, double *__restrict__ result) {
    double s = 0.0;
    for (int i = threadIdx.x; i < parts; i += blockDim.x) s += partial[i];
    const double tot = lay_block_sum_double(s);
    if (threadIdx.x == 0 && blockIdx.x == 0) result[0] = tot;
}
