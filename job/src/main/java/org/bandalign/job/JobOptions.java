package org.bandalign.job;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Mode;
import org.bandalign.align.Semiring;

/** Everything an alignment task needs to know, shipped from the driver to the executors. */
final class JobOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    final Mode mode;
    final Semiring semiring;
    /** Band half-width, or {@link AlignOptions#NO_BAND}. */
    final int band;
    /** The layout of every row, or null for the default ({@link #layoutFor}). */
    final Layout layout;
    final double minProb;
    final boolean packed;
    final Backend backend;
    final boolean failFast;
    final long batchCells;
    final int batchPairs;
    final long maxCells;
    final int cpuThreads;
    final int gpuConcurrentTasks;
    final long gpuMemoryBudget;
    /** Benchmark mode: read, decode and write, but align nothing ({@link IoOnlyAligner}). */
    final boolean ioOnly;

    JobOptions(Mode mode, Semiring semiring, int band, Layout layout, double minProb, boolean packed, Backend backend,
               boolean failFast, long batchCells, int batchPairs, long maxCells, int cpuThreads,
               int gpuConcurrentTasks, long gpuMemoryBudget, boolean ioOnly) {
        this.mode = mode;
        this.semiring = semiring;
        this.band = band;
        this.layout = layout;
        this.minProb = minProb;
        this.packed = packed;
        this.backend = backend;
        this.failFast = failFast;
        this.batchCells = batchCells;
        this.batchPairs = batchPairs;
        this.maxCells = maxCells;
        this.cpuThreads = cpuThreads;
        this.gpuConcurrentTasks = gpuConcurrentTasks;
        this.gpuMemoryBudget = gpuMemoryBudget;
        this.ioOnly = ioOnly;
    }

    /**
     * Options that pick an engine as a job with {@code backend} and this configuration would
     * (for the executor survey); the alignment settings are the defaults.
     */
    static JobOptions forEngine(Backend backend, org.apache.spark.SparkConf conf) {
        return new JobOptions(Mode.GLOBAL, Semiring.LOG,
                AlignOptions.NO_BAND, null, AlignCommand.MIN_PROB, false, backend, false,
                JobKeys.BATCH_CELLS.get(conf), JobKeys.BATCH_PAIRS.get(conf), JobKeys.MAX_CELLS.get(conf),
                JobKeys.CPU_THREADS.get(conf), JobKeys.GPU_CONCURRENT_TASKS.get(conf), JobKeys.GPU_MEMORY_BUDGET.get(conf), false);
    }

    /** {@return these options with batches of at most {@code cells} band cells} */
    JobOptions withBatchCells(long cells) {
        return cells == batchCells ? this : new JobOptions(mode, semiring, band, layout, minProb, packed, backend, failFast, cells,
                batchPairs, maxCells, cpuThreads, gpuConcurrentTasks, gpuMemoryBudget, ioOnly);
    }

    /** The engine's options for every pair of the job. */
    AlignOptions alignOptions() {
        AlignOptions.Builder b = AlignOptions.builder().mode(mode).semiring(semiring).maxCells(maxCells);
        if (band != AlignOptions.NO_BAND) {
            b.band(band);
        }
        return b.build();
    }

    /**
     * The layout of a row: the one asked for, else band when a band is set (the job's
     * {@code --band}, or the row's own band-layout band), else dense.
     */
    Layout layoutFor(boolean bandLayoutRow) {
        if (layout != null) {
            return layout;
        }
        return band != AlignOptions.NO_BAND || bandLayoutRow ? Layout.BAND : Layout.DENSE;
    }

    /** The options as the summary records them. */
    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", mode.wireName());
        m.put("semiring", semiring.wireName());
        m.put("band", band == AlignOptions.NO_BAND ? null : band);
        m.put("layout", layout == null ? "auto" : layout.wireName());
        m.put("min_prob", minProb);
        m.put("packed", packed);
        m.put("backend", backend.name().toLowerCase(java.util.Locale.ROOT));
        m.put("fail_fast", failFast);
        m.put("batch_cells", batchCells);
        m.put("batch_pairs", batchPairs);
        m.put("max_cells", maxCells);
        m.put("cpu_threads", cpuThreads);
        m.put("gpu_concurrent_tasks", gpuConcurrentTasks);
        m.put("gpu_memory_budget", gpuMemoryBudget);
        m.put("io_only", ioOnly);
        return m;
    }
}
