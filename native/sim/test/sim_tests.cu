// sim_tests.cu: the simulated device's own test kernels (lgsr_sim_selftest; never in the jar).
// CUDA source as cuda/*.cu: each would compile with nvcc too.

// Counting barrier: threads t % 3 == 0 return before any barrier, t % 3 == 1 after the first;
// the rest meet at a second and a third barrier.
extern "C" __global__ void t_barrier_exit(int *out) {
    __shared__ int s[1024];
    const int t = threadIdx.x, n = blockDim.x;
    if (t % 3 == 0) return;
    s[t] = 2 * t;
    __syncthreads();
    int o = (t + 1) % n;
    while (o % 3 == 0) o = (o + 1) % n;
    out[blockIdx.x * n + t] = s[o];
    __syncthreads();
    if (t % 3 == 1) return;
    s[t] = s[t] + 1;
    __syncthreads();
    out[blockIdx.x * n + t] += 1000 + s[o] - 2 * o;
}

__device__ __forceinline__ int t_warp_sum(int v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Warps run different numbers of shuffles: warp w sums w + 1 times; then a barrier.
extern "C" __global__ void t_shfl_rounds(long long *out) {
    const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    int v = lane;
    for (int r = 0; r <= w; r++) v = t_warp_sum(v) / 32 + lane;
    __syncthreads();
    out[threadIdx.x] = v;
}

// Half of every warp exits; the other half shuffles among itself with a proper mask.
// out[t * 4 + 0..3] = xor-sum, broadcast of lane 3, down-shift within 16 (own value at the end), ballot
extern "C" __global__ void t_shfl_half(int *out) {
    const int lane = threadIdx.x & 31;
    if (lane >= 16) return;
    const unsigned m = 0x0000ffffu;
    int v = lane + 1;
    for (int o = 8; o > 0; o >>= 1) v += __shfl_xor_sync(m, v, o);
    out[threadIdx.x * 4 + 0] = v;
    out[threadIdx.x * 4 + 1] = __shfl_sync(m, lane * 10, 3);
    out[threadIdx.x * 4 + 2] = __shfl_down_sync(m, lane, 1, 16);
    out[threadIdx.x * 4 + 3] = (int) __ballot_sync(m, lane & 1);
}

// A shuffle from a lane that has exited: an error.
extern "C" __global__ void t_shfl_exited(int *out) {
    const int lane = threadIdx.x & 31;
    if (lane >= 16) return;
    out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, lane, 16);
}

// Deadlock: lanes 0-15 wait at __syncthreads, lanes 16-31 in a full-warp shuffle.
extern "C" __global__ void t_deadlock_shfl(int *out) {
    const int lane = threadIdx.x & 31;
    if (lane < 16) {
        __syncthreads();
    } else {
        out[lane] = __shfl_sync(0xffffffffu, lane, 0);
    }
}

// Deadlock: two lanes wait in __syncwarp with masks that exclude each other's group.
extern "C" __global__ void t_deadlock_masks(int *out) {
    if (threadIdx.x == 0) __syncwarp(0x3u);
    else __syncwarp(0xffffffffu);
    out[threadIdx.x] = 1;
}

// Device-wide atomics from every thread of every block.
extern "C" __global__ void t_atomics(float *fsum, int *isum, unsigned long long *usum, double *dsum, unsigned *umax) {
    const int g = blockIdx.x * blockDim.x + threadIdx.x;
    atomicAdd(fsum, 1.0f);
    atomicAdd(isum, g);
    atomicAdd(usum, (unsigned long long) g << 20);
    atomicAdd(dsum, 0.5);
    atomicMax(umax, (unsigned) g);
}

// Dynamic shared memory: n words written and checked per block (isolated between blocks that
// run at the same time); word n (inside sharedBytes, never written) must read as NaN.
extern "C" __global__ void t_dyn_shared(int *bad, unsigned *unwritten, int n) {
    extern __shared__ int dsm[];
    for (int i = threadIdx.x; i < n; i += blockDim.x) dsm[i] = blockIdx.x * 100000 + i;
    __syncthreads();
    int miss = 0;
    for (int k = 0; k < 50; k++) {
        for (int i = threadIdx.x; i < n; i += blockDim.x) miss += dsm[i] != (int) (blockIdx.x * 100000 + i);
        __syncthreads();
    }
    atomicAdd(bad + blockIdx.x, miss);
    if (threadIdx.x == 0) unwritten[blockIdx.x] = (unsigned) dsm[n];
}

