// nce.cu: the global encoder's loss L_g on the device (MODEL.md 3.4: TF's nce_loss with S
// negatives shared by a batch of N pairs, log Q subtracted from every logit, accidental hits
// removed, output table theta (V, d) plus a bias (V)). Together with two gathers
// (embedding_gather, embedding.cu) and three cuBLAS products (org.lgsr.gpu.kernels.DeviceNceStep)
// these kernels compute what org.lgsr.cpu.Nce.forwardBackward computes:
//
//   v_i    = E[inputs[i]]                                             Vin (N, d), gathered
//   t_i    = v_i . theta[labels[i]] + bias[labels[i]] - trueLogQ[i]   (nce_loss_grad)
//   s_ik   = (Vin ThetaS^T)[i, k] + bias[sampled[k]] - sampledLogQ[k]  ThetaS = theta[sampled] (S, d)
//            pair (i, k) removed when removeHits and sampled[k] == labels[i]
//   loss_i = softplus(-t_i) + sum_k softplus(s_ik)   (= TF's sigmoid cross-entropy, labels 1 / 0)
//   loss   = sum_i loss_i / N                                          (nce_loss_sum)
//   dTrue_i = (sigmoid(t_i) - 1) * scale, dL_ik = sigmoid(s_ik) * scale (0 where removed),
//   scale = 1/N (float, as Nce's scale)
//   gE[inputs[i]]       += dTrue_i theta[labels[i]] + (dL ThetaS)_i     (nce_scatter)
//   gTheta[labels[i]]   += dTrue_i v_i,   gBias[labels[i]]  += dTrue_i  (nce_scatter)
//   gTheta[sampled[k]]  += (dL^T Vin)_k,  gBias[sampled[k]] += sum_i dL_ik (nce_scatter)
// Gradients are ADDED to gE, gTheta, gBias (Nce adds too); every other output is written.
//
// CPU twins: org.lgsr.cpu.Nce.nceTrueLogq, .nceLossGrad, .nceScatter, .nceLossSum, composed in
// the device step's order by Nce.step. Launchers: org.lgsr.gpu.kernels.NceKernels.
//
// Nondeterminism: nce_scatter adds into the gradient tables with atomicAdd, so rows that
// share an item (repeated inputs or labels, a label that is also a negative, repeated negatives
// without unique sampling) are summed in the order the atomics land: the last bits of gE,
// gTheta and gBias may differ from run to run. Everything else (trueLogQ, the logits'
// gradients, rowLoss, dTrue, dVin, the per-block column sums, the loss) is deterministic.
//
// Performance: at N = 8192, S = 512, d = 100 the three products (6 N S d = 2.5 GFLOP) are
// cuBLAS's; the kernels here are bound by bytes: nce_loss_grad reads and rewrites the (N, S)
// logits once (32 MiB, L2-resident on H100/H200), with one expf and one log1pf per logit;
// nce_scatter's 2 N d + S d atomics (RED, no return value) are spread over the table rows.

#include "warp.cuh"

#define NCE_WARPS 8                     // warps per block of nce_loss_grad (and nce_loss_sum: 256 threads)
#define NCE_THREADS (32 * NCE_WARPS)
#define NCE_ROWS 32                     // pairs per block of nce_loss_grad: warp w takes rows w, w + 8, ...
#define NCE_MAX_D 256                   // d limit: NCE_DPL values of a row per lane
#define NCE_DPL (NCE_MAX_D / 32)
#define NCE_MAX_S 1024                  // S limit: (NCE_WARPS + 2) S floats of shared memory <= 40 KiB


// trueLogQ[i] = (float) log(Q(rankOfItem[labels[i]])), Q = LogUniformSampler.expectedCount in
// double: p = log((r + 2) / (r + 1)) / logRange; Q = p numSampled when numTries == numSampled,
// else -expm1(numTries log1p(-p)). logRange = log(range + 1) arrives as the bits of the double
// (logRangeBits: the launcher has no double arguments). A label that is not a graph node
// (rank -1) gets NaN, which makes the batch loss NaN. One thread per pair, grid-stride.
extern "C" __global__ void nce_true_logq(const int *__restrict__ labels, const int *__restrict__ rankOfItem, int N,
                                         int numSampled, int numTries, long long logRangeBits,
                                         float *__restrict__ trueLogQ) {
    const double logRange = __longlong_as_double(logRangeBits);
    const int stride = gridDim.x * blockDim.x;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < N; i += stride) {
        const int r = rankOfItem[labels[i]];
        float q = __int_as_float(0x7fc00000);
        if (r >= 0) {
            const double p = log((r + 2.0) / (r + 1.0)) / logRange;
            const double count = numTries == numSampled ? p * numSampled : -expm1(numTries * log1p(-p));
            q = (float) log(count);
        }
        trueLogQ[i] = q;
    }
}

