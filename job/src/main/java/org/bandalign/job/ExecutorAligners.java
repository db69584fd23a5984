package org.bandalign.job;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.bandalign.align.Aligner;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.InvalidPairException;
import org.bandalign.cuda.CudaAligner;
import org.bandalign.cuda.CudaUnavailableException;

/**
 * The engines of one executor JVM, shared by all its task threads (the Spark RAPIDS pattern: one
 * owner of each GPU per executor). The CPU aligner's fixed thread pool is sized to the
 * executor's cores, so concurrent tasks share those cores. Each GPU has one CUDA aligner and a
 * semaphore that caps how many tasks run GPU batches at once
 * ({@code spark.bandalign.gpu.concurrentTasks}); a task holds a permit for each GPU batch alone,
 * not while it reads and writes Parquet between batches.
 */
final class ExecutorAligners {
    private static Aligner cpu;
    private static final Map<Integer, CudaAligner> CUDA = new HashMap<>();
    private static final Map<Integer, Semaphore> PERMITS = new HashMap<>();
    private static String cudaFailure;
    /**
     * Why a device of this executor failed for good (a kernel fault: its context unusable), by
     * ordinal: later tasks start on the CPU. Its aligner is closed ({@link #retireIfBroken}), so
     * it holds no pinned staging, device memory or context for the executor's life.
     */
    private static final Map<Integer, String> FAILED = new HashMap<>();

    private ExecutorAligners() {
    }

    /** Why the last {@link #forTask} call on this thread fell back to the CPU in auto mode; null if it did not. */
    private static final ThreadLocal<String> FALLBACK = new ThreadLocal<>();

    /** Why the current thread's last task engine is the CPU although --backend auto might have used a GPU, or null. */
    static String cpuFallback() {
        return FALLBACK.get();
    }

    /** The engine for the current task, with its GPU permit taken when it is a GPU. */
    static Aligner forTask(JobOptions options, TaskContext task) {
        FALLBACK.remove();
        if (options.ioOnly) {
            return new IoOnlyAligner();
        }
        if (options.backend == Backend.CPU) {
            return cpu(options);
        }
        String[] gpus = TaskGpu.addresses(task);
        if (gpus.length == 0 && options.backend == Backend.AUTO && !localMode()) {
            boolean executorHasGpus = executorHasGpus();
            String idle = noGpuReason(executorHasGpus, executorHasGpus ? 0 : visibleCudaDevices());
            // (a CPU node's says so too, as local mode says "no CUDA driver": an operator's walk-through found
            // a CPU cluster's summary said backends ["cpu"] and nothing of why)
            FALLBACK.set(idle != null ? idle : noGpuAtAll());
            return cpu(options);   // a cluster task that holds no GPU must not take one
        }
        try {
            int ordinal;
            try {
                if (gpus.length == 0 && !localMode()) {   // --backend cuda on a cluster task that holds no GPU
                    requireOneDevice(CudaAligner.deviceCount());
                }
                ordinal = gpus.length == 0 ? 0 : TaskGpu.cudaOrdinal(gpus[0], System.getenv("CUDA_VISIBLE_DEVICES"));
            } catch (IllegalArgumentException e) {   // an address that names no device: as unusable as a missing one
                throw new CudaUnavailableException(e.getMessage(), e);
            }
            CudaAligner aligner = cuda(ordinal, options);
            if (aligner.isBroken()) {   // (another task's launch failed just now)
                retireIfBroken(aligner);
                throw failedEarlier(ordinal, aligner.brokenBy());
            }
            return aligner;
        } catch (CudaUnavailableException e) {
            if (options.backend == Backend.CUDA) {
                throw new IllegalStateException("--backend cuda: " + e.getMessage(), e);
            }
            FALLBACK.set(e.getMessage());
            return cpu(options);
        }
    }

