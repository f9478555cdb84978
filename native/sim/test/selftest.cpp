// selftest.cpp: lgsr_sim_selftest, the simulated device's own tests. Exits 0 when every check
// passes, else 1, naming each failed check. Test kernels: native/sim/test/*.cu; the real
// kernels of cuda/*.cu are launched through the same registry as from Java.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "runtime.hpp"

using namespace lgsr_sim;

namespace {

int failures = 0, checks = 0;

void check(bool ok, const std::string &what) {
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL: %s\n", what.c_str());
    }
}

struct Arg {
    uint64_t bits;
    Arg(const void *p) : bits((uint64_t) (uintptr_t) p) {}
    Arg(int v) : bits((uint32_t) v) {}
    Arg(unsigned v) : bits(v) {}
    Arg(long long v) : bits((uint64_t) v) {}
    Arg(unsigned long long v) : bits(v) {}
    Arg(float v) {
        uint32_t u;
        memcpy(&u, &v, 4);
        bits = u;
    }
    Arg(double v) { memcpy(&bits, &v, 8); }
};

std::string run(const char *kernel, long long grid, long long block, long long shared, std::initializer_list<Arg> args,
                int threads = 0) {
    const KernelInfo *k = find_kernel(kernel);
    if (!k) return std::string("no kernel ") + kernel;
    std::vector<uint64_t> bits;
    for (const Arg &a : args) bits.push_back(a.bits);
    return launch(k, grid, block, shared, bits.data(), (long long) bits.size(), threads);
}

void expect_ok(const std::string &err, const std::string &what) {
    check(err.empty(), what + (err.empty() ? "" : ": " + err));
}

void expect_error(const std::string &err, const char *needle, const std::string &what) {
    check(!err.empty() && err.find(needle) != std::string::npos,
          what + ": expected an error with '" + needle + "', got '" + err + "'");
    if (!err.empty()) printf("  (as expected) %s\n", err.c_str());
}

template <typename T> T *dev(size_t n) { return static_cast<T *>(device_alloc((long long) (n * sizeof(T)))); }

uint32_t fbits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

// a small deterministic generator for inputs
struct Lcg {
    uint64_t s;
    explicit Lcg(uint64_t seed) : s(seed) {}
    uint32_t next() {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return (uint32_t) (s >> 33);
    }
    float uniform() { return (float) (next() >> 8) * 0x1p-24f; }
    float sym() { return 2.0f * uniform() - 1.0f; }
};

void test_registry() {
    check(find_kernel("adam") != nullptr, "registry: adam from cuda/adam.cu");
    check(find_kernel("softmax_ce_backward_t8c2") != nullptr, "registry: a kernel defined by a macro");
    check(find_kernel("no_such_kernel") == nullptr, "registry: unknown name");
    const KernelInfo *p = find_kernel("t_params");
    check(p && strcmp(p->signature, "pilfdil") == 0,
          std::string("signature of t_params: ") + (p ? p->signature : "(none)"));
    const KernelInfo *a = find_kernel("adam");
    check(a && strcmp(a->signature, "pppplffff") == 0, std::string("signature of adam: ") + (a ? a->signature : ""));
    const KernelInfo *n = find_kernel("nce_loss_grad");
    check(n && n->max_threads == 256, "nce_loss_grad's __launch_bounds__ (256)");
    const KernelInfo *s = find_kernel("softmax_ce_forward_t8");
    check(s && s->max_threads == 256, "softmax_ce_forward_t8's __launch_bounds__(256, 2)");
    int sorted = 1;
    for (size_t i = 1; i < kernels().size(); i++) sorted &= strcmp(kernels()[i - 1]->name, kernels()[i]->name) < 0;
    check(sorted, "registry sorted by name");
}

void test_params() {
    double *out = dev<double>(6);
    expect_ok(run("t_params", 1, 32, 0, {out, -7, -123456789012345LL, 1.5f, -2.25, 4000000000u, 1ull << 53}), "t_params");
    check(out[0] == -7 && out[1] == -123456789012345.0 && out[2] == 1.5 && out[3] == -2.25 && out[4] == 4e9 &&
              out[5] == 9007199254740992.0,
          "t_params: every argument kind arrives");
    device_free(out);
}

