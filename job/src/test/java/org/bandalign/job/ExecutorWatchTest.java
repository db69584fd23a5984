package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The note of a run on a cluster without executors: once, only while none came, never after the run. */
class ExecutorWatchTest {
    @Test
    void start_noExecutorWhenTheTimeComes_saysSoOnce_otherwiseNothing() throws InterruptedException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        AtomicBoolean none = new AtomicBoolean(true);
        try (ExecutorWatch watch = ExecutorWatch.start(none::get, "bandalign: note: none", Duration.ofMillis(50), err)) {
            awaitOver(watch, bytes);
        }
        assertEquals("bandalign: note: none\n", bytes.toString(StandardCharsets.UTF_8));

        bytes.reset();
        AtomicBoolean asked = new AtomicBoolean();
        try (ExecutorWatch watch = ExecutorWatch.start(() -> asked.getAndSet(true) && false, "bandalign: note: none",
                Duration.ofMillis(50), err)) {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!asked.get() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(asked.get(), "the watch looked");
        }
        assertEquals("", bytes.toString(StandardCharsets.UTF_8), "executors came");

        ExecutorWatch closedFirst = ExecutorWatch.start(() -> true, "bandalign: note: none", Duration.ofMinutes(10), err);
        closedFirst.close();
        awaitOver(closedFirst, null);
        assertEquals("", bytes.toString(StandardCharsets.UTF_8), "the run ended first");
    }

    /** Waits (up to 30 s, for a loaded machine) until {@code watch} has said its note, where {@code said} is given, or is over. */
    private static void awaitOver(ExecutorWatch watch, ByteArrayOutputStream said) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while ((said != null ? said.size() == 0 : !watch.isOver()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(said != null ? said.size() > 0 : watch.isOver(), "the watch did not finish in 30 s");
    }
}
