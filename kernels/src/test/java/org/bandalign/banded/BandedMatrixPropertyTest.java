package org.bandalign.banded;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.bandalign.banded.DenseOracle.Semiring;
import org.junit.jupiter.api.Test;

/**
 * Seeded random checks of {@link BandedMatrix} against dense oracles and algebraic identities.
 * Padding slots are filled with large garbage so that any leak into a result shows.
 */
class BandedMatrixPropertyTest {

    private static final long SEED = 20_240_611L;
    private static final int TRIALS = 300;
    private static final int MAX_N = 12;
    private static final int MAX_OFFSET = 4;
    private static final int MAX_BATCH = 3;
    private static final float PADDING_GARBAGE = 977f;
    private static final double TOLERANCE = 1e-5;

    private final Random random = new Random(SEED);

    @Test
    void multiply_randomBands_matchesDenseTransposedProduct() {
        checkProducts(Semiring.STANDARD, BandedMatrix::multiply);
    }

    @Test
    void multiplyLog_randomBands_matchesDenseLogSumExp() {
        checkProducts(Semiring.LOG, BandedMatrix::multiplyLog);
    }

    @Test
    void multiplyMax_randomBands_matchesDenseMaxPlus() {
        checkProducts(Semiring.MAX, BandedMatrix::multiplyMax);
    }

    @Test
    void multiply_withTransposedRight_isDenseYTimesX() {
        for (int trial = 0; trial < TRIALS; trial++) {
            Shape shape = randomShape();
            BandedMatrix x = randomMatrix(shape, 0f);
            BandedMatrix y = randomMatrix(shape, 0f);

            BandedMatrix product = x.multiply(y.transpose());

            double[] expected = DenseOracle.product(y.toDense(), x.toDense(), shape.batch, shape.n, Semiring.STANDARD);
            assertDenseClose("trial " + trial + " Y X", expected, product.toDense());
        }
    }

    /** Found by a library user's review: a dense matrix could be brought into band storage only by hand, and no entry read alone. */
    @Test
    void fromDenseAndGet_randomBandsAndShifts_agreeWithToDense() {
        for (int trial = 0; trial < TRIALS; trial++) {
            float fill = trial % 2 == 0 ? 0f : Float.NEGATIVE_INFINITY;
            BandedMatrix x = randomMatrix(randomShape(), fill);
            if (trial % 3 == 0) {   // (negative lu or ld too)
                x = x.bandShift(random.nextInt(2 * MAX_OFFSET + 1) - MAX_OFFSET);
            }
            int batch = x.batch();
            int n = x.n();
            float[] dense = x.toDense();
            BandedMatrix back = BandedMatrix.fromDense(dense, batch, n, x.lu(), x.ld(), fill);
            String label = "trial " + trial + ": " + x;
            assertArrayEquals(dense, back.toDense(), label);
            float[] data = x.data();
            float[] backData = back.data();
            for (int b = 0; b < batch; b++) {
                for (int c = 0; c < n; c++) {
                    for (int k = 0; k < x.width(); k++) {
                        int r = c + k - x.lu();
                        int slot = (b * n + c) * x.width() + k;
                        assertEquals(r >= 0 && r < n ? data[slot] : fill, backData[slot], label + ", slot " + slot + ": padding holds fill");
                    }
                }
                for (int r = 0; r < n; r++) {
                    for (int c = 0; c < n; c++) {
                        assertEquals(dense[(b * n + r) * n + c], x.get(b, r, c), label + " (" + b + ", " + r + ", " + c + ")");
                    }
                }
            }
            BandedMatrix diagonal = BandedMatrix.fromDense(dense, batch, n, 0, 0, fill);
            for (int b = 0; b < batch; b++) {
                for (int r = 0; r < n; r++) {
                    for (int c = 0; c < n; c++) {
                        assertEquals(r == c ? dense[(b * n + r) * n + c] : fill, diagonal.get(b, r, c), label + ": only the main diagonal kept");
                    }
                }
            }
        }
    }

    @Test
    void transpose_twice_restoresDense() {
        for (int trial = 0; trial < TRIALS; trial++) {
            BandedMatrix x = randomMatrix(randomShape(), 0f);

            BandedMatrix transposed = x.transpose();

            assertEquals(x.ld(), transposed.lu(), "lu of the transpose");
            assertEquals(x.lu(), transposed.ld(), "ld of the transpose");
            assertArrayEquals(DenseOracle.transpose(x.toDense(), x.batch(), x.n()), transposed.toDense());
            assertArrayEquals(x.toDense(), transposed.transpose().toDense(), "trial " + trial);
        }
    }

