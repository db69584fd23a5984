package org.bandalign.job;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.bandalign.cuda.FakeCudaDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a real Spark standalone cluster ({@link StandaloneCluster}: a Master and two
 * Workers, separate JVMs on 127.0.0.1, each Worker with 2 cores and 2 GPUs found by
 * {@code conf/getGpusResources.sh}), the driver in this JVM (client mode). Executors of 1 core
 * and 1 GPU, tasks of 1 GPU: each Worker runs two executors, one per GPU, so the four executors
 * hold GPUs 0, 1 (Worker A) and 2, 3 (Worker B). Checks that every alignment task gets exactly
 * one GPU and that all four are used (Worker B names its GPUs by UUID, Worker A by index), and that the job survives the loss of an executor with
 * every row written exactly once. The GPUs are stand-ins: the executors load
 * {@link FakeCudaDriver} (a CPU emulation of the driver with four devices), so the first test's
 * tasks run the CUDA backend on the device their GPU address names; where it cannot be built
 * (no g++), and in the other tests, the CPU engine does the work.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "bash scripts, /proc")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class StandaloneClusterTest {
    private static final int EXECUTORS = 4;
    /**
     * The GPU addresses the Workers discover: A by index, B by UUID (the stand-in driver's
     * devices 2 and 3), as {@code getGpusResources.sh} reports them with
     * {@code BANDALIGN_GPU_ADDRESSES=uuid}; executors find a UUID's device through the driver.
     */
    private static final List<String> WORKER_A_GPUS = List.of("0", "1");
    private static final List<String> WORKER_B_GPUS = List.of("GPU-02ba1a11-0000-4000-8000-000000000000",
            "GPU-03ba1a11-0000-4000-8000-000000000000");
    private static final Set<String> GPUS = Set.of("0", "1", WORKER_B_GPUS.get(0), WORKER_B_GPUS.get(1));

    @TempDir
    static Path tmp;

    private static StandaloneCluster cluster;
    /** The stand-in driver the executors load, where it could be built. */
    private static Optional<Path> fakeDriver = Optional.empty();
    private static SparkSession spark;

    @BeforeAll
    static void start() throws Exception {
        long t0 = System.nanoTime();
        cluster = StandaloneCluster.start(tmp.resolve("cluster"), 2, "2g",
                List.of(WORKER_A_GPUS, WORKER_B_GPUS), Duration.ofSeconds(90));
        long t1 = System.nanoTime();
        try {
            SparkConf conf = new SparkConf().setAppName("StandaloneClusterTest");
            // Executors load the CPU stand-in for the NVIDIA driver (one device per GPU address),
            // so that GPU tasks run the CUDA backend on their own device; without g++, the CPU.
            fakeDriver = FakeCudaDriver.build();
            fakeDriver.ifPresent(lib -> conf.set("spark.executor.extraLibraryPath", lib.getParent().toString())
                    .set("spark.executorEnv.BANDALIGN_FAKE_CUDA_DEVICES", "4"));
            conf.set("spark.ui.enabled", "false")
                    .set("spark.dynamicAllocation.enabled", "false")
                    // 1 core and 1 GPU an executor, at most 4 cores in all: two executors a Worker.
                    .set("spark.executor.cores", "1")
                    .set("spark.cores.max", Integer.toString(EXECUTORS))
                    .set("spark.executor.memory", "640m")
                    .set("spark.executor.resource.gpu.amount", "1")
                    .set("spark.task.resource.gpu.amount", "1")
                    // Start jobs only once all four executors are there (also awaited below).
                    .set("spark.scheduler.minRegisteredResourcesRatio", "1.0")
                    .set("spark.scheduler.maxRegisteredResourcesWaitingTime", "60s")
                    // One input file, one task: small files are not packed together.
                    .set("spark.sql.files.openCostInBytes", "1g");
            spark = cluster.session(conf, EXECUTORS, Set.of());
            System.out.printf("StandaloneClusterTest: cluster up in %.1f s, session and %d executors in %.1f s more%n",
                    (t1 - t0) / 1e9, EXECUTORS, (System.nanoTime() - t1) / 1e9);
        } catch (Throwable e) {
            System.err.println(cluster.logs());
            stop();
            throw e;
        }
    }

    @AfterAll
    static void stop() {
        try {
            StandaloneCluster.stop(spark, cluster);
        } finally {
            spark = null;
            cluster = null;
        }
    }

    /** Row k of a synthetic input, made on the executors (a static class: captures only its fields). */
    static final class Maker implements MapPartitionsFunction<Long, GeneratedRow> {
        private static final long serialVersionUID = 1L;
        private final long seed;
        private final int minLen;
        private final int maxLen;
        private final int badEvery;

        /** Every {@code badEvery}-th row (ids pair-0, pair-{badEvery}, ...; 0: none) is bad: n one too large. */
        Maker(long seed, int minLen, int maxLen, int badEvery) {
            this.seed = seed;
            this.minLen = minLen;
            this.maxLen = maxLen;
            this.badEvery = badEvery;
        }

        @Override
        public Iterator<GeneratedRow> call(Iterator<Long> ids) {
            List<GeneratedRow> rows = new ArrayList<>();
            ids.forEachRemaining(k -> {
                GeneratedRow r = PairGenerator.random(seed, k, minLen, maxLen, 0, 8);
                if (badEvery > 0 && k % badEvery == 0) {
                    r.setN(r.getN() + 1);
                }
                rows.add(r);
            });
            return rows.iterator();
        }
    }

    /** Writes {@code pairs} random dense pairs (ids pair-0 ...) as {@code files} Parquet files. */
    private static String input(String name, int pairs, int files, int minLen, int maxLen) {
        return input(name, pairs, files, minLen, maxLen, 0);
    }

    /** {@link #input(String, int, int, int, int)} with every {@code badEvery}-th row bad (see {@link Maker}). */
    private static String input(String name, int pairs, int files, int minLen, int maxLen, int badEvery) {
        String path = tmp.resolve(name).toString();
        spark.range(0, pairs, 1, files).as(Encoders.LONG())
                .mapPartitions(new Maker(17, minLen, maxLen, badEvery), Encoders.bean(GeneratedRow.class))
                .select(col("id"), col("n"), col("m"), col("scores"), col("diagLo").as("diag_lo"), col("diagHi").as("diag_hi"))
                .write().parquet(path);
        return path;
    }

    /** Runs the job; {@code --backend cpu} unless {@code flags} say otherwise. */
    private static JobSummary run(String input, String output, String... flags) throws Exception {
        return run(spark.sparkContext().getConf(), input, output, flags);
    }

    /** {@link #run(String, String, String...)} with the job's keys from {@code conf}. */
    private static JobSummary run(SparkConf conf, String input, String output, String... flags) throws Exception {
        return align(spark, conf, input, output, flags);
    }

    /** Runs the job in {@code spark} as the command line would; {@code --backend cpu} unless {@code flags} say otherwise. */
    static JobSummary align(SparkSession spark, SparkConf conf, String input, String output, String... flags) throws Exception {
        List<String> args = new ArrayList<>(List.of("--input", input, "--output", output));
        if (!List.of(flags).contains("--backend")) {
            args.addAll(List.of("--backend", "cpu"));
        }
        args.addAll(List.of(flags));
        AlignCommand cmd = new AlignCommand();
        new picocli.CommandLine(cmd).parseArgs(args.toArray(new String[0]));
        return AlignJob.run(spark, cmd.request(conf));
    }

    private static Map<String, Integer> taskGpus(String output) throws Exception {
        JsonNode summary = new ObjectMapper().readTree(new File(output, "_SUMMARY.json"));
        Map<String, Integer> counts = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : summary.get("task_gpus").properties()) {
            counts.put(e.getKey(), e.getValue().asInt());
        }
        return counts;
    }

    /** Runs {@code body}; on failure prints the cluster's logs (Master, Workers, executors) first. */
    private static void withLogsOnFailure(ThrowingRunnable body) throws Exception {
        try {
            body.run();
        } catch (Throwable e) {
            System.err.println("StandaloneClusterTest failed; cluster logs:" + cluster.logs());
            throw e;
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    @Order(1)
    void gpuTasks_eachTaskHoldsOneGpu_andAllFourGpusAreUsed() throws Exception {
        withLogsOnFailure(() -> {
            StandaloneCluster.awaitExecutors(spark, EXECUTORS, Set.of());
            int pairs = 400;
            int files = 40;
            long g0 = System.nanoTime();
            String in = input("gpus-in", pairs, files, 4, 24);
            System.out.printf("StandaloneClusterTest: input written in %.1f s%n", (System.nanoTime() - g0) / 1e9);
            String out = tmp.resolve("gpus-out").toString();
            long t0 = System.nanoTime();
            JobSummary s = run(in, out, "--backend", fakeDriver.isPresent() ? "cuda" : "cpu");
            System.out.printf("StandaloneClusterTest: %d pairs in %d tasks aligned in %.1f s, task_gpus %s%n",
                    pairs, files, (System.nanoTime() - t0) / 1e9, s.taskGpuCounts);

            assertEquals(pairs, s.inputRows);
            assertEquals(pairs, s.alignedRows);
            // Each task on the CUDA device its GPU address names (CUDA_VISIBLE_DEVICES unset):
            // index 0 and 1 are devices 0 and 1; Worker B's UUIDs are devices 2 and 3.
            assertEquals(fakeDriver.isPresent() ? List.of("cuda:0", "cuda:1", "cuda:2", "cuda:3") : List.of("cpu"), s.backends);
            assertEquals(cluster.masterUrl(), s.master);
            Map<String, Integer> gpus = taskGpus(out);
            assertEquals(files, gpus.values().stream().mapToInt(Integer::intValue).sum(),
                    "one entry per alignment task (one task per input file): " + gpus);
            // Exactly one address a task: no "none", no "0,1".
            assertEquals(GPUS, gpus.keySet(), "task_gpus " + gpus);
        });
    }

    /** Follows the alignment stage of the jobs of one job group: running tasks, failures, removed executors. */
    static final class StageWatch extends SparkListener {
        private final String group;
        private final int tasks;
        private final Set<Integer> stages = new HashSet<>();
        private final Map<Long, String> running = new LinkedHashMap<>();
        private final Set<String> removed = new HashSet<>();
        private int succeeded;
        private final List<String> failures = new ArrayList<>();

        StageWatch(String group, int tasks) {
            this.group = group;
            this.tasks = tasks;
        }

        @Override
        public synchronized void onJobStart(SparkListenerJobStart job) {
            if (job.properties() != null && group.equals(job.properties().getProperty("spark.jobGroup.id"))) {
                scala.collection.Iterator<StageInfo> it = job.stageInfos().iterator();
                while (it.hasNext()) {
                    StageInfo st = it.next();
                    if (st.numTasks() == tasks) {
                        stages.add(st.stageId());
                    }
                }
            }
        }

        @Override
        public synchronized void onTaskStart(SparkListenerTaskStart t) {
            if (stages.contains(t.stageId())) {
                running.put(t.taskInfo().taskId(), t.taskInfo().executorId());
                notifyAll();
            }
        }

        @Override
        public synchronized void onTaskEnd(SparkListenerTaskEnd t) {
            if (stages.contains(t.stageId())) {
                running.remove(t.taskInfo().taskId());
                if (t.taskInfo().successful()) {
                    succeeded++;
                } else {
                    failures.add(t.taskInfo().executorId() + ": " + t.reason());
                }
                notifyAll();
            }
        }

        @Override
        public synchronized void onExecutorRemoved(SparkListenerExecutorRemoved e) {
            removed.add(e.executorId());
            notifyAll();
        }

        /**
         * Once {@code done} tasks succeeded: the executor of the latest task still running (null
         * when {@code job} ended first).
         */
        synchronized String awaitVictim(int done, Future<?> job, long timeoutMs) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (succeeded < done || running.isEmpty()) {
                if (job.isDone()) {
                    return null;
                }
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new AssertionError("no running alignment task after " + succeeded + " succeeded");
                }
                wait(Math.min(left, 500));
            }
            String victim = null;
            for (String e : running.values()) {
                victim = e;
            }
            return victim;
        }

        synchronized boolean awaitRemoved(String executorId, long timeoutMs) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (!removed.contains(executorId) && System.currentTimeMillis() < deadline) {
                wait(Math.max(1, deadline - System.currentTimeMillis()));
            }
            return removed.contains(executorId);
        }

        synchronized List<String> failures() {
            return new ArrayList<>(failures);
        }

        synchronized int succeeded() {
            return succeeded;
        }
    }

    @Test
    @Order(2)
    void executorKilledMidJob_jobCompletesWithEveryRowExactlyOnce() throws Exception {
        withLogsOnFailure(() -> {
            StandaloneCluster.awaitExecutors(spark, EXECUTORS, Set.of());
            int pairs = 480;
            int files = 120;
            int badEvery = 10;   // rejected rows, all written by the tasks themselves (driverRows = 0)
            long g0 = System.nanoTime();
            String in = input("kill-in", pairs, files, 60, 160, badEvery);
            System.out.printf("StandaloneClusterTest: input written in %.1f s%n", (System.nanoTime() - g0) / 1e9);
            String out = tmp.resolve("kill-out").toString();
            String group = "kill-an-executor";
            StageWatch watch = new StageWatch(group, files);
            spark.sparkContext().addSparkListener(watch);
            ExecutorService driver = Executors.newSingleThreadExecutor();
            try {
                long t0 = System.nanoTime();
                Future<JobSummary> job = driver.submit(() -> {
                    spark.sparkContext().setJobGroup(group, "align while an executor is killed", false);
                    try {
                        return run(spark.sparkContext().getConf().clone().set(JobKeys.REJECTED_DRIVER_ROWS.name(), "0"), in, out);
                    } finally {
                        spark.sparkContext().clearJobGroup();
                    }
                });
                String victim = watch.awaitVictim(3, job, 120_000);
                if (victim == null) {
                    job.get(); // the job's own failure, if it failed
                    throw new AssertionError("the job ended before an executor could be killed");
                }
                ProcessHandle process = cluster.executorProcess(victim)
                        .orElseThrow(() -> new AssertionError("no process for executor " + victim + " among "
                                + cluster.executorProcesses()));
                double killedAt = (System.nanoTime() - t0) / 1e9;
                int doneAtKill = watch.succeeded();
                process.destroyForcibly();
                process.onExit().get(30, TimeUnit.SECONDS);
                JobSummary s = job.get(150, TimeUnit.SECONDS);
                System.out.printf("StandaloneClusterTest: killed executor %s (pid %d) at %.1f s after %d tasks; "
                                + "job done in %.1f s; failed tasks %s; task_gpus %s%n",
                        victim, process.pid(), killedAt, doneAtKill,
                        (System.nanoTime() - t0) / 1e9, watch.failures(), s.taskGpuCounts);

                assertTrue(watch.awaitRemoved(victim, 30_000), "the driver saw executor " + victim + " go");
                // It was running a task (an executor with pending tasks is never idle for long):
                // that task was lost and run again elsewhere.
                assertTrue(watch.failures().stream().anyMatch(f -> f.startsWith(victim + ": ExecutorLostFailure")),
                        "a task lost with executor " + victim + ": " + watch.failures());
                int bad = pairs / badEvery;
                assertEquals(pairs, s.inputRows);
                assertEquals(pairs - bad, s.alignedRows);
                assertEquals(bad, s.rejectedRows);
                List<Row> ids = spark.read().parquet(out + "/marginals").select("id").collectAsList();
                Set<String> distinct = new TreeSet<>();
                ids.forEach(r -> distinct.add(r.getString(0)));
                assertEquals(pairs - bad, ids.size(), "marginals rows");
                assertEquals(pairs - bad, distinct.size(), "distinct ids in marginals");
                Set<String> expected = new TreeSet<>();
                Set<String> expectedBad = new TreeSet<>();
                for (int k = 0; k < pairs; k++) {
                    (k % badEvery == 0 ? expectedBad : expected).add("pair-" + k);
                }
                assertEquals(expected, distinct);
                // Each rejected row once, though lost tasks may have written files of their own.
                List<Row> rejected = spark.read().parquet(out + "/rejected").select("id").collectAsList();
                Set<String> rejectedIds = new TreeSet<>();
                rejected.forEach(r -> rejectedIds.add(r.getString(0)));
                assertEquals(bad, rejected.size(), "rejected rows");
                assertEquals(expectedBad, rejectedIds);
                Map<String, Integer> gpus = new HashMap<>(taskGpus(out));
                assertEquals(files, gpus.values().stream().mapToInt(Integer::intValue).sum(), "task_gpus " + gpus);
                assertTrue(GPUS.containsAll(gpus.keySet()), "task_gpus " + gpus);
            } finally {
                spark.sparkContext().removeSparkListener(watch);
                driver.shutdownNow();
            }
        });
    }

    /** Records the resource profile of every stage submitted. */
    static final class ProfileWatch extends SparkListener {
        final List<Integer> profiles = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void onStageSubmitted(org.apache.spark.scheduler.SparkListenerStageSubmitted stage) {
            profiles.add(stage.stageInfo().resourceProfileId());
        }
    }

    @Test
    @Order(3)
    void stageLevelGpuProfile_alignmentStageRunsUnderItOnTheSameExecutors() throws Exception {
        withLogsOnFailure(() -> {
            StandaloneCluster.awaitExecutors(spark, EXECUTORS, Set.of());
            String in = input("profile-in", 80, 8, 4, 24);
            String out = tmp.resolve("profile-out").toString();
            ProfileWatch watch = new ProfileWatch();
            spark.sparkContext().addSparkListener(watch);
            try {
                AlignCommand cmd = new AlignCommand();
                new picocli.CommandLine(cmd).parseArgs("--input", in, "--output", out, "--backend", "cpu");
                SparkConf conf = spark.sparkContext().getConf().set(JobKeys.STAGE_GPU_AMOUNT.name(), "1");
                JobSummary s = AlignJob.run(spark, cmd.request(conf));
                assertEquals(80, s.alignedRows);
                Map<String, Integer> gpus = taskGpus(out);
                assertEquals(8, gpus.values().stream().mapToInt(Integer::intValue).sum(), "task_gpus " + gpus);
                assertTrue(GPUS.containsAll(gpus.keySet()), "one address a task: " + gpus);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (watch.profiles.stream().noneMatch(id -> id != 0) && System.nanoTime() < deadline) {
                    Thread.sleep(100);   // listener events arrive asynchronously
                }
                assertTrue(watch.profiles.stream().anyMatch(id -> id != 0),
                        "the alignment stage ran under a task resource profile: " + watch.profiles);
            } finally {
                spark.sparkContext().removeSparkListener(watch);
            }
        });
    }

    /**
     * {@code bandalign devices --master}: the survey's tasks see each executor's GPU as an
     * alignment task would, Worker A's by index and Worker B's by UUID, each on its own CUDA
     * device (the stand-in's four) with the CUDA 13 build of the kernels, and the report says
     * all is well; without g++ (no stand-in) every executor would use the CPU, and it says so.
     */
    @Test
    @Order(4)
    void executorSurvey_eachExecutorsGpuTasksGetTheirOwnDevice() throws Exception {
        withLogsOnFailure(() -> {
            StandaloneCluster.awaitExecutors(spark, EXECUTORS, Set.of());
            Set<String> registered = ExecutorSurvey.awaitExecutors(spark, EXECUTORS, java.time.Duration.ofSeconds(5),
                    java.time.Duration.ofSeconds(60));
            assertEquals(EXECUTORS, registered.size(), registered.toString());
            List<ExecutorSurvey.Seen> seen = ExecutorSurvey.run(spark,
                    JobOptions.forEngine(Backend.AUTO, spark.sparkContext().getConf()), 16, 0, java.time.Duration.ofSeconds(120));
            java.io.StringWriter out = new java.io.StringWriter();
            java.io.StringWriter err = new java.io.StringWriter();
            int status = DevicesCommand.report(seen, registered, spark.sparkContext().master(), new java.io.PrintWriter(out),
                    new java.io.PrintWriter(err));
            // An executor that took no task is reported, and fails the survey.
            java.io.StringWriter err2 = new java.io.StringWriter();
            Set<String> plusOne = new java.util.TreeSet<>(registered);
            plusOne.add("10.9.9.9:1");
            assertEquals(1, DevicesCommand.report(seen, plusOne, "m", new java.io.PrintWriter(new java.io.StringWriter()),
                    new java.io.PrintWriter(err2)));
            assertTrue(err2.toString().contains("1 of 5 registered executors took no survey task (10.9.9.9:1)"), err2.toString());
            System.out.print("StandaloneClusterTest: " + out);
            Map<String, ExecutorSurvey.Seen> byGpu = new TreeMap<>();
            seen.forEach(s -> byGpu.put(s.gpu(), s));
            assertEquals(GPUS, byGpu.keySet(), "one GPU a task, all four seen: " + seen);
            assertEquals(EXECUTORS, seen.size(), "one sight an executor's GPU: " + seen);
            assertEquals(EXECUTORS, seen.stream().map(ExecutorSurvey.Seen::executor).distinct().count(), seen.toString());
            if (fakeDriver.isPresent()) {
                for (int d = 0; d < 4; d++) {
                    String gpu = d < 2 ? WORKER_A_GPUS.get(d) : WORKER_B_GPUS.get(d - 2);
                    ExecutorSurvey.Seen s = byGpu.get(gpu);
                    assertEquals("cuda:" + d + " with banded_align.fatbin", s.engine(), s.toString());
                    assertTrue(s.device().startsWith(d + ": BandAlign CPU emulation")
                            && s.device().contains("GPU-0" + d + "ba1a11-0000-4000-8000-000000000000"), s.toString());
                    assertEquals("127.0.0.1", s.host(), s.toString());
                    assertTrue(registered.contains(s.address()), s + " is one of " + registered);
                }
                assertEquals(0, status, err.toString());
                assertEquals("", err.toString());
            } else {
                seen.forEach(s -> assertTrue(s.engine().startsWith("cpu (auto used the CPU: no CUDA driver"), s.toString()));
                assertEquals(1, status);
                assertTrue(err.toString().contains("4 of 4 executor and GPU address pairs would not align on a GPU"), err.toString());
            }
            assertTrue(out.toString().startsWith("executors of " + cluster.masterUrl() + ", as their alignment tasks see them:\n"),
                    out.toString());
        });
    }

    /**
     * An input of more files than the driver reads has its footers read by a Spark job: on a
     * cluster's executors (other JVMs, the Hadoop configuration shipped as bytes), the same
     * sizes file for file as the driver finds.
     */
    @Test
    @Order(5)
    void footerSurvey_onTheExecutors_sameAsOnTheDriver() throws Exception {
        withLogsOnFailure(() -> {
            String in = input("footers-in", 60, 12, 4, 40);
            String[] files = spark.read().parquet(in).inputFiles();
            assertEquals(12, files.length);
            org.apache.hadoop.conf.Configuration conf = AlignJob.hadoopConf(spark);
            InputFooters.Survey onDriver = InputFooters.survey(files, "scores", InputColumns.READ, conf, false);
            InputFooters.Survey onExecutors = InputFooters.survey(
                    org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()), files, "scores",
                    InputColumns.READ, conf, false, 0);
            assertEquals(onDriver, onExecutors);
            assertTrue(onDriver.sizes().stream().allMatch(s -> s.rowVectorBytes() > 0), onDriver.toString());
        });
    }
}
