package org.bandalign.align;

import static org.bandalign.align.AlignerContractTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The facade's value types on their own (SPEC sections 2 and 6): pairs and their band,
 * band geometry, options, the results' layouts and limits, the wire names the job writes.
 * (A mutation sweep with PIT found these reached only through the contract suite, where
 * several changes to them went unnoticed.)
 */
class AlignApiTest {
    @Test
    void pairDense_diagonalsCoverTheGrid() {
        Pair p = Pair.dense("p", 3, 5, new float[45]);
        assertEquals(-2, p.diagLo());
        assertEquals(4, p.diagHi());
    }

    @Test
    void pairBand_badLengths_throwNamingThePair() {
        assertMessage(() -> Pair.band("b0", 0, 3, -1, 3, new float[0]), "b0", "lengths must be >= 1");
    }

    /** A pair without an id is not called 'null', which an id can be (an adversarial run). */
    @Test
    void invalidPairMessage_withoutAnId_saysSo() {
        assertEquals("pair without an id: id is null", new InvalidPairException(null, "id is null").getMessage());
        assertEquals("pair 'null': n is null", new InvalidPairException("null", "n is null").getMessage());
    }

    /** Regression (an adversarial run): n = m = 2^31 - 1 said "must hold n*m*3 = -4611686031312289789 floats". */
    @Test
    void pairDenseOrBand_sizesPastLongRange_sayTheTrueFloatCount() {
        int big = Integer.MAX_VALUE;
        assertMessage(() -> Pair.dense("d", big, big, new float[3]), "d", "must hold n*m*3 = 13835058042397261827 floats");
        assertMessage(() -> Pair.band("w", big, 1, Integer.MIN_VALUE, big, new float[3]), "w",
                "must hold n*W*3 = 27670116097679425536 floats (W = 4294967296)");
    }

    /** Found by a probe: n*W*3 = 2^64 + 26 wrapped to 26, so 26 floats passed as the scores of that band. */
    @Test
    void pairBand_floatCountThatWrapsPast2To64_isNotTakenForAShortArray() {
        assertMessage(() -> Pair.band("wrap", 2007567422, 1, -2007567421, 1055300915, new float[26]), "wrap",
                "must hold n*W*3 = 18446744073709551642 floats");
    }

    @Test
    void align_bandPairWiderThanItsGrid_isClippedAndKeptDense() {
        try (Aligner cpu = Aligner.cpu(1)) {
            AlignmentResult r = cpu.align(Pair.band("w", 3, 3, -5, 5, new float[3 * 11 * 3]), AlignOptions.defaults());
            assertEquals(-2, r.diagLo());
            assertEquals(2, r.diagHi());
            assertTrue(r.marginalsKeptDense());
        }
    }

    /**
     * Found by a probe: a band of more cells than an int counts gave a negative last start and
     * a wrapped band index, silently; the aligners refuse such pairs first, but the geometry
     * is public.
     */
    @Test
    void bandGeometry_beyondAnIntsCells_refusesToNumberThem() {
        BandGeometry g = BandGeometry.of(50_000, 50_000, -49_999, 49_999);
        assertEquals(2_500_000_000L, g.cells());
        IllegalStateException e = assertThrows(IllegalStateException.class, g::antidiagonalStarts);
        assertTrue(e.getMessage().contains("2500000000 band cells, more than an int index numbers"), e.getMessage());
        assertThrows(ArithmeticException.class, () -> g.bandIndex(49_999, 49_999));
        assertEquals(3 * (7_000 * 99_999 + 42_999), g.bandIndex(7_000, 0));
        int[] starts = BandGeometry.of(46_340, 46_340, -46_339, 46_339).antidiagonalStarts();
        assertEquals(46_340L * 46_340, starts[starts.length - 1], "2147395600 cells: still numbered");
    }

