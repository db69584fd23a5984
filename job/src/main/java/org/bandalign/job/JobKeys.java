package org.bandalign.job;

import java.util.List;

/**
 * Every configuration key of the job, each declared once. They can be set in
 * {@code spark-defaults.conf}, with {@code --conf} on {@code spark-submit} or
 * {@code bin/bandalign}, or through the matching command-line flag, which wins.
 */
public final class JobKeys {
    private JobKeys() {
    }

    public static final JobKey<Long> BATCH_CELLS = new JobKey<>("spark.bandalign.batch.cells", "long", 4_000_000L,
            "Band cells gathered from a partition before one alignAll call (bounds task memory: about 60 bytes a cell).",
            Long::parseLong, 1.0);

    public static final JobKey<Integer> BATCH_PAIRS = new JobKey<>("spark.bandalign.batch.pairs", "int", 4096,
            "Most pairs in one alignAll call.", Integer::parseInt, 1.0);

    public static final JobKey<Long> MAX_CELLS = new JobKey<>("spark.bandalign.maxCells", "long", 50_000_000L,
            "Pairs with more band cells are rejected as too large for the configured memory.", Long::parseLong, 1.0);

    public static final JobKey<Integer> CPU_THREADS = new JobKey<>("spark.bandalign.cpu.threads", "int", 0,
            "Worker threads of the executor's shared CPU aligner; 0 means spark.executor.cores (local mode: all cores).",
            Integer::parseInt, 0.0);

    public static final JobKey<Integer> READER_BATCH_ROWS = new JobKey<>("spark.bandalign.reader.batchRows", "int", 32,
            "Most rows per vectorized Parquet read batch (spark.sql.parquet.columnarReaderBatchSize, which wins when set); "
                    + "align takes fewer where the input's footers show rows so large that a batch would pass 256 MiB of "
                    + "scores (rows are megabytes: Spark's default of 4096 would hold gigabytes).",
            Integer::parseInt, 1.0);

    public static final JobKey<Integer> GPU_CONCURRENT_TASKS = new JobKey<>("spark.bandalign.gpu.concurrentTasks", "int", 2,
            "Tasks of one executor that may run GPU batches at the same time (like spark.rapids.sql.concurrentGpuTasks).",
            Integer::parseInt, 1.0);

    public static final JobKey<Long> GPU_MEMORY_BUDGET = new JobKey<>("spark.bandalign.gpu.memoryBudget", "long", 0L,
            "Device bytes one CUDA launch may use; 0 means 40% of the free device memory (two launches in flight fit).",
            Long::parseLong, 0.0);

    public static final JobKey<Double> STAGE_GPU_AMOUNT = new JobKey<>("spark.bandalign.stage.gpuAmount", "double", 0.0,
            "GPUs each alignment task asks for through a stage-level resource profile (e.g. 1); 0 leaves the "
                    + "task resources to spark.task.resource.gpu.amount.",
            Double::parseDouble, 0.0);

    public static final JobKey<String> COMPRESSION = new JobKey<>("spark.bandalign.output.compression", "string", "snappy",
            "Parquet codec of the output (snappy, zstd, none, ...).", s -> s);

    /** All keys, in the order the README lists them. */
    public static List<JobKey<?>> all() {
        return List.of(BATCH_CELLS, BATCH_PAIRS, MAX_CELLS, CPU_THREADS, READER_BATCH_ROWS, GPU_CONCURRENT_TASKS,
                GPU_MEMORY_BUDGET, STAGE_GPU_AMOUNT, COMPRESSION);
    }
}
