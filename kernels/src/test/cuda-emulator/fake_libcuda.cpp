/*
 * fake_libcuda.cpp — a CPU stand-in for the NVIDIA driver library (libcuda.so.1), so that the
 * whole CUDA backend (JCuda, CudaAligner, its launch planning, pinned staging, streams, events,
 * out-of-memory splitting) runs in tests on machines without a GPU, on the project's real
 * kernels (banded_align.cu, banded_matrix.cu compiled for the CPU through cuda_emulator.h).
 *
 * Built by the tests as target/cuda-emulator/libcuda.so.1 (soname libcuda.so.1) and loaded
 * with System.load before JCuda's own library, whose dependency on libcuda.so.1 the dynamic
 * linker then resolves to this one (CudaTestSupport, -Dbandalign.test.fakeDriver=true). Never
 * shipped and never loaded on a machine with a real driver unless a test asks for it.
 *
 * What it emulates, and what it checks more strictly than a driver would:
 *  - BANDALIGN_FAKE_CUDA_DEVICES devices (default 1, each with its own UUID and PCI bus id) of BANDALIGN_FAKE_CUDA_SMS (default 2)
 *    multiprocessors and BANDALIGN_FAKE_CUDA_MEMORY bytes (default 512 MiB) each, all sharing
 *    one emulation and one memory pool; sm_90 limits (1024 threads, 64 K registers and 228 KB
 *    of shared memory an SM, 227 KB opt-in a block); the kernels' register counts as ptxas
 *    reports them for sm_90, for occupancy and block limits;
 *  - a primary context per device with a reference count; every call that needs a context
 *    fails with CUDA_ERROR_INVALID_CONTEXT on a thread where none is current (Spark reuses
 *    threads), and streams, events and functions belong to the context that made them: using
 *    one while another device's context is current fails with CUDA_ERROR_INVALID_HANDLE;
 *  - device memory: every copy, memset and kernel pointer argument must lie inside one live
 *    allocation; fresh allocations hold 0xff bytes (NaN), not zeros; allocating past the
 *    device's size returns CUDA_ERROR_OUT_OF_MEMORY;
 *  - asynchronous copies must use pinned memory from cuMemHostAlloc (a driver would silently
 *    copy pageable memory synchronously, which JCuda's temporary arrays do not survive);
 *  - each stream is a worker thread that runs its queue in order after a short delay
 *    (BANDALIGN_FAKE_CUDA_DELAY_US, default 50), so host code that reads results before
 *    waiting for them reads stale bytes; events complete when the stream reaches them;
 *  - launches check the block size against the function's limit and the dynamic shared
 *    memory against what cuFuncSetAttribute allowed; kernels run one at a time, and a block
 *    that writes past its launch's dynamic shared memory stops the emulator;
 *  - a kernel fault on request: cuCtxSetLimit(FAULT_AFTER_LAUNCHES, n) makes the n-th launch
 *    from then on (on any device) fail as it runs, with the sticky error
 *    CUDA_ERROR_LAUNCH_FAILED that every later call in that context returns (its queued work
 *    is dropped; other devices go on), until its primary context is released (frees and
 *    destroys still work, so the host can clean up);
 *  - a device held elsewhere on request: cuCtxSetLimit(DEVICE_UNAVAILABLE_REQUEST, d + 1) makes
 *    cuDevicePrimaryCtxRetain of device d return CUDA_ERROR_DEVICE_UNAVAILABLE, as a GPU in
 *    exclusive-process mode that another process holds does (0 ends it);
 *  - an older driver on request: cuCtxSetLimit(DRIVER_VERSION_REQUEST, v) makes
 *    cuDriverGetVersion report v (default 13000); images load only with code the device (sm_90)
 *    and that driver can run, as on a GPU: sm_90 SASS in a cubin format the driver reads, or
 *    PTX it can compile (CUDA 13's formats need v >= 13000);
 *  - another GPU generation on request: cuCtxSetLimit(DEVICE_ARCH_REQUEST, 70) makes the devices
 *    report compute capability 7.0 and load only code that runs there (default 90);
 *  - a failing driver call on request: cuCtxSetLimit(FAIL_CALL_REQUEST + call, n | code << 20
 *    | every << 19) makes the n-th call of that kind from then on (n < 2^19, on any device) fail
 *    with `code` before it does anything, and with `every` each later one too, until asked again
 *    (n = 0 ends it); the calls are those of `FailingCall`. A kernel fault's codes (700, 719)
 *    also leave the context's sticky error. As a driver, a failed create leaves its handle unset;
 *  - more static shared memory on request: cuCtxSetLimit(STATIC_SHARED_REQUEST, n) adds n bytes
 *    to every kernel's static shared memory (what cuFuncGetAttribute reports, what occupancy and
 *    the opt-in limit count), as a driver would that counts the 1 KB reserved section CUDA 13's
 *    sm_90 cubins carry (cuobjdump shows it; ptxas does not); default 0;
 *  - cuCtxGetLimit(LAUNCH_ATTEMPTS_QUERY) gives the launches asked for so far, on any device,
 *    refused ones included (the tests: how many a failing call still made).
 * Only the driver calls the project makes are here; JCuda binds the rest lazily and never
 * calls them.
 */
#include "cuda_emulator.h"
#include "../../main/cuda/banded_align.cu"
#include "../../main/cuda/banded_matrix.cu"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

