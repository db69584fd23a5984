package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.bandalign.align.ViterbiPath;
import org.bandalign.align.testing.ReferenceCase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA kernels of {@code banded_align.cu}, compiled with g++ against a CPU emulator of thread
 * blocks ({@code src/test/cuda-emulator}), driven by the same {@link LaunchLayout} as the GPU
 * path, against the CPU engine: reference cases, random pairs with bands, -inf steps and large
 * scores, both modes and every semiring, with several block sizes. This checks the kernels'
 * indexing and numerics on machines without a GPU; the GPU run ({@code CudaAlignerContractTest})
 * checks the rest. Skipped where g++ is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaKernelEmulationTest {
    /** Three copy threads with tiny ranges, so copies split across threads even for small pairs. */
    private static final HostCopy COPY = new HostCopy(3, 256);

    @TempDir
    Path tmp;
    private Path emulator;
    private Aligner cpu;

    @BeforeAll
    void compile() throws Exception {
        emulator = KernelEmulator.build("banded_align_emulator");
        cpu = Aligner.cpu(1);
    }

    @AfterAll
    void close() {
        if (cpu != null) {
            cpu.close();
        }
    }

    @Test
    void kernels_referenceCases_matchTheCpuEngine() throws Exception {
        int covered = 0;
        for (Mode mode : Mode.values()) {
            List<Pair> pairs = new ArrayList<>();
            for (ReferenceCase rc : ReferenceCase.all()) {
                if (rc.mode == mode && rc.band == null) {
                    pairs.add(rc.densePair());
                } else if (rc.mode == mode) {
                    pairs.add(rc.bandPair());   // its own band, in band layout
                }
            }
            AlignOptions both = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH).build();
            for (int threads : new int[] {1, 4, 32}) {
                covered += compare(pairs, both, threads);
            }
            covered += compare(pairs, both, 0);   // 0: the block size the GPU path would launch
        }
        assertEquals(4 * 14, covered, "reference cases x block sizes");
    }

    /** The block size to emulate: {@code threads}, or 0 for the one the GPU path launches. */
    private static int blockSize(LaunchLayout launch, int threads) {
        return threads > 0 ? threads : launch.threads;
    }

    @Test
    void kernels_randomPairs_matchTheCpuEngine() throws Exception {
        Random rnd = new Random(99);
        int covered = 0;
        for (Mode mode : Mode.values()) {
            for (Semiring semiring : Semiring.values()) {
                for (int band : new int[] {-1, 0, 3}) {
                    List<Pair> pairs = new ArrayList<>();
                    for (int k = 0; k < 6; k++) {
                        int n = 1 + rnd.nextInt(k == 0 ? 3 : 45);
                        int m = 1 + rnd.nextInt(k == 1 ? 3 : 45);
                        float magnitude = k == 5 ? 1e6f : 4f;
                        float[] s = new float[n * m * 3];
                        for (int q = 0; q < s.length; q++) {
                            s[q] = rnd.nextDouble() < 0.05 ? Float.NEGATIVE_INFINITY : (float) ((rnd.nextDouble() * 2 - 1) * magnitude);
                        }
                        pairs.add(Pair.dense("r" + k, n, m, s));
                    }
                    AlignOptions.Builder b = AlignOptions.builder().mode(mode).semiring(semiring);
                    if (band >= 0) {
                        b.band(band);
                    }
                    covered += compare(pairs, b.build(), 1 + rnd.nextInt(8));
                }
            }
        }
        assertTrue(covered > 90, "random pairs compared: " + covered);
    }

    /**
     * NaN and +inf inside the band, found by the kernels while they read the scores: the same
     * pair and score reported as the CPU engine's row-major scan reports; other pairs unharmed;
     * a bad score outside the band ignored.
     */
    @Test
    void kernels_badScores_reportedAsTheCpuEngineReportsThem() throws Exception {
        Random rnd = new Random(23);
        int invalid = 0;
        for (Mode mode : Mode.values()) {
            for (Semiring semiring : Semiring.values()) {
                List<Pair> pairs = new ArrayList<>();
                for (int k = 0; k < 8; k++) {
                    Pair p = densePair("b" + k, 1 + rnd.nextInt(25), 1 + rnd.nextInt(25), q -> rnd.nextGaussian());
                    float[] s = p.scores();
                    if (k % 2 == 1) {   // two bad scores; the first in row-major order is the one reported
                        s[rnd.nextInt(s.length)] = k % 4 == 1 ? Float.NaN : Float.POSITIVE_INFINITY;
                        s[rnd.nextInt(s.length)] = Float.NaN;
                    }
                    pairs.add(p);
                }
                float[] outside = new float[10 * 10 * 3];   // band 1: cell (0, 9) is outside it
                outside[(0 * 10 + 9) * 3 + 1] = Float.NaN;
                pairs.add(Pair.dense("outside", 10, 10, outside));
                AlignOptions options = AlignOptions.builder().mode(mode).semiring(semiring).band(1).build();
                AlignOptions dense = AlignOptions.builder().mode(mode).semiring(semiring).build();
                compare(pairs, options, 0);
                compare(pairs.subList(0, 8), dense, 0);
                for (AlignmentResult r : cpu.alignAll(pairs.subList(0, 8), dense)) {
                    invalid += r.isValid() ? 0 : 1;
                }
            }
        }
        assertTrue(invalid >= 4 * 6, "pairs reported for a bad score: " + invalid);
    }

    /**
     * The same for pairs in band layout, with option bands narrower than the layout's, one to
     * three bad scores among -inf ones, tiny block sizes and the launch's own.
     */
    @Test
    void kernels_badScoresInBandLayout_reportedAsTheCpuEngineReportsThem() throws Exception {
        Random rnd = new Random(7);
        int invalid = 0;
        int compared = 0;
        for (Mode mode : Mode.values()) {
            for (Semiring semiring : Semiring.values()) {
                List<Pair> pairs = new ArrayList<>();
                for (int k = 0; k < 8; k++) {
                    int n = 1 + rnd.nextInt(20);
                    int m = Math.max(1, n + rnd.nextInt(7) - 3);
                    int lo = Math.min(0, m - n) - rnd.nextInt(4);
                    int hi = Math.max(0, m - n) + rnd.nextInt(4);
                    float[] s = new float[n * (hi - lo + 1) * 3];
                    for (int q = 0; q < s.length; q++) {
                        s[q] = rnd.nextDouble() < 0.05 ? Float.NEGATIVE_INFINITY : (float) rnd.nextGaussian();
                    }
                    if (k % 2 == 1) {
                        for (int b = 1 + rnd.nextInt(3); b > 0; b--) {
                            s[rnd.nextInt(s.length)] = rnd.nextBoolean() ? Float.NaN : Float.POSITIVE_INFINITY;
                        }
                    }
                    pairs.add(Pair.band("bl" + k, n, m, lo, hi, s));
                }
                AlignOptions wide = AlignOptions.builder().mode(mode).semiring(semiring).build();
                for (int threads : new int[] {1, 2, 3, 0}) {
                    compared += compare(pairs, AlignOptions.builder().mode(mode).semiring(semiring).band(rnd.nextInt(3)).build(),
                            threads);
                    compared += compare(pairs, wide, threads);
                }
                for (AlignmentResult r : cpu.alignAll(pairs, wide)) {
                    invalid += r.isValid() ? 0 : 1;
                }
            }
        }
        assertTrue(invalid >= 15, "pairs reported invalid (bad score, or padding and -inf leave no path): " + invalid);
        assertTrue(compared > 100, "valid pairs compared: " + compared);
    }

    /**
     * Random launches: shapes, layouts (dense, band layout), option bands, modes, semirings,
     * -inf densities, magnitudes, block sizes, shared or global rolling state, all at once and
     * each launch through every variant. {@value #FUZZ_PROPERTY} rounds (2 by default, so CI stays
     * quick; e.g. {@code mvn -pl kernels test -Dtest='CudaKernelEmulationTest#kernels_fuzz*'
     * -Demulator.fuzzRounds=300} for a long search), seeds 1000 + round, named in any failure.
     */
    @Test
    void kernels_fuzz_matchTheCpuEngine() throws Exception {
        int rounds = Integer.getInteger(FUZZ_PROPERTY, 2);
        int compared = 0;
        for (int round = 0; round < rounds; round++) {
            long seed = 1000 + round;
            Random rnd = new Random(seed);
            List<Pair> pairs = new ArrayList<>();
            int count = 1 + rnd.nextInt(6);
            double forbid = new double[] {0, 0.02, 0.2}[rnd.nextInt(3)];
            double magnitude = new double[] {1, 20, 1e5}[rnd.nextInt(3)];
            for (int k = 0; k < count; k++) {
                int n = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 150);
                int m = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 150);
                boolean bandLayout = rnd.nextInt(3) == 0;
                int lo = Math.min(0, m - n) - rnd.nextInt(6);
                int hi = Math.max(0, m - n) + rnd.nextInt(6);
                float[] sc = new float[n * (bandLayout ? hi - lo + 1 : m) * 3];
                for (int q = 0; q < sc.length; q++) {
                    sc[q] = rnd.nextDouble() < forbid ? Float.NEGATIVE_INFINITY : (float) (rnd.nextGaussian() * magnitude);
                }
                pairs.add(bandLayout ? Pair.band("f" + seed + "-" + k, n, m, lo, hi, sc) : Pair.dense("f" + seed + "-" + k, n, m, sc));
            }
            AlignOptions.Builder b = AlignOptions.builder().mode(Mode.values()[rnd.nextInt(2)])
                    .semiring(Semiring.values()[rnd.nextInt(Semiring.values().length)]);
            if (rnd.nextBoolean()) {
                b.band(rnd.nextInt(40));
            }
            int threads = new int[] {0, 1, 2, 3, 5, 32, 64}[rnd.nextInt(7)];
            compared += compare(pairs, b.build(), threads, rnd.nextInt(4) == 0);
        }
        assertTrue(rounds == 0 || compared > 0, "valid pairs compared: " + compared);
    }

    /** System property: rounds of {@link #kernels_fuzz_matchTheCpuEngine}. */
    static final String FUZZ_PROPERTY = "emulator.fuzzRounds";

    /**
     * The kernels' own exp (EXP in banded_align.cu) against the C library: within 4 ulps over
     * [-708, 0] (3 million samples), 0 below the cutoff, for -inf and for NaN.
     */
    @Test
    void expNonPositive_withinFourUlpsOfTheCLibrary() throws Exception {
        KernelEmulator.run(KernelEmulator.build("math_accuracy"), "exp", "1000000", "4");
    }

    /**
     * The kernels' log(1 + s) (LOG in banded_align.cu) against the C library's log1p: within 2
     * ulps of 1 (an absolute error of 4.4e-16) over [0, 3] (3 million samples and the edges of
     * its range reduction), with a reciprocal approximation coarser than the GPU's.
     */
    @Test
    void log1pBounded_withinTwoUlpsOfOneOfTheCLibrary() throws Exception {
        KernelEmulator.run(KernelEmulator.build("math_accuracy"), "log1p", "1000000", "2");
    }

    /** Scores from {-1, 0, 1, -inf}: step terms tie everywhere (the kernels' max/rest networks). */
    @Test
    void kernels_tiedSteps_matchTheCpuEngine() throws Exception {
        Random rnd = new Random(17);
        float[] values = {-1f, 0f, 1f, Float.NEGATIVE_INFINITY};
        int covered = 0;
        for (Mode mode : Mode.values()) {
            List<Pair> pairs = new ArrayList<>();
            for (int k = 0; k < 8; k++) {
                boolean zeros = k == 0;
                int choices = k == 1 ? 3 : 4;   // pair 0: all zero; pair 1: no -inf
                pairs.add(densePair("tie" + k, 1 + rnd.nextInt(30), 1 + rnd.nextInt(30),
                        q -> zeros ? 0f : values[rnd.nextInt(choices)]));
            }
            covered += compare(pairs, AlignOptions.builder().mode(mode).semiring(Semiring.BOTH).build(), 0);
        }
        assertTrue(covered >= 8, "tied pairs compared: " + covered);
    }

    /**
     * Cases a mutation sweep of the kernels found untested (each makes a one-character change
     * to the kernels fail): in local mode a start that ties with a diagonal extension (the start
     * wins), and two best cells in one row held by different threads (the first column wins);
     * and pairs whose log Z is about 3e9, where an unclamped marginal of a forced step rounds to
     * just over 1 in the split variant's exponent.
     */
    @Test
    void kernels_tiesAndRoundingEdges_matchTheCpuEngine() throws Exception {
        AlignOptions localBoth = AlignOptions.builder().mode(Mode.LOCAL).semiring(Semiring.BOTH).build();
        // 2 x 2, s1(0,0) = 0, s1(1,1) = 5: the path 1M from (1,1) ties with 2M from (0,0)
        Pair startTie = densePair("start-tie", 2, 2, q -> q == 1 ? 0 : q == 3 * 3 + 1 ? 5 : -10);
        // 3 x 3, s1(2,1) = s1(2,2) = 5: two best cells in row 2, on one anti-diagonal apart
        Pair rowTie = densePair("row-tie", 3, 3, q -> q == 3 * 7 + 1 || q == 3 * 8 + 1 ? 5 : -10);
        int covered = 0;
        for (int threads : new int[] {1, 2, 0}) {
            covered += compare(List.of(startTie, rowTie), localBoth, threads);
        }
        assertEquals(6, covered);
        assertEquals("1M", cpu.align(startTie, localBoth).viterbiCigar(), "the start wins the tie");
        assertEquals("[2, 1]", java.util.Arrays.toString(cpu.align(rowTie, localBoth).viterbiStart()));

        Random rnd = new Random(31);
        List<Pair> forced = new ArrayList<>();
        List<Pair> forcedLocal = new ArrayList<>();
        for (int k = 0; k < 600; k++) {
            // global 2 x 3: (1, 0) and the diagonal into (1, 1) forbidden, so the step left
            // into (0, 1) is taken by every path, with s1(0,0) ~ 3e9
            float[] g = new float[2 * 3 * 3];
            for (int q = 0; q < g.length; q++) {
                g[q] = (float) rnd.nextGaussian();
            }
            g[1] = (float) (2.5e9 + rnd.nextDouble() * 1e9);
            g[9] = g[10] = g[11] = Float.NEGATIVE_INFINITY;   // cell (1, 0)
            g[3 * 4 + 1] = Float.NEGATIVE_INFINITY;            // diagonal into (1, 1)
            forced.add(Pair.dense("forced" + k, 2, 3, g));
            // local 2 x 2: only s1(0,0) in (-2, 2) and s1(1,1) ~ 3e9 are finite
            float[] l = new float[2 * 2 * 3];
            java.util.Arrays.fill(l, Float.NEGATIVE_INFINITY);
            l[1] = (float) (rnd.nextDouble() * 4 - 2);
            l[3 * 3 + 1] = (float) (3e9 + rnd.nextDouble() * 1e8);
            forcedLocal.add(Pair.dense("forced-local" + k, 2, 2, l));
        }
        assertEquals(600, compare(forced, AlignOptions.builder().semiring(Semiring.LOG).build(), 0));
        assertEquals(600, compare(forcedLocal, AlignOptions.builder().mode(Mode.LOCAL).semiring(Semiring.LOG).build(), 0));
    }

    @Test
    void kernels_largePairsWithGlobalRollingStorage_matchTheCpuEngine() throws Exception {
        Random rnd = new Random(5);
        List<Pair> pairs = new ArrayList<>();
        // {500, 2}: a path of long runs of 'I' steps, down the rows (the traceback's windows)
        int[][] shapes = {{300, 350}, {700, 650}, {2, 500}, {500, 2}};
        for (int[] shape : shapes) {
            float[] s = new float[shape[0] * shape[1] * 3];
            for (int q = 0; q < s.length; q++) {
                s[q] = (float) (rnd.nextGaussian() * 2);
            }
            pairs.add(Pair.dense("big" + shape[0] + "x" + shape[1], shape[0], shape[1], s));
        }
        for (Mode mode : Mode.values()) {
            AlignOptions banded = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH).band(20).build();
            assertEquals(4, compare(pairs, banded, 8, true));
        }
        assertEquals(4, compare(pairs, AlignOptions.builder().semiring(Semiring.BOTH).build(), 16, false));
    }

    /**
     * Races: one launch run under several orders of its blocks and, between barriers, of its
     * threads (EMU_SCHEDULE in cuda_emulator.h) must write the same bytes, since on a GPU any
     * order can happen. A thread reading in one phase what another writes in the same phase
     * (a missing {@code __syncthreads}), or a block reading what another writes, changes the
     * output with the order, even where the value it read happens to pass the comparisons with
     * the CPU engine. Every variant (plain, prefetching, split; shared and global rolling
     * state; Viterbi), dense and band-layout pairs, both modes, several block sizes.
     */
    @Test
    void kernels_anyOrderOfBlocksAndThreads_writesTheSameBytes() throws Exception {
        Random rnd = new Random(2026);
        List<String> schedules = List.of("reverse", "shuffle=1", "shuffle=2");
        int launches = 0;
        for (Mode mode : Mode.values()) {
            for (int threads : new int[] {3, 32, 0}) {
                AlignOptions options = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH).band(threads == 3 ? 5 : 40).build();
                LaunchLayout launch = mixedLaunch(rnd, options);
                int block = blockSize(launch, threads);
                Path inFile = tmp.resolve("race.in");
                writeLaunch(launch, options, inFile);
                launches += eachVariant((variant, globalRoll) -> {
                    Path first = tmp.resolve("race-alternate.out");
                    KernelEmulator.run(emulator, Map.of(), emulatorArgs(inFile, first, block, globalRoll, variant));
                    byte[] expected = Files.readAllBytes(first);
                    for (String schedule : schedules) {
                        Path other = tmp.resolve("race-other.out");
                        KernelEmulator.run(emulator, Map.of("EMU_SCHEDULE", schedule),
                                emulatorArgs(inFile, other, block, globalRoll, variant));
                        assertArrayEquals(expected, Files.readAllBytes(other), "EMU_SCHEDULE=" + schedule + " changed the output of "
                                + mode + " threads " + block + " variant '" + variant + "'" + (globalRoll ? " global roll" : ""));
                    }
                });
            }
        }
        assertEquals(2 * 3 * 3 * 2, launches, "launches compared under " + schedules.size() + " other schedules");
    }

    /**
     * On x86-64 the emulator switches between its fibers with code of its own (cuda_emulator.h),
     * not glibc's swapcontext, which it still uses elsewhere: both builds must write the same
     * bytes for every kernel variant, or a register or floating-point control state the switch
     * loses would go unseen wherever the CPU engine's tolerance hides it.
     */
    @Test
    void kernels_ownFiberSwitch_writesWhatUcontextFibersWrite() throws Exception {
        Path ucontext = KernelEmulator.build("banded_align_emulator", "banded_align_emulator_ucontext", "-DEMU_UCONTEXT");
        Random rnd = new Random(77);
        int launches = 0;
        for (Mode mode : Mode.values()) {
            AlignOptions options = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH).band(40).build();
            LaunchLayout launch = mixedLaunch(rnd, options);
            Path inFile = tmp.resolve("switch.in");
            writeLaunch(launch, options, inFile);
            int block = blockSize(launch, 32);
            launches += eachVariant((variant, globalRoll) -> {
                Path own = tmp.resolve("switch-own.out");
                Path glibc = tmp.resolve("switch-ucontext.out");
                KernelEmulator.run(emulator, emulatorArgs(inFile, own, block, globalRoll, variant));
                KernelEmulator.run(ucontext, emulatorArgs(inFile, glibc, block, globalRoll, variant));
                assertArrayEquals(Files.readAllBytes(glibc), Files.readAllBytes(own),
                        mode + " variant '" + variant + "'" + (globalRoll ? " global roll" : ""));
            });
        }
        assertEquals(2 * 3 * 2, launches);
    }

    /**
     * The fibers above run a block's threads one after another between barriers, so two threads
     * that touch one address within a barrier interval (one writing) give one answer or another
     * by the order, and only an order that changes the answer shows them. On a GPU such threads
     * run at once. Built with ThreadSanitizer, the emulator runs them as OS threads that meet
     * only at barriers, and ThreadSanitizer reports any such pair as a race (in shared memory, the
     * global rolling state or the outputs) whether or not the answer changed, as NVIDIA's
     * racecheck would on a GPU.
     */
    @Test
    void kernels_underThreadSanitizer_noRaceBetweenABlocksThreads() throws Exception {
        assertEquals(2 * 2 * 3 * 2, sameBytesUnder(KernelEmulator.Sanitizer.THREAD, 4242));
    }

    /**
     * A GPU faults on a misaligned access (a double read at an address not a multiple of 8, as
     * from shared memory carved for ints before doubles) and on reads past an allocation; x86
     * forgives the first and the second may read a neighbour's bytes. Built with
     * AddressSanitizer and UBSan, the emulator stops on either, and on signed overflow in the
     * index arithmetic.
     */
    @Test
    void kernels_underAddressSanitizerAndUBSan_noBadAccess() throws Exception {
        assertEquals(2 * 2 * 3 * 2, sameBytesUnder(KernelEmulator.Sanitizer.ADDRESS, 4343));
    }

    /**
     * Runs mixed launches through the emulator built with {@code sanitizer} and requires a clean
     * exit and the bytes the fibers write: every variant, both homes of the rolling state, both
     * modes, small and default blocks. Returns how many launches.
     */
    private int sameBytesUnder(KernelEmulator.Sanitizer sanitizer, long seed) throws Exception {
        Path sanitized = KernelEmulator.buildSanitized("banded_align_emulator",
                "banded_align_emulator_" + sanitizer.name().toLowerCase(java.util.Locale.ROOT), sanitizer);
        Random rnd = new Random(seed);
        int launches = 0;
        for (Mode mode : Mode.values()) {
            for (int threads : new int[] {32, 0}) {
                AlignOptions options = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH).band(threads == 32 ? 6 : 40).build();
                LaunchLayout launch = mixedLaunch(rnd, options);
                Path inFile = tmp.resolve("sanitized.in");
                writeLaunch(launch, options, inFile);
                int block = blockSize(launch, threads);
                launches += eachVariant((variant, globalRoll) -> {
                    Path fibers = tmp.resolve("sanitized-fibers.out");
                    Path threadsOut = tmp.resolve("sanitized-threads.out");
                    KernelEmulator.run(emulator, emulatorArgs(inFile, fibers, block, globalRoll, variant));
                    KernelEmulator.run(sanitized, emulatorArgs(inFile, threadsOut, block, globalRoll, variant));
                    assertArrayEquals(Files.readAllBytes(fibers), Files.readAllBytes(threadsOut), sanitizer + ": " + mode
                            + " threads " + block + " variant '" + variant + "'" + (globalRoll ? " global roll" : ""));
                });
            }
        }
        return launches;
    }

    /** A check of one launch under one kernel variant and one home of the rolling state. */
    private interface VariantCheck {
        void run(String variant, boolean globalRoll) throws Exception;
    }

    /**
     * Runs {@code check} under every kernel variant the emulator takes (plain, prefetching,
     * split), each with its rolling state in shared and in global memory; returns how many.
     */
    private static int eachVariant(VariantCheck check) throws Exception {
        int runs = 0;
        for (String variant : List.of("", "prefetch", "split=3")) {
            for (boolean globalRoll : new boolean[] {false, true}) {
                check.run(variant, globalRoll);
                runs++;
            }
        }
        return runs;
    }

    /** One launch of four random pairs: one at most 4 rows, one at most 4 columns, one in band layout; a few -inf steps. */
    private static LaunchLayout mixedLaunch(Random rnd, AlignOptions options) {
        List<PreparedPair> group = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            int n = 1 + rnd.nextInt(k == 0 ? 4 : 70);
            int m = 1 + rnd.nextInt(k == 1 ? 4 : 70);
            float[] dense = new float[n * m * 3];
            for (int q = 0; q < dense.length; q++) {
                dense[q] = rnd.nextDouble() < 0.05 ? Float.NEGATIVE_INFINITY : (float) (rnd.nextGaussian() * 3);
            }
            int lo = Math.min(0, m - n) - 2;
            int hi = Math.max(0, m - n) + 2;
            Pair pair = k == 3 ? Pair.band("s" + k, n, m, lo, hi, ReferenceCase.toBandLayout(dense, n, m, lo, hi))
                    : Pair.dense("s" + k, n, m, dense);
            group.add(new PreparedPair(k, pair, BandGeometry.of(pair, options)));
        }
        return new LaunchLayout(group, options, 1 << 20);
    }

    /** A dense pair whose flat score q is {@code value.applyAsDouble(q)}. */
    private static Pair densePair(String id, int n, int m, IntToDoubleFunction value) {
        float[] s = new float[n * m * 3];
        for (int q = 0; q < s.length; q++) {
            s[q] = (float) value.applyAsDouble(q);
        }
        return Pair.dense(id, n, m, s);
    }

    private int compare(List<Pair> pairs, AlignOptions options, int threads) throws Exception {
        return compare(pairs, options, threads, false);
    }

    /** Runs one emulated launch and compares each valid pair with the CPU engine; returns how many. */
    private int compare(List<Pair> pairs, AlignOptions options, int threads, boolean globalRoll) throws Exception {
        List<PreparedPair> group = new ArrayList<>();
        for (int k = 0; k < pairs.size(); k++) {
            group.add(new PreparedPair(k, pairs.get(k), BandGeometry.of(pairs.get(k), options)));
        }
        // Small transfer chunks, so that several chunks and pairs split across copy ranges occur.
        LaunchLayout launch = new LaunchLayout(group, options, 1 + pairs.size() % 7 * 4096);
        threads = blockSize(launch, threads);
        List<AlignmentResult> expected = cpu.alignAll(pairs, options);
        int compared = 0;
        // Every forward-backward variant (they differ only for the log semiring): plain,
        // prefetching, and split into alpha/beta and marginal kernels, with 1-4 slices a pair.
        List<String> variants = options.semiring().computesLog()
                ? List.of("", "prefetch", "split=" + (1 + pairs.size() % 4)) : List.of("");
        for (String variant : variants) {
            compared += compareVariant(pairs, options, threads, globalRoll, variant, launch, expected);
        }
        return compared / variants.size();
    }

    /**
     * Whether some alpha or beta of {@code pair} may pass the split kernel's bound (SPLIT_EXACT,
     * 2^30): each is a log-sum over paths of at most n + m steps, so it lies within (n + m) times
     * the largest finite score, plus the log of the number of paths, below (n + m) ln 3.
     */
    private static boolean mayPassSplitBound(Pair pair) {
        double largest = 0;
        for (float v : pair.scores()) {
            if (Float.isFinite(v)) {
                largest = Math.max(largest, Math.abs(v));
            }
        }
        return (pair.n() + pair.m()) * (largest + Math.log(3)) > 0x1p30;
    }

    private int compareVariant(List<Pair> pairs, AlignOptions options, int threads, boolean globalRoll, String variant,
                               LaunchLayout launch, List<AlignmentResult> expected) throws Exception {
        List<AlignmentResult> emulated = emulate(launch, options, threads, globalRoll, variant);
        int compared = 0;
        for (int k = 0; k < pairs.size(); k++) {
            AlignmentResult e = expected.get(k);
            AlignmentResult a = emulated.get(k);
            String what = options + " threads " + threads + (globalRoll ? " global roll " : " ")
                    + (variant.isEmpty() ? "" : variant + " ") + pairs.get(k);
            if (a == null) {   // marked IMPRECISE by the split (alpha or beta past its bound): the host aligns it again one-block,
                assertTrue(variant.startsWith("split") && e.isValid(), what + ": no result");
                assertTrue(mayPassSplitBound(pairs.get(k)), what + ": marked IMPRECISE, yet no alpha or beta of it can pass 2^30");
                compared++;    // as the plain variant, compared above, does
                continue;
            }
            assertEquals(e.isValid(), a.isValid(), what + (a.isValid() ? "" : ": " + a.error().getMessage()));
            if (!e.isValid()) {
                assertEquals(e.error().getMessage(), a.error().getMessage(), what + ": the same reason");
                continue;
            }
            if (options.semiring().computesLog()) {
                double z = e.logPartition();
                assertEquals(z, a.logPartition(), 1e-9 * Math.max(1, Math.abs(z)), what + " logZ");
            }
            if (options.semiring().computesMax()) {
                assertEquals(e.viterbiScore(), a.viterbiScore(), 1e-9 * Math.max(1, Math.abs(e.viterbiScore())), what + " viterbi");
                assertEquals(e.viterbiCigar(), a.viterbiCigar(), what + " cigar");
                assertEquals(java.util.Arrays.toString(e.viterbiStart()), java.util.Arrays.toString(a.viterbiStart()), what + " start");
            }
            float[] me = e.marginalsKeptDense() ? e.marginalsDense() : e.marginalsBand();
            float[] ma = a.marginalsKeptDense() ? a.marginalsDense() : a.marginalsBand();
            assertEquals(me.length, ma.length, what);
            for (int q = 0; q < me.length; q++) {
                assertEquals(me[q], ma[q], 2e-6, what + " marginal " + q);
                // probabilities, exactly: rounding must never push one past 1 (or below 0)
                assertTrue(ma[q] >= 0f && ma[q] <= 1f, what + " marginal " + q + " = " + ma[q]);
                assertTrue(me[q] >= 0f && me[q] <= 1f, what + " CPU marginal " + q + " = " + me[q]);
            }
            compared++;
        }
        return compared;
    }

    /**
     * One launch through the GPU path's own host side (chunked packing into a staging buffer by
     * {@link HostCopy}, the staging offsets, unpacking chunk by chunk), with the emulator in
     * place of the device: the staging buffer is handed to it as the uploads would hand it to
     * the device, and its outputs are put where the downloads would put them.
     */
    private List<AlignmentResult> emulate(LaunchLayout launch, AlignOptions options, int threads, boolean globalRoll,
                                          String variant) throws Exception {
        boolean log = options.semiring().computesLog();
        boolean max = options.semiring().computesMax();
        Path inFile = tmp.resolve("launch.in");
        Path outFile = tmp.resolve("launch.out");
        ByteBuffer staging = writeLaunch(launch, options, inFile);
        KernelEmulator.run(emulator, Map.of(), emulatorArgs(inFile, outFile, threads, globalRoll, variant));
        ByteBuffer out = ByteBuffer.wrap(Files.readAllBytes(outFile)).order(ByteOrder.LITTLE_ENDIAN);
        // The bad-score flags come last in the emulator's output; the downloads put them at badOffset.
        int flags = out.limit() - 4 * launch.count;
        for (int q = 0; q < launch.count; q++) {
            staging.putInt(launch.badOffset + 4 * q, out.getInt(flags + 4 * q));
        }
        int[] bad = launch.badScores(staging);
        double[] logZ = null;
        float[][] marginals = null;
        if (log) {
            for (int q = 0; q < launch.outFloats; q++) {
                staging.putFloat(4 * q, out.getFloat());
            }
            for (int q = 0; q < launch.count; q++) {
                staging.putDouble(launch.logZOffset + 8 * q, out.getDouble());
            }
            marginals = new float[launch.count][];
            for (int c = 0; c < launch.chunkCount(); c++) {
                launch.unpackMarginals(COPY, staging, c, marginals);
            }
            logZ = launch.logZ(staging);
        }
        ViterbiPath[] paths = null;
        if (max) {
            for (int q = 0; q < launch.count; q++) {
                staging.putDouble(launch.bestOffset + 8 * q, out.getDouble());
            }
            for (int q = 0; q < 2 * launch.count; q++) {
                staging.putInt(launch.endOffset + 4 * q, out.getInt());
            }
            for (int q = 0; q < launch.count; q++) {
                staging.putInt(launch.lenOffset + 4 * q, out.getInt());
            }
            for (int q = 0; q < launch.pathBytes; q++) {
                staging.put(launch.pathOffset + q, out.get());
            }
            paths = launch.paths(staging, bad);
        }
        return launch.results(bad, logZ, marginals, paths);
    }

    /**
     * Packs one launch as the GPU path's uploads would ({@link HostCopy} chunks into a staging
     * buffer, then the descriptors) and writes it to {@code inFile} in the emulator's input
     * format; returns the staging buffer, where the downloads would put the results.
     */
    private static ByteBuffer writeLaunch(LaunchLayout launch, AlignOptions options, Path inFile) throws Exception {
        boolean log = options.semiring().computesLog();
        boolean max = options.semiring().computesMax();
        ByteBuffer staging = ByteBuffer.allocateDirect((int) launch.stagingBytes).order(ByteOrder.nativeOrder());
        // Stale data, as a reused pinned buffer holds: slots the uploads leave alone (band padding
        // of pairs sent as band) would show up as NaN scores if a kernel read them.
        for (int q = 0; q + 4 <= staging.capacity(); q += 4) {
            staging.putFloat(q, Float.NaN);
        }
        for (int c = 0; c < launch.chunkCount(); c++) {
            launch.packScores(COPY, staging, c);
        }
        launch.putDescriptors(staging);
        ByteBuffer in = ByteBuffer.allocate((int) (64 + 8 * launch.desc.length + 4 * launch.scoreFloats))
                .order(ByteOrder.LITTLE_ENDIAN);
        in.putInt((log ? 1 : 0) | (max ? 2 : 0)).putInt(launch.count);
        in.putLong(launch.desc.length);
        for (int q = 0; q < launch.desc.length; q++) {
            in.putLong(staging.getLong(launch.descOffset + 8 * q));
        }
        in.putLong(launch.scoreFloats);
        for (int q = 0; q < launch.scoreFloats; q++) {
            in.putFloat(staging.getFloat(4 * q));
        }
        in.putLong(launch.outFloats).putLong(launch.cells).putLong(launch.pathBytes);
        Files.write(inFile, java.util.Arrays.copyOf(in.array(), in.position()));
        return staging;
    }

    /** The emulator's command line for one launch. */
    private static String[] emulatorArgs(Path inFile, Path outFile, int threads, boolean globalRoll, String variant) {
        List<String> args = new ArrayList<>(List.of(inFile.toString(), outFile.toString(), Integer.toString(threads)));
        if (globalRoll) {
            args.add("global");
        }
        if (!variant.isEmpty()) {
            args.add(variant);   // "prefetch" or "split=SLICES", as the emulator takes them
        }
        return args.toArray(new String[0]);
    }
}
