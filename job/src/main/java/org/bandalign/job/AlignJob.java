package org.bandalign.job;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.TaskResourceRequests;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * The driver side of {@code align}: checks the output directory, reads the input, runs
 * {@link AlignPartition} over it (under a GPU task resource profile when asked), writes
 * {@code marginals/}, {@code rejected/} and {@code _SUMMARY.json} into a hidden staging directory
 * and moves that into place once complete. A failed run removes what it wrote and leaves an
 * earlier output alone; without {@code --overwrite} an existing output directory is refused.
 */
final class AlignJob {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AlignJob.class);

    private AlignJob() {
    }

    static JobSummary run(SparkSession spark, JobRequest req) throws IOException {
        Configuration hadoop = hadoopConf(spark);
        checkPlaces(hadoop, req);
        FileSystem fs = new Path(req.output).getFileSystem(hadoop);
        Path out = fs.makeQualified(new Path(req.output));
        OutputSwap.checkLeftovers(fs, out, spark.sparkContext().applicationId(), LOG);   // what runs killed hard left beside the output
        InputFolders.check(hadoop, req.input);   // no Parquet files Spark would silently leave out
        Dataset<Row> input = readInput(spark, req.input);
        InputColumns.format(input.schema());   // a table without the columns fails here, before anything is written
        // Everything is written to a hidden sibling first and moved into place at the end, so
        // the output directory never holds a partial result, and --overwrite replaces an
        // earlier output only once the new one is complete (a failed rerun keeps the old one).
        OutputSwap swap = new OutputSwap(fs, out, spark.sparkContext().applicationId(), OutputPlace.ALIGN_OUTPUT);
        swap.prepare();
        long start = System.nanoTime();
        // Interrupted (Ctrl-C, SIGTERM, or in local mode Spark's exit when a task runs out of
        // memory): remove the partial output, or finish or undo a swap cut short, and say so, as
        // the run's last words (Spark's exit comes before the job's call fails). The hook runs
        // after Spark's own (which stop the tasks) and before Hadoop closes its file systems.
        boolean inProcess = MasterUrl.inProcess(spark.sparkContext().master());
        Runnable recover = () -> {
            quietLogging();   // (tasks still running fail as their files go: noise after the last words)
            String outcome;
            try {
                if (swap.recover()) {
                    System.err.println("bandalign: stopped once its output was in place in " + req.output);
                    return;
                }
                outcome = "so " + req.output + " is as it was before the run";
                if (!inProcess) {   // (a cluster's executors may write on after the context stopped: their late files go too)
                    outcome += lateWrites(swap);
                }
            } catch (IOException | RuntimeException e) {   // (the JVM is going down: say so, nothing more)
                outcome = "and what it wrote could not all be removed (" + e + "): look for " + swap.staging
                        + " and a hidden directory beside it";
            }
            String signal = StopSignals.received();
            System.err.println("bandalign: stopped before the job was done, " + outcome + (signal != null ? " (" + signal + " stopped it)"
                    : inProcess ? " (where Spark's log above shows an OutOfMemoryError, a task ran out of memory and the exit code is "
                    + "52: give the JVM more memory, BANDALIGN_JAVA_OPTS=-Xmx..., or run fewer tasks at once, --master local[N])" : ""));
        };
        ShutdownHookManager.get().addShutdownHook(recover, PARTIAL_OUTPUT_HOOK_PRIORITY);
        STOP_SAID_BY_HOOK.set(true);
        try {
            JobSummary summary = write(spark, req, input, swap, fs, start);
            swap.publish(req.overwrite);   // (a failure here keeps the finished output and says where)
            return summary;
        } finally {
            try {
                ShutdownHookManager.get().removeShutdownHook(recover);
                STOP_SAID_BY_HOOK.set(false);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran): it finishes or undoes what is left
            }
        }
    }

    /**
     * Runs the job into {@code swap}'s staging directory, with {@code _SUMMARY.json} last; a failure removes what
     * it wrote, once the failed job's other tasks, which may still be writing, have ended.
     */
    private static JobSummary write(SparkSession spark, JobRequest req, Dataset<Row> input, OutputSwap swap, FileSystem fs,
                                    long start) throws IOException {
        Path staging = swap.staging;
        String tag = "bandalign-align-" + java.util.UUID.randomUUID();
        spark.sparkContext().addJobTag(tag);
        try {
            JobSummary summary = withReaderBatchRows(spark, req, input, reading -> align(spark, req, input, reading.taskBytes(),
                    reading.byPage(), reading.byPage() ? List.of()
                            : LargeRows.files(input, reading.survey(), req.largeRowBytes, executor(spark).heapBytes(), hadoopConf(spark)),
                    staging, fs, start, tag));
            try (OutputStream os = swap.createInStaging("_SUMMARY.json")) {
                os.write(summary.toJson().getBytes(StandardCharsets.UTF_8));
            }
            try {
                OutputFiles.removeChecksumFiles(fs, staging);
            } catch (IOException e) {   // (the output is complete without; Hadoop reads it either way)
                LOG.warn("could not remove the checksum files Hadoop wrote under " + staging + ": " + e);
            }
            return summary;
        } catch (Throwable e) {
            // Spark's checked SparkException lands here too: nothing of a failed run stays behind.
            try {
                awaitTasks(spark, tag);
            } catch (RuntimeException x) {   // e.g. a context already stopped (SIGTERM): the cause stays e
                e.addSuppressed(x);
            } finally {
                try {
                    fs.delete(staging, true);
                } catch (IOException | RuntimeException x) {
                    e.addSuppressed(x);
                }
            }
            throw e;
        } finally {
            try {
                spark.sparkContext().removeJobTag(tag);
            } catch (RuntimeException ignored) {
                // a stopped context: nothing to untag
            }
        }
    }

    /**
     * Refuses, with a {@link UserError}, an input that does not exist (nothing a glob matches), an output that is a file,
     * lies under one or overlaps the input, and an existing output without {@code --overwrite}
     * (or, with it, one that is not an earlier output of align).
     */
    static void checkPlaces(Configuration hadoop, JobRequest req) throws IOException {
        Path in = HadoopPaths.parse("--input", req.input);
        HadoopPaths.matchInput(in.getFileSystem(hadoop), "--input", req.input);
        Path asked = HadoopPaths.output("--output", req.output);
        FileSystem fs = asked.getFileSystem(hadoop);
        Path out = fs.makeQualified(asked);
        OutputPlace.check(hadoop, req.input, fs, out);
        if (fs.exists(out) && !req.overwrite) {
            throw new UserError("output directory " + req.output + " already exists; pass --overwrite to replace it");
        }
        if (req.overwrite) {
            OutputPlace.checkReplaceable(fs, out, OutputPlace.ALIGN_OUTPUT);
        }
    }

    /** The Hadoop configuration Spark's own readers and writers use (the session's settings included). */
    static Configuration hadoopConf(SparkSession spark) {
        return ((org.apache.spark.sql.classic.SparkSession) spark).sessionState().newHadoopConf();
    }

    /** Longest wait for the remaining task attempts of a run's jobs to end. */
    private static final long TASKS_END_WAIT_MS = 60_000;

    /**
     * Cancels the jobs tagged {@code tag} and waits (a while at most) until none of their stages
     * has a task running: a job fails as soon as one task does, while its other tasks may go on
     * writing into the staging directory for a moment.
     */
    private static void awaitTasks(SparkSession spark, String tag) {
        org.apache.spark.SparkContext sc = spark.sparkContext();
        sc.cancelJobsWithTag(tag);
        awaitNoTasks(sc, tag);
    }

    /**
     * Waits (a while at most) until no stage of the jobs tagged {@code tag} has a task attempt
     * running. A job is done when each of its partitions has one successful attempt; with
     * speculation ({@code spark.speculation}) a second attempt of a slow task may still be
     * running then, and Spark kills it only asynchronously. Until it has ended it may go on
     * writing into the staging directory (a file of rejected rows, Spark's {@code _temporary}),
     * so the run collects the rejected rows and publishes only after this. (The attempts are
     * read from Spark's status store, which the scheduler's events reach a moment late; an
     * attempt started long before the job ended, as a speculative copy is, is always there.)
     */
    private static void awaitNoTasks(org.apache.spark.SparkContext sc, String tag) {
        long deadline = System.currentTimeMillis() + TASKS_END_WAIT_MS;
        try {
            while (activeTasks(sc, tag) > 0) {
                if (System.currentTimeMillis() >= deadline) {
                    LOG.warn("task attempts of this run were still running {} s after its jobs ended; going on without them",
                            TASKS_END_WAIT_MS / 1000);
                    return;
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int activeTasks(org.apache.spark.SparkContext sc, String tag) {
        int active = 0;
        for (int job : sc.statusTracker().getJobIdsForTag(tag)) {
            scala.Option<org.apache.spark.SparkJobInfo> info = sc.statusTracker().getJobInfo(job);
            if (info.isEmpty()) {
                continue;
            }
            for (int stage : info.get().stageIds()) {
                scala.Option<org.apache.spark.SparkStageInfo> s = sc.statusTracker().getStageInfo(stage);
                active += s.isEmpty() ? 0 : s.get().numActiveTasks();
            }
        }
        return active;
    }

    /** Spark's rows per vectorized Parquet read batch. */
    static final String READER_BATCH_SIZE = "spark.sql.parquet.columnarReaderBatchSize";
    /**
     * Rows per vectorized read batch where the job reads the scores itself ({@link #readsByPage}):
     * Spark's own default, since its batches then hold ids, lengths and bands alone.
     * ({@code spark.bandalign.reader.batchRows} bounds the batches that hold scores.)
     */
    static final int PAGE_READER_BATCH_ROWS = 4096;
    /**
     * What the rows of one vectorized read batch may hold at most, about, in the reader's column
     * vectors: rows of a quarter of a megabyte and more are read a few at a time, which costs
     * nothing (the reader's work is per value, not per batch) and keeps the memory a task holds
     * while it reads to little more than its row group, so that more tasks read at once.
     */
    static final long READER_BATCH_BYTES = 8L << 20;
    /**
     * Share of an executor's heap the read batches of all its task slots may take up together,
     * in the reader's column vectors ({@link InputFooters.Sizes#rowVectorBytes}), which grow to
     * up to twice that: besides them a task holds its row group as read, its batch of pairs
     * (counted by {@link ExecutorAligners#takeMemory}) and its output, so a small heap or many
     * slots call for smaller read batches (in local[8] at -Xmx1g, 4 MB).
     */
    static final double READER_HEAP_SHARE = 0.03;

    /**
     * What one task's vectorized read batch may hold: {@value #READER_HEAP_SHARE} of an
     * executor's heap over its task slots, at most {@value #READER_BATCH_BYTES}.
     */
    static long readerBatchBytes(long heapBytes, int slots) {
        return Math.min(READER_BATCH_BYTES, (long) (heapBytes * READER_HEAP_SHARE) / Math.max(1, slots));
    }

    /** Parquet's row group size key: the bytes a writing task buffers before it writes a row group. */
    static final String OUTPUT_ROW_GROUP_KEY = "parquet.block.size";

    /**
     * The share of an executor's heap its writing tasks' buffered row groups may take together.
     * The job's page writer is not one of parquet-mr's writers, whose memory manager shrinks their
     * row groups; at Parquet's default of 128 MB a task, four tasks of a 512 MiB heap ran it out
     * of memory on ordinary pairs (a scale tester: 600 pairs of 300 x 300 in local[4]).
     */
    static final double OUTPUT_HEAP_SHARE = 0.1;

    /**
     * The row group size the marginals are written with: where Parquet's default (128 MB) would
     * pass {@value #OUTPUT_HEAP_SHARE} of {@code executor}'s heap over its task slots, that share
     * (at least 1 MiB); 0 (the default, or {@code setting}) where it would not, or where the
     * user set {@code parquet.block.size} ({@code setting} not null).
     */
    static long outputRowGroupBytes(Executor executor, String setting) {
        if (setting != null) {
            return 0;
        }
        long share = Math.max(1L << 20, (long) (executor.heapBytes() * OUTPUT_HEAP_SHARE) / Math.max(1, executor.slots()));
        return share < org.apache.parquet.hadoop.ParquetWriter.DEFAULT_BLOCK_SIZE ? share : 0;
    }

    /**
     * The most band cells a task gathers for one batch: {@code requested} (--batch-cells), or
     * fewer where that many for each of {@code executor}'s task slots would pass
     * {@link ExecutorAligners#HEAP_SHARE} of its heap, at {@link ExecutorAligners#BYTES_PER_CELL}
     * a cell. A batch's scores are read before its memory is taken, so the share alone cannot
     * make tasks take turns while they gather (a scale tester: eight tasks of a 512 MiB heap,
     * each gathering 4 million cells of 300 x 300 pairs, ran it out of memory).
     */
    static long taskBatchCells(long requested, Executor executor) {
        long fair = (long) (executor.heapBytes() * ExecutorAligners.HEAP_SHARE) / Math.max(1, executor.slots())
                / ExecutorAligners.BYTES_PER_CELL;
        return Math.max(1, Math.min(requested, fair));
    }

    /**
     * How many tasks an executor of a cluster runs at once, as Spark schedules them: its cores over
     * {@code spark.task.cpus} (one core where {@code spark.executor.cores} is unset), or fewer
     * where its GPUs over each task's are fewer (a review: a GPU executor of 4 cores and 1 GPU was
     * taken for 4 slots, and its batches made 4 times smaller than its heap needed).
     */
    static int clusterSlots(org.apache.spark.SparkConf conf) {
        int slots = Math.max(1, conf.getInt("spark.executor.cores", 1) / Math.max(1, conf.getInt("spark.task.cpus", 1)));
        double executorGpus = TaskGpu.amount(conf, TaskGpu.EXECUTOR_GPU_AMOUNT);
        double taskGpus = TaskGpu.amount(conf, TaskGpu.TASK_GPU_AMOUNT);
        if (executorGpus > 0 && taskGpus > 0) {
            slots = (int) Math.max(1, Math.min(slots, Math.floor(executorGpus / taskGpus + 1e-9)));
        }
        return slots;
    }

    /** An executor's heap and how many tasks it runs at once. */
    record Executor(long heapBytes, int slots) {
    }

    /**
     * The heap of one of this session's executors and its task slots: in local mode this JVM's
     * heap and the master's threads; on a cluster spark.executor.memory and
     * spark.executor.cores / spark.task.cpus (one slot where the executors' cores are not set).
     */
    static Executor executor(SparkSession spark) {
        org.apache.spark.SparkContext sc = spark.sparkContext();
        if (sc.isLocal()) {
            return new Executor(Runtime.getRuntime().maxMemory(), MasterUrl.localThreads(sc.master()));
        }
        return new Executor(sc.getConf().getSizeAsMb("spark.executor.memory", "1g") << 20, clusterSlots(sc.getConf()));
    }

    /**
     * Runs {@code job} with the vectorized Parquet reader's batch size set for this input (unless
     * the session sets it): {@code spark.bandalign.reader.batchRows} rows, or fewer where the
     * footers show rows so large that a batch would pass {@link #readerBatchBytes(long, int)};
     * the session's setting is restored after. {@code job} is given how the input is read
     * ({@link Reading}).
     */
    private static <T> T withReaderBatchRows(SparkSession spark, JobRequest req, Dataset<Row> input,
                                             java.util.function.Function<Reading, T> job) {
        InputFooters.Survey survey = inputSurvey(spark, input);
        List<String> undecompressible = survey.filesWhere(s -> !s.unreadableCodec().isEmpty());
        if (!undecompressible.isEmpty()) {
            throw new UserError("--input " + req.input + ": " + undecompressible.get(0) + (undecompressible.size() > 1
                    ? " (and " + (undecompressible.size() - 1) + " more files)" : "") + " is compressed with "
                    + survey.largest().unreadableCodec() + ", which Spark's Parquet reader here cannot decompress (Hadoop "
                    + "bundles no codec for it): write the input with snappy, zstd, gzip, lz4 or no compression");
        }
        boolean byPage = readsByPage(req, input, survey);
        LOG.info("the scores are read {} (spark.bandalign.reader.pageReader={}; the input's files hold {} bytes on average)",
                byPage ? "a page at a time by the job" : "by Spark's reader", req.pageReader, survey.meanLargestRowGroupBytes());
        String few = fewRowGroupsWarning(survey.rowGroups(), survey.files().size(), survey.largest().rowGroupBytes(),
                spark.sparkContext().defaultParallelism());
        if (few != null) {
            LOG.warn(few);
        }
        InputFooters.Sizes sizes = byPage ? survey.largest().readByPage() : survey.largest();
        Executor executor = executor(spark);
        int rows = byPage ? PAGE_READER_BATCH_ROWS : readerBatchRows(sizes, req.readerBatchRows, executor);
        boolean sessionSetsIt = spark.conf().contains(READER_BATCH_SIZE);
        if (sessionSetsIt) {
            try {
                rows = Integer.parseInt(spark.conf().get(READER_BATCH_SIZE).trim());
            } catch (NumberFormatException e) {
                // Spark refuses it when it reads the input; ours stands in for the estimate
            }
        }
        Reading reading = new Reading(taskReadingBytes(sizes, rows, executor, byPage), survey, byPage);
        if (sessionSetsIt) {
            return job.apply(reading);
        }
        spark.conf().set(READER_BATCH_SIZE, rows);
        try {
            return job.apply(reading);
        } finally {
            spark.conf().unset(READER_BATCH_SIZE);
        }
    }

    /**
     * How a run reads its input: the heap a task holds while it reads ({@link #taskReadingBytes}),
     * what the footers show ({@link #inputSurvey}), and whether the job reads the scores itself,
     * a page at a time ({@link #readsByPage}).
     */
    record Reading(long taskBytes, InputFooters.Survey survey, boolean byPage) {
    }

    /**
     * Whether the job reads the input's scores itself, a page at a time ({@link ParquetScores},
     * {@link FloatListChunk}), while Spark's reader reads the other columns: where
     * {@code spark.bandalign.reader.pageReader} asks for it ({@code auto}: where the input's
     * files are large enough, {@link #PAGE_READER_MIN_FILE_BYTES}) and every file stores its
     * scores as a list of float32 or float64 or as a binary
     * ({@link InputFooters.Sizes#pageReadable}); and whatever it asks, where some file's scores
     * are stored so that Spark's reader cannot read them ({@link InputFooters.Sizes#sparkUnreadable}:
     * byte-stream split, or Parquet's null type, as pyarrow writes a column of nulls alone).
     * Arrays of other numbers (integers, decimals), an input any of whose footers could not be
     * read, and a session that skips corrupt files ({@code spark.sql.files.ignoreCorruptFiles},
     * which only Spark's reader honours: the scores, where a file's corruption mostly lies,
     * would otherwise not be read by Spark) stay with Spark's reader.
     */
    static boolean readsByPage(JobRequest req, Dataset<Row> input, InputFooters.Survey survey) {
        boolean skipsCorrupt = "true".equalsIgnoreCase(input.sparkSession().conf().get(IGNORE_CORRUPT_FILES, "false").trim());
        if (survey.largest().sparkUnreadable()) {
            if (!survey.largest().pageReadable()) {
                throw new UserError("--input " + req.input + ": some of its files store scores that only BandAlign's reader "
                        + "reads (byte-stream split, or Parquet's null type: a column of nulls alone), and others scores that only "
                        + "Spark's reads (arrays of integers or decimals), or a footer that could not be read: store the scores "
                        + "as lists of float32 (or float64) in every file");
            }
            String why = req.pageReader.equals("false") ? "spark.bandalign.reader.pageReader=false"
                    : skipsCorrupt ? IGNORE_CORRUPT_FILES + "=true (which only Spark's reader honours)" : null;
            if (why != null) {
                LOG.warn("{}, but some input file stores its scores so that Spark's reader cannot read them (byte-stream "
                        + "split, or Parquet's null type): BandAlign's reader reads them", why);
            }
            return true;
        }
        if (skipsCorrupt || !survey.largest().pageReadable()) {
            return false;
        }
        return req.pageReader.equals("true") || !req.pageReader.equals("false")
                && survey.meanLargestRowGroupBytes() >= PAGE_READER_MIN_FILE_BYTES;
    }

    /**
     * What the input's files must hold on average (their largest row groups of the columns the
     * job reads, as stored) for {@code spark.bandalign.reader.pageReader=auto} to read the scores
     * a page at a time: the page reader opens each file once more, which on small files costs
     * more than it saves. (I/O only, alternating: 400 files of 2.5 MB took 0.85x the time of
     * Spark's reader, 600 files of 9 kB 1.3x.)
     */
    static final long PAGE_READER_MIN_FILE_BYTES = 1 << 20;

    /** Spark's setting that skips the rest of a file its reader finds corrupt. */
    static final String IGNORE_CORRUPT_FILES = "spark.sql.files.ignoreCorruptFiles";

    /** What the input's footers show of its sizes, file by file ({@link InputFooters#survey}). */
    static InputFooters.Survey inputSurvey(SparkSession spark, Dataset<Row> input) {
        return InputFooters.survey(JavaSparkContext.fromSparkContext(spark.sparkContext()), input.inputFiles(), "scores",
                InputColumns.READ, hadoopConf(spark), InputColumns.readsScoresAsDoubles(input.schema()), InputFooters.DRIVER_FILES);
    }

    /** Rows per read batch for this input: at most {@code most}, fewer where its rows are large. */
    static int readerBatchRows(InputFooters.Sizes sizes, int most, Executor executor) {
        return InputFooters.batchRows(sizes.rowVectorBytes(), most, readerBatchBytes(executor.heapBytes(), executor.slots()));
    }

    /**
     * The heap a task holds while it reads, about ({@link InputFooters.Sizes}): the input's
     * largest row group as stored (parquet-mr reads a row group's column chunks whole), a read
     * batch of its largest rows in column vectors grown to up to twice that, and the copy of a
     * row out of them. Tasks take it from {@link AlignPartition#READING} for as long as they read.
     */
    static long taskReadingBytes(InputFooters.Sizes sizes, int batchRows) {
        long rows = sizes.rowGroupRows() > 0 ? Math.min(batchRows, sizes.rowGroupRows()) : batchRows;   // (a batch is within a row group)
        return sizes.rowGroupBytes() + 2L * rows * sizes.rowVectorBytes() + sizes.rowCopyBytes();
    }

    /** The heap {@link AlignPartition#READING} holds on an executor of {@code heapBytes}. */
    static long readingShareBytes(long heapBytes) {
        return AlignPartition.READING.units(heapBytes) * AlignPartition.READING_UNIT;
    }

    /** How many tasks that each hold {@code taskBytes} while they read an executor of {@code heapBytes} lets read at once. */
    static long readingTasks(long taskBytes, long heapBytes) {
        return Math.max(1, readingShareBytes(heapBytes) / Math.max(1, taskBytes));
    }

    /** {@link #taskReadingBytes}, logging {@link #readingWarning} where there is one. */
    private static long taskReadingBytes(InputFooters.Sizes sizes, int batchRows, Executor executor, boolean byPage) {
        String warning = readingWarning(sizes, batchRows, executor, byPage);
        if (warning != null) {
            LOG.warn(warning);
        }
        return taskReadingBytes(sizes, batchRows);
    }

    /** The largest row group, as stored, below which {@link #fewRowGroupsWarning} says nothing. */
    static final long FEW_ROW_GROUPS_MIN_BYTES = 128L << 20;

    /**
     * What to warn of where the input has fewer row groups ({@code rowGroups}, in {@code files}
     * files) than the session has task slots ({@code slots}, Spark's default parallelism): Spark
     * reads a row group in one task, so the others have nothing to read or write, and the job,
     * bound by Parquet, runs at the rate of that many cores (pyarrow writes up to a million rows in
     * one row group, so a file of a few thousand tensors written in one call is one task's work).
     * Null where every slot can have a row group, where no row group is as large as
     * {@link #FEW_ROW_GROUPS_MIN_BYTES} ({@code largestRowGroupBytes}, the columns the job reads
     * as stored: such an input takes a task seconds at most, as the bundled sample does), or
     * where no footer said.
     */
    static String fewRowGroupsWarning(long rowGroups, int files, long largestRowGroupBytes, int slots) {
        if (rowGroups <= 0 || rowGroups >= slots || largestRowGroupBytes < FEW_ROW_GROUPS_MIN_BYTES) {
            return null;
        }
        return "the input's " + files + (files == 1 ? " file holds " : " files hold ") + rowGroups + " row group"
                + (rowGroups == 1 ? "" : "s") + " and Spark reads each row group in one task, so at most " + rowGroups + " of the "
                + slots + " task slots read and write at once: write the input in more, smaller row groups (a few MB each; "
                + "pyarrow: pq.write_table(table, path, row_group_size=ROWS)) or in more files";
    }

    /**
     * What to warn of where an executor's slots cannot all read this input at once (a task whose
     * reading passes {@link AlignPartition#READING} takes all of it, and reads alone), and more
     * sternly where a task's reading passes what the heap holds beside the batches of pairs
     * ({@link ExecutorAligners#HEAP_SHARE}): the executors may then run out of memory (a single
     * row too large for Spark's reader is read by the job's own instead, {@link LargeRows}, but
     * the row groups are held as stored either way). Null where all slots can read at once.
     */
    static String readingWarning(InputFooters.Sizes sizes, int batchRows, Executor executor, boolean byPage) {
        long bytes = taskReadingBytes(sizes, batchRows);
        String what = String.format("the input's row groups take up to %.1f MB as stored and a task holds about %.1f MB "
                + "while it reads them (%s)", sizes.rowGroupBytes() / 1e6, bytes / 1e6, byPage
                ? "a row group's other columns whole, as parquet-mr reads them, its scores a page at a time (binary scores "
                + "in the DELTA encodings counted whole: the footer bounds none of their pages), and a row of scores twice: its "
                + "page and its copy"
                : "Spark's Parquet reader holds a row of scores several times over: a row of array<float> about 8 times, of "
                + "binary about 6");
        long besideBatches = (long) (executor.heapBytes() * (1 - ExecutorAligners.HEAP_SHARE));
        if (bytes > besideBatches) {
            return what + ", more than the " + (besideBatches >> 20) + " MiB of this " + (executor.heapBytes() >> 20) + " MiB "
                    + "heap that its batches of pairs leave, so executors may run out of memory: where they do, give them "
                    + (heapForReading(bytes) >> 20) + " MiB " + ExecutorAligners.WHERE_MEMORY_IS_SET + ", or, where the row groups "
                    + "rather than the rows are "
                    + "large, write the input in smaller row groups";
        }
        long reading = readingTasks(bytes, executor.heapBytes());
        if (reading < executor.slots()) {
            return what + ": a " + (executor.heapBytes() >> 20) + " MiB heap holds " + reading + " task(s) reading at once, "
                    + "so at most that many of an executor's " + executor.slots() + " task slots read while the others wait "
                    + "(give the executors more memory, or write the input in smaller row groups)";
        }
        return null;
    }

    /**
     * A heap whose {@link AlignPartition#READING} holds a task that reads {@code taskBytes}:
     * with 5% to spare (a JVM's usable heap is a little under its -Xmx), in whole 256 MiB.
     */
    static long heapForReading(long taskBytes) {
        double heap = taskBytes / AlignPartition.READING_HEAP_SHARE * 1.05;
        long step = 256L << 20;
        return (long) Math.ceil(heap / step) * step;
    }

    /**
     * For a run stopped on a cluster, once its staging directory is removed: watches it for the
     * late writes of executors still going ({@link OutputSwap#removeLateWrites}); "" where none
     * stayed, else what to remove.
     */
    private static String lateWrites(OutputSwap swap) {
        String left = ", but the executors may still have written to " + swap.staging + ": remove it once they are gone";
        try {
            return swap.removeLateWrites(LATE_WRITES_QUIET, LATE_WRITES_LIMIT) ? "" : left;
        } catch (IOException | RuntimeException e) {
            return left + " (" + e + ")";
        } catch (InterruptedException e) {   // (Hadoop's time for the hook ran out)
            Thread.currentThread().interrupt();
            return left;
        }
    }

    /**
     * Priority in Hadoop's shutdown hook manager: below Spark's (40, under which Spark stops its
     * context and tasks), above Hadoop's FileSystem hook (10), which closes the file systems.
     */
    static final int PARTIAL_OUTPUT_HOOK_PRIORITY = 20;
    /**
     * How long a stopped run on a cluster watches its staging directory for the late writes of
     * executors still going: removed at each, until none came for the first, or at most for the
     * second (within Hadoop's 30 s for each shutdown hook).
     */
    static final java.time.Duration LATE_WRITES_QUIET = java.time.Duration.ofSeconds(3);
    static final java.time.Duration LATE_WRITES_LIMIT = java.time.Duration.ofSeconds(20);

    /**
     * The input table, its schema merged over all files (a band-layout file beside dense files
     * without diag_lo/diag_hi keeps its band; where files store a column in two types, see
     * {@link InputSchema}); a missing or empty input path is the user's error.
     * Directories named {@code key=value} are Spark's partitions: an input written with
     * {@code partitionBy("n")} has its {@code n} in the directory names, not in its files.
     */
    static Dataset<Row> readInput(SparkSession spark, String path) {
        try {
            Dataset<Row> input = quietTaskFailures(() -> spark.read().option("mergeSchema", "true").parquet(path));
            java.util.Optional<org.apache.spark.sql.types.StructField> scores = java.util.Arrays.stream(input.schema().fields())
                    .filter(f -> f.name().equalsIgnoreCase("scores")).findFirst();
            if (scores.isPresent() && (scores.get().dataType() instanceof org.apache.spark.sql.types.IntegerType
                    || scores.get().dataType().sameType(org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.IntegerType)))) {
                // Scores of int are refused, unless they are pyarrow's column (or list) of nulls alone in
                // every file, which Spark reads as int: then no row has a score, and the footers say so.
                StructType unified = InputSchema.unified(path, input.inputFiles(), hadoopConf(spark));
                boolean nullsAlone = java.util.Arrays.stream(unified.fields()).anyMatch(f -> f.name().equalsIgnoreCase("scores")
                        && !f.dataType().sameType(scores.get().dataType()));
                if (nullsAlone) {
                    LOG.info("the input's scores are all null (Parquet's null type); reading {}", unified.simpleString());
                    return spark.read().schema(unified).parquet(path);
                }
            }
            return input;
        } catch (Exception e) {   // (Scala's AnalysisException is checked to javac, yet undeclared)
            String condition = e instanceof AnalysisException ? ((AnalysisException) e).getCondition() : "";
            if ("PATH_NOT_FOUND".equals(condition)) {
                throw new UserError("--input " + path + " does not exist");
            }
            if ("UNABLE_TO_INFER_SCHEMA".equals(condition)) {
                throw new UserError("--input " + path + " holds no Parquet files (Spark skips files whose names start with _ or .)");
            }
            Throwable sameName = sparkError(e, "COLUMN_ALREADY_EXISTS");
            if (sameName != null) {
                // Columns whose names differ in case alone (in one file, or across files): where the job reads
                // them, the user's mistake (the footers say so); other columns are ignored (SPEC section 5), so
                // the job's are read alone (a SPEC audit: two such ignored columns failed the run).
                StructType unified = InputSchema.unified(path, inputFiles(spark, path), hadoopConf(spark));
                LOG.info("the input's files hold columns whose names differ in case alone ({}); reading {}", sparkWords(sameName),
                        unified.simpleString());
                return spark.read().schema(unified).parquet(path);
            }
            Throwable badType = sparkError(e, "PARQUET_TYPE_ILLEGAL");
            if (badType != null) {
                // A column of a type Spark cannot read (pandas' datetime64[ns], float16): read the job's
                // columns alone, which the footers give (or say which of them it is, and where).
                StructType unified = InputSchema.unified(path, inputFiles(spark, path), hadoopConf(spark));
                try {
                    InputColumns.format(unified);
                } catch (UserError missing) {   // (what the job needs is not there either)
                    throw new UserError("--input " + path + ": a column is stored in a Parquet type Spark cannot read ("
                            + sparkWords(badType) + "), and " + missing.getMessage());
                }
                LOG.info("the input's files hold a column of a Parquet type Spark cannot read ({}), which the job does not read;"
                        + " reading {}", sparkWords(badType), unified.simpleString());
                return spark.read().schema(unified).parquet(path);
            }
            Throwable footer = sparkError(e, "FAILED_READ_FILE.CANNOT_READ_FILE_FOOTER");
            if (footer != null) {
                Throwable root = footer;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                if (root instanceof java.net.URISyntaxException u && String.valueOf(u.getInput()).contains(":")) {
                    // (Hadoop's local file system fails first on the file's hidden checksum file, .NAME.crc)
                    String name = u.getInput().matches("\\..+\\.crc") ? u.getInput().substring(1, u.getInput().length() - 4) : u.getInput();
                    throw new UserError("--input " + path + " holds a file whose name Hadoop cannot open ('" + name
                            + "'): Hadoop takes a ':' in a file name for a URI scheme; rename the file without it");
                }
                boolean checksum = root instanceof org.apache.hadoop.fs.ChecksumException
                        || String.valueOf(root.getMessage()).startsWith("Checksum");
                throw new UserError("--input " + path + (checksum ? " holds a file that fails its checksum: " : " holds a file that is no"
                        + " Parquet file: ") + root.getMessage() + ReadFailures.hint(root, root.getMessage()));
            }
            if (mergeFailure(e)) {
                // Some column is stored in two types: read the job's columns alone, in one type
                // each where one holds both (or say which column and files disagree).
                StructType unified = InputSchema.unified(path, inputFiles(spark, path), hadoopConf(spark));
                LOG.info("the input's files store some column in two types; reading {}", unified.simpleString());
                return spark.read().schema(unified).parquet(path);
            }
            throw e;
        }
    }

    /** The input's files, listed without a footer read (under a schema given, Spark infers none). */
    private static String[] inputFiles(SparkSession spark, String path) {
        return spark.read().schema(DataTypes.createStructType(List.of(DataTypes.createStructField("id", DataTypes.StringType, true))))
                .parquet(path).inputFiles();
    }

        /**
     * Whether a shutdown hook of a run in progress says how a stop left the output (the command
     * line then adds nothing of its own when the run's call fails as the JVM goes down).
     */
    static final java.util.concurrent.atomic.AtomicBoolean STOP_SAID_BY_HOOK = new java.util.concurrent.atomic.AtomicBoolean();

    /** Turns log4j's output off, as the JVM goes down (where the backend is not log4j 2's, nothing). */
    static void quietLogging() {
        try {
            org.apache.logging.log4j.core.config.Configurator.setRootLevel(org.apache.logging.log4j.Level.OFF);
        } catch (LinkageError | RuntimeException e) {
            // (another backend: its messages stay)
        }
    }

        /** The loggers that report a failed task on the driver (and, in local mode, in the task). */
    static final List<String> TASK_FAILURE_LOGGERS = List.of("org.apache.spark.scheduler.TaskSetManager",
            "org.apache.spark.executor.Executor");

    /**
     * {@code read} with Spark quiet about failed tasks ({@link #TASK_FAILURE_LOGGERS}): Spark
     * merges the schemas of the input's files in a job of its own, whose task fails where files
     * store a column in two types, which {@link #readInput} then reads in one type; that run goes
     * on to succeed, and yet would log "ERROR TaskSetManager: Task 1 in stage 0.0 failed 1
     * times; aborting job" (and, with Spark's default logging, the task's stack trace). Where
     * the failure is real, {@link #readInput} says what it is. Their levels are restored after.
     * Where the logging backend is not log4j 2's, nothing is quieted.
     */
    static <T> T quietTaskFailures(java.util.function.Supplier<T> read) {
        List<org.apache.logging.log4j.Level> were = new ArrayList<>();
        try {
            for (String name : TASK_FAILURE_LOGGERS) {
                were.add(org.apache.logging.log4j.LogManager.getLogger(name).getLevel());
                org.apache.logging.log4j.core.config.Configurator.setLevel(name, org.apache.logging.log4j.Level.OFF);
            }
        } catch (LinkageError | RuntimeException e) {   // (another backend: leave its levels be)
            LOG.debug("could not quiet Spark's task failures while it merges the input's schemas: {}", e.toString());
        }
        try {
            return read.get();
        } finally {
            for (int k = 0; k < were.size(); k++) {
                try {
                    org.apache.logging.log4j.core.config.Configurator.setLevel(TASK_FAILURE_LOGGERS.get(k), were.get(k));
                } catch (LinkageError | RuntimeException e) {
                    LOG.debug("could not restore the level of {}: {}", TASK_FAILURE_LOGGERS.get(k), e.toString());
                }
            }
        }
    }

    /**
     * Removes what a losing attempt may have left after its job committed: a {@code _temporary}
     * it made again in {@code marginals/} or {@code rejected/} (the committer had removed it).
     */
    private static void removeLeftovers(FileSystem fs, Path staging) {
        for (String dir : new String[] {"marginals", "rejected"}) {
            try {
                fs.delete(new Path(new Path(staging, dir), "_temporary"), true);
            } catch (IOException e) {
                LOG.warn("could not remove {}/_temporary: {}", dir, e.toString());
            }
        }
    }

    /** Whether Spark could not merge the input files' schemas into one (two types for a column). */
    private static boolean mergeFailure(Throwable e) {
        return sparkError(e, "CANNOT_MERGE_SCHEMAS") != null || sparkError(e, "CANNOT_MERGE_INCOMPATIBLE_DATA_TYPE") != null;
    }

    /** The first of {@code e} and its causes that is Spark's error {@code condition}, or null. */
    private static Throwable sparkError(Throwable e, String condition) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.apache.spark.SparkThrowable && condition.equals(((org.apache.spark.SparkThrowable) t).getCondition())) {
                return t;
            }
        }
        return null;
    }

    /** Spark's message without its condition's name and SQLSTATE, for a line of our own. */
    static String sparkWords(Throwable t) {
        return t.getMessage().replaceFirst("^\\[[A-Z_.]+\\] ", "").replaceFirst("\\s*SQLSTATE: \\w+\\s*$", "");
    }

    private static JobSummary align(SparkSession spark, JobRequest req, Dataset<Row> input, long readingBytes, boolean byPage,
                                    List<String> largeFiles, Path staging, FileSystem fs, long start, String tag) {
        String dir = staging.toString();
        JobCounters counters = new JobCounters(spark.sparkContext());
        // (by page: Spark reads every row without its scores, with its file and place there, and
        // the tasks read the scores; else Spark reads them, but for the files of rows too large for it)
        JavaRDD<InternalRow> rows = byPage ? InputColumns.internalRows(InputColumns.withoutScores(input))
                : largeFiles.isEmpty() ? InputColumns.rows(input) : InputColumns.rows(input, largeFiles);
        Executor executor = executor(spark);
        long taskBatchCells = taskBatchCells(req.options.batchCells, executor);
        if (taskBatchCells < req.options.batchCells) {
            LOG.info("batches of at most {} cells a task, not {}: {}% of an executor's {} MiB heap over its {} task slots, at {} bytes a "
                    + "cell", taskBatchCells, req.options.batchCells, (int) (ExecutorAligners.HEAP_SHARE * 100), executor.heapBytes() >> 20,
                    executor.slots(), ExecutorAligners.BYTES_PER_CELL);
        }
        JavaRDD<InternalRow> aligned = rows.mapPartitions(
                new AlignPartition(req.options.withBatchCells(taskBatchCells), InputColumns.format(input.schema()), readingBytes, counters,
                        new RejectedSink.Settings(req.rejectedDriverRows, dir, req.compression, hadoopConf(spark))));
        if (req.stageGpuAmount > 0) {
            aligned = aligned.withResources(new ResourceProfileBuilder()
                    .require(new TaskResourceRequests().resource("gpu", req.stageGpuAmount)).build());
        }
        // (the tasks build each output row themselves, in Spark's own row format: no encoder between)
        Dataset<Row> records = ((org.apache.spark.sql.classic.SparkSession) spark).internalCreateDataFrame(aligned.rdd(),
                OutputColumns.schema(req.options.packed), false);
        DataFrameWriter<Row> marginals = ParquetWriting.configure(records.write(), req.compression, OutputColumns.NO_DICTIONARY);
        long rowGroupBytes = outputRowGroupBytes(executor, hadoopConf(spark).get(OUTPUT_ROW_GROUP_KEY));
        if (rowGroupBytes > 0) {
            LOG.info("output row groups of at most {} MiB a task ({}% of an executor's heap over its task slots; {} sets them)",
                    rowGroupBytes >> 20, (int) (OUTPUT_HEAP_SHARE * 100), "spark.hadoop." + OUTPUT_ROW_GROUP_KEY);
            marginals = marginals.option(OUTPUT_ROW_GROUP_KEY, rowGroupBytes);
        }
        marginals.format(req.pageWriter ? OutputParquetFormat.NAME : "parquet").save(dir + "/marginals");

        // The tasks' first rejected rows came with their results; the driver writes them (an
        // empty table, typed, where none were), then adds the files the tasks wrote themselves.
        List<RejectedRecord> rejected = new ArrayList<>(counters.rejected.value());
        ParquetWriting.configure(spark.createDataFrame(rejected, RejectedRecord.class).select("id", "error").coalesce(1).write(),
                req.compression).parquet(dir + "/rejected");
        awaitNoTasks(spark.sparkContext(), tag);   // losing speculative attempts, still writing
        RejectedSink.collect(fs, staging, counters.rejectedFiles.value());
        removeLeftovers(fs, staging);
        double seconds = (System.nanoTime() - start) / 1e9;

        long inputRows = counters.inputRows.value();
        long alignedRows = counters.alignedRows.value();
        long rejectedRows = counters.rejectedRows.value();
        if (inputRows != alignedRows + rejectedRows) {
            throw new IllegalStateException("internal error: " + inputRows + " input rows but " + alignedRows
                    + " aligned and " + rejectedRows + " rejected");
        }
        return new JobSummary(inputRows, alignedRows, rejectedRows, counters.cells.value(), seconds,
                new ArrayList<>(new TreeSet<>(counters.backends.value())), spark.sparkContext().master(),
                options(req, byPage, largeFiles.size(), taskBatchCells, rowGroupBytes > 0 ? rowGroupBytes
                        : hadoopConf(spark).getLong(OUTPUT_ROW_GROUP_KEY, org.apache.parquet.hadoop.ParquetWriter.DEFAULT_BLOCK_SIZE)), taskGpuCounts(counters.taskGpus.value()),
                new ArrayList<>(new TreeSet<>(counters.cpuFallbacks.value())), counters.taskNanos.value() / 1e9,
                counters.alignNanos.value() / 1e9, counters.gpuWaitNanos.value() / 1e9, qualified(hadoopConf(spark), req.input),
                qualified(hadoopConf(spark), req.output), req.output, rejected.stream()
                        .min(java.util.Comparator.comparing(RejectedRecord::getId, java.util.Comparator.nullsFirst(
                                java.util.Comparator.<String>naturalOrder()))).orElse(null));
    }

    /** {@code path} with its file system and, where relative, the working directory: the summary outlives the shell it ran in. */
    static String qualified(Configuration hadoop, String path) {
        Path p = new Path(path);
        try {
            return p.getFileSystem(hadoop).makeQualified(p).toString();
        } catch (IOException e) {   // (the input was read through that file system already)
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The options the summary records: the job's, how its output was written, and how its scores
     * were read ({@code page_reader} as asked for, {@code scores_reader} what that chose:
     * {@code "page"} or {@code "spark"}; {@code large_row_files}, where Spark's reader reads
     * them, the files whose rows are too large for it, which the job reads itself a row at a time;
     * {@code task_batch_cells} and {@code output_row_group_bytes}, the batches and row groups its
     * tasks used, which an executor's heap may make smaller than asked for).
     */
    private static Map<String, Object> options(JobRequest req, boolean byPage, int largeRowFiles, long taskBatchCells,
                                               long outputRowGroupBytes) {
        Map<String, Object> m = req.options.describe();
        m.put("task_batch_cells", taskBatchCells);
        m.put("output_row_group_bytes", outputRowGroupBytes);
        m.put("compression", req.compression);
        m.put("page_writer", req.pageWriter);
        m.put("page_reader", req.pageReader);
        m.put("scores_reader", byPage ? "page" : "spark");
        m.put("large_row_files", largeRowFiles);
        return m;
    }

    /** How many alignment tasks held each GPU address set ("none" for a task that held none). */
    private static Map<String, Integer> taskGpuCounts(List<String> perTask) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String a : perTask) {
            counts.merge(a.isEmpty() ? "none" : a, 1, Integer::sum);
        }
        return counts;
    }
}