enum : int {
    OK = 0, ERR_INVALID_VALUE = 1, ERR_OUT_OF_MEMORY = 2, ERR_NOT_INITIALIZED = 3, ERR_INVALID_DEVICE = 101,
    ERR_INVALID_IMAGE = 200, ERR_INVALID_CONTEXT = 201, ERR_INVALID_HANDLE = 400, ERR_NOT_FOUND = 500,
    ERR_DEVICE_UNAVAILABLE = 46, ERR_NO_BINARY_FOR_GPU = 209, ERR_UNSUPPORTED_PTX_VERSION = 222, ERR_NOT_READY = 600, ERR_LAUNCH_FAILED = 719, ERR_NOT_SUPPORTED = 801
};
/* cuCtxSetLimit's "limits" that ask for a kernel fault, or for a device to be unavailable
   (no real CUlimit has these values). */
static const int FAULT_AFTER_LAUNCHES = 0x42410001;
static const int DEVICE_UNAVAILABLE_REQUEST = 0x42410002;
static const int DRIVER_VERSION_REQUEST = 0x42410003;
static std::atomic<int> unavailable_device{0};   /* device + 1; 0: none */
static std::atomic<int> driver_version{13000};   /* what cuDriverGetVersion reports */
static const int DEVICE_ARCH_REQUEST = 0x42410004;
static std::atomic<int> device_arch{90};   /* the devices' compute capability, major * 10 + minor */
static const int STATIC_SHARED_REQUEST = 0x42410005;
static std::atomic<int> static_shared_extra{0};   /* bytes added to every kernel's static shared memory */
static const int FAIL_CALL_REQUEST = 0x42410100;
static const int LAUNCH_ATTEMPTS_QUERY = 0x42410006;
static std::atomic<long> launch_attempts{0};
enum FailingCall { FAIL_MEM_ALLOC, FAIL_HOST_ALLOC, FAIL_COPY_IN, FAIL_COPY_OUT, FAIL_LAUNCH, FAIL_STREAM_CREATE, FAIL_EVENT_CREATE,
                   FAIL_EVENT_SYNC, FAIL_CALLS };
static std::atomic<long> fail_countdown[FAIL_CALLS];   /* calls of that kind to go until the failing one; 0: none */
static std::atomic<int> fail_code[FAIL_CALLS];
static std::atomic<bool> fail_every[FAIL_CALLS];       /* the failing one and every later one */
/* CUdevice_attribute, CUfunction_attribute and CUevent_flags values used here (cuda.h). */
enum : int {
    DEV_MAX_THREADS_PER_BLOCK = 1, DEV_MULTIPROCESSOR_COUNT = 16, DEV_MAX_THREADS_PER_SM = 39,
    DEV_CC_MAJOR = 75, DEV_CC_MINOR = 76, DEV_MAX_SHARED_PER_SM = 81, DEV_MAX_REGISTERS_PER_SM = 82,
    DEV_MAX_SHARED_PER_BLOCK_OPTIN = 97, DEV_MAX_BLOCKS_PER_SM = 106
};
enum : int {
    FUNC_MAX_THREADS_PER_BLOCK = 0, FUNC_SHARED_SIZE_BYTES = 1, FUNC_LOCAL_SIZE_BYTES = 3, FUNC_NUM_REGS = 4,
    FUNC_BINARY_VERSION = 6, FUNC_MAX_DYNAMIC_SHARED = 8
};
enum : unsigned { EVENT_BLOCKING_SYNC = 1, EVENT_DISABLE_TIMING = 2 };

/* sm_90 limits. */
static const int SM_THREADS = 2048, SM_REGISTERS = 65536, SM_SHARED = 233472, BLOCK_SHARED_OPTIN = 232448,
                 SM_BLOCKS = 32, DEFAULT_DYNAMIC_SHARED = 48 * 1024;

static long env_long(const char *name, long fallback) {
    const char *v = getenv(name);
    return v && *v ? atol(v) : fallback;
}

static void complain(const char *call, const std::string &why) {
    fprintf(stderr, "fake libcuda: %s: %s\n", call, why.c_str());
}

/* ---- memory ---- */

static std::mutex memory_lock;
static std::map<uintptr_t, size_t> device_blocks, pinned_blocks;
static size_t device_used;

static size_t device_size() {
    static const size_t size = (size_t)env_long("BANDALIGN_FAKE_CUDA_MEMORY", 512L << 20);
    return size;
}

/* Whether [p, p + len) lies in one live block of `blocks` (len 0: p inside or at its end). */
static bool inside(const std::map<uintptr_t, size_t> &blocks, uintptr_t p, size_t len) {
    std::lock_guard<std::mutex> g(memory_lock);
    auto it = blocks.upper_bound(p);
    if (it == blocks.begin()) return false;
    --it;
    return p >= it->first && p + len <= it->first + it->second;
}

static bool device_range(CUdeviceptr p, size_t len, const char *call) {
    if (inside(device_blocks, (uintptr_t)p, len)) return true;
    complain(call, "device range [" + std::to_string(p) + ", +" + std::to_string(len) + ") is not inside one allocation");
    return false;
}

static bool pinned_range(const void *p, size_t len, const char *call) {
    if (inside(pinned_blocks, (uintptr_t)p, len)) return true;
    complain(call, "host range of " + std::to_string(len) + " bytes is not pinned memory from cuMemHostAlloc");
    return false;
}

/* ---- contexts ---- */

static const int MAX_DEVICES = 16;

static int device_count() {
    static const int count = (int)std::clamp(env_long("BANDALIGN_FAKE_CUDA_DEVICES", 1), 1L, (long)MAX_DEVICES);
    return count;
}

struct FakeContext {
    std::atomic<int> refs{0};     /* primary context retains not yet released */
    std::atomic<int> sticky{0};   /* the sticky error of a faulted kernel; 0: none */
};
static FakeContext primary[MAX_DEVICES];
static std::atomic<bool> initialized{false};
static thread_local FakeContext *current_context = nullptr;
/* Launches left before the requested fault (0: none requested). */
static std::atomic<long> launches_before_fault{0};

static bool valid_device(CUdevice device) { return device >= 0 && device < device_count(); }

