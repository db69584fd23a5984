package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The output rows: their sizes, their fields, and the sparse layout's rule (SPEC section 5: steps with p >= --min-prob). */
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
    void sparseSteps_minProbZero_keepsEveryStepOfTheBand_andTooManyStepsRejectThePair() {
        BandGeometry g = BandGeometry.of(2, 3, -1, 2);
        float[] mu = new float[2 * 3 * 3];
        mu[0] = 1;   // (0, 0, k = 0)
        AlignmentResult r = AlignmentResult.of("tiny", Mode.GLOBAL, Semiring.LOG, g, 0.0, mu, null);
        assertEquals(g.cells() * 3, RecordMaker.sparseSteps(r, 0.0, 1000));
        assertEquals(1, RecordMaker.sparseSteps(r, 1e-4, 1000));
        InvalidPairException e = assertThrows(InvalidPairException.class, () -> RecordMaker.sparseSteps(r, 0.0, 5));
        assertTrue(e.reason().startsWith("18 of its steps have a marginal of at least --min-prob 0.0, more than the 5 its sparse "
                + "row can hold (") && e.reason().endsWith("raise --min-prob"), e.reason());
        // the limit: 3 x maxCells, one Spark value, or the heap at 400 bytes a step, whichever is least
        assertEquals(2_684_354, RecordMaker.sparseStepLimit(50_000_000, 1L << 30));   // a 1 GiB heap
        assertEquals(150, RecordMaker.sparseStepLimit(50, 1L << 30));
        assertEquals((Integer.MAX_VALUE - (16L << 20)) / 48, RecordMaker.sparseStepLimit(Long.MAX_VALUE, Long.MAX_VALUE));
    }

    /**
     * The row of a real result (a 5 x 7 pair in a band, both semirings) in each layout: every
     * field as {@link OutputColumns#schema} has it, the marginals exactly the engine's floats, the
     * sparse steps those of at least --min-prob in row-major order, and the row in one buffer of
     * exactly its size.
     */
    @ParameterizedTest
    @CsvSource({"DENSE, false", "BAND, false", "DENSE, true", "BAND, true", "SPARSE, false"})
    void record_eachLayout_holdsTheResultAsTheSchemaSays(Layout layout, boolean packed) {
        float[] scores = new float[5 * 7 * 3];
        java.util.Random random = new java.util.Random(11);
        for (int q = 0; q < scores.length; q++) {
            scores[q] = (float) random.nextGaussian();
        }
        JobOptions options = new JobOptions(Mode.GLOBAL, Semiring.BOTH, 3, layout, 0.05, packed, Backend.CPU, false, 1000, 10,
                MAX_CELLS, 1, 1, 0, false);
        AlignmentResult r = Aligner.cpu(1).alignAll(List.of(Pair.dense("p-7", 5, 7, scores)), options.alignOptions()).get(0);
        BandGeometry g = r.geometry();
        UnsafeRow row = RecordMaker.record(r, false, options);

        assertEquals(OutputColumns.COUNT, row.numFields());
        assertEquals(((byte[]) row.getBaseObject()).length, row.getSizeInBytes(), "one buffer of exactly the row's size");
        assertEquals("p-7", row.getUTF8String(OutputColumns.ID).toString());
        assertEquals(List.of(5, 7, -3, 5), List.of(row.getInt(OutputColumns.N), row.getInt(OutputColumns.M),
                row.getInt(OutputColumns.DIAG_LO), row.getInt(OutputColumns.DIAG_HI)));
        assertEquals("global", row.getUTF8String(OutputColumns.MODE).toString());
        assertEquals(layout.wireName(), row.getUTF8String(OutputColumns.LAYOUT).toString());
        assertEquals(r.logPartition(), row.getDouble(OutputColumns.LOG_PARTITION));
        assertEquals(r.viterbiScore(), row.getDouble(OutputColumns.VITERBI_SCORE));
        assertEquals(r.viterbiCigar(), row.getUTF8String(OutputColumns.VITERBI_CIGAR).toString());
        assertEquals(List.of(r.viterbiStart()[0], r.viterbiStart()[1], r.viterbiEnd()[0], r.viterbiEnd()[1]),
                List.of(row.getInt(OutputColumns.VITERBI_START_I), row.getInt(OutputColumns.VITERBI_START_J),
                        row.getInt(OutputColumns.VITERBI_END_I), row.getInt(OutputColumns.VITERBI_END_J)));

        if (layout == Layout.SPARSE) {
            assertTrue(row.isNullAt(OutputColumns.MARGINALS));
            List<String> expected = new ArrayList<>();
            float[] mu = r.marginalsDense();
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 7; j++) {
                    for (int k = 0; k < 3; k++) {
                        if (g.contains(i, j) && mu[(i * 7 + j) * 3 + k] >= 0.05) {
                            expected.add(i + "," + j + "," + k + "," + mu[(i * 7 + j) * 3 + k]);
                        }
                    }
                }
            }
            ArrayData steps = row.getArray(OutputColumns.SPARSE);
            List<String> actual = new ArrayList<>();
            for (int e = 0; e < steps.numElements(); e++) {
                InternalRow step = steps.getStruct(e, 4);
                actual.add(step.getInt(0) + "," + step.getInt(1) + "," + step.getInt(2) + "," + step.getFloat(3));
            }
            assertTrue(expected.size() > 5 && expected.size() < g.cells() * 3, "some steps kept, some not: " + expected.size());
            assertEquals(expected, actual);
        } else {
            assertTrue(row.isNullAt(OutputColumns.SPARSE));
            float[] mu = layout == Layout.DENSE ? r.marginalsDense() : r.marginalsBand();
            float[] written = packed ? PairDecoder.unpack(row.getBinary(OutputColumns.MARGINALS))
                    : row.getArray(OutputColumns.MARGINALS).toFloatArray();
            assertArrayEquals(mu, written);
        }
    }

    /**
     * A task's small rows are built one after another in its one buffer, each valid until the
     * next; a row larger than that buffer takes one of its own, of its exact size.
     */
    @org.junit.jupiter.api.Test
    void record_inARowBuffer_smallRowsShareIt_largeOnesGetTheirOwn() {
        JobOptions options = new JobOptions(Mode.GLOBAL, Semiring.LOG, -1, null, 1e-4, false, Backend.CPU, false, 1000, 10,
                MAX_CELLS, 1, 1, 0, false);
        RecordMaker.RowBuffer buffer = new RecordMaker.RowBuffer();
        float[] one = new float[2 * 3 * 3];
        java.util.Arrays.fill(one, 0.25f);
        UnsafeRow first = RecordMaker.record(AlignmentResult.of("one", Mode.GLOBAL, Semiring.LOG, BandGeometry.of(2, 3, -1, 2), -1.5,
                one, null), false, options, buffer);
        UnsafeRow kept = first.copy();
        UnsafeRow second = RecordMaker.record(AlignmentResult.of("two", Mode.GLOBAL, Semiring.LOG, BandGeometry.of(1, 1, 0, 0), 2.5,
                new float[] {1, 0, 0}, null), false, options, buffer);
        assertSame(first.getBaseObject(), second.getBaseObject(), "the same buffer");
        assertEquals("two", second.getUTF8String(OutputColumns.ID).toString());
        assertArrayEquals(new float[] {1, 0, 0}, second.getArray(OutputColumns.MARGINALS).toFloatArray());
        assertEquals(2.5, second.getDouble(OutputColumns.LOG_PARTITION));
        assertEquals("one", kept.getUTF8String(OutputColumns.ID).toString());
        assertArrayEquals(one, kept.getArray(OutputColumns.MARGINALS).toFloatArray());
        assertEquals(RecordMaker.record(AlignmentResult.of("two", Mode.GLOBAL, Semiring.LOG, BandGeometry.of(1, 1, 0, 0), 2.5,
                new float[] {1, 0, 0}, null), false, options), second, "the same row as in a buffer of its own");

        int side = 300;   // 1.08 MB of marginals: more than the shared buffer holds
        float[] large = new float[side * side * 3];
        large[7] = 0.5f;
        UnsafeRow big = RecordMaker.record(AlignmentResult.of("big", Mode.GLOBAL, Semiring.LOG,
                BandGeometry.of(side, side, -(side - 1), side - 1), 0.0, large, null), false, options, buffer);
        assertTrue(large.length * 4L > RecordMaker.RowBuffer.SHARED_BYTES);
        assertTrue(big.getBaseObject() != second.getBaseObject());
        assertEquals(((byte[]) big.getBaseObject()).length, big.getSizeInBytes(), "a buffer of exactly its size");
        assertArrayEquals(large, big.getArray(OutputColumns.MARGINALS).toFloatArray());
    }

    /** Without the max semiring the Viterbi fields are null; without the log one, log Z is. */
    @ParameterizedTest
    @CsvSource({"LOG", "MAX"})
    void record_oneSemiring_leavesTheOthersFieldsNull(Semiring semiring) {
        JobOptions options = new JobOptions(Mode.LOCAL, semiring, -1, null, 1e-4, false, Backend.CPU, false, 1000, 10,
                MAX_CELLS, 1, 1, 0, false);
        AlignmentResult r = Aligner.cpu(1).alignAll(List.of(Pair.dense("one", 2, 3, new float[18])), options.alignOptions())
                .get(0);
        UnsafeRow row = RecordMaker.record(r, false, options);
        assertEquals(semiring == Semiring.MAX, row.isNullAt(OutputColumns.LOG_PARTITION));
        for (int f = OutputColumns.VITERBI_SCORE; f <= OutputColumns.VITERBI_END_J; f++) {
            assertEquals(semiring == Semiring.LOG, row.isNullAt(f), "field " + f);
        }
        assertEquals("local", row.getUTF8String(OutputColumns.MODE).toString());
        assertEquals(18, row.getArray(OutputColumns.MARGINALS).numElements());
        assertEquals(((byte[]) row.getBaseObject()).length, row.getSizeInBytes());
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
    void sparseSteps_exactlyTheMostSteps_fit_andOneMoreRejectsThePair() {
        BandGeometry g = BandGeometry.of(2, 3, -1, 2);
        AlignmentResult r = AlignmentResult.of("tiny", Mode.GLOBAL, Semiring.LOG, g, 0.0, new float[2 * 3 * 3], null);
        long all = RecordMaker.sparseSteps(r, 0.0, 1000);
        assertEquals(all, RecordMaker.sparseSteps(r, 0.0, all));
        assertThrows(InvalidPairException.class, () -> RecordMaker.sparseSteps(r, 0.0, all - 1));
    }
}
