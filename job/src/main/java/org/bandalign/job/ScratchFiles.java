package org.bandalign.job;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * The job's scratch files (a dictionary of binary scores too large for the heap,
 * {@link BinaryChunk}), and their end however the JVM ends:
 * <ul>
 *   <li>they go in the first of Spark's local directories ({@link #directory()}), named with
 *       their JVM's process id ({@code bandalign-dictionary-<pid>-<random>.bin}), readable by
 *       their owner alone;</li>
 *   <li>each is locked while in use (an exclusive lock on the open file, which the operating
 *       system ends with its process, SIGKILL included) and deleted once its reader is done;</li>
 *   <li>a JVM going down deletes those still in use by a shutdown hook (SIGTERM, Ctrl-C, an
 *       executor stopped);</li>
 *   <li>those of a JVM killed outright (SIGKILL, the kernel's out-of-memory killer), whose lock
 *       ended with it, are deleted by the next JVM that makes a scratch file in that directory
 *       ({@link #sweep}).</li>
 * </ul>
 * A file is locked under a name the sweep passes over ({@code .bin.new}) and then renamed, so
 * that no file by the final name is ever unlocked while in use. Locks are the operating
 * system's (POSIX {@code fcntl}): closing any descriptor of a file drops all of its process's
 * locks on it, so a JVM never opens a scratch file of its own but through {@link Scratch}. On a
 * file system without locks (some NFS mounts, some shared folders of virtual machines) the files
 * are used unlocked, and no sweep deletes any there.
 */
final class ScratchFiles {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ScratchFiles.class);

    static final String PREFIX = "bandalign-dictionary-";
    static final String SUFFIX = ".bin";
    /** The name a file has between its creation and its lock. */
    static final String NEW_SUFFIX = SUFFIX + ".new";

    /**
     * A file younger than this is never swept (a guard on top of the locks: a file written by a
     * build of BandAlign that did not lock its files, while in use).
     */
    static final long SWEEP_MIN_AGE_MILLIS = 10_000;
    /** A {@code .new} file younger than this is never swept: its JVM may be about to lock it. */
    static final long SWEEP_NEW_MIN_AGE_MILLIS = 3_600_000;
    /** A directory is swept at most once in this long by one JVM (a sweep opens every old file in it). */
    static final long SWEEP_INTERVAL_MILLIS = 60_000;

    private static final long PID = ProcessHandle.current().pid();
    /** Scratch files in use in this JVM, which its shutdown deletes. */
    private static final Set<File> LIVE = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean HOOKED = new AtomicBoolean();
    /** When this JVM last swept each directory. */
    private static final Map<File, Long> SWEPT = new ConcurrentHashMap<>();
    /** Directories whose file system refused a lock, said once each. */
    private static final Set<File> UNLOCKED = ConcurrentHashMap.newKeySet();

    private ScratchFiles() {
    }

    /** A scratch file in use: open to read and write, locked where it can be; {@link #close()} deletes it. */
    static final class Scratch implements AutoCloseable {
        final File file;
        final FileChannel channel;

        private Scratch(File file, FileChannel channel) {
            this.file = file;
            this.channel = channel;
        }

        /** Deletes the file, then closes it (its lock ends). */
        @Override
        public void close() {
            file.delete();
            LIVE.remove(file);
            try {
                channel.close();
            } catch (IOException e) {
                // (deleted all the same)
            }
        }
    }

    /** A new scratch file in {@link #directory()} ({@link #create(File)}). */
    static Scratch create() throws IOException {
        return create(directory());
    }

    /**
     * A new scratch file in {@code dir}, open and locked; first, where this JVM has not swept
     * {@code dir} in the last {@link #SWEEP_INTERVAL_MILLIS}, the files there that JVMs killed
     * outright left behind are deleted.
     */
    static Scratch create(File dir) throws IOException {
        if (HOOKED.compareAndSet(false, true)) {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(File::delete), "bandalign-scratch-files"));
            } catch (IllegalStateException shuttingDown) {
                // (too late for a hook: the file is deleted when its reader is done, if it gets there)
            }
        }
        Files.createDirectories(dir.toPath());
        long now = System.currentTimeMillis();
        Long last = SWEPT.get(dir);
        if (last == null || now - last >= SWEEP_INTERVAL_MILLIS) {
            SWEPT.put(dir, now);
            int swept = sweep(dir, now);
            if (swept > 0) {
                LOG.info("deleted {} scratch file(s) in {} that JVMs killed outright had left", swept, dir);
            }
        }
        // (owner-only, under the name sweeps pass over until it is locked)
        Path fresh = Files.createTempFile(dir.toPath(), PREFIX + PID + "-", NEW_SUFFIX);
        File file = fresh.toFile();
        LIVE.add(file);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(fresh, StandardOpenOption.READ, StandardOpenOption.WRITE);
            lock(channel, dir);
            String name = file.getName();
            File named = new File(dir, name.substring(0, name.length() - NEW_SUFFIX.length()) + SUFFIX);
            LIVE.add(named);
            try {
                Files.move(fresh, named.toPath(), StandardCopyOption.ATOMIC_MOVE);   // (the lock goes with the file)
                LIVE.remove(file);
                file = named;
            } catch (IOException cannotRename) {
                LIVE.remove(named);   // (it keeps its .new name: swept only once an hour old)
            }
            return new Scratch(file, channel);
        } catch (IOException | RuntimeException e) {
            file.delete();
            LIVE.remove(file);
            if (channel != null) {
                channel.close();
            }
            throw e;
        }
    }

    /**
     * Locks the new scratch file on {@code channel}; where the file system has no locks, goes on
     * without, saying so once for {@code dir}.
     */
    private static void lock(FileChannel channel, File dir) throws IOException {
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (IOException noLocks) {
            if (UNLOCKED.add(dir)) {
                LOG.warn("scratch files in {} are not locked ({}): one that a JVM killed outright leaves there stays", dir,
                        noLocks.getMessage());
            }
            return;
        }
        if (lock == null) {
            throw new IOException("another process locked a new scratch file in " + dir);
        }
    }

    /**
     * Deletes the scratch files in {@code dir} that no process uses: regular files (no links, no
     * pipes) of another JVM than this one, older than {@link #SWEEP_MIN_AGE_MILLIS} at
     * {@code nowMillis} ({@link #SWEEP_NEW_MIN_AGE_MILLIS} for one not locked yet), that no
     * process locks. A file that cannot be opened or locked to find out (another user's, a file
     * system without locks) is left alone.
     *
     * @return how many were deleted
     */
    static int sweep(File dir, long nowMillis) {
        String own = PREFIX + PID + "-";
        String[] names = dir.list((d, name) -> name.startsWith(PREFIX) && !name.startsWith(own)
                && (name.endsWith(SUFFIX) || name.endsWith(NEW_SUFFIX)));
        int deleted = 0;
        for (String name : names == null ? new String[0] : names) {
            Path f = dir.toPath().resolve(name);
            try {
                BasicFileAttributes attributes = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                long minAge = name.endsWith(NEW_SUFFIX) ? SWEEP_NEW_MIN_AGE_MILLIS : SWEEP_MIN_AGE_MILLIS;
                if (!attributes.isRegularFile() || nowMillis - attributes.lastModifiedTime().toMillis() < minAge) {
                    continue;
                }
                try (FileChannel channel = FileChannel.open(f, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                    if (channel.tryLock() != null && Files.deleteIfExists(f)) {   // (another sweep may have deleted it meanwhile)
                        deleted++;
                    }
                }
            } catch (IOException | OverlappingFileLockException e) {
                // (gone meanwhile, not ours to open, or no locks here: left alone)
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