void test_barrier_exit() {
    for (int n : {3, 31, 64, 100, 1024}) {
        const int grid = 3;
        int *out = dev<int>((size_t) grid * n);
        expect_ok(run("t_barrier_exit", grid, n, 0, {out}, 2), "t_barrier_exit n=" + std::to_string(n));
        bool ok = true;
        for (int b = 0; b < grid; b++)
            for (int t = 0; t < n; t++) {
                int o = (t + 1) % n;
                while (o % 3 == 0) o = (o + 1) % n;
                const int want = t % 3 == 0 ? -1 : t % 3 == 1 ? 2 * o : 2 * o + 1000 + (o % 3 == 2 ? 1 : 0);
                if (out[b * n + t] != want) {
                    if (ok) printf("  t_barrier_exit n=%d b=%d t=%d: %d, want %d\n", n, b, t, out[b * n + t], want);
                    ok = false;
                }
            }
        check(ok, "counting barrier with threads that exit early, blockDim " + std::to_string(n));
        device_free(out);
    }
}

void test_shuffles() {
    long long *r = dev<long long>(256);
    expect_ok(run("t_shfl_rounds", 1, 256, 0, {r}), "t_shfl_rounds");
    bool ok = true;
    for (int t = 0; t < 256; t++) ok &= r[t] == 15 * ((t >> 5) + 1) + (t & 31);
    check(ok, "warps running different numbers of shuffles");
    device_free(r);

    int *h = dev<int>(96 * 4);
    expect_ok(run("t_shfl_half", 1, 96, 0, {h}), "t_shfl_half");
    ok = true;
    for (int t = 0; t < 96; t++) {
        const int lane = t & 31;
        if (lane >= 16) {
            ok &= h[t * 4] == -1;
            continue;
        }
        ok &= h[t * 4 + 0] == 136 && h[t * 4 + 1] == 30 && h[t * 4 + 2] == (lane < 15 ? lane + 1 : 15) &&
              h[t * 4 + 3] == 0xaaaa;
    }
    check(ok, "half warps exit, the other halves shuffle with mask 0xffff (xor, idx, down width 16, ballot)");
    device_free(h);

    int *e = dev<int>(64);
    expect_error(run("t_shfl_exited", 1, 64, 0, {e}), "has exited", "shuffle from an exited lane");
    // a partial warp: blockDim 48, the second warp's lanes 16..31 do not exist
    expect_error(run("t_shfl_rounds", 1, 48, 0, {e}), "does not exist", "shuffle from a lane past blockDim");
    device_free(e);
}

void test_deadlocks() {
    int *o = dev<int>(64);
    expect_error(run("t_deadlock_shfl", 2, 32, 0, {o}), "deadlock", "deadlock: barrier against a shuffle");
    expect_error(run("t_deadlock_masks", 1, 32, 0, {o}), "deadlock", "deadlock: __syncwarp masks that never meet");
    // the same launch still works afterwards (stacks reused after an aborted block)
    int *out = dev<int>(64);
    expect_ok(run("t_barrier_exit", 1, 64, 0, {out}, 1), "a launch after a deadlocked one");
    device_free(out);
    device_free(o);
}

void test_atomics() {
    float *f = dev<float>(1);
    int *i = dev<int>(1);
    unsigned long long *u = dev<unsigned long long>(1);
    double *d = dev<double>(1);
    unsigned *m = dev<unsigned>(1);
    *f = 0;
    *i = 0;
    *u = 0;
    *d = 0;
    *m = 0;
    const int grid = 64, block = 256, n = grid * block;
    expect_ok(run("t_atomics", grid, block, 0, {f, i, u, d, m}, 2), "t_atomics");
    const long long isum = (long long) n * (n - 1) / 2;
    check(*f == (float) n, "atomicAdd(float) across blocks: " + std::to_string(*f));
    check(*i == (int) isum, "atomicAdd(int) across blocks");
    check(*u == (unsigned long long) isum << 20, "atomicAdd(unsigned long long) across blocks");
    check(*d == 0.5 * n, "atomicAdd(double) across blocks");
    check(*m == (unsigned) n - 1, "atomicMax(unsigned) across blocks");
    device_free(f);
    device_free(i);
    device_free(u);
    device_free(d);
    device_free(m);
}

