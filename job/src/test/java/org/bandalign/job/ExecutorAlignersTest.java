package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

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
}
