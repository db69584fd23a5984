package org.bandalign.job;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.bandalign.cuda.FakeCudaDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job with Spark's speculative execution on ({@code spark.speculation}, which clusters
 * often enable): a slow task gets a second attempt on another host, both attempts align and
 * write the same rows, one wins and the other is killed. Every row must still land exactly once
 * (input = aligned + rejected, SPEC section 5), the rejected rows included, which the tasks write
 * themselves here, and nothing of the losing attempt may be left next to or inside the output.
 *
 * <p>A {@link StandaloneCluster} of two Workers on two loopback addresses, 127.0.0.1 and
 * 127.0.0.2 (the scheduler runs a speculative copy only on a host without an attempt of that
 * task), one executor of 1 core each. The input is one file, so the alignment stage has one
 * task, and {@code spark.speculation.task.duration.threshold} makes Spark copy a task of such a
 * stage once it has run that long. Each host has a GPU "0"; the executors load the CPU stand-in
 * for the NVIDIA driver ({@link FakeCudaDriver}), so the CUDA backend's tasks are copied and
 * killed too.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "bash scripts, /proc")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SpeculationClusterTest {
    private static final List<String> HOSTS = List.of("127.0.0.1", "127.0.0.2");

    @TempDir
    static Path tmp;

    private static StandaloneCluster cluster;
    private static SparkSession spark;
    /** The stand-in driver the executors load, where it could be built. */
    private static Optional<Path> fakeDriver = Optional.empty();

    @BeforeAll
    static void start() throws Exception {
        for (String host : HOSTS) {   // Linux answers on all of 127.0.0.0/8; macOS, by default, on 127.0.0.1 alone
            Assumptions.assumeTrue(bindable(host), "no loopback address " + host + " on this machine");
        }
        // Each host with one GPU, "0" (a stand-in nvidia-smi answers the discovery script).
        cluster = StandaloneCluster.start(tmp.resolve("cluster"), 1, "1g", List.of(List.of("0"), List.of("0")), HOSTS,
                Duration.ofSeconds(90));
        try {
            SparkConf conf = new SparkConf().setAppName("SpeculationClusterTest");
            // The executors load the CPU stand-in for the NVIDIA driver, one device each (no g++: none).
            fakeDriver = FakeCudaDriver.build();
            fakeDriver.ifPresent(lib -> conf.set("spark.executor.extraLibraryPath", lib.getParent().toString())
                    .set("spark.executorEnv.BANDALIGN_FAKE_CUDA_DEVICES", "1"));
            conf.set("spark.ui.enabled", "false")
                    .set("spark.dynamicAllocation.enabled", "false")
                    .set("spark.executor.cores", "1")
                    .set("spark.cores.max", "2")
                    .set("spark.executor.memory", "640m")
                    .set("spark.executor.resource.gpu.amount", "1")
                    .set("spark.task.resource.gpu.amount", "1")
                    .set("spark.scheduler.minRegisteredResourcesRatio", "1.0")
                    .set("spark.scheduler.maxRegisteredResourcesWaitingTime", "60s")
                    .set("spark.speculation", "true")
                    .set("spark.speculation.interval", "100ms")
                    .set("spark.speculation.task.duration.threshold", "200ms")
                    // One input file, one task (else Spark splits it in two for the two cores).
                    .set("spark.sql.files.openCostInBytes", "1g");
            spark = cluster.session(conf, HOSTS.size(), HOSTS);
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

    private static boolean bindable(String host) {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Every task attempt of the jobs run while it listens: started, ended, speculative or not. */
    static final class Attempts extends SparkListener {
        private final List<String> started = new ArrayList<>();
        private final List<String> ended = new ArrayList<>();
        private final Set<Long> running = new HashSet<>();
        private long lastFinish;

        @Override
        public synchronized void onTaskStart(SparkListenerTaskStart t) {
            started.add("stage " + t.stageId() + " task " + t.taskInfo().index() + " attempt " + t.taskInfo().attemptNumber()
                    + " on " + t.taskInfo().host() + (t.taskInfo().speculative() ? " (speculative)" : ""));
            running.add(t.taskInfo().taskId());
        }

        @Override
        public synchronized void onTaskEnd(SparkListenerTaskEnd t) {
            if (!running.remove(t.taskInfo().taskId())) {
                return;   // an attempt of a job before this listener, ending late
            }
            lastFinish = Math.max(lastFinish, t.taskInfo().finishTime());
            ended.add("stage " + t.stageId() + " task " + t.taskInfo().index() + " attempt " + t.taskInfo().attemptNumber()
                    + ": " + t.reason().getClass().getSimpleName());
            notifyAll();
        }

        /** When the last attempt ended, by the driver's clock (ms since the epoch). */
        synchronized long lastFinish() {
            return lastFinish;
        }

        synchronized boolean anySpeculative() {
            return started.stream().anyMatch(s -> s.endsWith("(speculative)"));
        }

        /** Waits until every attempt that started has ended (a killed one reports a little later). */
        synchronized void awaitAllEnded(long timeoutMs) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (!running.isEmpty()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new AssertionError(running.size() + " task attempts still running: " + this);
                }
                wait(left);
            }
        }

        @Override
        public synchronized String toString() {
            return "started " + started + ", ended " + ended;
        }
    }

    /** On the CPU engine and, on the stand-in driver, the CUDA backend (a GPU task killed mid-job). */
    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cuda"})
    void align_slowTaskCopiedSpeculatively_everyRowOnceAndNothingOfTheLoserLeft(String backend) throws Exception {
        Assumptions.assumeTrue(backend.equals("cpu") || fakeDriver.isPresent(), "the stand-in driver needs g++");
        // A task of some seconds (here): Spark copies it after 0.2 s (the emulated GPU is slower).
        int pairs = backend.equals("cpu") ? 60_000 : 15_000;
        int badEvery = 10;
        String in = tmp.resolve("in-" + backend).toString();
        spark.range(0, pairs, 1, 1).as(Encoders.LONG())
                .mapPartitions(new StandaloneClusterTest.Maker(23, 1, 8, badEvery), Encoders.bean(GeneratedRow.class))
                .select(col("id"), col("n"), col("m"), col("scores"))
                .coalesce(1)
                .write().parquet(in);
        Path runs = Files.createDirectories(tmp.resolve("runs-" + backend));
        String out = runs.resolve("out").toString();
        Attempts attempts = new Attempts();
        spark.sparkContext().addSparkListener(attempts);
        JobSummary s;
        long returned;
        long t0 = System.nanoTime();
        try {
            // Every rejected row written by the task itself, so that both attempts write a file.
            s = StandaloneClusterTest.align(spark, spark.sparkContext().getConf().clone().set(JobKeys.REJECTED_DRIVER_ROWS.name(), "0"),
                    in, out, "--backend", backend);
            returned = System.currentTimeMillis();
            attempts.awaitAllEnded(60_000);
        } catch (Throwable e) {
            System.err.println("SpeculationClusterTest failed; attempts " + attempts + "; cluster logs:" + cluster.logs());
            throw e;
        } finally {
            spark.sparkContext().removeSparkListener(attempts);
        }
        System.out.printf("SpeculationClusterTest: %s, %d pairs in %.1f s; %s%n", backend, pairs, (System.nanoTime() - t0) / 1e9,
                attempts);

        assertTrue(attempts.anySpeculative(), "a speculative attempt ran (else this test proves nothing): " + attempts);
        // The losing attempt was still running when the job was done; the run waits for it, so
        // nothing of it can appear in (or beside) the output after align has returned.
        assertTrue(attempts.lastFinish() <= returned, "an attempt ended " + (attempts.lastFinish() - returned)
                + " ms after align returned: " + attempts);
        int bad = (pairs + badEvery - 1) / badEvery;
        assertEquals(List.of(backend.equals("cpu") ? "cpu" : "cuda:0"), s.backends);
        assertEquals(pairs, s.inputRows);
        assertEquals(pairs - bad, s.alignedRows);
        assertEquals(bad, s.rejectedRows);
        Set<String> expected = new TreeSet<>();
        Set<String> expectedBad = new TreeSet<>();
        for (int k = 0; k < pairs; k++) {
            (k % badEvery == 0 ? expectedBad : expected).add("pair-" + k);
        }
        List<String> aligned = ids(out + "/marginals");
        assertEquals(pairs - bad, aligned.size(), "marginals rows");
        assertEquals(expected, new TreeSet<>(aligned));
        List<String> rejected = ids(out + "/rejected");
        assertEquals(bad, rejected.size(), "rejected rows");
        assertEquals(expectedBad, new TreeSet<>(rejected));
        // Nothing of either attempt outside the published output, nor any staging inside it.
        assertEquals(List.of("out"), names(runs), "beside the output");
        List<String> leftovers = tree(Path.of(out)).stream()
                .filter(p -> p.contains("_temporary") || p.contains(RejectedSink.TASKS_DIR) || p.contains("staging"))
                .collect(Collectors.toList());
        assertEquals(List.of(), leftovers, "in the output: " + tree(Path.of(out)));
    }

    private static List<String> ids(String dir) {
        return spark.read().parquet(dir).select("id").collectAsList().stream().map(r -> r.getString(0)).collect(Collectors.toList());
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static List<String> tree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