void test_shared() {
    const int grid = 64, n = 5000;
    int *bad = dev<int>(grid);
    unsigned *unw = dev<unsigned>(grid);
    for (int b = 0; b < grid; b++) bad[b] = 0;
    expect_ok(run("t_dyn_shared", grid, 128, (n + 1) * 4, {bad, unw, n}, 2), "t_dyn_shared");
    bool iso = true, nan = true;
    for (int b = 0; b < grid; b++) {
        iso &= bad[b] == 0;
        nan &= unw[b] == 0x7fc00000u;
    }
    check(iso, "dynamic shared memory isolated between blocks on different workers");
    check(nan, "unwritten dynamic shared memory reads as NaN");
    device_free(bad);
    device_free(unw);

    unsigned *s = dev<unsigned>(4 * 64);
    expect_ok(run("t_static_nan", 4, 64, 0, {s}, 1), "t_static_nan");
    bool all = true;
    for (int k = 0; k < 4 * 64; k++) all &= s[k] == 0x7fc00000u;
    check(all, "static __shared__ is NaN at the start of every block");
    device_free(s);
}

void test_shapes() {
    int *o = dev<int>(2048);
    expect_error(run("t_bounded", 1, 0, 0, {o}), "outside [1, 1024]", "blockDim 0");
    expect_error(run("t_barrier_exit", 1, 1025, 0, {o}), "outside [1, 1024]", "blockDim 1025");
    expect_error(run("t_bounded", 0, 32, 0, {o}), "gridDim.x 0", "gridDim 0");
    expect_error(run("t_bounded", 1, 32, -1, {o}), "dynamic shared memory -1", "sharedBytes -1");
    expect_error(run("t_bounded", 1, 32, 232449, {o}), "232449", "sharedBytes over 227 KB");
    expect_ok(run("t_bounded", 1, 32, 232448, {o}), "sharedBytes exactly 227 KB");
    expect_error(run("t_bounded", 1, 128, 0, {o}), "__launch_bounds__", "blockDim over __launch_bounds__");
    expect_ok(run("t_bounded", 1, 64, 0, {o}), "blockDim at __launch_bounds__");
    expect_error(run("t_bounded", 1, 32, 0, {o, 1}), "takes 1 arguments", "argument count");
    check(launch(nullptr, 1, 1, 0, nullptr, 0, 0).find("null") != std::string::npos, "null function");
    device_free(o);
}

// ---- real kernels of cuda/*.cu

void host_adam(float &p, float g, float &m, float &v, float lr, float b1, float b2, float eps) {
    m = (b1 * m) + ((1.0f - b1) * g);
    v = (b2 * v) + ((1.0f - b2) * (g * g));
    p = p - ((lr * m) / (sqrtf(v) + eps));
}

void test_adam() {
    const long long n = 1003; // float4 body and a scalar tail
    float *p = dev<float>(n), *g = dev<float>(n), *m = dev<float>(n), *v = dev<float>(n);
    std::vector<float> hp(n), hg(n), hm(n), hv(n);
    Lcg r(7);
    for (long long i = 0; i < n; i++) {
        p[i] = hp[i] = r.sym();
        g[i] = hg[i] = r.sym();
        m[i] = hm[i] = 0.1f * r.sym();
        v[i] = hv[i] = 0.01f * r.uniform();
    }
    const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    expect_ok(run("adam", 3, 128, 0, {p, g, m, v, n, lr, b1, b2, eps}), "adam");
    bool same = true;
    for (long long i = 0; i < n; i++) {
        host_adam(hp[i], hg[i], hm[i], hv[i], lr, b1, b2, eps);
        same &= fbits(hp[i]) == fbits(p[i]) && fbits(hm[i]) == fbits(m[i]) && fbits(hv[i]) == fbits(v[i]);
    }
    check(same, "adam (cuda/adam.cu) equals the host formula bit for bit");
    device_free(p);
    device_free(g);
    device_free(m);
    device_free(v);
}

