package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.AlignmentResult;

/**
 * One launch of {@code banded_align.cu} over a group of pairs. Everything goes on one stream
 * and the host waits only where it must:
 * <ol>
 *   <li>the scores, in chunks of about {@link LaunchLayout#CHUNK_BYTES}: each chunk is copied
 *       into pinned memory by {@link HostCopy} (several threads) and its DMA is queued at once,
 *       so the host fills chunk c + 1 while chunk c crosses the bus; then the descriptors;</li>
 *   <li>{@code banded_forward_backward} and/or {@code banded_viterbi} (one block per pair), or
 *       for a launch of few pairs {@code banded_alpha_beta} then {@code banded_marginals} (the
 *       kernel's SPLIT note), between two timing events;</li>
 *   <li>log Z and the Viterbi outputs, then the marginals in the same chunks, each followed by
 *       an event; the host copies chunk c out into the result arrays as soon as its event
 *       fires, while chunk c + 1 is still in flight.</li>
 * </ol>
 * Device buffers live for one launch; the pinned staging buffer is reused (the downloads land
 * where the scores were, which the stream orders after the kernels). One launch context: a
 * stream, its events and its staging; not thread-safe, so {@link CudaAligner} gives each launch
 * in flight its own.
 */
final class BandedAlignKernels {
    /** Largest pinned staging buffer (a ByteBuffer's limit). */
    static final long MAX_STAGING = Integer.MAX_VALUE - 8;
    /**
     * Largest pinned staging buffer a launch that needs no more keeps: what the launches
     * CudaAligner packs can need ({@link CudaAligner#GROUP_STAGING}; their descriptors and paths
     * are counted in it). A buffer grown past it for a large pair (up to {@link #MAX_STAGING}) is
     * kept while large pairs follow one another (pinning and freeing synchronise the device, and
     * pinning gigabytes takes a while), and given back at the first launch that needs no more
     * than this: an executor does not hold gigabytes of pinned memory, outside its heap and
     * counted against its container, for the rest of its life because of a few outliers.
     */
    static final long RETAINED_STAGING = CudaAligner.GROUP_STAGING;
    /** System property overriding {@link #RETAINED_STAGING}, in bytes (a tuning knob; the tests lower it). */
    static final String RETAINED_STAGING_PROPERTY = "bandalign.cuda.retainedStaging";
    /** Shared memory a block may use without opting in. */
    private static final int DEFAULT_SHARED = 48 * 1024;
    /** Alignment of each buffer carved out of the device arena. */
    private static final long DEVICE_ALIGN = 256;

    /** System property choosing the forward-backward variant: auto (default), always, never. */
    static final String PREFETCH_PROPERTY = "bandalign.cuda.prefetch";
    /** System property choosing the split forward-backward (alpha and beta apart): auto (default), always, never. */
    static final String SPLIT_PROPERTY = "bandalign.cuda.split";
    /**
     * System property: true runs banded_forward_backward_regcap (64 registers, 4 blocks of up to
     * 256 threads an SM) wherever the plain or prefetching variant would run; an experiment for
     * the GPU benchmark, off by default.
     */
    static final String REGCAP_PROPERTY = "bandalign.cuda.regcap";
    /**
     * System property choosing threads per block (by forward-backward's occupancy, or by
     * Viterbi's for launches of the max semiring alone): widest (default: the
     * widest anti-diagonal in whole warps, up to the limit) or fill (the fewest whole warps
     * that keep as many warps resident on each SM as widest does, by the driver's occupancy
     * for the launch's registers and shared memory). Every warp of a block pays about 80
     * instructions an anti-diagonal for its bookkeeping, cells or not (sm_90 SASS), against
     * about 350 a cell; fewer warps a block, each taking several cells an anti-diagonal, cut
     * that overhead at the same occupancy (4096 pairs of 200 x 200: 4 warps a block instead
     * of 7 on an H100 or H200, both 28 resident warps an SM). With few pairs a launch, fewer
     * warps would mean fewer resident warps, so fill keeps the widest blocks. An experiment
     * for the GPU benchmark until it is measured.
     */
    static final String THREADS_PROPERTY = "bandalign.cuda.threads";
    /** Every kernel of banded_align.cu this class may launch. */
    static final List<String> KERNELS = List.of("banded_forward_backward", "banded_forward_backward_prefetch",
            "banded_forward_backward_regcap", "banded_alpha_beta", "banded_alpha_beta_global", "banded_marginals",
            "banded_viterbi", "banded_viterbi_global");
    /** Blocks per SM the split variant's marginal kernel aims for in all (its slices per pair follow). */
    private static final int MARGINAL_BLOCKS_PER_SM = 16;

