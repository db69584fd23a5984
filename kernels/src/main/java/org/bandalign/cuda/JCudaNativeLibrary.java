package org.bandalign.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import jcuda.JCudaVersion;
import jcuda.LibUtils;

/**
 * Puts JCuda's native driver library, complete, where JCuda looks for it, before JCuda loads it.
 *
 * <p>JCuda extracts {@code libJCudaDriver-VERSION-OS-ARCH.so} from its jar into
 * {@code java.io.tmpdir} under that fixed name, writes it only where no file of that name exists,
 * and then loads whatever file is there. On a GPU node several executors start at once (one per
 * GPU) and can so load a file another is still writing; and a file cut short (an executor killed
 * while writing it) stays there for every later one. Loading such a file does not throw: the
 * dynamic linker touches pages past its end and the JVM dies of SIGBUS, so the job cannot even
 * fall back to the CPU (checked by {@code JCudaNativeLibraryTest}).
 *
 * <p>So {@link #prepare()} writes it first, the safe way: unless a file with exactly the
 * library's bytes is already there, to a temporary file in the same directory, flushed, readable
 * by all (as JCuda's own would be, for other users of the machine), then renamed over the name in
 * one atomic step. A reader sees the old file or the new one, never part of one; a process that
 * has the old one loaded keeps it (a rename replaces the name, not the file). Where the name
 * holds something else that cannot be replaced (another user's file or link in a sticky
 * {@code /tmp}, a read-only directory), loading it is refused with the reason rather than
 * risked; where nothing is there and nothing can be written, JCuda tries and fails on its own.
 */
final class JCudaNativeLibrary {
    private JCudaNativeLibrary() {
    }

    /** Why the library could not be put in place, or null once it is (or JCuda has no file to extract here). */
    private static String problem;
    private static boolean prepared;

    /**
     * Once per JVM, before JCuda's driver class loads: puts the library in place in
     * {@code java.io.tmpdir}.
     *
     * @throws CudaUnavailableException when the name holds another file that cannot be replaced
     */
    static synchronized void prepare() {
        if (!prepared) {
            problem = install(Path.of(System.getProperty("java.io.tmpdir")));
            prepared = true;
        }
        if (problem != null) {
            throw new CudaUnavailableException(problem);
        }
    }

    /** The library's file name on this platform, as JCuda names it, e.g. libJCudaDriver-12.0.0-linux-x86_64.so. */
    static String fileName() {
        return LibUtils.createLibraryFileName(LibUtils.createPlatformLibraryName("JCudaDriver-" + JCudaVersion.get()));
    }

    /**
     * Puts the library into {@code dir} unless it is there already; returns null when it is
     * there (or JCuda's jar holds no library for this platform: JCuda then says so itself), else
     * why not. Safe against other processes doing the same at the same time.
     */
    static String install(Path dir) {
        String name = fileName();
        byte[] library;
        try (InputStream in = LibUtils.class.getResourceAsStream("/lib/" + name)) {
            if (in == null) {
                return null;
            }
            library = in.readAllBytes();
        } catch (IOException e) {
            return null;   // JCuda reads the same resource and reports its own failure
        }
        Path target = dir.resolve(name);
        if (holds(target, library)) {
            return null;
        }
        Path temp = null;
        try {
            Files.createDirectories(dir);
            temp = Files.createTempFile(dir, name + ".", ".part");
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(library);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            temp = null;
            return null;
        } catch (IOException | RuntimeException e) {
            // Another process may have put the right file there in the meantime; where there is
            // none, JCuda writes one or fails to, with an error, not a crash.
            if (holds(target, library) || !Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            return "JCuda's native library " + target + " is not the one BandAlign ships (cut short, another program's, "
                    + "or a link) and could not be replaced (" + e + "); remove it, or start the JVM with "
                    + "-Djava.io.tmpdir set to a directory of its own";
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // a stray .part file harms nothing
                }
            }
        }
    }

    /** Whether {@code file} is a regular file (not a link) holding exactly {@code bytes}. */
    private static boolean holds(Path file, byte[] bytes) {
        try {
            return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Files.size(file) == bytes.length && Arrays.equals(Files.readAllBytes(file), bytes);
        } catch (IOException e) {
            return false;
        }
    }
}
