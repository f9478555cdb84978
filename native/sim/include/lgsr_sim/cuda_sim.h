// cuda_sim.h: the CUDA dialect of cuda/*.cu as host C++ for the simulated device (liblgsr_sim).
// Every kernel source is compiled by g++ with this header included first (the generated
// wrapper .cpp includes this header, then the .cu, unchanged). See native/sim/README.md.
//
// What it maps:
//  - execution-space keywords (__global__, __device__, __host__, __forceinline__,
//    __launch_bounds__) are defined away or to host equivalents;
//  - __shared__ is thread_local: the threads of a block are fibers of one worker thread and a
//    worker runs one block at a time, so per-worker storage is per-block storage.
//    "__shared__ T x[N];" at block scope is a static thread_local; "extern __shared__ T x[];"
//    (block or file scope) names a thread_local symbol that the generated lgsr_sim_dyn.cpp
//    places at the start of the per-worker dynamic shared memory (lgsr_sim_dyn_smem);
//  - threadIdx, blockIdx, blockDim, gridDim read the running fiber / block;
//  - __syncthreads, __syncwarp and the warp shuffles / votes call the runtime (counting
//    barriers); atomics are compare-and-swap loops or fetch-adds on the host;
//  - vector types (float4, uint4, ...), make_*, min/max overloads, the _rn intrinsics,
//    bit casts, __umulhi, __popc etc.
//
// LGSR_SIM_SCAN (only when the build's kernel scanner preprocesses a .cu): the keywords that
// the scanner looks for are kept as marker tokens instead.
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <cmath>
#include <cstddef>
#include <type_traits>

// ---------------------------------------------------------------- keywords

#ifdef LGSR_SIM_SCAN
#define __global__ __lgsr_global__
#define __shared__ __lgsr_shared__
#define __launch_bounds__(...) __lgsr_lb__(__VA_ARGS__)
#else
#define __global__
#define __shared__ thread_local
#define __launch_bounds__(...)
#endif
#define __device__
#define __host__
#define __constant__
#define __noinline__ __attribute__((noinline))
#define __forceinline__ inline
#define __align__(n) __attribute__((aligned(n)))
#ifndef __CUDACC__
#define LGSR_SIM 1
#endif

// ---------------------------------------------------------------- vector types

struct uint3 { unsigned int x, y, z; };
struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};

#define LGSR_SIM_VEC2(T, N, A) struct __attribute__((aligned(A))) N { T x, y; }; \
    inline N make_##N(T x, T y) { N v; v.x = x; v.y = y; return v; }
#define LGSR_SIM_VEC3(T, N) struct N { T x, y, z; }; \
    inline N make_##N(T x, T y, T z) { N v; v.x = x; v.y = y; v.z = z; return v; }
#define LGSR_SIM_VEC4(T, N, A) struct __attribute__((aligned(A))) N { T x, y, z, w; }; \
    inline N make_##N(T x, T y, T z, T w) { N v; v.x = x; v.y = y; v.z = z; v.w = w; return v; }

LGSR_SIM_VEC2(float, float2, 8)
LGSR_SIM_VEC3(float, float3)
LGSR_SIM_VEC4(float, float4, 16)
LGSR_SIM_VEC2(int, int2, 8)
LGSR_SIM_VEC3(int, int3)
LGSR_SIM_VEC4(int, int4, 16)
LGSR_SIM_VEC2(unsigned int, uint2, 8)
LGSR_SIM_VEC4(unsigned int, uint4, 16)
LGSR_SIM_VEC2(double, double2, 16)
LGSR_SIM_VEC2(long long, longlong2, 16)
LGSR_SIM_VEC2(unsigned long long, ulonglong2, 16)
inline uint3 make_uint3(unsigned int x, unsigned int y, unsigned int z) { uint3 v; v.x = x; v.y = y; v.z = z; return v; }
#undef LGSR_SIM_VEC2
#undef LGSR_SIM_VEC3
#undef LGSR_SIM_VEC4

