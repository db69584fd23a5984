/*
 * cuda_emulator.h — runs the project's CUDA kernels on the CPU, for tests on machines without a
 * GPU: each thread block runs as blockDim.x threads of execution that meet at every
 * __syncthreads() (fibers by default, OS threads with EMU_OS_THREADS; see below); blocks run one
 * after another, so one static buffer serves as the block's shared memory (static __shared__
 * arrays become function-static arrays). It emulates only what the project's kernels use.
 * Correctness only: no timing means anything.
 */
#pragma once
#include <atomic>
#include <barrier>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>
#include <algorithm>

using std::max;
using std::min;

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __constant__
#define __launch_bounds__(...)

struct EmuDim { unsigned x = 0, y = 0, z = 0; };
inline EmuDim blockIdx;
inline EmuDim blockDim;
inline thread_local EmuDim threadIdx;
alignas(64) inline unsigned char emu_shared_memory[64u << 20];

#define DYNAMIC_SHARED(type, name) type *name = reinterpret_cast<type *>(emu_shared_memory)

inline long long __double_as_longlong(double d) {
    long long l;
    std::memcpy(&l, &d, sizeof l);
    return l;
}

inline double __longlong_as_double(long long l) {
    double d;
    std::memcpy(&d, &l, sizeof d);
    return d;
}

/* rcp.approx.ftz.f64 (MUFU.RCP64H, from the high word: about 20 good bits); here deliberately
   far coarser (off by 2^-14 relative), so the accuracy tests show the Newton step and the
   quotient's correction after it make the result with bits to spare (2^-14 -> 2^-28 -> 2^-56). */
inline double rcp_approx(double b) {
    return (double)(float)(1.0 / b) * (1.0 + 0x1p-14);
}

inline int atomicMin(int *address, int value) {
    std::atomic_ref<int> a(*address);
    int old = a.load();
    while (value < old && !a.compare_exchange_weak(old, value)) {
    }
    return old;
}

/* The launch's dynamic shared memory in bytes, where the caller knows it (the stand-in driver
   does): a block that writes past it (into the first MiB, which every block starts as 0xff
   bytes) stops the emulator, as on a GPU it would fault or overwrite another block's memory. */
inline size_t emu_dynamic_shared_bytes = (size_t)-1;

inline void emu_check_shared(unsigned blk) {
    static const size_t CHECKED = 1u << 20;
    if (emu_dynamic_shared_bytes >= CHECKED) return;
    static const std::vector<unsigned char> garbage(CHECKED, 0xff);
    const size_t from = emu_dynamic_shared_bytes;
    if (std::memcmp(emu_shared_memory + from, garbage.data(), CHECKED - from) != 0) {
        size_t q = from;
        while (emu_shared_memory[q] == 0xff) q++;
        fprintf(stderr, "emulator: block %u wrote shared memory at byte %zu, past the launch's %zu bytes of dynamic shared memory\n",
                blk, q, from);
        abort();
    }
}

/* Called with the block index before and after each block runs, where set (tests that check
   what a block may touch; blocks run one after another, so a block writing into another's
   global scratch, a race on a GPU, would otherwise go unseen). */
inline std::function<void(unsigned)> emu_before_block, emu_after_block;

#ifdef EMU_OS_THREADS
/*
 * Each GPU thread of a block is an OS thread; they meet at a std::barrier for every
 * __syncthreads(). Slow (a barrier of hundreds of threads on few cores costs a context switch a
 * thread), but what the sanitizers understand; the emulators use it when built with them.
 */
inline std::barrier<> *emu_barrier = nullptr;

inline void __syncthreads() { emu_barrier->arrive_and_wait(); }

