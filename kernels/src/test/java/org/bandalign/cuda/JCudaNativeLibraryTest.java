package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import jcuda.JCudaVersion;
import jcuda.LibUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JCudaNativeLibrary}: JCuda's native library is put where JCuda looks, complete, even
 * when several processes start at once or an earlier one left a file cut short, which would
 * otherwise kill the JVM that loads it (SIGBUS) before the CPU fallback could take over.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "JCuda's jar here holds the Linux library only")
class JCudaNativeLibraryTest {
    @TempDir
    Path tmp;

    private static byte[] library;

    @BeforeAll
    static void readLibrary() throws IOException {
        try (InputStream in = LibUtils.class.getResourceAsStream("/lib/" + JCudaNativeLibrary.fileName())) {
            library = in.readAllBytes();
        }
        assertTrue(library.length > 100_000, "JCuda's driver library is on the class path");
    }

    @Test
    void fileName_isJCudasOwnName() {
        assertEquals("libJCudaDriver-" + JCudaVersion.get() + "-linux-x86_64.so", JCudaNativeLibrary.fileName());
    }

    @Test
    void install_emptyDirectory_writesTheLibraryReadableByAll() throws IOException {
        assertNull(JCudaNativeLibrary.install(tmp));
        Path lib = tmp.resolve(JCudaNativeLibrary.fileName());
        assertArrayEquals(library, Files.readAllBytes(lib));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(lib)));
        assertEquals(List.of(lib), entries(tmp), "no temporary file left");
    }

    @Test
    void install_fileCutShort_replacesIt() throws IOException {
        Path lib = tmp.resolve(JCudaNativeLibrary.fileName());
        Files.write(lib, Arrays.copyOf(library, 1000));
        assertNull(JCudaNativeLibrary.install(tmp));
        assertArrayEquals(library, Files.readAllBytes(lib));
        assertEquals(List.of(lib), entries(tmp));
    }

    @Test
    void install_fileOfRightLengthButOtherBytes_replacesIt() throws IOException {
        Path lib = tmp.resolve(JCudaNativeLibrary.fileName());
        byte[] other = library.clone();
        other[other.length / 2] ^= 1;
        Files.write(lib, other);
        assertNull(JCudaNativeLibrary.install(tmp));
        assertArrayEquals(library, Files.readAllBytes(lib));
    }

    @Test
    void install_libraryAlreadyThere_leavesItAlone() throws IOException {
        Path lib = tmp.resolve(JCudaNativeLibrary.fileName());
        Files.write(lib, library);
        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(lib, old);
        Object inode = Files.readAttributes(lib, "unix:ino").get("ino");
        assertNull(JCudaNativeLibrary.install(tmp));
        assertEquals(old, Files.getLastModifiedTime(lib), "not rewritten");
        assertEquals(inode, Files.readAttributes(lib, "unix:ino").get("ino"), "not replaced");
    }

    @Test
    void install_nameHeldByWhatCannotBeReplaced_saysWhatAndWhere() throws IOException {
        Path lib = Files.createDirectories(tmp.resolve(JCudaNativeLibrary.fileName()));
        Files.writeString(lib.resolve("keep"), "not empty");
        String why = JCudaNativeLibrary.install(tmp);
        assertTrue(why != null && why.contains(lib.toString()) && why.contains("could not be replaced")
                && why.contains("-Djava.io.tmpdir"), why);
        assertEquals(List.of(lib), entries(tmp), "no temporary file left");
    }

    @Test
    void install_linkToTheLibrary_replacesTheLinkWithAFile() throws IOException {
        Path elsewhere = tmp.resolve("elsewhere.so");
        Files.write(elsewhere, library);
        Path lib = Files.createSymbolicLink(tmp.resolve(JCudaNativeLibrary.fileName()), elsewhere);
        assertNull(JCudaNativeLibrary.install(tmp));
        assertTrue(Files.isRegularFile(lib, java.nio.file.LinkOption.NOFOLLOW_LINKS), "a file of its own, not a link");
        assertArrayEquals(library, Files.readAllBytes(lib));
    }

    @Test
    void install_directoryCannotBeCreated_leavesItToJCuda() throws IOException {
        Path notADirectory = Files.writeString(tmp.resolve("file"), "x");
        assertNull(JCudaNativeLibrary.install(notADirectory.resolve("sub")), "nothing there to load: JCuda fails by itself");
    }

    /**
     * Writers start together on an empty directory, as the executors of a GPU node do, while a
     * reader watches the name: it must never see part of the library (JCuda's own extraction,
     * which writes in place, shows partial files here).
     */
    @Test
    void install_concurrentWriters_readerNeverSeesAPartialFile() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            int partial = 0;
            int complete = 0;
            for (int round = 0; round < 12; round++) {
                Path dir = Files.createDirectories(tmp.resolve("round-" + round));
                Path lib = dir.resolve(JCudaNativeLibrary.fileName());
                CountDownLatch go = new CountDownLatch(1);
                AtomicBoolean writing = new AtomicBoolean(true);
                AtomicInteger seenPartial = new AtomicInteger();
                AtomicInteger seenComplete = new AtomicInteger();
                Future<?> reader = pool.submit(() -> {
                    go.await();
                    while (writing.get()) {
                        try {
                            byte[] b = Files.readAllBytes(lib);
                            (Arrays.equals(b, library) ? seenComplete : seenPartial).incrementAndGet();
                        } catch (NoSuchFileException notYet) {
                            Thread.onSpinWait();
                        }
                    }
                    return null;
                });
                List<Future<String>> writers = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    writers.add(pool.submit(() -> {
                        go.await();
                        return JCudaNativeLibrary.install(dir);
                    }));
                }
                go.countDown();
                for (Future<String> w : writers) {
                    assertNull(w.get(30, TimeUnit.SECONDS));
                }
                writing.set(false);
                reader.get(30, TimeUnit.SECONDS);
                partial += seenPartial.get();
                complete += seenComplete.get();
                assertArrayEquals(library, Files.readAllBytes(lib));
                assertEquals(List.of(lib), entries(dir), "no temporary file left");
            }
            assertEquals(0, partial, "reads of a partial library (" + complete + " complete)");
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The failure this prevents, end to end: a JVM whose {@code java.io.tmpdir} holds the
     * library cut short asks for the CUDA devices. Without the library being put in place first,
     * JCuda loads the short file and the JVM dies of SIGBUS; with it, the JVM goes on, with the
     * devices or with "no CUDA driver" where there is none.
     */
    @Test
    void cudaDevices_libraryCutShortInTmpdir_jvmGoesOn() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("tmpdir"));
        Files.write(dir.resolve(JCudaNativeLibrary.fileName()), Arrays.copyOf(library, 1000));
        Path log = tmp.resolve("probe.log");
        String cp = String.join(java.io.File.pathSeparator, location(Probe.class), location(CudaDevices.class),
                location(jcuda.driver.JCudaDriver.class), location(LibUtils.class.getResource("/lib/" + JCudaNativeLibrary.fileName())));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + dir, "-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=" + tmp.resolve("hs_err.log"),
                "-cp", cp, Probe.class.getName())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe ends");
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), "the probe JVM exits normally:\n" + out);
        assertTrue(out.contains("devices: ") || out.contains("unavailable: no CUDA driver"), out);
        assertArrayEquals(library, Files.readAllBytes(dir.resolve(JCudaNativeLibrary.fileName())));
    }

    /**
     * Where {@code c} was loaded from: the child's class path is built from these, since under
     * JUnit's console launcher (the GPU machine's bundle) the test class path is not the JVM's.
     */
    private static String location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** The jar (or folder) a resource URL points into. */
    private static String location(java.net.URL resource) throws Exception {
        String u = resource.toString();
        if (u.startsWith("jar:")) {
            return Path.of(new java.net.URI(u.substring(4, u.indexOf("!/")))).toString();
        }
        Path p = Path.of(resource.toURI());
        return p.getParent().getParent().toString();   // .../lib/NAME -> the folder holding lib/
    }

    /** The child JVM of {@link #cudaDevices_libraryCutShortInTmpdir_jvmGoesOn}. */
    static final class Probe {
        public static void main(String[] args) {
            try {
                System.out.println("devices: " + CudaDevices.list().size());
            } catch (CudaUnavailableException e) {
                System.out.println("unavailable: " + e.getMessage());
            }
        }
    }

    @Test
    void driverFailureMessage_namesTheCause() {
        String failure = "Error while loading native library \"JCudaDriver-12.0.0-linux-x86_64\"\n"
                + "Operating system name: Linux\n---(start of nested stack traces)---\n"
                + "Stack trace from the attempt to load the library as a file:\n"
                + "java.lang.UnsatisfiedLinkError: no JCudaDriver-12.0.0-linux-x86_64 in java.library.path: /usr/lib\n"
                + "\tat java.base/java.lang.ClassLoader.loadLibrary(ClassLoader.java:2434)\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.0.0-linux-x86_64.so: %s\n"
                + "\tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)\n"
                + "---(end of nested stack traces)---\n";
        String noDriver = CudaDevice.driverFailureMessage(new UnsatisfiedLinkError(String.format(failure,
                "libcuda.so.1: cannot open shared object file: No such file or directory")));
        assertTrue(noDriver.startsWith("no CUDA driver: JCuda could not load the NVIDIA driver library libcuda.so.1")
                && noDriver.endsWith("libcuda.so.1: cannot open shared object file: No such file or directory"), noDriver);
        String noexec = CudaDevice.driverFailureMessage(new UnsatisfiedLinkError(String.format(failure,
                "failed to map segment from shared object")));
        assertTrue(noexec.startsWith("CUDA unavailable: JCuda's native library could not be loaded from java.io.tmpdir")
                && noexec.contains("noexec") && noexec.contains("-Djava.io.tmpdir"), noexec);
        String other = CudaDevice.driverFailureMessage(new UnsatisfiedLinkError(String.format(failure, "invalid ELF header")));
        assertEquals("CUDA unavailable: JCuda's native library could not be loaded: "
                + "/tmp/libJCudaDriver-12.0.0-linux-x86_64.so: invalid ELF header", other);
        String otherPlatform = CudaDevice.driverFailureMessage(new UnsatisfiedLinkError(String.format(failure,
                "").replace("java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.0.0-linux-x86_64.so: ",
                "java.io.IOException: No resource found with name '/lib/libJCudaDriver-12.0.0-linux-aarch64.so'")), "Linux", "aarch64");
        assertTrue(otherPlatform.startsWith("CUDA unavailable: JCuda " + JCudaVersion.get() + " has no native library for this platform")
                && otherPlatform.contains("Linux x86-64") && otherPlatform.endsWith("linux-aarch64.so'"), otherPlatform);
        String noNativesJar = CudaDevice.driverFailureMessage(new UnsatisfiedLinkError(String.format(failure,
                "").replace("java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.0.0-linux-x86_64.so: ",
                "java.io.IOException: No resource found with name '/lib/libJCudaDriver-12.0.0-linux-x86_64.so'")), "Linux", "amd64");
        assertTrue(noNativesJar.startsWith("CUDA unavailable: JCuda's native library for Linux x86-64 is not on the class path: "
                + "add the jar org.jcuda:jcuda-natives:" + JCudaVersion.get() + ":linux-x86_64") && noNativesJar.contains("module path"),
                noNativesJar);
        assertEquals("CUDA unavailable: JCuda's classes are missing (jcuda/JCudaVersion): the CUDA backend needs the jars "
                + "org.jcuda:jcuda:12.0.0 and org.jcuda:jcuda-natives:12.0.0:linux-x86_64 on the class path",
                CudaDevice.driverFailureMessage(new NoClassDefFoundError("jcuda/JCudaVersion")));
        assertEquals("CUDA unavailable: JCuda's native library could not be loaded: Could not initialize class jcuda.driver.JCudaDriver",
                CudaDevice.driverFailureMessage(new NoClassDefFoundError("Could not initialize class jcuda.driver.JCudaDriver")));
        // (JCuda's own file that cannot be replaced: no driver's failure; a review of the wording's change)
        assertEquals("CUDA unavailable: why", CudaDevice.driverFailureMessage(new CudaUnavailableException("why")));
    }

    private static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
