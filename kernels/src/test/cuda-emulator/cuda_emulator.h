/*
 * cuda_emulator.h — runs the project's CUDA kernels on the CPU, for tests on machines without a
 * GPU: each thread block runs as blockDim.x std::threads that meet at a std::barrier for every
 * __syncthreads(); blocks run one after another, so one static buffer serves as the block's
 * shared memory (static __shared__ arrays become function-static arrays). It emulates only what
 * banded_align.cu uses. Slow by design; correctness only.
 */
#pragma once
#include <atomic>
#include <barrier>
#include <climits>
#include <cmath>
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
#define __launch_bounds__(...)

struct EmuDim { unsigned x = 0, y = 0, z = 0; };
inline EmuDim blockIdx;
inline EmuDim blockDim;
inline thread_local EmuDim threadIdx;
inline std::barrier<> *emu_barrier = nullptr;
alignas(64) inline unsigned char emu_shared_memory[64u << 20];

#define DYNAMIC_SHARED(type, name) type *name = reinterpret_cast<type *>(emu_shared_memory)

inline void __syncthreads() { emu_barrier->arrive_and_wait(); }

inline int atomicMin(int *address, int value) {
    std::atomic_ref<int> a(*address);
    int old = a.load();
    while (value < old && !a.compare_exchange_weak(old, value)) {
    }
    return old;
}

/* Runs kernel() as grid x block threads, block after block. */
inline void emu_launch(unsigned grid, unsigned block, const std::function<void()> &kernel) {
    blockDim.x = block;
    for (unsigned b = 0; b < grid; b++) {
        blockIdx.x = b;
        std::memset(emu_shared_memory, 0xff, 1u << 20);   /* garbage, as on a GPU */
        std::barrier<> bar(block);
        emu_barrier = &bar;
        std::vector<std::thread> threads;
        for (unsigned t = 0; t < block; t++) {
            threads.emplace_back([t, &kernel] { threadIdx.x = t; kernel(); });
        }
        for (auto &th : threads) th.join();
    }
}
