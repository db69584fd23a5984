package org.bandalign.job;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * The job's scratch files (a dictionary of binary scores too large for the heap,
 * {@link BinaryChunk}), and their end however the JVM ends:
 * <ul>
 *   <li>they go in the first of Spark's local directories ({@link #directory()});</li>
 *   <li>each is locked while in use (an exclusive lock on the open file, which the operating
 *       system ends with its process, SIGKILL included) and deleted once its reader is done;</li>
 *   <li>a JVM going down deletes those still in use by a shutdown hook (SIGTERM, Ctrl-C, an
 *       executor stopped);</li>
 *   <li>those of a JVM killed outright (SIGKILL, the kernel's out-of-memory killer), whose lock
 *       ended with it, are deleted by the next JVM that makes a scratch file in that directory
 *       ({@link #sweep}).</li>
 * </ul>
 */
final class ScratchFiles {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ScratchFiles.class);

    static final String PREFIX = "bandalign-dictionary-";
    static final String SUFFIX = ".bin";

    /**
     * A file younger than this is never swept: between its creation and its lock, a file in use
     * is unlocked for a moment.
     */
    static final long SWEEP_MIN_AGE_MILLIS = 10_000;

    /** Scratch files in use in this JVM, which its shutdown deletes. */
    private static final Set<File> LIVE = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean HOOKED = new AtomicBoolean();

    private ScratchFiles() {
    }

    /** A scratch file in use: open to read and write, locked; {@link #close()} deletes it. */
    static final class Scratch implements AutoCloseable {
        final File file;
        final FileChannel channel;

        private Scratch(File file, FileChannel channel) {
            this.file = file;
            this.channel = channel;
        }

        /** Closes the file (its lock ends) and deletes it. */
        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // (the file is deleted below all the same)
            }
            file.delete();
            LIVE.remove(file);
        }
    }

    /**
     * A new scratch file in {@link #directory()}, open and locked; first, the files there that
     * JVMs killed outright left behind are deleted.
     */
    static Scratch create() throws IOException {
        if (HOOKED.compareAndSet(false, true)) {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(File::delete), "bandalign-scratch-files"));
            } catch (IllegalStateException shuttingDown) {
                // (too late for a hook: the file is deleted when its reader is done, if it gets there)
            }
        }
        File dir = directory();
        Files.createDirectories(dir.toPath());
        int swept = sweep(dir, System.currentTimeMillis());
        if (swept > 0) {
            LOG.info("deleted {} scratch file(s) in {} that JVMs killed outright had left", swept, dir);
        }
        File file = File.createTempFile(PREFIX, SUFFIX, dir);
        LIVE.add(file);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file.toPath(), StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (channel.tryLock() == null) {
                throw new IOException("another process locked the new scratch file " + file);
            }
            return new Scratch(file, channel);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            file.delete();
            LIVE.remove(file);
            throw e;
        }
    }

    /**
     * Deletes the scratch files in {@code dir} that no process uses: not this JVM's, no lock on
     * them, and older than {@link #SWEEP_MIN_AGE_MILLIS} at {@code nowMillis}. A file that cannot
     * be locked to find out (a file system without locks, no permission) is left alone.
     *
     * @return how many were deleted
     */
    static int sweep(File dir, long nowMillis) {
        File[] found = dir.listFiles((d, name) -> name.startsWith(PREFIX) && name.endsWith(SUFFIX));
        int deleted = 0;
        for (File f : found == null ? new File[0] : found) {
            if (LIVE.contains(f) || nowMillis - f.lastModified() < SWEEP_MIN_AGE_MILLIS) {
                continue;
            }
            try (FileChannel channel = FileChannel.open(f.toPath(), StandardOpenOption.WRITE)) {
                FileLock lock = channel.tryLock();
                if (lock != null && f.delete()) {   // (deleted while locked: no other sweep deletes it twice)
                    deleted++;
                }
            } catch (IOException | OverlappingFileLockException e) {
                // (gone meanwhile, not ours to lock, or locked by this JVM: left alone)
            }
        }
        return deleted;
    }

    /** The directory scratch files go in here ({@link #directory(Map, String, String)}). */
    static File directory() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        return directory(System.getenv(), env == null ? null : env.conf().get("spark.local.dir", null),
                System.getProperty("java.io.tmpdir"));
    }

    /**
     * The first of the local directories Spark's executors write scratch data to, found as Spark
     * finds them: a standalone worker's directories for its executor ({@code SPARK_EXECUTOR_DIRS}),
     * {@code SPARK_LOCAL_DIRS}, a YARN container's {@code LOCAL_DIRS}, then
     * {@code spark.local.dir} ({@code localDir}); else {@code tmp}, the JVM's temporary directory.
     */
    static File directory(Map<String, String> env, String localDir, String tmp) {
        String[][] tried = {
            {env.get("SPARK_EXECUTOR_DIRS"), File.pathSeparator},
            {env.get("SPARK_LOCAL_DIRS"), ","},
            {env.get("CONTAINER_ID") != null ? env.get("LOCAL_DIRS") : null, ","},
            {localDir, ","},
        };
        for (String[] t : tried) {
            if (t[0] != null) {
                for (String dir : t[0].split(Pattern.quote(t[1]))) {
                    if (!dir.isBlank()) {
                        return new File(dir.trim());
                    }
                }
            }
        }
        return new File(tmp);
    }
}