// ---------------------------------------------------------------- the runtime's view

namespace lgsr_sim {
struct Fiber;
struct BlockRun;
// The per-worker state the kernels read. All of the runtime's thread_local data is this one
// object (the runtime NaN-fills the rest of the module's TLS block: static __shared__ arrays).
struct Tls {
    Fiber *fiber;       // the running fiber (thread of the block)
    BlockRun *block;    // the running block
    uint3 block_idx;
    dim3 block_dim;
    dim3 grid_dim;
    void *worker;
};
// Every fiber starts with its thread index at offset 0.
struct FiberHead {
    uint3 thread_idx;
};

enum WarpOp : int { WARP_SYNC = 0, WARP_SHFL_IDX, WARP_SHFL_UP, WARP_SHFL_DOWN, WARP_SHFL_XOR,
                    WARP_BALLOT, WARP_ANY, WARP_ALL };

__attribute__((visibility("hidden"))) void syncthreads();
__attribute__((visibility("hidden"))) int syncthreads_reduce(int op, int pred); // 0 count, 1 and, 2 or
__attribute__((visibility("hidden"))) unsigned long long warp_op(int op, unsigned mask, unsigned long long bits,
                                                                 int arg, int width);
__attribute__((visibility("hidden"))) unsigned activemask();
} // namespace lgsr_sim

extern thread_local lgsr_sim::Tls lgsr_sim_tls __attribute__((visibility("hidden")));

namespace lgsr_sim {
inline const uint3 &thread_idx() { return reinterpret_cast<const FiberHead *>(lgsr_sim_tls.fiber)->thread_idx; }
inline const uint3 &block_idx() { return lgsr_sim_tls.block_idx; }
inline const dim3 &block_dim() { return lgsr_sim_tls.block_dim; }
inline const dim3 &grid_dim() { return lgsr_sim_tls.grid_dim; }
} // namespace lgsr_sim

#define threadIdx (::lgsr_sim::thread_idx())
#define blockIdx (::lgsr_sim::block_idx())
#define blockDim (::lgsr_sim::block_dim())
#define gridDim (::lgsr_sim::grid_dim())
#define warpSize 32

// ---------------------------------------------------------------- barriers, warps

inline void __syncthreads() { ::lgsr_sim::syncthreads(); }
inline int __syncthreads_count(int p) { return ::lgsr_sim::syncthreads_reduce(0, p); }
inline int __syncthreads_and(int p) { return ::lgsr_sim::syncthreads_reduce(1, p); }
inline int __syncthreads_or(int p) { return ::lgsr_sim::syncthreads_reduce(2, p); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::lgsr_sim::warp_op(::lgsr_sim::WARP_SYNC, mask, 0, 0, 32); }
inline unsigned __activemask() { return ::lgsr_sim::activemask(); }
inline unsigned __ballot_sync(unsigned mask, int p) {
    return (unsigned) ::lgsr_sim::warp_op(::lgsr_sim::WARP_BALLOT, mask, p != 0, 0, 32);
}
inline int __any_sync(unsigned mask, int p) { return (int) ::lgsr_sim::warp_op(::lgsr_sim::WARP_ANY, mask, p != 0, 0, 32); }
inline int __all_sync(unsigned mask, int p) { return (int) ::lgsr_sim::warp_op(::lgsr_sim::WARP_ALL, mask, p != 0, 0, 32); }

namespace lgsr_sim {
template <typename T> inline T shfl(int op, unsigned mask, T v, int arg, int width) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle of a type over 8 bytes");
    unsigned long long bits = 0;
    memcpy(&bits, &v, sizeof(T));
    bits = warp_op(op, mask, bits, arg, width);
    T r;
    memcpy(&r, &bits, sizeof(T));
    return r;
}
} // namespace lgsr_sim

