package org.bandalign.job;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.spark.TaskContext;

/**
 * A share of an executor's heap that its tasks take parts of and give back: the parts held at
 * once stay within the share, so tasks that meet with large data take turns instead of running
 * the executor out of memory. A part larger than the whole share is the whole share (it runs
 * alone). The share is sized from this JVM's heap on first use.
 *
 * <p>One task waits at a time, in the order they came (the others queue for their turn), so a
 * large part is not passed over again and again by smaller ones while it waits. A task that
 * Spark kills while it waits (a speculative copy, a cancelled job) stops waiting within
 * {@value #POLL_MS} ms.
 */
final class HeapShare {
    /** How often a waiting task looks whether it has been killed. */
    static final long POLL_MS = 100;

    private final double fraction;
    private final long unitBytes;
    private final ReentrantLock turn = new ReentrantLock(true);
    private Semaphore permits;
    private int total;

    /** {@code fraction} of the heap, counted in units of {@code unitBytes}. */
    HeapShare(double fraction, long unitBytes) {
        this.fraction = fraction;
        this.unitBytes = unitBytes;
    }

    /** The units of this share in a heap of {@code heapBytes}: at least one. */
    int units(long heapBytes) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (long) (heapBytes * fraction) / unitBytes));
    }

    /**
     * Takes {@code bytes} of the share (rounded up to whole units; all of it where they pass it),
     * waiting until other tasks have given back enough, and returns what gives them back (only
     * the first call does).
     */
    Runnable take(long bytes, TaskContext task, String what) {
        Semaphore p;
        int most;
        synchronized (this) {
            if (permits == null) {
                total = units(Runtime.getRuntime().maxMemory());
                permits = new Semaphore(total, true);
            }
            p = permits;
            most = total;
        }
        int wanted = (int) Math.min(most, Math.max(1, bytes / unitBytes + (bytes % unitBytes == 0 ? 0 : 1)));
        try {
            while (!turn.tryLock(POLL_MS, TimeUnit.MILLISECONDS)) {
                if (task != null) {
                    task.killTaskIfInterrupted();
                }
            }
        } catch (InterruptedException e) {
            throw interrupted(task, what, e);
        }
        try {
            return acquire(p, wanted, task, what);
        } finally {
            turn.unlock();
        }
    }

    /** Takes {@code count} permits, stopping if Spark kills the task meanwhile; returns their release (once). */
    static Runnable acquire(Semaphore permits, int count, TaskContext task, String what) {
        try {
            while (!permits.tryAcquire(count, POLL_MS, TimeUnit.MILLISECONDS)) {
                if (task != null) {
                    task.killTaskIfInterrupted();
                }
            }
        } catch (InterruptedException e) {
            throw interrupted(task, what, e);
        }
        AtomicBoolean held = new AtomicBoolean(true);
        return () -> {
            if (held.getAndSet(false)) {
                permits.release(count);
            }
        };
    }

    /** An interrupted wait: Spark's kill, where the task was killed, else an error saying what it waited for. */
    private static RuntimeException interrupted(TaskContext task, String what, InterruptedException e) {
        Thread.currentThread().interrupt();
        if (task != null) {
            task.killTaskIfInterrupted();
        }
        return new IllegalStateException("interrupted while waiting for " + what, e);
    }
}
