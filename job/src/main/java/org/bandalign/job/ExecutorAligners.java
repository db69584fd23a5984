package org.bandalign.job;

import org.apache.spark.SparkEnv;
import org.bandalign.align.Aligner;

/**
 * The aligners of one executor JVM, shared by all its task threads (the Spark RAPIDS pattern:
 * one owner of the engine per executor). The CPU aligner's fixed thread pool is sized to the
 * executor's cores, so concurrent tasks share those cores instead of each starting a pool.
 */
final class ExecutorAligners {
    private static Aligner cpu;

    private ExecutorAligners() {
    }

    /** The executor's CPU aligner, created on first use. */
    static synchronized Aligner cpu(JobOptions options) {
        if (cpu == null) {
            cpu = Aligner.cpu(cpuThreads(options));
        }
        return cpu;
    }

    private static int cpuThreads(JobOptions options) {
        if (options.cpuThreads > 0) {
            return options.cpuThreads;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        SparkEnv env = SparkEnv.get();
        if (env != null && env.conf().contains("spark.executor.cores") && !"driver".equals(env.executorId())) {
            cores = env.conf().getInt("spark.executor.cores", cores);
        }
        return Math.max(1, cores);
    }

    /**
     * The aligner for the current task: CUDA is the subject of the CUDA backend issue and is not
     * part of this build yet, so {@code --backend cuda} fails with that message and
     * {@code auto} uses the CPU.
     */
    static Aligner forTask(JobOptions options) {
        if (options.ioOnly) {
            return new IoOnlyAligner();
        }
        if (options.backend == Backend.CUDA) {
            throw new IllegalStateException("--backend cuda: this build has no CUDA backend; use --backend cpu or auto");
        }
        return cpu(options);
    }
}
