// runtime.cpp: the simulated device's execution engine.
//
// A launch spreads its blocks over the worker pool; a worker runs one block to completion
// before it takes the next. The threads of a block are fibers on that worker's OS thread
// (cooperative: a fiber runs until it reaches __syncthreads, a warp operation, or its end),
// scheduled round robin by the worker's own stack ("the scheduler").
//  - __syncthreads: a counting barrier over the block's live threads (a thread that returned
//    no longer counts), released when every live thread has arrived.
//  - warp operations (__shfl*_sync, __syncwarp, votes): a counting barrier per warp over
//    the lanes of the mask that are still live; when the group is complete, each lane's result
//    is formed from the values the group left (so warps may run different numbers of them).
//    A lane that reads from a lane outside the group (exited, not in the mask, absent) is an
//    error naming the kernel.
//  - nothing runnable while threads still live: a deadlock, reported as the launch's error.
// See native/sim/README.md.

#include "runtime.hpp"

#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "lgsr_sim/cuda_sim.h"

#if defined(__SANITIZE_ADDRESS__)
#define LGSR_SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LGSR_SIM_ASAN 1
#endif
#endif
#ifdef LGSR_SIM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if !defined(__x86_64__) && !defined(LGSR_SIM_UCONTEXT)
#define LGSR_SIM_UCONTEXT 1
#endif
#ifdef LGSR_SIM_UCONTEXT
#include <ucontext.h>
#endif

// The only thread_local object of the runtime (see cuda_sim.h): everything else in this
// module's TLS block is __shared__ storage and is NaN-filled at the start of every block.
thread_local lgsr_sim::Tls lgsr_sim_tls __attribute__((visibility("hidden")));
// The dynamic shared memory: defined (with the names of every "extern __shared__" array at
// the same address) by the generated lgsr_sim_dyn.cpp.
extern thread_local unsigned char lgsr_sim_dyn_smem[] __attribute__((visibility("hidden")));

#ifndef LGSR_SIM_UCONTEXT
// ---------------------------------------------------------------- x86-64 context switch
// lgsr_sim_switch(save, to): pushes the callee-saved registers, MXCSR and the x87 control
// word, stores the stack pointer in *save, loads `to` and pops the same frame from there.
// A new fiber's stack holds such a frame whose return address is lgsr_sim_fiber_entry, which
// calls r13(r12).
extern "C" void lgsr_sim_switch(void **save, void *to);
extern "C" void lgsr_sim_fiber_entry();
asm(R"(
    .text
    .p2align 4
    .globl lgsr_sim_switch
    .hidden lgsr_sim_switch
    .type lgsr_sim_switch,@function
lgsr_sim_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size lgsr_sim_switch, .-lgsr_sim_switch

    .p2align 4
    .globl lgsr_sim_fiber_entry
    .hidden lgsr_sim_fiber_entry
    .type lgsr_sim_fiber_entry,@function
lgsr_sim_fiber_entry:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size lgsr_sim_fiber_entry, .-lgsr_sim_fiber_entry
    .section .note.GNU-stack,"",@progbits
    .text
)");
#endif

namespace lgsr_sim {

const char *fiber_kind() {
#ifdef LGSR_SIM_UCONTEXT
    return "ucontext";
#else
    return "x86-64 switch";
#endif
}

int stack_kb() {
    static const int kb = [] {
        const char *e = getenv("LGSR_SIM_STACK_KB");
        int v = e ? atoi(e) : 0;
#ifdef LGSR_SIM_ASAN
        const int dflt = 256; // instrumented frames are larger
#else
        const int dflt = 64;
#endif
        if (v < 16) v = dflt;
        return v;
    }();
    return kb;
}

// ---------------------------------------------------------------- registry

static std::vector<const KernelInfo *> &registry() {
    static std::vector<const KernelInfo *> r;
    return r;
}
static std::mutex &registry_mutex() {
    static std::mutex m;
    return m;
}
static bool registry_sorted = false;

void register_kernel(const KernelInfo *k) {
    std::lock_guard<std::mutex> g(registry_mutex());
    registry().push_back(k);
    registry_sorted = false;
}

const std::vector<const KernelInfo *> &kernels() {
    std::lock_guard<std::mutex> g(registry_mutex());
    if (!registry_sorted) {
        std::sort(registry().begin(), registry().end(),
                  [](const KernelInfo *a, const KernelInfo *b) { return strcmp(a->name, b->name) < 0; });
        registry_sorted = true;
    }
    return registry();
}

const KernelInfo *find_kernel(const char *name) {
    for (const KernelInfo *k : kernels())
        if (strcmp(k->name, name) == 0) return k;
    return nullptr;
}

// ---------------------------------------------------------------- fibers, blocks

enum FiberState : int { F_RUN = 0, F_SYNC, F_WARP, F_DONE };

struct Fiber {
    FiberHead head; // threadIdx: must stay first (cuda_sim.h reads it through the Tls pointer)
    int index = 0, warp = 0, lane = 0;
    int state = F_RUN;
    void *sp = nullptr;
    char *stack_lo = nullptr;
    size_t stack_size = 0;
    // the pending warp operation
    int op = 0, arg = 0, width = 32;
    unsigned mask = 0;
    unsigned long long value = 0, result = 0;
    // the pending __syncthreads_*
    int sync_op = -1, sync_pred = 0;
    // the last warp group this lane completed: its number in the warp and its lanes (racecheck)
    unsigned group_gen = 0, group_mask = 0;
    void *asan_fake = nullptr;
#ifdef LGSR_SIM_UCONTEXT
    ucontext_t uc;
#endif
};

struct Warp {
    unsigned exist = 0, live = 0, waiting = 0;
    unsigned gen = 0; // warp groups completed in this block (racecheck)
};

struct Worker;

#ifdef LGSR_SIM_RACECHECK
// The racecheck's record of one 4-byte word of shared memory. A stamp is (the worker's block
// serial << 32) | the block's barrier interval, so records of earlier blocks or intervals never match.
struct RaceWord {
    uint64_t wstamp = 0, rstamp = 0; // the interval of the last write, of the reads since it
    int wthread = 0;                 // the writer
    unsigned wgen = 0;               // its warp's completed groups when it wrote
    int rwarp = 0;                   // the readers' warp (-1: readers in more than one warp)
    int rthread = 0;                 // the first reader
    unsigned rlanes = 0, rgen = 0;   // the readers' lanes (one warp), the highest group count at a read
};
#endif

struct BlockRun {
    const KernelInfo *kernel = nullptr;
    void **params = nullptr;
    long long block_index = 0;
    int n = 0, live = 0;
    int sync_arrived = 0, sync_true = 0;
    unsigned epoch = 0; // __syncthreads released in this block: the barrier interval (racecheck)
    std::vector<int> sync_waiters;
    Warp warps[32];
    std::vector<int> runq; // ring of n + 1
    int head = 0, tail = 0;
    std::string error;
    Worker *worker = nullptr;

