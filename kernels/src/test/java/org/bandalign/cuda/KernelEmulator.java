package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Builds and runs the CPU emulations of the CUDA kernels ({@code src/test/cuda-emulator}) with
 * g++; tests that use it are skipped where g++ or the sources are missing.
 */
final class KernelEmulator {
    private static final Map<String, Path> BUILT = new HashMap<>();

    private KernelEmulator() {
    }

    /**
     * System property: build the emulators with AddressSanitizer and UBSan
     * ({@code mvn -pl kernels test -Demulator.sanitize=true -Dtest='*Emulation*'}), or, with
     * {@code thread}, with ThreadSanitizer (see {@link Sanitizer}).
     */
    static final String SANITIZE_PROPERTY = "emulator.sanitize";

    /**
     * The sanitizers an emulator may be built with. Either way a block's threads run as OS
     * threads at once, meeting only at barriers, rather than as fibers (the sanitizers follow
     * thread stacks, not fiber switches).
     */
    enum Sanitizer {
        /**
         * ThreadSanitizer: two threads of a block that touch one address within a barrier
         * interval, one writing, end the run with a race report (exit 66), as NVIDIA's racecheck
         * reports them on a GPU.
         */
        THREAD("-fsanitize=thread"),
        /**
         * AddressSanitizer and UBSan: a read or write out of a buffer's bounds, a misaligned
         * access (a fault on a GPU; x86 forgives it), an overflowing signed int, ... end the run.
         */
        ADDRESS("-fsanitize=address,undefined", "-fno-sanitize-recover=undefined");

        final List<String> flags;
        /** Why g++ cannot build and run a program with it here ("" where it can; null before it was tried). */
        private String missing;

        Sanitizer(String... flags) {
            this.flags = List.of(flags);
        }

        /** Skips the test where g++ cannot build or run a program with this sanitizer here. */
        synchronized void assumeWorks() throws IOException {
            if (missing == null) {   // (its runtime library, or a memory layout it runs in, may be missing)
                Path dir = Files.createDirectories(Paths.get("target", "cuda-emulator").toAbsolutePath());
                Path source = Files.writeString(dir.resolve("sanitizer_probe.cpp"),
                        "#include <thread>\nint x;\nint main() { std::thread t([] { x = 1; }); t.join(); return x - 1; }\n");
                Path probe = dir.resolve("sanitizer_probe_" + name().toLowerCase(java.util.Locale.ROOT));
                List<String> command = new ArrayList<>(List.of("g++", "-std=c++20", "-pthread", "-o", probe.toString()));
                command.addAll(flags);
                command.add(source.toString());
                try {
                    Outcome built = runToEnd(command, Map.of(), 120, "g++");
                    Outcome ran = built.exit != 0 ? built : runToEnd(List.of(probe.toString()), Map.of(), 60, "probe");
                    missing = ran.exit == 0 ? "" : ran.log;
                } catch (IOException | InterruptedException e) {
                    missing = "g++ is not installed: " + e.getMessage();
                }
            }
            Assumptions.assumeTrue(missing.isEmpty(), () -> this + " sanitizer does not work here: " + missing);
        }
    }

    /** The executable built from {@code src/test/cuda-emulator/NAME.cpp}, compiled once per JVM. */
    static Path build(String name) throws IOException, InterruptedException {
        return build(name, name);
    }

    /**
     * The executable built from {@code src/test/cuda-emulator/NAME.cpp} with {@code defines}
     * added (e.g. {@code -DEMU_UCONTEXT}), as {@code target/cuda-emulator/OUTPUT}; with the
     * sanitizers {@value #SANITIZE_PROPERTY} names.
     */
    static Path build(String name, String output, String... defines) throws IOException, InterruptedException {
        List<String> flags = new ArrayList<>(List.of(defines));
        String sanitize = System.getProperty(SANITIZE_PROPERTY, "false");
        if (sanitize.equals("thread")) {
            flags.addAll(sanitized(Sanitizer.THREAD));
        } else if (Boolean.parseBoolean(sanitize)) {
            flags.addAll(sanitized(Sanitizer.ADDRESS));
        }
        return compile(name, output, flags);
    }

