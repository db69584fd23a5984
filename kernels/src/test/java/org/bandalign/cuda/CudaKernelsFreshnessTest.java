package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The shipped kernel binaries, both builds (CUDA 13 and CUDA 12), were built from the current
 * {@code .cu} sources: the SHA-256 that {@code src/main/cuda/build.sh} recorded for each source
 * must match the source now. Rebuild
 * with {@code bash kernels/src/main/cuda/build.sh} (or {@code mvn -Pcuda}) after editing a kernel.
 */
class CudaKernelsFreshnessTest {
    @Test
    void shippedFatbins_matchTheCudaSources() throws IOException, NoSuchAlgorithmException {
        Path dir = Paths.get("src", "main", "cuda");
        Assumptions.assumeTrue(Files.isDirectory(dir), "no kernel sources here (a bundled run outside the repository)");
        Map<String, String> actual = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".cu"))::iterator) {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                actual.put(p.getFileName().toString(), HexFormat.of().formatHex(sha.digest(Files.readAllBytes(p))));
            }
        }
        // Each build (CUDA 13, CUDA 12) records the compiler and the sources it compiled.
        for (String[] build : new String[][] {{"kernels.sha256", "", "13."}, {"kernels-cuda12.sha256", ".cuda12", "12."}}) {
            String list = new String(KernelModule.resource(build[0]), StandardCharsets.UTF_8);
            assertTrue(list.startsWith("# nvcc " + build[2]), build[0] + " was written by nvcc " + build[2] + "x: " + list);
            Map<String, String> recorded = new TreeMap<>();
            for (String line : list.split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] f = line.trim().split("\\s+");
                    recorded.put(f[1], f[0]);
                }
            }
            assertEquals(actual, recorded, build[0] + ": kernel binaries are stale: run bash kernels/src/main/cuda/build.sh");
            for (String cu : actual.keySet()) {
                String fatbin = cu.replace(".cu", build[1] + ".fatbin");
                assertTrue(KernelModule.resource(fatbin).length > 1000, fatbin + " is shipped");
            }
        }
    }
}