void test_embedding() {
    const int V = 50, D = 37, R = 300;
    float *table = dev<float>(V * D), *out = dev<float>(R * D), *grad = dev<float>(V * D), *gout = dev<float>(R * D);
    int *idx = dev<int>(R);
    Lcg r(11);
    for (int i = 0; i < V * D; i++) table[i] = r.sym();
    for (int i = 0; i < R; i++) idx[i] = (int) (r.next() % V);
    for (int i = 0; i < R * D; i++) gout[i] = r.sym();
    expect_ok(run("embedding_gather", 5, 64, 0, {out, table, idx, R, D}), "embedding_gather");
    bool ok = true;
    for (int e = 0; e < R * D; e++) ok &= out[e] == table[idx[e / D] * D + e % D];
    check(ok, "embedding_gather (cuda/embedding.cu) equals the host gather");

    // the sorted scatter-add: rows stably sorted by index, runs of equal indices
    std::vector<int> order(R);
    for (int i = 0; i < R; i++) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return idx[a] < idx[b]; });
    std::vector<int> starts;
    for (int i = 0; i < R; i++)
        if (i == 0 || idx[order[i]] != idx[order[i - 1]]) starts.push_back(i);
    const int S = (int) starts.size();
    starts.push_back(R);
    int *row_order = dev<int>(R), *seg = dev<int>(S + 1);
    memcpy(row_order, order.data(), sizeof(int) * R);
    memcpy(seg, starts.data(), sizeof(int) * (S + 1));
    std::vector<float> want(V * D);
    for (int i = 0; i < V * D; i++) grad[i] = want[i] = 0.25f * r.sym();
    // host: warp w sums run positions w, w + 8, ... (four at a time, then the rest), partials in warp order
    for (int s = 0; s < S; s++) {
        const int begin = starts[s], end = starts[s + 1];
        for (int c = 0; c < D; c++) {
            float part[8];
            for (int w = 0; w < 8; w++) {
                float acc = 0.0f;
                int j = begin + w;
                for (; j + 24 < end; j += 32)
                    acc = (((acc + gout[order[j] * D + c]) + gout[order[j + 8] * D + c]) + gout[order[j + 16] * D + c]) +
                          gout[order[j + 24] * D + c];
                for (; j < end; j += 8) acc = acc + gout[order[j] * D + c];
                part[w] = acc;
            }
            float t = part[0];
            for (int w = 1; w < 8; w++) t = t + part[w];
            float &dst = want[idx[order[begin]] * D + c];
            dst = dst + t;
        }
    }
    expect_ok(run("embedding_scatter_add_sorted", 7, 256, 8 * D * 4, {grad, gout, idx, row_order, seg, S, D}, 2),
              "embedding_scatter_add_sorted");
    bool same = true;
    for (int i = 0; i < V * D; i++) same &= fbits(grad[i]) == fbits(want[i]);
    check(same, "embedding_scatter_add_sorted (dynamic shared memory, barriers) equals the host order bit for bit");
    for (void *q : {(void *) table, (void *) out, (void *) grad, (void *) gout, (void *) idx, (void *) row_order,
                    (void *) seg})
        device_free(q);
}