    void push(int i) {
        runq[tail] = i;
        tail = tail + 1 == (int) runq.size() ? 0 : tail + 1;
    }
    bool empty() const { return head == tail; }
    int pop() {
        const int i = runq[head];
        head = head + 1 == (int) runq.size() ? 0 : head + 1;
        return i;
    }
};

static const char *op_name(int op) {
    switch (op) {
    case WARP_SYNC: return "__syncwarp";
    case WARP_SHFL_IDX: return "__shfl_sync";
    case WARP_SHFL_UP: return "__shfl_up_sync";
    case WARP_SHFL_DOWN: return "__shfl_down_sync";
    case WARP_SHFL_XOR: return "__shfl_xor_sync";
    case WARP_BALLOT: return "__ballot_sync";
    case WARP_ANY: return "__any_sync";
    case WARP_ALL: return "__all_sync";
    default: return "warp operation";
    }
}

struct Worker {
    std::vector<Fiber> fibers;
    char *stacks = nullptr;
    size_t slots = 0, slot_bytes = 0, map_bytes = 0;
    void *sched_sp = nullptr;
#ifdef LGSR_SIM_UCONTEXT
    ucontext_t sched_uc;
#endif
    const void *sched_stack_lo = nullptr;
    size_t sched_stack_size = 0;
    void *sched_fake = nullptr;
    BlockRun block;
    // this thread's TLS block of the module that holds lgsr_sim_tls (static __shared__ storage)
    char *tls_lo = nullptr, *tls_hi = nullptr;
#ifdef LGSR_SIM_RACECHECK
    std::vector<struct RaceWord> race; // one per 4-byte word of the TLS block
    uint64_t race_serial = 0;          // blocks run by this worker
#endif

    Worker() {
        find_tls_block();
#ifdef LGSR_SIM_RACECHECK
        race_init();
#endif
        fibers.reserve(kMaxBlockThreads);
        if (getenv("LGSR_SIM_VERBOSE")) {
            if (tls_lo)
                fprintf(stderr, "lgsr-sim: worker TLS block %p..%p (%zu bytes: %lld dynamic shared, the rest static "
                                "__shared__ and the runtime's state)\n",
                        (void *) tls_lo, (void *) tls_hi, (size_t) (tls_hi - tls_lo), kMaxSharedBytes);
            else
                fprintf(stderr, "lgsr-sim: worker TLS block not found: static __shared__ is not NaN-filled\n");
        }
    }
    ~Worker() {
        if (stacks) munmap(stacks, map_bytes);
    }

#ifdef LGSR_SIM_RACECHECK
    void race_init();
#endif

    void find_tls_block() {
        struct Ctx {
            char *addr, *lo, *hi;
        } ctx{reinterpret_cast<char *>(&lgsr_sim_tls), nullptr, nullptr};
        dl_iterate_phdr(
            [](struct dl_phdr_info *info, size_t, void *data) -> int {
                Ctx *c = static_cast<Ctx *>(data);
                if (!info->dlpi_tls_data) return 0;
                for (int i = 0; i < info->dlpi_phnum; i++) {
                    if (info->dlpi_phdr[i].p_type != PT_TLS) continue;
                    char *lo = static_cast<char *>(info->dlpi_tls_data);
                    char *hi = lo + info->dlpi_phdr[i].p_memsz;
                    if (c->addr >= lo && c->addr < hi) {
                        c->lo = lo;
                        c->hi = hi;
                        return 1;
                    }
                }
                return 0;
            },
            &ctx);
        tls_lo = ctx.lo;
        tls_hi = ctx.hi;
    }