    @Test
    void bandGeometryOf_checksTheBandAndClipsIt() {
        assertThrows(IllegalArgumentException.class, () -> BandGeometry.of(0, 2, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> BandGeometry.of(2, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> BandGeometry.of(3, 5, 1, 3), "misses the start cell");
        assertThrows(IllegalArgumentException.class, () -> BandGeometry.of(3, 5, 0, 1), "misses the end cell");
        assertThrows(IllegalArgumentException.class, () -> BandGeometry.of(5, 3, -1, 0), "misses the end cell");
        assertEquals(1, BandGeometry.of(1, 1, 0, 0).cells());
        BandGeometry g = BandGeometry.of(3, 5, 0, 2);
        assertEquals(0, g.diagLo());
        assertEquals(2, g.diagHi());
        assertFalse(g.isDense());
        assertEquals(-2, BandGeometry.of(5, 3, -2, 0).diagLo());
        BandGeometry clipped = BandGeometry.of(3, 5, -9, 9);
        assertEquals(-2, clipped.diagLo());
        assertEquals(4, clipped.diagHi());
        assertTrue(clipped.isDense());
    }

    @Test
    void bandGeometryContains_cellsJustOutsideTheGrid_areNot() {
        BandGeometry g = BandGeometry.of(3, 5, -2, 4);
        assertFalse(g.contains(3, 3));
        assertFalse(g.contains(1, 5));
        assertTrue(g.contains(2, 4));
    }

    @Test
    void denseToBand_everySlotHoldsItsCellOrZeroOutsideTheGrid() {
        BandGeometry g = BandGeometry.of(4, 6, -1, 3);
        float[] dense = new float[4 * 6 * 3];
        for (int q = 0; q < dense.length; q++) {
            dense[q] = q + 1;
        }
        float[] band = g.denseToBand(dense);
        assertEquals(4 * g.width() * 3, band.length);
        for (int i = 0; i < 4; i++) {
            for (int c = 0; c < g.width(); c++) {
                int j = i + g.diagLo() + c;   // SPEC section 2
                for (int k = 0; k < 3; k++) {
                    float want = j >= 0 && j < 6 ? dense[(i * 6 + j) * 3 + k] : 0f;
                    assertEquals(want, band[(i * g.width() + c) * 3 + k], "i=" + i + " c=" + c + " k=" + k);
                }
            }
        }
        BandGeometry diagonal = BandGeometry.of(3, 3, 0, 0);   // one cell a row
        float[] d = new float[27];
        for (int q = 0; q < 27; q++) {
            d[q] = q + 1;
        }
        float[] b = diagonal.denseToBand(d);
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 3; k++) {
                assertEquals(d[(i * 3 + i) * 3 + k], b[i * 3 + k]);
            }
        }
    }

    @Test
    void results_keptLayoutAndAccessors_followTheOptions() {
        try (Aligner cpu = Aligner.cpu(1)) {
            AlignmentResult r = cpu.align(Pair.dense("ok", 3, 4, new float[36]),
                    AlignOptions.builder().mode(Mode.LOCAL).semiring(Semiring.BOTH).build());
            assertEquals(3, r.n());
            assertEquals(4, r.m());
            assertEquals(Mode.LOCAL, r.mode());
            assertEquals(Semiring.BOTH, r.semiring());
            assertTrue(r.hasLogPartition() && r.hasViterbi());
            assertTrue(r.marginalsKeptDense(), "no band: kept dense");
            AlignmentResult banded = cpu.align(Pair.dense("b", 6, 6, new float[108]), AlignOptions.builder().band(1).build());
            assertFalse(banded.marginalsKeptDense(), "a band: kept in band layout");
        }
    }

    @Test
    void marginalsBand_ofATallDensePair_tooLargeForThatPairOnly() {
        int n = 30_000;
        try (Aligner cpu = Aligner.cpu(1)) {
            AlignmentResult r = cpu.align(Pair.dense("tall", n, 1, new float[n * 3]), AlignOptions.defaults());
            assertMessage(r::marginalsBand, "tall", "too large for band layout");
            assertEquals(3 * n, r.marginalsDense().length, "the dense layout still works");
        }
    }