void test_softmax_ce() {
    // softmax_ce_forward_t4 (file-scope extern __shared__ float4, half-warp shuffles) + finish
    const int B = 70, n = 150, d = 37;
    float *sf = dev<float>(B * d), *E = dev<float>(n * d);
    int *target = dev<int>(B);
    Lcg r(3);
    for (int i = 0; i < B * d; i++) sf[i] = r.sym();
    for (int i = 0; i < n * d; i++) E[i] = r.sym();
    for (int b = 0; b < B; b++) target[b] = 1 + (int) (r.next() % (n - 1));
    const int BM = 64, BN = 64, nct = (n + BN - 1) / BN, rts = (B + BM - 1) / BM;
    const int q4 = (d + 3) / 4;
    float *pm = dev<float>(B * nct), *ps = dev<float>(B * nct), *zt = dev<float>(B), *lse = dev<float>(B),
          *loss = dev<float>(B);
    expect_ok(run("softmax_ce_forward_t4", nct * rts, 256, (long long) q4 * (BM + 1 + BN + 1) * 16,
                  {sf, E, target, B, n, d, pm, ps, zt}, 2),
              "softmax_ce_forward_t4");
    expect_ok(run("softmax_ce_forward_finish", (B + 7) / 8, 256, 0, {pm, ps, zt, B, nct, lse, loss}),
              "softmax_ce_forward_finish");
    double worst = 0;
    bool zt_same = true;
    for (int b = 0; b < B; b++) {
        double sum = 0, zmax = -INFINITY;
        std::vector<double> z(n);
        for (int j = 1; j < n; j++) {
            float acc = 0.0f;
            for (int k = 0; k < d; k++) acc = fmaf(sf[b * d + k], E[j * d + k], acc);
            z[j] = acc;
            if (j == target[b]) zt_same &= fbits(acc) == fbits(zt[b]);
            zmax = std::max(zmax, z[j]);
        }
        for (int j = 1; j < n; j++) sum += exp(z[j] - zmax);
        const double l = zmax + log(sum);
        worst = std::max(worst, fabs(l - lse[b]) / std::max(1.0, fabs(l)));
        worst = std::max(worst, fabs((l - z[target[b]]) - loss[b]) / std::max(1.0, fabs(l)));
    }
    check(zt_same, "softmax_ce_forward_t4: z[target] is the fma chain bit for bit");
    check(worst < 1e-5, "softmax_ce forward (cuda/softmax_ce.cu): lse and loss within 1e-5 of double, worst " +
                            std::to_string(worst));
    for (void *q : {(void *) sf, (void *) E, (void *) target, (void *) pm, (void *) ps, (void *) zt, (void *) lse,
                    (void *) loss})
        device_free(q);
}

void test_l2_grad() {
    // l2_grad + l2_grad_sum: a static __shared__ array inside a __device__ function, double shuffles
    const long long count = 10000;
    const int parts = 7;
    float *w = dev<float>(count), *g = dev<float>(count);
    double *partial = dev<double>(parts), *result = dev<double>(1);
    Lcg r(5);
    double want = 0;
    for (long long i = 0; i < count; i++) {
        w[i] = r.sym();
        g[i] = 0;
        want += (double) (w[i] * w[i]);
    }
    expect_ok(run("l2_grad", parts, 256, 0, {w, g, count, 0.5f, partial}), "l2_grad");
    expect_ok(run("l2_grad_sum", 1, 256, 0, {partial, parts, result}), "l2_grad_sum");
    check(fabs(*result - want) <= 1e-12 * want, "l2_grad + l2_grad_sum (cuda/layers.cu) sum of squares");
    bool ok = true;
    for (long long i = 0; i < count; i++) ok &= g[i] == 0.5f * w[i];
    check(ok, "l2_grad's gradient");
    for (void *q : {(void *) w, (void *) g, (void *) partial, (void *) result}) device_free(q);
}