    bool ensure_stacks(int n) {
        if ((size_t) n <= slots) return true;
        size_t want = slots == 0 ? 32 : slots;
        while (want < (size_t) n) want *= 2;
        if (want > (size_t) kMaxBlockThreads) want = kMaxBlockThreads;
        const size_t page = (size_t) sysconf(_SC_PAGESIZE);
        const size_t stack = (size_t) stack_kb() * 1024;
        const size_t slot = page + (stack + page - 1) / page * page;
        void *p = mmap(nullptr, slot * want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                       0);
        if (p == MAP_FAILED) return false;
        if (stacks) munmap(stacks, map_bytes);
        stacks = static_cast<char *>(p);
        map_bytes = slot * want;
        slot_bytes = slot;
        slots = want;
        // a guard page below every stack (best effort: the map count may be limited)
        for (size_t i = 0; i < want; i++) mprotect(stacks + i * slot, page, PROT_NONE);
        return true;
    }
};

static inline Worker *worker() { return static_cast<Worker *>(lgsr_sim_tls.worker); }

// ---- switching

static void asan_start(void **fake, const void *bottom, size_t size) {
#ifdef LGSR_SIM_ASAN
    __sanitizer_start_switch_fiber(fake, bottom, size);
#else
    (void) fake, (void) bottom, (void) size;
#endif
}
static void asan_finish(void *fake, const void **bottom, size_t *size) {
#ifdef LGSR_SIM_ASAN
    __sanitizer_finish_switch_fiber(fake, bottom, size);
#else
    (void) fake, (void) bottom, (void) size;
#endif
}

// fiber -> scheduler
static void yield(Fiber *f) {
    Worker *w = worker();
    asan_start(&f->asan_fake, w->sched_stack_lo, w->sched_stack_size);
#ifdef LGSR_SIM_UCONTEXT
    swapcontext(&f->uc, &w->sched_uc);
#else
    lgsr_sim_switch(&f->sp, w->sched_sp);
#endif
    asan_finish(f->asan_fake, nullptr, nullptr);
}

// scheduler -> fiber
static void resume(Worker *w, Fiber *f) {
    lgsr_sim_tls.fiber = f;
    asan_start(&w->sched_fake, f->stack_lo, f->stack_size);
#ifdef LGSR_SIM_UCONTEXT
    swapcontext(&w->sched_uc, &f->uc);
#else
    lgsr_sim_switch(&w->sched_sp, f->sp);
#endif
    asan_finish(w->sched_fake, nullptr, nullptr);
    lgsr_sim_tls.fiber = nullptr;
}

static void fail(BlockRun *b, const std::string &what) {
    if (b->error.empty()) b->error = what;
}

static std::string thread_name(const Fiber *f) {
    char s[64];
    snprintf(s, sizeof s, "thread %d (warp %d lane %d)", f->index, f->warp, f->lane);
    return s;
}

// ---- racecheck (LGSR_SIM_RACECHECK builds; native/sim/README.md)
//
// The kernels are compiled with -fsanitize=thread but linked without ThreadSanitizer's runtime:
// its instrumentation calls the __tsan_* hooks below on every load and store, and they check
// the accesses that fall in shared memory (the worker's TLS block, less the runtime's own
// lgsr_sim_tls). Two accesses to one word by different threads, at least one a write, in the
// same barrier interval (no __syncthreads released between them) are a hazard, unless the
// threads are lanes of one warp and the later one has since completed a warp operation
// (__syncwarp, a shuffle, a vote) whose group held the earlier one. The first hazard is the
// block's error, which names the kernel, the block, both threads and the word. Atomics are
// carried out and not checked.
#ifdef LGSR_SIM_RACECHECK
void Worker::race_init() {
    if (tls_lo) race.resize((size_t) (tls_hi - tls_lo + 3) / 4);
    else fprintf(stderr, "lgsr-sim: racecheck: the worker's TLS block was not found: shared memory is not checked\n");
}

static std::string race_word_name(const Worker *w, size_t word) {
    const char *a = w->tls_lo + word * 4;
    const char *dyn = reinterpret_cast<const char *>(lgsr_sim_dyn_smem);
    char s[96];
    if (a >= dyn && a < dyn + kMaxSharedBytes)
        snprintf(s, sizeof s, "dynamic shared memory at byte %lld", (long long) (a - dyn));
    else
        snprintf(s, sizeof s, "static __shared__ storage at byte %lld of the TLS block", (long long) (a - w->tls_lo));
    return s;
}

// the access of thread `t` now follows that of lane `lane` of t's warp made when the warp had
// completed `gen` groups: t's last group came later and held that lane
static inline bool race_warp_ordered(const Fiber *t, int lane, unsigned gen) {
    return t->group_gen > gen && (t->group_mask >> lane & 1u);
}

static void race_report(BlockRun *b, const Fiber *t, const char *verb, const std::string &earlier,
                        const std::string &word, const char *hazard) {
    fail(b, "racecheck: " + thread_name(t) + " " + verb + " " + word + ", which " + earlier +
                " with no __syncthreads between (a " + hazard + " hazard in barrier interval " +
                std::to_string(b->epoch) + ")");
}

static void race_access(const void *p, size_t n, bool write) {
    Fiber *t = lgsr_sim_tls.fiber;
    if (!t || n == 0) return;
    Worker *w = worker();
    const char *a = static_cast<const char *>(p);
    if (w->race.empty() || a >= w->tls_hi || a + n <= w->tls_lo) return;
    const char *own = reinterpret_cast<const char *>(&lgsr_sim_tls);
    if (a < own + sizeof(Tls) && a + n > own) return; // the runtime's state, not shared memory
    BlockRun *b = &w->block;
    if (!b->error.empty()) return;
    const uint64_t stamp = (w->race_serial << 32) | b->epoch;
    const unsigned gen = b->warps[t->warp].gen;
    const size_t lo = (size_t) (std::max(a, (const char *) w->tls_lo) - w->tls_lo) / 4;
    const size_t hi = std::min((size_t) (a + n - 1 - w->tls_lo) / 4, w->race.size() - 1);
    const Fiber *fibers = w->fibers.data();
    for (size_t i = lo; i <= hi; i++) {
        RaceWord &r = w->race[i];
        if (r.wstamp == stamp && r.wthread != t->index) {
            const Fiber &u = fibers[r.wthread];
            if (u.warp != t->warp || !race_warp_ordered(t, u.lane, r.wgen)) {
                race_report(b, t, write ? "writes" : "reads", thread_name(&u) + " wrote", race_word_name(w, i),
                            write ? "write-after-write" : "read-after-write");
                return;
            }
        }
        if (write) {
            if (r.rstamp == stamp) {
                const unsigned others = r.rwarp == t->warp ? r.rlanes & ~(1u << t->lane) : ~0u;
                const bool ordered = others == 0 ||
                                     (r.rwarp == t->warp && t->group_gen > r.rgen && (t->group_mask & others) == others);
                if (!ordered) {
                    const std::string who = r.rthread != t->index ? thread_name(&fibers[r.rthread]) + " read"
                                                                  : std::string("other threads read");
                    race_report(b, t, "writes", who, race_word_name(w, i), "write-after-read");
                    return;
                }
            }
            r.wstamp = stamp;
            r.wthread = t->index;
            r.wgen = gen;
            r.rstamp = 0;
        } else if (r.rstamp != stamp) {
            r.rstamp = stamp;
            r.rwarp = t->warp;
            r.rthread = t->index;
            r.rlanes = 1u << t->lane;
            r.rgen = gen;
        } else {
            if (r.rwarp != t->warp) r.rwarp = -1;
            r.rlanes |= 1u << t->lane;
            r.rgen = std::max(r.rgen, gen);
        }
    }
}
#endif

// ---- __syncthreads

static void release_sync(BlockRun *b) {
    const int arrived = b->sync_arrived, nt = b->sync_true;
    for (int i : b->sync_waiters) {
        Fiber &g = b->worker->fibers[i];
        switch (g.sync_op) {
        case 0: g.sync_pred = nt; break;
        case 1: g.sync_pred = nt == arrived; break;
        case 2: g.sync_pred = nt > 0; break;
        default: break;
        }
        g.state = F_RUN;
        b->push(i);
    }
    b->sync_waiters.clear();
    b->sync_arrived = 0;
    b->sync_true = 0;
    b->epoch++;
}

static int sync_common(int op, int pred) {
    Fiber *f = lgsr_sim_tls.fiber;
    BlockRun *b = lgsr_sim_tls.block;
    f->state = F_SYNC;
    f->sync_op = op;
    b->sync_waiters.push_back(f->index);
    b->sync_arrived++;
    if (pred) b->sync_true++;
    if (b->sync_arrived == b->live) release_sync(b);
    yield(f);
    return f->sync_pred;
}

void syncthreads() { sync_common(-1, 0); }
int syncthreads_reduce(int op, int pred) { return sync_common(op, pred); }

// ---- warp operations

// The lane a shuffle of lane `lane` reads (CUDA's rules for width); lane itself when it keeps its value.
static int shuffle_source(const Fiber &g) {
    const int lane = g.lane, w = g.width, seg = lane & ~(w - 1);
    switch (g.op) {
    case WARP_SHFL_IDX: return seg + (g.arg & (w - 1));
    case WARP_SHFL_UP: return (lane - seg) - g.arg < 0 ? lane : lane - g.arg;
    case WARP_SHFL_DOWN: return (lane - seg) + g.arg >= w ? lane : lane + g.arg;
    case WARP_SHFL_XOR: {
        const int s = lane ^ g.arg;
        return s >= seg + w ? lane : s; // later groups: own value (earlier ones are readable)
    }
    default: return lane;
    }
}

static const char *lane_absence(const Warp &wp, int lane) {
    const unsigned bit = 1u << lane;
    if (!(wp.exist & bit)) return "does not exist (blockDim.x ends before it)";
    if (!(wp.live & bit)) return "has exited";
    return "is not in the mask";
}

// Completes group `g` (every lane in it waits in a warp operation with the same mask): forms
// every lane's result and makes the lanes runnable. Returns false (with the block's error set)
// when the group is inconsistent or a lane reads from outside it.
static bool complete_group(BlockRun *b, int wi, unsigned g) {
    Worker *w = b->worker;
    Warp &wp = b->warps[wi];
    Fiber *base = &w->fibers[wi * 32];
    const int first = __builtin_ctz(g);
    const int op = base[first].op;
    unsigned ballot = 0;
    for (unsigned m = g; m; m &= m - 1) {
        const Fiber &l = base[__builtin_ctz(m)];
        if (l.op != op) {
            fail(b, "warp " + std::to_string(wi) + ": lanes of one mask (0x" + [&] {
                     char s[16];
                     snprintf(s, sizeof s, "%08x", l.mask);
                     return std::string(s);
                 }() + ") wait in different warp operations (" + op_name(op) + " and " + op_name(l.op) + ")");
            return false;
        }
        if (l.value) ballot |= 1u << l.lane;
    }
    for (unsigned m = g; m; m &= m - 1) {
        Fiber &l = base[__builtin_ctz(m)];
        switch (op) {
        case WARP_SYNC: l.result = 0; break;
        case WARP_BALLOT: l.result = ballot; break;
        case WARP_ANY: l.result = ballot != 0; break;
        case WARP_ALL: l.result = ballot == g; break;
        default: {
            const int s = shuffle_source(l);
            if (s == l.lane) {
                l.result = l.value;
            } else if (!(g & (1u << s))) {
                char mask[16];
                snprintf(mask, sizeof mask, "%08x", l.mask);
                fail(b, std::string(op_name(op)) + " (mask 0x" + mask + ") in " + thread_name(&l) + " reads lane " +
                            std::to_string(s) + ", which " + lane_absence(wp, s));
                return false;
            } else {
                l.result = base[s].value;
            }
        }
        }
    }
    wp.gen++;
    for (unsigned m = g; m; m &= m - 1) {
        Fiber &l = base[__builtin_ctz(m)];
        l.state = F_RUN;
        l.group_gen = wp.gen;
        l.group_mask = g;
        b->push(l.index);
    }
    wp.waiting &= ~g;
    return true;
}

// The group of lane `lane`'s pending operation, when it can complete now (every live lane of
// its mask waits with the same mask); 0 otherwise.
static unsigned ready_group(BlockRun *b, int wi, int lane) {
    Warp &wp = b->warps[wi];
    const Fiber *base = &b->worker->fibers[wi * 32];
    const unsigned mask = base[lane].mask;
    const unsigned g = mask & wp.live;
    if ((wp.waiting & g) != g) return 0;
    for (unsigned m = g; m; m &= m - 1)
        if (base[__builtin_ctz(m)].mask != mask) return 0;
    return g;
}

// Completes every group of warp wi that can complete (after an exit or an inconsistent arrival).
static void progress_warp(BlockRun *b, int wi) {
    Warp &wp = b->warps[wi];
    bool again = true;
    while (again && b->error.empty()) {
        again = false;
        for (unsigned m = wp.waiting; m; m &= m - 1) {
            const unsigned g = ready_group(b, wi, __builtin_ctz(m));
            if (g) {
                if (!complete_group(b, wi, g)) return;
                again = true;
                break;
            }
        }
    }
}

unsigned long long warp_op(int op, unsigned mask, unsigned long long bits, int arg, int width) {
    Fiber *f = lgsr_sim_tls.fiber;
    BlockRun *b = lgsr_sim_tls.block;
    Warp &wp = b->warps[f->warp];
    f->op = op;
    f->mask = mask;
    f->value = bits;
    f->arg = arg;
    f->width = width;
    f->state = F_WARP;
    wp.waiting |= 1u << f->lane;
    if (!(mask & (1u << f->lane))) {
        char s[16];
        snprintf(s, sizeof s, "%08x", mask);
        fail(b, std::string(op_name(op)) + " in " + thread_name(f) + " with mask 0x" + s + ", which leaves the lane out");
    } else if (width < 1 || width > 32 || (width & (width - 1))) {
        fail(b, std::string(op_name(op)) + " in " + thread_name(f) + " with width " + std::to_string(width) +
                    " (a power of 2 up to 32)");
    } else {
        const unsigned g = ready_group(b, f->warp, f->lane);
        if (g) {
            complete_group(b, f->warp, g);
        } else if ((wp.waiting & (mask & wp.live)) == (mask & wp.live)) {
            progress_warp(b, f->warp); // all there, masks differ: another group may be complete
        }
    }
    yield(f);
    return f->result;
}

unsigned activemask() {
    const Fiber *f = lgsr_sim_tls.fiber;
    return lgsr_sim_tls.block->warps[f->warp].live;
}

// ---- a fiber's life

static void fiber_exit(Fiber *f) {
    BlockRun *b = lgsr_sim_tls.block;
    Worker *w = b->worker;
    f->state = F_DONE;
    b->live--;
    Warp &wp = b->warps[f->warp];
    wp.live &= ~(1u << f->lane);
    if (b->sync_arrived > 0 && b->sync_arrived == b->live) release_sync(b);
    if (wp.waiting) progress_warp(b, f->warp);
    asan_start(nullptr, w->sched_stack_lo, w->sched_stack_size); // this stack is done
#ifdef LGSR_SIM_UCONTEXT
    setcontext(&w->sched_uc);
#else
    void *dead;
    lgsr_sim_switch(&dead, w->sched_sp);
#endif
    abort(); // never resumed
}

static void fiber_main(Fiber *f) {
    Worker *w = worker();
    const void *lo = nullptr;
    size_t size = 0;
    asan_finish(nullptr, &lo, &size);
    if (lo) {
        w->sched_stack_lo = lo;
        w->sched_stack_size = size;
    }
    BlockRun *b = lgsr_sim_tls.block;
    b->kernel->trampoline(b->params);
    fiber_exit(f);
}

#ifdef LGSR_SIM_UCONTEXT
static void fiber_main_uc(unsigned hi, unsigned lo) {
    fiber_main(reinterpret_cast<Fiber *>(((uintptr_t) hi << 32) | (uintptr_t) lo));
}
#endif

static void init_fiber(Worker *w, Fiber *f, int i) {
    f->index = i;
    f->warp = i >> 5;
    f->lane = i & 31;
    f->head.thread_idx = make_uint3((unsigned) i, 0, 0);
    f->state = F_RUN;
    f->sync_op = -1;
    f->group_gen = 0;
    f->group_mask = 0;
    f->asan_fake = nullptr;
    f->stack_lo = w->stacks + (size_t) i * w->slot_bytes + (size_t) sysconf(_SC_PAGESIZE);
    f->stack_size = w->slot_bytes - (size_t) sysconf(_SC_PAGESIZE);
#ifdef LGSR_SIM_ASAN
    __asan_unpoison_memory_region(f->stack_lo, f->stack_size); // frames abandoned by an aborted block
#endif
#ifdef LGSR_SIM_UCONTEXT
    getcontext(&f->uc);
    f->uc.uc_stack.ss_sp = f->stack_lo;
    f->uc.uc_stack.ss_size = f->stack_size;
    f->uc.uc_link = nullptr;
    const uintptr_t p = reinterpret_cast<uintptr_t>(f);
    makecontext(&f->uc, reinterpret_cast<void (*)()>(fiber_main_uc), 2, (unsigned) (p >> 32), (unsigned) p);
#else
    char *top = f->stack_lo + f->stack_size; // page aligned
    uint64_t *sp = reinterpret_cast<uint64_t *>(top - 64);
    uint32_t mxcsr;
    uint16_t fpucw;
    asm volatile("stmxcsr %0" : "=m"(mxcsr));
    asm volatile("fnstcw %0" : "=m"(fpucw));
    sp[0] = (uint64_t) mxcsr | ((uint64_t) fpucw << 32);
    sp[1] = 0;                                                  // r15
    sp[2] = 0;                                                  // r14
    sp[3] = reinterpret_cast<uint64_t>(&fiber_main);            // r13: the function
    sp[4] = reinterpret_cast<uint64_t>(f);                      // r12: its argument
    sp[5] = 0;                                                  // rbx
    sp[6] = 0;                                                  // rbp
    sp[7] = reinterpret_cast<uint64_t>(&lgsr_sim_fiber_entry);  // return address
    f->sp = sp;
#endif
}

// NaN (0x7fc00000 in every aligned word) over [p, e)
static void fill_nan(char *p, char *e) {
    static const unsigned char pat[4] = {0x00, 0x00, 0xc0, 0x7f};
    while (p < e && (reinterpret_cast<uintptr_t>(p) & 7)) {
        *p = (char) pat[reinterpret_cast<uintptr_t>(p) & 3];
        p++;
    }
    const uint64_t w = 0x7fc000007fc00000ull;
    for (; p + 8 <= e; p += 8) memcpy(p, &w, 8);
    for (; p < e; p++) *p = (char) pat[reinterpret_cast<uintptr_t>(p) & 3];
}

static void fill_shared(Worker *w, long long shared_bytes) {
    char *dyn = reinterpret_cast<char *>(lgsr_sim_dyn_smem);
    const Tls saved = lgsr_sim_tls;
    if (w->tls_lo) {
        char *dyn_end = dyn + kMaxSharedBytes;
        if (dyn >= w->tls_lo && dyn_end <= w->tls_hi) {
            fill_nan(w->tls_lo, dyn);
            fill_nan(dyn_end, w->tls_hi);
        }
    }
#ifdef LGSR_SIM_ASAN
    // reads or writes past the launch's dynamic shared memory are reported
    __asan_unpoison_memory_region(dyn, kMaxSharedBytes);
    __asan_poison_memory_region(dyn + shared_bytes, kMaxSharedBytes - shared_bytes);
#endif
    fill_nan(dyn, dyn + shared_bytes);
    lgsr_sim_tls = saved;
}

static std::string deadlock_message(BlockRun *b) {
    int at_sync = 0, at_warp = 0;
    std::string warps;
    for (int wi = 0; wi * 32 < b->n; wi++) {
        const Warp &wp = b->warps[wi];
        at_warp += __builtin_popcount(wp.waiting);
        if (wp.waiting && warps.size() < 200) {
            const Fiber &l = b->worker->fibers[wi * 32 + __builtin_ctz(wp.waiting)];
            char s[160];
            snprintf(s, sizeof s, "; warp %d: lanes 0x%08x wait in %s (mask 0x%08x), live lanes 0x%08x", wi, wp.waiting,
                     op_name(l.op), l.mask, wp.live);
            warps += s;
        }
    }
    at_sync = b->sync_arrived;
    return "deadlock: " + std::to_string(b->live) + " live threads, " + std::to_string(at_sync) +
           " wait at __syncthreads, " + std::to_string(at_warp) + " in warp operations" + warps;
}

static std::string run_block(Worker *w, const KernelInfo *k, void **params, long long grid, int n,
                             long long shared_bytes, long long bidx) {
    if (!w->ensure_stacks(n)) return "cannot map fiber stacks for " + std::to_string(n) + " threads";
    fill_shared(w, shared_bytes);
    BlockRun &b = w->block;
    b.kernel = k;
    b.params = params;
    b.block_index = bidx;
    b.n = n;
    b.live = n;
    b.sync_arrived = 0;
    b.sync_true = 0;
    b.epoch = 0;
    b.sync_waiters.clear();
#ifdef LGSR_SIM_RACECHECK
    w->race_serial++;
#endif
    b.error.clear();
    b.worker = w;
    b.runq.assign(n + 1, 0);
    b.head = b.tail = 0;
    for (int wi = 0; wi < 32; wi++) {
        const int lanes = std::max(0, std::min(32, n - 32 * wi));
        b.warps[wi].exist = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;
        b.warps[wi].live = b.warps[wi].exist;
        b.warps[wi].waiting = 0;
        b.warps[wi].gen = 0;
    }
    if ((int) w->fibers.size() < n) w->fibers.resize(n);
    for (int i = 0; i < n; i++) {
        init_fiber(w, &w->fibers[i], i);
        b.push(i);
    }
    lgsr_sim_tls.block = &b;
    lgsr_sim_tls.block_idx = make_uint3((unsigned) bidx, 0, 0);
    lgsr_sim_tls.block_dim = dim3((unsigned) n, 1, 1);
    lgsr_sim_tls.grid_dim = dim3((unsigned) grid, 1, 1);
    for (;;) {
        if (!b.error.empty()) break;
        if (b.empty()) {
            if (b.live > 0) b.error = deadlock_message(&b);
            break;
        }
        resume(w, &w->fibers[b.pop()]);
    }
    lgsr_sim_tls.block = nullptr;
    if (b.error.empty()) return "";
    return "block " + std::to_string(bidx) + ": " + b.error;
}

// ---------------------------------------------------------------- the pool

class Pool {
  public:
    // fn(participant) on `count` workers; returns when every one has returned
    void run(int count, const std::function<void(int)> &fn) {
        std::lock_guard<std::mutex> serial(run_mutex_);
        std::unique_lock<std::mutex> l(m_);
        while ((int) threads_.size() < count) {
            const int index = (int) threads_.size();
            sigset_t all, old;
            sigfillset(&all);
            for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT}) sigdelset(&all, s);
            pthread_sigmask(SIG_BLOCK, &all, &old); // asynchronous signals stay with the JVM's threads
            threads_.emplace_back([this, index] { loop(index); });
            pthread_sigmask(SIG_SETMASK, &old, nullptr);
            threads_.back().detach();
        }
        job_ = &fn;
        participants_ = count;
        finished_ = 0;
        generation_++;
        cv_.notify_all();
        done_.wait(l, [&] { return finished_ == participants_; });
        job_ = nullptr;
    }

  private:
    void loop(int index) {
        std::unique_lock<std::mutex> l(m_);
        unsigned long long seen = 0;
        for (;;) {
            cv_.wait(l, [&] { return generation_ != seen; });
            seen = generation_;
            if (index >= participants_) continue;
            const std::function<void(int)> *job = job_;
            l.unlock();
            (*job)(index);
            l.lock();
            if (++finished_ == participants_) done_.notify_all();
        }
    }

    std::mutex run_mutex_, m_;
    std::condition_variable cv_, done_;
    std::vector<std::thread> threads_;
    const std::function<void(int)> *job_ = nullptr;
    int participants_ = 0, finished_ = 0;
    unsigned long long generation_ = 0;
};