    /**
     * Why an auto task on a cluster that holds no GPU aligns on the CPU where GPUs sit idle: its
     * executor was given GPUs but the tasks none, or it was given none and its driver shows
     * {@code visibleDevices} (a GPU cluster run without Spark's GPU settings); null where neither.
     */
    static String noGpuReason(boolean executorHasGpus, int visibleDevices) {
        if (executorHasGpus) {
            return "a task was assigned no GPU although its executor has some (set "
                    + "spark.task.resource.gpu.amount, or spark.bandalign.stage.gpuAmount)";
        }
        if (visibleDevices > 0) {
            return "an executor sees " + visibleDevices + " CUDA device" + (visibleDevices == 1 ? "" : "s")
                    + " but Spark gave it no GPUs (set spark.executor.resource.gpu.amount and "
                    + "spark.task.resource.gpu.amount: README, On a GPU cluster)";
        }
        return null;
    }

    /** {@link ExecutorSurvey#noGpuAtAll()}, once per JVM (it asks the driver). */
    private static String noGpuAtAll;

    /** Guards the once-a-JVM probes ({@link #noGpuAtAll}, {@link #visibleCudaDevices}), which load the driver or ask the driver program. */
    private static final Object PROBE_LOCK = new Object();

    private static String noGpuAtAll() {
        synchronized (PROBE_LOCK) {
            if (noGpuAtAll == null) {
                noGpuAtAll = ExecutorSurvey.noGpuAtAll();
            }
            return noGpuAtAll;
        }
    }

    /**
     * For a cluster task that holds no GPU under {@code --backend cuda}: device 0 is its GPU only
     * where the executor sees no other (a container given one GPU); with several, executors of
     * one node would all crowd onto the first.
     *
     * @throws CudaUnavailableException saying what to set, where the executor sees several
     */
    static void requireOneDevice(int visibleDevices) {
        if (visibleDevices > 1) {
            throw new CudaUnavailableException("this task holds no GPU and its executor sees " + visibleDevices
                    + " devices, so which one is its own is unknown (set spark.task.resource.gpu.amount, or "
                    + "spark.bandalign.stage.gpuAmount, and the executors' GPU resources)");
        }
    }

    /** Whether this executor was given GPUs (spark.executor.resource.gpu.amount > 0). */
    private static boolean executorHasGpus() {
        SparkEnv env = SparkEnv.get();
        return env != null && TaskGpu.amount(env.conf(), TaskGpu.EXECUTOR_GPU_AMOUNT) > 0;
    }

    /** What {@link #visibleCudaDevices()} found, once per JVM (null: not looked yet). */
    private static Integer visibleCudaDevices;

    /**
     * The CUDA devices this JVM's driver shows, 0 where no driver loads: whether the GPUs of a
     * cluster whose executors were given none sit idle.
     */
    private static int visibleCudaDevices() {
        synchronized (PROBE_LOCK) {
            if (visibleCudaDevices == null) {
                int count;
                try {
                    count = CudaAligner.deviceCount();
                } catch (RuntimeException e) {   // no driver, or one that fails: the task goes on on the CPU all the same
                    count = 0;
                }
                visibleCudaDevices = count;
            }
            return visibleCudaDevices;
        }
    }

    /** Where an executor's heap is set, for the messages that ask for more of it. */
    static final String WHERE_MEMORY_IS_SET = "(spark.executor.memory; in local mode the JVM's -Xmx, which bin/bandalign takes from "
            + "BANDALIGN_JAVA_OPTS)";

    /** Local mode: the tasks run in the driver JVM, and Spark assigns them no GPU resources. */
    private static boolean localMode() {
        SparkEnv env = SparkEnv.get();
        return env == null || "driver".equals(env.executorId());
    }

    /** Guards {@link #cpu}, apart from the class's lock (a task's CPU engine never waits for a GPU being opened). */
    private static final Object CPU_LOCK = new Object();

    static Aligner cpu(JobOptions options) {
        synchronized (CPU_LOCK) {
            if (cpu == null) {
                cpu = Aligner.cpu(cpuThreads(options));
            }
            return cpu;
        }
    }

    /**
     * One lock a device, held while it is opened: opening takes from a fraction of a second to
     * seconds (its context, pinned staging), and a driver call that hangs cannot be interrupted,
     * so the class's own lock, which every task takes for its engine and each GPU batch for its
     * permit, is not held meanwhile (a concurrency review: opening GPU 1 stalled GPU 0's batches).
     */
    private static final Map<Integer, Object> OPENING = new java.util.concurrent.ConcurrentHashMap<>();