void test_attention() {
    // attention_forward (function-scope extern __shared__, warp sums, broadcasts) against the
    // host in double; attention_backward run for its errors and finiteness
    const int B = 4, T = 7, d = 45, block = 32 * 4;
    const int lens[B] = {7, 3, 0, 5};
    const size_t btd = (size_t) B * T * d;
    float *Q = dev<float>(btd), *K = dev<float>(btd), *V = dev<float>(btd), *X = dev<float>(btd);
    float *gamma = dev<float>(d), *beta = dev<float>(d);
    int *len = dev<int>(B);
    float *A = dev<float>((size_t) B * T * T), *S = dev<float>(btd), *XH = dev<float>(btd), *RS = dev<float>(B * T);
    Lcg r(17);
    for (size_t i = 0; i < btd; i++) {
        Q[i] = r.sym();
        K[i] = r.sym();
        V[i] = r.sym();
        X[i] = r.sym();
    }
    for (int c = 0; c < d; c++) {
        gamma[c] = 1.0f + 0.1f * r.sym();
        beta[c] = 0.1f * r.sym();
    }
    for (int b = 0; b < B; b++) len[b] = lens[b];
    expect_ok(run("attention_forward", B, block, 2LL * T * d * 4,
                  {Q, K, V, X, len, (void *) nullptr, gamma, beta, B, T, d, A, S, XH, RS}, 2),
              "attention_forward");
    double worst = 0;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < T; i++) {
            const size_t row = (size_t) b * T + i;
            std::vector<double> R(d), a(T, 0.0);
            for (int c = 0; c < d; c++) R[c] = X[row * d + c];
            if (i < lens[b]) {
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j <= i; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += (double) Q[row * d + c] * K[((size_t) b * T + j) * d + c];
                    a[j] = dot / sqrt((double) d);
                    mx = std::max(mx, a[j]);
                }
                for (int j = 0; j <= i; j++) sum += (a[j] = exp(a[j] - mx));
                for (int j = 0; j <= i; j++) {
                    a[j] /= sum;
                    for (int c = 0; c < d; c++) R[c] += a[j] * V[((size_t) b * T + j) * d + c];
                }
            }
            for (int j = 0; j < T; j++) worst = std::max(worst, fabs(a[j] - A[row * T + j]));
            double mean = 0, var = 0;
            for (int c = 0; c < d; c++) mean += R[c] / d;
            for (int c = 0; c < d; c++) var += (R[c] - mean) * (R[c] - mean) / d;
            const double rs = 1.0 / sqrt(var + 1e-8);
            for (int c = 0; c < d; c++)
                worst = std::max(worst, fabs(gamma[c] * (R[c] - mean) * rs + beta[c] - S[row * d + c]));
        }
    check(worst < 1e-4, "attention_forward (cuda/attention.cu) within 1e-4 of double, worst " + std::to_string(worst));

    float *dS = dev<float>(btd), *dR = dev<float>(btd), *dQ = dev<float>(btd), *dK = dev<float>(btd),
          *dV = dev<float>(btd), *dG = dev<float>((size_t) B * d), *dBt = dev<float>((size_t) B * d);
    for (size_t i = 0; i < btd; i++) dS[i] = r.sym();
    expect_ok(run("attention_backward", B, block, (3LL * T * d + 2LL * T * T) * 4,
                  {dS, XH, RS, gamma, Q, K, V, A, (void *) nullptr, len, B, T, d, dR, dQ, dK, dV, dG, dBt}, 2),
              "attention_backward");
    bool finite = true;
    for (size_t i = 0; i < btd; i++)
        finite &= std::isfinite(dR[i]) && std::isfinite(dQ[i]) && std::isfinite(dK[i]) && std::isfinite(dV[i]);
    for (int i = 0; i < B * d; i++) finite &= std::isfinite(dG[i]) && std::isfinite(dBt[i]);
    check(finite, "attention_backward: every output written and finite (no NaN from unwritten shared memory)");
    for (void *q : {(void *) Q, (void *) K, (void *) V, (void *) X, (void *) gamma, (void *) beta, (void *) len,
                    (void *) A, (void *) S, (void *) XH, (void *) RS, (void *) dS, (void *) dR, (void *) dQ,
                    (void *) dK, (void *) dV, (void *) dG, (void *) dBt})
        device_free(q);
}

