package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** When {@code devices --master} starts its survey ({@link ExecutorSurvey#ready}), and why it says a task uses the CPU. */
class ExecutorSurveyTest {
    /**
     * The survey names a reason on every CPU line, also for an executor given no GPUs on a
     * machine without any (found by a probe: "GPU none: cpu" with no reason, where README
     * promises "the CPU and why").
     */
    @Test
    void noGpuAtAll_namesTheSettingsAndWhatTheDriverShows() {
        String why = ExecutorSurvey.noGpuAtAll();
        assertTrue(why.startsWith("the task holds no GPU, as its executor was given none (set spark.executor.resource.gpu.amount "
                + "and spark.task.resource.gpu.amount); "), why);
        boolean driver;
        try {
            org.bandalign.cuda.CudaAligner.deviceCount();
            driver = true;
        } catch (org.bandalign.cuda.CudaUnavailableException e) {
            driver = false;
        }
        assertTrue(driver ? why.matches(".*; its executor sees \\d+ CUDA device\\(s\\)") : why.contains("; no CUDA"), why);
    }

    @Test
    void ready_expectedExecutorsAllWithBlockManagers_starts() {
        assertTrue(ExecutorSurvey.ready(Set.of("10.0.0.1:40001", "10.0.0.2:40002"), 2, false));
        assertTrue(ExecutorSurvey.ready(Set.of("10.0.0.1:40001", "10.0.0.2:40002", "10.0.0.3:40003"), 2, false));
    }

    @Test
    void ready_fewerThanExpected_waits() {
        assertFalse(ExecutorSurvey.ready(Set.of("10.0.0.1:40001"), 2, true));
    }

    /**
     * Regression: an executor listed before its block manager registered (host:0) was taken into
     * the survey's list under that name, and, its tasks reporting host:port, counted as having
     * taken no task (seen under spark-submit, whose survey starts as the executors come up).
     */
    @Test
    void ready_anExecutorWithoutItsBlockManagerYet_waits() {
        assertFalse(ExecutorSurvey.ready(Set.of("127.0.0.1:0"), 1, false));
        assertFalse(ExecutorSurvey.ready(Set.of("10.0.0.1:40001", "10.0.0.2:0"), 0, true));
        assertFalse(ExecutorSurvey.ready(Set.of("10.0.0.1:40001", "10.0.0.2:0"), 1, true));
    }

    @Test
    void ready_noExpectedCount_startsOnceSomeHaveSettled() {
        assertFalse(ExecutorSurvey.ready(Set.of(), 0, true));
        assertFalse(ExecutorSurvey.ready(Set.of("10.0.0.1:40001"), 0, false));
        assertTrue(ExecutorSurvey.ready(Set.of("10.0.0.1:40001"), 0, true));
        assertTrue(ExecutorSurvey.ready(Set.of("10.0.0.1:40010"), 0, true), "a port ending in 0 is a port");
    }
}
