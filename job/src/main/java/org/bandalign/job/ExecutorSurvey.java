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
 * cluster's GPU set-up can so be checked in seconds before a long job. The aligners it opens stay
 * in their executors for the job that follows, as an alignment task's would.
 */
final class ExecutorSurvey {
    private ExecutorSurvey() {
    }

    /** What one task saw: its executor and host, its GPU address(es), the device and the engine. */
    record Seen(String executor, String host, String gpu, String device, String engine) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** One line for the console. */
        String line() {
            return "executor " + executor + " on " + host + ", GPU " + gpu + ": " + engine + (device.isEmpty() ? "" : ", " + device);
        }
    }

    /**
     * Runs {@code tasks} tasks (spread over the executors as Spark schedules them; several
     * rounds' worth so that each executor's slots are visited) and returns what they saw, one
     * row for each different sight, ordered by executor and GPU.
     */
    static List<Seen> run(SparkSession spark, JobOptions options, int tasks, double stageGpuAmount) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<Seen> seen = sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks)
                .mapPartitions(ignored -> List.of(look(options)).iterator());
        if (stageGpuAmount > 0) {
            seen = seen.withResources(new ResourceProfileBuilder()
                    .require(new TaskResourceRequests().resource("gpu", stageGpuAmount)).build());
        }
        TreeSet<Seen> distinct = new TreeSet<>(Comparator.comparing(Seen::executor).thenComparing(Seen::gpu)
                .thenComparing(Seen::host).thenComparing(Seen::engine).thenComparing(Seen::device));
        distinct.addAll(seen.collect());
        return new ArrayList<>(distinct);
    }

    /** What the current task sees. */
    static Seen look(JobOptions options) {
        TaskContext task = TaskContext.get();
        SparkEnv env = SparkEnv.get();
        String executor = env == null ? "none" : env.executorId();
        String host = env == null ? "localhost" : env.blockManager().blockManagerId().host();
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
                engine = aligner.backend() + (fallback == null ? "" : " (auto used the CPU: " + fallback + ")");
            }
        } catch (IllegalStateException | IllegalArgumentException e) {   // CudaUnavailableException too
            engine = "no engine: " + e.getMessage();   // --backend cuda where no GPU can be used
        }
        return new Seen(executor, host, gpu, device, engine);
    }
}
