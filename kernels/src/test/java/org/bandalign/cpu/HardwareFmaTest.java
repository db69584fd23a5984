package org.bandalign.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The probe that picks FastExp's and FastLog's form reads the JVM's own flag: a JVM told
 * {@code -XX:-UseFMA} takes the plain form (Math.fma would run in software there), and on a
 * Linux x86 machine whose processor has FMA the default JVM takes the fused one.
 */
class HardwareFmaTest {
    /** Prints the probe's answer, in a JVM of the test's choosing. */
    public static void main(String[] args) {
        System.out.print(HardwareFma.AVAILABLE);
    }

    @Test
    void available_inAJvmWithoutUseFma_isFalse() throws Exception {
        assertEquals("false", probeIn("-XX:-UseFMA"));
    }

    @Test
    void available_byDefault_isWhatTheProcessorHas() throws Exception {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        boolean x86 = System.getProperty("os.arch").matches("amd64|x86_64");
        org.junit.jupiter.api.Assumptions.assumeTrue(x86 && Files.isReadable(cpuinfo), "Linux x86 only (reads /proc/cpuinfo)");
        boolean fma = Files.readAllLines(cpuinfo).stream()
                .anyMatch(l -> l.startsWith("flags") && List.of(l.split("\\s+")).contains("fma"));
        assertEquals(String.valueOf(fma), probeIn());
        assertEquals(fma, HardwareFma.AVAILABLE, "this JVM too");
    }

    private static String probeIn(String... jvmOptions) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), HardwareFmaTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish: " + out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
