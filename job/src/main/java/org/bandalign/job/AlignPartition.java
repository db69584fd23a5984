package org.bandalign.job;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Pair;
import org.bandalign.align.PairChecks;
import org.bandalign.cuda.CudaAligner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alignment of one partition: rows are decoded and gathered into bounded batches (by band
 * cells and by count), each batch goes through one {@code alignAll}, and the results stream out
 * as {@code marginals/} rows. Memory is bounded by the batch, whatever the partition's size.
 * Every input row ends as exactly one aligned row or one rejected row (or, with
 * {@code --fail-fast}, fails the task).
 */
final class AlignPartition implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AlignPartition.class);

    /**
     * Share of the executor's heap that the input tasks hold as read may take together: a task
     * takes its part ({@link AlignJob#taskReadingBytes}) before it reads its first row and gives
     * it back once it has read its last, so that tasks whose row groups or rows are large take
     * turns to read instead of running the executor out of memory. Its read batches (twice
     * {@value AlignJob#READER_HEAP_SHARE} of the heap over the task slots, as the reader's
     * vectors grow) fit in it whatever the slots, so only row groups of more than about a fifth
     * of the heap over the slots, or rows of more than a few percent of it, make tasks wait.
     * (At 0.25, 1000 pairs of 200 x 200 in 120 MB row groups read one task at a time in local[2]
     * at -Xmx1g, 6% slower than without the share; at 0.3 both tasks read, and local[4], which
     * ran out of memory without the share, reads with two.)
     */
    static final double READING_HEAP_SHARE = 0.3;
    /** Bytes a unit of {@link #READING} stands for. */
    static final long READING_UNIT = 64 << 10;
    static final HeapShare READING = new HeapShare(READING_HEAP_SHARE, READING_UNIT);

    private final JobOptions options;
    private final InputColumns.Format format;
    /** The heap a task holds while it reads ({@link AlignJob#taskReadingBytes}). */
    private final long readingBytes;
    private final JobCounters counters;
    private final RejectedSink.Settings rejectedOutput;
    private final AlignerSource aligners;

    /** Where a task's first aligner comes from: the executor's shared one for the job's backend. */
    @FunctionalInterface
    interface AlignerSource extends java.io.Serializable {
        Aligner forTask(JobOptions options, TaskContext task);
    }

    AlignPartition(JobOptions options, InputColumns.Format format, long readingBytes, JobCounters counters,
                   RejectedSink.Settings rejectedOutput) {
        this(options, format, readingBytes, counters, rejectedOutput, ExecutorAligners::forTask);
    }

    /** With the task's aligners from {@code aligners} (tests: an engine whose heap runs short). */
    AlignPartition(JobOptions options, InputColumns.Format format, long readingBytes, JobCounters counters,
                   RejectedSink.Settings rejectedOutput, AlignerSource aligners) {
        this.options = options;
        this.format = format;
        this.readingBytes = readingBytes;
        this.counters = counters;
        this.rejectedOutput = rejectedOutput;
        this.aligners = aligners;
    }

    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
        final long started = System.nanoTime();
        TaskContext task = TaskContext.get();
        counters.taskGpus.add(String.join(",", TaskGpu.addresses(task)));
        Aligner first = aligners.forTask(options, task);
        counters.backends.add(first.backend());
        String fallback = ExecutorAligners.cpuFallback();
        if (fallback != null) {
            counters.cpuFallbacks.add(fallback);
        }
        AlignOptions alignOptions = options.alignOptions();
        return new Iterator<>() {
            /** The last batch's valid results whose rows are still to be built and handed out, in order. */
            private final ArrayDeque<Aligned> ready = new ArrayDeque<>();
            /**
             * The row {@link #next} hands out next, once {@link #hasNext} has built it (in
             * {@link #buffer} if small: valid until the next is built).
             */
            private InternalRow nextRow;
            private final RecordMaker.RowBuffer buffer = new RecordMaker.RowBuffer();
            private final RowPlace where = new RowPlace();
            private final RejectedSink rejects = new RejectedSink(counters, rejectedOutput, task);
            private final TaskEngine engine = new TaskEngine(first, task);
            /**
             * Reads the scores Spark's reader leaves to the job: every row's where the job reads them a
             * page at a time ({@link AlignJob#readsByPage}), else those of the files of rows too large
             * for Spark's reader ({@link LargeRows}).
             */
            private final ParquetScores ownReader = new ParquetScores(() -> {
                try {
                    return RejectedSink.configuration(rejectedOutput.configuration);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            /** Gives back the executor memory of the batch whose rows are being handed out. */
            private volatile Runnable batchMemory = NO_MEMORY;
            /** Gives back the executor memory this task holds while it reads; null before it reads. */
            private volatile Runnable readingMemory;
            private boolean timed;

            {
                if (task != null) {   // a failed or killed task gives its memory back too
                    task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> {
                        batchMemory.run();
                        Runnable r = readingMemory;
                        if (r != null) {
                            r.run();
                        }
                        try {
                            ownReader.close();
                        } catch (RuntimeException e) {   // (a killed task's stream; its memory is given back above)
                            LOG.warn("closing an input file: {}", e.toString());
                        }
                    });
                }
            }

            @Override
            public boolean hasNext() {
                if (readingMemory == null) {   // before the first row is read
                    readingMemory = READING.take(readingBytes, task, "memory to read the input (" + readingBytes + " bytes)");
                }
                try {
                    while (nextRow == null && (!ready.isEmpty() || rows.hasNext())) {
                        if (ready.isEmpty()) {
                            batchMemory.run();   // the last batch's rows are all written: its memory is free
                            batchMemory = NO_MEMORY;
                            batchMemory = alignBatch(rows, engine, alignOptions, ready, where, rejects, ownReader);
                        } else {
                            nextRow = row(ready.poll(), rejects, buffer);   // (one row at a time: each is a copy of its marginals)
                        }
                    }
                } catch (RuntimeException | Error e) {
                    readingMemory.run();   // the task fails (--fail-fast, a failed read): it reads no more
                    throw e;
                }
                if (nextRow == null) {
                    batchMemory.run();
                    ownReader.close();
                    readingMemory.run();   // all read
                    rejects.finish();
                }
                if (nextRow == null && !timed) {
                    timed = true;
                    counters.taskNanos.add(System.nanoTime() - started);
                }
                return nextRow != null;
            }

            @Override
            public InternalRow next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                InternalRow row = nextRow;
                nextRow = null;
                return row;
            }
        };
    }

    /**
     * The engine of one task. With {@code --backend auto} on a GPU, the CPU engine takes over
     * where the GPU cannot go on: a batch whose launch fails (a device fault leaves the device
     * unusable, so the rest of the task stays on the CPU; the aligner is closed, and later tasks
     * start on the CPU; a launch the driver refused, while the aligner forgives that, moves that
     * batch alone), and the pairs too large for the device's memory. Each such hand-over is
     * counted in {@code backends} and said in {@code cpu_fallbacks}, so no valid pair is lost to
     * the GPU and none moves silently. With {@code --backend cuda}, a failure fails the task and
     * a pair too large for the GPU is rejected as such.
     */
    final class TaskEngine {
        private final TaskContext task;
        private Aligner aligner;
        /** Nanoseconds the last {@link #alignAll} call waited for a GPU permit. */
        private long lastWaitNanos;

        TaskEngine(Aligner aligner, TaskContext task) {
            this.aligner = aligner;
            this.task = task;
        }

        /**
         * One batch through the task's engine; on a GPU, under one of its permits
         * ({@code spark.bandalign.gpu.concurrentTasks}), taken for this batch alone, so that tasks
         * read and write Parquet while others use the GPU.
         */
        List<AlignmentResult> alignAll(List<Pair> batch, AlignOptions alignOptions) {
            lastWaitNanos = 0;
            if (!(aligner instanceof CudaAligner)) {
                return aligner.alignAll(batch, alignOptions);
            }
            if (options.backend != Backend.AUTO) {
                return onGpu(batch, alignOptions);
            }
            List<AlignmentResult> results;
            try {
                results = onGpu(batch, alignOptions);
            } catch (RuntimeException e) {
                if (Thread.currentThread().isInterrupted() || (task != null && task.isInterrupted())) {
                    throw e;   // the task is being killed, not the GPU failing
                }
                String gpu = aligner.backend();
                CudaAligner cuda = (CudaAligner) aligner;
                if (!cuda.isBroken() && CudaAligner.isRefusedLaunch(e)) {
                    // The driver refused this batch's launch, and the device stays usable: this
                    // batch on the CPU, the next on the GPU again.
                    handOver("the GPU " + gpu + " refused a launch, so that batch ran on the CPU: " + e.getMessage(), e);
                    return ExecutorAligners.cpu(options).alignAll(batch, alignOptions);
                }
                ExecutorAligners.retireIfBroken(aligner);
                aligner = ExecutorAligners.cpu(options);
                handOver("the GPU " + gpu + " failed, so the rest of that task ran on the CPU: " + e.getMessage(), e);
                return aligner.alignAll(batch, alignOptions);
            }
            List<Integer> tooLarge = new ArrayList<>();
            for (int k = 0; k < results.size(); k++) {
                if (!results.get(k).isValid() && results.get(k).error().isDeviceLimit()) {
                    tooLarge.add(k);
                }
            }
            if (!tooLarge.isEmpty()) {
                List<Pair> again = new ArrayList<>(tooLarge.size());
                tooLarge.forEach(k -> again.add(batch.get(k)));
                List<AlignmentResult> onCpu = ExecutorAligners.cpu(options).alignAll(again, alignOptions);
                results = new ArrayList<>(results);
                for (int q = 0; q < tooLarge.size(); q++) {
                    results.set(tooLarge.get(q), onCpu.get(q));
                }
                handOver("pairs too large for the GPU " + aligner.backend()
                        + " (its memory or one pinned staging buffer) were aligned on the CPU", null);
            }
            return results;
        }

        private List<AlignmentResult> onGpu(List<Pair> batch, AlignOptions alignOptions) {
            long t0 = System.nanoTime();
            Runnable release = ExecutorAligners.takePermit((CudaAligner) aligner, task);
            lastWaitNanos = System.nanoTime() - t0;
            counters.gpuWaitNanos.add(lastWaitNanos);
            try {
                return aligner.alignAll(batch, alignOptions);
            } finally {
                release.run();
            }
        }

        private void handOver(String why, Throwable cause) {
            counters.backends.add("cpu");
            counters.cpuFallbacks.add(why);
            LOG.warn(why, cause);
        }
    }

    private static final Runnable NO_MEMORY = () -> { };

    /**
     * Gathers, aligns and turns into output rows one batch; returns what gives back the executor
     * memory taken for it ({@link ExecutorAligners#takeMemory}), to run once its rows are written.
     */
    private Runnable alignBatch(Iterator<InternalRow> rows, TaskEngine engine, AlignOptions alignOptions,
                                ArrayDeque<Aligned> out, RowPlace where, RejectedSink rejects, ParquetScores ownReader) {
        List<Pair> batch = new ArrayList<>();
        long batchCells = 0;
        long batchMemory = 0;
        long largestPair = 0;
        while (rows.hasNext() && batch.size() < options.batchPairs && batchCells < options.batchCells) {
            InternalRow row = rows.next();
            counters.inputRows.add(1);
            where.next();
            try {
                // A pair too large is rejected from its shape, before its scores are copied. (Every
                // row that decodes has passed these checks: a shape they skip, decode refuses.)
                PairDecoder.checkSizeFirst(row, alignOptions, (id, g, bandLayout) -> {
                    PairChecks.checkSize(id, g, alignOptions);
                    ExecutorAligners.checkFitsHeap(id, g);
                    RecordMaker.checkOutputSize(id, g, options.layoutFor(bandLayout), options.maxCells);
                });
                // (a row of a file left to the job's reader: its scores are checked against the heap
                // too, since a dense row aligned in a narrow band has few cells yet all its scores are read)
                Pair pair = row.numFields() > InputColumns.ROW_INDEX && !row.isNullAt(InputColumns.ROW_INDEX)
                        ? PairDecoder.decode(row, id -> ownReader.read(row.getUTF8String(InputColumns.FILE).toString(),
                                row.getLong(InputColumns.ROW_INDEX), id, LargeRows.scores(row), ExecutorAligners::checkScoresFitHeap), format.binary)
                        : PairDecoder.decode(row, format);
                BandGeometry g = BandGeometry.of(pair, alignOptions);
                batch.add(pair);
                // (the batch's size: its band cells, or its output or its scores as read where
                // that is larger, as for a dense row aligned in a narrow band; its memory: that
                // and its rows, which outweigh the cells in a narrow band)
                long cells = Math.max(Math.max(g.cells(), RecordMaker.outputFloats(g, options.layoutFor(pair.isBandLayout())) / 3),
                        pair.scores().length / 3);
                long memory = cells + ExecutorAligners.rowCells(g.n(), ExecutorAligners.BYTES_PER_CELL);
                batchCells += cells;
                batchMemory += memory;
                largestPair = Math.max(largestPair, memory);
            } catch (InvalidPairException e) {
                // a row without an id can only be found again by its place in the input
                reject(e.pairId() == null ? new InvalidPairException(null, e.reason() + " (" + where + ")") : e, rejects);
            }
        }
        if (batch.isEmpty()) {
            return NO_MEMORY;
        }
        Runnable releaseMemory = ExecutorAligners.takeMemory(batchMemory, largestPair, engine.task);
        try {
            long t0 = System.nanoTime();
            List<AlignmentResult> results = engine.alignAll(batch, alignOptions);
            counters.alignNanos.add(System.nanoTime() - t0 - engine.lastWaitNanos);
            List<Integer> heapLimited = new ArrayList<>();
            for (int k = 0; k < results.size(); k++) {
                if (!results.get(k).isValid() && results.get(k).error().isHeapLimit()) {
                    heapLimited.add(k);
                }
            }
            if (!heapLimited.isEmpty()) {
                // Valid pairs that did not fit the heap other tasks' batches left free: once more,
                // each alone, with all of the executor's memory for batches.
                releaseMemory.run();
                releaseMemory = NO_MEMORY;
                releaseMemory = ExecutorAligners.takeAllMemory(engine.task);
                results = new ArrayList<>(results);
                for (int k : heapLimited) {
                    long t1 = System.nanoTime();
                    results.set(k, engine.alignAll(List.of(batch.get(k)), alignOptions).get(0));
                    counters.alignNanos.add(System.nanoTime() - t1 - engine.lastWaitNanos);
                }
                LOG.info("{} pair(s) that did not fit the free heap were aligned again, alone on this executor", heapLimited.size());
            }
            keep(results, batch, out, rejects);
            return releaseMemory;
        } catch (RuntimeException | Error e) {
            releaseMemory.run();
            throw e;
        }
    }

    /** A valid result, and whether its input row was in band layout. */
    private record Aligned(AlignmentResult result, boolean bandLayoutRow) {
    }

    /** The batch's valid results, to become output rows; the others rejected. */
    private void keep(List<AlignmentResult> results, List<Pair> batch, ArrayDeque<Aligned> out, RejectedSink rejects) {
        for (int k = 0; k < results.size(); k++) {
            AlignmentResult r = results.get(k);
            if (r.isValid()) {
                out.add(new Aligned(r, batch.get(k).isBandLayout()));
            } else {
                reject(r.error(), rejects);
            }
        }
    }

    /** The output row of {@code a}, or null where it has none and is rejected. */
    private InternalRow row(Aligned a, RejectedSink rejects, RecordMaker.RowBuffer buffer) {
        InternalRow row;
        try {
            row = RecordMaker.record(a.result(), a.bandLayoutRow(), options, buffer);
        } catch (InvalidPairException e) {   // e.g. more sparse steps than its row can hold
            reject(e, rejects);
            return null;
        }
        counters.alignedRows.add(1);
        counters.cells.add(a.result().cells());
        return row;
    }

    /**
     * Where a task's current input row is: the file and split Spark's file scan is reading (its
     * InputFileBlockHolder, the source of input_file_name()) and the row's number in it. One per
     * task; read only to describe a row that has no id.
     */
    static final class RowPlace {
        private Object path;
        private long start = -1;
        private long row;

        /** Called once per input row, before it is decoded. */
        void next() {
            Object p = null;
            long s = -1;
            try {
                p = org.apache.spark.rdd.InputFileBlockHolder.getInputFilePath();
                s = org.apache.spark.rdd.InputFileBlockHolder.getStartOffset();
            } catch (RuntimeException | LinkageError e) {
                // not a file scan, or another Spark: rows are then counted from the task's start
            }
            if (p != path || s != start) {   // the holder keeps one path object per file split
                path = p;
                start = s;
                row = 0;
            }
            row++;
        }

        @Override
        public String toString() {
            String file = path == null ? "" : path.toString();
            return file.isEmpty() ? "input row " + row + " of this task"
                    : "input row " + row + " of the split of " + file + " that starts at byte " + start;
        }
    }

    private void reject(InvalidPairException e, RejectedSink rejects) {
        if (options.failFast) {
            // (the user's input, as a missing column is: exit 2, one line; it was exit 1, "failed: IllegalArgumentException")
            throw new UserError("bad input row (--fail-fast): " + e.getMessage(), e);
        }
        rejects.add(e.pairId(), e.reason());
    }

}