// Static shared memory is NaN at the start of every block (each block writes it after reading).
extern "C" __global__ void t_static_nan(unsigned *out) {
    __shared__ float s[64];
    const int t = threadIdx.x;
    out[blockIdx.x * 64 + t] = __float_as_uint(s[t]);
    __syncthreads();
    s[t] = 1.0f;
}

// __launch_bounds__: blockDim.x above 64 is refused.
extern "C" __global__ void __launch_bounds__(64) t_bounded(int *out) { out[threadIdx.x] = 1; }

// Parameter types and order: every kind of argument.
extern "C" __global__ void t_params(double *out, int i, long long l, float f, double d, unsigned u,
                                    unsigned long long ul) {
    if (threadIdx.x == 0 && blockIdx.x == 0) {
        out[0] = i;
        out[1] = (double) l;
        out[2] = f;
        out[3] = d;
        out[4] = u;
        out[5] = (double) ul;
    }
}

// The cost of a barrier: `rounds` __syncthreads per thread, and as many warp sums.
extern "C" __global__ void t_cost(int *out, int rounds, int shuffles) {
    int v = threadIdx.x;
    for (int r = 0; r < rounds; r++) __syncthreads();
    for (int r = 0; r < shuffles; r++) v = t_warp_sum(v) & 1023;
    if (threadIdx.x == 0) out[blockIdx.x] = v;
}

// Reads one word past the launch's dynamic shared memory (ASan builds report it).
extern "C" __global__ void t_dyn_overrun(float *out, int words) {
    extern __shared__ float dyn_over[];
    out[threadIdx.x] = dyn_over[words];
}

// ---- racecheck cases (asserted only in LGSR_SIM_RACECHECK builds)
// case 0: thread 0 writes, thread `reader` reads the same word, no barrier: read-after-write
// case 1: the same with __syncthreads between: clean
// case 2: lane 0 writes, __syncwarp, lane 1 reads: clean (ordered within the warp)
// case 3: lane 0 writes, lane 1 reads, no warp operation: read-after-write within a warp
// case 4: every thread reads a word, then the last thread writes it, no barrier: write-after-read
// case 5: a reduction whose shared array is reused without a barrier before the second round
//         (the classic bug): write-after-read
// case 6: the same reduction with the barrier: clean
// case 7: both halves of a warp read word 1, a shuffle over the whole warp, then lane 0 writes it: clean
extern "C" __global__ void t_race(float *out, int which, int reader) {
    __shared__ float race_s[64];
    const int t = threadIdx.x;
    if (which <= 1) {
        if (t == 0) race_s[0] = 1.0f;
        if (which == 1) __syncthreads();
        if (t == reader) out[0] = race_s[0];
    } else if (which <= 3) {
        if (t == 0) race_s[2] = 2.0f;
        if (which == 2) __syncwarp();
        if (t == 1) out[0] = race_s[2];
    } else if (which == 4) {
        if (t == 0) race_s[3] = 3.0f;
        __syncthreads();
        float v = race_s[3];
        if (t == (int) blockDim.x - 1) race_s[3] = v + 1.0f;
        out[t] = v;
    } else if (which <= 6) {
        for (int round = 0; round < 2; round++) {
            if (which == 6) __syncthreads(); // the readers of the last round are done
            race_s[t] = (float) (t + round);
            __syncthreads();
            if (t == 0) {
                float s = 0.0f;
                for (int i = 0; i < (int) blockDim.x; i++) s += race_s[i];
                out[round] = s;
            }
        }
    } else {
        if (t == 0) race_s[1] = 5.0f;
        __syncthreads();
        float v = t < 32 ? race_s[1] : 0.0f;
        v += __shfl_xor_sync(0xffffffffu, v, 1);
        if (t == 0) race_s[1] = v;
        out[t] = v;
    }
}