    private final CudaDevice device;
    private final CUfunction forwardBackward;
    private final CUfunction forwardBackwardPrefetch;
    private final CUfunction viterbi;
    /** banded_viterbi with its rolling state in global memory (the kernels' ROLL SPACE note). */
    private final CUfunction viterbiGlobal;
    private final CUfunction alphaBeta;
    /** banded_alpha_beta with its rolling state in global memory. */
    private final CUfunction alphaBetaGlobal;
    private final CUfunction marginalsKernel;
    /** banded_forward_backward_regcap, when {@value #REGCAP_PROPERTY} asks for it; else null. */
    private final CUfunction forwardBackwardRegcap;
    private final int regcapMaxThreads;
    private final String prefetchPolicy;
    private final String splitPolicy;
    private final boolean fillThreads;
    /** Static shared memory of banded_viterbi, as the driver reports it for the loaded binary. */
    private final int viterbiStaticShared;
    /**
     * The most static shared memory of the forward-backward kernels (plain, prefetch, split,
     * regcap), as the driver reports it: the sources declare none, but the CUDA 13 sm_90 and
     * newer cubins carry a 1 KB reserved section, which a driver may count.
     */
    private final int fbStaticShared;
    /** Most threads per block: the configured limit, within what both loaded kernels can launch. */
    private final int maxThreads;
    /** Made by the constructor, in this order (null where it failed before: see {@link DriverHandles}). */
    private final CUstream stream;
    private final CUevent kernelStart;
    private final CUevent kernelStop;
    /** Recorded after a launch's last download: the host sleeps on it rather than spin on the stream. */
    private final CUevent launchDone;
    /** One event per marginal chunk in flight, recorded after its download. */
    private final List<CUevent> chunkEvents = new ArrayList<>();
    private PinnedBuffer staging;
    /** The staging buffer's size, for {@link #stagingBytes()} from other threads; 0 without one. */
    private volatile long stagingHeld;
    private final long retainedStaging = retainedStaging();
    /**
     * Device memory for every buffer of a launch, carved at aligned offsets; kept between
     * launches and only grown, because cuMemAlloc and cuMemFree synchronise the device and would
     * stall the other launch in flight.
     */
    private DeviceBuffer arena;
    /** False once a launch failed in a way that may leave work queued on the stream. */
    private boolean usable = true;
    private long splitRedone;
    /** Milliseconds spent in kernels (forward-backward and Viterbi) since this object was made. */
    private double kernelMillis;
    /** Launches by the kernels they ran and their block size (see {@link CudaAligner#launchesByKernels()}). */
    private final Map<String, Long> launches = new TreeMap<>();
    /** Launches of several pairs whose device buffers came to more than the budget they were planned under. */
    private long overBudget;

