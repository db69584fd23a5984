package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("g++ is not installed: " + e.getMessage());
            return null;
        }
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "g++ finished");
        assertEquals(0, p.exitValue(), "g++ failed:\n" + log);
        BUILT.put(name, exe);
        return exe;
    }

    /** Runs an emulator with its arguments and fails the test if it does not exit cleanly. */
    static void run(Path exe, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(exe.toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "emulator finished");
        assertEquals(0, p.exitValue(), "emulator failed: " + log);
    }
}
