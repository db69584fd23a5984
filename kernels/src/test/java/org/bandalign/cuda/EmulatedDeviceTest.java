package org.bandalign.cuda;

import static org.bandalign.cuda.CudaTestSupport.freeDeviceMemory;
import static org.bandalign.cuda.CudaTestSupport.primaryContextActive;
import static org.bandalign.cuda.CudaTestSupport.randomPair;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.bandalign.banded.BandedMatrix;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What only the CPU stand-in for the driver ({@code fake_libcuda.cpp}, the build's
 * {@code emulated-gpu} run) can show without a GPU: that the GPU tests of that run really go
 * through it, and the out-of-memory path end to end (a real {@code CUDA_ERROR_OUT_OF_MEMORY}
 * from {@code cuMemAlloc}, the launch split in half, the aligner still usable). Skipped
 * elsewhere, on a real GPU too.
 */
class EmulatedDeviceTest {
    private static final AlignOptions LOG = AlignOptions.builder().semiring(Semiring.LOG).build();

    @BeforeEach
    void onlyOnTheEmulation() {
        CudaTestSupport.assumeEmulatedGpu();
    }

    /**
     * A staging buffer grown for large pairs is kept while they follow one another and given
     * back at the first launch that needs no more than what packed launches do (pinned host
     * memory counts against an executor's container for as long as it is held). Here that limit
     * is 1 MiB, the least a staging buffer takes.
     */
    @Test
    void copyBandwidths_timeAtLeastOneRoundOfOneByte_elseAreRefused() {
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            assertTrue(cuda.copyBandwidth(1 << 20, 1) > 0);
            assertTrue(cuda.hostToDeviceBandwidth(1 << 20, 2) > 0);
            // found by a review: 0 rounds read as a bandwidth of 0
            assertThrows(IllegalArgumentException.class, () -> cuda.copyBandwidth(1 << 20, 0));
            assertThrows(IllegalArgumentException.class, () -> cuda.hostToDeviceBandwidth(0, 3));
        }
    }

    @Test
    void alignAll_stagingGrownForLargePairs_isGivenBackByTheNextOrdinaryLaunch() {
        System.setProperty(BandedAlignKernels.RETAINED_STAGING_PROPERTY, String.valueOf(1 << 20));
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            Random rnd = new Random(9);
            List<Pair> small = java.util.stream.IntStream.range(0, 4).mapToObj(k -> randomPair(rnd, "s" + k, 30, 40)).toList();
            assertValid(cuda.alignAll(small, LOG));
            assertEquals(1 << 20, cuda.pinnedStagingBytes(), "a staging buffer the packed launches need is kept");
            Pair large = randomPair(rnd, "large", 320, 320);   // 1.2 MB of scores (the marginals come back in their place)
            AlignmentResult r = cuda.alignAll(List.of(large), LOG).get(0);
            assertTrue(r.isValid(), () -> r.error().getMessage());
            long grown = cuda.pinnedStagingBytes();
            assertTrue(grown > 1 << 20, "grown for the large pair: " + grown);
            assertValid(cuda.alignAll(List.of(randomPair(rnd, "large2", 300, 320)), LOG));
            assertEquals(grown, cuda.pinnedStagingBytes(), "kept for the next large pair");
            try (Aligner cpu = Aligner.cpu(1)) {
                assertEquals(cpu.align(large, LOG).logPartition(), r.logPartition(), 1e-6 * Math.abs(r.logPartition()));
            }
            List<AlignmentResult> after = cuda.alignAll(small, LOG);
            assertValid(after);
            assertEquals(1 << 20, cuda.pinnedStagingBytes(), "given back by the next ordinary launch");
            try (Aligner cpu = Aligner.cpu(1)) {
                for (int k = 0; k < small.size(); k++) {
                    assertEquals(cpu.align(small.get(k), LOG).logPartition(), after.get(k).logPartition(), 1e-6 * Math.abs(after.get(k).logPartition()));
                }
            }
        } finally {
            System.clearProperty(BandedAlignKernels.RETAINED_STAGING_PROPERTY);
        }
    }

    private static void assertValid(List<AlignmentResult> results) {
        results.forEach(r -> assertTrue(r.isValid(), () -> r.error().getMessage()));
    }

    @Test
    void open_onTheFakeDriver_isTheCpuEmulation() {
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            assertTrue(cuda.deviceName().contains("CPU emulation"), cuda.deviceName());
            assertEquals("cuda:0", cuda.backend());
            // (the stand-in reports the register counts it was given; a GPU reports the real ones)
            String resources = cuda.kernelResources();
            assertTrue(resources.matches("(?s)banded_forward_backward: \\d+ registers, 0 B local, 0 B static shared, sm_90\n.*")
                    && resources.contains("banded_viterbi: 36 registers, 0 B local, 5136 B static shared, sm_90"), resources);
            assertEquals(BandedAlignKernels.KERNELS.size(), resources.lines().count(), resources);
            assertEquals(8, BandedAlignKernels.KERNELS.size());
        }
    }

    /**
     * The devices as the driver lists them, and a device named by UUID (a cluster's discovery
     * script may hand those out instead of indices): the full UUID, a unique prefix and any case
     * find its ordinal; a prefix several share, or one none has, is a clear error that lists
     * what is visible.
     */
    @Test
    void devices_listTheirUuids_andAUuidFindsItsOrdinal() {
        Assumptions.assumeTrue(CudaAligner.deviceCount() >= 2, "needs BANDALIGN_FAKE_CUDA_DEVICES=2 (kernels/pom.xml)");
        List<CudaDevices.Device> devices = CudaDevices.list();
        assertEquals(CudaAligner.deviceCount(), devices.size());
        CudaDevices.Device second = devices.get(1);
        assertEquals(new CudaDevices.Device(1, second.name(), "GPU-01ba1a11-0000-4000-8000-000000000000", "0000:11:00.0",
                9, 0, second.multiprocessors(), second.totalMemory()), second);
        assertTrue(second.toString().startsWith("1: BandAlign CPU emulation") && second.toString().contains(", sm_90, "),
                second.toString());
        assertEquals("13.0", CudaDevices.driverVersion());

        assertEquals(1, CudaDevices.ordinalOf("GPU-01ba1a11-0000-4000-8000-000000000000"));
        assertEquals(0, CudaDevices.ordinalOf(" gpu-00BA1A11-0000-4000-8000-000000000000 "));
        assertEquals(1, CudaDevices.ordinalOf("GPU-01"));
        CudaUnavailableException shared = assertThrows(CudaUnavailableException.class, () -> CudaDevices.ordinalOf("GPU-0"));
        assertTrue(shared.getMessage().startsWith("several visible CUDA devices match UUID GPU-0 (visible: 0=GPU-00ba1a11-"),
                shared.getMessage());
        CudaUnavailableException none = assertThrows(CudaUnavailableException.class,
                () -> CudaDevices.ordinalOf("GPU-ffba1a11-0000-4000-8000-000000000000"));
        assertTrue(none.getMessage().startsWith("no visible CUDA device has UUID GPU-ffba1a11-0000-4000-8000-000000000000 (visible: 0=")
                && none.getMessage().contains("1=GPU-01ba1a11-0000-4000-8000-000000000000"), none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CudaDevices.ordinalOf("GPU-"));
        assertThrows(IllegalArgumentException.class, () -> CudaDevices.ordinalOf("1"));
    }

    /**
     * A CUDA 12 driver (older than R580) cannot load what CUDA 13 built: the aligner loads the
     * CUDA 12 build of the kernels instead, and aligns as the CPU does; asking for the CUDA 13
     * build there, or running on a CUDA 11 driver, is a clear "unavailable", which auto mode
     * answers with the CPU engine. (The stand-in runs the same .cu either way; which binary
     * a real driver accepts is for the GPU run.)
     */
    @Test
    void olderDrivers_loadTheCuda12Build_orAreUnavailableAndSayWhy() {
        try {
            FakeCudaDriver.setDriverVersion(12040);
            assertTheCuda12BuildLoadsAndAlignsAsTheCpu(5);
            System.setProperty(KernelModule.KERNELS_PROPERTY, "cuda13");
            CudaUnavailableException forced = assertThrows(CudaUnavailableException.class, () -> CudaAligner.open(0, 0));
            assertTrue(forced.getMessage().contains("bandalign.cuda.kernels=cuda13, but the NVIDIA driver supports CUDA 12.4 only"),
                    forced.getMessage());
            assertAutoIsTheCpu();
            System.clearProperty(KernelModule.KERNELS_PROPERTY);

            FakeCudaDriver.setDriverVersion(11080);
            CudaUnavailableException old = assertThrows(CudaUnavailableException.class, () -> CudaAligner.open(0, 0));
            assertTrue(old.getMessage().contains("supports CUDA 11.8 only; BandAlign's kernels need a CUDA 12 driver (R525 or newer)"),
                    old.getMessage());
        } finally {
            System.clearProperty(KernelModule.KERNELS_PROPERTY);
            FakeCudaDriver.setDriverVersion(13000);
        }
        assertTheCuda13BuildLoads();
    }

    /** Both kinds of kernels load from the CUDA 12 build, and alignments come out as on the CPU. */
    private static void assertTheCuda12BuildLoadsAndAlignsAsTheCpu(long seed) {
        Random rnd = new Random(seed);
        List<Pair> pairs = List.of(randomPair(rnd, "a", 9 + rnd.nextInt(5), 14), randomPair(rnd, "b", 30, 21));
        List<AlignmentResult> expected;
        try (Aligner cpu = Aligner.cpu()) {
            expected = cpu.alignAll(pairs, LOG);
        }
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            assertEquals("banded_align.cuda12.fatbin", cuda.kernelImage());
            assertSameLogZ(expected, cuda.alignAll(pairs, LOG));
        }
        try (CudaBandedMatrix products = CudaBandedMatrix.open(0)) {
            assertEquals("banded_matrix.cuda12.fatbin", products.module.image);
        }
    }

    private static void assertAutoIsTheCpu() {
        try (Aligner auto = Aligner.auto()) {
            assertEquals("cpu", auto.backend());
        }
    }

    private static void assertTheCuda13BuildLoads() {
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            assertEquals("banded_align.fatbin", cuda.kernelImage());
        }
    }

    /**
     * A Volta GPU (sm_70), for which CUDA 13 builds nothing: on a CUDA 13 driver the aligner finds
     * no code for it in the CUDA 13 build and loads the CUDA 12 build, which has sm_70 SASS, and
     * aligns as the CPU does; asked for the CUDA 13 build it says why it cannot; an older GPU
     * (sm_60) has no code in either build and is unavailable, saying so.
     */
    @Test
    void voltaGpu_loadsTheCuda12BuildOnAnyDriver_olderGpusAreUnavailable() {
        try {
            FakeCudaDriver.setDeviceArch(70);
            assertEquals(7, CudaDevices.list().get(0).computeMajor());
            assertTheCuda12BuildLoadsAndAlignsAsTheCpu(12);
            System.setProperty(KernelModule.KERNELS_PROPERTY, "cuda13");
            CudaUnavailableException forced = assertThrows(CudaUnavailableException.class, () -> CudaAligner.open(0, 0));
            assertTrue(forced.getMessage().contains("cannot load BandAlign's kernels: tried banded_align.fatbin (")
                    && forced.getMessage().endsWith("compute capability 7.5 or newer): CUDA_ERROR_NO_BINARY_FOR_GPU"), forced.getMessage());
            System.clearProperty(KernelModule.KERNELS_PROPERTY);

            // Newer GPUs: Ada (sm_89) runs the sm_80 SASS, Blackwell its own; on a CUDA 12 driver
            // Blackwell compiles the CUDA 12 build's PTX.
            for (int arch : new int[] {89, 100, 120}) {
                FakeCudaDriver.setDeviceArch(arch);
                try (CudaAligner cuda = CudaAligner.open(0, 0)) {
                    assertEquals("banded_align.fatbin", cuda.kernelImage(), "sm_" + arch);
                }
            }
            FakeCudaDriver.setDriverVersion(12080);
            try (CudaAligner cuda = CudaAligner.open(0, 0)) {
                assertEquals("banded_align.cuda12.fatbin", cuda.kernelImage(), "sm_120 on a CUDA 12.8 driver");
            } finally {
                FakeCudaDriver.setDriverVersion(13000);
            }

            FakeCudaDriver.setDeviceArch(60);
            CudaUnavailableException pascal = assertThrows(CudaUnavailableException.class, () -> CudaAligner.open(0, 0));
            assertTrue(pascal.getMessage().contains("cannot load BandAlign's kernels: tried banded_align.fatbin first "
                    + "(CUDA_ERROR_NO_BINARY_FOR_GPU), then banded_align.cuda12.fatbin (SASS for sm_70")
                    && pascal.getMessage().contains("compute capability 7.0 or newer): CUDA_ERROR_NO_BINARY_FOR_GPU"), pascal.getMessage());
            assertAutoIsTheCpu();
        } finally {
            System.clearProperty(KernelModule.KERNELS_PROPERTY);
            FakeCudaDriver.setDeviceArch(90);
        }
        assertTheCuda13BuildLoads();
    }

    /**
     * Every public call leaves the caller's thread with the context it had: none, or another
     * device's (as another CUDA library on the same thread would have), so that BandAlign can
     * share threads with other CUDA code; the aligner's own launcher threads are its own.
     */
    @Test
    void calls_giveTheCallersThreadItsContextBack() throws Exception {
        Assumptions.assumeTrue(CudaAligner.deviceCount() >= 2, "needs BANDALIGN_FAKE_CUDA_DEVICES=2 (kernels/pom.xml)");
        List<Pair> pairs = growingPairs(8, "c", 6, 12, 16);
        org.bandalign.banded.BandedMatrix x = org.bandalign.banded.BandedMatrix.fromData(new float[2 * 5 * 3], 2, 5, 1, 1, 0f);
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (CudaDevice other = CudaDevice.open(1)) {
            for (boolean withOther : new boolean[] {false, true}) {
                thread.submit(() -> {
                    if (withOther) {
                        other.makeCurrent();   // another library's context on this thread
                    } else {
                        jcuda.driver.JCudaDriver.cuCtxSetCurrent(new jcuda.driver.CUcontext());   // none
                    }
                    jcuda.driver.CUcontext mine = CudaDevice.current();
                    assertEquals(withOther ? other.context : new jcuda.driver.CUcontext(), mine);
                    try (CudaAligner cuda = CudaAligner.open(0, 16 << 10)) {
                        assertEquals(mine, CudaDevice.current(), "after open");
                        assertEquals(pairs.size(), cuda.alignAll(pairs, LOG).size());
                        long launches = cuda.launchesByKernels().values().stream().mapToLong(Long::longValue).sum();
                        assertTrue(launches > 1, "several launches, on the launcher threads: " + cuda.launchesByKernels());
                        assertEquals(mine, CudaDevice.current(), "after alignAll");
                        cuda.align(pairs.get(0), LOG);   // one launch, on this thread
                        assertEquals(mine, CudaDevice.current(), "after align");
                        cuda.kernelResources();
                        assertEquals(mine, CudaDevice.current(), "after kernelResources");
                    }
                    assertEquals(mine, CudaDevice.current(), "after close");
                    try (CudaBandedMatrix products = CudaBandedMatrix.open(0)) {
                        products.multiplyLog(x, x);
                        assertEquals(mine, CudaDevice.current(), "after multiplyLog");
                    }
                    assertEquals(mine, CudaDevice.current(), "after closing the products");
                    return null;
                }).get();
            }
        } finally {
            thread.shutdown();
        }
    }

    /**
     * A device another process holds (exclusive-process mode): opening it fails with a
     * {@link CudaUnavailableException} that says so, which is what {@code Aligner.auto()} and
     * the job's auto backend fall back to the CPU on; the other device still opens, and so does
     * this one once it is free.
     */
    @Test
    void open_deviceHeldByAnotherProcess_isUnavailableAndSaysWhy() {
        Assumptions.assumeTrue(CudaAligner.deviceCount() >= 2, "needs the stand-in's second device");
        FakeCudaDriver.makeUnavailable(1);
        try {
            CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> CudaAligner.open(1, 0));
            assertTrue(e.getMessage().startsWith("CUDA device 1 cannot be used: cuDevicePrimaryCtxRetain failed: "
                    + "CUDA_ERROR_DEVICE_UNAVAILABLE") && e.getMessage().contains("exclusive-process"), e.getMessage());
            assertThrows(CudaUnavailableException.class, () -> CudaBandedMatrix.open(1));
            try (CudaAligner other = CudaAligner.open(0, 0)) {
                assertEquals("cuda:0", other.backend());
            }
        } finally {
            FakeCudaDriver.makeAvailable();
        }
        try (CudaAligner freed = CudaAligner.open(1, 0)) {
            assertEquals("cuda:1", freed.backend());
        }
    }

    /**
     * A mistyped setting is the caller's mistake, not an unusable device: it must not pass for
     * one (an auto backend would quietly run everything on the CPU).
     */
    @Test
    void open_mistypedSetting_isAnErrorNotAnUnavailableDevice() {
        System.setProperty(BandedAlignKernels.THREADS_PROPERTY, "fil");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaAligner.open(0, 0));
            assertTrue(e.getMessage().contains("widest or fill"), e.getMessage());
        } finally {
            System.clearProperty(BandedAlignKernels.THREADS_PROPERTY);
        }
    }

    /**
     * The host's per-launch choice of kernels, on the stand-in's 2 SMs with blocks of 32
     * threads: one pair leaves the GPU mostly idle (split alpha and beta: 2 x 32 blocks of 48
     * registers are resident at once); 50 pairs fill it (one block a pair, plain: only 2 x 21
     * blocks of the prefetching variant's 94 registers would be resident).
     */
    @Test
    void alignAll_fewOrManyPairs_launchesTheKernelsThePolicyPicks() {
        Random rnd = new Random(3);
        List<Pair> many = new ArrayList<>();
        for (int k = 0; k < 50; k++) {
            many.add(randomPair(rnd, "m" + k, 20, 25));
        }
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            cuda.alignAll(many.subList(0, 1), LOG);
            assertEquals(Map.of("banded_alpha_beta, banded_marginals (32 threads)", 1L), cuda.launchesByKernels());
            cuda.alignAll(many, LOG);
            assertEquals(Map.of("banded_alpha_beta, banded_marginals (32 threads)", 1L,
                    "banded_forward_backward (32 threads)", 1L), cuda.launchesByKernels());
        }
    }

    /**
     * The fill policy for threads per block ({@code bandalign.cuda.threads=fill}): 50 pairs of
     * 100 x 100 on the stand-in's 2 SMs, whose registers hold 7 blocks of the 4 warps the widest
     * anti-diagonal takes (28 warps an SM), and as many warps in 14 blocks of 2; so 2 warps a
     * block, each thread taking two cells an anti-diagonal, with the CPU engine's results.
     */
    @Test
    void alignAll_fillThreadsPolicy_launchesFewerWarpsWithTheSameResults() {
        Random rnd = new Random(4);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 50; k++) {
            pairs.add(randomPair(rnd, "f" + k, 100, 100));
        }
        List<AlignmentResult> expected;
        try (Aligner cpu = Aligner.cpu()) {
            expected = cpu.alignAll(pairs, LOG);
        }
        System.setProperty(BandedAlignKernels.THREADS_PROPERTY, "fill");
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            assertSameLogZ(expected, cuda.alignAll(pairs, LOG));
            assertEquals(Map.of("banded_forward_backward (64 threads)", 1L), cuda.launchesByKernels());
        } finally {
            System.clearProperty(BandedAlignKernels.THREADS_PROPERTY);
        }
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            cuda.alignAll(pairs, LOG);
            assertEquals(Map.of("banded_forward_backward (128 threads)", 1L), cuda.launchesByKernels());
        }
    }

    /**
     * The fill policy for Viterbi alone, by Viterbi's occupancy: 40 pairs of 200 x 200 on the
     * stand-in's 2 SMs, whose registers (36 a thread, allocated as 40) hold 7 blocks of the 7
     * warps the widest anti-diagonal takes, 49 warps, and 51 in 17 blocks of 3 (its shared
     * memory, about 13 KB a block, no longer limits it); so 3 warps a block, with the CPU
     * engine's best paths.
     */
    @Test
    void alignAll_fillThreadsPolicyForViterbi_launchesFewerWarpsWithTheSamePaths() {
        Random rnd = new Random(6);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 40; k++) {
            pairs.add(randomPair(rnd, "v" + k, 200, 200));
        }
        AlignOptions max = AlignOptions.builder().semiring(Semiring.MAX).build();
        List<AlignmentResult> expected;
        try (Aligner cpu = Aligner.cpu()) {
            expected = cpu.alignAll(pairs, max);
        }
        System.setProperty(BandedAlignKernels.THREADS_PROPERTY, "fill");
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            List<AlignmentResult> got = cuda.alignAll(pairs, max);
            for (int k = 0; k < pairs.size(); k++) {
                assertEquals(expected.get(k).viterbiScore(), got.get(k).viterbiScore(), 1e-9 * Math.abs(expected.get(k).viterbiScore()));
                assertEquals(expected.get(k).viterbiCigar(), got.get(k).viterbiCigar(), pairs.get(k).id());
            }
            assertEquals(Map.of("banded_viterbi (96 threads)", 1L), cuda.launchesByKernels());
        } finally {
            System.clearProperty(BandedAlignKernels.THREADS_PROPERTY);
        }
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            cuda.alignAll(pairs, max);
            assertEquals(Map.of("banded_viterbi (224 threads)", 1L), cuda.launchesByKernels());
        }
    }

    /**
     * Rolling state in global memory (the kernels' fallback for anti-diagonals too wide for
     * shared memory, forced here on small pairs by {@code bandalign.cuda.sharedLimit}): the host
     * launches the kernels' global-memory forms, each block gets its slice of the scratch, and
     * the results are the CPU engine's, for one pair (split alpha and beta) and for many.
     */
    @Test
    void alignAll_rollingStateInGlobalMemory_launchesTheGlobalFormsWithTheSameResults() {
        Random rnd = new Random(21);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 30; k++) {
            pairs.add(randomPair(rnd, "g" + k, 30 + rnd.nextInt(40), 30 + rnd.nextInt(40)));
        }
        System.setProperty(CudaDevice.SHARED_LIMIT_PROPERTY, Integer.toString(4 << 10));
        try (Aligner cpu = Aligner.cpu(); CudaAligner cuda = CudaAligner.open(0, 0)) {
            for (org.bandalign.align.Mode mode : org.bandalign.align.Mode.values()) {
                AlignOptions both = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH).build();
                for (List<Pair> some : List.of(pairs.subList(0, 1), pairs)) {
                    List<AlignmentResult> expected = cpu.alignAll(some, both);
                    List<AlignmentResult> got = cuda.alignAll(some, both);
                    for (int k = 0; k < some.size(); k++) {
                        AlignmentResult e = expected.get(k);
                        AlignmentResult g = got.get(k);
                        String what = mode + " " + some.get(k).id();
                        assertEquals(e.logPartition(), g.logPartition(), 1e-9 * Math.max(1, Math.abs(e.logPartition())), what);
                        assertEquals(e.viterbiCigar(), g.viterbiCigar(), what);
                        float[] me = e.marginalsDense();
                        float[] mg = g.marginalsDense();
                        for (int q = 0; q < me.length; q++) {
                            assertEquals(me[q], mg[q], 2e-6, what + " marginal " + q);
                        }
                    }
                }
            }
            Map<String, Long> launched = cuda.launchesByKernels();
            assertTrue(launched.keySet().stream().anyMatch(k -> k.startsWith(
                    "banded_alpha_beta_global, banded_marginals, banded_viterbi_global (") && k.endsWith("rolling state in global memory)")),
                    launched.toString());
            assertTrue(launched.keySet().stream().anyMatch(k -> k.startsWith("banded_forward_backward, banded_viterbi_global (")),
                    launched.toString());
        } finally {
            System.clearProperty(CudaDevice.SHARED_LIMIT_PROPERTY);
        }
    }

    /**
     * Where the driver reports static shared memory for the forward-backward kernels (as one
     * that counts the 1 KB reserved section of CUDA 13's sm_90 cubins would), a pair whose
     * rolling state fits the opt-in limit only without it keeps that state in global memory
     * instead of launching with more dynamic shared memory than the kernel allows; a narrower
     * pair still keeps it in shared memory. The static size here is made large, so that the
     * boundary falls between pairs of 100 and 120 rows: 120 x 120 needs 96 * 124 + 8 * 128 =
     * 12,928 bytes of dynamic shared memory, 500 more than the 12,428 the kernel is left.
     */
    @Test
    void alignAll_driverReportsStaticSharedMemory_rollingStateThatNoLongerFitsGoesToGlobalMemory() {
        int optIn = 232448;   // the stand-in's per-block opt-in limit, an H100/H200's
        FakeCudaDriver.addStaticShared(optIn - (96 * 124 + 8 * 128 - 500));
        Random rnd = new Random(33);
        List<Pair> pairs = List.of(randomPair(rnd, "narrow", 100, 100), randomPair(rnd, "wide", 120, 120));
        try (Aligner cpu = Aligner.cpu(); CudaAligner cuda = CudaAligner.open(0, 0)) {
            for (Semiring semiring : List.of(Semiring.LOG, Semiring.BOTH)) {
                AlignOptions options = AlignOptions.builder().semiring(semiring).build();
                for (Pair p : pairs) {
                    AlignmentResult e = cpu.align(p, options);
                    AlignmentResult g = cuda.alignAll(List.of(p), options).get(0);
                    assertTrue(g.isValid(), () -> String.valueOf(g.error()));
                    assertEquals(e.logPartition(), g.logPartition(), 1e-9 * Math.abs(e.logPartition()), p.id());
                    if (semiring.computesMax()) {
                        assertEquals(e.viterbiCigar(), g.viterbiCigar(), p.id());
                    }
                    float[] me = e.marginalsDense();
                    float[] mg = g.marginalsDense();
                    for (int q = 0; q < me.length; q++) {
                        assertEquals(me[q], mg[q], 2e-6, p.id() + " marginal " + q);
                    }
                }
            }
            Map<String, Long> launched = cuda.launchesByKernels();
            assertTrue(launched.keySet().stream().anyMatch(k -> k.endsWith("rolling state in global memory)")),
                    launched.toString());
            assertTrue(launched.keySet().stream().anyMatch(k -> !k.contains("global")), launched.toString());
        } finally {
            FakeCudaDriver.addStaticShared(0);
        }
    }

    @Test
    void alignAll_deviceRunsOutOfMemory_splitsLaunchesAndReportsOnlyThePairThatNeverFits() {
        Random rnd = new Random(5);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            pairs.add(randomPair(rnd, "fits" + k, 60 + k, 70));
        }
        Pair huge = randomPair(rnd, "huge", 700, 690);
        pairs.add(7, huge);
        long one = bytes(pairs.get(0));
        long all = pairs.stream().filter(p -> p != huge).mapToLong(EmulatedDeviceTest::bytes).sum();
        long hugeBytes = bytes(huge);
        assertTrue(hugeBytes > 4 * all, "the huge pair needs more than the others together");

        try (CudaDevice device = CudaDevice.open(0)) {
            device.makeCurrent();
            // Leave free about a quarter of what the small pairs need together: a launch of all of
            // them runs out of memory, halves do too, quarters fit; the huge pair never does.
            long keepFree = all / 4 + one;
            long free = device.memoryInfo()[0];
            assertTrue(free - keepFree > 0 && keepFree < hugeBytes);
            List<AlignmentResult> expected;
            try (Aligner cpu = Aligner.cpu()) {
                expected = cpu.alignAll(pairs, LOG);
            }
            try (DeviceBuffer hog = new DeviceBuffer(free - keepFree);
                 CudaAligner cuda = CudaAligner.open(0, 1L << 40)) {   // a budget far above the device: no planning ahead
                List<AlignmentResult> got = cuda.alignAll(pairs, LOG);
                for (int k = 0; k < pairs.size(); k++) {
                    if (pairs.get(k) == huge) {
                        assertFalse(got.get(k).isValid(), "the huge pair cannot fit");
                        String message = got.get(k).error().getMessage();
                        assertTrue(message.contains("huge") && message.contains("too large for the GPU"), message);
                        // (and what the device had free then: the hog holds the rest; a library user's review)
                        java.util.regex.Matcher had = java.util.regex.Pattern.compile("the device had (\\d+) bytes free").matcher(message);
                        assertTrue(had.find() && Long.parseLong(had.group(1)) <= keepFree, message);
                        assertTrue(got.get(k).error().isDeviceLimit(), "a valid pair the device cannot hold");
                    } else {
                        assertTrue(got.get(k).isValid(), () -> pairs.toString() + got);
                        double z = expected.get(k).logPartition();
                        assertEquals(z, got.get(k).logPartition(), 1e-6 * Math.max(1, Math.abs(z)), pairs.get(k).id());
                    }
                }
                assertTrue(cuda.outOfMemorySplits() >= 3, "splits: " + cuda.outOfMemorySplits());
                assertFalse(cuda.isBroken(), "running out of memory leaves the aligner usable");
                hog.close();
                assertEquals(expected.get(7).logPartition(), cuda.align(huge, LOG).logPartition(), 1e-6 * Math.abs(expected.get(7).logPartition()),
                        "with the memory back, the huge pair fits");
            }
        }
    }

    /**
     * close() while another thread's alignAll has launches queued (a small budget: one pair a
     * launch, 400 launches, two launcher threads): that call ends with an error saying the
     * aligner was closed, not with a wait without end for launches that will not run. (The
     * launches close() drops from the queue are cancelled; most often the caller first meets a
     * launch that started and found the aligner closed, so this does not pin that race down.)
     */
    @Test
    void close_whileAnotherThreadsLaunchesAreQueued_thatCallEndsInsteadOfWaiting() throws Exception {
        Random rnd = new Random(13);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 400; k++) {
            pairs.add(randomPair(rnd, "q" + k, 40, 45));
        }
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            CudaAligner cuda = CudaAligner.open(0, bytes(pairs.get(0)) * 3 / 2);
            Future<List<AlignmentResult>> call = caller.submit(() -> cuda.alignAll(pairs, LOG));
            Thread.sleep(50);   // (400 launches on the stand-in take seconds)
            cuda.close();
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> call.get(60, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof IllegalStateException && e.getCause().getMessage().contains("closed"),
                    String.valueOf(e.getCause()));
        } finally {
            caller.shutdownNow();
        }
    }

    /**
     * Found by a probe: close() between the preparation of a call of several launches and their
     * submission made that call throw a RejectedExecutionException; it ends saying the aligner
     * was closed. (The list's last read closes it, as another thread could at that moment.)
     */
    @Test
    void close_whileACallPreparesItsLaunches_thatCallEndsSayingSo() {
        List<Pair> pairs = growingPairs(7, "z", 50, 8, 10);
        for (long budget : new long[] {4 << 10, 0}) {   // several launches, then one
            CudaAligner cuda = CudaAligner.open(0, budget);
            List<Pair> closing = new org.bandalign.align.testing.IndexedList<>() {
                @Override
                public Pair get(int k) {
                    if (k == size() - 1) {
                        cuda.close();
                    }
                    return pairs.get(k);
                }

                @Override
                public int size() {
                    return pairs.size();
                }
            };
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> cuda.alignAll(closing, LOG), "budget " + budget);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    /**
     * Found by a probe: an interrupted caller got its results where the call took one launch,
     * and an IllegalStateException where it took several (and on the CPU); now always the
     * exception, the interrupt kept.
     */
    @Test
    void alignAll_interruptedCaller_oneLaunchOrSeveral_throwsAndKeepsTheInterrupt() {
        List<Pair> pairs = growingPairs(12, "i", 30, 8, 12);
        for (long budget : new long[] {0, 8 << 10}) {
            try (CudaAligner cuda = CudaAligner.open(0, budget)) {
                Thread.currentThread().interrupt();
                try {
                    assertThrows(IllegalStateException.class, () -> cuda.alignAll(pairs, LOG), "budget " + budget);
                } finally {
                    assertTrue(Thread.interrupted(), "the interrupt stays set (and is cleared here)");
                }
                cuda.alignAll(pairs, LOG).forEach(r -> assertTrue(r.isValid()));   // and the aligner goes on
            }
        }
    }

    /**
     * Found by a probe: a lone pair whose split forward-backward (picked because it fits the
     * budget) did not fit the memory free now was reported too large for the GPU, though the
     * plain kernel fits; it is tried again without the split form.
     */
    @Test
    void alignAll_splitFormDoesNotFitTheFreeMemory_theLonePairRunsWithoutIt() {
        Pair p = randomPair(new Random(13), "one", 60, 60);
        double z;
        try (Aligner cpu = Aligner.cpu(1)) {
            z = cpu.align(p, LOG).logPartition();
        }
        try (CudaDevice device = CudaDevice.open(0); CudaAligner cuda = CudaAligner.open(0, 1L << 40)) {
            cuda.alignAll(List.of(p), LOG);   // the split form, while memory is free
            assertTrue(cuda.launchesByKernels().keySet().stream().anyMatch(k -> k.contains("banded_alpha_beta")), cuda.launchesByKernels().toString());
            device.makeCurrent();
            try (CudaAligner fresh = CudaAligner.open(0, 1L << 40);
                 DeviceBuffer hog = new DeviceBuffer(device.memoryInfo()[0] - (bytes(p) + (8 << 10)))) {
                AlignmentResult r = fresh.alignAll(List.of(p), LOG).get(0);
                assertTrue(r.isValid(), () -> String.valueOf(r.error()));
                assertEquals(z, r.logPartition(), 1e-6 * Math.abs(z));
            }
        }
    }

    /**
     * Found by a probe: after a burst of concurrent calls, each idle launch context kept its
     * device arena, so a later pair that a fresh aligner fits was reported too large for the
     * GPU; running out of memory now gives the idle contexts' arenas back and tries again.
     */
    @Test
    void alignAll_idleContextsHoldTheMemoryAPairNeeds_theyGiveItBack() throws Exception {
        Random rnd = new Random(10);
        List<Pair> small = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            small.add(randomPair(rnd, "s" + k, 60, 60));
        }
        Pair big = randomPair(rnd, "big", 85, 85);
        long unit = bytes(small.get(0)) + 4096;
        ExecutorService callers = Executors.newFixedThreadPool(3);
        try (CudaDevice device = CudaDevice.open(0)) {
            device.makeCurrent();
            try (DeviceBuffer hog = new DeviceBuffer(device.memoryInfo()[0] - (long) (3.6 * unit));
                 CudaAligner cuda = CudaAligner.open(0, 1L << 40)) {
                java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(3);
                List<Future<AlignmentResult>> burst = new ArrayList<>();
                for (Pair p : small) {
                    burst.add(callers.submit(() -> {
                        together.await();
                        return cuda.alignAll(List.of(p), LOG).get(0);
                    }));
                }
                for (Future<AlignmentResult> f : burst) {
                    f.get(120, java.util.concurrent.TimeUnit.SECONDS);   // (valid or not: the contexts now hold arenas)
                }
                for (int round = 0; round < 3; round++) {
                    AlignmentResult r = cuda.alignAll(List.of(big), LOG).get(0);
                    assertTrue(r.isValid(), () -> String.valueOf(r.error()));
                }
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void alignAll_kernelFaults_alignerSaysWhichKernelsAndRefusesLaterCalls() {
        Random rnd = new Random(9);
        List<Pair> pairs = List.of(randomPair(rnd, "a", 30, 40), randomPair(rnd, "b", 50, 20));
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            assertTrue(cuda.alignAll(pairs, LOG).stream().allMatch(AlignmentResult::isValid));
            FakeCudaDriver.failLaunch(1);
            RuntimeException first = assertThrows(RuntimeException.class, () -> cuda.alignAll(pairs, LOG));
            assertTrue(first.getMessage().contains("CUDA_ERROR_LAUNCH_FAILED")
                    && first.getMessage().contains("banded_"), first.getMessage());
            assertTrue(cuda.isBroken());
            IllegalStateException later = assertThrows(IllegalStateException.class, () -> cuda.alignAll(pairs, LOG));
            assertTrue(later.getMessage().contains("unusable after") && later.getMessage().contains("CUDA_ERROR_LAUNCH_FAILED"),
                    later.getMessage());
            // While the broken aligner holds the context, the device cannot be opened again: a
            // device unavailable (auto takes the CPU), saying why, not a bug's CudaException.
            CudaUnavailableException again = assertThrows(CudaUnavailableException.class, () -> Aligner.cuda(0));
            assertTrue(again.getMessage().contains("CUDA_ERROR_LAUNCH_FAILED")
                    && again.getMessage().contains("kernel fault earlier in this process"), again.getMessage());
            try (Aligner auto = Aligner.auto()) {
                assertEquals("cpu", auto.backend());
            }
        }
        // Every context released: the stand-in starts afresh (a real driver need not: NVIDIA says to restart the process).
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            assertTrue(cuda.alignAll(pairs, LOG).stream().allMatch(AlignmentResult::isValid));
        }
    }

    /**
     * Two devices shared by several threads, each thread calling both in turn: one pair a call
     * (the launch runs on the calling thread, which last used the other device) and the whole
     * list, whose small launches also run on the aligners' launcher threads. Every launch must
     * make its own device's context current, or the stand-in refuses the other device's streams
     * and functions. Then a fault on one device leaves the other working.
     */
    @Test
    void alignAll_twoDevicesFromManyThreads_eachOnItsOwnContextAndAFaultStaysOnItsDevice() throws Exception {
        Assumptions.assumeTrue(CudaAligner.deviceCount() >= 2, "needs BANDALIGN_FAKE_CUDA_DEVICES=2 (kernels/pom.xml)");
        List<Pair> pairs = growingPairs(11, "d", 12, 15, 20);
        List<AlignmentResult> expected;
        try (Aligner cpu = Aligner.cpu()) {
            expected = cpu.alignAll(pairs, LOG);
        }
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try (CudaAligner d0 = CudaAligner.open(0, 64 << 10); CudaAligner d1 = CudaAligner.open(1, 64 << 10)) {
            List<Future<?>> calls = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                List<CudaAligner> order = t % 2 == 0 ? List.of(d0, d1) : List.of(d1, d0);
                calls.add(threads.submit(() -> {
                    for (int round = 0; round < 2; round++) {
                        for (CudaAligner gpu : order) {
                            assertSameLogZ(expected.subList(0, 1), gpu.alignAll(pairs.subList(0, 1), LOG));
                        }
                    }
                    for (CudaAligner gpu : order) {
                        assertSameLogZ(expected, gpu.alignAll(pairs, LOG));
                    }
                }));
            }
            for (Future<?> f : calls) {
                f.get();
            }
            FakeCudaDriver.failLaunch(1);
            assertThrows(RuntimeException.class, () -> d1.alignAll(pairs, LOG));
            assertTrue(d1.isBroken());
            assertSameLogZ(expected, d0.alignAll(pairs, LOG));
            assertFalse(d0.isBroken(), "a fault on device 1 leaves device 0 alone");
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * An aligner and a {@link CudaBandedMatrix} never closed (SPEC section 6's own example never
     * closes its aligner; {@link Aligner#auto()} may hand out a CUDA one) give back their device
     * memory, pinned staging, launcher threads and reference to the primary context once they
     * are unreachable; they kept them for the JVM's life.
     */
    @Test
    void unclosedAlignerAndProducts_giveTheDeviceBackOnceUnreachable() throws InterruptedException {
        long freeBefore = freeDeviceMemory();
        boolean activeBefore = primaryContextActive();
        long launchersBefore = launcherThreads();
        useWithoutClosing();
        assertTrue(freeDeviceMemory() < freeBefore, "the unclosed aligner holds device memory");
        assertTrue(primaryContextActive(), "and the primary context");
        long deadline = System.nanoTime() + 30_000_000_000L;
        // (at least as much free as before: an unclosed aligner of an earlier test may go too)
        while ((freeDeviceMemory() < freeBefore || primaryContextActive() != activeBefore || launcherThreads() > launchersBefore)
                && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(freeDeviceMemory() >= freeBefore, "device memory given back");
        assertEquals(activeBefore, primaryContextActive(), "primary context released");
        assertTrue(launcherThreads() <= launchersBefore, "launcher threads stopped");
    }

    /** Aligns in several launches (the launcher threads run them) and multiplies, closing nothing. */
    private static void useWithoutClosing() {
        List<Pair> pairs = growingPairs(21, "u", 8, 40, 50);
        CudaAligner cuda = CudaAligner.open(0, 3 * bytes(pairs.get(pairs.size() - 1)));
        assertValid(cuda.alignAll(pairs, LOG));
        assertTrue(cuda.pinnedStagingBytes() > 0);
        CudaBandedMatrix products = CudaBandedMatrix.open(0);
        BandedMatrix x = BandedProducts.random(new Random(3), 4, 30, 2, 3, 0);
        products.multiplyLog(x, x);
        assertTrue(products.pinnedStagingBytes() > 0);
    }

    private static long launcherThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("bandalign-cuda-launcher")).count();
    }

    private static void assertSameLogZ(List<AlignmentResult> expected, List<AlignmentResult> got) {
        assertEquals(expected.size(), got.size());
        for (int k = 0; k < expected.size(); k++) {
            double z = expected.get(k).logPartition();
            assertEquals(z, got.get(k).logPartition(), 1e-6 * Math.max(1, Math.abs(z)), "pair " + k);
        }
    }

    private static long bytes(Pair p) {
        return new PreparedPair(0, p, BandGeometry.of(p, LOG)).deviceBytes(LOG);
    }

    /** {@code count} random pairs (seeded) named prefix0, prefix1, ..., of n0, n0 + 1, ... rows and m columns. */
    private static List<Pair> growingPairs(long seed, String prefix, int count, int n0, int m) {
        Random rnd = new Random(seed);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            pairs.add(randomPair(rnd, prefix + k, n0 + k, m));
        }
        return pairs;
    }

    /**
     * The launch planner's sizes cover what each launch then allocates: under small budgets (so
     * each call takes many launches), for dense and band-layout pairs, both modes and semirings,
     * job bands, and the rolling state in global memory too, no launch of several pairs needs
     * more device bytes than its budget.
     */
    @Test
    void alignAll_smallBudgets_noLaunchOfSeveralPairsPassesItsBudget() {
        Random rnd = new Random(31);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 36; k++) {
            int n = 1 + rnd.nextInt(40);
            int m = 1 + rnd.nextInt(40);
            if (k % 4 == 3) {   // band layout, as the job reads such rows
                int lo = Math.min(0, m - n) - rnd.nextInt(3);
                int hi = Math.max(0, m - n) + rnd.nextInt(3);
                float[] s = new float[n * (hi - lo + 1) * 3];
                for (int q = 0; q < s.length; q++) {
                    s[q] = (float) rnd.nextGaussian();
                }
                pairs.add(Pair.band("b" + k, n, m, lo, hi, s));
            } else {
                pairs.add(randomPair(rnd, "d" + k, n, m));
            }
        }
        long launches = 0;
        for (String sharedLimit : new String[] {null, Integer.toString(1 << 10)}) {
            if (sharedLimit != null) {
                System.setProperty(CudaDevice.SHARED_LIMIT_PROPERTY, sharedLimit);
            }
            try {
                for (long budget : new long[] {24 << 10, 96 << 10}) {
                    for (AlignOptions options : List.of(LOG, AlignOptions.builder().semiring(Semiring.BOTH).band(3).build(),
                            AlignOptions.builder().mode(org.bandalign.align.Mode.LOCAL).semiring(Semiring.MAX).build())) {
                        try (CudaAligner cuda = CudaAligner.open(0, budget)) {
                            List<AlignmentResult> got = cuda.alignAll(pairs, options);
                            got.forEach(r -> assertTrue(r.isValid(), () -> String.valueOf(r.error())));
                            assertEquals(0, cuda.launchesOverBudget(), () -> "budget " + budget + ", " + options
                                    + ", shared limit " + sharedLimit + ": " + cuda.launchesByKernels());
                            long n = cuda.launchesByKernels().values().stream().mapToLong(Long::longValue).sum();
                            assertTrue(n > 1, "several launches: " + cuda.launchesByKernels());
                            launches += n;
                        }
                    }
                }
            } finally {
                System.clearProperty(CudaDevice.SHARED_LIMIT_PROPERTY);
            }
        }
        assertTrue(launches >= 24, "launches checked: " + launches);
    }
}
