package org.bandalign.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.bandalign.align.testing.BruteForce;
import org.bandalign.align.testing.DenseOracle;
import org.bandalign.align.testing.ReferenceCase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The contract every backend meets (SPEC sections 1, 2 and 6), written once and run by one
 * subclass per backend ({@code CpuAlignerContractTest}, and the CUDA one where a GPU is
 * present). Each test that sweeps cases asserts how many it covered.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AlignerContractTest {
    private Aligner aligner;

    /** The backend under test; closed after the class. */
    protected abstract Aligner newAligner();

    @BeforeAll
    void open() {
        aligner = newAligner();
    }

    @AfterAll
    void close() {
        if (aligner != null) {
            aligner.close();
        }
    }

    protected Aligner aligner() {
        return aligner;
    }

    // ---------------------------------------------------------------- reference cases

    @Test
    void align_referenceCases_matchFloat64Reference() {
        int covered = 0;
        for (ReferenceCase rc : ReferenceCase.all()) {
            for (boolean bandLayout : new boolean[] {false, true}) {
                Pair pair = bandLayout ? rc.bandPair() : rc.densePair();
                AlignmentResult r = aligner.align(pair, rc.options(Semiring.BOTH));
                String what = rc + (bandLayout ? " (band layout)" : " (dense)");
                assertEquals(rc.diagLo, r.diagLo(), what + ": diagLo");
                assertEquals(rc.diagHi, r.diagHi(), what + ": diagHi");
                assertClose(rc.logPartition, r.logPartition(), 1e-6 * Math.max(1, Math.abs(rc.logPartition)), what + ": logZ");
                assertArrayClose(rc.marginals, r.marginalsDense(), rc.marginalTolerance(), what + ": marginals");
                assertClose(rc.viterbiScore, r.viterbiScore(), 1e-6 * Math.max(1, Math.abs(rc.viterbiScore)), what + ": viterbi");
                assertPathIsBest(rc.scores, rc.n, rc.m, rc.mode, r, rc.viterbiScore, what);
                if (!rc.hasViterbiTies()) {
                    assertEquals(rc.viterbiCigar, r.viterbiCigar(), what + ": cigar");
                    assertArrayEquals(rc.viterbiStart, r.viterbiStart(), what + ": start");
                    assertArrayEquals(rc.viterbiEnd, r.viterbiEnd(), what + ": end");
                    assertArrayClose(rc.viterbiIndicator, r.viterbiIndicatorDense(), 0, what + ": indicator");
                }
                covered++;
            }
        }
        assertEquals(2 * 14, covered, "reference cases covered (dense and band layout)");
    }

    @Test
    void align_referenceCasesMaxOnly_marginalsAreTheViterbiIndicator() {
        int covered = 0;
        for (ReferenceCase rc : ReferenceCase.all()) {
            AlignmentResult r = aligner.align(rc.densePair(), rc.options(Semiring.MAX));
            assertFalse(r.hasLogPartition());
            assertTrue(Double.isNaN(r.logPartition()));
            assertArrayEquals(r.viterbiIndicatorDense(), r.marginalsDense(), rc + ": max marginals = indicator");
            assertClose(rc.viterbiScore, r.viterbiScore(), 1e-6 * Math.max(1, Math.abs(rc.viterbiScore)), rc + ": viterbi");
            if (!rc.hasViterbiTies()) {
                assertArrayClose(rc.viterbiIndicator, r.marginalsDense(), 0, rc + ": indicator");
            }
            covered++;
        }
        assertEquals(14, covered, "reference cases covered");
    }

    @Test
    void align_referenceCasesLogOnly_hasNoViterbi() {
        ReferenceCase rc = ReferenceCase.all().get(3);
        AlignmentResult r = aligner.align(rc.densePair(), rc.options(Semiring.LOG));
        assertFalse(r.hasViterbi());
        assertThrows(IllegalStateException.class, r::viterbiCigar);
        assertArrayClose(rc.marginals, r.marginalsDense(), 1e-5, rc + ": marginals");
    }

    // ---------------------------------------------------------------- brute force

    @Test
    void align_everyShapeUpTo4x4_matchesPathEnumeration() {
        Random rnd = new Random(11);
        int covered = 0;
        for (int rows = 1; rows <= 4; rows++) {
            for (int cols = 1; cols <= 4; cols++) {
                final int n = rows;
                final int m = cols;
                for (Mode mode : Mode.values()) {
                    for (int w = -1; w <= 1; w++) {
                        for (int variant = 0; variant < 2; variant++) {
                            float[] s = randomScores(rnd, n, m, 2.0f, variant == 1 ? 0.15 : 0.0);
                            AlignOptions.Builder ob = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH);
                            if (w >= 0) {
                                ob.band(w);
                            }
                            AlignOptions opts = ob.build();
                            int[] band = specBand(n, m, w);
                            BruteForce bf = BruteForce.run(s, n, m, mode, band[0], band[1]);
                            String what = mode + " " + n + "x" + m + " w=" + w + " variant=" + variant + " paths=" + bf.paths;
                            if (bf.logZ == Double.NEGATIVE_INFINITY) {
                                assertThrows(InvalidPairException.class, () -> aligner.align(Pair.dense("dead", n, m, s), opts), what);
                                covered++;
                                continue;
                            }
                            AlignmentResult r = aligner.align(Pair.dense("bf", n, m, s), opts);
                            assertArrayEquals(band, new int[] {r.diagLo(), r.diagHi()}, what + ": the band");
                            assertClose(bf.logZ, r.logPartition(), 1e-9 * Math.max(1, Math.abs(bf.logZ)), what + ": logZ");
                            assertArrayClose(bf.marginals, r.marginalsDense(), 1e-6, what + ": marginals");
                            assertClose(bf.best, r.viterbiScore(), 1e-9 * Math.max(1, Math.abs(bf.best)), what + ": viterbi");
                            assertPathIsBest(s, n, m, mode, r, bf.best, what);
                            covered++;
                        }
                    }
                }
            }
        }
        assertEquals(16 * 2 * 3 * 2, covered, "shapes x modes x bands x variants covered");
    }

    // ---------------------------------------------------------------- calculus

    @Test
    void marginals_equalFiniteDifferencesOfLogZ() {
        Random rnd = new Random(5);
        int covered = 0;
        double h = 1.0 / 1024;   // scores are multiples of 1/64, so S +- h is exact in float32
        for (Mode mode : Mode.values()) {
            for (int trial = 0; trial < 3; trial++) {
                int n = 3 + rnd.nextInt(6);
                int m = 3 + rnd.nextInt(6);
                float[] s = new float[n * m * 3];
                for (int q = 0; q < s.length; q++) {
                    s[q] = (rnd.nextInt(257) - 128) / 64f;
                }
                AlignOptions opts = AlignOptions.builder().mode(mode).build();
                float[] mu = aligner.align(Pair.dense("fd", n, m, s), opts).marginalsDense();
                for (int q = 0; q < s.length; q++) {
                    float[] plus = s.clone();
                    float[] minus = s.clone();
                    plus[q] += (float) h;
                    minus[q] -= (float) h;
                    double zp = aligner.align(Pair.dense("fd+", n, m, plus), opts).logPartition();
                    double zm = aligner.align(Pair.dense("fd-", n, m, minus), opts).logPartition();
                    double fd = (zp - zm) / (2 * h);
                    assertClose(fd, mu[q], 2e-6, mode + " " + n + "x" + m + " dlogZ/dS[" + q + "]");
                    covered++;
                }
            }
        }
        assertTrue(covered > 300, "finite differences checked: " + covered);
    }

    /**
     * A global path enters every row once, by a diagonal or vertical step (row 0 by the start),
     * and every column once, by a diagonal or horizontal step: so in every row
     * {@code sum_j mu[i][j][1] + mu[i][j][2] = 1} and in every column
     * {@code sum_i mu[i][j][1] + mu[i][j][0] = 1}, whatever the scores, band or forbidden steps.
     */
    @Test
    void marginals_globalMode_enterEveryRowAndColumnOnce_andLieInUnitInterval() {
        Random rnd = new Random(9);
        int covered = 0;
        for (int trial = 0; trial < 24; trial++) {
            int n = 1 + rnd.nextInt(40);
            int m = 1 + rnd.nextInt(40);
            float[] s = randomScores(rnd, n, m, trial % 3 == 2 ? 50f : 3f, trial % 4 == 3 ? 0.1 : 0);
            AlignOptions.Builder ob = AlignOptions.builder();
            if (trial % 2 == 1) {
                ob.band(rnd.nextInt(6));
            }
            AlignmentResult r;
            try {
                r = aligner.align(Pair.dense("sum", n, m, s), ob.build());
            } catch (InvalidPairException noPath) {   // forbidden steps may leave none
                continue;
            }
            float[] mu = r.marginalsDense();
            double tolerance = 1e-5 * Math.max(n, m);
            for (float v : mu) {
                assertTrue(v >= 0 && v <= 1 + 1e-6, "marginal " + v + " outside [0, 1]");
            }
            for (int i = 0; i < n; i++) {
                double into = 0;
                for (int j = 0; j < m; j++) {
                    into += mu[(i * m + j) * 3 + 1] + mu[(i * m + j) * 3 + 2];
                }
                assertClose(1.0, into, tolerance, "trial " + trial + " " + n + "x" + m + ": steps into row " + i);
            }
            for (int j = 0; j < m; j++) {
                double into = 0;
                for (int i = 0; i < n; i++) {
                    into += mu[(i * m + j) * 3 + 1] + mu[(i * m + j) * 3];
                }
                assertClose(1.0, into, tolerance, "trial " + trial + " " + n + "x" + m + ": steps into column " + j);
            }
            assertClose(1.0, mu[1], 1e-6, "mu[0][0][1] = 1 in global mode");
            covered++;
        }
        assertTrue(covered >= 20, "pairs checked: " + covered);
    }

    /** SPEC section 1's band, clipped to the grid: {@code {dlo, dhi}}; {@code w < 0} is no band. */
    private static int[] specBand(int n, int m, int w) {
        if (w < 0) {
            return new int[] {-(n - 1), m - 1};
        }
        return new int[] {Math.max(Math.min(0, m - n) - w, -(n - 1)), Math.min(Math.max(0, m - n) + w, m - 1)};
    }

    /**
     * Ties between a cell's predecessors break M, then I, then D (SPEC section 1): on a 2 x 2
     * pair of zeros the diagonal wins; with the diagonal into (1, 1) forbidden, the step down
     * (I, through (0, 1)) and the step right (D, through (1, 0)) tie, and I wins.
     */
    @Test
    void align_viterbiPredecessorTies_breakMThenIThenD() {
        AlignOptions max = AlignOptions.builder().semiring(Semiring.MAX).build();
        assertEquals("2M", aligner.align(Pair.dense("m-first", 2, 2, new float[12]), max).viterbiCigar());
        float[] s = new float[12];
        s[3 * 3 + 1] = Float.NEGATIVE_INFINITY;   // no diagonal step into (1, 1)
        assertEquals("1M1D1I", aligner.align(Pair.dense("i-before-d", 2, 2, s), max).viterbiCigar());
        // all zeros: every path ties; traced back from the end, M wherever it can, then I, then D
        assertEquals("1M2D2M", aligner.align(Pair.dense("3x5", 3, 5, new float[45]), max).viterbiCigar());
        assertEquals("1M2I2M", aligner.align(Pair.dense("5x3", 5, 3, new float[45]), max).viterbiCigar());
        assertEquals("1M1D2M", aligner.align(Pair.dense("3x4", 3, 4, new float[36]), max).viterbiCigar());
        assertEquals("1M3I1M", aligner.align(Pair.dense("5x2", 5, 2, new float[30]), max).viterbiCigar());
    }

    /**
     * Among equal best cells in local mode the first in row-major order ends the path, even
     * where a later anti-diagonal holds it: (0, 2) beats (1, 0) and (3, 0). (BandAlign's rule,
     * the same on every backend; SPEC section 1 leaves the choice open.)
     */
    @Test
    void align_localViterbiEqualBestCells_firstInRowMajorOrderEnds() {
        float[] s = new float[4 * 3 * 3];
        Arrays.fill(s, -10f);
        s[(1 * 3 + 0) * 3 + 1] = 5f;   // (1, 0), anti-diagonal 1
        s[(0 * 3 + 2) * 3 + 1] = 5f;   // (0, 2), anti-diagonal 2: first in row-major order
        s[(3 * 3 + 0) * 3 + 1] = 5f;   // (3, 0), anti-diagonal 3
        AlignmentResult r = aligner.align(Pair.dense("end-tie", 4, 3, s),
                AlignOptions.builder().mode(Mode.LOCAL).semiring(Semiring.MAX).build());
        assertEquals("[0, 2]", Arrays.toString(r.viterbiEnd()));
        assertEquals("1M", r.viterbiCigar());
    }

    /** A null in the list is that entry's error, not the whole call's (a null list, the call's, named); one pair alone works too. */
    @Test
    void alignAll_nullPairOrOnePair_eachGetsItsResult() {
        List<Pair> pairs = new ArrayList<>();
        pairs.add(Pair.dense("x", 3, 3, new float[27]));
        pairs.add(null);
        pairs.add(Pair.dense("y", 4, 3, new float[36]));
        List<AlignmentResult> rs = aligner.alignAll(pairs, AlignOptions.defaults());
        assertTrue(rs.get(0).isValid() && rs.get(2).isValid());
        assertFalse(rs.get(1).isValid());
        assertEquals("pair without an id: the list's entry at index 1 is null, not a pair", rs.get(1).error().getMessage());
        List<AlignmentResult> one = aligner.alignAll(pairs.subList(2, 3), AlignOptions.defaults());
        assertEquals(aligner.align(pairs.get(2), AlignOptions.defaults()).logPartition(), one.get(0).logPartition(), 0.0);
        for (org.junit.jupiter.api.function.Executable call : List.<org.junit.jupiter.api.function.Executable>of(
                () -> aligner.alignAll(null, AlignOptions.defaults()), () -> aligner.alignAll(pairs, null))) {
            NullPointerException e = assertThrows(NullPointerException.class, call, "a null list or options is the call's error");
            assertTrue(e.getMessage().equals("pairs") || e.getMessage().equals("options"), e.getMessage());
        }
    }

    /**
     * Found by a probe: the backends read the pairs by index, which took quadratic time over a
     * LinkedList (40,000 pairs: 1 s against 60 ms). A list without constant-time get is copied
     * once; this one refuses get, and its results come back in its order.
     */
    @Test
    void alignAll_aSequentialList_isNotReadByIndex() {
        List<Pair> pairs = new java.util.LinkedList<>() {
            @Override
            public Pair get(int index) {
                throw new AssertionError("a sequential list read by index");
            }
        };
        for (int k = 0; k < 5; k++) {
            pairs.add(k == 2 ? null : Pair.dense("s" + k, 2 + k, 3, new float[(2 + k) * 3 * 3]));
        }
        List<AlignmentResult> rs = aligner.alignAll(pairs, AlignOptions.defaults());
        assertEquals(5, rs.size());
        for (int k = 0; k < 5; k++) {
            assertEquals(k != 2, rs.get(k).isValid());
            if (k != 2) {
                assertEquals("s" + k, rs.get(k).id());
            }
        }
    }

    /**
     * Every accessor of a failed result throws the pair's own error, not some other exception:
     * thrown anew, with its message and flags and it as the cause, so that the stack shows the
     * accessor's caller (a library user's review: it showed the engine's worker thread alone).
     */
    @Test
    void alignAll_failedResult_everyAccessorThrowsItsError() {
        float[] s = new float[27];
        s[4] = Float.NaN;
        AlignmentResult r = aligner.alignAll(List.of(Pair.dense("bad", 3, 3, s)), AlignOptions.defaults()).get(0);
        List<org.junit.jupiter.api.function.Executable> calls = List.of(r::n, r::m, r::mode, r::semiring, r::geometry,
                r::diagLo, r::diagHi, r::cells, r::hasLogPartition, r::logPartition, r::marginalsDense, r::marginalsBand,
                r::marginalsKeptDense, r::hasViterbi, r::viterbiScore, r::viterbiCigar, r::viterbiStart, r::viterbiEnd,
                r::viterbiIndicatorDense, r::viterbiIndicatorBand, r::viterbiPath);
        for (org.junit.jupiter.api.function.Executable call : calls) {
            InvalidPairException thrown = assertThrows(InvalidPairException.class, call);
            assertSame(r.error(), thrown.getCause());
            assertEquals(r.error().getMessage(), thrown.getMessage());
            assertEquals(r.error().pairId(), thrown.pairId());
            assertEquals(r.error().isHeapLimit(), thrown.isHeapLimit());
            assertEquals(r.error().isDeviceLimit(), thrown.isDeviceLimit());
            assertTrue(java.util.Arrays.stream(thrown.getStackTrace()).anyMatch(f -> f.getMethodName().startsWith(
                    "alignAll_failedResult_everyAccessorThrowsItsError")), "the caller's frame is in the stack");
        }
    }

    /**
     * Local-mode Viterbi ties the random and reference cases do not reach, and a pair whose log
     * Z is about 3e9 with a step every path takes: its marginal is exactly 1, not a rounding
     * above. (SPEC section 1 orders ties M, then I, then D, and counts a start as an M, but says
     * neither which of a start and an equal diagonal extension wins nor which of equal best
     * cells ends a local path. BandAlign's rules, the same on every backend: the start wins,
     * and the first of the equal cells in row-major order ends the path.)
     */
    @Test
    void align_localTiesAndForcedStepAtLargeScores_asSpecSays() {
        AlignOptions local = AlignOptions.builder().mode(Mode.LOCAL).semiring(Semiring.BOTH).build();
        float[] s = new float[2 * 2 * 3];
        Arrays.fill(s, -10f);
        s[1] = 0f;             // s1(0,0)
        s[3 * 3 + 1] = 5f;     // s1(1,1): starting there (5) ties with extending from (0,0) (0 + 5)
        AlignmentResult r = aligner.align(Pair.dense("start-tie", 2, 2, s), local);
        assertEquals("1M", r.viterbiCigar());
        assertEquals("[1, 1]", Arrays.toString(r.viterbiStart()));
        float[] t = new float[3 * 3 * 3];
        Arrays.fill(t, -10f);
        t[3 * 7 + 1] = 5f;     // s1(2,1)
        t[3 * 8 + 1] = 5f;     // s1(2,2): an equal best cell later in row 2
        r = aligner.align(Pair.dense("row-tie", 3, 3, t), local);
        assertEquals("1M", r.viterbiCigar());
        assertEquals("[2, 1]", Arrays.toString(r.viterbiStart()));
        assertEquals("[2, 1]", Arrays.toString(r.viterbiEnd()));

        float[] g = new float[2 * 3 * 3];
        g[1] = 3.1e9f;                                      // s1(0,0)
        g[9] = g[10] = g[11] = Float.NEGATIVE_INFINITY;     // cell (1, 0)
        g[3 * 4 + 1] = Float.NEGATIVE_INFINITY;             // the diagonal into (1, 1)
        r = aligner.align(Pair.dense("forced", 2, 3, g), AlignOptions.defaults());
        assertEquals(1f, r.marginalsDense()[3 * 1 + 0], "every path steps left into (0, 1)");
        for (float v : r.marginalsDense()) {
            assertTrue(v >= 0f && v <= 1f, "marginal " + v + " outside [0, 1]");
        }
    }

    // ---------------------------------------------------------------- bands

    @Test
    void align_bandedPair_equalsDensePairWithMinusInfOutsideTheBand() {
        Random rnd = new Random(17);
        int covered = 0;
        for (Mode mode : Mode.values()) {
            for (int trial = 0; trial < 12; trial++) {
                int n = 1 + rnd.nextInt(30);
                int m = 1 + rnd.nextInt(30);
                int w = rnd.nextInt(5);
                float[] s = randomScores(rnd, n, m, 2f, 0.05);
                AlignOptions banded = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH).band(w).build();
                BandGeometry g = BandGeometry.of(Pair.dense("x", n, m, s), banded);
                float[] masked = s.clone();
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < m; j++) {
                        if (!g.contains(i, j)) {
                            Arrays.fill(masked, (i * m + j) * 3, (i * m + j) * 3 + 3, Float.NEGATIVE_INFINITY);
                        }
                    }
                }
                AlignOptions dense = banded.toBuilder().noBand().build();
                AlignmentResult a;
                AlignmentResult b;
                try {
                    a = aligner.align(Pair.dense("banded", n, m, s), banded);
                } catch (InvalidPairException e) {
                    assertThrows(InvalidPairException.class, () -> aligner.align(Pair.dense("masked", n, m, masked), dense));
                    covered++;
                    continue;
                }
                b = aligner.align(Pair.dense("masked", n, m, masked), dense);
                String what = mode + " " + n + "x" + m + " w=" + w;
                assertClose(b.logPartition(), a.logPartition(), 1e-9 * Math.max(1, Math.abs(b.logPartition())), what);
                assertArrayClose(toDouble(b.marginalsDense()), a.marginalsDense(), 1e-6, what);
                assertClose(b.viterbiScore(), a.viterbiScore(), 1e-9 * Math.max(1, Math.abs(b.viterbiScore())), what);
                assertEquals(b.viterbiCigar(), a.viterbiCigar(), what);
                assertEquals(g.width() * n * 3, a.marginalsBand().length, what + ": band layout length");
                covered++;
            }
        }
        assertEquals(24, covered);
    }

    @Test
    void align_bandAtLeastMaxNM_equalsNoBand() {
        Random rnd = new Random(23);
        for (int trial = 0; trial < 8; trial++) {
            int n = 1 + rnd.nextInt(25);
            int m = 1 + rnd.nextInt(25);
            Mode mode = trial % 2 == 0 ? Mode.GLOBAL : Mode.LOCAL;
            float[] s = randomScores(rnd, n, m, 2f, 0);
            AlignOptions none = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH).build();
            AlignOptions wide = none.toBuilder().band(Math.max(n, m) + trial).build();
            AlignmentResult a = aligner.align(Pair.dense("none", n, m, s), none);
            AlignmentResult b = aligner.align(Pair.dense("wide", n, m, s), wide);
            assertEquals(a.diagLo(), b.diagLo());
            assertEquals(a.diagHi(), b.diagHi());
            assertEquals(a.logPartition(), b.logPartition(), 0.0);
            assertArrayEquals(a.marginalsDense(), b.marginalsDense());
            assertEquals(a.viterbiCigar(), b.viterbiCigar());
        }
    }

    @Test
    void align_bandLayoutInputAndOutput_roundTripThroughSpecIndexing() {
        Random rnd = new Random(29);
        int n = 17;
        int m = 23;
        float[] s = randomScores(rnd, n, m, 2f, 0);
        AlignOptions opts = AlignOptions.builder().band(3).build();
        AlignmentResult dense = aligner.align(Pair.dense("d", n, m, s), opts);
        int lo = dense.diagLo();
        int hi = dense.diagHi();
        assertEquals(Math.min(0, m - n) - 3, lo);
        assertEquals(Math.max(0, m - n) + 3, hi);
        int w = hi - lo + 1;
        AlignmentResult band = aligner.align(bandLayoutCopy(Pair.dense("b", n, m, s), lo, hi), AlignOptions.defaults());
        assertEquals(dense.logPartition(), band.logPartition(), 1e-12);
        float[] mb = band.marginalsBand();
        float[] md = dense.marginalsDense();
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < w; c++) {
                int j = i + lo + c;
                for (int k = 0; k < 3; k++) {
                    float expected = j >= 0 && j < m ? md[(i * m + j) * 3 + k] : 0f;
                    assertEquals(expected, mb[(i * w + c) * 3 + k], 1e-6, "slot " + i + "," + c + "," + k);
                }
            }
        }
    }

    @Test
    void align_bandLayoutRowWithJobBand_intersectsBands() {
        Random rnd = new Random(31);
        int n = 12;
        int m = 12;
        float[] s = randomScores(rnd, n, m, 2f, 0);
        Pair wideBand = ReferenceCaseSupport.toBand("wb", s, n, m, -6, 6);
        AlignmentResult r = aligner.align(wideBand, AlignOptions.builder().band(2).build());
        assertEquals(-2, r.diagLo());
        assertEquals(2, r.diagHi());
        AlignmentResult direct = aligner.align(Pair.dense("d", n, m, s), AlignOptions.builder().band(2).build());
        assertEquals(direct.logPartition(), r.logPartition(), 1e-12);
    }

    // ---------------------------------------------------------------- the seed example

    @Test
    void align_seedExample_matchesFloat64OracleAndIsAProbability() {
        int n = 200;
        int m = 200;
        float[] s = SeedExample.scores();
        AlignmentResult r = aligner.align(Pair.dense("seed-example", n, m, s), AlignOptions.builder().semiring(Semiring.BOTH).build());
        DenseOracle oracle = DenseOracle.run(s, n, m, Mode.GLOBAL);
        assertClose(oracle.logZ, r.logPartition(), 1e-6 * Math.abs(oracle.logZ), "seed logZ");
        assertTrue(r.logPartition() > 2.1e8 && r.logPartition() < 2.3e8, "seed logZ about 2.19e8: " + r.logPartition());
        float[] mu = r.marginalsDense();
        assertArrayClose(oracle.marginals, mu, 1e-4, "seed marginals");
        double total = 0;
        for (float v : mu) {
            assertTrue(v >= 0 && v <= 1 + 1e-6, "seed marginal outside [0, 1]: " + v);
            total += v;
        }
        assertTrue(total > 199 && total < 400, "seed marginal sum " + total + " (float32 engines give hundreds of thousands)");
        // The 1e6 region is entered at (0, 180) or at (180, 0): the path runs along row 0 to
        // column ~180 and then down a narrow diagonal, or the mirror image; which one wins
        // depends on the uniform scores, so the two arms together carry the whole path.
        double[] cell = cellMass(mu, n, m);
        double arms = cell[0];
        for (int k = 1; k < 170; k++) {
            arms += cell[k] + cell[k * m];
        }
        assertTrue(arms > 169.9, "row 0 or column 0 carries the path to the 1e6 region: " + arms);
        assertTrue(cell[199 * m + 199] > 0.999, "ends at the corner");
        assertClose(oracle.viterbi, r.viterbiScore(), 1e-6 * Math.abs(oracle.viterbi), "seed viterbi");
    }

    // ---------------------------------------------------------------- differential, larger random

    @Test
    void align_randomPairsUpTo120_matchDenseOracle() {
        Random rnd = new Random(41);
        int covered = 0;
        for (int trial = 0; trial < 24; trial++) {
            int n = 1 + rnd.nextInt(120);
            int m = 1 + rnd.nextInt(120);
            Mode mode = trial % 3 == 2 ? Mode.LOCAL : Mode.GLOBAL;
            float magnitude = trial % 4 == 3 ? 1e6f : trial % 4 == 2 ? 50f : 5f;
            float[] s = randomScores(rnd, n, m, magnitude, trial % 5 == 4 ? 0.1 : 0);
            AlignOptions.Builder ob = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH);
            int w = trial % 2 == 1 ? rnd.nextInt(20) : -1;
            if (w >= 0) {
                ob.band(w);
            }
            AlignOptions opts = ob.build();
            int[] band = specBand(n, m, w);
            DenseOracle o = DenseOracle.run(s, n, m, mode, band[0], band[1]);
            String what = "trial " + trial + " " + mode + " " + n + "x" + m + " band [" + band[0] + ", " + band[1] + "] |S|<=" + magnitude;
            if (o.logZ == Double.NEGATIVE_INFINITY) {
                assertThrows(InvalidPairException.class, () -> aligner.align(Pair.dense("dead", n, m, s), opts), what);
                continue;
            }
            AlignmentResult r = aligner.align(Pair.dense("rnd", n, m, s), opts);
            assertArrayEquals(band, new int[] {r.diagLo(), r.diagHi()}, what + ": the band");
            assertClose(o.logZ, r.logPartition(), 1e-6 * Math.max(1, Math.abs(o.logZ)), what + ": logZ");
            assertArrayClose(o.marginals, r.marginalsDense(), magnitude <= 10 ? 1e-5 : 1e-4, what + ": marginals");
            assertClose(o.viterbi, r.viterbiScore(), 1e-6 * Math.max(1, Math.abs(o.viterbi)), what + ": viterbi");
            assertPathIsBest(s, n, m, mode, r, o.viterbi, what);
            covered++;
        }
        assertTrue(covered >= 20, "random pairs compared: " + covered);
    }

    /**
     * "both" is the log and the max semirings on the same pair, however a backend schedules them:
     * the path equals that of "max" alone exactly, log Z and marginals those of "log" alone to a
     * few ulps (the CPU gives the same bits; a GPU launch of "both" may size its blocks, and so
     * order its sums, differently). On the CPU, which runs "both" as the two walks, this is
     * nearly true by construction; it is here for backends that schedule "both" their own way. Integer scores make ties, which
     * the tie rules must break the same way; dense and band-layout input, job bands, -inf steps,
     * pairs without a finite path.
     */
    @Test
    void align_semiringBoth_equalsLogAloneAndMaxAlone() {
        Random rnd = new Random(53);
        int covered = 0;
        int dead = 0;
        for (int trial = 0; trial < 48; trial++) {
            int n = 1 + rnd.nextInt(trial < 8 ? 4 : 70);
            int m = 1 + rnd.nextInt(trial < 8 ? 4 : 70);
            Mode mode = trial % 2 == 1 ? Mode.LOCAL : Mode.GLOBAL;
            float[] s = randomScores(rnd, n, m, 3f, trial % 3 == 2 ? 0.25 : 0);
            if (trial % 4 >= 2) {
                for (int q = 0; q < s.length; q++) {
                    s[q] = (float) Math.rint(s[q]);   // ties everywhere; -inf stays -inf
                }
            }
            Pair pair = Pair.dense("p" + trial, n, m, s);
            if (trial % 5 == 4) {
                pair = bandLayoutCopy(pair, Math.min(0, m - n) - 2, Math.max(0, m - n) + 2);
            }
            AlignOptions.Builder ob = AlignOptions.builder().mode(mode);
            if (trial % 3 == 1) {
                ob.band(rnd.nextInt(6));
            }
            AlignOptions both = ob.semiring(Semiring.BOTH).build();
            String what = "trial " + trial + " " + mode + " " + n + "x" + m + (pair.isBandLayout() ? " band layout" : "");
            Pair p = pair;
            AlignmentResult rLog;
            try {
                rLog = aligner.align(p, ob.semiring(Semiring.LOG).build());
            } catch (InvalidPairException e) {
                assertEquals(e.getMessage(), assertThrows(InvalidPairException.class, () -> aligner.align(p, both)).getMessage(), what);
                assertThrows(InvalidPairException.class, () -> aligner.align(p, ob.semiring(Semiring.MAX).build()), what);
                dead++;
                continue;
            }
            AlignmentResult rMax = aligner.align(p, ob.semiring(Semiring.MAX).build());
            AlignmentResult rBoth = aligner.align(p, both);
            assertEquals(rLog.logPartition(), rBoth.logPartition(), 1e-13 * Math.max(1, Math.abs(rLog.logPartition())), what + ": log Z");
            assertArrayEquals(rLog.marginalsBand(), rBoth.marginalsBand(), 1e-7f, what + ": marginals");
            assertEquals(rMax.viterbiScore(), rBoth.viterbiScore(), 0.0, what + ": Viterbi score");
            assertEquals(rMax.viterbiCigar(), rBoth.viterbiCigar(), what + ": CIGAR");
            assertArrayEquals(rMax.viterbiStart(), rBoth.viterbiStart(), what + ": start");
            assertArrayEquals(rMax.viterbiEnd(), rBoth.viterbiEnd(), what + ": end");
            covered++;
        }
        assertTrue(covered >= 36 && dead >= 2, "pairs compared: " + covered + ", without a finite path: " + dead);
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void pairFactories_badShapes_throwNamingThePair() {
        assertMessage(() -> Pair.dense("p0", 0, 3, new float[0]), "p0", "lengths must be >= 1");
        assertMessage(() -> Pair.dense("p1", 3, 0, new float[0]), "p1", "lengths must be >= 1");
        assertMessage(() -> Pair.dense("p2", 2, 3, new float[17]), "p2", "n*m*3 = 18");
        assertMessage(() -> Pair.dense("p3", 2, 3, null), "p3", "scores are null");
        assertMessage(() -> Pair.band("p4", 4, 6, 0, 1, new float[4 * 2 * 3]), "p4",
                "band [0, 1] misses a corner of the 4 x 6 grid: it needs diag_lo <= 0 and diag_hi >= 2");
        assertMessage(() -> Pair.band("p5", 6, 4, -1, 2, new float[6 * 4 * 3]), "p5",
                "band [-1, 2] misses a corner of the 6 x 4 grid: it needs diag_lo <= -2 and diag_hi >= 0");
        assertMessage(() -> Pair.band("p6", 4, 6, -1, 3, new float[4 * 5 * 3 - 1]), "p6", "n*W*3 = 60");
        assertThrows(IllegalArgumentException.class, () -> AlignOptions.builder().band(-1));
    }

    @Test
    void align_nanOrPlusInfInsideBand_throwsNamingTheCell() {
        float[] s = new float[3 * 4 * 3];
        s[(1 * 4 + 2) * 3 + 1] = Float.NaN;
        assertMessage(() -> aligner.align(Pair.dense("nan", 3, 4, s), AlignOptions.defaults()), "nan", "S[1][2][1] is NaN");
        float[] t = new float[3 * 4 * 3];
        t[(2 * 4 + 3) * 3 + 2] = Float.POSITIVE_INFINITY;
        assertMessage(() -> aligner.align(Pair.dense("inf", 3, 4, t), AlignOptions.defaults()), "inf", "S[2][3][2] is +inf");
    }

    @Test
    void align_nanOutsideBand_isIgnored() {
        int n = 6;
        int m = 6;
        float[] s = new float[n * m * 3];
        Random rnd = new Random(5);
        for (int q = 0; q < s.length; q++) {
            s[q] = rnd.nextFloat();
        }
        float[] clean = s.clone();
        s[(0 * m + 5) * 3] = Float.NaN;   // diagonal offset 5, outside band 1
        s[(5 * m + 0) * 3 + 2] = Float.POSITIVE_INFINITY;   // offset -5
        AlignOptions band = AlignOptions.builder().band(1).semiring(Semiring.BOTH).build();
        AlignmentResult r = aligner.align(Pair.dense("ok", n, m, s), band);
        AlignmentResult same = aligner.align(Pair.dense("ok", n, m, clean), band);
        assertEquals(same.logPartition(), r.logPartition(), 0.0, "as if those cells held any other score");
        assertArrayEquals(same.marginalsDense(), r.marginalsDense());
        assertEquals(same.viterbiCigar(), r.viterbiCigar());
    }

    @Test
    void align_noFinitePath_throws() {
        int n = 3;
        int m = 3;
        float[] s = new float[n * m * 3];
        Arrays.fill(s, Float.NEGATIVE_INFINITY);
        for (Semiring sr : Semiring.values()) {
            for (Mode mode : Mode.values()) {
                AlignOptions opts = AlignOptions.builder().mode(mode).semiring(sr).build();
                assertMessage(() -> aligner.align(Pair.dense("dead", n, m, s), opts), "dead", "no path of finite weight");
            }
        }
        float[] wall = new float[n * m * 3];
        for (int j = 0; j < m; j++) {
            Arrays.fill(wall, (1 * m + j) * 3, (1 * m + j) * 3 + 3, Float.NEGATIVE_INFINITY);
        }
        assertMessage(() -> aligner.align(Pair.dense("wall", n, m, wall), AlignOptions.defaults()), "wall", "no path of finite weight");
        // a local path may avoid the wall
        DenseOracle o = DenseOracle.run(wall, n, m, Mode.LOCAL, -(n - 1), m - 1);
        AlignmentResult local = aligner.align(Pair.dense("wall", n, m, wall), AlignOptions.builder().mode(Mode.LOCAL).build());
        assertClose(o.logZ, local.logPartition(), 1e-9, "local log Z beside the wall");
        assertArrayClose(o.marginals, local.marginalsDense(), 1e-6, "local marginals beside the wall");
    }

    @Test
    void align_pairLargerThanMaxCells_throwsTooLarge() {
        AlignOptions small = AlignOptions.builder().maxCells(99).build();
        assertMessage(() -> aligner.align(Pair.dense("big", 10, 10, new float[300]), small), "big", "too large");
        assertEquals(100, aligner.align(Pair.dense("fits", 10, 10, new float[300]), small.toBuilder().maxCells(100).build()).cells());
    }

    @Test
    void alignAll_mixOfValidAndInvalid_reportsEachAndKeepsOrder() {
        Random rnd = new Random(3);
        List<Pair> pairs = new ArrayList<>();
        List<Boolean> valid = new ArrayList<>();
        for (int k = 0; k < 40; k++) {
            int n = 1 + rnd.nextInt(50);
            int m = 1 + rnd.nextInt(50);
            float[] s = randomScores(rnd, n, m, 2f, 0);
            boolean bad = k % 7 == 3;
            if (bad) {
                s[rnd.nextInt(s.length)] = Float.NaN;
            }
            pairs.add(Pair.dense("pair-" + k, n, m, s));
            valid.add(!bad);
        }
        AlignOptions opts = AlignOptions.builder().semiring(Semiring.BOTH).build();
        List<AlignmentResult> rs = aligner.alignAll(pairs, opts);
        assertEquals(pairs.size(), rs.size());
        assertThrows(UnsupportedOperationException.class, () -> rs.set(0, rs.get(1)), "the results cannot be changed");
        int good = 0;
        for (int k = 0; k < pairs.size(); k++) {
            AlignmentResult r = rs.get(k);
            assertEquals("pair-" + k, r.id(), "order kept");
            assertEquals(valid.get(k), r.isValid(), "pair-" + k + " validity");
            if (r.isValid()) {
                AlignmentResult one = aligner.align(pairs.get(k), opts);
                assertEquals(one.logPartition(), r.logPartition(), 0.0);
                assertArrayEquals(one.marginalsDense(), r.marginalsDense());
                assertEquals(one.viterbiCigar(), r.viterbiCigar());
                good++;
            } else {
                assertNotNull(r.error());
                assertTrue(r.error().getMessage().contains("pair-" + k) && r.error().getMessage().contains("NaN"), r.error().getMessage());
                assertThrows(InvalidPairException.class, r::logPartition);
            }
        }
        assertEquals(34, good);
    }

    @Test
    void marginalsDense_bandedPairTooLargeForDenseLayout_throwsForThatPairOnly() {
        int n = 30000;
        int w = 2;
        float[] band = new float[n * (2 * w + 1) * 3];
        AlignmentResult r = aligner.align(Pair.band("huge", n, n, -w, w, band), AlignOptions.defaults());
        assertEquals(n * (2 * w + 1) * 3, r.marginalsBand().length);
        assertMessage(r::marginalsDense, "huge", "too large for dense layout");
    }

    @Test
    void alignAll_fromSeveralThreadsAtOnce_givesWhatOneThreadGives() throws Exception {
        Random rnd = new Random(77);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 24; k++) {
            int n = 1 + rnd.nextInt(90);
            int m = 1 + rnd.nextInt(90);
            pairs.add(Pair.dense("t" + k, n, m, randomScores(rnd, n, m, 3f, 0.02)));
        }
        AlignOptions opts = AlignOptions.builder().semiring(Semiring.BOTH).band(12).build();
        List<AlignmentResult> expected = aligner.alignAll(pairs, opts);
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<List<AlignmentResult>>> runs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                runs.add(callers.submit(() -> aligner.alignAll(pairs, opts)));
            }
            for (java.util.concurrent.Future<List<AlignmentResult>> run : runs) {
                List<AlignmentResult> got = run.get();
                for (int k = 0; k < pairs.size(); k++) {
                    assertEquals(expected.get(k).isValid(), got.get(k).isValid());
                    if (expected.get(k).isValid()) {
                        assertEquals(expected.get(k).logPartition(), got.get(k).logPartition(), 0.0, "pair " + k);
                        assertArrayEquals(expected.get(k).marginalsBand(), got.get(k).marginalsBand(), "pair " + k);
                        assertEquals(expected.get(k).viterbiCigar(), got.get(k).viterbiCigar(), "pair " + k);
                    }
                }
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void alignAll_emptyList_returnsEmpty() {
        assertTrue(aligner.alignAll(List.of(), AlignOptions.defaults()).isEmpty());
    }

    // ---------------------------------------------------------------- helpers

    static float[] randomScores(Random rnd, int n, int m, float magnitude, double minusInfRate) {
        float[] s = new float[n * m * 3];
        for (int q = 0; q < s.length; q++) {
            s[q] = rnd.nextDouble() < minusInfRate ? Float.NEGATIVE_INFINITY : (float) ((rnd.nextDouble() * 2 - 1) * magnitude);
        }
        return s;
    }

    /** The dense pair's scores in band layout over diagonals [lo, hi], NaN in the padding slots. */
    static Pair bandLayoutCopy(Pair dense, int lo, int hi) {
        int n = dense.n();
        int m = dense.m();
        int w = hi - lo + 1;
        float[] s = dense.scores();
        float[] band = new float[n * w * 3];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < w; c++) {
                int j = i + lo + c;
                for (int k = 0; k < 3; k++) {
                    band[(i * w + c) * 3 + k] = j >= 0 && j < m ? s[(i * m + j) * 3 + k] : Float.NaN;
                }
            }
        }
        return Pair.band(dense.id(), n, m, lo, hi, band);
    }

    static double[] cellMass(float[] mu, int n, int m) {
        double[] cell = new double[n * m];
        for (int c = 0; c < n * m; c++) {
            cell[c] = mu[3 * c] + mu[3 * c + 1] + mu[3 * c + 2];
        }
        return cell;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int k = 0; k < a.length; k++) {
            d[k] = a[k];
        }
        return d;
    }

    /** The result's Viterbi path is a legal path of the mode whose weight is the best weight. */
    static void assertPathIsBest(float[] s, int n, int m, Mode mode, AlignmentResult r, double best, String what) {
        int[] start = r.viterbiStart();
        int[] end = r.viterbiEnd();
        if (mode == Mode.GLOBAL) {
            assertArrayEquals(new int[] {0, 0}, start, what + ": global start");
            assertArrayEquals(new int[] {n - 1, m - 1}, end, what + ": global end");
        }
        double[] weight = {0};
        int[] last = {-1, -1};
        new ViterbiPath(r.viterbiScore(), r.viterbiCigar(), start[0], start[1], end[0], end[1]).forEachStep((i, j, k) -> {
            assertTrue(r.geometry().contains(i, j), what + ": path leaves the band at " + i + "," + j);
            weight[0] += s[(i * m + j) * 3 + k];
            last[0] = i;
            last[1] = j;
        });
        assertArrayEquals(end, last, what + ": CIGAR ends at the end cell");
        assertClose(best, weight[0], 1e-6 * Math.max(1, Math.abs(best)), what + ": path weight");
    }

    static void assertClose(double expected, double actual, double tol, String what) {
        if (!(Math.abs(expected - actual) <= tol) && !(expected == actual)) {
            throw new AssertionError(what + ": expected " + expected + " but was " + actual + " (tolerance " + tol + ")");
        }
    }

    static void assertArrayClose(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        int at = -1;
        for (int k = 0; k < expected.length; k++) {
            double d = Math.abs(expected[k] - actual[k]);
            if (Double.isNaN(d)) {   // (the worst of all: kept, where a later element compared with it would replace it)
                worst = d;
                at = k;
                break;
            }
            if (d > worst) {
                worst = d;
                at = k;
            }
        }
        if (!(worst <= tol)) {
            throw new AssertionError(what + ": max abs error " + worst + " at flat index " + at + " (cell "
                    + (at / 3) + ", step " + (at % 3) + "): expected " + expected[at] + " but was " + actual[at]
                    + " (tolerance " + tol + ")");
        }
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String id, String reason) {
        InvalidPairException e = assertThrows(InvalidPairException.class, call);
        assertEquals(id, e.pairId());
        assertTrue(e.getMessage().startsWith("pair '" + id + "'"), e.getMessage());
        assertTrue(e.getMessage().contains(reason), "message '" + e.getMessage() + "' should contain '" + reason + "'");
    }
}