    private static CudaAligner cuda(int ordinal, JobOptions options) {
        CudaAligner aligner = openOrRefused(ordinal);
        if (aligner != null) {
            return aligner;
        }
        synchronized (OPENING.computeIfAbsent(ordinal, k -> new Object())) {
            aligner = openOrRefused(ordinal);   // (another task opened it while this one waited)
            if (aligner != null) {
                return aligner;
            }
            try {
                aligner = CudaAligner.open(ordinal, options.gpuMemoryBudget);
            } catch (CudaUnavailableException e) {
                if (e.getMessage().startsWith("no CUDA driver") || e.getMessage().startsWith("CUDA unavailable")) {
                    synchronized (ExecutorAligners.class) {
                        cudaFailure = e.getMessage();   // the driver (or JCuda's library) will not appear later in this JVM
                    }
                }
                throw e;
            }
            synchronized (ExecutorAligners.class) {
                CUDA.put(ordinal, aligner);
                PERMITS.put(ordinal, new Semaphore(Math.max(1, options.gpuConcurrentTasks), true));
            }
            return aligner;
        }
    }

    /** The open aligner of device {@code ordinal}, or null where none is; refused where the device or the driver failed before. */
    private static synchronized CudaAligner openOrRefused(int ordinal) {
        CudaAligner aligner = CUDA.get(ordinal);
        if (aligner != null) {
            return aligner;
        }
        if (FAILED.containsKey(ordinal)) {
            throw failedEarlier(ordinal, FAILED.get(ordinal));
        }
        if (cudaFailure != null) {
            throw new CudaUnavailableException(cudaFailure);
        }
        return null;
    }

    /** {@return the aligner this executor's tasks use on device {@code ordinal}, or null where none is open (tests)} */
    static synchronized CudaAligner cudaInUse(int ordinal) {
        return CUDA.get(ordinal);
    }

    private static CudaUnavailableException failedEarlier(int ordinal, String why) {
        return new CudaUnavailableException("device " + ordinal + " failed earlier in this executor: " + why);
    }

    /**
     * Where {@code aligner} is a CUDA aligner left unusable by a failed launch: takes it out of
     * use for good (later tasks start on the CPU) and closes it, which waits for the launches
     * other tasks have in flight on it (they fail too, and their tasks go on on the CPU) and
     * gives back its pinned staging, device memory and context.
     */
    static void retireIfBroken(Aligner aligner) {
        if (!(aligner instanceof CudaAligner cuda) || !cuda.isBroken()) {
            return;
        }
        synchronized (ExecutorAligners.class) {
            if (CUDA.get(cuda.ordinal()) != cuda) {
                return;   // retired already
            }
            CUDA.remove(cuda.ordinal());
            FAILED.put(cuda.ordinal(), cuda.brokenBy());
        }
        try {
            cuda.close();
        } catch (RuntimeException e) {   // (the task goes on on the CPU all the same)
            org.slf4j.LoggerFactory.getLogger(ExecutorAligners.class).warn("closing the failed aligner of " + cuda.backend() + " failed", e);
        }
    }

    /**
     * Takes a permit of {@code aligner}'s GPU for one batch and returns what gives it back (only
     * the first call releases). A task that Spark kills while it waits (a speculative copy, a
     * cancelled job) stops waiting within {@value HeapShare#POLL_MS} ms.
     */
    static Runnable takePermit(CudaAligner aligner, TaskContext task) {
        Semaphore permits;
        synchronized (ExecutorAligners.class) {
            permits = PERMITS.get(aligner.ordinal());
        }
        return HeapShare.acquire(permits, 1, task, "a permit of GPU " + aligner.backend());
    }

    /**
     * Executor memory a band cell of a batch in flight takes, about: its scores and marginals
     * (12 bytes each) and the CPU engine's scratch (forward weights, alpha or back-pointers).
     */
    static final long BYTES_PER_CELL = 60;
    /** Share of the executor's heap the batches in flight may take together. */
    static final double HEAP_SHARE = 0.6;
    /** Cells a memory permit stands for. */
    private static final long CELLS_PER_PERMIT = 1024;
    private static final HeapShare BATCHES = new HeapShare(HEAP_SHARE, BYTES_PER_CELL * CELLS_PER_PERMIT);

