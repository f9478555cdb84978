// philox.cu: fill a buffer with words e = offset .. offset+n-1 of one Philox stream.
//   out: (n,) uint32 (philox_bits) or float32 uniform in [0, 1) (philox_uniform).
// CPU twins: org.lgsr.cpu.Philox.philoxBits and .philoxUniform; they match bit for bit.
// One thread per block of 4 words (one Philox call), grid-stride over the blocks the range touches.
#include "philox.cuh"

template <typename T, typename Convert>
__device__ __forceinline__ void philox_fill(T *out, long long n, unsigned long long seed,
                                            unsigned long long stream, unsigned long long offset, Convert conv) {
    if (n <= 0) return;
    const unsigned long long first = offset / 4, last = (offset + (unsigned long long) n - 1) / 4;
    const unsigned long long stride = (unsigned long long) gridDim.x * blockDim.x;
    for (unsigned long long b = first + (unsigned long long) blockIdx.x * blockDim.x + threadIdx.x; b <= last;
         b += stride) {
        const uint4 r = philox_block(seed, stream, b);
        const unsigned words[4] = {r.x, r.y, r.z, r.w};
#pragma unroll
        for (int w = 0; w < 4; w++) {
            const unsigned long long e = 4 * b + w;
            if (e >= offset && e - offset < (unsigned long long) n) out[e - offset] = conv(words[w]);
        }
    }
}

struct PhiloxWord {
    __device__ unsigned operator()(unsigned x) const { return x; }
};
struct PhiloxUniform {
    __device__ float operator()(unsigned x) const { return philox_to_uniform(x); }
};

extern "C" __global__ void philox_bits(unsigned *__restrict__ out, long long n, unsigned long long seed,
                                       unsigned long long stream, unsigned long long offset) {
    philox_fill(out, n, seed, stream, offset, PhiloxWord());
}

extern "C" __global__ void philox_uniform(float *__restrict__ out, long long n, unsigned long long seed,
                                          unsigned long long stream, unsigned long long offset) {
    philox_fill(out, n, seed, stream, offset, PhiloxUniform());
}