// The loss and the logits' gradients. logits (N, S) row-major holds Vin ThetaS^T on entry and
// dLoss/dlogit on exit; rowLoss (N) = loss_i (not scaled); dTrue (N); dVin (N, d) =
// dTrue_i theta[labels[i]] (the true class's part of dLoss/dv_i: DeviceNceStep adds dL ThetaS
// with cuBLAS, beta = 1); colPart (ceil(N / NCE_ROWS), S) = per-block column sums of dL
// (block b: rows [32 b, 32 b + 32); summed per warp in row order, then over warps 0..7), which
// nce_scatter reduces in block order. Grid: exactly ceil(N / NCE_ROWS) blocks of NCE_THREADS;
// dynamic shared memory (NCE_WARPS + 2) S floats. d <= NCE_MAX_D, S <= NCE_MAX_S.
// One warp per row: the true logit by a warp dot product, then lanes take columns k = lane,
// lane + 32, ... (coalesced), one expf serves both softplus and sigmoid.
extern "C" __global__ void __launch_bounds__(NCE_THREADS)
nce_loss_grad(float *__restrict__ logits, const float *__restrict__ Vin, const float *__restrict__ theta,
              const float *__restrict__ bias, const int *__restrict__ labels, const int *__restrict__ sampled,
              const float *__restrict__ sampledLogQ, const float *__restrict__ trueLogQ, int N, int S, int d,
              int removeHits, float scale, float *__restrict__ rowLoss, float *__restrict__ dTrue,
              float *__restrict__ dVin, float *__restrict__ colPart) {
    extern __shared__ float nce_smem[];
    float *sb = nce_smem;                                  // (S) bias[sampled[k]] - sampledLogQ[k]
    int *sid = reinterpret_cast<int *>(nce_smem + S);      // (S) sampled[k]
    float *part = nce_smem + 2 * S;                        // (NCE_WARPS, S) column sums per warp
    for (int k = threadIdx.x; k < S; k += NCE_THREADS) {
        const int c = sampled[k];
        sid[k] = c;
        sb[k] = bias[c] - sampledLogQ[k];
    }
    for (int k = threadIdx.x; k < NCE_WARPS * S; k += NCE_THREADS) part[k] = 0.0f;
    __syncthreads();

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    float *mine = part + warp * S;
    const int row0 = blockIdx.x * NCE_ROWS;
    for (int rr = warp; rr < NCE_ROWS; rr += NCE_WARPS) {
        const int i = row0 + rr;
        if (i >= N) break;
        const int lab = labels[i];
        const float *v = Vin + (long long) i * d;
        const float *th = theta + (long long) lab * d;
        float thr[NCE_DPL];
        float dot = 0.0f;
#pragma unroll
        for (int m = 0; m < NCE_DPL; m++) {
            const int j = lane + 32 * m;
            thr[m] = j < d ? th[j] : 0.0f;
            if (j < d) dot = fmaf(v[j], thr[m], dot);
        }
        dot = lgsr_warp_sum(dot);
        const float t = dot + (bias[lab] - trueLogQ[i]);
        const float ut = expf(-fabsf(t));
        // softplus(-t) = max(-t, 0) + log1p(e^-|t|); sigmoid(t) - 1 = -(t >= 0 ? u : 1) / (1 + u)
        const float trueLoss = fmaxf(-t, 0.0f) + log1pf(ut);
        const float gt = -(t >= 0.0f ? ut : 1.0f) / (1.0f + ut) * scale;

        float *g = logits + (long long) i * S;
        float loss = 0.0f;
        for (int k = lane; k < S; k += 32) {
            const float x = g[k] + sb[k];
            float gk = 0.0f;
            if (!(removeHits && sid[k] == lab)) {
                const float u = expf(-fabsf(x));
                loss += fmaxf(x, 0.0f) + log1pf(u);
                gk = (x >= 0.0f ? 1.0f : u) / (1.0f + u) * scale;
            }
            g[k] = gk;
            mine[k] += gk;
        }
        loss = lgsr_warp_sum(loss);
        if (lane == 0) {
            rowLoss[i] = trueLoss + loss;
            dTrue[i] = gt;
        }
        float *dv = dVin + (long long) i * d;
#pragma unroll
        for (int m = 0; m < NCE_DPL; m++) {
            const int j = lane + 32 * m;
            if (j < d) dv[j] = gt * thr[m];
        }
    }
    __syncthreads();
    for (int k = threadIdx.x; k < S; k += NCE_THREADS) {
        float c = 0.0f;
#pragma unroll
        for (int w = 0; w < NCE_WARPS; w++) c += part[w * S + k];
        colPart[(long long) blockIdx.x * S + k] = c;
    }
}