static Pool &pool() {
    static Pool *p = new Pool(); // never destroyed: its threads outlive static destruction
    return *p;
}

static int worker_count(int threads, long long tasks) {
    long long n = threads > 0 ? threads : (long long) std::max(1u, std::thread::hardware_concurrency());
    n = std::min(n, tasks);
    n = std::min(n, 256LL);
    return (int) std::max(1LL, n);
}

void parallel_for(long long tasks, int threads, const std::function<void(long long)> &fn) {
    if (tasks <= 0) return;
    std::atomic<long long> next{0};
    pool().run(worker_count(threads, tasks), [&](int) {
        for (long long t; (t = next.fetch_add(1)) < tasks;) fn(t);
    });
}

std::string launch(const KernelInfo *k, long long grid_x, long long block_x, long long shared_bytes,
                   const uint64_t *args, long long nargs, int threads) {
    if (!k) return "launch of no kernel (a null function handle)";
    const std::string name = std::string("kernel ") + k->name + ": ";
    if (block_x < 1 || block_x > kMaxBlockThreads)
        return name + "blockDim.x " + std::to_string(block_x) + " outside [1, 1024]";
    if (k->max_threads > 0 && block_x > k->max_threads)
        return name + "blockDim.x " + std::to_string(block_x) + " exceeds its __launch_bounds__ (" +
               std::to_string(k->max_threads) + ")";
    if (grid_x < 1 || grid_x > 0x7fffffffLL) return name + "gridDim.x " + std::to_string(grid_x) + " outside [1, 2^31-1]";
    if (shared_bytes < 0 || shared_bytes > kMaxSharedBytes)
        return name + "dynamic shared memory " + std::to_string(shared_bytes) + " bytes outside [0, 232448] (227 KB)";
    const long long params = (long long) strlen(k->signature);
    if (nargs != params)
        return name + "takes " + std::to_string(params) + " arguments (" + k->signature + "), got " +
               std::to_string(nargs);
    if (strchr(k->signature, '?'))
        return name + "has a parameter type the simulator cannot pass (" + k->signature + ")";
    std::vector<uint64_t> values(args, args + nargs);
    std::vector<void *> ptrs(nargs);
    for (long long i = 0; i < nargs; i++) ptrs[i] = &values[i];
    void **pv = ptrs.data();

    std::atomic<long long> next{0};
    std::atomic<bool> failed{false};
    std::mutex em;
    std::string error;
    pool().run(worker_count(threads, grid_x), [&](int) {
        Worker *w = worker();
        if (!w) {
            w = new Worker(); // one per pool thread, for the thread's lifetime
            lgsr_sim_tls.worker = w;
        }
        for (long long b; !failed.load(std::memory_order_relaxed) && (b = next.fetch_add(1)) < grid_x;) {
            std::string e = run_block(w, k, pv, grid_x, (int) block_x, shared_bytes, b);
            if (!e.empty()) {
                std::lock_guard<std::mutex> g(em);
                if (error.empty()) error = name + e;
                failed = true;
            }
        }
    });
    return error;
}

