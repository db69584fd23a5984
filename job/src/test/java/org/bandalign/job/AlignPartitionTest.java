package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext$;
import org.apache.spark.TaskContextImpl;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.unsafe.types.UTF8String;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One partition through {@link AlignPartition} outside a Spark job (the task's side): how many
 * input rows each batch takes, the executor memory each batch holds and gives back, the rejected
 * rows' file and the figures the task reports.
 */
@org.junit.jupiter.api.Timeout(60)   // a test left waiting for memory an earlier failure kept fails, not hangs
class AlignPartitionTest {
    private static SparkContext sc;
    private static final InputColumns.Format ARRAY = new InputColumns.Format(false, false, false);

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        sc = new SparkContext(new SparkConf().setMaster("local[1]").setAppName("AlignPartitionTest"));
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    private static JobOptions options(Layout layout, boolean failFast, long batchCells, int batchPairs, long maxCells) {
        return new JobOptions(Mode.GLOBAL, Semiring.LOG, -1, layout, 1e-4, false, Backend.CPU, failFast, batchCells, batchPairs,
                maxCells, 0, 1, 0, false);
    }

    /** A dense input row (InputColumns order) of an n x m pair whose scores are all {@code score}. */
    private static InternalRow row(String id, int n, int m, float score) {
        float[] scores = new float[n * m * 3];
        Arrays.fill(scores, score);
        return new GenericInternalRow(new Object[] {UTF8String.fromString(id), n, m, UnsafeArrayData.fromPrimitiveArray(scores),
            null, null});
    }

    private static InternalRow good(String id) {
        return row(id, 2, 2, 0.5f);   // 4 band cells
    }

    /** No path of finite weight: it decodes, and only the engine rejects it. */
    private static InternalRow noPath(String id) {
        return row(id, 2, 2, Float.NEGATIVE_INFINITY);
    }

    /** Scores for a 2 x 3 pair in a row that says 2 x 2: rejected as it is decoded. */
    private static InternalRow badLength(String id) {
        return new GenericInternalRow(new Object[] {UTF8String.fromString(id), 2, 2, UnsafeArrayData.fromPrimitiveArray(new float[18]),
            null, null});
    }

    /** The input rows, counting how many the partition has taken. */
    private static final class Rows implements Iterator<InternalRow> {
        private final Iterator<InternalRow> rows;
        int taken;

        Rows(InternalRow... rows) {
            this.rows = List.of(rows).iterator();
        }

        @Override
        public boolean hasNext() {
            return rows.hasNext();
        }

        @Override
        public InternalRow next() {
            taken++;
            return rows.next();
        }
    }

    private AlignPartition partition(JobOptions options, JobCounters counters, int driverRows) {
        return partition(options, 0, counters, driverRows);
    }

    private AlignPartition partition(JobOptions options, long readingBytes, JobCounters counters, int driverRows) {
        return new AlignPartition(options, ARRAY, readingBytes, counters, new RejectedSink.Settings(driverRows, tmp.toString(),
                "snappy", new Configuration()));
    }

    private static List<String> ids(Iterator<InternalRow> out) {
        List<String> ids = new ArrayList<>();
        out.forEachRemaining(r -> ids.add(r.getUTF8String(OutputColumns.ID).toString()));
        return ids;
    }

    /**
     * Fails unless the executor's whole memory shares for batches and for reading are free: no
     * ended partition still holds its part (later tasks would wait for it forever).
     */
    private static void assertAllMemoryFree() throws Exception {
        assertFree(() -> ExecutorAligners.takeMemory(1L << 50, 0, null), "executor memory for a batch");
        assertFree(() -> AlignPartition.READING.take(Long.MAX_VALUE, null, "all of it"), "executor memory for reading");
    }

    private static void assertFree(java.util.concurrent.Callable<Runnable> takeAll, String what) throws Exception {
        FutureTask<Runnable> all = new FutureTask<>(takeAll);
        Thread t = new Thread(all, "memory-probe");
        t.setDaemon(true);
        t.start();
        try {
            all.get(3, TimeUnit.SECONDS).run();
        } catch (TimeoutException e) {
            t.interrupt();   // (it stops waiting and lets go of the memory queue)
            fail("an ended partition still holds " + what);
        }
    }

    @Test
    void call_batchLimits_eachBatchTakesAtMostBatchPairsRowsAndStopsAtBatchCells() {
        // 2 x 2 pairs: 4 cells each, exactly maxCells; 2 pairs fill batchCells = 8
        Rows byCells = new Rows(good("a"), good("b"), good("c"), good("d"), good("e"));
        Iterator<InternalRow> out = partition(options(null, false, 8, 100, 4), new JobCounters(sc), 256).call(byCells);
        out.next();
        int takenByCells = byCells.taken;
        List<String> restByCells = ids(out);   // (read to the end first: an abandoned partition keeps its batch's memory)

        Rows byPairs = new Rows(good("a"), good("b"), good("c"), good("d"), good("e"));
        Iterator<InternalRow> out2 = partition(options(null, false, 1_000_000, 2, 1000), new JobCounters(sc), 256).call(byPairs);
        out2.next();
        int takenByPairs = byPairs.taken;
        List<String> restByPairs = ids(out2);

        assertEquals(2, takenByCells, "the first batch: two pairs of 4 cells fill batch.cells 8");
        assertEquals(2, takenByPairs, "the first batch: batch.pairs 2");
        assertEquals(List.of("b", "c", "d", "e"), restByCells);
        assertEquals(List.of("b", "c", "d", "e"), restByPairs);
    }

    @Test
    void call_denseRowsAlignedInANarrowBand_countTheirScoresAsReadTowardsBatchCells() {
        // 6 x 6 dense rows aligned in the band of one diagonal: 6 band cells each, but each row's
        // 36 cells of scores are copied into the batch; batch.cells 40 holds two such rows, not seven
        JobOptions banded = new JobOptions(Mode.GLOBAL, Semiring.LOG, 0, null, 1e-4, false, Backend.CPU, false, 40, 100,
                1000, 0, 1, 0, false);
        Rows rows = new Rows(row("a", 6, 6, 0.5f), row("b", 6, 6, 0.5f), row("c", 6, 6, 0.5f), row("d", 6, 6, 0.5f),
                row("e", 6, 6, 0.5f), row("f", 6, 6, 0.5f), row("g", 6, 6, 0.5f), row("h", 6, 6, 0.5f));
        Iterator<InternalRow> out = partition(banded, new JobCounters(sc), 256).call(rows);
        InternalRow first = out.next().copy();   // (the partition builds its next row in the same buffer)
        int taken = rows.taken;
        List<String> rest = ids(out);
        assertEquals(2, taken, "the first batch: two rows of 36 cells of scores fill batch.cells 40");
        assertEquals("band", first.getUTF8String(OutputColumns.LAYOUT).toString());
        assertEquals(18, first.getArray(OutputColumns.MARGINALS).numElements(), "aligned in the band: 6 rows of 1 cell");
        assertEquals(List.of("b", "c", "d", "e", "f", "g", "h"), rest);
    }

    /**
     * A valid pair that did not fit the heap other tasks' batches left free (the CPU engine's
     * "too large for this JVM's memory", seen in a probe under -Xmx1g in local[2]) is aligned
     * again, alone, with all of the executor's batch memory, instead of being rejected. The
     * engine here runs out of heap for pair "big" whenever it shares a call with others.
     */
    @Test
    void call_pairThatDidNotFitTheFreeHeap_isAlignedAgainAloneWithAllTheMemory() throws Exception {
        Aligner cpu = Aligner.cpu(1);
        List<List<String>> calls = new ArrayList<>();
        Aligner shortOfHeap = new Aligner() {
            @Override
            public String backend() {
                return "cpu";
            }

            @Override
            public AlignmentResult align(Pair pair, AlignOptions options) {
                return alignAll(List.of(pair), options).get(0);
            }

            @Override
            public List<AlignmentResult> alignAll(List<Pair> pairs, AlignOptions options) {
                calls.add(pairs.stream().map(Pair::id).toList());
                List<AlignmentResult> out = new ArrayList<>(cpu.alignAll(pairs, options));
                for (int k = 0; k < pairs.size(); k++) {
                    if (pairs.size() > 1 && pairs.get(k).id().equals("big")) {
                        out.set(k, AlignmentResult.failed(InvalidPairException.tooLargeForFreeHeap("big", "too large for this JVM's memory")));
                    }
                }
                return out;
            }

            @Override
            public void close() {
            }
        };
        JobCounters counters = new JobCounters(sc);
        AlignPartition partition = new AlignPartition(options(null, false, 1_000_000, 10, 1000), ARRAY, 0, counters,
                new RejectedSink.Settings(256, tmp.toString(), "snappy", new Configuration()), (o, t) -> shortOfHeap);
        assertEquals(List.of("a", "big", "b"), ids(partition.call(new Rows(good("a"), row("big", 3, 3, 0.25f), good("b")))));
        assertEquals(List.of(List.of("a", "big", "b"), List.of("big")), calls);
        assertEquals(3, counters.alignedRows.value());
        assertEquals(0, counters.rejectedRows.value());
        assertAllMemoryFree();
        cpu.close();
    }

    @Test
    void call_wholePartitionRead_givesBackEveryBatchsMemory() throws Exception {
        JobCounters counters = new JobCounters(sc);
        Iterator<InternalRow> out = partition(options(null, false, 1_000_000, 1, 1000), counters, 256)
                .call(new Rows(good("a"), good("b"), good("c")));
        assertEquals(List.of("a", "b", "c"), ids(out));
        assertEquals(3, counters.alignedRows.value());
        assertAllMemoryFree();
    }

    /**
     * Tasks whose input takes the executor's whole share for reading (row groups larger than
     * 30% of the heap) read one at a time: the second waits before it reads its first row,
     * and starts once the first has read its last. (A probe: 48 pairs of 800 x 800 in local[8]
     * at -Xmx1g, five files of one 70 MB row group each, ran out of memory in the reader.)
     */
    @Test
    void call_tasksWhoseReadingTakesTheWholeShare_readOneAtATime() throws Exception {
        Iterator<InternalRow> first = partition(options(null, false, 1_000_000, 1, 1000), Long.MAX_VALUE / 2,
                new JobCounters(sc), 256).call(new Rows(good("a"), good("b")));
        assertEquals("a", first.next().getUTF8String(OutputColumns.ID).toString());
        Rows secondRows = new Rows(good("c"));
        FutureTask<List<String>> second = new FutureTask<>(() -> ids(partition(options(null, false, 1_000_000, 1, 1000),
                Long.MAX_VALUE / 2, new JobCounters(sc), 256).call(secondRows)));
        Thread t = new Thread(second, "second-task");
        t.setDaemon(true);
        t.start();
        try {
            assertThrows(TimeoutException.class, () -> second.get(500, TimeUnit.MILLISECONDS));
            assertEquals(0, secondRows.taken, "the second task waits before it reads");
            assertEquals("b", first.next().getUTF8String(OutputColumns.ID).toString());
            assertFalse(first.hasNext());   // the first has read its last row
            assertEquals(List.of("c"), second.get(10, TimeUnit.SECONDS));
        } finally {
            ids(first);   // (where an assertion failed: the first's memory back for the other tests)
            t.interrupt();
        }
        assertAllMemoryFree();
    }

    @Test
    void call_taskFailsWhileItsRowsAreWritten_givesBackTheBatchsMemory() throws Exception {
        TaskContextImpl task = TaskContext$.MODULE$.empty();
        TaskContext$.MODULE$.setTaskContext(task);
        try {
            Iterator<InternalRow> out = partition(options(null, false, 1_000_000, 1, 1000), new JobCounters(sc), 256)
                    .call(new Rows(good("a"), good("b")));
            assertEquals("a", out.next().getUTF8String(OutputColumns.ID).toString());   // the first batch's memory is held while its rows are written
            task.markTaskCompleted(scala.Option.apply(new RuntimeException("the writer failed")));
        } finally {
            TaskContext$.MODULE$.unset();
        }
        assertAllMemoryFree();
    }

    @Test
    void call_failFastOnARowOnlyTheEngineRejects_failsAndGivesBackTheBatchsMemory() throws Exception {
        Iterator<InternalRow> out = partition(options(null, true, 1_000_000, 10, 1000), new JobCounters(sc), 256)
                .call(new Rows(good("a"), noPath("dead")));
        UserError e = assertThrows(UserError.class, out::hasNext);
        assertTrue(e.getMessage().startsWith("bad input row (--fail-fast): ") && e.getMessage().contains("dead"), e.getMessage());
        assertAllMemoryFree();
    }

    @Test
    void call_rowsRejectedInALaterBatch_landInTheTasksFileWhichIsReported() throws IOException {
        JobCounters counters = new JobCounters(sc);
        Iterator<InternalRow> out = partition(options(null, false, 1_000_000, 1, 1000), counters, 0)
                .call(new Rows(good("a"), noPath("dead-1"), good("b"), badLength("bad-length"), good("c"), noPath("dead-2")));
        assertEquals(List.of("a", "b", "c"), ids(out));
        assertEquals(3, counters.rejectedRows.value());
        assertEquals(1, counters.rejectedFiles.value().size(), "the task's file of rejected rows is reported");
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(
                tmp.resolve(RejectedSink.TASKS_DIR).resolve(counters.rejectedFiles.value().get(0)).toUri());
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(file, new Configuration()))) {
            assertEquals(3, r.getRecordCount(), "and it holds every rejected row");
        }
    }

    @Test
    void call_taskTime_runsFromTheTasksStartToItsLastOutputRow() {
        JobCounters counters = new JobCounters(sc);
        long t0 = System.nanoTime();
        Iterator<InternalRow> out = partition(options(null, false, 1_000_000, 1, 1000), counters, 256)
                .call(new Rows(good("a"), good("b")));
        out.next();
        sleep(300);   // the task writes its first row slowly
        out.next();
        assertEquals(false, out.hasNext());
        long elapsed = System.nanoTime() - t0;
        long task = counters.taskNanos.value();
        assertTrue(task >= 300_000_000L && task <= elapsed, task + " ns of task, " + elapsed + " ns elapsed");
        assertEquals(List.of(""), counters.taskGpus.value(), "one entry for the task, which held no GPU");
    }

    @Test
    void call_pairTooLargeInTheJobsLayout_isRejectedBeforeItIsAligned() {
        // a 40 x 2 pair: 80 cells, within maxCells 100, but band-layout rows 41 wide: 4920 floats > 3 x 100
        JobCounters counters = new JobCounters(sc);
        Iterator<InternalRow> out = partition(options(Layout.BAND, false, 1_000_000, 10, 100), counters, 256)
                .call(new Rows(row("long", 40, 2, 0.5f), good("a")));
        assertEquals(List.of("a"), ids(out));
        assertEquals(1, counters.rejectedRows.value());
        RejectedRecord r = counters.rejected.value().get(0);
        assertEquals("long", r.getId());
        assertTrue(r.getError().contains("band layout would hold 4920 floats"), r.getError());
    }

    /**
     * A pair within maxCells but larger than this executor's heap holds (at about 160 bytes a
     * cell) is rejected, saying so, from its shape: it would otherwise run the executor out of
     * memory (SPEC section 1: too large for the configured memory is a pair's error).
     */
    @Test
    void call_pairLargerThanTheHeapHolds_isRejectedSayingSo() {
        long most = ExecutorAligners.heapCells();
        int side = (int) Math.sqrt(most) + 1;   // side * side > most; its scores (a few floats) are never read
        JobCounters counters = new JobCounters(sc);
        InternalRow huge = new GenericInternalRow(new Object[] {UTF8String.fromString("huge"), side, side,
            UnsafeArrayData.fromPrimitiveArray(new float[3]), null, null});
        Iterator<InternalRow> out = partition(options(null, false, 1_000_000, 10, 4L * side * side), counters, 256)
                .call(new Rows(huge, good("a")));
        assertEquals(List.of("a"), ids(out));
        RejectedRecord r = counters.rejected.value().get(0);
        assertEquals("huge", r.getId());
        long needsMiB = ((long) side * side * 160 + (side + 3L) * 96 + (1 << 20) - 1) >> 20;
        assertTrue(r.getError().startsWith("too large for this executor's memory") && r.getError().contains("at most " + most + " cells")
                && r.getError().contains("which need about " + needsMiB + " MiB of heap at their peak")
                && r.getError().contains("spark.executor.memory"), r.getError());
        assertEquals((2L << 30) / 160, ExecutorAligners.heapCells(2L << 30), "13.4 million cells in 2 GiB (measured: 12.96 fit, 16.81 did not)");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
