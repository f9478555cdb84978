// embedding.cu: rows of an embedding table by index, and the scatter-add of row gradients.
//   table, grad_table: (V, D) float32 row-major;  idx: (R,) int32 in [0, V);  out, grad_out: (R, D)
// CPU twins: org.lgsr.cpu.Embedding.embeddingGather, .embeddingScatterAddAtomic,
// .embeddingScatterAddSorted (and .sortedSegments, which makes the sorted variant's inputs).

// out[r, :] = table[idx[r], :]. Grid-stride over the R*D outputs: consecutive threads take
// consecutive columns, so a warp reads and writes contiguous bytes.
extern "C" __global__ void embedding_gather(float *__restrict__ out, const float *__restrict__ table,
                                            const int *__restrict__ idx, int R, int D) {
    const long long total = (long long) R * D;
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const long long r = e / D, c = e - r * D;
        out[e] = table[(long long) idx[r] * D + c];
    }
}

// grad_table[idx[r], :] += grad_out[r, :] with one atomicAdd per element. Rows that share an
// index are summed in whatever order the atomics land: not deterministic in the last bits.
extern "C" __global__ void embedding_scatter_add_atomic(float *__restrict__ grad_table,
                                                        const float *__restrict__ grad_out,
                                                        const int *__restrict__ idx, int R, int D) {
    const long long total = (long long) R * D;
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const long long r = e / D, c = e - r * D;
        atomicAdd(&grad_table[(long long) idx[r] * D + c], grad_out[e]);
    }
}

// The deterministic scatter-add: no atomics. row_order: (R,) the rows stably sorted by index;
// seg_start: (S+1,) where each run of equal indices starts in row_order (seg_start[S] = R).
// One block of SCATTER_GROUPS warps per run (grid-stride over runs). Warp w sums the run's rows
// w, w + 8, w + 16, ... (positions in the run, in row_order) from 0, lane l taking columns l,
// l + 32, ...; the eight partial sums are then added in warp order (partial 0 + partial 1 + ...)
// and the total is added to the table row once. Each table row is touched by one block and the
// order of every addition is fixed: the result is the same on every run and equals the CPU
// twin's bit for bit. Eight warps per run because one run can be long (a position's run holds
// one row per session of the batch: 512 rows), and four rows per warp are loaded before they
// are added, so that a lane has up to 16 loads in flight. D <= 32 * SCATTER_COLS.
// Dynamic shared memory: SCATTER_GROUPS * D floats (the partial sums).
#define SCATTER_GROUPS 8
#define SCATTER_COLS 8
extern "C" __global__ void embedding_scatter_add_sorted(float *__restrict__ grad_table,
                                                        const float *__restrict__ grad_out,
                                                        const int *__restrict__ idx,
                                                        const int *__restrict__ row_order,
                                                        const int *__restrict__ seg_start, int S, int D) {
    extern __shared__ float part[];
    const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    for (long long s = blockIdx.x; s < S; s += gridDim.x) {
        const int begin = seg_start[s], end = seg_start[s + 1];
        float acc[SCATTER_COLS];
#pragma unroll
        for (int m = 0; m < SCATTER_COLS; m++) acc[m] = 0.0f;
        int j = begin + w;
        for (; j + 3 * SCATTER_GROUPS < end; j += 4 * SCATTER_GROUPS) {
            const long long r0 = (long long) row_order[j] * D, r1 = (long long) row_order[j + SCATTER_GROUPS] * D;
            const long long r2 = (long long) row_order[j + 2 * SCATTER_GROUPS] * D, r3 = (long long) row_order[j + 3 * SCATTER_GROUPS] * D;
#pragma unroll
            for (int m = 0; m < SCATTER_COLS; m++) {
                const int c = lane + 32 * m;
                if (c < D) {
                    const float x0 = grad_out[r0 + c], x1 = grad_out[r1 + c], x2 = grad_out[r2 + c], x3 = grad_out[r3 + c];
                    acc[m] = __fadd_rn(__fadd_rn(__fadd_rn(__fadd_rn(acc[m], x0), x1), x2), x3);
                }
            }
        }
        for (; j < end; j += SCATTER_GROUPS) {
            const long long r = (long long) row_order[j] * D;
#pragma unroll
            for (int m = 0; m < SCATTER_COLS; m++) {
                const int c = lane + 32 * m;
                if (c < D) acc[m] = __fadd_rn(acc[m], grad_out[r + c]);
            }
        }
#pragma unroll
        for (int m = 0; m < SCATTER_COLS; m++) {
            const int c = lane + 32 * m;
            if (c < D) part[w * D + c] = acc[m];
        }
        __syncthreads();
        const long long row = (long long) idx[row_order[begin]] * D;
        for (int c = threadIdx.x; c < D; c += blockDim.x) {
            float t = part[c];
            for (int g = 1; g < SCATTER_GROUPS; g++) t = __fadd_rn(t, part[g * D + c]);
            grad_table[row + c] = __fadd_rn(grad_table[row + c], t);
        }
        __syncthreads();
    }
}