    @Test
    void op_randomBands_followsDenseDefinition() {
        FloatBinaryOperator f = (a, b) -> 2 * a - b;
        for (int trial = 0; trial < TRIALS; trial++) {
            Shape shape = randomShape();
            BandedMatrix x = randomMatrix(shape, 0f);
            BandedMatrix y = randomMatrix(shape, 0f);

            BandedMatrix result = x.op(y, f);

            assertEquals(Math.max(x.lu(), y.lu()), result.lu());
            assertEquals(Math.max(x.ld(), y.ld()), result.ld());
            assertArrayEquals(expectedOp(x, y, f), result.toDense(), "trial " + trial);
        }
    }

    @Test
    void everyOperation_randomInputs_leavesInputsUnmodified() {
        for (int trial = 0; trial < TRIALS; trial++) {
            Shape shape = randomShape();
            BandedMatrix x = randomMatrix(shape, 0f);
            BandedMatrix y = randomMatrix(shape, 0f);
            float[] xData = x.data();
            float[] yData = y.data();
            int t = random.nextInt(7) - 3;

            x.transpose();
            x.op(y, Float::sum);
            x.multiply(y);
            x.multiplyLog(y);
            x.multiplyMax(y);
            x.bandShift(t);
            x.bandPad(Math.abs(t));
            x.colShift(t);
            x.toDense();

            assertArrayEquals(xData, x.data(), "x changed in trial " + trial);
            assertArrayEquals(yData, y.data(), "y changed in trial " + trial);
        }
    }

    @Test
    void bandPad_anyWidth_keepsDenseAndSurroundsDataWithFill() {
        for (int trial = 0; trial < TRIALS; trial++) {
            float fill = random.nextBoolean() ? 0f : Float.NEGATIVE_INFINITY;
            BandedMatrix x = randomMatrix(randomShape(), fill);
            int t = random.nextInt(4);

            BandedMatrix padded = x.bandPad(t);

            assertEquals(x.lu() + t, padded.lu());
            assertEquals(x.ld() + t, padded.ld());
            assertArrayEquals(x.toDense(), padded.toDense(), "trial " + trial);
            assertArrayEquals(expectedPad(x, t), padded.data(), "trial " + trial);
        }
    }

    @Test
    void bandShift_thenInverse_restoresSurvivingSlots() {
        checkShiftRoundTrip(BandedMatrix::bandShift, true);
    }

    @Test
    void colShift_thenInverse_restoresSurvivingRows() {
        checkShiftRoundTrip(BandedMatrix::colShift, false);
    }

    private void checkShiftRoundTrip(Shift shift, boolean alongBand) {
        for (int trial = 0; trial < TRIALS; trial++) {
            BandedMatrix x = randomMatrix(randomShape(), 0f);
            int limit = (alongBand ? x.width() : x.n()) + 1;
            int t = random.nextInt(2 * limit + 1) - limit;

            BandedMatrix restored = shift.apply(shift.apply(x, t), -t);

            assertEquals(x.lu(), restored.lu(), "lu after shifting by " + t + " and back");
            assertEquals(x.ld(), restored.ld(), "ld after shifting by " + t + " and back");
            float[] expected = alongBand ? withLostSlotsFilled(x, t) : withLostRowsFilled(x, t);
            assertArrayEquals(expected, restored.data(), "trial " + trial + ", t = " + t);
        }
    }

    private void checkProducts(Semiring semiring, ProductOperation product) {
        float fill = semiring == Semiring.STANDARD ? 0f : Float.NEGATIVE_INFINITY;
        for (int trial = 0; trial < TRIALS; trial++) {
            Shape shape = randomShape();
            BandedMatrix x = randomMatrix(shape, fill);
            BandedMatrix y = randomMatrix(shape, fill);

            BandedMatrix result = product.apply(x, y);

            assertEquals(x.lu() + y.ld(), result.lu(), "lu of the product");
            assertEquals(x.ld() + y.lu(), result.ld(), "ld of the product");
            assertEquals(fill, result.fill(), "fill of the product");
            float[] yTransposed = DenseOracle.transpose(y.toDense(), shape.batch, shape.n);
            double[] expected = DenseOracle.product(yTransposed, x.toDense(), shape.batch, shape.n, semiring);
            assertDenseClose("trial " + trial + " " + semiring + " " + shape, expected, result.toDense());
        }
    }

