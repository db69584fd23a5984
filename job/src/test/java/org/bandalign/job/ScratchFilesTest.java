package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where scratch files go, and that none outlives its JVM, however that JVM ends. */
class ScratchFilesTest {
    @TempDir
    Path tmp;

    /** Scratch files go where Spark puts its own: the directories its cluster managers give first, then spark.local.dir, then tmp. */
    @Test
    void directory_asSparkFindsItsLocalDirectories() {
        String sep = File.pathSeparator;
        assertEquals(new File("/tmp/x"), ScratchFiles.directory(Map.of(), null, "/tmp/x"));
        assertEquals(new File("/data/a"), ScratchFiles.directory(Map.of(), " /data/a , /data/b", "/tmp/x"));
        assertEquals(new File("/yarn/1"), ScratchFiles.directory(Map.of("CONTAINER_ID", "c1",
                "LOCAL_DIRS", "/yarn/1,/yarn/2"), "/data/a", "/tmp/x"));
        assertEquals(new File("/data/a"), ScratchFiles.directory(Map.of("LOCAL_DIRS", "/yarn/1"), "/data/a", "/tmp/x"),
                "LOCAL_DIRS outside a YARN container");
        assertEquals(new File("/local/1"), ScratchFiles.directory(Map.of("SPARK_LOCAL_DIRS", "/local/1,/local/2",
                "CONTAINER_ID", "c1", "LOCAL_DIRS", "/yarn/1"), "/data/a", "/tmp/x"));
        assertEquals(new File("/worker/app/1"), ScratchFiles.directory(Map.of("SPARK_EXECUTOR_DIRS",
                "/worker/app/1" + sep + "/worker/app/2", "SPARK_LOCAL_DIRS", "/local/1"), "/data/a", "/tmp/x"));
    }

    /**
     * A JVM killed outright (SIGKILL) leaves its scratch file; while it lived, its lock kept the
     * file from every sweep; once dead, the next JVM to make a scratch file there deletes it.
     */
    @Test
    void create_afterAJvmKilledOutright_deletesTheFileItLeft_butNeverALockedOne() throws Exception {
        Holder first = Holder.start(tmp);
        long later = System.currentTimeMillis() + 10 * ScratchFiles.SWEEP_MIN_AGE_MILLIS;
        assertEquals(0, ScratchFiles.sweep(tmp.toFile(), later), "a file its living JVM locks is never swept, however old");
        assertTrue(first.file.exists());
        first.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        assertTrue(first.file.exists(), "SIGKILL: no shutdown hook ran, the file is left");
        assertEquals(0, ScratchFiles.sweep(tmp.toFile(), System.currentTimeMillis()), "a young file is left, even unlocked");
        Files.setLastModifiedTime(first.file.toPath(), FileTime.fromMillis(System.currentTimeMillis() - 60_000));

        Holder second = Holder.start(tmp);   // its create() sweeps the directory first
        try {
            assertFalse(first.file.exists(), "the file the killed JVM left is deleted by the next JVM's create()");
            assertTrue(second.file.exists());
        } finally {
            second.process.destroy();   // SIGTERM: its shutdown hook deletes its file
            second.process.waitFor(30, TimeUnit.SECONDS);
        }
        assertFalse(second.file.exists(), "SIGTERM: the shutdown hook deleted it");
    }

    @Test
    void sweep_leavesThisJvmsFilesOthersNamesAndYoungFiles_deletesOldUnlockedOnes() throws IOException {
        File dir = tmp.toFile();
        File old = Files.createFile(tmp.resolve(ScratchFiles.PREFIX + "old" + ScratchFiles.SUFFIX)).toFile();
        File young = Files.createFile(tmp.resolve(ScratchFiles.PREFIX + "young" + ScratchFiles.SUFFIX)).toFile();
        File other = Files.createFile(tmp.resolve("other" + ScratchFiles.SUFFIX)).toFile();
        long now = System.currentTimeMillis();
        old.setLastModified(now - 60_000);
        other.setLastModified(now - 60_000);
        try (ScratchFiles.Scratch mine = ScratchFiles.create()) {   // (in java.io.tmpdir: swept there as here)
            assertEquals(1, ScratchFiles.sweep(dir, now));
            assertFalse(old.exists());
            assertTrue(young.exists() && other.exists());
            assertEquals(0, ScratchFiles.sweep(mine.file.getParentFile(), now + 60_000), "this JVM's own file stays");
            assertTrue(mine.file.exists());
        }
        assertEquals(1, ScratchFiles.sweep(dir, now + 60_000), "the young file, once old");
    }

    /** A child JVM that makes a scratch file in a directory, says its path, and waits to be killed. */
    static final class Holder {
        final Process process;
        final File file;

        private Holder(Process process, File file) {
            this.process = process;
            this.file = file;
        }

        static Holder start(Path dir) throws IOException {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Djava.io.tmpdir=" + dir, "-cp", System.getProperty("java.class.path"), Holder.class.getName())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertNotNull(line, "the child JVM said where its scratch file is");
            return new Holder(p, new File(line));
        }

        public static void main(String[] args) throws Exception {
            ScratchFiles.Scratch scratch = ScratchFiles.create();
            System.out.println(scratch.file);
            System.out.flush();
            Thread.sleep(120_000);   // (killed before)
        }
    }
}
