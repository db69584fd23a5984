package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Mode;
import org.bandalign.align.Semiring;
import org.bandalign.cuda.CudaAligner;
import org.bandalign.cuda.CudaUnavailableException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The engine each task takes, outside Spark (no SparkEnv, no TaskContext: a unit test or an embedding program). */
class ExecutorAlignersTest {
    private static JobOptions options(Backend backend) {
        return options(backend, 0);
    }

    private static JobOptions options(Backend backend, int cpuThreads) {
        return new JobOptions(Mode.GLOBAL, Semiring.LOG, -1, null, 1e-4, false, backend, false, 1, 1, 1, cpuThreads, 1, 0, false);
    }

    private static boolean driverLoads() {
        try {
            CudaAligner.deviceCount();
            return true;
        } catch (CudaUnavailableException e) {
            return false;
        }
    }

    @Test
    void forTask_autoFallsBackWithoutADriver_thenACpuTask_forgetsThatFallback() {
        Assumptions.assumeFalse(driverLoads(), "a CUDA driver loads here: auto takes the GPU");
        ExecutorAligners.forTask(options(Backend.AUTO), null);
        assertNotNull(ExecutorAligners.cpuFallback(), "auto says why it used the CPU");
        ExecutorAligners.forTask(options(Backend.CPU), null);
        assertNull(ExecutorAligners.cpuFallback(), "a later task on this thread carries no stale reason");
    }

    /**
     * A cluster task of --backend auto that holds no GPU says why where GPUs sit idle: its
     * executor has some, or its driver shows some that Spark was never told of (found by a probe:
     * such a run aligned on the CPU without a word).
     */
    @Test
    void noGpuReason_idleGpusOfTheExecutorOrItsMachine_areNamed_noneOnACpuNode() {
        assertTrue(ExecutorAligners.noGpuReason(true, 0).contains("set spark.task.resource.gpu.amount"));
        assertEquals("an executor sees 2 CUDA devices but Spark gave it no GPUs (set spark.executor.resource.gpu.amount and "
                + "spark.task.resource.gpu.amount: README, On a GPU cluster)", ExecutorAligners.noGpuReason(false, 2));
        assertTrue(ExecutorAligners.noGpuReason(false, 1).startsWith("an executor sees 1 CUDA device but"));
        assertNull(ExecutorAligners.noGpuReason(false, 0), "a CPU node's: no idle GPU (the task then says it has none at all)");
    }

    @Test
    void cpu_withoutSparkEnv_isOneAlignerForTheJvm() {
        Assumptions.assumeTrue(org.apache.spark.SparkEnv.get() == null, "no Spark running in this JVM");
        assertSame(ExecutorAligners.cpu(options(Backend.CPU)), ExecutorAligners.cpu(options(Backend.CPU)));
    }

    @Test
    void cpuThreads_setOrNot_isTheSettingElseThisMachinesCores() {
        assertEquals(3, ExecutorAligners.cpuThreads(options(Backend.CPU, 3)));
        Assumptions.assumeTrue(org.apache.spark.SparkEnv.get() == null, "no Spark running in this JVM");
        assertEquals(Runtime.getRuntime().availableProcessors(), ExecutorAligners.cpuThreads(options(Backend.CPU, 0)));
    }

