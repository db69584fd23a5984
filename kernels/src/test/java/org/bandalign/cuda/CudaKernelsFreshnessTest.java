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
 * must match the source now, and the one it recorded for the binary built from it the binary
 * shipped (an audit: the sources' sums alone could be brought up to date without a build); and
 * the binary must hold its source's SHA-256, which build.sh compiles into it. Rebuild
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
            Map<String, String> recordedSources = new TreeMap<>(recorded);
            recordedSources.keySet().removeIf(name -> !name.endsWith(".cu"));
            assertEquals(actual, recordedSources, build[0] + ": kernel binaries are stale: run bash kernels/src/main/cuda/build.sh");
            for (String cu : actual.keySet()) {
                String fatbin = cu.replace(".cu", build[1] + ".fatbin");
                byte[] shipped = KernelModule.resource(fatbin);
                assertTrue(shipped.length > 1000, fatbin + " is shipped");
                assertEquals(recorded.get(fatbin), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(shipped)),
                        build[0] + ": " + fatbin + " is not the binary build.sh made from " + cu + ": run bash kernels/src/main/cuda/build.sh");
                // (the binary's own record of its source, BANDALIGN_SOURCE_SHA256: a review found the sums file alone could be
                // brought up to date by hand)
                assertTrue(new String(shipped, StandardCharsets.ISO_8859_1).contains(actual.get(cu)),
                        fatbin + " was not built from the " + cu + " beside it: run bash kernels/src/main/cuda/build.sh");
            }
            assertEquals(2 * actual.size(), recorded.size(), build[0] + ": a source and a binary for each kernel file: " + recorded.keySet());
        }
    }

    /** One entry of a fatbin: machine code (an ELF cubin) for an sm, or PTX for a virtual architecture. */
    record Entry(boolean ptx, int arch, int ptxMajor, int ptxMinor, int elfOsAbi, int elfAbiVersion) {
        @Override
        public String toString() {
            return ptx ? "PTX compute_" + arch + " (ISA " + ptxMajor + "." + ptxMinor + ")"
                    : "SASS sm_" + arch + " (ELF OS/ABI 0x" + Integer.toHexString(elfOsAbi) + " v" + elfAbiVersion + ")";
        }
    }

    /**
     * The entries of a fatbin container: a 16-byte header (magic 0xBA55ED50, version, header
     * size, body size), then entries, each a header (kind 1 = PTX, 2 = ELF; its size; the
     * payload's size; the PTX ISA version; the architecture) and its payload.
     */
    static java.util.List<Entry> entries(byte[] fatbin) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(fatbin).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xBA55ED50, b.getInt(0), "fatbin magic");
        int start = Short.toUnsignedInt(b.getShort(6));
        long end = start + b.getLong(8);
        assertEquals(fatbin.length, end, "a single fatbin container");
        java.util.List<Entry> entries = new java.util.ArrayList<>();
        for (int off = start; off < end; ) {
            int kind = Short.toUnsignedInt(b.getShort(off));
            int headerSize = b.getInt(off + 4);
            long size = b.getLong(off + 8);
            int minor = Short.toUnsignedInt(b.getShort(off + 24));
            int major = Short.toUnsignedInt(b.getShort(off + 26));
            int arch = b.getInt(off + 28);
            int payload = off + headerSize;
            if (kind == 2) {
                assertEquals(0x7f454c46, java.nio.ByteBuffer.wrap(fatbin, payload, 4).getInt(), "an ELF cubin");
                entries.add(new Entry(false, arch, 0, 0, fatbin[payload + 7] & 0xff, fatbin[payload + 8] & 0xff));
            } else {
                assertEquals(1, kind, "an entry of kind PTX or ELF");
                entries.add(new Entry(true, arch, major, minor, 0, 0));
            }
            off = Math.toIntExact(payload + size);
        }
        return entries;
    }

    /** Each entry's kind and architecture, e.g. "SASS sm_90" (the order in the file means nothing). */
    private static java.util.Set<String> kinds(java.util.List<Entry> entries) {
        java.util.Set<String> kinds = new java.util.TreeSet<>();
        entries.forEach(e -> assertTrue(kinds.add(e.toString().replaceAll(" \\(.*", "")), "one entry each: " + entries));
        return kinds;
    }

    /**
     * What each build holds is what KernelModule and the README promise, and what its drivers
     * can load: the CUDA 13 build SASS for sm_80, sm_90, sm_100 and sm_120 in CUDA 13's cubin format and PTX
     * for compute_75; the CUDA 12 build SASS for sm_70, sm_75, sm_80 and sm_90 in the format CUDA 12
     * drivers read (OS/ABI 0x33, version 7) and PTX of ISA 8.4 at most (R550 JITs it).
     */
    @Test
    void shippedFatbins_holdTheCodeTheirDriversNeed() {
        for (String name : new String[] {"banded_align", "banded_matrix"}) {
            java.util.List<Entry> cuda13 = entries(KernelModule.resource(name + ".fatbin"));
            assertEquals(java.util.Set.of("SASS sm_80", "SASS sm_90", "SASS sm_100", "SASS sm_120", "PTX compute_75"), kinds(cuda13),
                    name + ".fatbin: " + cuda13);
            for (Entry e : cuda13) {
                assertTrue(e.ptx() ? e.ptxMajor() == 9 : e.elfAbiVersion() >= 8, name + ".fatbin, CUDA 13's formats: " + e);
            }
            java.util.List<Entry> cuda12 = entries(KernelModule.resource(name + ".cuda12.fatbin"));
            assertEquals(java.util.Set.of("PTX compute_75", "SASS sm_70", "SASS sm_75", "SASS sm_80", "SASS sm_90"), kinds(cuda12),
                    name + ".cuda12.fatbin: " + cuda12);
            for (Entry e : cuda12) {
                assertTrue(e.ptx() ? e.ptxMajor() == 8 && e.ptxMinor() <= 4 : e.elfOsAbi() == 0x33 && e.elfAbiVersion() == 7,
                        name + ".cuda12.fatbin, what CUDA 12 drivers read: " + e);
            }
        }
    }
}
