// warp.cuh: warp-wide reductions shared by the kernels. Each is a butterfly (xor shuffles with
// offsets 16, 8, 4, 2, 1): every lane ends with the same bits (at each step a lane adds a + b and
// its partner b + a), in the same order on every run, so the results are deterministic and the
// CPU twins can reproduce the order where they need to.
#pragma once

#define LGSR_FULL_MASK 0xffffffffu

__device__ __forceinline__ float lgsr_warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(LGSR_FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ double lgsr_warp_sum(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(LGSR_FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float lgsr_warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(LGSR_FULL_MASK, v, o));
    return v;
}