template <typename T> inline T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
    return ::lgsr_sim::shfl(::lgsr_sim::WARP_SHFL_IDX, mask, v, src, width);
}
template <typename T> inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    return ::lgsr_sim::shfl(::lgsr_sim::WARP_SHFL_UP, mask, v, (int) delta, width);
}
template <typename T> inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    return ::lgsr_sim::shfl(::lgsr_sim::WARP_SHFL_DOWN, mask, v, (int) delta, width);
}
template <typename T> inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
    return ::lgsr_sim::shfl(::lgsr_sim::WARP_SHFL_XOR, mask, v, lane_mask, width);
}

inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// ---------------------------------------------------------------- atomics (device-wide: blocks run concurrently)

namespace lgsr_sim {
template <typename T, typename F> inline T atomic_update(T *p, F f) {
    T old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(p, &old, f(old), true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
    }
    return old;
}
template <typename F> inline float atomic_update_f(float *p, F f) {
    unsigned *u = reinterpret_cast<unsigned *>(p);
    unsigned old = __atomic_load_n(u, __ATOMIC_RELAXED), nw;
    for (;;) {
        float o, n;
        memcpy(&o, &old, 4);
        n = f(o);
        memcpy(&nw, &n, 4);
        if (__atomic_compare_exchange_n(u, &old, nw, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) return o;
    }
}
template <typename F> inline double atomic_update_d(double *p, F f) {
    unsigned long long *u = reinterpret_cast<unsigned long long *>(p);
    unsigned long long old = __atomic_load_n(u, __ATOMIC_RELAXED), nw;
    for (;;) {
        double o, n;
        memcpy(&o, &old, 8);
        n = f(o);
        memcpy(&nw, &n, 8);
        if (__atomic_compare_exchange_n(u, &old, nw, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) return o;
    }
}
} // namespace lgsr_sim

#define LGSR_SIM_INT_ATOMICS(T)                                                                                       \
    inline T atomicAdd(T *p, T v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }                            \
    inline T atomicSub(T *p, T v) { return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST); }                            \
    inline T atomicAnd(T *p, T v) { return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); }                            \
    inline T atomicOr(T *p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }                              \
    inline T atomicXor(T *p, T v) { return __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); }                            \
    inline T atomicExch(T *p, T v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }                          \
    inline T atomicMax(T *p, T v) { return ::lgsr_sim::atomic_update(p, [v](T o) { return o < v ? v : o; }); }     \
    inline T atomicMin(T *p, T v) { return ::lgsr_sim::atomic_update(p, [v](T o) { return v < o ? v : o; }); }     \
    inline T atomicCAS(T *p, T cmp, T v) {                                                                          \
        __atomic_compare_exchange_n(p, &cmp, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                          \
        return cmp;                                                                                                 \
    }
LGSR_SIM_INT_ATOMICS(int)
LGSR_SIM_INT_ATOMICS(unsigned int)
LGSR_SIM_INT_ATOMICS(unsigned long long)
LGSR_SIM_INT_ATOMICS(long long)
#undef LGSR_SIM_INT_ATOMICS
inline unsigned int atomicInc(unsigned int *p, unsigned int lim) {
    return ::lgsr_sim::atomic_update(p, [lim](unsigned o) { return o >= lim ? 0u : o + 1; });
}
inline unsigned int atomicDec(unsigned int *p, unsigned int lim) {
    return ::lgsr_sim::atomic_update(p, [lim](unsigned o) { return (o == 0 || o > lim) ? lim : o - 1; });
}
inline float atomicAdd(float *p, float v) { return ::lgsr_sim::atomic_update_f(p, [v](float o) { return o + v; }); }
inline double atomicAdd(double *p, double v) { return ::lgsr_sim::atomic_update_d(p, [v](double o) { return o + v; }); }
inline float atomicExch(float *p, float v) {
    return ::lgsr_sim::atomic_update_f(p, [v](float) { return v; });
}

// ---------------------------------------------------------------- min / max (CUDA's overloads)

#define LGSR_SIM_MINMAX(T)                                                                                            \
    inline T min(T a, T b) { return a < b ? a : b; }                                                                \
    inline T max(T a, T b) { return a > b ? a : b; }
LGSR_SIM_MINMAX(int)
LGSR_SIM_MINMAX(unsigned int)
LGSR_SIM_MINMAX(long)
LGSR_SIM_MINMAX(unsigned long)
LGSR_SIM_MINMAX(long long)
LGSR_SIM_MINMAX(unsigned long long)
#undef LGSR_SIM_MINMAX
// mixed signedness as CUDA: unsigned
inline unsigned int min(int a, unsigned int b) { return min((unsigned int) a, b); }
inline unsigned int min(unsigned int a, int b) { return min(a, (unsigned int) b); }
inline unsigned int max(int a, unsigned int b) { return max((unsigned int) a, b); }
inline unsigned int max(unsigned int a, int b) { return max(a, (unsigned int) b); }
inline long long min(int a, long long b) { return min((long long) a, b); }
inline long long min(long long a, int b) { return min(a, (long long) b); }
inline long long max(int a, long long b) { return max((long long) a, b); }
inline long long max(long long a, int b) { return max(a, (long long) b); }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
inline double min(float a, double b) { return fmin(a, b); }
inline double min(double a, float b) { return fmin(a, b); }
inline double max(float a, double b) { return fmax(a, b); }
inline double max(double a, float b) { return fmax(a, b); }

// ---------------------------------------------------------------- arithmetic intrinsics
// The sim's sources are compiled with -ffp-contract=off, so a * b + c is never fused here:
// the _rn forms are the plain IEEE operations in round-to-nearest.

inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __frcp_rn(float a) { return 1.0f / a; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __drcp_rn(double a) { return 1.0 / a; }
inline double __dsqrt_rn(double a) { return sqrt(a); }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __saturatef(float x) { return x != x ? 0.0f : (x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x)); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }

inline unsigned int __umulhi(unsigned int a, unsigned int b) {
    return (unsigned int) (((unsigned long long) a * b) >> 32);
}
inline int __mulhi(int a, int b) { return (int) (((long long) a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long) (((unsigned __int128) a * b) >> 64);
}
inline long long __mul64hi(long long a, long long b) { return (long long) (((__int128) a * b) >> 64); }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned) x); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long) x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline unsigned int __brev(unsigned int x) {
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    return __builtin_bswap32(x);
}

