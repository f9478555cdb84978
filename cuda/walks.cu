// walks.cu: the global encoder's walk corpus and its skip-gram pairs on the device (MODEL.md 3.2,
// 3.3), bit-identical to the CPU engine (org.lgsr.graph.RandomWalks.generate, SkipGramPairs.next).
// CPU twins: org.lgsr.cpu.Walks.randomWalks, .compactWalks, .skipgramPairs (host helpers there:
// walkOffsets, pairPrefix). Launcher: org.lgsr.gpu.kernels.WalksKernels.
//
// Shapes (all int32 unless said):
//   graph, CSR by item id: csrOffsets (numItems + 1), targets (E), prob (E, float64), alias (E):
//     the alias tables of AliasTable.of(graph) (prob[k] keep probability, alias[k] an absolute
//     slot of the same row).
//   starts (numWalks): RandomWalks.starts(graph, config), the start node of every walk.
//   slots (numWalks * maxLen): walk w in slots[w * maxLen .. + lengths[w]); the rest of its row is
//     NOT written.  lengths (numWalks): 1 .. maxLen.
//   walkOffsets (numWalks + 1): CSR offsets of the compacted corpus, the exclusive prefix sum of
//     lengths with the total at the end; computed on the HOST (Walks.walkOffsets) from the lengths
//     copied back (4 bytes per walk): the host needs the total anyway to size `items`.
//   items (walkOffsets[numWalks]): the compacted corpus, RandomWalks.generate's Sessions.items().
//   order (numWalks): the pass's walk order, SkipGramPairs.passOrder(numWalks, seed, pass).
//   pairPrefix (numWalks + 1, int64): pairPrefix[o] = pairs of the walks order[0 .. o)
//     (Walks.pairPrefix on the host, once per pass).
//   inputs, labels (count): pair first + i goes to inputs[i] (context item, a row of E) and
//     labels[i] (centre item, a row of theta).
//
// Randomness: SplitMix64 exactly as org.lgsr.graph.Rng (64-bit wrap-around arithmetic, logical
// shifts): walk w of round r = w / nodesPerRound draws from the stream keyed
// key(seed, r, w - r * nodesPerRound); one uniform double per step, (next >>> 11) * 2^-53.
// The alias draw is AliasTable.sample in IEEE double: x = u * n, j = (int) x clamped to n - 1,
// (x - j) < prob[k] ? k : alias[k], with __dmul_rn / __dsub_rn so that nvcc cannot contract the
// product and the difference into one FMA (which would round differently from Java).
//
// Performance design.
//   random_walks: one thread per walk (grid-stride). Each step is a chain of dependent random
//     reads: csrOffsets[cur], csrOffsets[cur + 1] (8 B), prob[k] (8 B), alias[k] (4 B, when the
//     coin rejects), targets[slot] (4 B), then one 4 B write of the slot; about 24 B of useful
//     data per step, but each access touches its own 32 B sector. It is bound by memory latency,
//     not bandwidth or FLOPs (2 FP64 operations and ~20 integer operations per step): thousands
//     of walks in flight hide it. The graph of a real dataset (tens of thousands of nodes, a
//     few hundred thousand edges, ~16 B per edge) fits in L2, so the reads are mostly L2 hits.
//     Writes of one walk go to consecutive addresses (its row), merged in L2 before DRAM.
//     Scale (diginetica-like: ~43k nodes, 13 rounds, L = 50): ~560k walks, ~28M steps, ~0.7 GB
//     of useful reads (~3.6 GB of 32 B sectors, L2-resident) and 112 MB of slots written.
//   compact_walks: one thread per slot (grid-stride over numWalks * maxLen): slots read
//     coalesced, items written coalesced up to the row boundaries; lengths and walkOffsets are
//     warp broadcasts. Bytes: 4 B read + 4 B written per corpus item: bandwidth-bound, tiny.
//   skipgram_pairs: one thread per pair (grid-stride over the chunk): consecutive threads write
//     consecutive inputs / labels, so the 8 B per pair are written coalesced (the floor). Each
//     thread finds its walk by a binary search of pairPrefix (log2(numWalks) steps; the threads
//     of a warp share one or two walks, so the loads are broadcasts and cache hits), decodes its
//     (centre, context) in O(log maxLen) integer steps with the closed-form per-walk prefix
//     (walk_pairs_before), and reads two items of a walk the warp shares (cache hits). Bound by
//     the 8 B per pair of writes plus the search's cached loads (a window-8 pass over the corpus
//     above: ~400M pairs, 3.2 GB written; callers take it in chunks of `count`).
//
// Limits: numWalks * maxLen < 2^31 (the corpus is int-indexed, as on the CPU); window >= 1;
// first + count <= pairPrefix[numWalks] (not checked on the device).