/* The error for a call made without a usable current context, or OK. */
static CUresult context_error() {
    if (!initialized) return ERR_NOT_INITIALIZED;
    if (current_context == nullptr || current_context->refs.load() == 0) return ERR_INVALID_CONTEXT;
    return current_context->sticky.load();
}

/* Like NEED_CONTEXT, for the calls that release resources: they work after a fault too. */
static CUresult context_error_ignoring_fault() {
    if (!initialized) return ERR_NOT_INITIALIZED;
    if (current_context == nullptr || current_context->refs.load() == 0) return ERR_INVALID_CONTEXT;
    return OK;
}
#define NEED_CONTEXT_TO_RELEASE()                        \
    do {                                                 \
        CUresult need_ = context_error_ignoring_fault(); \
        if (need_ != OK) return need_;                   \
    } while (0)
#define NEED_CONTEXT()                          \
    do {                                        \
        CUresult need_ = context_error();       \
        if (need_ != OK) return need_;          \
    } while (0)

/* The result a call of kind `call` fails with on request (see FAIL_CALL_REQUEST), or OK. */
static CUresult requested_failure(FailingCall call) {
    long left = fail_countdown[call].load();
    while (left > 0) {
        if (left == 1 && fail_every[call].load()) break;   /* stays at 1: every call from now on fails */
        if (fail_countdown[call].compare_exchange_weak(left, left - 1)) {
            if (left != 1) return OK;
            break;
        }
    }
    if (left <= 0) return OK;
    const int code = fail_code[call].load();
    if ((code == 700 || code == ERR_LAUNCH_FAILED) && current_context != nullptr) current_context->sticky = (CUresult)code;
    return (CUresult)code;
}
#define FAIL_ON_REQUEST(call)                                 \
    do {                                                      \
        CUresult requested_ = requested_failure(call);        \
        if (requested_ != OK) return requested_;              \
    } while (0)

/* ---- streams and events ---- */

static std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

struct FakeStream {
    FakeContext *const owner = current_context;
    std::mutex lock;
    std::condition_variable changed;
    std::deque<std::function<void()>> queue;
    bool busy = false, stopping = false;
    std::thread worker;

    FakeStream() : worker([this] { run(); }) {}

    void run() {
        const auto delay = std::chrono::microseconds(env_long("BANDALIGN_FAKE_CUDA_DELAY_US", 50));
        for (;;) {
            std::function<void()> op;
            {
                std::unique_lock<std::mutex> g(lock);
                changed.wait(g, [&] { return stopping || !queue.empty(); });
                if (queue.empty()) return;
                op = std::move(queue.front());
                queue.pop_front();
                busy = true;
            }
            std::this_thread::sleep_for(delay);
            op();
            {
                std::lock_guard<std::mutex> g(lock);
                busy = false;
            }
            changed.notify_all();
        }
    }

    void push(std::function<void()> op) {
        {
            std::lock_guard<std::mutex> g(lock);
            queue.push_back(std::move(op));
        }
        changed.notify_all();
    }

    void drain() {
        std::unique_lock<std::mutex> g(lock);
        changed.wait(g, [&] { return queue.empty() && !busy; });
    }

    ~FakeStream() {
        drain();
        {
            std::lock_guard<std::mutex> g(lock);
            stopping = true;
        }
        changed.notify_all();
        worker.join();
    }
};

static std::mutex streams_lock;
static std::set<FakeStream *> streams;

static void drain_all() {
    std::lock_guard<std::mutex> g(streams_lock);
    for (FakeStream *s : streams) s->drain();
}

/* A live stream of the current context, or the default stream (null). */
static bool known_stream(FakeStream *s) {
    std::lock_guard<std::mutex> g(streams_lock);
    if (s == nullptr) return true;
    if (streams.count(s) == 0) return false;
    if (s->owner != current_context) {
        complain("stream", "a stream of another device's context");
        return false;
    }
    return true;
}

/* Runs op on stream s in order, or at once for the default stream (null); dropped once the
   context has faulted. */
static void enqueue(FakeStream *s, std::function<void()> op) {
    FakeContext *ctx = current_context;
    auto unless_faulted = [op = std::move(op), ctx] {
        if (ctx->sticky.load() == 0) op();
    };
    if (s == nullptr) unless_faulted();
    else s->push(std::move(unless_faulted));
}

struct FakeEvent {
    FakeContext *const owner = current_context;
    std::mutex lock;
    std::condition_variable done;
    unsigned flags = 0;
    long recorded = 0, completed = 0;
    double millis = 0;
};

/* ---- modules and kernels ---- */

/* Binds a launch's kernelParams to a call of the kernel, or returns null if a pointer is bad. */
typedef std::function<std::function<void()>(void **)> Binder;

template <typename T> static bool valid_argument(const T &value) {
    if constexpr (std::is_pointer_v<T>) {
        return value == nullptr || inside(device_blocks, (uintptr_t)value, 0);
    } else {
        return true;
    }
}

template <typename... A, size_t... I>
static std::function<void()> bind_kernel(void (*kernel)(A...), void **params, std::index_sequence<I...>) {
    std::tuple<std::remove_cv_t<A>...> args{*static_cast<std::remove_cv_t<A> *>(params[I])...};
    if (!(valid_argument(std::get<I>(args)) && ...)) return nullptr;
    return [kernel, args] { std::apply(kernel, args); };
}

template <typename... A> static Binder binder(void (*kernel)(A...)) {
    return [kernel](void **params) { return bind_kernel(kernel, params, std::index_sequence_for<A...>{}); };
}

struct KernelInfo {
    const char *name;
    int registers;
    int static_shared;
    int launch_bound;   /* __launch_bounds__' most threads a block, else 1024 */
    Binder bind;
};