namespace lgsr_sim {
template <typename To, typename From> inline To bits(From f) {
    static_assert(sizeof(To) == sizeof(From), "bit cast of different sizes");
    To t;
    memcpy(&t, &f, sizeof(To));
    return t;
}
} // namespace lgsr_sim
inline float __int_as_float(int x) { return ::lgsr_sim::bits<float>(x); }
inline float __uint_as_float(unsigned int x) { return ::lgsr_sim::bits<float>(x); }
inline int __float_as_int(float x) { return ::lgsr_sim::bits<int>(x); }
inline unsigned int __float_as_uint(float x) { return ::lgsr_sim::bits<unsigned int>(x); }
inline double __longlong_as_double(long long x) { return ::lgsr_sim::bits<double>(x); }
inline long long __double_as_longlong(double x) { return ::lgsr_sim::bits<long long>(x); }
inline int __double2hiint(double x) { return (int) (::lgsr_sim::bits<unsigned long long>(x) >> 32); }
inline int __double2loint(double x) { return (int) ::lgsr_sim::bits<unsigned long long>(x); }

template <typename T> inline T __ldg(const T *p) { return *p; }
template <typename T> inline T __ldcs(const T *p) { return *p; }
template <typename T> inline T __ldcg(const T *p) { return *p; }
template <typename T> inline void __stcs(T *p, T v) { *p = v; }
template <typename T> inline void __stcg(T *p, T v) { *p = v; }

#if defined(__x86_64__) || defined(__i386__)
inline long long clock64() { return (long long) __builtin_ia32_rdtsc(); }
#endif