    /**
     * Found by a scale tester: a 5,900,000 x 1 pair was refused "has 5900000 band cells ... (at
     * most 5976883 cells in this 912 MiB heap)", fewer cells than the most it named; its rows
     * make it too large. The message says the heap it needs.
     */
    @Test
    void checkFitsHeap_aTallThinPair_saysTheHeapItNeeds() {
        long heap = 912L << 20;
        org.bandalign.align.BandGeometry tall = org.bandalign.align.BandGeometry.of(5_900_000, 1, -5_899_999, 0);
        InvalidPairException e = assertThrows(InvalidPairException.class, () -> ExecutorAligners.checkFitsHeap("col1", tall, heap));
        long needs = (5_900_000L * 160 + 5_900_003L * 96 + (1 << 20) - 1) >> 20;
        assertEquals("too large for this executor's memory: " + tall + " has 5900000 band cells in 5900000 rows, which need about "
                + needs + " MiB of heap at their peak (160 bytes a cell and 96 a row), more than this 912 MiB heap holds (at most "
                + heap / 160 + " cells where the rows are few); give the executors more memory " + ExecutorAligners.WHERE_MEMORY_IS_SET,
                e.reason());
        assertTrue(needs > 912, needs + " MiB");
        ExecutorAligners.checkFitsHeap("wide", org.bandalign.align.BandGeometry.of(1, 5_900_000, 0, 5_899_999), heap);   // (fits)
    }

    /** A dense row aligned in a narrow band: few band cells, yet all its scores are read. */
    @Test
    void checkScoresFitHeap_scoresPastTheReadingShareOfTheHeap_rejectedSayingWhat() {
        long heap = 1L << 30;
        long most = (long) (heap * AlignPartition.READING_HEAP_SHARE) / 4;
        ExecutorAligners.checkScoresFitHeap("fits", most, 0, heap);
        org.bandalign.align.InvalidPairException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.bandalign.align.InvalidPairException.class,
                () -> ExecutorAligners.checkScoresFitHeap("dense-20000", 20_000L * 20_000 * 3, 0, heap));
        assertEquals("dense-20000", e.pairId());
        assertEquals("too large for this executor's memory: its scores hold 1200000000 floats, more than the " + most
                + " that 30% of this 1024 MiB heap holds; give the executors more memory (spark.executor.memory; in local "
                + "mode the JVM's -Xmx, which bin/bandalign takes from BANDALIGN_JAVA_OPTS)", e.reason());
    }

    /**
     * The Parquet page read beside a row's floats counts too: a row whose floats fit alone, but
     * not with its page as stored and decompressed, is refused; a page alone (offered before it
     * is read, the row's floats not yet gathered) is refused where it alone passes the share.
     */
    @Test
    void checkScoresFitHeap_withThePageReadBesideThem_theirSumAgainstTheShare() {
        long heap = 1L << 30;
        long share = (long) (heap * AlignPartition.READING_HEAP_SHARE);
        ExecutorAligners.checkScoresFitHeap("fits", 1000, share - 4000, heap);
        ExecutorAligners.checkScoresFitHeap("page-alone-fits", 0, share, heap);
        org.bandalign.align.InvalidPairException both = org.junit.jupiter.api.Assertions.assertThrows(
                org.bandalign.align.InvalidPairException.class, () -> ExecutorAligners.checkScoresFitHeap("both", 1000, share - 3999, heap));
        assertEquals("too large for this executor's memory: its 1000 floats of scores (0.0 MB) and the "
                + String.format(java.util.Locale.ROOT, "%.1f", (share - 3999) / 1e6) + " MB that reading a Parquet page holds "
                + "(the page of its scores, or one before them in its row group: stored and decompressed, or its buffers and "
                + "levels where it is read as a stream; with its column chunk's dictionary) take more than the "
                + String.format(java.util.Locale.ROOT, "%.1f", share / 1e6) + " MB that 30% of this 1024 MiB heap holds; give "
                + "the executors more memory (spark.executor.memory; in local mode the JVM's -Xmx, which bin/bandalign takes "
                + "from BANDALIGN_JAVA_OPTS)", both.reason());
        org.bandalign.align.InvalidPairException page = org.junit.jupiter.api.Assertions.assertThrows(
                org.bandalign.align.InvalidPairException.class, () -> ExecutorAligners.checkScoresFitHeap("page", 0, share + 1, heap));
        assertEquals("page", page.pairId());
        assertTrue(page.reason().startsWith("too large for this executor's memory: the "), page.reason());
        assertTrue(page.reason().contains("MB that reading a Parquet page holds (") && page.reason().contains(") is more than the "),
                page.reason());
    }
}
