package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Mode;
import org.bandalign.align.Semiring;
import org.junit.jupiter.api.Test;

/** The output rows' sizes and the sparse layout's rule (SPEC section 5: steps with p >= --min-prob). */
class RecordMakerTest {
    private static final long MAX_CELLS = 50_000_000L;   // the default of spark.bandalign.maxCells

    @Test
    void checkOutputSize_longNarrowPairInBandLayout_isRejectedNamingTheSmallerLayouts() {
        // 16000 x 1000 with --band 32: 15,063,944 band cells (the band spans the diagonals 0 to
        // m - n, plus 32 either side), in band-layout rows 15,065 wide
        BandGeometry g = BandGeometry.of(16000, 1000, (1000 - 16000) - 32, 32);
        assertEquals(15_063_944L, g.cells());
        RecordMaker.checkOutputSize("long", g, Layout.DENSE, MAX_CELLS);   // 48 million floats: fine
        InvalidPairException e = assertThrows(InvalidPairException.class,
                () -> RecordMaker.checkOutputSize("long", g, Layout.BAND, MAX_CELLS));
        assertEquals("long", e.pairId());
        assertTrue(e.reason().contains("band layout would hold 723120000 floats"), e.reason());
        assertTrue(e.reason().contains("spark.bandalign.maxCells") && e.reason().contains("dense: 48000000"), e.reason());
        InvalidPairException spark = assertThrows(InvalidPairException.class,
                () -> RecordMaker.checkOutputSize("long", g, Layout.BAND, 1_000_000_000L));
        assertTrue(spark.reason().contains("one Spark value can hold"), spark.reason());
        RecordMaker.checkOutputSize("long", g, Layout.SPARSE, MAX_CELLS);   // known only once aligned
    }

    @Test
    void sparse_minProbZero_keepsEveryStepOfTheBand_andTooManyStepsRejectThePair() {
        BandGeometry g = BandGeometry.of(2, 3, -1, 2);
        float[] mu = new float[2 * 3 * 3];
        mu[0] = 1;   // (0, 0, k = 0)
        AlignmentResult r = AlignmentResult.of("tiny", Mode.GLOBAL, Semiring.LOG, g, 0.0, mu, null);
        List<SparseStep> all = RecordMaker.sparse(r, 0.0, 1000);
        assertEquals(g.cells() * 3, all.size());
        assertEquals(1, RecordMaker.sparse(r, 1e-4, 1000).size());
        InvalidPairException e = assertThrows(InvalidPairException.class, () -> RecordMaker.sparse(r, 0.0, 5));
        assertTrue(e.reason().contains("raise --min-prob"), e.reason());
        // the limit: 3 x maxCells, one Spark value, or the heap at 400 bytes a step, whichever is least
        assertEquals(2_684_354, RecordMaker.sparseStepLimit(50_000_000, 1L << 30));   // a 1 GiB heap
        assertEquals(150, RecordMaker.sparseStepLimit(50, 1L << 30));
        assertEquals((Integer.MAX_VALUE - (16L << 20)) / 48, RecordMaker.sparseStepLimit(Long.MAX_VALUE, Long.MAX_VALUE));
    }

    @Test
    void checkOutputSize_atTheLimits_checksAPairOfExactlyMaxCells_andTakesExactlyThreeFloatsACell() {
        BandGeometry g = BandGeometry.of(16000, 1000, (1000 - 16000) - 32, 32);
        assertThrows(InvalidPairException.class, () -> RecordMaker.checkOutputSize("long", g, Layout.BAND, g.cells()),
                "a pair of exactly maxCells cells is still checked");
        BandGeometry whole = BandGeometry.of(10, 10, -9, 9);
        RecordMaker.checkOutputSize("whole", whole, Layout.DENSE, whole.cells());   // 3 x maxCells floats: fits
        InvalidPairException dense = assertThrows(InvalidPairException.class,
                () -> RecordMaker.checkOutputSize("long", g, Layout.DENSE, 15_100_000));
        assertTrue(dense.reason().contains("dense layout would hold 48000000 floats (16000 rows of 1000 cells, 3 steps each)"),
                dense.reason());
        InvalidPairException band = assertThrows(InvalidPairException.class,
                () -> RecordMaker.checkOutputSize("long", g, Layout.BAND, MAX_CELLS));
        assertTrue(band.reason().contains("(16000 rows of 15065 cells, 3 steps each)") && band.reason().contains("band: 723120000,"),
                band.reason());
    }

    @Test
    void sparse_exactlyTheMostSteps_fit_andOneMoreRejectsThePair() {
        BandGeometry g = BandGeometry.of(2, 3, -1, 2);
        AlignmentResult r = AlignmentResult.of("tiny", Mode.GLOBAL, Semiring.LOG, g, 0.0, new float[2 * 3 * 3], null);
        int all = RecordMaker.sparse(r, 0.0, 1000).size();
        assertEquals(all, RecordMaker.sparse(r, 0.0, all).size());
        assertThrows(InvalidPairException.class, () -> RecordMaker.sparse(r, 0.0, all - 1));
    }
}
