package org.bandalign.job;

import java.util.List;

/**
 * Every configuration key of the job, each declared once. They can be set in
 * {@code spark-defaults.conf}, with {@code --conf} on {@code spark-submit} or
 * {@code bin/bandalign}, or through the matching command-line flag, which wins.
 */
final class JobKeys {
    private JobKeys() {
    }

    static final JobKey<Long> BATCH_CELLS = new JobKey<>("spark.bandalign.batch.cells", "long", 4_000_000L,
            "Band cells gathered from a partition before one alignAll call; a row's scores as read, or its output, count instead "
                    + "where larger (a dense row aligned in a narrow band). Bounds task memory: about 60 bytes a cell; fewer "
                    + "where that many for each task slot would pass 60% of an executor's heap (the summary's task_batch_cells).",
            Long::parseLong, 1.0).withFlag("--batch-cells");

    static final JobKey<Integer> BATCH_PAIRS = new JobKey<>("spark.bandalign.batch.pairs", "int", 4096,
            "Most pairs in one alignAll call.", Integer::parseInt, 1.0);

    static final JobKey<Long> MAX_CELLS = new JobKey<>("spark.bandalign.maxCells", "long", 50_000_000L,
            "Pairs with more band cells are rejected as too large for the configured memory.", Long::parseLong, 1.0);

    static final JobKey<Integer> CPU_THREADS = new JobKey<>("spark.bandalign.cpu.threads", "int", 0,
            "Worker threads of the executor's shared CPU aligner; 0 means spark.executor.cores (local mode: all cores).",
            Integer::parseInt, 0.0);

    static final JobKey<Integer> READER_BATCH_ROWS = new JobKey<>("spark.bandalign.reader.batchRows", "int", 32,
            "Most rows per vectorized Parquet read batch (spark.sql.parquet.columnarReaderBatchSize, which wins when set); "
                    + "align takes fewer where the input's footers show rows so large that a batch would pass 8 MiB (or 3% "
                    + "of the executor's heap over its task slots, where that is less) in Spark's column vectors (rows are "
                    + "megabytes: Spark's default of 4096 would hold gigabytes). Only where "
                    + "Spark's reader reads the scores; where align reads them (spark.bandalign.reader.pageReader), Spark's "
                    + "batches hold no scores and take 4096 rows.",
            Integer::parseInt, 1.0);

    static final JobKey<Long> READER_LARGE_ROW_BYTES = new JobKey<>("spark.bandalign.reader.largeRowBytes", "long", 0L,
            "Heap Spark's Parquet reader may hold for one row (about 8 times its array<float> scores, 6 times binary) before "
                    + "align reads that row's file with its own reader, which holds the scores once and rejects a pair too "
                    + "large for the executor without reading it; 0 means 30% of the executor's heap. Only where Spark's "
                    + "reader reads the scores (see spark.bandalign.reader.pageReader).",
            Long::parseLong, 0.0);

    static final JobKey<String> READER_PAGE_READER = new JobKey<>("spark.bandalign.reader.pageReader", "auto/true/false", "auto",
            "true reads array<float> and array<double> scores a page at a time (doubles narrowed to float32), and "
                    + "binary scores a row at a time straight into floats, with BandAlign's own Parquet reader (Spark's reads "
                    + "the other columns); false reads them with Spark's vectorized reader, which holds a row about 8 times "
                    + "over (binary 6); auto is true where the input's files hold 1 MiB or more on average (each file is "
                    + "opened once more), else false. Scores Spark's reader cannot read (byte-stream-split pages of lists or "
                    + "fixed-length binaries, a column of Parquet's null type) are read by BandAlign's whatever this says; "
                    + "arrays of integers or decimals by Spark's.",
            JobKeys::parseAutoOrBoolean);

    static final JobKey<Integer> GPU_CONCURRENT_TASKS = new JobKey<>("spark.bandalign.gpu.concurrentTasks", "int", 2,
            "Tasks of one executor that may run GPU batches at the same time (like spark.rapids.sql.concurrentGpuTasks).",
            Integer::parseInt, 1.0);

