package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
            Thread.sleep(1000);
        }
        assertEquals("bandalign: note: none\n", bytes.toString(StandardCharsets.UTF_8));

        bytes.reset();
        none.set(false);
        try (ExecutorWatch watch = ExecutorWatch.start(none::get, "bandalign: note: none", Duration.ofMillis(50), err)) {
            Thread.sleep(500);
        }
        assertEquals("", bytes.toString(StandardCharsets.UTF_8), "executors came");

        none.set(true);
        try (ExecutorWatch watch = ExecutorWatch.start(none::get, "bandalign: note: none", Duration.ofMillis(300), err)) {
            Thread.sleep(10);
        }
        Thread.sleep(600);
        assertEquals("", bytes.toString(StandardCharsets.UTF_8), "the run ended first");
    }
}
