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
        return new OutputSwap(fs, fs.makeQualified(new org.apache.hadoop.fs.Path(tmp.resolve(name).toString())), "run-1");
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