inline void emu_launch(unsigned grid, unsigned block, const std::function<void()> &kernel) {
    if (grid == 0 || block == 0) return;
    blockDim.x = block;
    std::barrier<> sync(block), between(block);
    emu_barrier = &sync;
    auto body = [&](unsigned t) {
        threadIdx.x = t;
        for (unsigned b = 0; b < grid; b++) {
            if (t == 0) {
                blockIdx.x = b;
                std::memset(emu_shared_memory, 0xff, 1u << 20);   /* garbage, as on a GPU */
                if (emu_before_block) emu_before_block(b);
            }
            between.arrive_and_wait();
            kernel();
            between.arrive_and_wait();   /* a thread that left early while others sync deadlocks here */
            if (t == 0) emu_check_shared(b);
            if (t == 0 && emu_after_block) emu_after_block(b);
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < block; t++) threads.emplace_back(body, t);
    body(0);
    for (auto &th : threads) th.join();
}
#else
/*
 * Each GPU thread of a block is a fiber (ucontext) on the launching OS thread. A phase resumes
 * every fiber in turn until it reaches __syncthreads() or returns; the order alternates between
 * phases (0..n-1, then n-1..0), so a thread that reads in the same phase what another writes
 * sees it written in one phase or the other and a missing barrier shows. A barrier reached by
 * some threads after others returned is undefined on a GPU: the emulator stops with a message.
 * The environment variable EMU_SCHEDULE picks other orders, for tests that run one launch under
 * several and require the same bytes out (a race between threads of a phase, or between blocks,
 * makes the output depend on the order): "reverse" starts the alternation at n-1..0, and
 * "shuffle=SEED" runs the blocks and, in every phase, the threads in pseudo-random orders.
 *
 * On x86-64 a fiber switch is a few instructions of our own (emu_switch: the callee-saved
 * registers, MXCSR and the x87 control word pushed on one stack, the other stack's popped):
 * glibc's swapcontext also saves and restores the signal mask, a system call each way, which
 * took three quarters of the emulated tests' time. Elsewhere, or with EMU_UCONTEXT, the fibers
 * are ucontexts (also the build for a process with CET shadow stacks enforced, which the
 * return into a new fiber's hand-laid frame would break; glibc leaves them off by default).
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <ucontext.h>

/* The order EMU_SCHEDULE asks for (read once): 0 alternating, 1 alternating reversed, 2 shuffled. */
struct EmuSchedule {
    int kind = 0;
    unsigned long seed = 0;
};

inline const EmuSchedule &emu_schedule() {
    static const EmuSchedule schedule = [] {
        EmuSchedule s;
        const char *e = std::getenv("EMU_SCHEDULE");
        const std::string v = e ? e : "";
        if (v == "reverse") {
            s.kind = 1;
        } else if (v.rfind("shuffle=", 0) == 0) {
            s.kind = 2;
            s.seed = std::stoul(v.substr(8));
        } else if (!v.empty() && v != "alternate") {
            fprintf(stderr, "emulator: EMU_SCHEDULE=%s: expected alternate, reverse or shuffle=SEED\n", v.c_str());
            abort();
        }
        return s;
    }();
    return schedule;
}

#if defined(__x86_64__) && !defined(EMU_UCONTEXT)
/* A suspended fiber: its stack pointer, below what emu_switch pushed. */
struct EmuContext {
    void *sp = nullptr;
};

/* Saves the callee-saved state on the current stack and its pointer in *save, then resumes the
   context whose stack pointer is `resume` (the System V x86-64 ABI: rbx, rbp, r12-r15, MXCSR's
   control bits and the x87 control word survive a call; everything else the caller saves). */
[[gnu::naked, gnu::noinline]] static void emu_switch(void **save, void *resume) {
    asm volatile(
        "pushq %rbp\n\t"
        "pushq %rbx\n\t"
        "pushq %r12\n\t"
        "pushq %r13\n\t"
        "pushq %r14\n\t"
        "pushq %r15\n\t"
        "subq $8, %rsp\n\t"
        "stmxcsr (%rsp)\n\t"
        "fnstcw 4(%rsp)\n\t"
        "movq %rsp, (%rdi)\n\t"
        "movq %rsi, %rsp\n\t"
        "ldmxcsr (%rsp)\n\t"
        "fldcw 4(%rsp)\n\t"
        "addq $8, %rsp\n\t"
        "popq %r15\n\t"
        "popq %r14\n\t"
        "popq %r13\n\t"
        "popq %r12\n\t"
        "popq %rbx\n\t"
        "popq %rbp\n\t"
        "ret\n\t");
}

inline void emu_resume(EmuContext &from, EmuContext &to) { emu_switch(&from.sp, to.sp); }
#else
struct EmuContext {
    ucontext_t uc;
};

inline void emu_resume(EmuContext &from, EmuContext &to) { swapcontext(&from.uc, &to.uc); }
#endif

struct EmuBlock {
    enum State : unsigned char { RUNNING, AT_BARRIER, RETURNED };
    std::vector<EmuContext> fibers;
    std::vector<State> state;
    std::vector<std::unique_ptr<char[]>> stacks;
    EmuContext scheduler;
    const std::function<void()> *kernel = nullptr;
    unsigned current = 0;
};
inline thread_local EmuBlock *emu_block = nullptr;
static const size_t EMU_STACK = 256u << 10;

inline void __syncthreads() {
    EmuBlock *b = emu_block;
    const unsigned me = b->current;
    b->state[me] = EmuBlock::AT_BARRIER;
    emu_resume(b->fibers[me], b->scheduler);
}

inline void emu_fiber_main() {
    EmuBlock *b = emu_block;
    (*b->kernel)();
    b->state[b->current] = EmuBlock::RETURNED;
}

#if defined(__x86_64__) && !defined(EMU_UCONTEXT)
/* Where a new fiber starts, entered by emu_switch's `ret` as a function is by its call; it runs
   the kernel, then resumes the scheduler for good (a returned fiber is never resumed). */
[[noreturn]] inline void emu_fiber_entry() {
    emu_fiber_main();
    EmuBlock *b = emu_block;
    emu_resume(b->fibers[b->current], b->scheduler);
    abort();
}

/* A fiber that starts in emu_fiber_entry on `stack`: the frame emu_switch pops, laid out so that
   the entry sees the stack as after a call (its pointer 8 past a multiple of 16). */
inline void emu_make_fiber(EmuContext &fiber, char *stack, EmuContext *) {
    uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + EMU_STACK) & ~uintptr_t{15};
    uint64_t *frame = reinterpret_cast<uint64_t *>(top - 72);
    uint32_t controls[2] = {0, 0};
    asm volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(controls[0]), "=m"(controls[1]));
    std::memcpy(&frame[0], controls, sizeof controls);                   /* MXCSR, x87 control word */
    for (int r = 1; r <= 6; r++) frame[r] = 0;                            /* r15 .. rbp */
    frame[7] = reinterpret_cast<uint64_t>(&emu_fiber_entry);             /* ret's target */
    frame[8] = 0;                                                         /* the entry's "return address" */
    fiber.sp = frame;
}
#else
/* A fiber that runs emu_fiber_main on `stack`, then resumes `link` (out of line: getcontext returns twice). */
[[gnu::noinline]] inline void emu_make_fiber(EmuContext &fiber, char *stack, EmuContext *link) {
    getcontext(&fiber.uc);
    fiber.uc.uc_stack.ss_sp = stack;
    fiber.uc.uc_stack.ss_size = EMU_STACK;
    fiber.uc.uc_link = &link->uc;
    makecontext(&fiber.uc, emu_fiber_main, 0);
}
#endif

