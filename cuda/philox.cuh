// philox.cuh: Philox-4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as
// 1, 2, 3", SC 2011), a counter-based generator: 4 x 32-bit counter, 2 x 32-bit key, 10 rounds.
// Shared by every kernel that draws random numbers. CPU twin: org.lgsr.cpu.Philox.
#pragma once

#define LGSR_PHILOX_M0 0xD2511F53u
#define LGSR_PHILOX_M1 0xCD9E8D57u
#define LGSR_PHILOX_W0 0x9E3779B9u
#define LGSR_PHILOX_W1 0xBB67AE85u

__device__ __forceinline__ uint4 philox4x32_10(uint4 c, uint2 k) {
#pragma unroll
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k.x += LGSR_PHILOX_W0;
            k.y += LGSR_PHILOX_W1;
        }
        const unsigned hi0 = __umulhi(LGSR_PHILOX_M0, c.x), lo0 = LGSR_PHILOX_M0 * c.x;
        const unsigned hi1 = __umulhi(LGSR_PHILOX_M1, c.z), lo1 = LGSR_PHILOX_M1 * c.z;
        c = make_uint4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

// The project's streams: word e of stream `stream` under `seed` is word e % 4 of
// philox4x32_10(counter = (lo(e/4), hi(e/4), lo(stream), hi(stream)), key = (lo(seed), hi(seed))).
__device__ __forceinline__ uint4 philox_block(unsigned long long seed, unsigned long long stream,
                                              unsigned long long block) {
    return philox4x32_10(make_uint4((unsigned) block, (unsigned) (block >> 32), (unsigned) stream,
                                    (unsigned) (stream >> 32)),
                         make_uint2((unsigned) seed, (unsigned) (seed >> 32)));
}

// A uniform float in [0, 1) from the top 24 bits of a word: exact, the same in Java.
__device__ __forceinline__ float philox_to_uniform(unsigned x) { return (float) (x >> 8) * 0x1.0p-24f; }
