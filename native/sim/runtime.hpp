// runtime.hpp: the simulated device's host API (used by the JNI layer and the selftest).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lgsr_sim/registry.h"

namespace lgsr_sim {

constexpr long long kMaxSharedBytes = 232448; // 227 KB: sm_90's opt-in maximum per block
constexpr int kMaxBlockThreads = 1024;

// every registered kernel, sorted by name
const std::vector<const KernelInfo *> &kernels();
const KernelInfo *find_kernel(const char *name);

// Runs the whole grid (1-D) before it returns. args[i]: the bits of argument i (4-byte values in
// the low 32 bits). threads: worker threads (0: the hardware's concurrency). Returns "" on
// success, else one line naming the kernel and the problem.
std::string launch(const KernelInfo *k, long long grid_x, long long block_x, long long shared_bytes,
                   const uint64_t *args, long long nargs, int threads);

// fn(task) for task in [0, tasks), spread over the worker pool (threads 0: hardware concurrency)
void parallel_for(long long tasks, int threads, const std::function<void(long long)> &fn);

void *device_alloc(long long bytes); // 256-byte aligned, filled with 0xFF; nullptr on failure
void device_free(void *p);

// column-major, as cublasSgemm / cublasSgemmStridedBatched
void sgemm_strided_batched(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                           long long stride_a, const float *b, int ldb, long long stride_b, float beta, float *c,
                           int ldc, long long stride_c, int batch);

const char *fiber_kind(); // "x86-64 switch" or "ucontext"
bool racecheck();         // built with LGSR_SIM_RACECHECK: shared-memory hazards fail the launch
int stack_kb();

} // namespace lgsr_sim