inline void emu_launch(unsigned grid, unsigned block, const std::function<void()> &kernel) {
    if (grid == 0 || block == 0) return;
    blockDim.x = block;
    EmuBlock b;
    b.kernel = &kernel;
    b.fibers.resize(block);
    b.state.resize(block);
    for (unsigned t = 0; t < block; t++) b.stacks.emplace_back(new char[EMU_STACK]);
    EmuBlock *outer = emu_block;
    emu_block = &b;
    const EmuSchedule &schedule = emu_schedule();
    std::mt19937_64 rng(schedule.seed);
    std::vector<unsigned> blocks(grid), order(block);
    std::iota(blocks.begin(), blocks.end(), 0u);
    if (schedule.kind == 2) std::shuffle(blocks.begin(), blocks.end(), rng);
    for (unsigned blk : blocks) {
        blockIdx.x = blk;
        std::memset(emu_shared_memory, 0xff, 1u << 20);   /* garbage, as on a GPU */
        if (emu_before_block) emu_before_block(blk);
        for (unsigned t = 0; t < block; t++) {
            emu_make_fiber(b.fibers[t], b.stacks[t].get(), &b.scheduler);
            b.state[t] = EmuBlock::RUNNING;
        }
        for (unsigned phase = 0;; phase++) {
            if (schedule.kind == 2) {
                std::iota(order.begin(), order.end(), 0u);
                std::shuffle(order.begin(), order.end(), rng);
            }
            const bool forward = (phase + schedule.kind) % 2 == 0;
            for (unsigned k = 0; k < block; k++) {
                const unsigned t = schedule.kind == 2 ? order[k] : forward ? k : block - 1 - k;
                if (b.state[t] == EmuBlock::RETURNED) continue;
                b.state[t] = EmuBlock::RUNNING;
                b.current = t;
                threadIdx.x = t;
                emu_resume(b.scheduler, b.fibers[t]);
            }
            unsigned waiting = 0;
            for (unsigned t = 0; t < block; t++) waiting += b.state[t] == EmuBlock::AT_BARRIER;
            if (waiting == 0) break;
            if (waiting != block) {
                fprintf(stderr, "emulator: block %u: %u of %u threads wait at __syncthreads() after the others returned\n",
                        blk, waiting, block);
                abort();
            }
        }
        emu_check_shared(blk);
        if (emu_after_block) emu_after_block(blk);
    }
    emu_block = outer;
}
#endif
