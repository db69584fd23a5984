package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run stopped from outside (Ctrl-C, SIGTERM, a scheduler's kill) leaves no partial output,
 * as a run that fails does, and says so: {@code bin/bandalign align} in a JVM of its own, sent SIGTERM while
 * its tasks write.
 */
class InterruptedRunTest {
    @TempDir
    Path tmp;

    @Test
    void align_terminatedWhileWriting_leavesNoOutput() throws Exception {
        String in = tmp.resolve("in").toString();
        // ~220 MB of binary scores on one core: seconds of reading, aligning and writing.
        assertEquals(0, BandAlign.run("generate", "--output", in, "--pairs", "200", "--min-len", "300", "--max-len", "300",
                "--binary", "--partitions", "4", "--master", "local[2]"));
        Path out = tmp.resolve("out");
        Path log = tmp.resolve("align.log");
        Process p = StandaloneCluster.startBandAlign(List.of(), log, "align", "--input", in,
                "--output", out.toString(), "--master", "local[1]", "--backend", "cpu", "--conf", "spark.bandalign.cpu.threads=1",
                "--conf", "spark.ui.showConsoleProgress=false");
        try {
            // The staging directory's marginals appear once the write job has started.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (staging(out).isEmpty() && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Assumptions.assumeTrue(p.isAlive() && !staging(out).isEmpty(),
                    "the run ended before it could be stopped: " + Files.readString(log));
            p.destroy();   // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the run stops on SIGTERM");
        } finally {
            p.destroyForcibly();
        }
        Assumptions.assumeFalse(p.exitValue() == 0 && Files.exists(out.resolve("_SUMMARY.json")),
                "the run completed before the signal");
        assertNotEquals(0, p.exitValue(), "a terminated run does not report success");
        assertTrue(Files.notExists(out), "no partial output left in " + out + ": " + Files.readString(log));
        assertEquals(List.of(), leftovers(out), "no staging directory left beside " + out);
        assertTrue(Files.readString(log).contains("bandalign: stopped before the job was done, so " + out + " is as it was before the run"),
                "the run's last words say so: " + Files.readString(log));
    }

    /** The staging directories of runs into {@code out} that hold marginals. */
    private static List<Path> staging(Path out) throws java.io.IOException {
        List<Path> found = new ArrayList<>();
        for (Path p : leftovers(out)) {
            if (Files.isDirectory(p.resolve("marginals"))) {
                found.add(p);
            }
        }
        return found;
    }

    /** Whatever runs into {@code out} left beside it. */
    private static List<Path> leftovers(Path out) throws java.io.IOException {
        try (var siblings = Files.list(out.getParent())) {
            return siblings.filter(p -> p.getFileName().toString().startsWith("." + out.getFileName() + OutputSwap.STAGING_MARK))
                    .toList();
        }
    }
}
