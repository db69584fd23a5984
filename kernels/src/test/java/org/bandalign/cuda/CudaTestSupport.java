package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** Skips (not fails) GPU tests where no CUDA driver or device loads, so CI without a GPU stays green. */
final class CudaTestSupport {
    static final String REQUIRE_GPU_PROPERTY = "bandalign.test.requireGpu";
    private static String unavailable;
    private static boolean probed;

    /**
     * Every kernel variant and block-size policy the host can choose, as the system property that
     * forces it (read when an aligner opens) and its value.
     */
    static final List<String[]> KERNEL_SETTINGS = List.of(
            new String[] {BandedAlignKernels.PREFETCH_PROPERTY, "always"},
            new String[] {BandedAlignKernels.PREFETCH_PROPERTY, "never"},
            new String[] {BandedAlignKernels.SPLIT_PROPERTY, "always"},
            new String[] {BandedAlignKernels.SPLIT_PROPERTY, "never"},
            new String[] {BandedAlignKernels.REGCAP_PROPERTY, "true"},
            new String[] {LaunchLayout.MAX_THREADS_PROPERTY, "64"},
            new String[] {LaunchLayout.MAX_THREADS_PROPERTY, "512"},
            // Block sizes by occupancy: of forward-backward for BOTH, of Viterbi for MAX alone.
            new String[] {BandedAlignKernels.THREADS_PROPERTY, "fill"},
            // The rolling state in global memory: every kernel's global-memory form.
            new String[] {CudaDevice.SHARED_LIMIT_PROPERTY, "0"});

    private CudaTestSupport() {
    }

    /**
     * The semirings whose launches a {@link #KERNEL_SETTINGS} entry changes: both, and Viterbi
     * alone too where the setting reaches Viterbi's launch (forward-backward's variants do not).
     */
    static Semiring[] semiringsReached(String[] setting) {
        boolean viterbiToo = !List.of(BandedAlignKernels.PREFETCH_PROPERTY, BandedAlignKernels.SPLIT_PROPERTY,
                BandedAlignKernels.REGCAP_PROPERTY).contains(setting[0]);
        return viterbiToo ? new Semiring[] {Semiring.BOTH, Semiring.MAX} : new Semiring[] {Semiring.BOTH};
    }

    /**
     * Compares each pair of an alignAll call on {@code gpu} with {@code cpu} (log Z and the
     * Viterbi score to SPEC's 1e-6 relative, the path exactly, marginals to
     * {@code marginalTolerance} of the pair's index); returns how many valid pairs it compared.
     */
    static int compareWithCpu(Aligner cpu, Aligner gpu, List<Pair> pairs, AlignOptions opts, String label,
                              IntToDoubleFunction marginalTolerance) {
        List<AlignmentResult> a = cpu.alignAll(pairs, opts);
        List<AlignmentResult> b = gpu.alignAll(pairs, opts);
        int compared = 0;
        for (int k = 0; k < pairs.size(); k++) {
            String what = label + " " + opts + " " + pairs.get(k);
            assertEquals(a.get(k).isValid(), b.get(k).isValid(), what);
            if (!a.get(k).isValid()) {
                continue;
            }
            if (opts.semiring().computesLog()) {
                double z = a.get(k).logPartition();
                assertEquals(z, b.get(k).logPartition(), 1e-6 * Math.max(1, Math.abs(z)), what + " logZ");
            }
            if (opts.semiring().computesMax()) {
                double v = a.get(k).viterbiScore();
                assertEquals(v, b.get(k).viterbiScore(), 1e-6 * Math.max(1, Math.abs(v)), what + " viterbi");
                assertEquals(a.get(k).viterbiCigar(), b.get(k).viterbiCigar(), what + " cigar");
            }
            float[] ma = a.get(k).marginalsDense();
            float[] mb = b.get(k).marginalsDense();
            for (int q = 0; q < ma.length; q++) {
                assertEquals(ma[q], mb[q], marginalTolerance.applyAsDouble(k), what + " marginal " + q);
            }
            compared++;
        }
        return compared;
    }

    static synchronized String whyUnavailable() {
        if (!probed) {
            probed = true;
            if (FakeCudaDriver.requested() && !FakeCudaDriver.load()) {
                unavailable = "the stand-in driver (FakeCudaDriver) cannot be built here: no g++";
                return unavailable;
            }
            try {
                CudaDevice.deviceCount();
            } catch (CudaUnavailableException e) {
                unavailable = e.getMessage();
            }
        }
        return unavailable;
    }

    /** Whether the GPU tests run on the CPU stand-in driver in this JVM. */
    static boolean emulated() {
        return FakeCudaDriver.requested();
    }

    /**
     * Skips the test where no GPU loads, or, under {@value #REQUIRE_GPU_PROPERTY}=true (the GPU
     * machine's run, where a missing driver must not pass as a run of skipped tests), fails it.
     */
    static void assumeGpu() {
        String why = whyUnavailable();
        if (why != null && Boolean.getBoolean(REQUIRE_GPU_PROPERTY)) {
            Assertions.fail("a GPU is required here (" + REQUIRE_GPU_PROPERTY + "), but none loads: " + why);
        }
        Assumptions.assumeTrue(why == null, () -> "no GPU here, skipped: " + why);
    }

    /** Skips the test outside the emulated-gpu run (on a real GPU too), and where the stand-in loads no device. */
    static void assumeEmulatedGpu() {
        Assumptions.assumeTrue(emulated(), "runs in the emulated-gpu test run only");
        assumeGpu();
    }

    /** A pair of standard normal scores (seeded by {@code rnd}), {@code n} x {@code m}. */
    static Pair randomPair(java.util.Random rnd, String id, int n, int m) {
        float[] s = new float[n * m * 3];
        for (int q = 0; q < s.length; q++) {
            s[q] = (float) rnd.nextGaussian();
        }
        return Pair.dense(id, n, m, s);
    }

    /** Device 0's free memory, as the driver reports it. */
    static long freeDeviceMemory() {
        try (CudaDevice device = CudaDevice.open(0)) {
            return device.memoryInfo()[0];
        }
    }

    /** Whether anything in this process holds device 0's primary context. */
    static boolean primaryContextActive() {
        jcuda.driver.CUdevice device = new jcuda.driver.CUdevice();
        CudaException.check(jcuda.driver.JCudaDriver.cuDeviceGet(device, 0), "cuDeviceGet");
        int[] flags = new int[1];
        int[] active = new int[1];
        CudaException.check(jcuda.driver.JCudaDriver.cuDevicePrimaryCtxGetState(device, flags, active), "cuDevicePrimaryCtxGetState");
        return active[0] != 0;
    }
}