    /**
     * The memory a batch takes, in cells of {@value #BYTES_PER_CELL} bytes: its band cells, plus
     * the rest of its largest pair's peak ({@value #PAIR_BYTES_PER_CELL} bytes a cell: that pair's
     * row as read and its output row are held at once). For a batch of ordinary pairs the second
     * term is small; for a batch that is one pair near spark.bandalign.maxCells it is most of it,
     * so such a pair runs alone on its executor instead of beside other tasks' batches.
     */
    static long memoryCells(long batchCells, long largestPairCells) {
        long extra = (largestPairCells * (PAIR_BYTES_PER_CELL - BYTES_PER_CELL) + BYTES_PER_CELL - 1) / BYTES_PER_CELL;
        return batchCells + extra;
    }

    /**
     * Takes executor memory for a batch of {@code batchCells} cells (its band cells and its rows'
     * worth, {@link #rowCells}) whose largest pair has {@code largestPairCells} and returns what gives it back: the batches of all tasks in flight
     * together stay within {@value #HEAP_SHARE} of the heap, each counted as
     * {@link #memoryCells}, so tasks that meet with very large pairs (up to
     * spark.bandalign.maxCells each) take turns instead of running the executor out of memory;
     * ordinary batches (spark.bandalign.batch.cells) never wait. A batch larger than the whole
     * share runs alone.
     */
    static Runnable takeMemory(long batchCells, long largestPairCells, TaskContext task) {
        return takeMemory(memoryCells(batchCells, largestPairCells), task, "memory for a batch of " + batchCells + " cells");
    }

    /**
     * Takes all of the executor's memory for batches, once every other task's batch has given
     * its part back, and returns what gives it back: for a pair that did not fit the heap left
     * free beside the others.
     */
    static Runnable takeAllMemory(TaskContext task) {
        return takeMemory(Long.MAX_VALUE, task, "all of the executor's memory for batches");
    }

    private static Runnable takeMemory(long cells, TaskContext task, String what) {
        return BATCHES.take(cells > Long.MAX_VALUE / BYTES_PER_CELL ? Long.MAX_VALUE : cells * BYTES_PER_CELL, task, what);
    }

    /**
     * Executor heap one pair takes at its peak, about, per band cell: its row as read, its
     * scores, the engine's scratch, its marginals and its output row, whose buffer grows by
     * doubling. Measured with {@code BANDALIGN_JAVA_OPTS=-Xmx2g bin/bandalign align --backend cpu
     * --master local[1]} on pairs from {@code generate --binary}: 3600 x 3600 (12.96 million
     * cells) aligned, also with {@code --packed --mode local --semiring both}; 4100 x 4100 (16.81
     * million) ran out of memory. A 2 GiB heap so holds 13.4 million cells.
     */
    static final long PAIR_BYTES_PER_CELL = 160;

    /**
     * The most band cells one pair may have on this executor ({@link #PAIR_BYTES_PER_CELL}). A
     * larger pair would run the executor out of memory, so it is rejected instead (SPEC section
     * 1: too large for the configured memory).
     */
    static long heapCells() {
        return heapCells(Runtime.getRuntime().maxMemory());
    }

    static long heapCells(long heapBytes) {
        return heapBytes / PAIR_BYTES_PER_CELL;
    }

    /**
     * Throws when a pair of {@code g}'s cells is too large for this executor's heap
     * ({@link #heapCells()}), saying what to change.
     */
    static void checkFitsHeap(String id, BandGeometry g) {
        checkFitsHeap(id, g, Runtime.getRuntime().maxMemory());
    }

