package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.bandalign.cuda.CudaDevices;
import org.bandalign.cuda.CudaUnavailableException;
import org.bandalign.cuda.FakeCudaDriver;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code bandalign devices}: without a driver (the default test run here) it says why and exits
 * 1; in the emulated-gpu run it lists the stand-in driver's device with its UUID and, with
 * {@code --kernels}, the kernels the driver loaded; on a GPU machine it lists the real devices.
 */
class DevicesCommandTest {
    /** What one run printed, and its exit status. */
    record Run(int status, String out, String err) {
    }

    private static String unavailable;

    @BeforeAll
    static void driver() {
        if (FakeCudaDriver.requested()) {
            Assumptions.assumeTrue(FakeCudaDriver.load(), "the stand-in driver needs g++");
        }
        try {
            CudaDevices.list();
        } catch (CudaUnavailableException e) {
            unavailable = e.getMessage();
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = BandAlign.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void withoutDriver_saysWhyAndExitsOne() {
        Assumptions.assumeTrue(unavailable != null, "a driver is present here");
        Run r = run("devices");
        assertEquals(1, r.status(), r.out() + r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("bandalign: no CUDA") && r.err().strip().endsWith("--backend auto will use the CPU"), r.err());
    }

    @Test
    void withDriver_listsEachDeviceWithItsUuid_andItsKernelsOnRequest() {
        Assumptions.assumeTrue(unavailable == null, () -> "no driver here: " + unavailable);
        List<CudaDevices.Device> devices = CudaDevices.list();
        Run r = run("devices");
        assertEquals(0, r.status(), r.out() + r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(1 + devices.size(), lines.size(), r.out());
        assertTrue(lines.get(0).matches("CUDA driver \\d+\\.\\d+, " + devices.size() + " devices? visible \\(CUDA_VISIBLE_DEVICES=.*, CUDA_DEVICE_ORDER=.*\\)"),
                lines.get(0));
        for (CudaDevices.Device d : devices) {
            assertEquals(d.toString(), lines.get(1 + d.ordinal()));
            assertTrue(lines.get(1 + d.ordinal()).matches(d.ordinal() + ": .*, sm_\\d+, \\d+ SMs, ([0-9.]+ GiB|\\d+ MiB), GPU-[0-9a-f-]{36}, PCI .*"),
                    lines.get(1 + d.ordinal()));
        }
        if (FakeCudaDriver.requested()) {
            assertTrue(lines.get(1).startsWith("0: BandAlign CPU emulation") && lines.get(1).contains("GPU-00ba1a11-0000-4000-8000-000000000000"),
                    lines.get(1));
        }

        Run k = run("devices", "--kernels");
        assertEquals(0, k.status(), k.out() + k.err());
        List<String> kernelLines = k.out().lines().filter(l -> l.startsWith("    ")).toList();
        assertEquals(9 * devices.size(), kernelLines.size(), k.out());
        assertTrue(kernelLines.get(0).matches("    kernels banded_align(\\.cuda12)?\\.fatbin:"), kernelLines.get(0));
        assertTrue(kernelLines.get(1).matches("    banded_forward_backward: \\d+ registers, \\d+ B local, \\d+ B static shared, sm_\\d+"),
                kernelLines.get(1));
    }

    /**
     * The survey through a master ({@code --master local[2]} here: its tasks hold no GPU address,
     * so, as in an alignment job in local mode, auto takes device 0 where a driver loads): one
     * line a sight, exit 0 where the tasks get a GPU, else 1 saying how many do not.
     */
    @Test
    void survey_localMaster_reportsTheEngineTheTasksGet() {
        Run r = run("devices", "--master", "local[2]", "--tasks", "3");
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).equals("executors of local[2], as their alignment tasks see them:"), r.out());
        assertEquals(2, lines.size(), "one sight: " + r.out());
        if (unavailable == null) {
            assertEquals(0, r.status(), r.out() + r.err());
            assertTrue(lines.get(1).matches("executor driver on .*, GPU none: cuda:0 with banded_align(\\.cuda12)?\\.fatbin, 0: .*"),
                    lines.get(1));
        } else {
            assertEquals(1, r.status(), r.out() + r.err());
            assertTrue(lines.get(1).matches("executor driver on .*, GPU none: cpu \\(auto used the CPU: no CUDA.*"), lines.get(1));
            assertTrue(r.err().contains("1 of 1 executor and GPU address pairs would not align on a GPU"), r.err());
        }
        assertEquals(2, run("devices", "--master", "local[2]", "--tasks", "0").status());
        assertEquals(2, run("devices", "--master", "local[2]", "--backend", "cpu").status());
        assertEquals(2, run("devices", "--master", "local[2]", "--wait", "-1").status());
        Run stage = run("devices", "--master", "local[2]", "--conf", "spark.bandalign.stage.gpuAmount=1");
        assertEquals(2, stage.status(), stage.err());
        assertTrue(stage.err().startsWith("bandalign: spark.bandalign.stage.gpuAmount=1 needs a cluster master"), stage.err());
    }

    /**
     * Against a real standalone cluster whose one Worker (1 core, 1 GiB, no GPUs) cannot hold
     * what is asked: where no executor registers, the survey ends after --wait saying what the
     * executors ask for (it waited forever, as Spark waits for resources: found by a probe);
     * where fewer register than --executors, it surveys them and exits 1 saying so (it exited 0).
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 240, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void survey_executorsThatCannotRegister_endsAfterTheWaitSayingWhatTheyAskFor(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        Assumptions.assumeFalse(FakeCudaDriver.requested(), "the executors would not load the stand-in driver: the default run has it");
        try (StandaloneCluster cluster = StandaloneCluster.start(tmp.resolve("cluster"), 1, "1g", List.of(List.of()),
                java.time.Duration.ofSeconds(90))) {
            List<String> base = new java.util.ArrayList<>(List.of("devices", "--master", cluster.masterUrl()));
            cluster.executorConf().forEach((k, v) -> {
                if (!k.equals("spark.master")) {
                    base.addAll(List.of("--conf", k + "=" + v));
                }
            });
            base.addAll(List.of("--conf", "spark.ui.enabled=false"));

            List<String> tooLarge = new java.util.ArrayList<>(base);
            tooLarge.addAll(List.of("--wait", "4", "--conf", "spark.executor.memory=8g"));
            long start = System.nanoTime();
            Run none = run(tooLarge.toArray(String[]::new));
            assertEquals(1, none.status(), none.out() + none.err());
            assertTrue(none.err().contains("bandalign: no executor registered with " + cluster.masterUrl() + " within 4 s (--wait): "
                    + "the workers may not offer what each executor or task asks for (spark.executor.memory=8g)"), none.err());
            assertTrue(System.nanoTime() - start < java.util.concurrent.TimeUnit.SECONDS.toNanos(60), "it ended after the wait");

            List<String> two = new java.util.ArrayList<>(base);
            two.addAll(List.of("--wait", "20", "--executors", "2", "--tasks", "2", "--conf", "spark.executor.memory=512m"));
            Run one = run(two.toArray(String[]::new));
            assertEquals(1, one.status(), one.out() + one.err());
            assertTrue(one.out().lines().anyMatch(l -> l.startsWith("executor 0 on 127.0.0.1, GPU none: cpu (auto used the CPU: the task holds "
                    + "no GPU, as its executor was given none")), one.out());
            assertTrue(one.err().contains("bandalign: 1 of the 2 executors expected (--executors) registered within 20 s (--wait): "
                    + "the workers may not offer what each executor or task asks for (spark.executor.memory=512m)"), one.err());

            // Under dynamic allocation no executor runs before a job: the survey's own job brings them up.
            List<String> dynamic = new java.util.ArrayList<>(base);
            dynamic.addAll(List.of("--wait", "3", "--tasks", "2", "--conf", "spark.executor.memory=512m",
                    "--conf", "spark.dynamicAllocation.enabled=true", "--conf", "spark.dynamicAllocation.shuffleTracking.enabled=true"));
            Run started = run(dynamic.toArray(String[]::new));
            assertEquals(1, started.status(), started.out() + started.err());
            assertTrue(started.out().lines().anyMatch(l -> l.matches("executor \\d+ on 127\\.0\\.0\\.1, GPU none: cpu \\(auto used .*")),
                    started.out());
            assertTrue(started.err().contains("1 of 1 executor and GPU address pairs would not align on a GPU")
                    && !started.err().contains("registered"), started.err());

            // An alignment on this cluster without GPUs says why auto used the CPU, as local mode does (found by an
            // operator's walk-through: backends ["cpu"] and nothing of why).
            List<String> align = new java.util.ArrayList<>(List.of("align", "--master", cluster.masterUrl(), "--input", "../data/sample",
                    "--output", tmp.resolve("aligned").toString()));
            align.addAll(base.subList(3, base.size()));   // (the executors' settings, without devices --master URL)
            align.addAll(List.of("--conf", "spark.executor.memory=512m"));
            Run aligned = run(align.toArray(String[]::new));
            assertEquals(0, aligned.status(), aligned.out() + aligned.err());
            com.fasterxml.jackson.databind.JsonNode summary = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(tmp.resolve("aligned/_SUMMARY.json").toFile());
            assertEquals("[\"cpu\"]", summary.get("backends").toString());
            assertTrue(summary.get("cpu_fallbacks").size() == 1 && summary.get("cpu_fallbacks").get(0).asText()
                    .startsWith("the task holds no GPU, as its executor was given none"), summary.toString());
        }
    }

    /** The survey's tasks that cannot all run within the limit (here 1 ns): null, the job cancelled. */
    @Test
    void surveyRun_tasksNotDoneWithinTheLimit_isNull() throws InterruptedException {
        org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().master("local[1]")
                .appName("surveyRun").config("spark.ui.enabled", "false").getOrCreate();
        try {
            JobOptions cpu = JobOptions.forEngine(Backend.AUTO, spark.sparkContext().getConf());
            assertEquals(null, ExecutorSurvey.run(spark, cpu, 2, 0, java.time.Duration.ofNanos(1)));
            assertEquals(1, ExecutorSurvey.run(spark, cpu, 2, 0, java.time.Duration.ofSeconds(60)).size());
        } finally {
            spark.stop();
        }
    }

    /**
     * Two executors' GPU addresses of one host that reach one device (by its UUID) fail the
     * survey, naming both (found by a probe: with CUDA_VISIBLE_DEVICES=1, Spark's GPUs 0 and 1
     * both ran on that one device); addresses shared by tasks of one executor (fractional
     * amounts) and the same device of two hosts do not.
     */
    @Test
    void report_oneDeviceReachedByTwoSparkGpus_failsNamingThem() {
        String d0 = "0: H200, sm_90, 132 SMs, 139.8 GiB, GPU-00ba1a11-0000-4000-8000-000000000000, PCI 0000:01:00.0";
        List<ExecutorSurvey.Seen> clash = List.of(
                new ExecutorSurvey.Seen("1", "n1", "n1:7001", "0", d0, "cuda:0 with banded_align.fatbin"),
                new ExecutorSurvey.Seen("2", "n1", "n1:7002", "1", d0, "cuda:0 with banded_align.fatbin"),
                new ExecutorSurvey.Seen("3", "n2", "n2:7001", "0", d0, "cuda:0 with banded_align.fatbin"));
        StringWriter err = new StringWriter();
        assertEquals(1, DevicesCommand.report(clash, java.util.Set.of("n1:7001", "n1:7002", "n2:7001"), "m",
                new PrintWriter(new StringWriter()), new PrintWriter(err)));
        assertEquals("bandalign: device GPU-00ba1a11-0000-4000-8000-000000000000 on n1 is reached by executor 1's GPU 0 and "
                + "executor 2's GPU 1: Spark takes them for different GPUs (check CUDA_VISIBLE_DEVICES and "
                + "CUDA_DEVICE_ORDER=PCI_BUS_ID on the executors, and the discovery script)", err.toString().strip());
        List<ExecutorSurvey.Seen> fine = List.of(clash.get(0), clash.get(2),
                new ExecutorSurvey.Seen("1", "n1", "n1:7001", "0", d0, "cuda:0 with banded_align.fatbin"));
        assertEquals(List.of(), DevicesCommand.sharedDevices(fine));
        // MIG instances report their parent GPU's UUID: two of one GPU are not one device.
        String mig = "0: NVIDIA A100-SXM4-40GB MIG 1g.5gb, sm_80, 14 SMs, 4.8 GiB, GPU-00ba1a11-0000-4000-8000-000000000000, PCI 0000:01:00.0";
        assertEquals(List.of(), DevicesCommand.sharedDevices(List.of(
                new ExecutorSurvey.Seen("1", "n1", "n1:7001", "MIG-a", mig, "cuda:0 with banded_align.fatbin"),
                new ExecutorSurvey.Seen("2", "n1", "n1:7002", "MIG-b", mig, "cuda:0 with banded_align.fatbin"))));
    }
}
