package org.bandalign.banded;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Argument validation, copy semantics and hand-checked examples of {@link BandedMatrix}. */
class BandedMatrixTest {

    private static final float INF = Float.POSITIVE_INFINITY;

    /** The class comment's example: a 3 x 3 tridiagonal matrix. */
    private static BandedMatrix tridiagonal() {
        return BandedMatrix.fromData(new float[] {0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 0f}, 1, 3, 1, 1, 0f);
    }

    @Test
    void fromData_tridiagonal_exposesShapeAndDense() {
        BandedMatrix x = tridiagonal();

        assertEquals(1, x.batch());
        assertEquals(3, x.n());
        assertEquals(1, x.lu());
        assertEquals(1, x.ld());
        assertEquals(3, x.width());
        assertEquals(0f, x.fill());
        assertArrayEquals(new float[] {1f, 3f, 0f, 2f, 4f, 6f, 0f, 5f, 7f}, x.toDense());
    }

    @Test
    void multiply_withTransposedSelf_isDenseSquare() {
        BandedMatrix square = tridiagonal().multiply(tridiagonal().transpose());

        assertEquals(2, square.lu());
        assertEquals(2, square.ld());
        float[] expected = {7f, 15f, 18f, 10f, 52f, 66f, 10f, 55f, 79f};
        assertArrayEquals(expected, square.toDense());
    }

    @Test
    void multiplyLog_largeValues_staysFinite() {
        BandedMatrix x = BandedMatrix.fromData(filled(8, 1000f), 1, 2, 1, 2, Float.NEGATIVE_INFINITY);

        float[] dense = x.multiplyLog(x).toDense();

        for (float value : dense) {
            assertEquals(2000.0 + Math.log(2), value, 1e-3);
        }
    }

    @Test
    void multiplyLog_allMinusInfinity_givesMinusInfinityWithoutNaN() {
        BandedMatrix x = BandedMatrix.fromData(filled(12, Float.NEGATIVE_INFINITY), 2, 2, 1, 1, Float.NEGATIVE_INFINITY);

        for (BandedMatrix result : new BandedMatrix[] {x.multiplyLog(x), x.multiplyMax(x)}) {
            for (float value : result.data()) {
                assertEquals(Float.NEGATIVE_INFINITY, value);
            }
        }
    }

    @Test
    void multiplyLog_positiveInfinityTerms_givesPositiveInfinity() {
        BandedMatrix x = BandedMatrix.fromData(new float[] {INF, INF}, 1, 1, 1, 0, Float.NEGATIVE_INFINITY);

        assertArrayEquals(new float[] {INF}, x.multiplyLog(x).toDense());
    }

    @Test
    void multiplyMax_logAndStandardFill_resultFillFollowsSemiring() {
        BandedMatrix x = tridiagonal();

        assertEquals(0f, x.multiply(x).fill());
        assertEquals(Float.NEGATIVE_INFINITY, x.multiplyLog(x).fill());
        assertEquals(Float.NEGATIVE_INFINITY, x.multiplyMax(x).fill());
    }

    @Test
    void bandShift_pastTheWidth_givesAllFill() {
        BandedMatrix x = BandedMatrix.fromData(filled(9, 5f), 1, 3, 1, 1, -7f);

        assertArrayEquals(filled(9, -7f), x.bandShift(4).data());
        assertArrayEquals(filled(9, -7f), x.colShift(-3).data());
    }

    @Test
    void bandShift_pastTheLowerBand_givesNegativeLdAndMovesStorage() {
        float[] data = new float[12];
        for (int c = 0; c < 4; c++) {
            for (int k = 0; k < 3; k++) {
                data[c * 3 + k] = 10 * c + k;
            }
        }
        BandedMatrix x = BandedMatrix.fromData(data, 1, 4, 1, 1, 0f);

        BandedMatrix shifted = x.bandShift(2);

        assertEquals(3, shifted.lu());
        assertEquals(-1, shifted.ld());
        assertArrayEquals(new float[] {2f, 0f, 0f, 12f, 0f, 0f, 22f, 0f, 0f, 32f, 0f, 0f}, shifted.data());
        float[] dense = new float[16];
        dense[3] = 32f;
        assertArrayEquals(dense, shifted.toDense());
    }