    @Test
    void viterbiIndicatorDense_ofALongBandedPair_tooLargeForThatPairOnly() {
        int n = 30_000;
        int w = 2;
        try (Aligner cpu = Aligner.cpu(1)) {
            AlignmentResult r = cpu.align(Pair.band("long", n, n, -w, w, new float[n * (2 * w + 1) * 3]),
                    AlignOptions.builder().semiring(Semiring.MAX).build());
            assertMessage(r::viterbiIndicatorDense, "long", "too large for dense layout");
            float[] band = r.viterbiIndicatorBand();
            assertArrayEquals(r.marginalsBand(), band, "in the max semiring the marginals are the path's indicator");
            long[] steps = {0};
            r.viterbiPath().forEachStep((i, j, k) -> {
                assertEquals(1f, band[r.geometry().bandIndex(i, j) + k]);
                steps[0]++;
            });
            double ones = 0;
            for (float v : band) {
                ones += v;
            }
            assertEquals(n, steps[0], "a path of steps along the diagonal of zeros: n cells");
            assertEquals(steps[0], ones, "one 1 a cell of the path, nothing else");
        }
    }

    /** Found by a library user's review: the band indicator of a "both" result, and the path itself, had no accessor. */
    @Test
    void viterbiIndicatorBand_ofABothResult_isTheDenseIndicatorInBandLayout() {
        java.util.Random random = new java.util.Random(7);
        float[] s = new float[5 * 7 * 3];
        for (int k = 0; k < s.length; k++) {
            s[k] = random.nextFloat();
        }
        try (Aligner cpu = Aligner.cpu(1)) {
            for (Mode mode : Mode.values()) {
                AlignmentResult r = cpu.align(Pair.dense("p", 5, 7, s), AlignOptions.builder().mode(mode).semiring(Semiring.BOTH).band(1).build());
                assertArrayEquals(r.viterbiIndicatorDense(), r.geometry().bandToDense(r.viterbiIndicatorBand()), mode.wireName());
                assertEquals(r.viterbiCigar(), r.viterbiPath().cigar());
                assertArrayEquals(r.viterbiStart(), r.viterbiPath().start());
            }
            AlignmentResult logOnly = cpu.align(Pair.dense("p", 5, 7, s), AlignOptions.defaults());
            assertThrows(IllegalStateException.class, logOnly::viterbiIndicatorBand);
            assertThrows(IllegalStateException.class, logOnly::viterbiPath);
        }
    }

    /** Found by a library user's review: a long pair's result printed its whole CIGAR, 400,000 characters. */
    @Test
    void toString_ofALongPath_cutsItsCigar() {
        int n = 30_000;
        float[] s = new float[n * 5 * 3];
        for (int i = 0; i < n; i++) {
            s[(i * 5 + (i % 2 == 0 ? 3 : 1)) * 3 + (i % 2 == 0 ? 0 : 2)] = 1;   // (zigzag: a CIGAR of many short runs)
        }
        try (Aligner cpu = Aligner.cpu(1)) {
            AlignmentResult r = cpu.align(Pair.band("long", n, n, -2, 2, s), AlignOptions.builder().semiring(Semiring.MAX).build());
            assertTrue(r.viterbiCigar().length() > 64, r.viterbiCigar().length() + " characters");
            String shown = r.toString();
            assertTrue(shown.length() < 300 && shown.contains(r.viterbiCigar().substring(0, 64) + "...(" + r.viterbiCigar().length()
                    + " characters)"), shown);
            AlignmentResult small = cpu.align(Pair.dense("small", 2, 2, new float[12]), AlignOptions.builder().semiring(Semiring.MAX).build());
            assertTrue(small.toString().contains(" " + small.viterbiCigar() + " from"), small.toString());
        }
    }

    @Test
    void bandGeometry_equalsByGridAndBandAfterClipping() {
        assertEquals(BandGeometry.of(3, 4, -1, 2), BandGeometry.of(3, 4, -1, 2));
        assertEquals(BandGeometry.of(3, 4, -1, 2).hashCode(), BandGeometry.of(3, 4, -1, 2).hashCode());
        assertEquals(BandGeometry.of(3, 4, -2, 3), BandGeometry.of(3, 4, -9, 9), "both clip to the whole grid");
        assertNotEquals(BandGeometry.of(3, 4, -1, 2), BandGeometry.of(3, 4, -1, 3));
        assertNotEquals(BandGeometry.of(3, 4, -1, 2), BandGeometry.of(4, 4, -1, 2));
        assertNotEquals(BandGeometry.of(3, 4, -1, 2), "3 x 4 band [-1, 2]");
    }

