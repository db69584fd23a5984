package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.bandalign.banded.BandedMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Small pairs through every kernel variant the host can choose, and small BandedMatrix products,
 * against the CPU: every kernel and form (shared and global rolling state, plain, prefetch, split
 * and register-capped forward-backward, Viterbi with its traceback windows, bad-score detection,
 * the split kernel's hand-off of a pair of large scores; dense and band-layout scores)
 * in calls few and small enough to run under NVIDIA's compute-sanitizer in the GPU run's last
 * minutes ({@code .gpu/run-all.sh}, written by {@code bin/gpu-checks}: memcheck, racecheck,
 * synccheck). There a race between the threads of a block, an access out of bounds or a barrier
 * that not all threads reach is reported as such, where the other tests see only a wrong number,
 * or nothing when the race happened to go the right way. The CPU emulator cannot show those: it
 * runs a block's threads one after another between barriers. Skipped where no GPU is present.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaSanitizerCasesTest {
    private Aligner cpu;
    private final List<Pair> pairs = new ArrayList<>();

    @BeforeAll
    void open() {
        CudaTestSupport.assumeGpu();
        cpu = Aligner.cpu();
        Random rnd = new Random(41);
        int[][] shapes = {{1, 1}, {1, 7}, {9, 1}, {2, 2}, {5, 8}, {17, 12}, {33, 40}, {64, 64}, {70, 3}, {150, 2}, {2, 150},
            {48, 61}};
        for (int[] shape : shapes) {
            float[] s = new float[shape[0] * shape[1] * 3];
            for (int q = 0; q < s.length; q++) {
                boolean forbid = shape[0] > 4 && shape[1] > 4 && rnd.nextDouble() < 0.05;
                s[q] = forbid ? Float.NEGATIVE_INFINITY : (float) (rnd.nextGaussian() * 2);
            }
            pairs.add(Pair.dense(shape[0] + "x" + shape[1], shape[0], shape[1], s));
        }
        // Scores sent in band layout (rows of the band's width, slots outside the pair unused).
        float[] band = new float[40 * 11 * 3];
        for (int q = 0; q < band.length; q++) {
            band[q] = (float) (rnd.nextGaussian() * 2);
        }
        pairs.add(Pair.band("band", 40, 37, -6, 4, band));
        // Scores of 1e8 (ties broken): |alpha| passes the split kernel's bound, so banded_marginals
        // marks the pair IMPRECISE while its sibling blocks run, and the host aligns it again.
        float[] large = new float[24 * 31 * 3];
        for (int q = 0; q < large.length; q++) {
            large[q] = 1e8f + 64 * rnd.nextInt(1000);
        }
        pairs.add(Pair.dense("large", 24, 31, large));
        // A bad score: the kernels flag it (atomicMin over the block) and the pair is refused.
        float[] nan = new float[6 * 5 * 3];
        nan[3 * (2 * 5 + 3) + 1] = Float.NaN;
        pairs.add(Pair.dense("nan", 6, 5, nan));
    }

    @AfterAll
    void close() {
        if (cpu != null) {
            cpu.close();
        }
    }

    /** The host's own choices, then each forced setting. */
    Stream<Arguments> settings() {
        return Stream.concat(Stream.of(Arguments.of("(none)", "")),
                CudaTestSupport.KERNEL_SETTINGS.stream().map(s -> Arguments.of(s[0], s[1])));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("settings")
    void alignAll_smallPairs_eachKernelSetting_cudaEqualsCpu(String key, String value) {
        boolean forced = !value.isEmpty();
        if (forced) {
            System.setProperty(key, value);
        }
        int compared = 0;
        try (Aligner cuda = Aligner.cuda(0)) {
            Semiring[] semirings = forced ? CudaTestSupport.semiringsReached(new String[] {key, value})
                    : new Semiring[] {Semiring.BOTH, Semiring.MAX};
            for (Semiring semiring : semirings) {
                for (Mode mode : Mode.values()) {
                    for (int band : new int[] {-1, 4}) {
                        AlignOptions.Builder ob = AlignOptions.builder().mode(mode).semiring(semiring);
                        if (band >= 0) {
                            ob.band(band);
                        }
                        compared += CudaTestSupport.compareWithCpu(cpu, cuda, pairs, ob.build(), key + "=" + value, k -> 1e-5);
                    }
                }
            }
            assertEquals(semirings.length * 4 * (pairs.size() - 1), compared, "pairs compared (all but the bad one)");
            if (key.equals(BandedAlignKernels.SPLIT_PROPERTY) && value.equals("always")) {
                long handedOff = ((CudaAligner) cuda).launchesByKernels().entrySet().stream()
                        .filter(e -> e.getKey().startsWith("banded_forward_backward")).mapToLong(Map.Entry::getValue).sum();
                assertTrue(handedOff > 0, "the large pair aligned again in one block: " + ((CudaAligner) cuda).launchesByKernels());
            }
        } finally {
            if (forced) {
                System.clearProperty(key);
            }
        }
    }

    @Test
    void bandedProducts_small_equalTheCpuLibrary() {
        Random rnd = new Random(42);
        try (CudaBandedMatrix gpu = CudaBandedMatrix.open(0)) {
            for (int trial = 0; trial < 6; trial++) {
                int n = 1 + rnd.nextInt(40);
                BandedMatrix x = BandedProducts.random(rnd, 2, n, rnd.nextInt(4), rnd.nextInt(4), 0);
                BandedMatrix y = BandedProducts.random(rnd, 2, n, rnd.nextInt(4), rnd.nextInt(4), 0);
                BandedProducts.assertClose(x.multiply(y), gpu.multiply(x, y), "multiply " + trial);
                BandedProducts.assertClose(x.multiplyLog(y), gpu.multiplyLog(x, y), "multiplyLog " + trial);
                BandedProducts.assertClose(x.multiplyMax(y), gpu.multiplyMax(x, y), "multiplyMax " + trial);
            }
        }
    }
}