    @Test
    void zeroShiftsAndPad_returnANewEqualMatrix() {
        BandedMatrix x = tridiagonal();

        for (BandedMatrix y : java.util.List.of(x.bandShift(0), x.colShift(0), x.bandPad(0))) {
            assertNotSame(x, y, "SPEC section 3: results are new matrices");
            assertArrayEquals(x.data(), y.data());
            assertEquals(x.lu(), y.lu());
            assertEquals(x.ld(), y.ld());
            assertEquals(x.n(), y.n());
            assertEquals(x.batch(), y.batch());
            assertEquals(x.fill(), y.fill());
        }
    }

    @Test
    void data_mutatingTheReturnedArray_leavesMatrixUnchanged() {
        BandedMatrix x = tridiagonal();

        x.data()[4] = 99f;

        assertEquals(4f, x.data()[4]);
    }

    @Test
    void fromData_mutatingTheSourceArray_leavesMatrixUnchanged() {
        float[] source = filled(9, 1f);
        BandedMatrix x = BandedMatrix.fromData(source, 1, 3, 1, 1, 0f);

        source[4] = 99f;

        assertEquals(1f, x.data()[4]);
    }

    @Test
    void fromData_wrongLength_throwsWithSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BandedMatrix.fromData(new float[8], 1, 3, 1, 1, 0f));

        assertTrue(e.getMessage().contains("length 8"), e.getMessage());
        assertTrue(e.getMessage().contains("= 9"), e.getMessage());
    }

    @Test
    void fromDenseAndGet_badLengthsSizesOrIndices_throwSaying() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BandedMatrix.fromDense(new float[8], 1, 3, 1, 1, 0f));
        assertTrue(e.getMessage().contains("length 8") && e.getMessage().contains("= 9"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BandedMatrix.fromDense(new float[0], 1 << 30, 1 << 30, 0, 0, 0f));
        assertTrue(e.getMessage().contains("more than 2^63"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BandedMatrix.fromDense(new float[9], 1, 3, -2, 0, 0f));
        assertTrue(e.getMessage().contains("the band is empty"), e.getMessage());
        assertThrows(NullPointerException.class, () -> BandedMatrix.fromDense(null, 1, 3, 1, 1, 0f));
        BandedMatrix x = BandedMatrix.fromDense(new float[] {1, 2, 3, 4}, 1, 2, 0, 1, -1f);
        assertEquals(3f, x.get(0, 1, 0));
        assertEquals(-1f, x.get(0, 0, 1), "outside the band: the fill");
        for (int[] bad : new int[][] {{1, 0, 0}, {-1, 0, 0}, {0, 2, 0}, {0, 0, -1}}) {
            assertThrows(IndexOutOfBoundsException.class, () -> x.get(bad[0], bad[1], bad[2]), java.util.Arrays.toString(bad));
        }
    }

    /** A tester's find: 2^30 x 2^30 x 15 wrapped to 0 in a long, so an empty array was taken for it. */
    @Test
    void fromData_sizesPastTheLongRange_areRefusedNotWrapped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BandedMatrix.fromData(new float[0], 1 << 30, 1 << 30, 15, 0, 0f));
        assertTrue(e.getMessage().contains("more than 2^63"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BandedMatrix.fromData(new float[0], 1 << 21, 1 << 21, (1 << 22) - 1, 0, 0f));
    }

    /** No values to compute: no accumulator of the result band's width either (it took 16 GB here). */
    @Test
    void products_ofEmptyBatches_withWideBands_needNoMemory() {
        BandedMatrix z = BandedMatrix.fromData(new float[0], 0, 3, 500_000_000, 500_000_000, 0f);
        for (BandedMatrix p : new BandedMatrix[] {z.multiply(z), z.multiplyLog(z), z.multiplyMax(z)}) {
            assertEquals(0, p.batch());
            assertEquals(1_000_000_000, p.lu());
            assertEquals(0, p.data().length);
        }
    }

    @Test
    void fromData_nullData_throws() {
        assertThrows(NullPointerException.class, () -> BandedMatrix.fromData(null, 1, 3, 1, 1, 0f));
    }

    @Test
    void fromData_negativeBatchOrSize_throws() {
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                () -> BandedMatrix.fromData(new float[0], -1, 3, 1, 1, 0f));
        IllegalArgumentException n = assertThrows(IllegalArgumentException.class,
                () -> BandedMatrix.fromData(new float[0], 1, -3, 1, 1, 0f));

        assertTrue(batch.getMessage().startsWith("batch must be non-negative"), batch.getMessage());
        assertTrue(n.getMessage().startsWith("n must be non-negative"), n.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, -2, -5})
    void fromData_emptyBand_throws(int lu) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BandedMatrix.fromData(new float[0], 1, 3, lu, 0, 0f));

        assertTrue(e.getMessage().contains("band is empty"), e.getMessage());
    }

    @Test
    void fromData_oneNegativeOffsetWithNonEmptyBand_isAccepted() {
        BandedMatrix x = BandedMatrix.fromData(new float[] {1f, 2f, 3f}, 1, 3, -1, 1, 0f);

        assertEquals(1, x.width());
        assertArrayEquals(new float[] {0f, 0f, 0f, 1f, 0f, 0f, 0f, 2f, 0f}, x.toDense());
    }

    @ParameterizedTest
    @ValueSource(strings = {"multiply", "multiplyLog", "multiplyMax", "op"})
    void binaryOperations_mismatchedSize_throw(String operation) {
        BandedMatrix x = tridiagonal();
        BandedMatrix otherSize = BandedMatrix.fromData(new float[12], 1, 4, 1, 1, 0f);
        BandedMatrix otherBatch = BandedMatrix.fromData(new float[18], 2, 3, 1, 1, 0f);
        Function<BandedMatrix, BandedMatrix> call = binaryOperation(x, operation);

        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> call.apply(otherSize));
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class, () -> call.apply(otherBatch));

        assertTrue(size.getMessage().startsWith(operation + " needs equal batch and n"), size.getMessage());
        assertTrue(batch.getMessage().contains("batch=2"), batch.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"multiply", "multiplyLog", "multiplyMax", "op"})
    void binaryOperations_nullOperand_throw(String operation) {
        Function<BandedMatrix, BandedMatrix> call = binaryOperation(tridiagonal(), operation);

        assertThrows(NullPointerException.class, () -> call.apply(null));
    }

    @Test
    void op_nullFunction_throws() {
        BandedMatrix x = tridiagonal();

        assertThrows(NullPointerException.class, () -> x.op(x, null));
    }

    @Test
    void bandPad_negative_throws() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tridiagonal().bandPad(-1));

        assertTrue(e.getMessage().startsWith("t must be non-negative"), e.getMessage());
    }

    @Test
    void shifts_offsetOverflow_throw() {
        int big = Integer.MAX_VALUE - 1;
        BandedMatrix x = BandedMatrix.fromData(new float[] {1f}, 1, 1, big, -big, 0f);

        assertThrows(IllegalArgumentException.class, () -> x.bandShift(10));
        assertThrows(IllegalArgumentException.class, () -> x.colShift(-10));
        assertThrows(IllegalArgumentException.class, () -> x.bandPad(10));
    }

    private static Function<BandedMatrix, BandedMatrix> binaryOperation(BandedMatrix x, String operation) {
        return switch (operation) {
            case "multiply" -> x::multiply;
            case "multiplyLog" -> x::multiplyLog;
            case "multiplyMax" -> x::multiplyMax;
            case "op" -> y -> x.op(y, Float::sum);
            default -> throw new IllegalArgumentException(operation);
        };
    }

    private static float[] filled(int length, float value) {
        float[] array = new float[length];
        Arrays.fill(array, value);
        return array;
    }

    /** The widest band an int offset allows: shifting to exactly Integer.MAX_VALUE is legal. */
    @Test
    void bandShift_toExactlyIntMax_isAllowed() {
        BandedMatrix x = BandedMatrix.fromData(new float[] {1f, 2f}, 1, 2, 0, 0, 0f);
        BandedMatrix y = x.bandShift(Integer.MAX_VALUE);
        assertEquals(Integer.MAX_VALUE, y.lu());
        assertEquals(-Integer.MAX_VALUE, y.ld());
        assertArrayEquals(new float[] {0f, 0f}, y.data());
    }

    /** Log-sum-exp columns of very different magnitude: each column starts its maximum afresh. */
    @Test
    void multiplyLog_columnsOfVeryDifferentMagnitude_eachExact() {
        float ninf = Float.NEGATIVE_INFINITY;
        BandedMatrix x = BandedMatrix.fromData(new float[] {500f, -500f}, 1, 2, 0, 0, ninf);
        BandedMatrix y = BandedMatrix.fromData(new float[] {500f, -500f}, 1, 2, 0, 0, ninf);
        assertArrayEquals(new float[] {1000f, -1000f}, x.multiplyLog(y).data());
    }
}