    /**
     * Found by a probe: the public conversions computed n*m*3 in int, so a large pair's dense
     * form wrapped (a negative or short array); a CIGAR ending in a count threw
     * StringIndexOutOfBoundsException.
     */
    @Test
    void publicConversions_arraysPastJavasLimit_orACigarEndingInACount_saySo() {
        int n = 30_000;
        BandGeometry g = BandGeometry.of(Pair.band("long", n, n, -2, 2, new float[n * 5 * 3]), AlignOptions.defaults());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.bandToDense(new float[n * 5 * 3]));
        assertTrue(e.getMessage().contains("needs 2700000000 floats, more than one Java array holds"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ViterbiPath(0, "1M", 0, 0, 0, 0).indicatorDense(n, n));
        float[] dense = new ViterbiPath(0, "1M1D", 0, 0, 0, 1).indicatorDense(1, 2);
        assertEquals(1f, dense[1]);
        assertEquals(1f, dense[3]);
        assertEquals("2147483647M", new ViterbiPath(0, "2147483647M", 0, 0, 2147483646, 2147483646).cigar());
        for (String bad : new String[] {"2M3", "not-a-cigar", "M", "0M", "2M00I", "2X", "-1M", "", "2147483648M", "1M 1D"}) {
            assertEquals("not a CIGAR of M, I and D runs: '" + bad + "'",
                    assertThrows(IllegalArgumentException.class, () -> new ViterbiPath(0, bad, 0, 0, 1, 1)).getMessage(), bad);
        }
    }

    /** A path whose steps do not lead from its start to its end is refused, naming both (an engine's traceback astray). */
    @Test
    void viterbiPath_stepsThatDoNotLeadFromStartToEnd_areRefusedSayingWhere() {
        new ViterbiPath(0, "1M1I1M1D", 3, 4, 5, 6);   // (3,4) M -> I (4,4) -> M (5,5) -> D (5,6)
        assertEquals("the CIGAR '1M1I1M1D' leads from (3, 4) to (5, 6), not to its end (5, 5)",
                assertThrows(IllegalArgumentException.class, () -> new ViterbiPath(0, "1M1I1M1D", 3, 4, 5, 5)).getMessage());
        assertEquals("the CIGAR '1I2M' does not begin with M, the start",
                assertThrows(IllegalArgumentException.class, () -> new ViterbiPath(0, "1I2M", 0, 0, 2, 1)).getMessage());
        assertEquals("the CIGAR '1M' starts outside the grid, at (-1, 0)",
                assertThrows(IllegalArgumentException.class, () -> new ViterbiPath(0, "1M", -1, 0, -1, 0)).getMessage());
        // counts whose sum passes int: the end is compared in long, not wrapped round
        assertThrows(IllegalArgumentException.class, () -> new ViterbiPath(0, "2147483647M2147483647I", 0, 0, -3, 2147483646));
    }

