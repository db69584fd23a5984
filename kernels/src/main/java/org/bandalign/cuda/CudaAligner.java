package org.bandalign.cuda;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.JCudaDriver;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Pair;
import org.bandalign.align.PairChecks;

/**
 * The CUDA backend: the same semantics as the CPU engine, computed by {@code banded_align.cu}
 * on one device. {@link #alignAll} checks every pair on the host (bad pairs are reported, not
 * thrown), sorts the rest by their widest anti-diagonal so a launch holds pairs of like shape,
 * packs them into launches that fit the device-memory budget and at most
 * {@link #GROUP_STAGING} of pinned staging (two kept in flight, so one's transfers overlap the
 * other's transfers and kernel), and splits a launch in half whenever the device runs
 * out of memory ({@link SplitOnOutOfMemory}); a single pair that still does not fit is reported
 * as too large.
 *
 * <p>Memory: each launch in flight keeps one device arena (all of a launch's buffers, grown to
 * the largest launch so far; cuMemAlloc and cuMemFree would synchronise the device between
 * launches) and one pinned staging buffer, until {@link #close()}; a staging buffer grown for
 * large pairs beyond what packed launches need is given back by the next launch that needs no
 * more ({@link BandedAlignKernels#RETAINED_STAGING}). With the default budget and one caller
 * at a time, that is at most about 90% of the device memory that was free when the aligner
 * opened. Concurrent callers keep more launches in flight; where their arenas
 * together do not fit, the device's out-of-memory makes room: the idle arenas are given back and
 * the launch is split as above.
 *
 * <p>Thread-safe: task threads may share one aligner per device. Each launch in flight runs on
 * a stream of its own with its own pinned staging buffers (a small pool of launch contexts, one
 * for each launch in flight), so one task's transfers overlap another's kernels, the way Spark
 * RAPIDS lets {@code concurrentGpuTasks} tasks share a GPU. A call whose pairs fit one launch
 * runs it on the caller's thread; a call of several launches hands them to the aligner's
 * {@value #LAUNCHES_IN_FLIGHT} launcher threads, which every caller shares, first come first
 * served (so such calls keep at most that many launches in flight between them). Create it through {@link Aligner#cuda(int)}.
 */
public final class CudaAligner implements Aligner {
    /**
     * Fraction of the free device memory one launch may use when no budget is given: two
     * launches in flight (two task threads) then fit together.
     */
    static final double DEFAULT_BUDGET_FRACTION = 0.4;
    /** Launches of one alignAll call kept in flight at once. */
    static final int LAUNCHES_IN_FLIGHT = 2;
    /**
     * Most pinned staging bytes one launch packs (unless a single pair needs more). Smaller
     * launches let the two in flight overlap: one's downloads with the other's uploads (the
     * copy engines run both directions at once) and with its kernel; larger ones would only
     * pin more host memory.
     */
    static final long GROUP_STAGING = 512L << 20;
    /** Device bytes a launch needs beyond its pairs' own: the alignment of its buffers (11, and one to spare). */
    static final long LAUNCH_SLACK = 12 * 256;
    /** Most pairs (thread blocks) in one launch: the grid's x dimension limit. */
    private static final int MAX_BLOCKS = Integer.MAX_VALUE;

