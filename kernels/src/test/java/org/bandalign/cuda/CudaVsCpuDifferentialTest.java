package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * CUDA against the CPU engine on random pairs: sizes 1 to 700, n != m, bands, both modes,
 * -inf steps, magnitudes up to 1e6, in one alignAll batch per configuration (so the packing of
 * unlike pairs into launches is exercised too). Skipped where no GPU is present.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaVsCpuDifferentialTest {
    private Aligner cuda;
    private Aligner cpu;

    @BeforeAll
    void open() {
        CudaTestSupport.assumeGpu();
        cuda = Aligner.cuda(0);
        cpu = Aligner.cpu();
    }

    @AfterAll
    void close() {
        if (cuda != null) {
            cuda.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }

    /**
     * Far beyond SPEC's accuracy range (magnitudes to 1e6) log Z no longer resolves local mode's
     * end terms exp(alpha - log Z), as the GPU kernels take them, but a marginal is still a
     * probability (the CPU engine once gave 4 there, found by an adversarial run).
     */
    @Test
    void align_localModeAtHugeMagnitudes_marginalsStayProbabilities() {
        Random rnd = new Random(5);
        for (float huge : new float[] {1e13f, 1e16f, 1e17f, 1e30f}) {
            float[] s = new float[4 * 4 * 3];
            for (int k = 0; k < s.length; k++) {
                s[k] = (float) rnd.nextGaussian();
            }
            s[(2 * 4 + 2) * 3 + 1] = huge;
            float[] mu = cuda.align(Pair.dense("x", 4, 4, s), AlignOptions.builder().mode(Mode.LOCAL).build()).marginalsDense();
            for (int k = 0; k < mu.length; k++) {
                assertTrue(mu[k] >= 0 && mu[k] <= 1, "score " + huge + ": marginal " + k + " = " + mu[k]);
            }
        }
    }

    /**
     * Constant scores tie the terms of every cell on the main diagonal exactly. Found by a
     * library user's review: the one-block kernel took the weights exp(x - alpha) from the rounded
     * alpha, which at a tie summed to 1 plus alpha's rounding, compounding along the diagonal (a
     * start-cell marginal of 1 + 4.6e-5 at 600 x 600 and 1e8, sum 1199.036 for 1199 steps; 2 at
     * 3 x 3 and 1e20, sum 13 for 5), and the split variant, which adds alpha and beta, lost
     * 1.5e-5. Now the weights are normalised cell by cell, as the CPU engine's, and a pair whose
     * alpha or beta the split cannot keep exact is aligned again without it.
     */
    @Test
    void align_constantLargeScores_eachVariant_equalsCpuAndSumsToThePathLength() {
        record Case(int n, float score, boolean beyondSplit) {
        }
        // (600 x 600 at 2e6, log Z 2.4e9: under the split's first bound, 2^36, its marginals drifted; a review of it)
        List<Case> cases = List.of(new Case(600, 1e8f, true), new Case(600, 2e6f, true), new Case(3, 1e20f, true),
                new Case(300, 1e3f, false), new Case(200, 1e6f, false));
        for (String split : new String[] {"never", "always"}) {
            System.setProperty(BandedAlignKernels.SPLIT_PROPERTY, split);
            try (Aligner forced = Aligner.cuda(0)) {
                for (Case c : cases) {
                    for (Mode mode : Mode.values()) {
                        float[] s = new float[c.n() * c.n() * 3];
                        java.util.Arrays.fill(s, c.score());
                        Pair pair = Pair.dense("const", c.n(), c.n(), s);
                        AlignOptions opts = AlignOptions.builder().mode(mode).build();
                        String what = "split " + split + ", " + c + ", " + mode;
                        Map<String, Long> before = ((CudaAligner) forced).launchesByKernels();
                        float[] g = forced.align(pair, opts).marginalsDense();
                        float[] r = cpu.align(pair, opts).marginalsDense();
                        double sum = 0;
                        for (int q = 0; q < g.length; q++) {
                            assertEquals(r[q], g[q], 1e-6, what + ": marginal " + q);
                            sum += g[q];
                        }
                        assertEquals(2 * c.n() - 1, sum, 1e-3, what + ": every path takes the most steps");
                        Map<String, Long> after = ((CudaAligner) forced).launchesByKernels();
                        long oneBlock = after.entrySet().stream().filter(e -> e.getKey().startsWith("banded_forward_backward"))
                                .mapToLong(e -> e.getValue() - before.getOrDefault(e.getKey(), 0L)).sum();
                        assertEquals(split.equals("never") || c.beyondSplit() ? 1 : 0, oneBlock, what + ": " + after);
                    }
                }
            } finally {
                System.clearProperty(BandedAlignKernels.SPLIT_PROPERTY);
            }
        }
    }

    @Test
    void alignAll_randomPairs_cudaEqualsCpu() {
        Random rnd = new Random(2718);
        int compared = 0;
        for (Mode mode : Mode.values()) {
            for (int band : new int[] {-1, 0, 5, 40}) {
                List<Pair> pairs = new ArrayList<>();
                List<Float> magnitudes = new ArrayList<>();
                for (int k = 0; k < 40; k++) {
                    int n = 1 + (k % 5 == 0 ? rnd.nextInt(700) : rnd.nextInt(120));
                    int m = 1 + (k % 7 == 0 ? rnd.nextInt(700) : rnd.nextInt(120));
                    float magnitude = k % 6 == 5 ? 1e6f : k % 3 == 1 ? 30f : 3f;
                    float[] s = new float[n * m * 3];
                    for (int q = 0; q < s.length; q++) {
                        s[q] = rnd.nextDouble() < 0.03 ? Float.NEGATIVE_INFINITY : (float) ((rnd.nextDouble() * 2 - 1) * magnitude);
                    }
                    pairs.add(Pair.dense("p" + k, n, m, s));
                    magnitudes.add(magnitude);
                }
                AlignOptions.Builder ob = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH);
                if (band >= 0) {
                    ob.band(band);
                }
                compared += compare(pairs, ob.build(), cuda, "band " + band, k -> magnitudes.get(k) <= 10 ? 1e-5 : 1e-4);
            }
        }
        assertTrue(compared > 250, "pairs compared: " + compared);
    }

    /**
     * Every kernel variant and block-size policy the host can choose, forced one at a time (a
     * fresh aligner each, since the settings are read when it opens), in launches of both
     * semirings and of Viterbi alone (which picks its own block size and kernels).
     */
    @Test
    void alignAll_eachKernelVariantAndBlockLimit_cudaEqualsCpu() {
        Random rnd = new Random(31);
        List<Pair> pairs = new ArrayList<>();
        int large = 600;
        for (int k = 0; k < 30; k++) {
            int n = 1 + (k % 4 == 0 ? rnd.nextInt(large) : rnd.nextInt(90));
            int m = 1 + (k % 3 == 0 ? rnd.nextInt(large) : rnd.nextInt(90));
            float[] s = new float[n * m * 3];
            for (int q = 0; q < s.length; q++) {
                s[q] = rnd.nextDouble() < 0.03 ? Float.NEGATIVE_INFINITY : (float) ((rnd.nextDouble() * 2 - 1) * 3);
            }
            pairs.add(Pair.dense("v" + k, n, m, s));
        }
        int compared = 0;
        for (String[] setting : CudaTestSupport.KERNEL_SETTINGS) {
            System.setProperty(setting[0], setting[1]);
            try (Aligner forced = Aligner.cuda(0)) {
                for (Semiring semiring : CudaTestSupport.semiringsReached(setting)) {
                    for (Mode mode : Mode.values()) {
                        for (int band : new int[] {-1, 7}) {
                            AlignOptions.Builder ob = AlignOptions.builder().mode(mode).semiring(semiring);
                            if (band >= 0) {
                                ob.band(band);
                            }
                            compared += compare(pairs, ob.build(), forced, setting[0] + "=" + setting[1] + ", " + semiring,
                                    k -> 1e-5);
                        }
                    }
                }
            } finally {
                System.clearProperty(setting[0]);
            }
        }
        assertTrue(compared > 650, "pairs compared: " + compared);
    }

    /**
     * One call of 1,200 pairs of 200 x 200 (576 MB of scores): two launches (the pinned staging
     * cap), in flight together, each in 16 MB transfer chunks. On the CPU emulation of a device
     * (512 MiB, so a 205 MB launch budget), 150 pairs: two launches by the budget, 4-5 chunks each.
     */
    @Test
    void alignAll_callSpanningLaunchesAndChunks_cudaEqualsCpu() {
        Random rnd = new Random(77);
        List<Pair> pairs = new ArrayList<>();
        int count = CudaTestSupport.emulated() ? 150 : 1200;
        for (int k = 0; k < count; k++) {
            float[] s = new float[200 * 200 * 3];
            for (int q = 0; q < s.length; q++) {
                s[q] = (float) (rnd.nextDouble() * 2 - 1);
            }
            pairs.add(Pair.dense("big" + k, 200, 200, s));
        }
        assertEquals(count, compare(pairs, AlignOptions.builder().semiring(Semiring.LOG).build(), cuda, "large call", k -> 1e-5));
    }

    /**
     * Long paths: thousands of traceback steps through many of banded_viterbi's shared-memory
     * windows (long runs of 'I' and 'D' in the thin pairs), and few blocks, so that the split
     * forward-backward is what the host picks.
     */
    @Test
    void alignAll_longPathsAndFewBlocks_cudaEqualsCpu() {
        Random rnd = new Random(123);
        List<Pair> pairs = new ArrayList<>();
        int[][] shapes = {{3000, 4}, {4, 3000}, {2500, 2400}, {1, 2000}, {2000, 1}};
        for (int[] shape : shapes) {
            float[] s = new float[shape[0] * shape[1] * 3];
            for (int q = 0; q < s.length; q++) {
                // -inf steps only in the wide pair: a thin one could lose every path
                boolean forbid = shape[0] > 100 && shape[1] > 100 && rnd.nextDouble() < 0.02;
                s[q] = forbid ? Float.NEGATIVE_INFINITY : (float) (rnd.nextGaussian() * 2);
            }
            pairs.add(Pair.dense("long" + shape[0] + "x" + shape[1], shape[0], shape[1], s));
        }
        int compared = 0;
        for (Mode mode : Mode.values()) {
            AlignOptions both = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH).build();
            compared += compare(pairs.subList(0, 2), both, cuda, "long dense", k -> 1e-5);
            compared += compare(pairs.subList(3, 5), both, cuda, "long line", k -> 1e-5);
            AlignOptions banded = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH).band(25).build();
            compared += compare(pairs.subList(2, 3), banded, cuda, "long band", k -> 1e-5);
        }
        assertEquals(10, compared, "pairs compared");
    }

    private int compare(List<Pair> pairs, AlignOptions opts, Aligner gpu, String label, IntToDoubleFunction marginalTolerance) {
        return CudaTestSupport.compareWithCpu(cpu, gpu, pairs, opts, label, marginalTolerance);
    }
}