    /** A backend's result whose parts disagree with the semirings that ran is refused (found by a review). */
    @Test
    void alignmentResultOf_partsThatDisagreeWithTheSemiring_areRefused() {
        BandGeometry g = BandGeometry.of(1, 1, 0, 0);
        ViterbiPath path = new ViterbiPath(0.5, "1M", 0, 0, 0, 0);
        AlignmentResult both = AlignmentResult.of("ok", Mode.GLOBAL, Semiring.BOTH, g, 0.5, new float[3], path);
        assertTrue(both.hasLogPartition() && both.hasViterbi());
        AlignmentResult max = AlignmentResult.of("ok", Mode.GLOBAL, Semiring.MAX, g, Double.NaN, new float[3], path);
        assertTrue(!max.hasLogPartition() && max.hasViterbi());
        assertThrows(IllegalArgumentException.class, () -> AlignmentResult.of("x", Mode.GLOBAL, Semiring.LOG, g, Double.NaN, new float[3], null),
                "log ran, log Z NaN");
        assertThrows(IllegalArgumentException.class, () -> AlignmentResult.of("x", Mode.GLOBAL, Semiring.MAX, g, 0.5, new float[3], path),
                "log did not run, log Z given");
        assertThrows(IllegalArgumentException.class, () -> AlignmentResult.of("x", Mode.GLOBAL, Semiring.BOTH, g, 0.5, new float[3], null),
                "max ran, no path");
        assertThrows(IllegalArgumentException.class, () -> AlignmentResult.of("x", Mode.GLOBAL, Semiring.LOG, g, 0.5, new float[3], path),
                "max did not run, a path");
        // paths astray (a review's: a traceback's start derived from its end always "leads" there)
        BandGeometry two = BandGeometry.of(2, 2, -1, 1);
        ViterbiPath fromTheSide = new ViterbiPath(1, "1M1D", 1, 0, 1, 1);
        assertEquals("a global Viterbi path from (1, 0) to (1, 1), not from (0, 0) to (1, 1)",
                assertThrows(IllegalArgumentException.class, () -> AlignmentResult.of("x", Mode.GLOBAL, Semiring.MAX, two,
                        Double.NaN, new float[12], fromTheSide)).getMessage());
        assertTrue(AlignmentResult.of("x", Mode.LOCAL, Semiring.MAX, two, Double.NaN, new float[12], fromTheSide).hasViterbi(),
                "a local path may start and end anywhere in the band");
        BandGeometry diagonal = BandGeometry.of(3, 3, 0, 0);
        assertEquals("a Viterbi path '1M1D1I1M' through (0, 1), outside " + diagonal,
                assertThrows(IllegalArgumentException.class, () -> AlignmentResult.of("x", Mode.GLOBAL, Semiring.MAX, diagonal,
                        Double.NaN, new float[9], new ViterbiPath(1, "1M1D1I1M", 0, 0, 2, 2))).getMessage());
        AlignmentResult.of("x", Mode.GLOBAL, Semiring.MAX, diagonal, Double.NaN, new float[9], new ViterbiPath(1, "3M", 0, 0, 2, 2));
        assertEquals("geometry", assertThrows(NullPointerException.class,
                () -> AlignmentResult.of("x", Mode.GLOBAL, Semiring.LOG, null, 0.5, new float[3], null)).getMessage());
    }