void test_top_k() {
    // top_k_t4 + top_k_merge (K rounds of half-warp and warp shuffles) against a host sort
    const int B = 9, n = 200, d = 20, K = 6, BN = 64, BM = 64;
    const int nct = (n + BN - 1) / BN, rts = (B + BM - 1) / BM, q4 = (d + 3) / 4;
    float *sf = dev<float>(B * d), *E = dev<float>(n * d);
    Lcg r(23);
    for (int i = 0; i < B * d; i++) sf[i] = r.sym();
    for (int i = 0; i < n * d; i++) E[i] = r.sym();
    for (int k = 0; k < d; k++) E[77 * d + k] = E[150 * d + k]; // a tie: the smaller id first
    float *cs = dev<float>((size_t) B * nct * K), *scores = dev<float>(B * K);
    int *ci = dev<int>((size_t) B * nct * K), *items = dev<int>(B * K);
    expect_ok(run("top_k_t4", nct * rts, 256, (long long) q4 * (BM + 1 + BN + 1) * 16, {sf, E, B, n, d, K, cs, ci}, 2),
              "top_k_t4");
    expect_ok(run("top_k_merge", (B + 7) / 8, 256, 0, {cs, ci, B, nct, K, items, scores}), "top_k_merge");
    bool ok = true;
    for (int b = 0; b < B; b++) {
        std::vector<std::pair<float, int>> z;
        for (int j = 1; j < n; j++) {
            float acc = 0.0f;
            for (int k = 0; k < d; k++) acc = fmaf(sf[b * d + k], E[j * d + k], acc);
            z.push_back({acc, j});
        }
        std::sort(z.begin(), z.end(), [](const std::pair<float, int> &x, const std::pair<float, int> &y) {
            return x.first > y.first || (x.first == y.first && x.second < y.second);
        });
        for (int k = 0; k < K; k++) ok &= items[b * K + k] == z[k].second && fbits(scores[b * K + k]) == fbits(z[k].first);
    }
    check(ok, "top_k_t4 + top_k_merge (cuda/softmax_ce.cu) equal the host's top K");
    for (void *q : {(void *) sf, (void *) E, (void *) cs, (void *) ci, (void *) scores, (void *) items}) device_free(q);
}

void test_sgemm() {
    const int m = 70, n = 45, k = 33;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            const int lda = (ta ? k : m) + 3, ldb = (tb ? n : k) + 2, ldc = m + 1, batch = 2;
            const long long sa = (long long) lda * (ta ? m : k) + 5, sb = (long long) ldb * (tb ? k : n) + 1,
                            sc = (long long) ldc * n + 7;
            std::vector<float> A(sa * batch), B(sb * batch), C(sc * batch, NAN), C2(sc * batch);
            Lcg r(13 + ta * 2 + tb);
            for (float &x : A) x = r.sym();
            for (float &x : B) x = r.sym();
            for (float &x : C2) x = r.sym();
            std::vector<float> C2in = C2;
            sgemm_strided_batched(ta, tb, m, n, k, 1.5f, A.data(), lda, sa, B.data(), ldb, sb, 0.0f, C.data(), ldc, sc,
                                  batch);
            sgemm_strided_batched(ta, tb, m, n, k, 0.5f, A.data(), lda, sa, B.data(), ldb, sb, 2.0f, C2.data(), ldc, sc,
                                  batch);
            bool ok = true;
            for (int bi = 0; bi < batch; bi++)
                for (int j = 0; j < n; j++)
                    for (int i = 0; i < m; i++) {
                        float acc = 0.0f;
                        for (int p = 0; p < k; p++) {
                            const float a = ta ? A[bi * sa + i * lda + p] : A[bi * sa + p * lda + i];
                            const float b = tb ? B[bi * sb + p * ldb + j] : B[bi * sb + j * ldb + p];
                            acc = fmaf(a, b, acc);
                        }
                        const long long at = bi * sc + (long long) j * ldc + i;
                        ok &= fbits(C[at]) == fbits(1.5f * acc);
                        ok &= fbits(C2[at]) == fbits(0.5f * acc + 2.0f * C2in[at]);
                    }
            check(ok, "sgemm transA=" + std::to_string(ta) + " transB=" + std::to_string(tb) +
                          ": fma chains in k order, beta 0 ignores NaN in C");
        }
}

