package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.Pair;
import org.bandalign.cuda.CudaAligner;
import org.bandalign.cuda.FakeCudaDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --backend auto} when the GPU cannot go on, on the kernels' CPU stand-in for the NVIDIA
 * driver (the job's emulated-gpu test run, in a JVM of its own, with a 32 MiB device): a pair too
 * large for the device is aligned on the CPU, a launch the driver refuses moves its batch alone,
 * and a kernel fault mid-job hands the rest of the work to the CPU (the faulted aligner closed); every row is aligned either way and the summary
 * says what moved. Then {@code --backend cuda} on the faulted device fails saying why. The tests run in order: the
 * fault leaves this JVM's device unusable, as a real one would be.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GpuFallbackJobTest {
    private static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(FakeCudaDriver.requested(), "runs in the emulated-gpu test run only");
        Assumptions.assumeTrue(FakeCudaDriver.load(), "the stand-in driver needs g++");
        spark = SparkSession.builder().master("local[2]").appName("GpuFallbackJobTest").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    @Order(1)
    void align_pairTooLargeForTheGpu_autoAlignsItOnTheCpuAndSaysSo() throws IOException {
        Random rnd = new Random(1);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            pairs.add(pair(rnd, "small" + k, 20 + k, 30));
        }
        pairs.add(3, pair(rnd, "large", 1100, 1100));   // ~39 MB on the device, more than the 32 MiB it has
        String out = tmp.resolve("too-large-out").toString();
        JobSummary s = run(write("too-large-in", pairs), out);

        assertEquals(pairs.size(), s.inputRows);
        assertEquals(pairs.size(), s.alignedRows, "the large pair is aligned, not rejected");
        assertEquals(List.of("cpu", "cuda:0"), s.backends);
        assertEquals(1, s.cpuFallbacks.size(), s.cpuFallbacks.toString());
        assertTrue(s.cpuFallbacks.get(0).contains("too large for the GPU"), s.cpuFallbacks.toString());
        assertLogPartitionsMatchTheCpu(pairs, out);
    }

    /**
     * The driver refuses one batch's launch (as for a block that asks more shared memory than the
     * GPU has): that batch runs on the CPU, and the GPU stays in use for the others, its aligner
     * open. Before, the rest of the task moved to the CPU and the device was given up.
     */
    @Test
    @Order(2)
    void align_gpuRefusesALaunch_autoAlignsThatBatchOnTheCpuAndKeepsTheGpu() throws IOException {
        Random rnd = new Random(5);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 24; k++) {
            pairs.add(pair(rnd, "r" + k, 9 + k % 5, 11 + k % 4));
        }
        String in = write("refused-in", pairs);
        FakeCudaDriver.failCall(FakeCudaDriver.Call.LAUNCH, 2, jcuda.driver.CUresult.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, false);
        String out = tmp.resolve("refused-out").toString();
        JobSummary s;
        try {
            s = run(in, out, "--conf", "spark.bandalign.batch.pairs=4");
        } finally {
            FakeCudaDriver.stopFailing(FakeCudaDriver.Call.LAUNCH);
        }

        assertEquals(pairs.size(), s.inputRows);
        assertEquals(pairs.size(), s.alignedRows, "no row lost to the refusal");
        assertEquals(List.of("cpu", "cuda:0"), s.backends);
        assertEquals(1, s.cpuFallbacks.size(), s.cpuFallbacks.toString());
        assertTrue(s.cpuFallbacks.get(0).contains("refused a launch, so that batch ran on the CPU")
                && s.cpuFallbacks.get(0).contains("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"), s.cpuFallbacks.toString());
        assertLogPartitionsMatchTheCpu(pairs, out);
        CudaAligner aligner = ExecutorAligners.cudaInUse(0);
        assertTrue(aligner != null && !aligner.isBroken() && aligner.refusedLaunches() == 1,
                "the aligner that refused one launch stays in use: " + aligner);
    }

    @Test
    @Order(3)
    void align_gpuFaultsMidJob_autoFinishesOnTheCpuWithEveryRow() throws IOException {
        Random rnd = new Random(2);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 40; k++) {
            pairs.add(pair(rnd, "p" + k, 10 + k % 7, 12 + k % 5));
        }
        String in = write("fault-in", pairs);
        FakeCudaDriver.failLaunch(3);   // a few batches run on the GPU first
        String out = tmp.resolve("fault-out").toString();
        JobSummary s = run(in, out, "--conf", "spark.bandalign.batch.pairs=4");

        assertEquals(pairs.size(), s.inputRows);
        assertEquals(pairs.size(), s.alignedRows, "no row lost to the fault");
        assertEquals(List.of("cpu", "cuda:0"), s.backends);
        assertTrue(s.cpuFallbacks.stream().anyMatch(w -> w.contains("failed") && w.contains("CUDA_ERROR_LAUNCH_FAILED")),
                s.cpuFallbacks.toString());
        assertLogPartitionsMatchTheCpu(pairs, out);
        // The faulted aligner is closed, not kept for the executor's life with its pinned
        // staging and device memory: nothing holds the device's context any more.
        jcuda.driver.CUdevice device = new jcuda.driver.CUdevice();
        assertEquals(0, jcuda.driver.JCudaDriver.cuDeviceGet(device, 0));
        int[] flags = new int[1];
        int[] active = new int[1];
        assertEquals(0, jcuda.driver.JCudaDriver.cuDevicePrimaryCtxGetState(device, flags, active));
        assertEquals(0, active[0], "the faulted device's aligner was closed");
    }

    @Test
    @Order(4)
    void align_backendCudaOnTheFaultedGpu_failsSayingWhy() throws IOException {
        List<Pair> pairs = List.of(pair(new Random(3), "q", 8, 9));
        String in = write("faulted-in", pairs);
        Exception e = assertThrows(Exception.class,
                () -> run(in, tmp.resolve("faulted-out").toString(), "--backend", "cuda"));
        String all = String.valueOf(e.getMessage()) + " " + (e.getCause() == null ? "" : e.getCause().getMessage());
        assertTrue(all.contains("failed earlier") && all.contains("CUDA_ERROR_LAUNCH_FAILED"), all);
    }

    private static Pair pair(Random rnd, String id, int n, int m) {
        float[] s = new float[n * m * 3];
        for (int q = 0; q < s.length; q++) {
            s[q] = (float) rnd.nextGaussian();
        }
        return Pair.dense(id, n, m, s);
    }

    private static String write(String name, List<Pair> pairs) {
        List<Row> rows = new ArrayList<>();
        for (Pair p : pairs) {
            rows.add(TestTables.row(p.id(), p.n(), p.m(), p.scores(), null, null, false));
        }
        String path = tmp.resolve(name).toString();
        TestTables.table(spark, rows, false).repartition(2).write().parquet(path);
        return path;
    }

    private static JobSummary run(String input, String output, String... flags) throws IOException {
        List<String> args = new ArrayList<>(List.of("--input", input, "--output", output));
        args.addAll(List.of(flags));
        AlignCommand cmd = new AlignCommand();
        new picocli.CommandLine(cmd).parseArgs(args.toArray(new String[0]));
        // (--conf applied as the command line does: request() reads the settings it is given)
        return AlignJob.run(spark, cmd.request(cmd.sparkConf(spark.sparkContext().getConf().clone())));
    }

    private static void assertLogPartitionsMatchTheCpu(List<Pair> pairs, String out) {
        Map<String, Double> written = new HashMap<>();
        for (Row r : spark.read().parquet(out + "/marginals").collectAsList()) {
            written.put(r.getAs("id"), r.getAs("log_partition"));
        }
        try (Aligner cpu = Aligner.cpu()) {
            List<AlignmentResult> expected = cpu.alignAll(pairs, AlignOptions.defaults());
            for (int k = 0; k < pairs.size(); k++) {
                double z = expected.get(k).logPartition();
                assertEquals(z, written.get(pairs.get(k).id()), 1e-6 * Math.max(1, Math.abs(z)), pairs.get(k).id());
            }
        }
    }
}