    @Test
    void alignOptions_equalityCoversEveryField_andMaxCellsOneIsAllowed() {
        AlignOptions a = AlignOptions.builder().mode(Mode.LOCAL).semiring(Semiring.MAX).band(3).maxCells(7).build();
        AlignOptions b = a.toBuilder().build();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, a.toBuilder().mode(Mode.GLOBAL).build());
        assertNotEquals(a, a.toBuilder().semiring(Semiring.LOG).build());
        assertNotEquals(a, a.toBuilder().band(4).build());
        assertNotEquals(a, a.toBuilder().maxCells(8).build());
        assertNotEquals(a, "x");
        assertEquals(1, AlignOptions.builder().maxCells(1).build().maxCells());
    }

    @Test
    void badScores_oneCellRowsWholeBadRowsAndBandLayout_nameTheCell() {
        try (Aligner cpu = Aligner.cpu(1)) {
            float[] s = new float[27];
            s[(1 * 3 + 1) * 3] = Float.NaN;   // band 0: one cell a row
            assertMessage(() -> cpu.align(Pair.dense("diag", 3, 3, s), AlignOptions.builder().band(0).build()), "diag",
                    "S[1][1][0] is NaN");
            assertMessage(() -> cpu.align(Pair.dense("one", 1, 1, new float[] {Float.NaN, Float.NaN, Float.NaN}),
                    AlignOptions.defaults()), "one", "S[0][0][0] is NaN");
            float[] b = new float[3 * 4 * 3];
            b[((2 * 4) + 2) * 3 + 2] = Float.NaN;   // row 2, slot 2 of band [-1, 2]: cell (2, 3), step 2
            assertMessage(() -> cpu.align(Pair.band("bl", 3, 4, -1, 2, b), AlignOptions.defaults()), "bl", "S[2][3][2] is NaN");
        }
    }

    @Test
    void wireNames_areTheCommandLineAndParquetNames() {
        assertEquals("global", Mode.GLOBAL.wireName());
        assertEquals("local", Mode.LOCAL.wireName());
        assertEquals("log", Semiring.LOG.wireName());
        assertEquals("max", Semiring.MAX.wireName());
        assertEquals("both", Semiring.BOTH.wireName());
    }

    @Test
    void checkSize_pairsNoJavaArrayHolds_areRefusedByMarginalsOrByCells() {
        Pair tiny = Pair.dense("big", 1, 1, new float[3]);   // (only its id is used)
        // a long narrow band-layout pair: 870 million marginal floats for 29 million cells
        InvalidPairException floats = assertThrows(InvalidPairException.class,
                () -> PairChecks.checkSize(tiny, BandGeometry.of(30000, 1000, -29000, 0), AlignOptions.defaults()));
        assertTrue(floats.reason().contains("2610090000 marginal floats, more than one Java array holds"), floats.reason());
        // 600 million cells in a band 1001 wide: their 1.8 billion marginal floats fit in an array,
        // but in local mode not the CPU engine's 4 forward weights a cell; the reason says which
        // (found by a review: it named the marginal floats, fewer than an array holds, and it
        // refused global mode too, whose 3 weights a cell fit as the marginals do)
        AlignOptions roomy = AlignOptions.builder().maxCells(1_000_000_000L).build();
        AlignOptions roomyLocal = AlignOptions.builder().maxCells(1_000_000_000L).mode(Mode.LOCAL).build();
        BandGeometry wide = BandGeometry.of(600_000, 600_000, -500, 500);
        assertTrue((long) wide.n() * wide.width() * 3 < Integer.MAX_VALUE && 4 * wide.cells() > Integer.MAX_VALUE);
        InvalidPairException cells = assertThrows(InvalidPairException.class, () -> PairChecks.checkSize(tiny, wide, roomyLocal));
        assertTrue(cells.reason().contains(wide.cells() + " band cells, whose 4 forward weights each in local mode ("
                + 4 * wide.cells() + ") are more than one Java array holds"), cells.reason());
        PairChecks.checkSize(tiny, wide, roomy);   // (global mode: fits)
        PairChecks.checkSize(tiny, BandGeometry.of(20000, 1000, -19000, 0), AlignOptions.defaults());   // 1.14 billion floats: fine
    }

    /**
     * Found by a probe: the public conversions took an array of the wrong length, or a path
     * that leaves the grid, with an ArrayIndexOutOfBoundsException (or a silently shorter copy);
     * they now say what was wrong. A failed result needs its error.
     */
    @Test
    void conversions_wrongLengthOrPathOffTheGrid_areRefusedSayingSo() {
        BandGeometry g = BandGeometry.of(4, 5, -1, 2);
        assertEquals("a dense array of 4 x 5 band [-1, 2] holds 60 floats, not 59",
                assertThrows(IllegalArgumentException.class, () -> g.denseToBand(new float[59])).getMessage());
        assertEquals("a dense array of 4 x 5 band [-1, 2] holds 60 floats, not 61",
                assertThrows(IllegalArgumentException.class, () -> g.denseToBand(new float[61])).getMessage());
        assertEquals("a band-layout array of 4 x 5 band [-1, 2] holds 48 floats, not 47",
                assertThrows(IllegalArgumentException.class, () -> g.bandToDense(new float[47])).getMessage());
        assertEquals(60, g.bandToDense(new float[48]).length);
        assertEquals("the path 5M from (0, 0) leaves the 2 x 2 grid at (2, 2)",
                assertThrows(IllegalArgumentException.class, () -> new ViterbiPath(0, "5M", 0, 0, 4, 4).indicatorDense(2, 2)).getMessage());
        assertEquals(12, new ViterbiPath(0, "2M", 0, 0, 1, 1).indicatorDense(2, 2).length);
        assertThrows(NullPointerException.class, () -> AlignmentResult.failed(null));
    }
}
