package org.bandalign.job;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.TaskResourceRequests;
import org.apache.spark.sql.SparkSession;
import org.bandalign.align.Aligner;
import org.bandalign.cuda.CudaAligner;
import org.bandalign.cuda.CudaDevices;

/**
 * What the executors' tasks see of the GPUs ({@code bandalign devices --master URL}): a short
 * Spark job whose tasks each take the engine an alignment task would take, exactly as
 * {@link ExecutorAligners} picks it (the task's GPU address, mapped to a CUDA ordinal, the
 * aligner on that device, or the CPU and why), and report it with the executor and host. A
 * cluster's GPU set-up can so be checked in seconds before a long job. It first waits for the
 * executors to register (Spark starts a job with whichever are there), and the report counts
 * every registered executor that took no task.
 */
final class ExecutorSurvey {
    private ExecutorSurvey() {
    }

    /**
     * What one task saw: its executor's id, host and block manager address (host:port, as the
     * status tracker names executors), its GPU address(es), the device and the engine.
     */
    record Seen(String executor, String host, String address, String gpu, String device, String engine) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** One line for the console. */
        String line() {
            return "executor " + executor + " on " + host + ", GPU " + gpu + ": " + engine + (device.isEmpty() ? "" : ", " + device);
        }
    }

    /**
     * Runs {@code tasks} tasks (spread over the executors as Spark schedules them; several
     * rounds' worth so that each executor's slots are visited) and returns what they saw, one
     * row for each different sight, ordered by executor and GPU; null where they have not all
     * run within {@code limit} (the executors cannot hold a task's resources: Spark would wait
     * forever), the job then cancelled.
     */
    static List<Seen> run(SparkSession spark, JobOptions options, int tasks, double stageGpuAmount, java.time.Duration limit)
            throws InterruptedException {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<Seen> seen = sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks)
                .mapPartitions(ignored -> List.of(look(options)).iterator());
        if (stageGpuAmount > 0) {
            seen = seen.withResources(new ResourceProfileBuilder()
                    .require(new TaskResourceRequests().resource("gpu", stageGpuAmount)).build());
        }
        TreeSet<Seen> distinct = new TreeSet<>(Comparator.comparing(Seen::executor).thenComparing(Seen::gpu)
                .thenComparing(Seen::host).thenComparing(Seen::engine).thenComparing(Seen::device));
        org.apache.spark.api.java.JavaFutureAction<List<Seen>> all = seen.collectAsync();
        try {
            distinct.addAll(all.get(limit.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS));
        } catch (java.util.concurrent.TimeoutException e) {
            all.cancel(true);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(null, e.getCause());   // (no message: the cause's is shown)
        }
        return new ArrayList<>(distinct);
    }

    /**
     * Waits until {@code expected} executors have registered, or, with {@code expected <= 0},
     * until their number has held for {@code settle}, and in either case until each has its
     * block manager (an executor is listed first without, as host:0, for a moment after it
     * registers; its tasks then report host:port); gives up after {@code limit}. Returns the
     * executors registered then, as host:port (none in local mode, where the driver runs the
     * tasks).
     */
    static java.util.Set<String> awaitExecutors(SparkSession spark, int expected, java.time.Duration settle,
                                                java.time.Duration limit) throws InterruptedException {
        if (spark.sparkContext().isLocal()) {
            return new TreeSet<>();
        }
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        long since = start;
        java.util.Set<String> ids = executorIds(spark);
        while (System.nanoTime() < deadline) {
            if (ready(ids, expected, System.nanoTime() - since >= settle.toNanos())) {
                break;
            }
            Thread.sleep(200);
            java.util.Set<String> now = executorIds(spark);
            if (!now.equals(ids)) {
                ids = now;
                since = System.nanoTime();
            }
        }
        return ids;
    }

    /** How the status tracker lists an executor whose block manager has not registered yet. */
    static final String WITHOUT_BLOCK_MANAGER = ":0";

    /**
     * Whether the survey may start with executors {@code ids} (host:port): {@code expected} of
     * them, or with {@code expected <= 0} some whose number has {@code settled}, and every one
     * with its block manager.
     */
    static boolean ready(java.util.Set<String> ids, int expected, boolean settled) {
        boolean enough = expected > 0 ? ids.size() >= expected : !ids.isEmpty() && settled;
        return enough && ids.stream().noneMatch(id -> id.endsWith(WITHOUT_BLOCK_MANAGER));
    }

    /**
     * The registered executors, each as its block manager's host:port (what the status tracker
     * reports: host:0 until the block manager registers; the driver's own left out).
     */
    static java.util.Set<String> executorIds(SparkSession spark) {
        java.util.Set<String> ids = new TreeSet<>();
        for (org.apache.spark.SparkExecutorInfo e : spark.sparkContext().statusTracker().getExecutorInfos()) {
            ids.add(e.host() + ":" + e.port());
        }
        ids.remove(spark.sparkContext().env().blockManager().blockManagerId().hostPort());
        return ids;
    }

    /**
     * Why a task that holds no GPU, of an executor given none, aligns on the CPU, where the
     * alignment job has nothing to add (no GPU sits idle): for the survey, which names a reason
     * for every CPU line.
     */
    static String noGpuAtAll() {
        String driver;
        try {
            driver = "its executor sees " + CudaAligner.deviceCount() + " CUDA device(s)";
        } catch (RuntimeException e) {   // CudaUnavailableException, or a driver call that failed
            driver = e.getMessage();
        }
        return "the task holds no GPU, as its executor was given none (set spark.executor.resource.gpu.amount and "
                + "spark.task.resource.gpu.amount); " + driver;
    }

    /** What the current task sees. */
    static Seen look(JobOptions options) {
        TaskContext task = TaskContext.get();
        SparkEnv env = SparkEnv.get();
        String executor = env == null ? "none" : env.executorId();
        String host = env == null ? "localhost" : env.blockManager().blockManagerId().host();
        String address = env == null ? "" : env.blockManager().blockManagerId().hostPort();
        String[] gpus = TaskGpu.addresses(task);
        String gpu = gpus.length == 0 ? "none" : String.join(",", gpus);
        String engine;
        String device = "";
        try {
            Aligner aligner = ExecutorAligners.forTask(options, task);
            String fallback = ExecutorAligners.cpuFallback();
            if (aligner instanceof CudaAligner cuda) {
                engine = cuda.backend() + " with " + cuda.kernelImage();
                device = CudaDevices.list().get(cuda.ordinal()).toString();
            } else {
                engine = aligner.backend() + " (auto used the CPU: " + (fallback != null ? fallback : noGpuAtAll()) + ")";
            }
        } catch (IllegalStateException | IllegalArgumentException e) {   // CudaUnavailableException too
            engine = "no engine: " + e.getMessage();   // --backend cuda where no GPU can be used
        }
        return new Seen(executor, host, address, gpu, device, engine);
    }
}