// The racecheck (LGSR_SIM_RACECHECK builds): each hazard of t_race is reported, naming the
// kernel, the threads and the kind; the clean cases pass. Other builds run the clean cases only.
void test_racecheck() {
    float *o = dev<float>(64);
    struct Case {
        int which, reader, block;
        const char *hazard; // nullptr: clean
        const char *what;
    };
    const Case cases[] = {
        {0, 40, 64, "read-after-write", "a write and a read in another warp, no barrier"},
        {1, 40, 64, nullptr, "a write, __syncthreads, a read in another warp"},
        {2, 0, 64, nullptr, "a write, __syncwarp, a read by another lane"},
        {3, 0, 64, "read-after-write", "a write and a read by another lane, no warp operation"},
        {4, 0, 64, "write-after-read", "reads in two warps, then a write, no barrier"},
        {5, 0, 64, "write-after-read", "a reduction's array reused without a barrier"},
        {6, 0, 64, nullptr, "a reduction's array reused after a barrier"},
        {7, 0, 64, nullptr, "reads by one warp, a shuffle of the whole warp, then a write"},
    };
    for (const Case &c : cases) {
        const std::string err = run("t_race", 1, c.block, 0, {o, c.which, c.reader});
        if (!c.hazard) {
            expect_ok(err, std::string("racecheck, clean: ") + c.what);
        } else if (racecheck()) {
            expect_error(err, c.hazard, std::string("racecheck reports: ") + c.what);
            check(err.find("kernel t_race") != std::string::npos && err.find("racecheck") != std::string::npos &&
                      err.find("thread") != std::string::npos,
                  "racecheck's report names the kernel and the threads: " + err);
        }
    }
    if (racecheck()) {
        const std::string err = run("t_race", 1, 64, 0, {o, 0, 40});
        check(err.find("thread 40 (warp 1 lane 8) reads") != std::string::npos &&
                  err.find("thread 0 (warp 0 lane 0) wrote") != std::string::npos,
              "racecheck names the reader and the writer: " + err);
    }
    device_free(o);
}

void measure() {
    int *o = dev<int>(64);
    const int rounds = 200;
    auto t0 = std::chrono::steady_clock::now();
    expect_ok(run("t_cost", 4, 1024, 0, {o, rounds, 0}, 1), "t_cost barriers");
    auto t1 = std::chrono::steady_clock::now();
    expect_ok(run("t_cost", 4, 1024, 0, {o, 0, rounds / 5}, 1), "t_cost shuffles");
    auto t2 = std::chrono::steady_clock::now();
    const double ns_bar = std::chrono::duration<double, std::nano>(t1 - t0).count() / (4.0 * 1024 * rounds);
    const double ns_shfl = std::chrono::duration<double, std::nano>(t2 - t1).count() / (4.0 * 1024 * rounds);
    printf("cost: %.1f ns per thread per __syncthreads, %.1f ns per thread per __shfl_xor_sync (one worker)\n", ns_bar,
           ns_shfl);
    device_free(o);
}

} // namespace

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--overrun") == 0) {
        // manual check of an ASan build (LGSR_SIM_SANITIZE=ON): reports a read past the
        // launch's dynamic shared memory, and then one past a device allocation
        float *o = dev<float>(32);
        printf("%s\n", run("t_dyn_overrun", 1, 32, 16, {o, 4}).c_str());
        printf("%s\n", run("t_dyn_overrun", 1, 33, 16, {o, 0}).c_str());
        return 0;
    }
    printf("lgsr_sim_selftest: %zu kernels, fibers: %s, %d KB stacks%s\n", kernels().size(), fiber_kind(), stack_kb(),
           racecheck() ? ", racecheck on" : "");
    test_registry();
    test_params();
    test_barrier_exit();
    test_shuffles();
    test_deadlocks();
    test_atomics();
    test_shared();
    test_shapes();
    test_adam();
    test_embedding();
    test_softmax_ce();
    test_l2_grad();
    test_attention();
    test_top_k();
    test_sgemm();
    test_racecheck();
    measure();
    printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
