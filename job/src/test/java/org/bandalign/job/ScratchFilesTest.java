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
import java.util.List;
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
        Holder first = Holder.start(tmp, null);
        assertTrue(first.file.getName().matches("bandalign-dictionary-\\d+-\\d+\\.bin"), first.file.getName());
        long later = System.currentTimeMillis() + 10 * ScratchFiles.SWEEP_MIN_AGE_MILLIS;
        assertEquals(0, ScratchFiles.sweep(tmp.toFile(), later), "a file its living JVM locks is never swept, however old");
        assertTrue(first.file.exists());
        first.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        assertTrue(first.file.exists(), "SIGKILL: no shutdown hook ran, the file is left");
        assertEquals(0, ScratchFiles.sweep(tmp.toFile(), System.currentTimeMillis()), "a young file is left, even unlocked");
        Files.setLastModifiedTime(first.file.toPath(), FileTime.fromMillis(System.currentTimeMillis() - 60_000));

        Holder second = Holder.start(tmp, null);   // its create() sweeps the directory first
        try {
            assertFalse(first.file.exists(), "the file the killed JVM left is deleted by the next JVM's create()");
            assertTrue(second.file.exists());
        } finally {
            second.process.destroy();   // SIGTERM: its shutdown hook deletes its file
            second.process.waitFor(30, TimeUnit.SECONDS);
        }
        assertFalse(second.file.exists(), "SIGTERM: the shutdown hook deleted it");
    }

    /**
     * A sweep deletes only old regular files of other JVMs that nobody locks: not this JVM's own
     * (whose lock closing another descriptor would drop), not pipes (opening one would block) or
     * links, not other names, not a file just made and not locked yet.
     */
    @Test
    void sweep_deletesOnlyOldUnlockedFilesOfOtherJvms() throws Exception {
        File dir = tmp.toFile();
        long now = System.currentTimeMillis();
        Path old = oldFile(ScratchFiles.PREFIX + "1-11" + ScratchFiles.SUFFIX, 60_000);
        Path young = oldFile(ScratchFiles.PREFIX + "1-12" + ScratchFiles.SUFFIX, 0);
        Path other = oldFile("other" + ScratchFiles.SUFFIX, 60_000);
        Path unlockedYet = oldFile(ScratchFiles.PREFIX + "1-13" + ScratchFiles.NEW_SUFFIX, 60_000);
        Path abandonedNew = oldFile(ScratchFiles.PREFIX + "1-14" + ScratchFiles.NEW_SUFFIX, 2 * ScratchFiles.SWEEP_NEW_MIN_AGE_MILLIS);
        Path target = oldFile("target", 60_000);
        Path link = tmp.resolve(ScratchFiles.PREFIX + "1-15" + ScratchFiles.SUFFIX);
        Files.createSymbolicLink(link, target);
        Path pipe = tmp.resolve(ScratchFiles.PREFIX + "1-16" + ScratchFiles.SUFFIX);
        assertEquals(0, new ProcessBuilder("mkfifo", pipe.toString()).start().waitFor());
        // (touch, not Files.setLastModifiedTime, which opens the pipe and waits for a writer)
        assertEquals(0, new ProcessBuilder("touch", "-m", "-d", "@" + (now - 60_000) / 1000, pipe.toString()).start().waitFor());
        try (ScratchFiles.Scratch mine = ScratchFiles.create(dir)) {
            assertTrue(mine.file.getName().startsWith(ScratchFiles.PREFIX + ProcessHandle.current().pid() + "-"), mine.file.getName());
            assertTrue(mine.file.getName().endsWith(ScratchFiles.SUFFIX), "renamed once locked: " + mine.file.getName());
            assertFalse(Files.exists(old) || Files.exists(abandonedNew), "create() swept the old ones");
            assertTrue(Files.exists(young) && Files.exists(other) && Files.exists(unlockedYet) && Files.exists(target));
            assertTrue(Files.isSymbolicLink(link) && Files.exists(pipe, java.nio.file.LinkOption.NOFOLLOW_LINKS));
            assertEquals(1, ScratchFiles.sweep(dir, now + 60_000), "the young file, once old; this JVM's own file stays, as do "
                    + "links and pipes");
            assertFalse(Files.exists(young));
            assertTrue(mine.file.exists());
            // another JVM's sweep, at its start, of this file made old: this JVM's lock still holds
            // (touch, not Files.setLastModifiedTime, which opens the file: closing any descriptor of
            // it drops this JVM's lock, as the sweep above would have, had it opened its own file)
            assertEquals(0, new ProcessBuilder("touch", "-m", "-d", "@" + (now - 60_000) / 1000, mine.file.toString()).start().waitFor());
            Holder another = Holder.start(tmp, null);
            another.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            assertTrue(mine.file.exists(), "another JVM's sweep leaves a file this JVM locks");
            Files.setLastModifiedTime(another.file.toPath(), FileTime.fromMillis(now - 60_000));
        }
        assertEquals(1, ScratchFiles.sweep(dir, now + 60_000), "the killed JVM's");
        assertTrue(Files.exists(unlockedYet) && Files.exists(other) && Files.isSymbolicLink(link) && Files.exists(target));
    }

    /** Where the file system has no locks, scratch files still work, unlocked, and no sweep deletes any there. */
    @Test
    void create_onAFileSystemWithoutLocks_goesOnUnlocked() throws Exception {
        Path shim = tmp.resolve("no-file-locks.so");
        Path source = tmp.resolve("no-file-locks.c");
        try (var in = ScratchFilesTest.class.getResourceAsStream("no-file-locks.c")) {
            Files.copy(in, source);
        }
        Process cc = new ProcessBuilder("cc", "-shared", "-fPIC", "-o", shim.toString(), source.toString(), "-ldl")
                .redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assumptions.assumeTrue(cc.waitFor() == 0, "needs a C compiler: " + ccOut);
        Path dir = Files.createDirectory(tmp.resolve("nolocks"));
        Holder unlocked = Holder.start(dir, shim);
        try {
            assertTrue(unlocked.file.exists() && unlocked.file.getName().endsWith(ScratchFiles.SUFFIX), unlocked.file.getName());
            assertTrue(unlocked.said.contains("are not locked"), unlocked.said);
        } finally {
            unlocked.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private Path oldFile(String name, long ageMillis) throws IOException {
        Path f = Files.createFile(tmp.resolve(name));
        Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis() - ageMillis));
        return f;
    }

    /** A child JVM that makes a scratch file in a directory, says its path, and waits to be killed. */
    static final class Holder {
        final Process process;
        final File file;
        /** What it printed before its path (its log). */
        final String said;

        private Holder(Process process, File file, String said) {
            this.process = process;
            this.file = file;
            this.said = said;
        }

        /** Starts one in {@code dir}, with {@code preload} (a shared library, or null) loaded first. */
        static Holder start(Path dir, Path preload) throws IOException {
            List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path")));
            String logging = System.getProperty("log4j2.configurationFile");   // (the job's: warnings printed)
            if (logging != null) {
                command.add("-Dlog4j2.configurationFile=" + logging);
            }
            command.addAll(List.of(Holder.class.getName(), dir.toString()));
            ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
            b.environment().keySet().removeAll(List.of("SPARK_EXECUTOR_DIRS", "SPARK_LOCAL_DIRS", "CONTAINER_ID", "LOCAL_DIRS"));
            if (preload != null) {
                b.environment().put("LD_PRELOAD", preload.toString());
            }
            Process p = b.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder said = new StringBuilder();
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("scratch file: ")) {
                    return new Holder(p, new File(line.substring("scratch file: ".length())), said.toString());
                }
                said.append(line).append('\n');
            }
            throw new AssertionError("the child JVM said no scratch file: " + said);
        }

        public static void main(String[] args) throws Exception {
            ScratchFiles.Scratch scratch = ScratchFiles.create(new File(args[0]));
            System.out.println("scratch file: " + scratch.file);
            System.out.flush();
            Thread.sleep(120_000);   // (killed before)
        }
    }
}