    private Shape randomShape() {
        return new Shape(1 + random.nextInt(MAX_BATCH), 1 + random.nextInt(MAX_N));
    }

    /**
     * A matrix with random bands (possibly wider than n), values in [-2, 2) inside the matrix, an
     * occasional -inf for the log and max semirings, and garbage in the padding slots.
     */
    private BandedMatrix randomMatrix(Shape shape, float fill) {
        int lu = random.nextInt(MAX_OFFSET + 1);
        int ld = random.nextInt(MAX_OFFSET + 1);
        int width = lu + ld + 1;
        float[] data = new float[shape.batch * shape.n * width];
        for (int row = 0; row < shape.batch * shape.n; row++) {
            int c = row % shape.n;
            for (int k = 0; k < width; k++) {
                int r = c + k - lu;
                boolean inMatrix = r >= 0 && r < shape.n;
                data[row * width + k] = inMatrix ? randomEntry(fill) : PADDING_GARBAGE + k;
            }
        }
        return BandedMatrix.fromData(data, shape.batch, shape.n, lu, ld, fill);
    }

    private float randomEntry(float fill) {
        if (fill == Float.NEGATIVE_INFINITY && random.nextInt(10) == 0) {
            return Float.NEGATIVE_INFINITY;
        }
        return 4 * random.nextFloat() - 2;
    }

    private static float[] expectedOp(BandedMatrix x, BandedMatrix y, FloatBinaryOperator f) {
        int n = x.n();
        float[] xDense = x.toDense();
        float[] yDense = y.toDense();
        int lu = Math.max(x.lu(), y.lu());
        int ld = Math.max(x.ld(), y.ld());
        float[] expected = new float[xDense.length];
        for (int i = 0; i < expected.length; i++) {
            int r = (i / n) % n;
            int c = i % n;
            boolean inX = DenseOracle.inBand(r, c, x.lu(), x.ld());
            if (DenseOracle.inBand(r, c, y.lu(), y.ld())) {
                expected[i] = f.apply(inX ? xDense[i] : 0f, yDense[i]);
            } else if (inX) {
                expected[i] = xDense[i];
            } else {
                expected[i] = DenseOracle.inBand(r, c, lu, ld) ? 0f : x.fill();
            }
        }
        return expected;
    }

    private static float[] expectedPad(BandedMatrix x, int t) {
        float[] data = x.data();
        int width = x.width();
        int paddedWidth = width + 2 * t;
        float[] expected = new float[x.batch() * x.n() * paddedWidth];
        Arrays.fill(expected, x.fill());
        for (int row = 0; row < x.batch() * x.n(); row++) {
            System.arraycopy(data, row * width, expected, row * paddedWidth + t, width);
        }
        return expected;
    }

    /** x's storage where slots a band shift by t and back loses hold the fill. */
    private static float[] withLostSlotsFilled(BandedMatrix x, int t) {
        float[] expected = x.data();
        int width = x.width();
        for (int i = 0; i < expected.length; i++) {
            int k = i % width;
            boolean survives = t >= 0 ? k >= t : k < width + t;
            if (!survives) {
                expected[i] = x.fill();
            }
        }
        return expected;
    }

    /** x's storage where rows a column shift by t and back loses hold the fill. */
    private static float[] withLostRowsFilled(BandedMatrix x, int t) {
        float[] expected = x.data();
        int width = x.width();
        int n = x.n();
        for (int i = 0; i < expected.length; i++) {
            int c = (i / width) % n;
            boolean survives = t >= 0 ? c >= t : c < n + t;
            if (!survives) {
                expected[i] = x.fill();
            }
        }
        return expected;
    }

    private static void assertDenseClose(String label, double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, label + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            float a = actual[i];
            boolean close = e == Double.NEGATIVE_INFINITY
                    ? a == Float.NEGATIVE_INFINITY
                    : Math.abs(a - e) <= TOLERANCE * Math.max(1.0, Math.abs(e));
            if (!close) {
                fail(String.format("%s: entry %d differs: expected %s, got %s", label, i, e, a));
            }
        }
    }

    @FunctionalInterface
    private interface ProductOperation {
        BandedMatrix apply(BandedMatrix x, BandedMatrix y);
    }

    @FunctionalInterface
    private interface Shift {
        BandedMatrix apply(BandedMatrix x, int t);
    }

    private record Shape(int batch, int n) {
    }
}