    /**
     * The executable built from {@code src/test/cuda-emulator/NAME.cpp} with {@code sanitizer},
     * as {@code target/cuda-emulator/OUTPUT}; skips the test where that does not work here.
     */
    static Path buildSanitized(String name, String output, Sanitizer sanitizer) throws IOException, InterruptedException {
        sanitizer.assumeWorks();
        return compile(name, output, sanitized(sanitizer));
    }

    private static List<String> sanitized(Sanitizer sanitizer) {
        List<String> flags = new ArrayList<>(List.of("-g", "-DEMU_OS_THREADS"));
        flags.addAll(sanitizer.flags);
        return flags;
    }

    /**
     * The stand-in NVIDIA driver built from {@code src/test/cuda-emulator/fake_libcuda.cpp}, as
     * {@code target/cuda-emulator/libcuda.so.1} (see that file).
     */
    static Path buildFakeDriver() throws IOException, InterruptedException {
        return compile("fake_libcuda", "libcuda.so.1", List.of("-shared", "-fPIC", "-Wl,-soname,libcuda.so.1"));
    }

    private static synchronized Path compile(String source, String output, List<String> flags)
            throws IOException, InterruptedException {
        Path built = BUILT.get(output);
        if (built != null) {
            return built;
        }
        Path src = Paths.get("src", "test", "cuda-emulator");
        if (!Files.isDirectory(src)) {   // from the job module
            src = Paths.get("..", "kernels", "src", "test", "cuda-emulator");
        }
        Assumptions.assumeTrue(Files.isDirectory(src), "emulator sources are not here (bundled run)");
        Path exe = Paths.get("target", "cuda-emulator", output).toAbsolutePath();
        Files.createDirectories(exe.getParent());
        List<String> command = new ArrayList<>(List.of("g++", "-O2", "-std=c++20", "-pthread"));
        command.addAll(flags);
        command.addAll(List.of("-I" + src.resolve("include"), "-o", exe.toString(), src.resolve(source + ".cpp").toString()));
        try {
            new ProcessBuilder("g++", "--version").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        } catch (IOException e) {
            Assumptions.abort("g++ is not installed: " + e.getMessage());
        }
        Outcome compiled = runToEnd(command, Map.of(), 180, "g++");
        assertEquals(0, compiled.exit, "g++ failed:\n" + compiled.log);
        BUILT.put(output, exe);
        return exe;
    }

    /** Runs an emulator with its arguments and fails the test if it does not exit cleanly. */
    static void run(Path exe, String... args) throws IOException, InterruptedException {
        run(exe, Map.of(), args);
    }

    /** {@link #run(Path, String...)} with variables added to its environment (e.g. EMU_SCHEDULE). */
    static void run(Path exe, Map<String, String> environment, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(exe.toString());
        command.addAll(List.of(args));
        Map<String, String> all = new HashMap<>(environment);
        all.putIfAbsent("TSAN_OPTIONS", "halt_on_error=1");   // (ThreadSanitizer builds: the first race ends the run)
        Outcome ran = runToEnd(command, all, 120, "emulator");
        assertEquals(0, ran.exit, "emulator failed: " + ran.log);
    }

    /** A finished process: its exit status and output. */
    private record Outcome(int exit, String log) {
    }

    /**
     * Runs {@code command} with its output going to a file, so that a process that never ends
     * (a kernel caught in a loop) is killed at the time limit and fails the test instead of
     * hanging the build.
     */
    private static Outcome runToEnd(List<String> command, Map<String, String> environment, int seconds, String what)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile("bandalign-" + what, ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(environment);
            Process p = builder.start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail(what + " did not finish within " + seconds + " s (killed): " + String.join(" ", command));
            }
            return new Outcome(p.exitValue(), Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