/* Register counts and static shared memory from `nvcc -arch=sm_90 --resource-usage` (CUDA 13). */
static const KernelInfo KERNELS[] = {
    {"banded_forward_backward", 72, 0, 1024, binder(banded_forward_backward)},
    {"banded_forward_backward_prefetch", 94, 0, 1024, binder(banded_forward_backward_prefetch)},
    {"banded_forward_backward_regcap", 64, 0, 256, binder(banded_forward_backward_regcap)},
    {"banded_alpha_beta", 48, 0, 1024, binder(banded_alpha_beta)},
    {"banded_alpha_beta_global", 56, 0, 1024, binder(banded_alpha_beta_global)},
    {"banded_marginals", 48, 0, 1024, binder(banded_marginals)},
    {"banded_viterbi", 36, 5136, 1024, binder(banded_viterbi)},
    {"banded_viterbi_global", 56, 5136, 1024, binder(banded_viterbi_global)},
    {"banded_multiply", 60, 0, 1024, binder(banded_multiply)},
};

struct FakeFunction {
    FakeContext *const owner = current_context;
    const KernelInfo *info;
    std::atomic<int> max_dynamic_shared{DEFAULT_DYNAMIC_SHARED};   /* set while other threads launch */

    explicit FakeFunction(const KernelInfo *k) : info(k) {}

    /* Static shared memory as the driver reports it (see STATIC_SHARED_REQUEST). */
    int static_shared() const { return info->static_shared + static_shared_extra.load(); }

    /* Registers a warp holds (per-thread count rounded up to 8, as the hardware allocates). */
    int warp_registers() const { return (info->registers + 7) / 8 * 8 * 32; }
    int max_threads() const { return std::min(info->launch_bound, SM_REGISTERS / warp_registers() * 32); }
};

struct FakeModule {
    FakeContext *const owner = current_context;
    std::vector<std::unique_ptr<FakeFunction>> functions;
};

static std::mutex kernel_lock;   /* the emulator runs one launch at a time */

static int occupancy(const FakeFunction *f, int threads, size_t dynamic_shared) {
    const int warps = (threads + 31) / 32;
    int blocks = std::min(SM_BLOCKS, SM_THREADS / (warps * 32));
    blocks = std::min(blocks, SM_REGISTERS / (warps * f->warp_registers()));
    const size_t shared = (size_t)f->static_shared() + dynamic_shared + 1024;   /* 1 KB reserved a block */
    blocks = std::min<long>(blocks, (long)(SM_SHARED / shared));
    return std::max(blocks, 0);
}

