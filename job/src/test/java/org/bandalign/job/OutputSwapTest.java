package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output swap on a real (local) Hadoop file system, at each point a run can stop. */
class OutputSwapTest {
    @TempDir
    Path tmp;

    private OutputSwap swap(String name) throws IOException {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        return new OutputSwap(fs, fs.makeQualified(new org.apache.hadoop.fs.Path(tmp.resolve(name).toString())), "run-1", OutputPlace.ALIGN_OUTPUT);
    }

    private static Path local(org.apache.hadoop.fs.Path p) {
        return Path.of(p.toUri());
    }

    private static void write(Path dir, String text) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("_SUMMARY.json"), text);
    }

    private static String read(Path dir) throws IOException {
        return Files.readString(dir.resolve("_SUMMARY.json"));
    }

    /**
     * Found by a cluster probe: a run stopped by SIGTERM removed its staging directory at once,
     * but the executors' tasks wrote on for a moment and made it again, so it stayed behind (3 of
     * 7 runs). Files that appear after the recovery are removed as they come, until none came for
     * the quiet time, or the limit (the JVM is going down) is reached.
     */
    @Test
    void removeLateWrites_filesWrittenAfterTheRecovery_removedAsTheyCome() throws Exception {
        OutputSwap swap = swap("late");
        write(local(swap.staging), "partial");
        assertFalse(swap.recover());
        java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(3);
        Thread executor = new Thread(() -> {   // (a task that goes on writing its attempt's file)
            try {
                for (int k = 0; k < 3; k++) {
                    Thread.sleep(300);
                    Path attempt = local(swap.staging).resolve("marginals/_temporary/0/_temporary/attempt_" + k);
                    while (true) {
                        try {
                            Files.createDirectories(attempt);
                            Files.writeString(attempt.resolve("part-0000" + k + ".parquet"), "late");
                            break;
                        } catch (IOException removedUnderIt) {
                            // the watch removed the directory between the two: write again, as a task's retry would
                        }
                    }
                    written.countDown();
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        executor.start();
        assertTrue(swap.removeLateWrites(java.time.Duration.ofMillis(1500), java.time.Duration.ofSeconds(20)));
        executor.join();
        assertEquals(0, written.getCount(), "the writes all came while it watched");
        assertFalse(Files.exists(local(swap.staging)));

        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread stubborn = new Thread(() -> {   // (writes on past the limit: the watch ends at the limit all the same)
            while (!stop.get()) {
                try {
                    write(local(swap.staging), "again");
                    Thread.sleep(50);
                } catch (IOException e) {
                    // removed under it: write again
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        stubborn.start();
        long start = System.nanoTime();
        try {
            swap.removeLateWrites(java.time.Duration.ofSeconds(5), java.time.Duration.ofMillis(400));
        } finally {
            stop.set(true);
            stubborn.join();
        }
        assertTrue(System.nanoTime() - start < java.util.concurrent.TimeUnit.SECONDS.toNanos(3), "it stopped at the limit");
    }

    /**
     * Found by a probe: a run killed hard (SIGKILL) between the swap's two renames left the
     * earlier output only in its hidden aside directory, and later runs wrote a new output
     * without a word; staging directories of runs killed mid-job piled up unnamed. A later run
     * now refuses while the earlier output lies aside with none in place, and names the rest.
     */
    @Test
    void checkLeftovers_anEarlierOutputAsideWithNoneInPlace_refused_otherLeftoversNamed() throws IOException {
        OutputSwap killed = swap("killed");   // (run-1, killed between its renames)
        write(local(killed.aside), "old");
        write(local(killed.staging), "new");
        FileSystem fs = killed.fs;
        java.util.List<String> warnings = new java.util.ArrayList<>();
        org.slf4j.Logger log = (org.slf4j.Logger) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {org.slf4j.Logger.class}, (proxy, method, args) -> {
                    if (method.getName().equals("warn")) {
                        warnings.add(org.slf4j.helpers.MessageFormatter.arrayFormat((String) args[0], (Object[]) args[1]).getMessage());
                    }
                    return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
                });
        UserError e = assertThrows(UserError.class, () -> OutputSwap.checkLeftovers(fs, killed.out, "run-2", log));
        assertEquals("output directory " + killed.out + " is not there, but " + killed.aside + " holds the earlier output that a run"
                + " killed while it replaced it moved aside (complete, as it was before that run); move it back to " + killed.out
                + " (or delete it), then run again", e.getMessage());
        OutputSwap.checkLeftovers(fs, killed.out, "run-1", log);   // (its own: an earlier attempt's, which prepare() restores)
        assertEquals(java.util.List.of(), warnings);
        killed.prepare();
        assertEquals("old", read(local(killed.out)));
        write(local(killed.aside), "older");   // (in place now, yet a copy lies aside, and another run's staging)
        write(local(killed.staging), "partial");
        OutputSwap.checkLeftovers(fs, killed.out, "run-2", log);
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("[" + killed.aside + "] hold(s) an earlier output of " + killed.out), warnings.get(0));
        assertEquals("1 hidden staging directory of other runs lies beside " + killed.out + " (a run killed hard leaves its own): ["
                + killed.staging + "]; remove it once no run writes to " + killed.out, warnings.get(1));
        assertEquals("older", read(local(killed.aside)), "nothing removed");
        OutputSwap.checkLeftovers(fs, swap("elsewhere").out, "run-2", log);
        assertEquals(2, warnings.size(), "another output's siblings are no leftovers of it");
    }

    @Test
    void publish_withAndWithoutAnEarlierOutput_leavesOnlyTheNewOne() throws IOException {
        OutputSwap fresh = swap("fresh");
        write(local(fresh.staging), "new");
        fresh.publish(false);
        assertEquals("new", read(local(fresh.out)));
        assertFalse(Files.exists(local(fresh.staging)));

        OutputSwap again = swap("again");
        write(local(again.out), "old");
        write(local(again.staging), "new");
        again.publish(true);
        assertEquals("new", read(local(again.out)));
        assertFalse(Files.exists(local(again.staging)) || Files.exists(local(again.aside)));
    }

    /**
     * Found by a review: --overwrite's check that the output is an earlier one was made only when
     * the run began; files the user put there during a run of hours went with it. Now it is made
     * again before the earlier output is moved aside, and the finished output is kept.
     */
    @Test
    void publish_withOverwrite_anOutputThatIsNoLongerAnEarlierOne_isLeftAndTheFinishedOutputKept() throws IOException {
        OutputSwap s = swap("changed");
        write(local(s.out), "old");
        write(local(s.staging), "new");
        Files.writeString(local(s.out).resolve("notes.txt"), "added during the run");
        UserError e = assertThrows(UserError.class, () -> s.publish(true));
        assertTrue(e.getMessage().contains("holds notes.txt") && e.getMessage().endsWith("the finished output is in " + s.staging),
                e.getMessage());
        assertEquals("added during the run", Files.readString(local(s.out).resolve("notes.txt")));
        assertEquals("new", read(local(s.staging)));
    }

    @Test
    void publish_outputAppearedWithoutOverwrite_leavesItAndKeepsTheFinishedOutput() throws IOException {
        OutputSwap s = swap("appeared");
        write(local(s.out), "someone else's");
        write(local(s.staging), "new");
        UserError e = assertThrows(UserError.class, () -> s.publish(false));
        assertTrue(e.getMessage().contains(s.staging.toString()), e.getMessage());
        assertEquals("someone else's", read(local(s.out)));
        assertEquals("new", read(local(s.staging)));
    }

    @Test
    void publish_renameOntoTheOutputFails_putsTheEarlierOutputBack() throws IOException {
        OutputSwap s = swap("failing");
        write(local(s.out), "old");   // and no staging directory to move: the second rename fails
        assertThrows(IOException.class, () -> s.publish(true));
        assertEquals("old", read(local(s.out)));
        assertFalse(Files.exists(local(s.aside)));
    }

    @Test
    void publish_somethingAlreadyWhereTheEarlierOutputGoesAside_refusesAndTouchesNothing() throws IOException {
        OutputSwap s = swap("blocked");
        write(local(s.out), "old");
        write(local(s.staging), "new");
        write(local(s.aside), "left by something else");   // a rename never moves a directory inside another
        IOException e = assertThrows(IOException.class, () -> s.publish(true));
        assertTrue(e.getMessage().contains("could not move the earlier output"), e.getMessage());
        assertEquals("old", read(local(s.out)));
        assertEquals("new", read(local(s.staging)));
        assertEquals("left by something else", read(local(s.aside)));
    }

    @Test
    void publish_afterRecover_refuses_andPrepareTidiesAnEarlierAttempt_andAColonInTheNameIsNoScheme() throws IOException {
        OutputSwap stopped = swap("stopped");
        write(local(stopped.out), "old");
        write(local(stopped.staging), "new");
        assertFalse(stopped.recover());   // the shutdown hook won the race: nothing is published after it
        assertThrows(IOException.class, () -> stopped.publish(true));
        assertEquals("old", read(local(stopped.out)));

        OutputSwap again = swap("reattempt:2");   // an earlier attempt was killed between the renames
        write(local(again.aside), "old");
        write(local(again.staging), "half");
        again.prepare();
        assertEquals("old", read(local(again.out)));
        write(local(again.staging), "new");
        again.publish(true);
        assertEquals("new", read(local(again.out)));
        assertFalse(Files.exists(local(again.aside)));
    }

    /**
     * A concurrency review: a SIGTERM between the last Spark job and the summary's write removed
     * the staging directory (the shutdown hook), and the write made it again, left behind.
     */
    @Test
    void createInStaging_afterRecover_refusedAndMakesNoStagingDirectory() throws IOException {
        OutputSwap s = swap("summary-after-stop");
        Files.createDirectories(local(s.staging));
        try (java.io.OutputStream os = s.createInStaging("_SUMMARY.json")) {
            os.write('{');
        }
        assertTrue(Files.exists(local(s.staging).resolve("_SUMMARY.json")));
        assertFalse(s.recover());
        assertThrows(IOException.class, () -> s.createInStaging("_SUMMARY.json"));
        assertFalse(Files.exists(local(s.staging)), "no staging directory made again");
        OutputSwap gone = swap("staging-removed");   // (removed by another hand: the create does not make it either)
        assertThrows(IOException.class, () -> gone.createInStaging("_SUMMARY.json"));
        assertFalse(Files.exists(local(gone.staging)));
    }

    @Test
    void recover_afterAnInterruption_atEachPointOfTheSwap() throws IOException {
        OutputSwap writing = swap("writing");   // still writing: only the staging directory goes
        write(local(writing.out), "old");
        write(local(writing.staging), "partial");
        assertFalse(writing.recover(), "the output is as it was");
        assertEquals("old", read(local(writing.out)));
        assertFalse(Files.exists(local(writing.staging)));

        OutputSwap between = swap("between");   // the earlier output moved aside, the new one not yet in place
        write(local(between.aside), "old");
        write(local(between.staging), "new");
        assertFalse(between.recover(), "the output is as it was");
        assertEquals("old", read(local(between.out)));
        assertFalse(Files.exists(local(between.staging)) || Files.exists(local(between.aside)));

        OutputSwap placed = swap("placed");   // the new output in place, the earlier one not yet removed
        write(local(placed.aside), "old");
        write(local(placed.out), "new");
        assertTrue(placed.recover(), "the finished output is in place");
        assertEquals("new", read(local(placed.out)));
        assertFalse(Files.exists(local(placed.aside)));

        OutputSwap done = swap("done");   // stopped once the swap was done
        write(local(done.staging), "new");
        done.publish(false);
        assertTrue(done.recover(), "the finished output is in place");
        assertEquals("new", read(local(done.out)));
    }
}