// Every gradient-table update of the batch, atomically (see the nondeterminism note above).
// One warp per row r of [0, N + S), grid-stride over warps; lanes take columns j = lane,
// lane + 32, ...:
//   r = i < N:      gE[inputs[i]] += dVin[i];  gTheta[labels[i]] += dTrue[i] Vin[i];
//                   gBias[labels[i]] += dTrue[i]
//   r = N + k:      gTheta[sampled[k]] += dThetaS[k];
//                   gBias[sampled[k]] += sum over b < parts of colPart[b, k] (lane l sums
//                   b = l, l + 32, ... in order, then the warp butterfly)
// dVin (N, d) is the complete dLoss/dv (nce_loss_grad's part plus dL ThetaS); dThetaS (S, d) =
// dL^T Vin; parts = ceil(N / NCE_ROWS).
extern "C" __global__ void nce_scatter(float *__restrict__ gE, float *__restrict__ gTheta, float *__restrict__ gBias,
                                       const float *__restrict__ Vin, const float *__restrict__ dVin,
                                       const float *__restrict__ dTrue, const int *__restrict__ inputs,
                                       const int *__restrict__ labels, int N, const float *__restrict__ dThetaS,
                                       const float *__restrict__ colPart, int parts, const int *__restrict__ sampled,
                                       int S, int d) {
    const int lane = threadIdx.x & 31;
    const long long warps = ((long long) gridDim.x * blockDim.x) >> 5;
    const long long rows = (long long) N + S;
    for (long long r = ((long long) blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows; r += warps) {
        if (r < N) {
            const float gt = dTrue[r];
            float *ge = gE + (long long) inputs[r] * d;
            const int lab = labels[r];
            float *gth = gTheta + (long long) lab * d;
            const float *dv = dVin + r * d, *v = Vin + r * d;
            for (int j = lane; j < d; j += 32) {
                atomicAdd(ge + j, dv[j]);
                atomicAdd(gth + j, gt * v[j]);
            }
            if (lane == 0) atomicAdd(gBias + lab, gt);
        } else {
            const long long k = r - N;
            const int c = sampled[k];
            float *gth = gTheta + (long long) c * d;
            const float *dw = dThetaS + k * d;
            for (int j = lane; j < d; j += 32) atomicAdd(gth + j, dw[j]);
            float sum = 0.0f;
            for (int b = lane; b < parts; b += 32) sum += colPart[(long long) b * S + k];
            sum = lgsr_warp_sum(sum);
            if (lane == 0) atomicAdd(gBias + c, sum);
        }
    }
}

// out[0] = (sum_i rowLoss[i]) / N in double: thread t of ONE block of NCE_THREADS sums
// i = t, t + 256, ... in order, then a tree over the threads (h = 128, 64, ..., 1). out is a
// double (8-byte aligned). N >= 1.
extern "C" __global__ void __launch_bounds__(NCE_THREADS)
nce_loss_sum(const float *__restrict__ rowLoss, int N, double *__restrict__ out) {
    __shared__ double nce_red[NCE_THREADS];
    double acc = 0.0;
    for (int i = threadIdx.x; i < N; i += NCE_THREADS) acc += (double) rowLoss[i];
    nce_red[threadIdx.x] = acc;
    __syncthreads();
    for (int h = NCE_THREADS / 2; h > 0; h >>= 1) {
        if (threadIdx.x < h) nce_red[threadIdx.x] += nce_red[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[0] = nce_red[0] / N;
}