    static void checkFitsHeap(String id, BandGeometry g, long heapBytes) {
        long most = heapCells(heapBytes);
        if (g.cells() + rowCells(g.n(), PAIR_BYTES_PER_CELL) > most) {
            // (the bytes it needs said, not only its cells: a tall thin pair has fewer cells than the
            // most a heap holds, yet its rows make it too large, a scale tester found the old words contradictory)
            long needs = g.cells() * PAIR_BYTES_PER_CELL + (g.n() + 3L) * BYTES_PER_ROW;
            throw new InvalidPairException(id, "too large for this executor's memory: " + g + " has "
                    + g.cells() + " band cells in " + g.n() + " rows, which need about " + ((needs + (1 << 20) - 1) >> 20)
                    + " MiB of heap at their peak (" + PAIR_BYTES_PER_CELL + " bytes a cell and " + BYTES_PER_ROW
                    + " a row), more than this " + (heapBytes >> 20) + " MiB heap holds (at most " + most
                    + " cells where the rows are few); give the executors more memory " + WHERE_MEMORY_IS_SET);
        }
    }

    /**
     * Throws where the {@code scores} floats of a row that the job's own reader reads
     * ({@link ParquetScores}), with the {@code pageBytes} that reading the Parquet page beside
     * them holds ({@link StreamedPages#nextPageBytes}, and the chunk's dictionary,
     * {@link StreamedPages#dictionaryBytes}; 0 where not known), pass
     * {@value AlignPartition#READING_HEAP_SHARE} of this executor's heap: a dense row aligned in
     * a narrow band has few band cells, so {@link #checkFitsHeap} passes it, and yet all its
     * scores are read; and a huge row's page is refused from its header, before it is read.
     */
    static void checkScoresFitHeap(String id, long scores, long pageBytes) {
        checkScoresFitHeap(id, scores, pageBytes, Runtime.getRuntime().maxMemory());
    }

    static void checkScoresFitHeap(String id, long scores, long pageBytes, long heapBytes) {
        long mostBytes = (long) (heapBytes * AlignPartition.READING_HEAP_SHARE);
        long most = mostBytes / 4;
        String share = (int) (AlignPartition.READING_HEAP_SHARE * 100) + "% of this " + (heapBytes >> 20) + " MiB heap";
        String more = "; give the executors more memory " + WHERE_MEMORY_IS_SET;
        if (scores > most) {
            throw new InvalidPairException(id, "too large for this executor's memory: its scores hold " + scores
                    + " floats, more than the " + most + " that " + share + " holds" + more);
        }
        if (pageBytes > mostBytes - 4 * scores) {
            throw new InvalidPairException(id, "too large for this executor's memory: " + (scores > 0 ? "its " + scores
                    + " floats of scores (" + megabytes(4 * scores) + " MB) and " : "") + "the " + megabytes(pageBytes)
                    + " MB that reading a Parquet page holds (the page of its scores, or one before them in its row group: "
                    + "stored and decompressed, or its buffers and levels where it is read as a stream; with its column "
                    + "chunk's dictionary) " + (scores > 0 ? "take" : "is") + " more than the " + megabytes(mostBytes) + " MB that "
                    + share + " holds" + more);
        }
    }

    private static String megabytes(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f", bytes / 1e6);
    }

    /**
     * Heap the CPU engine takes per row of a pair, whatever its band: its rolling anti-diagonals
     * (12 doubles a row). Beside a pair's cells it matters only in a narrow band: a pair of 4
     * million rows in a band of one takes 384 MB of them.
     */
    static final long BYTES_PER_ROW = 96;

    /** The memory of {@code rows} rows of a pair, in cells of {@code bytesPerCell} bytes, rounded up. */
    static long rowCells(int rows, long bytesPerCell) {
        return ((rows + 3L) * BYTES_PER_ROW + bytesPerCell - 1) / bytesPerCell;
    }

    /** Memory permits for a heap of {@code heapBytes}. */
    static int memoryPermits(long heapBytes) {
        return BATCHES.units(heapBytes);
    }

    /** Threads of the executor's CPU engine: spark.bandalign.cpu.threads, else the executor's cores, else this machine's. */
    static int cpuThreads(JobOptions options) {
        if (options.cpuThreads > 0) {
            return options.cpuThreads;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        SparkEnv env = SparkEnv.get();
        if (env != null && env.conf().contains("spark.executor.cores") && !"driver".equals(env.executorId())) {
            cores = env.conf().getInt("spark.executor.cores", cores);
        }
        return Math.max(1, cores);
    }
}
