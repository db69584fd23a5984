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

    /** The executable built from {@code src/test/cuda-emulator/NAME.cpp}, compiled once per JVM. */
    /**
     * System property: build the emulators with AddressSanitizer and UBSan
     * ({@code mvn -pl kernels test -Demulator.sanitize=true -Dtest='*Emulation*'}).
     */
    static final String SANITIZE_PROPERTY = "emulator.sanitize";

    static synchronized Path build(String name) throws IOException, InterruptedException {
        Path built = BUILT.get(name);
        if (built != null) {
            return built;
        }
        Path src = Paths.get("src", "test", "cuda-emulator");
        Assumptions.assumeTrue(Files.isDirectory(src), "emulator sources are not here (bundled run)");
        Path exe = Paths.get("target", "cuda-emulator", name).toAbsolutePath();
        Files.createDirectories(exe.getParent());
        List<String> command = new ArrayList<>(List.of("g++", "-O2", "-std=c++20", "-pthread"));
        if (Boolean.getBoolean(SANITIZE_PROPERTY)) {   // slower; catches out-of-bounds and undefined behaviour
            command.addAll(List.of("-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"));
        }
        command.addAll(List.of("-I" + src.resolve("include"), "-o", exe.toString(), src.resolve(name + ".cpp").toString()));
        try {
            new ProcessBuilder("g++", "--version").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        } catch (IOException e) {
            Assumptions.abort("g++ is not installed: " + e.getMessage());
        }
        Outcome compiled = runToEnd(command, 180, "g++");
        assertEquals(0, compiled.exit, "g++ failed:\n" + compiled.log);
        BUILT.put(name, exe);
        return exe;
    }

    /** Runs an emulator with its arguments and fails the test if it does not exit cleanly. */
    static void run(Path exe, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(exe.toString());
        command.addAll(List.of(args));
        Outcome ran = runToEnd(command, 120, "emulator");
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
    private static Outcome runToEnd(List<String> command, int seconds, String what)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile("bandalign-" + what, ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
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
