// adam.cu: one Adam step over ONE flat parameter buffer, TensorFlow's formulation.
//   p, g, m, v: (n,) float32, each 16-byte aligned (whole allocations are).
//   lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t) is computed once on the host (Adam.learningRate).
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr_t m / (sqrt(v) + eps)
// CPU twin: org.lgsr.cpu.Adam.adam. Every product and sum is rounded on its own (__fmul_rn,
// __fadd_rn: no fused multiply-add) and sqrt and division are IEEE (nvcc's defaults), so the
// kernel computes the same float32 function as the twin, bit for bit.
// Memory-bound: reads p, g, m, v and writes p, m, v: 28 bytes per element. float4 loads and
// stores, grid-stride; the n % 4 tail is done by scalar code.

__device__ __forceinline__ void adam_element(float &p, float g, float &m, float &v, float lr_t, float b1,
                                             float one_minus_b1, float b2, float one_minus_b2, float eps) {
    m = __fadd_rn(__fmul_rn(b1, m), __fmul_rn(one_minus_b1, g));
    v = __fadd_rn(__fmul_rn(b2, v), __fmul_rn(one_minus_b2, __fmul_rn(g, g)));
    p = __fsub_rn(p, __fdiv_rn(__fmul_rn(lr_t, m), __fadd_rn(sqrtf(v), eps)));
}

extern "C" __global__ void adam(float *__restrict__ p, const float *__restrict__ g, float *__restrict__ m,
                                float *__restrict__ v, long long n, float lr_t, float b1, float b2, float eps) {
    const float omb1 = 1.0f - b1, omb2 = 1.0f - b2;
    const long long stride = (long long) gridDim.x * blockDim.x;
    const long long tid = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    const long long n4 = n / 4;
    float4 *p4 = reinterpret_cast<float4 *>(p);
    const float4 *g4 = reinterpret_cast<const float4 *>(g);
    float4 *m4 = reinterpret_cast<float4 *>(m);
    float4 *v4 = reinterpret_cast<float4 *>(v);
    for (long long i = tid; i < n4; i += stride) {
        float4 pp = p4[i], gg = g4[i], mm = m4[i], vv = v4[i];
        adam_element(pp.x, gg.x, mm.x, vv.x, lr_t, b1, omb1, b2, omb2, eps);
        adam_element(pp.y, gg.y, mm.y, vv.y, lr_t, b1, omb1, b2, omb2, eps);
        adam_element(pp.z, gg.z, mm.z, vv.z, lr_t, b1, omb1, b2, omb2, eps);
        adam_element(pp.w, gg.w, mm.w, vv.w, lr_t, b1, omb1, b2, omb2, eps);
        p4[i] = pp;
        m4[i] = mm;
        v4[i] = vv;
    }
    for (long long i = 4 * n4 + tid; i < n; i += stride) {
        float pp = p[i], mm = m[i], vv = v[i];
        adam_element(pp, g[i], mm, vv, lr_t, b1, omb1, b2, omb2, eps);
        p[i] = pp;
        m[i] = mm;
        v[i] = vv;
    }
}