extern "C" {

CUresult cuInit(unsigned flags) {
    if (flags != 0) return ERR_INVALID_VALUE;
    initialized = true;
    return OK;
}

CUresult cuDriverGetVersion(int *version) {
    *version = driver_version.load();
    return OK;
}

CUresult cuGetErrorName(CUresult error, const char **name) {
    static const std::map<int, const char *> names = {
        {OK, "CUDA_SUCCESS"}, {ERR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE"},
        {ERR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY"}, {ERR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED"},
        {ERR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE"}, {ERR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE"},
        {ERR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT"}, {ERR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE"},
        {ERR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND"}, {ERR_NOT_READY, "CUDA_ERROR_NOT_READY"},
        {ERR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED"},
        {ERR_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED"}, {ERR_UNSUPPORTED_PTX_VERSION, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"},
        {ERR_NO_BINARY_FOR_GPU, "CUDA_ERROR_NO_BINARY_FOR_GPU"},
        {ERR_DEVICE_UNAVAILABLE, "CUDA_ERROR_DEVICE_UNAVAILABLE"}, {700, "CUDA_ERROR_ILLEGAL_ADDRESS"}};
    auto it = names.find(error);
    if (it == names.end()) {
        *name = nullptr;   /* as the driver: JCuda reads it whatever the result */
        return ERR_INVALID_VALUE;
    }
    *name = it->second;
    return OK;
}

CUresult cuGetErrorString(CUresult error, const char **text) {
    return cuGetErrorName(error, text);
}

CUresult cuDeviceGetCount(int *count) {
    if (!initialized) return ERR_NOT_INITIALIZED;
    *count = device_count();
    return OK;
}

CUresult cuDeviceGet(CUdevice *device, int ordinal) {
    if (!initialized) return ERR_NOT_INITIALIZED;
    if (!valid_device(ordinal)) return ERR_INVALID_DEVICE;
    *device = ordinal;
    return OK;
}

CUresult cuDeviceGetName(char *name, int len, CUdevice device) {
    if (!valid_device(device)) return ERR_INVALID_DEVICE;
    snprintf(name, (size_t)len, "BandAlign CPU emulation of a CUDA device, #%d (fake libcuda, tests only)", device);
    return OK;
}

/* Device d's UUID: GPU-ddba1a11-0000-4000-8000-000000000000 (dd = d in hex), so GPU-01 is a
   unique prefix and GPU-0 an ambiguous one (with up to 16 devices), for the tests. */
CUresult cuDeviceGetUuid(unsigned char *uuid, CUdevice device) {
    if (!initialized) return ERR_NOT_INITIALIZED;
    if (!valid_device(device)) return ERR_INVALID_DEVICE;
    const unsigned char bytes[16] = {(unsigned char)device, 0xba, 0x1a, 0x11, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(uuid, bytes, sizeof bytes);
    return OK;
}

/* Device d sits on PCI bus 0x10 + d. */
CUresult cuDeviceGetPCIBusId(char *bus_id, int len, CUdevice device) {
    if (!initialized) return ERR_NOT_INITIALIZED;
    if (!valid_device(device)) return ERR_INVALID_DEVICE;
    if (bus_id == nullptr || len < 13) return ERR_INVALID_VALUE;
    snprintf(bus_id, (size_t)len, "0000:%02X:00.0", 0x10 + device);
    return OK;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice device) {
    if (!valid_device(device)) return ERR_INVALID_DEVICE;
    *bytes = device_size();
    return OK;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice device) {
    if (!valid_device(device)) return ERR_INVALID_DEVICE;
    switch (attribute) {
    case DEV_MAX_THREADS_PER_BLOCK: *value = 1024; return OK;
    case DEV_MULTIPROCESSOR_COUNT: *value = (int)env_long("BANDALIGN_FAKE_CUDA_SMS", 2); return OK;
    case DEV_MAX_THREADS_PER_SM: *value = SM_THREADS; return OK;
    case DEV_CC_MAJOR: *value = device_arch.load() / 10; return OK;
    case DEV_CC_MINOR: *value = device_arch.load() % 10; return OK;
    case DEV_MAX_SHARED_PER_SM: *value = SM_SHARED; return OK;
    case DEV_MAX_REGISTERS_PER_SM: *value = SM_REGISTERS; return OK;
    case DEV_MAX_SHARED_PER_BLOCK_OPTIN: *value = BLOCK_SHARED_OPTIN; return OK;
    case DEV_MAX_BLOCKS_PER_SM: *value = SM_BLOCKS; return OK;
    default: complain("cuDeviceGetAttribute", "attribute " + std::to_string(attribute) + " is not emulated"); return ERR_INVALID_VALUE;
    }
}

static std::mutex contexts_lock;   /* retains and releases, so the fault reset sees a settled count */

CUresult cuDevicePrimaryCtxRetain(FakeContext **context, CUdevice device) {
    if (!initialized) return ERR_NOT_INITIALIZED;
    if (!valid_device(device)) return ERR_INVALID_DEVICE;
    if (unavailable_device.load() == device + 1) return ERR_DEVICE_UNAVAILABLE;
    std::lock_guard<std::mutex> g(contexts_lock);
    primary[device].refs++;
    *context = &primary[device];
    return OK;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
    if (!valid_device(device)) return ERR_INVALID_DEVICE;
    std::lock_guard<std::mutex> g(contexts_lock);
    if (primary[device].refs.load() <= 0) {
        complain("cuDevicePrimaryCtxRelease", "released more often than retained");
        return ERR_INVALID_CONTEXT;
    }
    if (--primary[device].refs == 0) {
        primary[device].sticky = 0;   /* the context is gone; the next retain starts afresh */
    }
    return OK;
}

/* Active while retained; what tests check of an aligner left unclosed (no flags are emulated). */
CUresult cuDevicePrimaryCtxGetState(CUdevice device, unsigned *flags, int *active) {
    if (!initialized) return ERR_NOT_INITIALIZED;
    if (!valid_device(device)) return ERR_INVALID_DEVICE;
    std::lock_guard<std::mutex> g(contexts_lock);
    *flags = 0;
    *active = primary[device].refs.load() > 0 ? 1 : 0;
    return OK;
}

CUresult cuCtxGetLimit(size_t *value, int limit) {
    NEED_CONTEXT();
    if (limit != LAUNCH_ATTEMPTS_QUERY) return ERR_INVALID_VALUE;   /* (no real limit is asked for by the project) */
    *value = (size_t)launch_attempts.load();
    return OK;
}

CUresult cuCtxSetLimit(int limit, size_t value) {
    NEED_CONTEXT();
    if (limit == DEVICE_UNAVAILABLE_REQUEST) {
        unavailable_device = (int)value;
        return OK;
    }
    if (limit == DRIVER_VERSION_REQUEST) {
        driver_version = (int)value;
        return OK;
    }
    if (limit == DEVICE_ARCH_REQUEST) {
        device_arch = (int)value;
        return OK;
    }
    if (limit == STATIC_SHARED_REQUEST) {
        static_shared_extra = (int)value;
        return OK;
    }
    if (limit >= FAIL_CALL_REQUEST && limit < FAIL_CALL_REQUEST + FAIL_CALLS) {
        const int call = limit - FAIL_CALL_REQUEST;
        fail_code[call] = (int)(value >> 20);
        fail_every[call] = ((value >> 19) & 1) != 0;
        fail_countdown[call] = (long)(value & 0x7ffff);
        return OK;
    }
    if (limit != FAULT_AFTER_LAUNCHES) {
        complain("cuCtxSetLimit", "limit " + std::to_string(limit) + " is not emulated");
        return ERR_INVALID_VALUE;
    }
    launches_before_fault = (long)value;
    return OK;
}

CUresult cuCtxSetCurrent(FakeContext *context) {
    if (!initialized) return ERR_NOT_INITIALIZED;
    if (context != nullptr && (context < primary || context >= primary + device_count())) return ERR_INVALID_CONTEXT;
    current_context = context;
    return OK;
}

CUresult cuCtxGetCurrent(FakeContext **context) {
    *context = current_context;
    return OK;
}

CUresult cuCtxSynchronize() {
    NEED_CONTEXT();
    drain_all();
    return current_context->sticky.load();
}

CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total_bytes) {
    NEED_CONTEXT();
    std::lock_guard<std::mutex> g(memory_lock);
    *free_bytes = device_size() - device_used;
    *total_bytes = device_size();
    return OK;
}

CUresult cuMemAlloc_v2(CUdeviceptr *ptr, size_t bytes) {
    NEED_CONTEXT();
    FAIL_ON_REQUEST(FAIL_MEM_ALLOC);
    if (bytes == 0) return ERR_INVALID_VALUE;
    const size_t rounded = (bytes + 255) / 256 * 256;
    {
        std::lock_guard<std::mutex> g(memory_lock);
        if (device_used + rounded > device_size()) return ERR_OUT_OF_MEMORY;
        device_used += rounded;
    }
    void *p = std::aligned_alloc(256, rounded);
    if (p == nullptr) {
        std::lock_guard<std::mutex> g(memory_lock);
        device_used -= rounded;
        return ERR_OUT_OF_MEMORY;
    }
    std::memset(p, 0xff, rounded);   /* not zeros: a GPU's fresh memory holds whatever was there */
    std::lock_guard<std::mutex> g(memory_lock);
    device_blocks[(uintptr_t)p] = rounded;
    *ptr = (CUdeviceptr)(uintptr_t)p;
    return OK;
}

CUresult cuMemFree_v2(CUdeviceptr ptr) {
    NEED_CONTEXT_TO_RELEASE();
    if (ptr == 0) return OK;
    drain_all();   /* freeing synchronises the device */
    std::lock_guard<std::mutex> g(memory_lock);
    auto it = device_blocks.find((uintptr_t)ptr);
    if (it == device_blocks.end()) {
        complain("cuMemFree", "not the start of a live allocation");
        return ERR_INVALID_VALUE;
    }
    device_used -= it->second;
    device_blocks.erase(it);
    std::free((void *)(uintptr_t)ptr);
    return OK;
}

CUresult cuMemHostAlloc(void **ptr, size_t bytes, unsigned flags) {
    NEED_CONTEXT();
    FAIL_ON_REQUEST(FAIL_HOST_ALLOC);
    (void)flags;
    if (bytes == 0) return ERR_INVALID_VALUE;
    void *p = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
    if (p == nullptr) return ERR_OUT_OF_MEMORY;
    std::lock_guard<std::mutex> g(memory_lock);
    pinned_blocks[(uintptr_t)p] = bytes;
    *ptr = p;
    return OK;
}

CUresult cuMemAllocHost_v2(void **ptr, size_t bytes) {
    return cuMemHostAlloc(ptr, bytes, 0);
}

CUresult cuMemFreeHost(void *ptr) {
    NEED_CONTEXT_TO_RELEASE();
    drain_all();
    std::lock_guard<std::mutex> g(memory_lock);
    if (pinned_blocks.erase((uintptr_t)ptr) == 0) {
        complain("cuMemFreeHost", "not pinned memory from cuMemHostAlloc");
        return ERR_INVALID_VALUE;
    }
    std::free(ptr);
    return OK;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes, FakeStream *stream) {
    NEED_CONTEXT();
    FAIL_ON_REQUEST(FAIL_COPY_IN);
    if (!known_stream(stream)) return ERR_INVALID_HANDLE;
    if (!device_range(dst, bytes, "cuMemcpyHtoDAsync") || !pinned_range(src, bytes, "cuMemcpyHtoDAsync")) return ERR_INVALID_VALUE;
    enqueue(stream, [=] { std::memcpy((void *)(uintptr_t)dst, src, bytes); });
    return OK;
}

CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes, FakeStream *stream) {
    NEED_CONTEXT();
    FAIL_ON_REQUEST(FAIL_COPY_OUT);
    if (!known_stream(stream)) return ERR_INVALID_HANDLE;
    if (!device_range(src, bytes, "cuMemcpyDtoHAsync") || !pinned_range(dst, bytes, "cuMemcpyDtoHAsync")) return ERR_INVALID_VALUE;
    enqueue(stream, [=] { std::memcpy(dst, (const void *)(uintptr_t)src, bytes); });
    return OK;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
    NEED_CONTEXT();
    if (!device_range(dst, bytes, "cuMemcpyHtoD")) return ERR_INVALID_VALUE;
    std::memcpy((void *)(uintptr_t)dst, src, bytes);
    return OK;
}

CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
    NEED_CONTEXT();
    if (!device_range(src, bytes, "cuMemcpyDtoH")) return ERR_INVALID_VALUE;
    std::memcpy(dst, (const void *)(uintptr_t)src, bytes);
    return OK;
}

CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
    NEED_CONTEXT();
    if (!device_range(dst, bytes, "cuMemcpyDtoD") || !device_range(src, bytes, "cuMemcpyDtoD")) return ERR_INVALID_VALUE;
    std::memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes);
    return OK;
}

CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t count, FakeStream *stream) {
    NEED_CONTEXT();
    if (!known_stream(stream)) return ERR_INVALID_HANDLE;
    if (!device_range(dst, count, "cuMemsetD8Async")) return ERR_INVALID_VALUE;
    enqueue(stream, [=] { std::memset((void *)(uintptr_t)dst, value, count); });
    return OK;
}

CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, size_t count, FakeStream *stream) {
    NEED_CONTEXT();
    if (!known_stream(stream)) return ERR_INVALID_HANDLE;
    if (dst % 4 != 0 || !device_range(dst, 4 * count, "cuMemsetD32Async")) return ERR_INVALID_VALUE;
    enqueue(stream, [=] {
        unsigned *p = (unsigned *)(uintptr_t)dst;
        std::fill(p, p + count, value);
    });
    return OK;
}

CUresult cuStreamCreate(FakeStream **stream, unsigned flags) {
    NEED_CONTEXT();
    FAIL_ON_REQUEST(FAIL_STREAM_CREATE);
    (void)flags;
    FakeStream *s = new FakeStream();
    std::lock_guard<std::mutex> g(streams_lock);
    streams.insert(s);
    *stream = s;
    return OK;
}

CUresult cuStreamDestroy_v2(FakeStream *stream) {
    NEED_CONTEXT_TO_RELEASE();
    {
        std::lock_guard<std::mutex> g(streams_lock);
        if (stream == nullptr || streams.erase(stream) == 0) return ERR_INVALID_HANDLE;
    }
    delete stream;   /* finishes its queue first, as a driver does */
    return OK;
}

