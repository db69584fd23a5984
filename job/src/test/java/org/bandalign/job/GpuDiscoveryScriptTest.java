package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code conf/getGpusResources.sh}, Spark's GPU discovery script, against a stand-in
 * {@code nvidia-smi} placed first on {@code PATH}: the JSON it prints for Spark, and its errors.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "a bash script")
class GpuDiscoveryScriptTest {
    static final Path SCRIPT = script();

    @TempDir
    Path tmp;

    /** What one run of the script did. */
    /**
     * A failure's one-line reason is on stdout as well as stderr: Spark puts the script's stdout
     * in the error that stops the Worker, where a cluster walk-through found nothing after
     * "exited with code 1:".
     */
    private static void assertReasonOnStdoutToo(Result r) {
        assertTrue(r.stdout().startsWith("getGpusResources.sh: ") && r.stdout().endsWith("\n")
                && r.stdout().indexOf('\n') == r.stdout().length() - 1 && r.stderr().contains(r.stdout().trim()),
                "stdout: " + r.stdout() + "; stderr: " + r.stderr());
    }

    record Result(int exitCode, String stdout, String stderr) {
    }

    /** conf/getGpusResources.sh of this project (tests run in job/, an IDE may run them from the root). */
    private static Path script() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path s = d.resolve("conf/getGpusResources.sh");
            if (Files.isRegularFile(s)) {
                return s;
            }
        }
        throw new IllegalStateException("no conf/getGpusResources.sh above " + Path.of("").toAbsolutePath());
    }

    /** Writes a stand-in nvidia-smi (a /bin/sh script with this body) into its own directory. */
    private Path standIn(String body) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bin"));
        Path smi = dir.resolve("nvidia-smi");
        Files.writeString(smi, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    /** Runs {@code command} with exactly this {@code PATH}. */
    private Result run(List<String> command, String path) throws IOException, InterruptedException {
        return run(command, path, Map.of());
    }

    /** Runs {@code command} with exactly this {@code PATH} and these other variables. */
    private Result run(List<String> command, String path, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("BANDALIGN_GPU_ADDRESSES");
        pb.environment().putAll(env);
        pb.environment().put("PATH", path);
        pb.redirectOutput(tmp.resolve("out.txt").toFile());
        pb.redirectError(tmp.resolve("err.txt").toFile());
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("getGpusResources.sh did not finish in 30 s");
        }
        return new Result(p.exitValue(), Files.readString(tmp.resolve("out.txt"), StandardCharsets.UTF_8),
                Files.readString(tmp.resolve("err.txt"), StandardCharsets.UTF_8));
    }

    /** The script run as Spark runs it (its own #! line), the stand-in's directory first on PATH. */
    private Result runWithStandIn(String body) throws IOException, InterruptedException {
        return runWithStandIn(body, List.of(), Map.of());
    }

    /** The same, with arguments for the script and variables in its environment. */
    private Result runWithStandIn(String body, List<String> args, Map<String, String> env) throws IOException, InterruptedException {
        Path dir = standIn(body);
        List<String> command = new ArrayList<>(List.of(SCRIPT.toString()));
        command.addAll(args);
        return run(command, dir + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"), env);
    }

    /** A stand-in nvidia-smi that answers only the UUID query, with two GPUs. */
    private static final String UUID_STAND_IN = "[ \"$*\" = \"--query-gpu=uuid --format=csv,noheader\" ] "
            + "|| { echo \"unexpected arguments: $*\" >&2; exit 2; }\n"
            + "printf 'GPU-8ef0c2a4-2e3f-11ee-be56-0242ac120002\\nGPU-01BA1A11-0000-4000-8000-000000000000\\n'";

    private static String bash() {
        for (String candidate : List.of("/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new AssertionError("no bash found");
    }

    @Test
    void script_isExecutable() {
        assertTrue(Files.isExecutable(SCRIPT), SCRIPT + " must be executable (Spark runs it directly)");
    }

    @Test
    void standInGpus_printsSparkResourceJsonOnOneLine() throws Exception {
        // Answers only the query the script must make, like the real one would.
        Result r = runWithStandIn("[ \"$*\" = \"--query-gpu=index --format=csv,noheader\" ] "
                + "|| { echo \"unexpected arguments: $*\" >&2; exit 2; }\nprintf '0\\n1\\n3\\n'");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("", r.stderr());
        assertTrue(r.stdout().endsWith("\n") && r.stdout().indexOf('\n') == r.stdout().length() - 1,
                "one line: " + r.stdout());
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree("{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\", \"3\"]}"), json.readTree(r.stdout()));
        // Spark's own parser of discovery output agrees.
        org.apache.spark.resource.ResourceInformation info =
                org.apache.spark.resource.ResourceInformation.parseJson(r.stdout().trim());
        assertEquals("gpu", info.name());
        assertEquals(List.of("0", "1", "3"), List.of(info.addresses()));
    }

    @Test
    void standInWithBlanksAndCarriageReturns_areTrimmed() throws Exception {
        Result r = runWithStandIn("printf ' 2\\r\\n\\n\\t5 \\n'");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("{\"name\": \"gpu\", \"addresses\":[\"2\",\"5\"]}\n", r.stdout());
    }

    @Test
    void noGpus_printsEmptyAddressList() throws Exception {
        Result r = runWithStandIn("exit 0");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(new ObjectMapper().readTree("{\"name\": \"gpu\", \"addresses\": []}"), new ObjectMapper().readTree(r.stdout()));
    }

    @Test
    void nvidiaSmiMissing_failsWithMessage() throws Exception {
        // A PATH with nothing on it (bash itself is named by its absolute path).
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Result r = run(List.of(bash(), SCRIPT.toString()), empty.toString());
        assertNotEquals(0, r.exitCode());
        assertReasonOnStdoutToo(r);
        assertTrue(r.stderr().contains("nvidia-smi not found"), r.stderr());
    }

    @Test
    void nvidiaSmiFails_failsWithItsMessage() throws Exception {
        Result r = runWithStandIn("echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver' >&2\nexit 9");
        assertNotEquals(0, r.exitCode());
        assertReasonOnStdoutToo(r);
        assertTrue(r.stderr().contains("could not communicate"), r.stderr());
        assertTrue(r.stderr().contains("failed (exit 9)"), r.stderr());
    }

    @Test
    void nvidiaSmiPrintsNoIndex_failsNamingTheLine() throws Exception {
        Result r = runWithStandIn("echo 'No devices were found'");
        assertNotEquals(0, r.exitCode());
        assertReasonOnStdoutToo(r);
        assertTrue(r.stderr().contains("'No devices were found', not a GPU index"), r.stderr());
    }

    @Test
    void manyGpus_allListedInOrder() throws Exception {
        List<String> expected = new ArrayList<>();
        StringBuilder lines = new StringBuilder();
        for (int k = 0; k < 16; k++) {
            expected.add(Integer.toString(k));
            lines.append(k).append("\\n");
        }
        Result r = runWithStandIn("printf '" + lines + "'");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(expected, List.of(org.apache.spark.resource.ResourceInformation.parseJson(r.stdout().trim()).addresses()));
    }

    @Test
    void uuidAddresses_byEnvironmentOrArgument_listTheUuids() throws Exception {
        List<String> expected = List.of("GPU-8ef0c2a4-2e3f-11ee-be56-0242ac120002", "GPU-01BA1A11-0000-4000-8000-000000000000");
        for (Result r : List.of(runWithStandIn(UUID_STAND_IN, List.of(), Map.of("BANDALIGN_GPU_ADDRESSES", "uuid")),
                runWithStandIn(UUID_STAND_IN, List.of("--uuid"), Map.of()))) {
            assertEquals(0, r.exitCode(), r.stderr());
            assertEquals("", r.stderr());
            assertEquals(expected, List.of(org.apache.spark.resource.ResourceInformation.parseJson(r.stdout().trim()).addresses()));
        }
    }

    @Test
    void uuidAddresses_aLineThatIsNoUuid_failsNamingIt() throws Exception {
        Result r = runWithStandIn("printf 'GPU-8ef0c2a4\\n[N/A]\\n'", List.of("--uuid"), Map.of());
        assertNotEquals(0, r.exitCode());
        assertReasonOnStdoutToo(r);
        assertTrue(r.stderr().contains("'[N/A]', not a GPU UUID"), r.stderr());
    }

    @Test
    void unknownAddressKind_failsSayingWhatIsExpected() throws Exception {
        Result r = runWithStandIn("printf '0\\n'", List.of(), Map.of("BANDALIGN_GPU_ADDRESSES", "pci"));
        assertNotEquals(0, r.exitCode());
        assertReasonOnStdoutToo(r);
        assertTrue(r.stderr().contains("BANDALIGN_GPU_ADDRESSES=pci: expected index or uuid"), r.stderr());
    }
}