// ---------------------------------------------------------------- memory

void *device_alloc(long long bytes) {
    if (bytes < 0) return nullptr;
    // the exact size: under ASan, an access past the end of an allocation is reported
    void *p = nullptr;
    if (posix_memalign(&p, 256, bytes > 0 ? (size_t) bytes : 1) != 0) return nullptr;
    memset(p, 0xff, bytes > 0 ? (size_t) bytes : 1);
    return p;
}

void device_free(void *p) { free(p); }

} // namespace lgsr_sim

namespace lgsr_sim {
bool racecheck() {
#ifdef LGSR_SIM_RACECHECK
    return true;
#else
    return false;
#endif
}
} // namespace lgsr_sim

#ifdef LGSR_SIM_RACECHECK
// ---------------------------------------------------------------- the hooks of -fsanitize=thread
// (hidden: they serve this library's kernels only and never interpose on a real ThreadSanitizer)
#define LGSR_HOOK extern "C" __attribute__((visibility("hidden")))
#define LGSR_RACE_RW(N)                                                                             \
    LGSR_HOOK void __tsan_read##N(void *p) { lgsr_sim::race_access(p, N, false); }                  \
    LGSR_HOOK void __tsan_write##N(void *p) { lgsr_sim::race_access(p, N, true); }                  \
    LGSR_HOOK void __tsan_unaligned_read##N(void *p) { lgsr_sim::race_access(p, N, false); }        \
    LGSR_HOOK void __tsan_unaligned_write##N(void *p) { lgsr_sim::race_access(p, N, true); }        \
    LGSR_HOOK void __tsan_volatile_read##N(void *p) { lgsr_sim::race_access(p, N, false); }         \
    LGSR_HOOK void __tsan_volatile_write##N(void *p) { lgsr_sim::race_access(p, N, true); }         \
    LGSR_HOOK void __tsan_unaligned_volatile_read##N(void *p) { lgsr_sim::race_access(p, N, false); } \
    LGSR_HOOK void __tsan_unaligned_volatile_write##N(void *p) { lgsr_sim::race_access(p, N, true); }