CUresult cuStreamSynchronize(FakeStream *stream) {
    NEED_CONTEXT();
    if (!known_stream(stream)) return ERR_INVALID_HANDLE;
    if (stream == nullptr) drain_all();
    else stream->drain();
    return current_context->sticky.load();
}

CUresult cuEventCreate(FakeEvent **event, unsigned flags) {
    NEED_CONTEXT();
    FAIL_ON_REQUEST(FAIL_EVENT_CREATE);
    if (flags & ~(unsigned)(EVENT_BLOCKING_SYNC | EVENT_DISABLE_TIMING)) return ERR_INVALID_VALUE;
    FakeEvent *e = new FakeEvent();
    e->flags = flags;
    *event = e;
    return OK;
}

CUresult cuEventDestroy_v2(FakeEvent *event) {
    NEED_CONTEXT_TO_RELEASE();
    if (event == nullptr) return ERR_INVALID_HANDLE;
    {   /* a driver lets queued work finish; the record op holds the pointer, so wait for it */
        std::unique_lock<std::mutex> g(event->lock);
        event->done.wait(g, [&] { return event->completed >= event->recorded; });
    }
    delete event;
    return OK;
}

CUresult cuEventRecord(FakeEvent *event, FakeStream *stream) {
    NEED_CONTEXT();
    if (event == nullptr || !known_stream(stream)) return ERR_INVALID_HANDLE;
    if (event->owner != current_context) {
        complain("cuEventRecord", "an event of another device's context");
        return ERR_INVALID_HANDLE;
    }
    long generation;
    {
        std::lock_guard<std::mutex> g(event->lock);
        generation = ++event->recorded;
    }
    auto complete = [event, generation] {   /* not dropped after a fault: waiters must wake */
        /* notified under the lock: once it is released, a waiter may destroy the event */
        std::lock_guard<std::mutex> g(event->lock);
        event->completed = std::max(event->completed, generation);
        event->millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        event->done.notify_all();
    };
    if (stream == nullptr) complete();
    else stream->push(complete);
    return OK;
}

CUresult cuEventQuery(FakeEvent *event) {
    NEED_CONTEXT();
    if (event == nullptr) return ERR_INVALID_HANDLE;
    std::lock_guard<std::mutex> g(event->lock);
    return event->completed >= event->recorded ? OK : ERR_NOT_READY;
}

CUresult cuEventSynchronize(FakeEvent *event) {
    NEED_CONTEXT();
    FAIL_ON_REQUEST(FAIL_EVENT_SYNC);
    if (event == nullptr) return ERR_INVALID_HANDLE;
    std::unique_lock<std::mutex> g(event->lock);
    const long wanted = event->recorded;
    event->done.wait(g, [&] { return event->completed >= wanted; });
    return current_context->sticky.load();
}

CUresult cuEventElapsedTime(float *millis, FakeEvent *start, FakeEvent *end) {
    NEED_CONTEXT();
    if (start == nullptr || end == nullptr) return ERR_INVALID_HANDLE;
    if ((start->flags | end->flags) & EVENT_DISABLE_TIMING) return ERR_INVALID_HANDLE;
    std::scoped_lock both(start->lock, end->lock);
    if (start->recorded == 0 || end->recorded == 0) return ERR_INVALID_HANDLE;
    if (start->completed < start->recorded || end->completed < end->recorded) return ERR_NOT_READY;
    *millis = (float)(end->millis - start->millis);
    return OK;
}

CUresult cuModuleLoadDataEx(FakeModule **module, const void *image, unsigned options, void *option_keys, void **option_values) {
    NEED_CONTEXT();
    (void)options, (void)option_keys, (void)option_values;
    const unsigned char *bytes = static_cast<const unsigned char *>(image);
    /* A fatbin: magic 0xBA55ED50, uint16 version, uint16 header size, uint64 size of what follows. */
    uint32_t magic;
    std::memcpy(&magic, bytes, 4);
    if (magic != 0xBA55ED50u) {
        complain("cuModuleLoadDataEx", "not a fatbin");
        return ERR_INVALID_IMAGE;
    }
    uint16_t header;
    uint64_t body;
    std::memcpy(&header, bytes + 6, 2);
    std::memcpy(&body, bytes + 8, 8);
    const std::string text(reinterpret_cast<const char *>(bytes), header + body);
    /* What a driver of this version can run from the image on the devices (sm_90 unless asked
       otherwise): SASS for the device's major architecture and a minor one no higher (sm_80 runs
       on sm_86, sm_75 not on sm_70) in a cubin format it reads (CUDA 13's cubins, ELF ABI
       version 8, need a CUDA 13 driver), or PTX for the device's architecture or a lower one of
       an ISA it can compile (ISA 9 needs a CUDA 13 driver).
       Each entry: u16 kind (1 PTX, 2 ELF), u16, u32 header size, u64 payload size, u32, u32,
       u16 ISA minor, u16 ISA major, u32 architecture; then the payload. */
    bool usable = false, newer_only = false;
    for (uint64_t off = header; off + 32 <= header + body;) {
        uint16_t kind, major;
        uint32_t entry_header, arch;
        uint64_t size;
        std::memcpy(&kind, bytes + off, 2);
        std::memcpy(&entry_header, bytes + off + 4, 4);
        std::memcpy(&size, bytes + off + 8, 8);
        std::memcpy(&major, bytes + off + 26, 2);
        std::memcpy(&arch, bytes + off + 28, 4);
        const unsigned char *payload = bytes + off + entry_header;
        bool needs13 = kind == 2 ? payload[8] >= 8 : major >= 9;
        const int dev = device_arch.load();
        if (kind == 2 ? (int)arch / 10 == dev / 10 && (int)arch % 10 <= dev % 10 : (int)arch <= dev) {
            if (needs13 && driver_version.load() < 13000) newer_only = true;
            else usable = true;
        }
        off += entry_header + size;
    }
    if (!usable) return newer_only ? ERR_UNSUPPORTED_PTX_VERSION : ERR_NO_BINARY_FOR_GPU;
    FakeModule *m = new FakeModule();
    for (const KernelInfo &k : KERNELS) {   /* the kernels this image names (entry symbols are plain text) */
        if (text.find(std::string(k.name) + '\0') != std::string::npos) {
            m->functions.push_back(std::make_unique<FakeFunction>(&k));
        }
    }
    *module = m;
    return OK;
}