    private final CudaDevice device;
    private final KernelModule module;
    /** Launch contexts (stream, events, staging) not in use; one is taken per launch in flight. */
    private final java.util.concurrent.LinkedBlockingQueue<BandedAlignKernels> idle = new java.util.concurrent.LinkedBlockingQueue<>();
    private final List<BandedAlignKernels> all = new CopyOnWriteArrayList<>();
    /** Launches hold the read lock; close takes the write lock, so it waits for them. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final long budget;
    /** Static shared memory the driver reports for the loaded kernels (see BandedAlignKernels). */
    private final int fbStaticShared;
    private final int viterbiStaticShared;
    /** Whether a call's launches are cut equal ({@link #groups}) or each filled in turn ({@link #fill}). */
    private final boolean balanceLaunches;
    /** Threads that keep an alignAll call's launches in flight (daemons; stopped by close). */
    private final ExecutorService launchers = Executors.newFixedThreadPool(LAUNCHES_IN_FLIGHT, r -> {
        Thread t = new Thread(r, "bandalign-cuda-launcher");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong outOfMemorySplits = new AtomicLong();
    /**
     * Runs {@link Held#run()} once: from {@link #close()}, or once this aligner is unreachable
     * ({@link CudaDevice#UNCLOSED}). SPEC section 6's own example never closes its aligner, and
     * {@link Aligner#auto()} may hand out this one: its device arenas (up to 40% of the device
     * memory free at its opening, each), pinned staging (up to 512 MB each), streams, module and its reference to the
     * primary context would otherwise stay taken for the JVM's life.
     */
    private final Cleaner.Cleanable release;
    private volatile boolean closed;
    /** The first failure that left the device context unusable, or null (later ones only echo it). */
    private final java.util.concurrent.atomic.AtomicReference<String> broken = new java.util.concurrent.atomic.AtomicReference<>();
    /**
     * Calls in which the driver refused a launch so far ({@link CudaException#isLaunchRefused}).
     * The first {@value #REFUSALS_FORGIVEN} fail alone: one odd group (the widest pairs, say)
     * should not take the device from every other. One more, and the refusal is no accident of a
     * group: the aligner is unusable after it, as after a fault. (Counted once a call: one call's
     * launches in flight at once may each be refused.)
     */
    private final java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();
    static final int REFUSALS_FORGIVEN = 3;

    private CudaAligner(CudaDevice device, long budget) {
        this.device = device;
        this.balanceLaunches = balancePolicy();
        this.module = new KernelModule("banded_align");
        BandedAlignKernels first = null;
        try {
            first = new BandedAlignKernels(device, module);
            this.budget = budget > 0 ? budget : (long) (device.memoryInfo()[0] * DEFAULT_BUDGET_FRACTION);
        } catch (RuntimeException e) {   // (the caller releases the device)
            if (first != null) {
                first.close();
            }
            module.close();
            throw e;
        }
        this.fbStaticShared = first.fbStaticShared();
        this.viterbiStaticShared = first.viterbiStaticShared();
        all.add(first);
        idle.add(first);
        this.release = CudaDevice.UNCLOSED.register(this, new Held(device, module, all, launchers));
    }

    /**
     * What the aligner holds on the device and in pinned memory, released once. It must not
     * refer to the aligner (the cleaner would never see it unreachable); on the cleaner's thread
     * it makes the device's context current itself.
     */
    private record Held(CudaDevice device, KernelModule module, List<BandedAlignKernels> all, ExecutorService launchers)
            implements Runnable {
        @Override
        public void run() {
            // Launches queued but not started: cancelled, so that callers waiting for them
            // hear of it (the running ones hold the read lock: close() waits for them first).
            for (Runnable queued : launchers.shutdownNow()) {
                if (queued instanceof Future<?> f) {
                    f.cancel(false);
                }
            }
            try (CudaDevice.CallerContext caller = device.enter()) {
                all.forEach(BandedAlignKernels::close);
                module.close();
            } finally {
                device.close();   // the primary context's reference goes back whatever failed above
            }
        }
    }

    /**
     * Opens device {@code ordinal} with a device-memory budget per launch in bytes ({@code <= 0}:
     * 40% of the free memory).
     *
     * @param ordinal     the CUDA device ordinal
     * @param budgetBytes device bytes one launch may use, or {@code <= 0} for 40% of the memory free now
     * @return the aligner; close it to release the device
     * @throws CudaUnavailableException when the driver, a device or that ordinal is missing, or
     *         the device cannot be used (held by another process, out of memory)
     */
    public static CudaAligner open(int ordinal, long budgetBytes) {
        return CudaDevice.openFor(ordinal, device -> new CudaAligner(device, budgetBytes));
    }

    /**
     * {@return the number of CUDA devices visible to this process}
     *
     * @throws CudaUnavailableException saying why there are none
     */
    public static int deviceCount() {
        return CudaDevice.deviceCount();
    }

    /** {@return the backend, its budget and whether it is closed, for logs} */
    @Override
    public String toString() {
        return "CudaAligner[" + backend() + ", " + (budget >> 20) + " MiB a launch" + (closed ? ", closed" : "") + "]";
    }

    @Override
    public String backend() {
        return "cuda:" + device.ordinal;
    }

    /** {@return the CUDA device ordinal} */
    public int ordinal() {
        return device.ordinal;
    }

    /** {@return the device's name, as the driver reports it} */
    public String deviceName() {
        return device.name;
    }

    /**
     * {@return the build of the kernels the driver loaded, as its class-path resource} That is
     * {@code banded_align.fatbin} (CUDA 13) or {@code banded_align.cuda12.fatbin} (CUDA 12, for
     * drivers older than R580).
     */
    public String kernelImage() {
        return module.image;
    }

    /** {@return the milliseconds spent in alignment kernels by this aligner so far} For benchmarks. */
    public double kernelMillis() {
        return all.stream().mapToDouble(BandedAlignKernels::kernelMillis).sum();
    }

    /**
     * {@return how many launches ran which kernels with what block size so far} The host picks them per
     * launch (see the kernels' design note). For benchmarks and diagnostics; for example
     * {@code {"banded_forward_backward (224 threads)": 12}}.
     */
    public Map<String, Long> launchesByKernels() {
        Map<String, Long> all = new TreeMap<>();
        for (BandedAlignKernels k : this.all) {
            k.launches().forEach((choice, n) -> all.merge(choice, n, Long::sum));
        }
        return all;
    }

    /**
     * {@return what the driver reports for each alignment kernel it loaded, one line each} A line
     * gives registers a thread, local (spilled) bytes a thread, static shared bytes, and the
     * architecture of the code it runs (for example {@code banded_forward_backward: 72 registers,
     * 0 B local, 0 B static shared, sm_90}); for benchmarks and diagnostics.
     */
    public String kernelResources() {
        StringBuilder out = new StringBuilder();
        return diagnostic(() -> appendResources(out).toString());
    }

    private StringBuilder appendResources(StringBuilder out) {
        for (String name : BandedAlignKernels.KERNELS) {
            jcuda.driver.CUfunction f = module.function(name);
            int[] v = new int[4];
            int[] attributes = {CUfunction_attribute.CU_FUNC_ATTRIBUTE_NUM_REGS, CUfunction_attribute.CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES,
                CUfunction_attribute.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, CUfunction_attribute.CU_FUNC_ATTRIBUTE_BINARY_VERSION};
            for (int a = 0; a < attributes.length; a++) {
                int[] one = new int[1];
                CudaException.check(JCudaDriver.cuFuncGetAttribute(one, attributes[a], f), "cuFuncGetAttribute(" + name + ")");
                v[a] = one[0];
            }
            out.append(String.format(java.util.Locale.ROOT, "%s: %d registers, %d B local, %d B static shared, sm_%d%n",
                    name, v[0], v[1], v[2], v[3]));
        }
        return out;
    }

    /**
     * Device-to-device copy bandwidth in bytes per second, measured with {@code bytes} bytes
     * (the memory roofline the kernels are compared with).
     *
     * @param bytes  size of the copy, in bytes, at least 1
     * @param rounds copies timed, at least 1
     * @return the best round's bandwidth, counting every byte once read and once written
     * @throws IllegalArgumentException where {@code bytes} or {@code rounds} is below 1
     */
    public double copyBandwidth(long bytes, int rounds) {
        checkCopy(bytes, rounds);
        return diagnostic(() -> DeviceCopy.bandwidth(device, bytes, rounds));
    }

    /**
     * Pinned host-to-device copy bandwidth in bytes per second, measured with {@code bytes} bytes.
     *
     * @param bytes  size of the copy, in bytes, at least 1
     * @param rounds copies timed, at least 1
     * @return the best round's bandwidth
     * @throws IllegalArgumentException where {@code bytes} or {@code rounds} is below 1
     */
    public double hostToDeviceBandwidth(long bytes, int rounds) {
        checkCopy(bytes, rounds);
        return diagnostic(() -> DeviceCopy.hostToDevice(device, bytes, rounds));
    }

    /** Refuses a copy measurement that would time nothing (it read as a bandwidth of 0). */
    private static void checkCopy(long bytes, int rounds) {
        if (bytes < 1 || rounds < 1) {
            throw new IllegalArgumentException("a bandwidth is measured with at least 1 byte and 1 round, got " + bytes
                    + " bytes and " + rounds + " rounds");
        }
    }

    /** {@return the device bytes one launch may use} */
    public long budgetBytes() {
        return budget;
    }

    @Override
    public AlignmentResult align(Pair pair, AlignOptions options) {
        Objects.requireNonNull(pair, "pair");
        AlignmentResult r = alignAll(List.of(pair), options).get(0);
        if (!r.isValid()) {
            throw r.error();
        }
        return r;
    }

    @Override
    public List<AlignmentResult> alignAll(List<Pair> pairs, AlignOptions options) {
        Objects.requireNonNull(pairs, "pairs");
        Objects.requireNonNull(options, "options");
        try (CudaDevice.CallerContext caller = enter()) {
            return alignAllHere(pairs, options);
        } finally {
            Reference.reachabilityFence(this);   // not cleaned (UNCLOSED) while its launches run
        }
    }

    /**
     * The device's context for a call on the caller's thread (see {@link CudaDevice#enter()}),
     * once checked that this aligner is open; under the read lock, so that close() cannot
     * release the context in between. (Not held for the whole call: alignAll waits for its
     * launcher threads, which take the read lock themselves, and a waiting close() would block
     * them.)
     */
    private CudaDevice.CallerContext enter() {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException(closedMessage());
            }
            return device.enter();
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Runs a short diagnostic on the caller's thread, under the read lock (close() waits for it). */
    private <T> T diagnostic(java.util.function.Supplier<T> body) {
        lifecycle.readLock().lock();
        try (CudaDevice.CallerContext caller = enter()) {
            return body.get();
        } finally {
            lifecycle.readLock().unlock();
            Reference.reachabilityFence(this);
        }
    }

    private List<AlignmentResult> alignAllHere(List<Pair> given, AlignOptions options) {
        List<Pair> pairs = PairChecks.indexable(given);
        AlignmentResult[] results = new AlignmentResult[pairs.size()];
        List<PreparedPair> ready = new ArrayList<>();
        for (int k = 0; k < pairs.size(); k++) {
            Pair pair = pairs.get(k);
            try {
                if (pair == null) {
                    throw PairChecks.nullPair(k);
                }
                BandGeometry g = BandGeometry.of(pair, options);
                // Sizes only: the kernels flag NaN and +inf scores while reading them, so the
                // host does not make a pass over every score before the transfers.
                PairChecks.checkSize(pair, g, options);
                PreparedPair p = new PreparedPair(k, pair, g);
                if (p.hostBytes(options) > BandedAlignKernels.MAX_STAGING) {
                    throw tooLarge(p, options, "too large for the GPU: " + g + " needs "
                            + p.hostBytes(options) + " bytes of pinned host staging, more than one buffer holds ("
                            + BandedAlignKernels.MAX_STAGING + "); use the CPU backend for it");
                }
                ready.add(p);
            } catch (InvalidPairException e) {
                results[k] = AlignmentResult.failed(e);
            }
        }
        ready.sort(Comparator.comparingInt((PreparedPair p) -> p.maxRows));
        List<List<PreparedPair>> groups = balanceLaunches ? groups(ready, options, budget, GROUP_STAGING, sharedRollLen(options))
                : fill(ready, options, budget, GROUP_STAGING, sharedRollLen(options));
        if (groups.size() == 1) {
            if (Thread.currentThread().isInterrupted()) {   // as with several launches, and on the CPU
                throw new IllegalStateException("interrupted while aligning on the GPU");
            }
            place(groups.get(0), launch(groups.get(0), options, new Call()), results);
            return Collections.unmodifiableList(Arrays.asList(results));
        }
        // Several launches: keep LAUNCHES_IN_FLIGHT of them going, so that one's transfers
        // overlap another's kernel (each takes its own stream and staging).
        List<Future<List<AlignmentResult>>> futures = new ArrayList<>(groups.size());
        Call call = new Call();
        try {
            for (List<PreparedPair> group : groups) {
                futures.add(launchers.submit(() -> launch(group, options, call)));
            }
        } catch (java.util.concurrent.RejectedExecutionException e) {   // close() came while the pairs were prepared
            futures.forEach(f -> f.cancel(false));
            throw new IllegalStateException(closedMessage() + " (closed while aligning)", e);
        }
        for (int g = 0; g < groups.size(); g++) {
            place(groups.get(g), await(futures.get(g), futures), results);
        }
        return Collections.unmodifiableList(Arrays.asList(results));
    }

    /**
     * What the launches of one {@link #alignAll} call share: whether one of them failed (the
     * call then fails, so its launches not begun yet are not made: the launcher threads would
     * otherwise go on through the queue until the caller's wait reaches the failed one), and
     * whether a refused launch of it was counted ({@link #refusals}: once a call).
     */
    private static final class Call {
        /** The first failure of a launch of this call; a launch begun after it throws it again (whichever the caller meets first). */
        final java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.atomic.AtomicBoolean refusalCounted = new java.util.concurrent.atomic.AtomicBoolean();
    }

    /** Runs one planned launch of {@code call}, split in half for as long as the device runs out of memory. */
    private List<AlignmentResult> launch(List<PreparedPair> group, AlignOptions options, Call call) {
        Throwable earlier = call.failure.get();
        if (earlier instanceof RuntimeException e) {
            throw e;   // (not launched: the call fails with that launch's failure, whichever of its launches the caller waits for first)
        } else if (earlier instanceof Error e) {
            throw e;
        }
        SplitOnOutOfMemory<PreparedPair, AlignmentResult> split = launcher(options, call);
        try {
            return split.apply(group);
        } catch (RuntimeException | Error e) {
            call.failure.compareAndSet(null, e);
            throw e;
        } finally {
            outOfMemorySplits.addAndGet(split.splits());
        }
    }

    /** How many times a launch was split in half because the device ran out of memory. */
    long outOfMemorySplits() {
        return outOfMemorySplits.get();
    }

    /**
     * Launches of several pairs whose device buffers needed more than the budget: none, as long
     * as the sizes the launches are planned by ({@link PreparedPair#deviceBytes}, {@link
     * PreparedPair#rollBytes}, {@link #LAUNCH_SLACK}) cover what a launch allocates. (A single
     * pair larger than the budget is launched anyway, and split off as too large if the device
     * cannot hold it.)
     */
    long launchesOverBudget() {
        return all.stream().mapToLong(BandedAlignKernels::launchesOverBudget).sum();
    }

    /** Pinned staging bytes the launch contexts hold between calls. */
    long pinnedStagingBytes() {
        return all.stream().mapToLong(BandedAlignKernels::stagingBytes).sum();
    }

    private SplitOnOutOfMemory<PreparedPair, AlignmentResult> launcher(AlignOptions options, Call call) {
        return new SplitOnOutOfMemory<>(
                group -> launchOnce(group, options, call),
                e -> e instanceof CudaException && ((CudaException) e).isOutOfMemory(),
                (p, e) -> AlignmentResult.failed(tooLarge(p, options, outOfMemory(p, options, (CudaException) e, freeDeviceMemory()))));
    }

    /**
     * Why a lone pair did not fit: device memory, as a rule; pinned host memory where the driver
     * could not pin the pair's staging (a container's or {@code ulimit -l}'s locked-memory limit,
     * or the host's memory), which splitting cannot help either. Either way the pair may still be
     * aligned on the CPU (the job does).
     */
    static String outOfMemory(PreparedPair p, AlignOptions options, CudaException e, long free) {
        if (e.isPinnedHostMemory()) {
            return "too large for the GPU: " + p.geometry + " needs " + p.hostBytes(options)
                    + " bytes of pinned host memory for its transfers, which the driver could not pin (" + e.getMessage()
                    + "; a container's or ulimit -l's locked-memory limit, or the host's memory)";
        }
        long need = p.deviceBytes(options) + PreparedPair.rollBytes(options, p.rollLen());
        // (the device's free memory then: where that is far below its size, other processes or
        // launches held it, and the pair is not too large for the GPU, only for what was left;
        // found by a library user's review)
        String needs = "too large for the GPU: " + p.geometry + " needs " + need + " bytes of device memory"
                + (free >= 0 ? ", and the device had " + free + " bytes free (what other processes and this process's other "
                + "launches hold is not free: see nvidia-smi)" : "");
        return e.call().startsWith("cuMemAlloc") ? needs : needs + " (" + e.getMessage() + ")";
    }

    /**
     * The device's free memory now, in bytes; -1 where the driver cannot say, or the aligner was
     * closed meanwhile (under the read lock, as every other use of the device: a review found this
     * one could make a context current that another task's close() was releasing).
     */
    private long freeDeviceMemory() {
        try {
            return diagnostic(() -> device.memoryInfo()[0]);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /**
     * The error for a pair the GPU cannot take; a bad score takes precedence, as it does on the
     * CPU (the kernels, which would have found it, never see this pair).
     */
    private static InvalidPairException tooLarge(PreparedPair p, AlignOptions options, String reason) {
        try {
            PairChecks.check(p.pair, p.geometry, options);
        } catch (InvalidPairException bad) {
            return bad;
        }
        return InvalidPairException.tooLargeForDevice(p.pair.id(), reason);
    }

    private static void place(List<PreparedPair> group, List<AlignmentResult> out, AlignmentResult[] results) {
        for (int k = 0; k < group.size(); k++) {
            results[group.get(k).index] = out.get(k);
        }
    }

    /**
     * What a call on a closed aligner hears; where a failed launch made it unusable first (the
     * job closes such an aligner while other tasks may still use it), that failure too.
     */
    private String closedMessage() {
        String after = broken.get();
        return "CUDA aligner for " + backend() + " is closed" + (after == null ? "" : " (unusable after: " + after + ")");
    }

    private List<AlignmentResult> await(Future<List<AlignmentResult>> future, List<Future<List<AlignmentResult>>> all) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            all.forEach(f -> f.cancel(true));
            throw new IllegalStateException("interrupted while aligning on the GPU", e);
        } catch (java.util.concurrent.CancellationException e) {
            all.forEach(f -> f.cancel(false));
            throw new IllegalStateException(closedMessage() + " (closed while aligning)", e);
        } catch (ExecutionException e) {
            all.forEach(f -> f.cancel(false));
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            if (e.getCause() instanceof Error) {
                throw (Error) e.getCause();
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private List<AlignmentResult> launchOnce(List<PreparedPair> group, AlignOptions options, Call call) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException(closedMessage());
            }
            if (broken.get() != null) {
                throw new IllegalStateException("CUDA aligner for " + backend() + " is unusable after: " + broken.get());
            }
            BandedAlignKernels kernels = null;
            try {
                kernels = idle.poll();
                if (kernels == null) {
                    kernels = newLaunchContext();
                }
                return runWithRoom(kernels, group, options);
            } catch (CudaException e) {
                if (e.isOutOfMemory()) {
                    throw e;   // (split, or reported as too large for the pair alone)
                }
                CudaException placed = e.at("(" + backend() + ", " + describe(group) + ")");
                boolean refused = e.isLaunchRefused() && kernels != null && kernels.isUsable();
                // (under one lock: a call's other launch, refused at the same moment, counts nothing and may reach
                // the caller first; it throws only once the count and the retirement are done, so that its caller
                // sees them; a test saw the fourth refused call return with the aligner not yet retired)
                synchronized (refusals) {
                    int count = refused && call.refusalCounted.compareAndSet(false, true) ? refusals.incrementAndGet() : 0;
                    if (!refused) {
                        broken.compareAndSet(null, placed.getMessage());   // a failed launch leaves the context unusable (sticky error)
                    } else if (count > REFUSALS_FORGIVEN) {
                        broken.compareAndSet(null, placed.getMessage() + " (the driver refused a launch in " + count + " calls; "
                                + REFUSALS_FORGIVEN + " are forgiven)");
                    }
                }
                throw placed;
            } finally {
                if (kernels != null && kernels.isUsable()) {   // (null: no launch context could be made)
                    idle.add(kernels);
                } else if (kernels != null) {   // work of a failed launch may still be queued on its stream: never reuse it
                    all.remove(kernels);
                    kernels.close();
                }
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Runs a launch on {@code kernels}; where the device runs out of memory, gives back the
     * device arenas of the idle launch contexts (each keeps its arena between calls, grown to
     * its largest launch, so after a burst of concurrent calls they may hold what this launch
     * needs) and tries once more, a lone pair without the split forward-backward (whose beta
     * takes 8 more bytes a cell: it is picked by the budget, not by the memory free now). Still
     * out of memory, the caller splits the launch in half, or reports a lone pair too large.
     */
    private List<AlignmentResult> runWithRoom(BandedAlignKernels kernels, List<PreparedPair> group, AlignOptions options) {
        try {
            return kernels.run(group, options, budget, false);
        } catch (CudaException e) {
            if (!e.isOutOfMemory() || !kernels.isUsable()) {
                throw e;
            }
            // (pinned host memory refused: the idle contexts' staging is what may be given back)
            long freed = releaseIdle(e.isPinnedHostMemory() ? BandedAlignKernels::releaseStaging : BandedAlignKernels::releaseArena);
            if (freed == 0 && group.size() > 1) {
                throw e;
            }
            return kernels.run(group, options, budget, group.size() == 1);
        }
    }

    /**
     * A launch context more, for a launch that finds none idle (one more thread launching at
     * once than before). Where the device has no memory left for its stream and events, the idle
     * contexts' arenas are given back and it is tried once more; then it waits for a context
     * another launch is using (the pairs are not too large: the device is full of launches).
     */
    private BandedAlignKernels newLaunchContext() {
        try {
            return madeLaunchContext();
        } catch (CudaException e) {
            if (!e.isOutOfMemory()) {
                throw e;
            }
            if (releaseIdle(BandedAlignKernels::releaseArena) > 0) {
                try {
                    return madeLaunchContext();
                } catch (CudaException again) {
                    if (!again.isOutOfMemory()) {
                        throw again;
                    }
                }
            }
            BandedAlignKernels freed = awaitIdle();
            if (freed == null) {
                throw e;
            }
            return freed;
        }
    }

    private BandedAlignKernels madeLaunchContext() {
        BandedAlignKernels made = new BandedAlignKernels(device, module);
        all.add(made);
        return made;
    }

    /** Waits for a launch context in use to come back; null once there is none left to wait for, or a launch failed. */
    private BandedAlignKernels awaitIdle() {
        try {
            while (!all.isEmpty() && broken.get() == null) {   // (broken: the launch then says so)
                BandedAlignKernels k = idle.poll(20, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (k != null) {
                    return k;
                }
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while aligning on the GPU", e);
        }
    }

    /**
     * Gives back what {@code release} frees of each launch context idle now (its device arena,
     * or its pinned staging); returns the bytes freed.
     */
    private long releaseIdle(java.util.function.ToLongFunction<BandedAlignKernels> release) {
        long freed = 0;
        List<BandedAlignKernels> drained = new ArrayList<>();
        try {
            for (BandedAlignKernels k; (k = idle.poll()) != null; ) {   // polled: no other thread uses them meanwhile
                drained.add(k);
                freed += release.applyAsLong(k);
            }
        } finally {
            idle.addAll(drained);   // (whatever failed: a context out of the queue would be waited for in vain)
        }
        return freed;
    }

    /**
     * The pairs of a launch, for a failure's message: how many, and the first few ids. (A fault
     * in a kernel is reported by whichever call on the device checks next, so with several
     * launches in flight it may have come from another launch than the one that reports it.)
     */
    private static String describe(List<PreparedPair> group) {
        StringBuilder out = new StringBuilder("a launch of ").append(group.size()).append(group.size() == 1 ? " pair: " : " pairs: ");
        int shown = Math.min(group.size(), 3);
        for (int k = 0; k < shown; k++) {
            out.append(k == 0 ? "" : ", ").append(group.get(k).pair.id());
        }
        return group.size() > shown ? out.append(" and ").append(group.size() - shown).append(" more").toString() : out.toString();
    }

    /**
     * {@return true once a launch failed with an error that leaves the device context unusable,
     * or the driver refused more launches than a few (one refused launch fails its own call alone)}
     */
    public boolean isBroken() {
        return broken.get() != null;
    }

    /**
     * {@return in how many calls so far the driver refused a launch (more registers or shared
     * memory than a block may have, an argument out of range): the first few fail only those
     * calls, and the aligner stays usable}
     */
    public int refusedLaunches() {
        return refusals.get();
    }

    /**
     * {@return whether {@code failure}, thrown by {@link #alignAll}, is a launch the driver
     * refused: that call failed alone, and unless {@link #isBroken()} the aligner takes the next}
     *
     * @param failure what {@code alignAll} threw
     */
    public static boolean isRefusedLaunch(Throwable failure) {
        return failure instanceof CudaException e && e.isLaunchRefused();
    }

    /** {@return the first failure that made this aligner unusable, or null while it is usable} */
    public String brokenBy() {
        return broken.get();
    }

    /**
     * Consecutive runs of pairs (sorted by width) whose device memory fits {@code budget} and
     * whose host staging fits {@code stagingCap}, at least one pair each, as few as those limits
     * allow, and balanced: cut as if both limits were the least fraction of themselves (in steps
     * of 1/1024) that needs no more launches. A launch whose widest
     * pair needs a rolling length above {@code sharedRollLen} keeps every pair's rolling state in
     * global memory at that length, so that is counted for the whole group, and the first pair
     * past the limit starts a new launch (the narrower ones before it stay in shared memory).
     */
    static List<List<PreparedPair>> groups(List<PreparedPair> ready, AlignOptions options, long budget, long stagingCap,
                                           int sharedRollLen) {
        Cuts cuts = new Cuts(ready, options, sharedRollLen);
        int[] ends = cuts.ends(budget, stagingCap);
        if (ends.length < 2) {
            return cuts.launches(ends);
        }
        // Balance: the smallest fraction of both limits that still needs no more launches.
        // Filling each launch to its limits leaves a small last one (4096 pairs of 200 x 200
        // went as 1117, 1117, 1117 and 745 pairs, each with a last wave of blocks that keeps
        // few SMs busy: on an H200, where registers let 528 such blocks be resident, 11 waves
        // where 8 hold them, by a count of the kernel's resources, not yet timed); equal
        // launches also keep the two in flight in step. (More limit never needs more launches,
        // as a run of pairs that fits also fits without its first pair, for pairs sorted by
        // width as alignAll sorts them; were that not so, only the balance would suffer: a cut
        // is taken only where it needs no more launches than filling does.)
        int lo = 1;
        int hi = BALANCE_STEPS;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cuts.ends(scaled(budget, mid), scaled(stagingCap, mid)).length <= ends.length) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return cuts.launches(lo == BALANCE_STEPS ? ends : cuts.ends(scaled(budget, lo), scaled(stagingCap, lo)));
    }

    /**
     * System property: {@code false} fills each launch in turn instead of cutting a call's
     * launches equal (an experiment the GPU benchmark measures; default true).
     */
    static final String BALANCE_PROPERTY = "bandalign.cuda.balance";

    private static boolean balancePolicy() {
        String value = System.getProperty(BALANCE_PROPERTY, "true");
        if (!List.of("true", "false").contains(value)) {
            throw new IllegalArgumentException(BALANCE_PROPERTY + " must be true or false, not " + value);
        }
        return value.equals("true");
    }

    /** Steps of the fraction of the limits that {@link #groups} balances launches by. */
    private static final int BALANCE_STEPS = 1024;

    private static long scaled(long limit, int steps) {
        return limit <= 0 || limit >= Long.MAX_VALUE / BALANCE_STEPS ? limit : Math.max(1, limit * steps / BALANCE_STEPS);
    }

    /** Each launch filled in turn until the next pair would pass a limit. */
    static List<List<PreparedPair>> fill(List<PreparedPair> ready, AlignOptions options, long budget, long stagingCap,
                                         int sharedRollLen) {
        Cuts cuts = new Cuts(ready, options, sharedRollLen);
        return cuts.launches(cuts.ends(budget, stagingCap));
    }

    /** The pairs' sizes, taken once, and where launches filled in turn under given limits end. */
    private static final class Cuts {
        private final List<PreparedPair> ready;
        private final long[] device;
        private final long[] host;
        private final int[] rollLen;
        private final long rollBytesPerSlot;
        private final int sharedRollLen;

        Cuts(List<PreparedPair> ready, AlignOptions options, int sharedRollLen) {
            this.ready = ready;
            this.device = new long[ready.size()];
            this.host = new long[ready.size()];
            this.rollLen = new int[ready.size()];
            for (int k = 0; k < ready.size(); k++) {
                PreparedPair p = ready.get(k);
                device[k] = p.deviceBytes(options);
                host[k] = p.hostBytes(options);
                rollLen[k] = p.rollLen();
            }
            this.rollBytesPerSlot = PreparedPair.rollBytes(options, 1);
            this.sharedRollLen = sharedRollLen;
        }

        /** The index after each launch's last pair. */
        int[] ends(long budget, long stagingCap) {
            int[] ends = new int[Math.max(1, device.length)];
            int count = 0;
            int size = 0;
            long bytes = 0;
            long staged = 0;
            int roll = 0;
            for (int k = 0; k < device.length; k++) {
                int newRoll = Math.max(roll, rollLen[k]);
                long scratch = newRoll > sharedRollLen ? (size + 1L) * rollBytesPerSlot * newRoll : 0;
                boolean crossesShared = roll <= sharedRollLen && newRoll > sharedRollLen;
                if (size > 0 && (crossesShared || bytes + device[k] + scratch + LAUNCH_SLACK > budget
                        || staged + host[k] > stagingCap || size >= MAX_BLOCKS)) {
                    ends[count++] = k;
                    size = 0;
                    bytes = 0;
                    staged = 0;
                    newRoll = rollLen[k];
                }
                size++;
                bytes += device[k];
                staged += host[k];
                roll = newRoll;
            }
            if (size > 0) {
                ends[count++] = device.length;
            }
            return Arrays.copyOf(ends, count);
        }

        List<List<PreparedPair>> launches(int[] ends) {
            List<List<PreparedPair>> launches = new ArrayList<>(ends.length);
            int start = 0;
            for (int end : ends) {
                launches.add(new ArrayList<>(ready.subList(start, end)));
                start = end;
            }
            return launches;
        }
    }

    /** The longest rolling anti-diagonal both kernels that {@code options} runs keep in shared memory. */
    private int sharedRollLen(AlignOptions options) {
        return BandedAlignKernels.sharedRollLen(options, device.kernelSharedLimit(), fbStaticShared, viterbiStaticShared);
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                release.clean();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