    static final JobKey<Long> GPU_MEMORY_BUDGET = new JobKey<>("spark.bandalign.gpu.memoryBudget", "long", 0L,
            "Device bytes one CUDA launch may use; 0 means 40% of the free device memory (two launches in flight fit).",
            Long::parseLong, 0.0).withFlag("--gpu-memory");

    static final JobKey<Double> STAGE_GPU_AMOUNT = new JobKey<>("spark.bandalign.stage.gpuAmount", "double", 0.0,
            "GPUs each alignment task asks for through a stage-level resource profile (e.g. 1); 0 leaves the "
                    + "task resources to spark.task.resource.gpu.amount.",
            Double::parseDouble, 0.0);

    static final JobKey<String> COMPRESSION = new JobKey<>("spark.bandalign.output.compression", "string", "snappy",
            "Parquet codec of the output (snappy, zstd, none, ...).", s -> s).withFlag("--compression");

    static final JobKey<Boolean> OUTPUT_PAGE_WRITER = new JobKey<>("spark.bandalign.output.pageWriter", "boolean", true,
            "Write the marginals (array<float>, binary with --packed, or the sparse steps) with BandAlign's own Parquet "
                    + "output writer, a row at a time, under Spark's commit protocol; false writes every column with Spark's "
                    + "Parquet writer (the same rows; array<float> about 1.6 times slower to write).",
            JobKeys::parseBoolean);

    static final JobKey<Integer> REJECTED_DRIVER_ROWS = new JobKey<>("spark.bandalign.rejected.driverRows", "int", 256,
            "Rejected rows each task hands to the driver, which writes them as one file; a task writes any more to "
                    + "rejected/ itself, so millions of bad rows never pass through the driver.",
            Integer::parseInt, 0.0);

    /**
     * Refuses a {@code spark.bandalign.*} setting that is no key (a typo would otherwise be
     * ignored silently), naming the nearest key.
     */
    static void checkKnown(org.apache.spark.SparkConf conf) {
        for (scala.Tuple2<String, String> setting : conf.getAll()) {
            String name = setting._1();
            if (!name.startsWith("spark.bandalign.") || all().stream().anyMatch(k -> k.name().equals(name))) {
                continue;
            }
            JobKey<?> nearest = all().get(0);
            for (JobKey<?> k : all()) {
                if (distance(name, k.name()) < distance(name, nearest.name())) {
                    nearest = k;
                }
            }
            throw new UserError("unknown setting " + name + (distance(name, nearest.name()) <= 4 ? " (did you mean "
                    + nearest.name() + "?)" : "") + "; 'bandalign keys' lists them");
        }
    }

    /** auto, true or false, in any case, as lower case; anything else is refused. */
    private static String parseAutoOrBoolean(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("auto") || t.equals("true") || t.equals("false")) {
            return t;
        }
        throw new IllegalArgumentException(text);
    }

    /** true or false, in any case; anything else is refused (Boolean.parseBoolean takes a typo for false). */
    private static Boolean parseBoolean(String text) {
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
            return Boolean.valueOf(text.toLowerCase(java.util.Locale.ROOT));
        }
        throw new IllegalArgumentException(text);
    }

    /** Edit distance, ignoring case. */
    private static int distance(String a, String b) {
        a = a.toLowerCase(java.util.Locale.ROOT);
        b = b.toLowerCase(java.util.Locale.ROOT);
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1), diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.length()];
    }

    /** All keys, in the order the README lists them. */
    static List<JobKey<?>> all() {
        return List.of(BATCH_CELLS, BATCH_PAIRS, MAX_CELLS, CPU_THREADS, READER_BATCH_ROWS, READER_LARGE_ROW_BYTES,
                READER_PAGE_READER, GPU_CONCURRENT_TASKS,
                GPU_MEMORY_BUDGET, STAGE_GPU_AMOUNT, COMPRESSION, OUTPUT_PAGE_WRITER, REJECTED_DRIVER_ROWS);
    }
}
