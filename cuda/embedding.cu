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
// One warp per run (grid-stride over runs); lane l sums columns l, l+32, ... over the run's rows
// in row_order, then adds the sum to the table row once. Each table row is touched by one warp,
// and the order of the sums is fixed, so the result is the same on every run and equals the
// CPU twin's bit for bit.
extern "C" __global__ void embedding_scatter_add_sorted(float *__restrict__ grad_table,
                                                        const float *__restrict__ grad_out,
                                                        const int *__restrict__ idx,
                                                        const int *__restrict__ row_order,
                                                        const int *__restrict__ seg_start, int S, int D) {
    const int lane = threadIdx.x & 31;
    const long long warp = ((long long) blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const long long warps = ((long long) gridDim.x * blockDim.x) >> 5;
    for (long long s = warp; s < S; s += warps) {
        const int begin = seg_start[s], end = seg_start[s + 1];
        const long long row = (long long) idx[row_order[begin]] * D;
        for (int c = lane; c < D; c += 32) {
            float sum = 0.0f;
            for (int j = begin; j < end; j++) sum = __fadd_rn(sum, grad_out[(long long) row_order[j] * D + c]);
            grad_table[row + c] = __fadd_rn(grad_table[row + c], sum);
        }
    }
}