LGSR_RACE_RW(1)
LGSR_RACE_RW(2)
LGSR_RACE_RW(4)
LGSR_RACE_RW(8)
LGSR_RACE_RW(16)
#undef LGSR_RACE_RW
LGSR_HOOK void __tsan_read_range(void *p, unsigned long n) { lgsr_sim::race_access(p, n, false); }
LGSR_HOOK void __tsan_write_range(void *p, unsigned long n) { lgsr_sim::race_access(p, n, true); }
LGSR_HOOK void __tsan_init() {}
LGSR_HOOK void __tsan_func_entry(void *) {}
LGSR_HOOK void __tsan_func_exit() {}
LGSR_HOOK void __tsan_vptr_update(void **p, void *) { lgsr_sim::race_access(p, sizeof(void *), true); }
LGSR_HOOK void __tsan_vptr_read(void **p) { lgsr_sim::race_access(p, sizeof(void *), false); }
LGSR_HOOK void __tsan_atomic_thread_fence(int) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
LGSR_HOOK void __tsan_atomic_signal_fence(int) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }
// atomics: carried out (sequentially consistent, whatever order was asked), not checked
#define LGSR_RACE_ATOMIC(N, T)                                                                                  \
    LGSR_HOOK T __tsan_atomic##N##_load(const volatile T *a, int) { return __atomic_load_n(a, __ATOMIC_SEQ_CST); } \
    LGSR_HOOK void __tsan_atomic##N##_store(volatile T *a, T v, int) { __atomic_store_n(a, v, __ATOMIC_SEQ_CST); } \
    LGSR_HOOK T __tsan_atomic##N##_exchange(volatile T *a, T v, int) {                                          \
        return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);                                                     \
    }                                                                                                           \
    LGSR_HOOK T __tsan_atomic##N##_fetch_add(volatile T *a, T v, int) { return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST); } \
    LGSR_HOOK T __tsan_atomic##N##_fetch_sub(volatile T *a, T v, int) { return __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST); } \
    LGSR_HOOK T __tsan_atomic##N##_fetch_and(volatile T *a, T v, int) { return __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST); } \
    LGSR_HOOK T __tsan_atomic##N##_fetch_or(volatile T *a, T v, int) { return __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST); }   \
    LGSR_HOOK T __tsan_atomic##N##_fetch_xor(volatile T *a, T v, int) { return __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST); } \
    LGSR_HOOK T __tsan_atomic##N##_fetch_nand(volatile T *a, T v, int) {                                        \
        return __atomic_fetch_nand(a, v, __ATOMIC_SEQ_CST);                                                     \
    }                                                                                                           \
    LGSR_HOOK int __tsan_atomic##N##_compare_exchange_strong(volatile T *a, T *c, T v, int, int) {              \
        return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                 \
    }                                                                                                           \
    LGSR_HOOK int __tsan_atomic##N##_compare_exchange_weak(volatile T *a, T *c, T v, int, int) {                \
        return __atomic_compare_exchange_n(a, c, v, true, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                  \
    }                                                                                                           \
    LGSR_HOOK T __tsan_atomic##N##_compare_exchange_val(volatile T *a, T c, T v, int, int) {                    \
        __atomic_compare_exchange_n(a, &c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                       \
        return c;                                                                                               \
    }
LGSR_RACE_ATOMIC(8, signed char)
LGSR_RACE_ATOMIC(16, short)
LGSR_RACE_ATOMIC(32, int)
LGSR_RACE_ATOMIC(64, long long)
#undef LGSR_RACE_ATOMIC
#undef LGSR_HOOK
#endif