    BandedAlignKernels(CudaDevice device, KernelModule module) {
        this.device = device;
        device.makeCurrent();   // may be made on any task thread
        this.forwardBackward = module.function("banded_forward_backward");
        this.forwardBackwardPrefetch = module.function("banded_forward_backward_prefetch");
        this.viterbi = module.function("banded_viterbi");
        this.viterbiGlobal = module.function("banded_viterbi_global");
        this.alphaBeta = module.function("banded_alpha_beta");
        this.alphaBetaGlobal = module.function("banded_alpha_beta_global");
        this.marginalsKernel = module.function("banded_marginals");
        this.forwardBackwardRegcap = Boolean.getBoolean(REGCAP_PROPERTY) ? module.function("banded_forward_backward_regcap") : null;
        this.prefetchPolicy = policy(PREFETCH_PROPERTY);
        this.splitPolicy = policy(SPLIT_PROPERTY);
        String threadsPolicy = System.getProperty(THREADS_PROPERTY, "widest");
        if (!List.of("widest", "fill").contains(threadsPolicy)) {
            throw new IllegalArgumentException(THREADS_PROPERTY + " must be widest or fill, not " + threadsPolicy);
        }
        this.fillThreads = threadsPolicy.equals("fill");
        try {
            // Non-blocking: no implicit waits on the legacy default stream other code may use.
            this.stream = DriverHandles.stream(CUstream_flags.CU_STREAM_NON_BLOCKING);
            // The events host threads wait on block them rather than spin: the host copies the
            // results out on the same cores (a spinning wait holds one at 100% for a whole launch).
            this.kernelStart = DriverHandles.event(0);
            this.kernelStop = DriverHandles.event(CUevent_flags.CU_EVENT_BLOCKING_SYNC);
            this.launchDone = DriverHandles.event(CUevent_flags.CU_EVENT_DISABLE_TIMING | CUevent_flags.CU_EVENT_BLOCKING_SYNC);
            int[] value = new int[1];
            check(JCudaDriver.cuFuncGetAttribute(value, CUfunction_attribute.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, viterbi),
                    "cuFuncGetAttribute(banded_viterbi static shared memory)");
            this.viterbiStaticShared = value[0];
            int launchable = Integer.MAX_VALUE;
            for (CUfunction f : new CUfunction[] {forwardBackward, forwardBackwardPrefetch, viterbi, viterbiGlobal, alphaBeta,
                alphaBetaGlobal, marginalsKernel}) {
                launchable = Math.min(launchable, maxThreadsPerBlock(f));
            }
            int wanted = Integer.getInteger(LaunchLayout.MAX_THREADS_PROPERTY, LaunchLayout.MAX_THREADS);
            this.maxThreads = Math.max(32, Math.min(wanted, launchable) / 32 * 32);
            // Allow the most dynamic shared memory once, for good: setting it per launch would
            // race with launches of other contexts on the same function.
            int optIn = Math.max(DEFAULT_SHARED, device.sharedMemoryOptIn);
            // (the regcap kernel is left out of the block limit: it is taken only for blocks it can launch)
            this.regcapMaxThreads = forwardBackwardRegcap == null ? 0 : maxThreadsPerBlock(forwardBackwardRegcap);
            // (the layouts add the largest static size of these to their dynamic shared memory
            // when they decide whether the rolling state fits: DeviceLayout, fillThreads)
            int fbStatic = 0;
            for (CUfunction f : forwardBackwardRegcap == null ? new CUfunction[] {forwardBackward, forwardBackwardPrefetch, alphaBeta}
                    : new CUfunction[] {forwardBackward, forwardBackwardPrefetch, alphaBeta, forwardBackwardRegcap}) {
                check(JCudaDriver.cuFuncGetAttribute(value, CUfunction_attribute.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f),
                        "cuFuncGetAttribute(static shared memory)");
                fbStatic = Math.max(fbStatic, value[0]);
                check(JCudaDriver.cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                        optIn - value[0]), "cuFuncSetAttribute(banded_forward_backward shared memory)");
            }
            this.fbStaticShared = fbStatic;
            check(JCudaDriver.cuFuncSetAttribute(viterbi,
                    CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, optIn - viterbiStaticShared),
                    "cuFuncSetAttribute(banded_viterbi shared memory)");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** A variant policy from system property {@code key}: auto (the default), always or never. */
    private static String policy(String key) {
        String value = System.getProperty(key, "auto");
        if (!List.of("auto", "always", "never").contains(value)) {
            throw new IllegalArgumentException(key + " must be auto, always or never, not " + value);
        }
        return value;
    }

    /**
     * Whether this launch takes the split forward-backward: in auto mode, when twice its blocks
     * are all resident at once (so the beta blocks run beside the forward ones, and the GPU has
     * room the one-block-a-pair kernel would leave idle) and its extra device memory fits the
     * budget.
     */
    private boolean split(int blocks, int threads, int sharedBytes, boolean fitsBudget, boolean inShared) {
        if (!splitPolicy.equals("auto")) {
            return splitPolicy.equals("always");
        }
        return fitsBudget && 2L * blocks <= residentBlocks(inShared ? alphaBeta : alphaBetaGlobal, threads, sharedBytes);
    }

    /** How many blocks of {@code f} the whole device holds at once. */
    private long residentBlocks(CUfunction f, int threads, int sharedBytes) {
        int[] perSm = new int[1];
        check(JCudaDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor(perSm, f, threads, sharedBytes),
                "cuOccupancyMaxActiveBlocksPerMultiprocessor");
        return (long) perSm[0] * device.multiprocessors;
    }

    /**
     * Whether this launch takes the prefetching forward-backward: in auto mode, when every block
     * is resident at once even at that variant's occupancy (its extra registers then cost
     * nothing, and exposed memory latency is what limits few, long blocks); with more blocks
     * than that, the plain variant's extra resident blocks hide latency instead.
     */
    private boolean prefetch(int blocks, int threads, int sharedBytes) {
        if (!prefetchPolicy.equals("auto")) {
            return prefetchPolicy.equals("always");
        }
        return residentBlocks(forwardBackwardPrefetch, threads, sharedBytes) >= blocks;
    }

    /**
     * The fill policy's threads per block for a launch of {@code blocks} blocks whose widest
     * policy would take {@code widestThreads}: the fewest whole warps whose resident warps per
     * SM (at most the launch's blocks spread over the SMs, each {@code blocksPerSm(threads)}
     * at most) are as many as widest's.
     */
    static int fillThreads(int blocks, int widestThreads, int multiprocessors, java.util.function.IntUnaryOperator blocksPerSm) {
        long perSm = (Math.max(1, blocks) + multiprocessors - 1) / multiprocessors;
        java.util.function.IntToLongFunction residentWarps = t -> Math.min(blocksPerSm.applyAsInt(t), perSm) * (t / 32);
        long want = residentWarps.applyAsLong(widestThreads);
        for (int t = 32; t < widestThreads && want > 0; t += 32) {
            if (residentWarps.applyAsLong(t) >= want) {
                return t;
            }
        }
        return widestThreads;
    }

    /**
     * Threads per block for a launch of {@code group} under the fill policy, by the occupancy of
     * forward-backward ({@code log}: the log semiring, alone or with Viterbi) or of Viterbi alone,
     * with the dynamic shared memory DeviceLayout would give it.
     */
    private int fillThreads(List<PreparedPair> group, boolean log) {
        int widest = 1;
        for (PreparedPair p : group) {
            widest = Math.max(widest, p.maxRows);
        }
        int widestThreads = Math.min(maxThreads, Math.max(32, (widest + 31) / 32 * 32));
        int rollLen = widest + 4;   // as LaunchLayout
        int limit = device.kernelSharedLimit();
        return fillThreads(group.size(), widestThreads, device.multiprocessors, t -> {
            CUfunction f;
            long shared;
            if (log) {   // the rolling state in shared memory if it fits, then the reduction scratch
                f = forwardBackward;
                shared = fbRollBytes(rollLen) + fbScratchBytes(t);
                shared = shared + fbStaticShared <= limit ? shared : fbScratchBytes(t);
            } else {
                long roll = vitRollBytes(rollLen);
                boolean inShared = roll + vitScratchBytes(t) + viterbiStaticShared <= limit;
                f = inShared ? viterbi : viterbiGlobal;
                shared = (inShared ? roll : 0) + vitScratchBytes(t);
            }
            int[] perSm = new int[1];
            check(JCudaDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor(perSm, f, t, shared),
                    "cuOccupancyMaxActiveBlocksPerMultiprocessor");
            return perSm[0];
        });
    }

    /**
     * The longest rolling anti-diagonal that every kernel {@code options} runs keeps in shared
     * memory at any block size (up to 1024 threads), under a per-block limit of {@code limit}
     * bytes and the static shared memory the driver reports for the forward-backward kernels
     * ({@code fbStatic}) and banded_viterbi ({@code viterbiStatic}); 0 when none fits.
     */
    static int sharedRollLen(AlignOptions options, int limit, int fbStatic, int viterbiStatic) {
        long len = Integer.MAX_VALUE;
        if (options.semiring().computesLog()) {
            len = Math.min(len, (limit - fbStatic - fbScratchBytes(1024)) / fbRollBytes(1));
        }
        if (options.semiring().computesMax()) {
            len = Math.min(len, (limit - viterbiStatic - vitScratchBytes(1024)) / vitRollBytes(1));
        }
        return (int) Math.max(0, len);
    }

    /** Static shared memory of the forward-backward kernels, the most of the four. */
    int fbStaticShared() {
        return fbStaticShared;
    }

    /** Static shared memory of banded_viterbi. */
    int viterbiStaticShared() {
        return viterbiStaticShared;
    }

    /** Forward-backward's rolling state: 12 doubles a slot (alpha: 3, flows: 3 kinds x 3 anti-diagonals). */
    private static long fbRollBytes(int rollLen) {
        return 12L * 8 * rollLen;
    }

    /** Forward-backward's reduction scratch in dynamic shared memory: a double a thread. */
    private static long fbScratchBytes(int threads) {
        return 8L * threads;
    }

    /** Viterbi's rolling state: 3 doubles a slot (scores of t, t-1, t-2). */
    private static long vitRollBytes(int rollLen) {
        return 3L * 8 * rollLen;
    }

    /** Viterbi's reduction scratch in dynamic shared memory: a double and two ints a thread. */
    private static long vitScratchBytes(int threads) {
        return 16L * threads;
    }

    /** The largest block {@code f} can launch with (its registers decide). */
    private static int maxThreadsPerBlock(CUfunction f) {
        int[] value = new int[1];
        check(JCudaDriver.cuFuncGetAttribute(value, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f),
                "cuFuncGetAttribute(max threads per block)");
        return value[0];
    }

    /** Whether this context may take another launch (false after a failure mid-launch). */
    boolean isUsable() {
        return usable;
    }

    /** Total kernel time so far, in milliseconds (CUDA events around each launch). */
    synchronized double kernelMillis() {
        return kernelMillis;
    }

    /**
     * Aligns a group of checked pairs in one launch; results in the group's order. {@code budget}:
     * the device bytes the launch may use (the split variant is taken only within it).
     */
    List<AlignmentResult> run(List<PreparedPair> group, AlignOptions options, long budget, boolean lean) {
        device.makeCurrent();
        int limit = fillThreads ? fillThreads(group, options.semiring().computesLog()) : maxThreads;
        LaunchLayout launch = new LaunchLayout(group, options, LaunchLayout.CHUNK_BYTES, limit);
        ByteBuffer host = staging(launch.stagingBytes);
        DeviceLayout d = new DeviceLayout(launch, options, budget, lean);
        if (group.size() > 1 && d.bytes > budget) {
            synchronized (this) {
                overBudget++;   // the planner (CudaAligner.groups) counted too few bytes: see launchesOverBudget
            }
        }
        CUdeviceptr base = arena(d.bytes);
        boolean queued = false;
        try {
            queued = true;
            upload(launch, d, base, host);
            float[][] marginals;
            try {
                launchKernels(launch, d, base);
                marginals = download(launch, d, base, host);
                check(JCudaDriver.cuEventRecord(launchDone, stream), "cuEventRecord");
                check(JCudaDriver.cuEventSynchronize(launchDone), d.kernels());
                check(JCudaDriver.cuStreamSynchronize(stream), d.kernels());   // (done already: returns at once)
            } catch (CudaException e) {
                throw e.whileRunning(d.kernels());
            }
            queued = false;
            addKernelTime(d.kernels() + " (" + launch.threads + " threads"
                    + ((d.log && !d.fbInShared) || (d.max && !d.vitInShared) ? ", rolling state in global memory" : "") + ")");
            int[] bad = launch.badScores(host);
            List<AlignmentResult> results = launch.results(bad, d.log ? launch.logZ(host) : null, marginals,
                    d.max ? launch.paths(host, bad) : null);
            return d.split ? alignedAgain(results, group, options, budget) : results;
        } finally {
            if (queued) {
                // Failed mid-launch: let queued copies and kernels finish before the staging
                // buffer or the arena is used again, or retire this context if even that fails.
                if (JCudaDriver.cuStreamSynchronize(stream) != CUresult.CUDA_SUCCESS) {
                    usable = false;
                }
            }
        }
    }

    /**
     * {@code results} with each pair the split variant left without a result (marked
     * {@link LaunchLayout#IMPRECISE}: its alpha or beta too large for the split's marginals to
     * stay exact) aligned again in one launch without the split.
     */
    private List<AlignmentResult> alignedAgain(List<AlignmentResult> results, List<PreparedPair> group, AlignOptions options,
                                               long budget) {
        List<Integer> again = new java.util.ArrayList<>();
        for (int k = 0; k < results.size(); k++) {
            if (results.get(k) == null) {
                again.add(k);
            }
        }
        if (again.isEmpty()) {
            return results;
        }
        synchronized (this) {
            splitRedone += again.size();
        }
        List<AlignmentResult> redone = run(again.stream().map(group::get).toList(), options, budget, true);
        for (int k = 0; k < again.size(); k++) {
            results.set(again.get(k), redone.get(k));
        }
        return results;
    }

    /** Pairs aligned again without the split variant, whose marginals it could not keep exact. */
    synchronized long splitRedone() {
        return splitRedone;
    }

    static long retainedStaging() {
        String value = System.getProperty(RETAINED_STAGING_PROPERTY);
        try {
            long bytes = value == null ? RETAINED_STAGING : Long.parseLong(value.trim());
            if (bytes >= 0) {
                return bytes;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(RETAINED_STAGING_PROPERTY + " must be a number of bytes, not " + value);
    }

    /** Bytes of pinned staging this context holds between launches. */
    long stagingBytes() {
        return stagingHeld;
    }

    /** Where each device buffer of a launch lives in the arena; -1 for one the launch does not use. */
    private final class DeviceLayout {
        final boolean log;
        final boolean max;
        /** Rolling state of the kernels in shared memory (else in global scratch). */
        final boolean fbInShared;
        final boolean vitInShared;
        final long fbShared;
        /** Dynamic shared memory of the forward-backward kernel(s). */
        final int fbSharedBytes;
        /** The forward-backward variant: split (alpha and beta apart), else register-capped, prefetching or plain. */
        final boolean split;
        final boolean regcap;
        final boolean prefetch;
        final long vitRoll;
        /** Dynamic shared bytes of banded_viterbi's reductions, after its rolling state (when that is in shared memory). */
        final long vitScratch;
        final long desc;
        final long scores;
        final long out;
        final long alpha;
        final long beta;
        final long logZ;
        final long rollFb;
        final long back;
        /** Viterbi best (8 bytes a pair), end cells (8), step counts (4). */
        final long vit;
        /** First bad score of each pair, INT_MAX for none. */
        final long bad;
        final long path;
        final long rollVit;
        final long bytes;
        private long at;

        /** {@code lean}: never the split forward-backward (after the device ran out of memory). */
        DeviceLayout(LaunchLayout launch, AlignOptions options, long budget, boolean lean) {
            int count = launch.count;
            log = options.semiring().computesLog();
            max = options.semiring().computesMax();
            int optIn = device.kernelSharedLimit();
            fbShared = fbRollBytes(launch.rollLen) + fbScratchBytes(launch.threads);
            fbInShared = fbShared + fbStaticShared <= optIn;
            fbSharedBytes = (int) (fbInShared ? fbShared : fbScratchBytes(launch.threads));
            vitRoll = vitRollBytes(launch.rollLen);
            vitScratch = vitScratchBytes(launch.threads);
            vitInShared = vitRoll + vitScratch + viterbiStaticShared <= optIn;
            desc = carve(8L * launch.desc.length);
            scores = carve(4 * launch.scoreFloats);
            out = log ? carve(4 * launch.outFloats) : -1;
            alpha = log ? carve(8 * launch.cells) : -1;
            logZ = log ? carve(8L * count) : -1;
            back = max ? carve(launch.cells) : -1;
            vit = max ? carve(20L * count) : -1;
            bad = carve(4L * count);
            path = max ? carve(launch.pathBytes) : -1;
            rollVit = max && !vitInShared ? carve(vitRoll * count) : -1;
            // Last, as the variant decides their sizes: the split one has beta too, and two
            // blocks a pair that each need rolling scratch when it is not in shared memory.
            long rollPerPair = fbInShared ? 0 : fbRollBytes(launch.rollLen);
            long splitExtra = align(8 * launch.cells) + (fbInShared ? 0 : align(2 * rollPerPair * count));
            split = log && !lean && split(count, launch.threads, fbSharedBytes, at + splitExtra <= budget, fbInShared);
            regcap = log && !split && forwardBackwardRegcap != null && launch.threads <= regcapMaxThreads;
            prefetch = log && !split && !regcap && prefetch(count, launch.threads, fbSharedBytes);
            beta = split ? carve(8 * launch.cells) : -1;
            rollFb = log && !fbInShared ? carve(rollPerPair * count * (split ? 2 : 1)) : -1;
            bytes = at;
        }

        /** The kernels this launch runs, for error messages. */
        String kernels() {
            String fb = split ? (fbInShared ? "banded_alpha_beta" : "banded_alpha_beta_global") + ", banded_marginals"
                    : regcap ? "banded_forward_backward_regcap"
                    : prefetch ? "banded_forward_backward_prefetch" : "banded_forward_backward";
            String vit = vitInShared ? "banded_viterbi" : "banded_viterbi_global";
            return log && max ? fb + ", " + vit : log ? fb : vit;
        }

        private long align(long size) {
            return (Math.max(size, 8) + DEVICE_ALIGN - 1) / DEVICE_ALIGN * DEVICE_ALIGN;
        }

        /** Reserves {@code size} bytes at the next aligned offset; returns the offset. */
        private long carve(long size) {
            long offset = at;
            at = offset + align(size);
            return offset;
        }
    }

    /** Queues the uploads: chunk c is copied into pinned memory while the DMA of chunk c - 1 runs. */
    private void upload(LaunchLayout launch, DeviceLayout d, CUdeviceptr base, ByteBuffer host) {
        HostCopy copy = HostCopy.shared();
        for (int c = 0; c < launch.chunkCount(); c++) {
            launch.packScores(copy, host, c);
            long off = launch.scoreOffset(c);
            long len = launch.scoreOffset(c + 1) - off;
            check(JCudaDriver.cuMemcpyHtoDAsync(base.withByteOffset(d.scores + off), staging.ptr.withByteOffset(off), len,
                    stream), "cuMemcpyHtoDAsync(scores)");
        }
        launch.putDescriptors(host);
        check(JCudaDriver.cuMemcpyHtoDAsync(base.withByteOffset(d.desc), staging.ptr.withByteOffset(launch.descOffset),
                8L * launch.desc.length, stream), "cuMemcpyHtoDAsync(descriptors)");
    }

    /** Queues the kernels of the launch between the two timing events. */
    private void launchKernels(LaunchLayout launch, DeviceLayout d, CUdeviceptr base) {
        int count = launch.count;
        check(JCudaDriver.cuMemsetD32Async(base.withByteOffset(d.bad), Integer.MAX_VALUE, count, stream),
                "cuMemsetD32Async(bad-score flags)");
        if (d.log && !launch.outputCovered) {
            // Slots outside a pair's band are never written by the kernels: they must read 0.
            // (Where every pair is aligned over its whole grid, every slot is written, and
            // clearing them first would cost 12 of the 64 bytes a cell the device moves.)
            check(JCudaDriver.cuMemsetD8Async(base.withByteOffset(d.out), (byte) 0, 4 * launch.outFloats, stream),
                    "cuMemsetD8Async(marginals)");
        }
        check(JCudaDriver.cuEventRecord(kernelStart, stream), "cuEventRecord");   // (kernel time: the kernels only)
        if (d.log) {
            if (d.split) {
                launch(d.fbInShared ? alphaBeta : alphaBetaGlobal, 2 * count, launch.threads, d.fbSharedBytes,
                        d.fbInShared ? "banded_alpha_beta" : "banded_alpha_beta_global",
                        param(base, d.desc), param(base, d.scores), param(base, d.alpha), param(base, d.beta),
                        param(base, d.logZ), param(base, d.rollFb), param(base, d.bad), Pointer.to(new int[] {count}));
                int diagonals = 1;
                for (PreparedPair p : launch.group) {
                    diagonals = Math.max(diagonals, p.geometry.n() + p.geometry.m() - 1);
                }
                int slices = marginalSlices(count, device.multiprocessors, diagonals);
                launch(marginalsKernel, count * slices, launch.threads, 8 * launch.threads, "banded_marginals",
                        param(base, d.desc), param(base, d.scores), param(base, d.out), param(base, d.alpha),
                        param(base, d.beta), param(base, d.logZ), param(base, d.bad), Pointer.to(new int[] {slices}));
            } else {
                CUfunction fb = d.regcap ? forwardBackwardRegcap : d.prefetch ? forwardBackwardPrefetch : forwardBackward;
                launch(fb, count, launch.threads, d.fbSharedBytes, "banded_forward_backward",
                        param(base, d.desc), param(base, d.scores), param(base, d.out), param(base, d.alpha),
                        param(base, d.logZ), param(base, d.rollFb), param(base, d.bad));
            }
        }
        if (d.max) {
            launch(d.vitInShared ? viterbi : viterbiGlobal, count, launch.threads,
                    (int) (d.vitInShared ? d.vitRoll + d.vitScratch : d.vitScratch),
                    d.vitInShared ? "banded_viterbi" : "banded_viterbi_global",
                    param(base, d.desc), param(base, d.scores), param(base, d.back), param(base, d.vit),
                    param(base, d.vit + 8L * count), param(base, d.vit + 16L * count), param(base, d.path),
                    param(base, d.rollVit), param(base, d.bad));
        }
        check(JCudaDriver.cuEventRecord(kernelStop, stream), "cuEventRecord");
    }

    /**
     * Blocks per pair of the split variant's marginal kernel: enough that the launch has about
     * {@value #MARGINAL_BLOCKS_PER_SM} blocks an SM, but no more than the longest pair's
     * anti-diagonals (a pair's slices past its last anti-diagonal return at once).
     */
    static int marginalSlices(int pairs, int multiprocessors, int diagonals) {
        long want = (long) MARGINAL_BLOCKS_PER_SM * multiprocessors;
        return (int) Math.max(1, Math.min(diagonals, (want + pairs - 1) / pairs));
    }

    /**
     * Queues the downloads, small outputs first, then the marginals chunk by chunk, each chunk
     * followed by an event, and copies chunk c out into the result arrays as soon as it has
     * landed, while chunk c + 1 is still in flight. Returns the marginals (null without log).
     */
    private float[][] download(LaunchLayout launch, DeviceLayout d, CUdeviceptr base, ByteBuffer host) {
        int count = launch.count;
        download(launch.badOffset, base, d.bad, 4L * count, "bad-score flags");
        if (d.log) {
            download(launch.logZOffset, base, d.logZ, 8L * count, "log Z");
        }
        if (d.max) {
            download(launch.bestOffset, base, d.vit, 20L * count, "Viterbi ends");
            download(launch.pathOffset, base, d.path, launch.pathBytes, "Viterbi paths");
        }
        if (!d.log) {
            return null;
        }
        for (int c = 0; c < launch.chunkCount(); c++) {
            long off = launch.marginalOffset(c);
            download(off, base, d.out + off, launch.marginalOffset(c + 1) - off, "marginals");
            check(JCudaDriver.cuEventRecord(chunkEvent(c), stream), "cuEventRecord");
        }
        check(JCudaDriver.cuEventSynchronize(kernelStop), d.kernels());
        float[][] marginals = new float[count][];
        HostCopy copy = HostCopy.shared();
        for (int c = 0; c < launch.chunkCount(); c++) {
            check(JCudaDriver.cuEventSynchronize(chunkEvent(c)), "cuMemcpyDtoHAsync(marginals)");
            launch.unpackMarginals(copy, host, c, marginals);
        }
        return marginals;
    }

    /**
     * Frees the arena (of an idle context: nothing of it is queued), so that another context's
     * launch can have the memory; the next launch here allocates again. Returns the bytes freed.
     */
    long releaseArena() {
        if (arena == null) {
            return 0;
        }
        device.makeCurrent();
        long bytes = arena.bytes;
        arena.close();
        arena = null;
        return bytes;
    }

    /**
     * Frees the pinned staging (of an idle context: nothing of it is queued), so that another
     * context's launch can pin what it needs; the next launch here pins again. Returns the bytes freed.
     */
    long releaseStaging() {
        if (staging == null) {
            return 0;
        }
        device.makeCurrent();
        long bytes = staging.bytes;
        staging.close();
        staging = null;
        stagingHeld = 0;
        return bytes;
    }

    /** The arena, grown to at least {@code bytes} (with an eighth to spare, so it seldom grows). */
    private CUdeviceptr arena(long bytes) {
        if (arena == null || arena.bytes < bytes) {
            if (arena != null) {
                arena.close();   // free first: the device may not hold both
                arena = null;
            }
            try {
                arena = new DeviceBuffer(bytes + bytes / 8);
            } catch (CudaException e) {
                if (!e.isOutOfMemory()) {
                    throw e;
                }
                arena = new DeviceBuffer(bytes);   // no room to spare: exactly what this launch needs
            }
        }
        return arena.ptr;
    }

    private void download(long hostOffset, CUdeviceptr base, long deviceOffset, long bytes, String what) {
        check(JCudaDriver.cuMemcpyDtoHAsync(staging.ptr.withByteOffset(hostOffset), base.withByteOffset(deviceOffset),
                bytes, stream), "cuMemcpyDtoHAsync(" + what + ")");
    }

    /** A kernel parameter: the arena address at {@code offset}, or a null pointer for -1. */
    private static Pointer param(CUdeviceptr base, long offset) {
        return Pointer.to(offset < 0 ? new CUdeviceptr() : base.withByteOffset(offset));
    }

    private void launch(CUfunction f, int blocks, int threads, int sharedBytes, String name, Pointer... args) {
        check(JCudaDriver.cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, sharedBytes, stream, Pointer.to(args), null),
                "cuLaunchKernel(" + name + ")");
    }

    private void addKernelTime(String choice) {
        float[] ms = new float[1];
        check(JCudaDriver.cuEventElapsedTime(ms, kernelStart, kernelStop), "cuEventElapsedTime");
        synchronized (this) {
            kernelMillis += ms[0];
            launches.merge(choice, 1L, Long::sum);
        }
    }

    /** Launches so far by kernels and block size. */
    synchronized Map<String, Long> launches() {
        return new TreeMap<>(launches);
    }

    /** Launches so far of several pairs that needed more device bytes than their budget. */
    synchronized long launchesOverBudget() {
        return overBudget;
    }

    /** The event recorded after chunk {@code c}'s download (made on first use, kept for reuse). */
    private CUevent chunkEvent(int c) {
        while (chunkEvents.size() <= c) {
            chunkEvents.add(DriverHandles.event(CUevent_flags.CU_EVENT_DISABLE_TIMING | CUevent_flags.CU_EVENT_BLOCKING_SYNC));
        }
        return chunkEvents.get(c);
    }

    /**
     * The staging buffer for a launch of {@code bytes}: the one kept, grown where it is smaller,
     * or, where it was grown past {@link #RETAINED_STAGING} for large pairs and this launch needs
     * no more than that, a smaller one in its place (nothing is queued on it between launches).
     */
    private ByteBuffer staging(long bytes) {
        if (staging != null && staging.bytes > retainedStaging && bytes <= retainedStaging) {
            staging.close();   // free first: the smaller one then surely fits
            staging = null;
            stagingHeld = 0;
        }
        if (staging == null || staging.bytes < bytes) {
            if (bytes > MAX_STAGING) {
                throw new CudaException("staging buffer of " + bytes + " bytes", jcuda.driver.CUresult.CUDA_ERROR_OUT_OF_MEMORY);
            }
            PinnedBuffer bigger = new PinnedBuffer(Math.max(bytes, 1 << 20));   // allocate first: on failure the old one stays valid
            if (staging != null) {
                staging.close();
            }
            staging = bigger;
            stagingHeld = bigger.bytes;
        }
        return staging.buffer;
    }

    void close() {
        if (staging != null) {
            staging.close();
            stagingHeld = 0;
        }
        if (arena != null) {
            arena.close();
        }
        chunkEvents.forEach(DriverHandles::destroy);
        DriverHandles.destroy(kernelStart);
        DriverHandles.destroy(kernelStop);
        DriverHandles.destroy(launchDone);
        DriverHandles.destroy(stream);
    }
}
