package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.spark.TaskContext$;
import org.apache.spark.TaskContextImpl;
import org.apache.spark.TaskKilledException;
import org.junit.jupiter.api.Test;

/**
 * Tasks that Spark kills while they wait for their part of the heap or for a GPU permit stop
 * waiting, hold nothing, and leave the share whole for the others (a concurrency review: no test
 * killed a task while it waited).
 */
class HeapShareTest {
    /** A share of four units of this JVM's heap. */
    private static HeapShare fourUnits() {
        HeapShare share = new HeapShare(1.0, Runtime.getRuntime().maxMemory() / 4);
        assertEquals(4, share.units(Runtime.getRuntime().maxMemory()));
        return share;
    }

    @Test
    void take_taskKilledWhileWaiting_stopsHoldingNothing_andTheShareStaysWhole() throws Exception {
        HeapShare share = fourUnits();
        Runnable whole = share.take(Long.MAX_VALUE, null, "everything");
        ExecutorService others = Executors.newFixedThreadPool(2);
        try {
            TaskContextImpl waiting = TaskContext$.MODULE$.empty();   // waits for units, holding the turn
            TaskContextImpl queued = TaskContext$.MODULE$.empty();    // waits for the turn behind it
            Future<Runnable> first = others.submit(() -> share.take(1, waiting, "one unit"));
            Thread.sleep(150);
            Future<Runnable> second = others.submit(() -> share.take(1, queued, "one unit"));
            Thread.sleep(300);
            assertFalse(first.isDone() || second.isDone(), "both wait while the share is taken");
            waiting.markInterrupted("speculation: another attempt finished first");
            queued.markInterrupted("the job was cancelled");
            assertKilled(first);
            assertKilled(second);
            whole.run();
            // nothing was left held by the killed tasks: the whole share can be taken at once
            others.submit(() -> share.take(Long.MAX_VALUE, null, "everything again")).get(2, TimeUnit.SECONDS).run();
        } finally {
            whole.run();
            others.shutdownNow();
        }
    }

    @Test
    void acquire_taskKilledWhileWaitingForAPermit_stopsHoldingNothing() throws Exception {
        Semaphore permits = new Semaphore(1, true);
        Runnable held = HeapShare.acquire(permits, 1, null, "the GPU");
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            TaskContextImpl task = TaskContext$.MODULE$.empty();
            Future<Runnable> waiting = other.submit(() -> HeapShare.acquire(permits, 1, task, "the GPU"));
            Thread.sleep(300);
            assertFalse(waiting.isDone(), "it waits while the permit is held");
            task.markInterrupted("the job was cancelled");
            assertKilled(waiting);
            held.run();
            held.run();   // (only the first call gives back)
            assertEquals(1, permits.availablePermits(), "the permit back, once; none taken by the killed task");
        } finally {
            held.run();
            other.shutdownNow();
        }
    }

    private static void assertKilled(Future<Runnable> taking) throws InterruptedException {
        try {
            Runnable got = taking.get(2, TimeUnit.SECONDS);   // (within HeapShare.POLL_MS, with room)
            got.run();
            throw new AssertionError("a killed task got its part");
        } catch (ExecutionException e) {
            assertTrue(e.getCause() instanceof TaskKilledException, "Spark's kill, not another failure: " + e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("a killed task went on waiting", e);
        }
    }
}