CUresult cuModuleUnload(FakeModule *module) {
    NEED_CONTEXT_TO_RELEASE();
    drain_all();
    delete module;
    return OK;
}

CUresult cuModuleGetFunction(FakeFunction **function, FakeModule *module, const char *name) {
    NEED_CONTEXT();
    if (module == nullptr) return ERR_INVALID_HANDLE;
    if (module->owner != current_context) {
        complain("cuModuleGetFunction", "a module of another device's context");
        return ERR_INVALID_HANDLE;
    }
    for (auto &f : module->functions) {
        if (std::strcmp(f->info->name, name) == 0) {
            *function = f.get();
            return OK;
        }
    }
    return ERR_NOT_FOUND;
}

CUresult cuFuncGetAttribute(int *value, int attribute, FakeFunction *f) {
    NEED_CONTEXT();
    if (f == nullptr) return ERR_INVALID_HANDLE;
    switch (attribute) {
    case FUNC_MAX_THREADS_PER_BLOCK: *value = f->max_threads(); return OK;
    case FUNC_SHARED_SIZE_BYTES: *value = f->static_shared(); return OK;
    case FUNC_NUM_REGS: *value = f->info->registers; return OK;
    case FUNC_LOCAL_SIZE_BYTES: *value = 0; return OK;
    case FUNC_BINARY_VERSION: *value = 90; return OK;
    case FUNC_MAX_DYNAMIC_SHARED: *value = f->max_dynamic_shared; return OK;
    default: complain("cuFuncGetAttribute", "attribute " + std::to_string(attribute) + " is not emulated"); return ERR_INVALID_VALUE;
    }
}

CUresult cuFuncSetAttribute(FakeFunction *f, int attribute, int value) {
    NEED_CONTEXT();
    if (f == nullptr) return ERR_INVALID_HANDLE;
    if (attribute != FUNC_MAX_DYNAMIC_SHARED) return ERR_INVALID_VALUE;
    if (value < 0 || value + f->static_shared() > BLOCK_SHARED_OPTIN) {
        complain("cuFuncSetAttribute", std::string(f->info->name) + ": " + std::to_string(value)
                 + " bytes of dynamic shared memory plus the static ones exceed the opt-in limit");
        return ERR_INVALID_VALUE;
    }
    f->max_dynamic_shared = value;
    return OK;
}

CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int *blocks, FakeFunction *f, int threads, size_t dynamic_shared) {
    NEED_CONTEXT();
    if (f == nullptr) return ERR_INVALID_HANDLE;
    if (threads <= 0 || threads > f->max_threads()) return ERR_INVALID_VALUE;
    *blocks = occupancy(f, threads, dynamic_shared);
    return OK;
}

CUresult cuLaunchKernel(FakeFunction *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, FakeStream *stream, void **params, void **extra) {
    NEED_CONTEXT();
    launch_attempts++;
    FAIL_ON_REQUEST(FAIL_LAUNCH);
    if (f == nullptr || !known_stream(stream)) return ERR_INVALID_HANDLE;
    const std::string name = f->info->name;
    if (f->owner != current_context) {
        complain("cuLaunchKernel", name + ": a function of another device's context");
        return ERR_INVALID_HANDLE;
    }
    if (extra != nullptr || params == nullptr) {
        complain("cuLaunchKernel", name + ": only kernelParams are emulated");
        return ERR_NOT_SUPPORTED;
    }
    if (gy != 1 || gz != 1 || by != 1 || bz != 1) {
        complain("cuLaunchKernel", name + ": only one-dimensional grids and blocks are emulated");
        return ERR_NOT_SUPPORTED;
    }
    if (gx == 0 || bx == 0 || (int)bx > f->max_threads()) {
        complain("cuLaunchKernel", name + ": " + std::to_string(gx) + " blocks of " + std::to_string(bx)
                 + " threads (at most " + std::to_string(f->max_threads()) + ")");
        return ERR_INVALID_VALUE;
    }
    if ((int)shared > f->max_dynamic_shared) {
        complain("cuLaunchKernel", name + ": " + std::to_string(shared) + " bytes of dynamic shared memory, "
                 + std::to_string(f->max_dynamic_shared) + " allowed");
        return ERR_INVALID_VALUE;
    }
    std::function<void()> call = f->info->bind(params);
    if (!call) {
        complain("cuLaunchKernel", name + ": a pointer argument is outside every device allocation");
        return ERR_INVALID_VALUE;
    }
    long before = launches_before_fault.load();
    const bool fault = before > 0 && launches_before_fault.compare_exchange_strong(before, before - 1) && before == 1;
    FakeContext *ctx = current_context;
    enqueue(stream, [gx, bx, shared, call, fault, ctx] {
        if (fault) {
            ctx->sticky = ERR_LAUNCH_FAILED;
            return;
        }
        std::lock_guard<std::mutex> g(kernel_lock);
        emu_dynamic_shared_bytes = shared;   /* a block writing past it stops the emulator */
        emu_launch(gx, bx, call);
        emu_dynamic_shared_bytes = (size_t)-1;
    });
    return OK;
}

}   /* extern "C" */