#define WALK_GOLDEN 0x9E3779B97F4A7C15ull
#define WALK_KEY_A 0xD1B54A32D192ED03ull
#define WALK_KEY_B 0xAEF17502108EF2D9ull

// SplitMix64's finalizer (Rng.mix).
__device__ __forceinline__ unsigned long long walk_mix(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// The stream key of (seed, a, b) (Rng.key); a and b as Java longs, wrapped to 64 bits.
__device__ __forceinline__ unsigned long long walk_key(unsigned long long seed, long long a, long long b) {
    return walk_mix(walk_mix(walk_mix(seed) ^ ((unsigned long long) a * WALK_KEY_A)) ^
                    ((unsigned long long) b * WALK_KEY_B));
}

// Rng.nextDouble: advance the state, 53 random bits scaled by 2^-53 (exact in double).
__device__ __forceinline__ double walk_next_double(unsigned long long &state) {
    state += WALK_GOLDEN;
    return __dmul_rn((double) (walk_mix(state) >> 11), 0x1.0p-53);
}

extern "C" __global__ void random_walks(const int *__restrict__ csrOffsets, const int *__restrict__ targets,
                                        const double *__restrict__ prob, const int *__restrict__ alias,
                                        const int *__restrict__ starts, int numWalks, int nodesPerRound, int maxLen,
                                        unsigned long long seed, int *__restrict__ slots, int *__restrict__ lengths) {
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long w = (long long) blockIdx.x * blockDim.x + threadIdx.x; w < numWalks; w += stride) {
        const long long r = w / nodesPerRound;
        unsigned long long state = walk_key(seed, r, w - r * nodesPerRound);
        int *row = slots + w * maxLen;
        int cur = starts[w];
        row[0] = cur;
        int k = 1;
        while (k < maxLen) {
            const int from = csrOffsets[cur];
            const int n = csrOffsets[cur + 1] - from;
            if (n <= 0) break;
            const double u = walk_next_double(state);
            const double x = __dmul_rn(u, (double) n);
            int j = (int) x;
            if (j >= n) j = n - 1;
            const int slot = from + j;
            const int pick = __dsub_rn(x, (double) j) < prob[slot] ? slot : alias[slot];
            cur = targets[pick];
            row[k++] = cur;
        }
        lengths[w] = k;
    }
}

extern "C" __global__ void compact_walks(const int *__restrict__ slots, const int *__restrict__ lengths,
                                         const int *__restrict__ walkOffsets, int numWalks, int maxLen,
                                         int *__restrict__ items) {
    const long long total = (long long) numWalks * maxLen;
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const long long w = e / maxLen;
        const int k = (int) (e - w * maxLen);
        if (k < lengths[w]) items[walkOffsets[w] + k] = slots[e];
    }
}

// Pairs of the centres 0 .. pos-1 of a walk of length len: the sum over p < pos of
// min(len-1, p+window-1) - max(0, p-window) (SkipGramPairs.count's terms), in closed form.
__device__ __forceinline__ long long walk_pairs_before(long long pos, long long len, long long window) {
    long long t = len - window + 1; // centres p <= len - window see window - 1 contexts after
    t = t < 0 ? 0 : (t > pos ? pos : t);
    const long long after = t * (t - 1) / 2 + t * (window - 1) + (pos - t) * (len - 1);
    const long long m = pos - 1 - window > 0 ? pos - 1 - window : 0;
    return after - m * (m + 1) / 2;
}

extern "C" __global__ void skipgram_pairs(const int *__restrict__ walkOffsets, const int *__restrict__ items,
                                          const int *__restrict__ order, const long long *__restrict__ pairPrefix,
                                          int numWalks, long long first, int count, int window,
                                          int *__restrict__ inputs, int *__restrict__ labels) {
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride) {
        const long long p = first + i;
        // the last o with pairPrefix[o] <= p; then pairPrefix[o] <= p < pairPrefix[o + 1]
        int lo = 0, hi = numWalks;
        while (hi - lo > 1) {
            const int mid = (int) (((unsigned) lo + (unsigned) hi) >> 1);
            if (pairPrefix[mid] <= p) lo = mid;
            else hi = mid;
        }
        const int walk = order[lo];
        const int base = walkOffsets[walk];
        const long long len = walkOffsets[walk + 1] - base;
        const long long q = p - pairPrefix[lo];
        // the last centre pos with walk_pairs_before(pos) <= q
        long long a = 0, b = len;
        while (b - a > 1) {
            const long long mid = (a + b) >> 1;
            if (walk_pairs_before(mid, len, window) <= q) a = mid;
            else b = mid;
        }
        const long long pos = a;
        long long ctx = (pos > window ? pos - window : 0) + (q - walk_pairs_before(pos, len, window));
        if (ctx >= pos) ctx++;
        inputs[i] = items[base + ctx];
        labels[i] = items[base + pos];
    }
}
