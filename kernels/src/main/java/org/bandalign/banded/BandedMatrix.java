package org.bandalign.banded;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable batch of square {@code n x n} banded matrices, stored exactly as genbmm's
 * {@code BandedMatrix} stores them (SPEC section 3).
 *
 * <p>Each matrix keeps {@code lu} diagonals above the main one and {@code ld} below it. The
 * storage {@code data[b][c][k]}, of shape {@code (batch, n, width)} with
 * {@code width = lu + ld + 1}, holds {@code dense[b][c + k - lu][c]}: row {@code c} of the storage
 * is column {@code c} of the dense matrix, and its slot {@code k} is the entry of diagonal
 * {@code k - lu} (negative above the main diagonal). Slots that map outside the matrix are
 * <em>padding</em>: operations that build fresh storage put {@link #fill()} there, while
 * {@link #fromData}, {@link #op}, {@link #bandShift} and {@link #colShift} carry whatever the
 * source held, as genbmm does. {@link #toDense()} and the products never read padding, but
 * {@link #bandShift} and {@link #colShift} can move it into the matrix, as genbmm's do.
 *
 * <p>{@code fill} is the value of every entry outside the band: 0 for the standard semiring, -inf
 * for the log and max semirings. {@code lu} or {@code ld} may be negative (genbmm's
 * {@code band_shift} produces such bands) as long as the band keeps at least one diagonal, that is
 * {@code lu + ld >= 0}.
 *
 * <p>A null argument (data, the other matrix, a function) is a {@link NullPointerException}
 * naming it.
 *
 * <p>Every operation works on each batch element independently and returns a new matrix (also
 * for a zero shift or pad); no operation modifies its operands. Products accumulate in {@code double} and round to
 * {@code float} once. {@code x.multiply(y)} follows genbmm's convention and computes
 * {@code Y^T X}, in time {@code O(batch * n * x.width() * y.width())}. As in genbmm, the products
 * take the entries outside an operand's band as the semiring's zero (0, or -inf for the log and
 * max products), whatever the operand's {@code fill}: they sum over the band entries alone, not
 * over the {@link #toDense()} matrices (which differ where a fill is not that zero).
 *
 * <pre>{@code
 * // One 3 x 3 tridiagonal matrix: lu = ld = 1, rows of data are the dense columns.
 * BandedMatrix x = BandedMatrix.fromData(new float[] {
 *         0f, 1f, 2f,    // column 0: (padding), dense[0][0], dense[1][0]
 *         3f, 4f, 5f,    // column 1: dense[0][1], dense[1][1], dense[2][1]
 *         6f, 7f, 0f},   // column 2: dense[1][2], dense[2][2], (padding)
 *         1, 3, 1, 1, 0f);
 * BandedMatrix square = x.multiply(x.transpose()); // X X, lu = ld = 2
 * float[] dense = square.toDense();                // 3 * 3 entries, row-major
 * }</pre>
 */
public final class BandedMatrix {

    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final float[] data;
    private final int batch;
    private final int n;
    private final int lu;
    private final int ld;
    private final int width;
    private final float fill;

    /** A new matrix equal to this one (sharing the storage, which no matrix ever writes or hands out). */
    private BandedMatrix same() {
        return new BandedMatrix(data, batch, n, lu, ld, fill);
    }

    private BandedMatrix(float[] data, int batch, int n, int lu, int ld, float fill) {
        this.data = data;
        this.batch = batch;
        this.n = n;
        this.lu = lu;
        this.ld = ld;
        this.width = lu + ld + 1;
        this.fill = fill;
    }

    /**
     * Wraps a copy of {@code data}, laid out as {@code data[b][c][k]} (see the class comment).
     * Padding slots are kept as given.
     *
     * @param data  {@code batch * n * (lu + ld + 1)} values; copied
     * @param batch number of matrices, at least 0
     * @param n     size of each square matrix, at least 0
     * @param lu    number of diagonals above the main one
     * @param ld    number of diagonals below the main one; {@code lu + ld} must be at least 0
     * @param fill  value of the entries outside the band
     * @return the banded matrix
     * @throws IllegalArgumentException if a size is negative, the band is empty, or the length of
     *                                  {@code data} does not match
     */
    public static BandedMatrix fromData(float[] data, int batch, int n, int lu, int ld, float fill) {
        Objects.requireNonNull(data, "data must not be null");
        requireNonNegative("batch", batch);
        requireNonNegative("n", n);
        requireLength(data, "data", "(lu + ld + 1)", batch, n, checkedWidth(lu, ld));
        return new BandedMatrix(data.clone(), batch, n, lu, ld, fill);
    }

    /**
     * The band of dense matrices: keeps their entries on the {@code lu} diagonals above and the
     * {@code ld} below the main one and drops the others (as genbmm's conversion from a dense
     * tensor does). Padding slots hold {@code fill}, so {@code fromDense(x.toDense(), ...)} of a
     * matrix {@code x} whose padding holds its fill gives {@code x} back.
     *
     * @param dense {@code batch * n * n} values, row-major: entry {@code (b, r, c)} at
     *              {@code (b * n + r) * n + c}; read, not kept
     * @param batch number of matrices, at least 0
     * @param n     size of each square matrix, at least 0
     * @param lu    number of diagonals above the main one
     * @param ld    number of diagonals below the main one; {@code lu + ld} must be at least 0
     * @param fill  value of the entries outside the band, and of the padding slots
     * @return the banded matrix
     * @throws IllegalArgumentException if a size is negative, the band is empty, the storage does
     *                                  not fit one array, or the length of {@code dense} does not match
     */
    public static BandedMatrix fromDense(float[] dense, int batch, int n, int lu, int ld, float fill) {
        Objects.requireNonNull(dense, "dense must not be null");
        requireNonNegative("batch", batch);
        requireNonNegative("n", n);
        int width = checkedWidth(lu, ld);
        requireLength(dense, "dense", "n", batch, n, n);
        BandedMatrix x = new BandedMatrix(allocate(batch, n, width, fill), batch, n, lu, ld, fill);
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < n; c++) {
                int row = x.rowStart(b, c);
                int end = x.endInMatrixSlot(c, lu);
                for (int k = x.firstInMatrixSlot(c, lu); k < end; k++) {
                    x.data[row + k] = dense[(int) (((long) b * n + c + k - lu) * n + c)];
                }
            }
        }
        return x;
    }

    /**
     * {@return entry {@code (r, c)} of matrix {@code b}: its stored value where it lies in the
     * band, else {@link #fill()}} The same value as {@code toDense()[(b * n + r) * n + c]}.
     *
     * @param b the matrix in the batch, {@code 0 <= b < batch}
     * @param r the row, {@code 0 <= r < n}
     * @param c the column, {@code 0 <= c < n}
     * @throws IndexOutOfBoundsException where an index is outside those ranges
     */
    public float get(int b, int r, int c) {
        Objects.checkIndex(b, batch);
        Objects.checkIndex(r, n);
        Objects.checkIndex(c, n);
        long k = (long) r - c + lu;
        return k >= 0 && k < width ? data[rowStart(b, c) + (int) k] : fill;
    }

    /** {@return a copy of the storage, {@code batch * n * width} values laid out as {@code data[b][c][k]}} */
    public float[] data() {
        return data.clone();
    }

    /** {@return the number of matrices in the batch} */
    public int batch() {
        return batch;
    }

    /** {@return the size n of each square matrix} */
    public int n() {
        return n;
    }

    /** {@return the number of diagonals above the main one (may be negative)} */
    public int lu() {
        return lu;
    }

    /** {@return the number of diagonals below the main one (may be negative)} */
    public int ld() {
        return ld;
    }

    /** {@return the number of stored diagonals, {@code lu + ld + 1}} */
    public int width() {
        return width;
    }

    /** {@return the value of the entries outside the band} */
    public float fill() {
        return fill;
    }

    /**
     * {@return the dense matrices, {@code batch * n * n} values, row-major} Entry
     * {@code (b, r, c)} is at {@code (b * n + r) * n + c}; entries outside the band hold
     * {@link #fill()}.
     */
    public float[] toDense() {
        float[] dense = allocate(batch, n, n, fill, "the dense matrices: batch * n * n");
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < n; c++) {
                int row = rowStart(b, c);
                int end = endInMatrixSlot(c, lu);
                for (int k = firstInMatrixSlot(c, lu); k < end; k++) {
                    int r = c + k - lu;
                    dense[(b * n + r) * n + c] = data[row + k];
                }
            }
        }
        return dense;
    }

    /**
     * {@return the transposed matrices {@code X^T}} The result has {@code lu' = ld},
     * {@code ld' = lu} and this fill, which its padding slots hold.
     */
    public BandedMatrix transpose() {
        float[] out = allocate(batch, n, width, fill);
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < n; c++) {
                int outRow = rowStart(b, c);
                int end = endInMatrixSlot(c, ld);
                for (int k = firstInMatrixSlot(c, ld); k < end; k++) {
                    int r = c + k - ld;
                    out[outRow + k] = data[rowStart(b, r) + width - 1 - k];
                }
            }
        }
        return new BandedMatrix(out, batch, n, ld, lu, fill);
    }

    /**
     * Combines this matrix {@code x} with {@code y} entry by entry, as genbmm's {@code op}. The
     * result has {@code lu = max(x.lu, y.lu)}, {@code ld = max(x.ld, y.ld)} and {@code x}'s fill.
     * Inside {@code y}'s band it holds {@code f(xOrZero, y)}, where {@code xOrZero} is {@code x}
     * inside {@code x}'s band and 0 elsewhere; inside {@code x}'s band only it holds {@code x};
     * the remaining slots of the result band hold 0. Slot by slot, padding included, the storage
     * is: zeros, then {@code x.data} written at its diagonals, then {@code f} applied over
     * {@code y.data}'s diagonals.
     *
     * @param y the right operand, of the same batch and size
     * @param f the combination, called as {@code f.apply(xOrZero, y)}
     * @return the combined matrix
     * @throws IllegalArgumentException if {@code y} has another batch or size
     */
    public BandedMatrix op(BandedMatrix y, FloatBinaryOperator f) {
        requireSameShape("op", y);
        Objects.requireNonNull(f, "f must not be null");
        int resultLu = Math.max(lu, y.lu);
        int resultLd = Math.max(ld, y.ld);
        int resultWidth = checkedWidth(resultLu, resultLd);
        float[] out = allocate(batch, n, resultWidth, 0f);
        int xOffset = resultLu - lu;
        int yOffset = resultLu - y.lu;
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < n; c++) {
                int outRow = (b * n + c) * resultWidth;
                System.arraycopy(data, rowStart(b, c), out, outRow + xOffset, width);
                int yRow = y.rowStart(b, c);
                for (int k = 0; k < y.width; k++) {
                    int slot = outRow + yOffset + k;
                    out[slot] = f.apply(out[slot], y.data[yRow + k]);
                }
            }
        }
        return new BandedMatrix(out, batch, n, resultLu, resultLd, fill);
    }

    /**
     * The sum-product {@code Y^T X} of this matrix {@code x} and {@code y} (genbmm's convention;
     * {@code x.multiply(y.transpose())} is {@code Y X}), over the operands' band entries alone
     * (entries outside a band count as 0, whatever its fill). The result has
     * {@code lu = x.lu + y.ld}, {@code ld = x.ld + y.lu} and fill 0.
     *
     * @param y the right operand, of the same batch and size
     * @return the product, a new matrix
     * @throws IllegalArgumentException if {@code y} has another batch or size
     */
    public BandedMatrix multiply(BandedMatrix y) {
        return product("multiply", y, ProductSemiring.STANDARD);
    }

    /**
     * The log-semiring product: entry {@code (i, j)} is {@code log sum_k exp(Y^T[i][k] + X[k][j])}
     * over the {@code k} where both entries lie in their bands (entries outside count as -inf,
     * whatever the fill), computed with a max shift. Band as {@link #multiply}; fill -inf.
     *
     * @param y the right operand, of the same batch and size
     * @return the product, a new matrix
     * @throws IllegalArgumentException if {@code y} has another batch or size
     */
    public BandedMatrix multiplyLog(BandedMatrix y) {
        return product("multiplyLog", y, ProductSemiring.LOG);
    }

    /**
     * The max-plus product: entry {@code (i, j)} is {@code max_k (Y^T[i][k] + X[k][j])} over the
     * {@code k} where both entries lie in their bands (entries outside count as -inf, whatever the
     * fill). Band as {@link #multiply}; fill -inf.
     *
     * @param y the right operand, of the same batch and size
     * @return the product, a new matrix
     * @throws IllegalArgumentException if {@code y} has another batch or size
     */
    public BandedMatrix multiplyMax(BandedMatrix y) {
        return product("multiplyMax", y, ProductSemiring.MAX);
    }

    /**
     * genbmm's {@code band_shift}: every storage row moves left by {@code t} slots ({@code t < 0}
     * moves right), vacated slots hold {@link #fill()}; {@code lu' = lu + t}, {@code ld' = ld - t}.
     *
     * @param t slots to shift by, any value; shifts of {@code |t| >= width} leave only fill
     * @return the shifted matrix, a new one (SPEC section 3) even when {@code t == 0}
     * @throws IllegalArgumentException if {@code lu + t} or {@code ld - t} leaves the int range
     */
    public BandedMatrix bandShift(int t) {
        if (t == 0) {
            return same();
        }
        int resultLu = checkedOffset("lu + t", (long) lu + t);
        int resultLd = checkedOffset("ld - t", (long) ld - t);
        float[] out = allocate(batch, n, width, fill);
        long kept = width - Math.abs((long) t);
        if (kept > 0) {
            int from = Math.max(t, 0);
            int to = Math.max(-t, 0);
            for (int row = 0; row < batch * n; row++) {
                System.arraycopy(data, row * width + from, out, row * width + to, (int) kept);
            }
        }
        return new BandedMatrix(out, batch, n, resultLu, resultLd, fill);
    }

    /**
     * genbmm's {@code band_pad}: the same matrices with {@code t} more diagonals of
     * {@link #fill()} on each side; {@code lu' = lu + t}, {@code ld' = ld + t}.
     *
     * @param t number of fill diagonals added on each side, at least 0
     * @return the padded matrix, a new one (SPEC section 3) even when {@code t == 0}
     * @throws IllegalArgumentException if {@code t} is negative or the result is too large
     */
    public BandedMatrix bandPad(int t) {
        requireNonNegative("t", t);
        if (t == 0) {
            return same();
        }
        int resultLu = checkedOffset("lu + t", (long) lu + t);
        int resultLd = checkedOffset("ld + t", (long) ld + t);
        int resultWidth = checkedWidth(resultLu, resultLd);
        float[] out = allocate(batch, n, resultWidth, fill);
        for (int row = 0; row < batch * n; row++) {
            System.arraycopy(data, row * width, out, row * resultWidth + t, width);
        }
        return new BandedMatrix(out, batch, n, resultLu, resultLd, fill);
    }

    /**
     * genbmm's {@code col_shift}: storage rows move up by {@code t} ({@code t < 0} moves down),
     * vacated rows hold {@link #fill()}; {@code lu' = lu - t}, {@code ld' = ld + t}.
     *
     * @param t rows to shift by, any value; shifts of {@code |t| >= n} leave only fill
     * @return the shifted matrix, a new one (SPEC section 3) even when {@code t == 0}
     * @throws IllegalArgumentException if {@code lu - t} or {@code ld + t} leaves the int range
     */
    public BandedMatrix colShift(int t) {
        if (t == 0) {
            return same();
        }
        int resultLu = checkedOffset("lu - t", (long) lu - t);
        int resultLd = checkedOffset("ld + t", (long) ld + t);
        float[] out = allocate(batch, n, width, fill);
        long keptRows = n - Math.abs((long) t);
        if (keptRows > 0) {
            int fromRow = Math.max(t, 0);
            int toRow = Math.max(-t, 0);
            for (int b = 0; b < batch; b++) {
                System.arraycopy(data, rowStart(b, fromRow), out, rowStart(b, toRow), (int) keptRows * width);
            }
        }
        return new BandedMatrix(out, batch, n, resultLu, resultLd, fill);
    }

    @Override
    public String toString() {
        return "BandedMatrix[batch=" + batch + ", n=" + n + ", lu=" + lu + ", ld=" + ld + ", fill=" + fill + "]";
    }

    private BandedMatrix product(String operation, BandedMatrix y, ProductSemiring semiring) {
        requireSameShape(operation, y);
        int resultLu = checkedOffset("x.lu + y.ld", (long) lu + y.ld);
        int resultLd = checkedOffset("x.ld + y.lu", (long) ld + y.lu);
        int resultWidth = checkedWidth(resultLu, resultLd);
        float[] out = allocate(batch, n, resultWidth, semiring.fill());
        if (out.length == 0) {   // (no accumulator of the band's width for no values: it may not fit the heap)
            return new BandedMatrix(out, batch, n, resultLu, resultLd, semiring.fill());
        }
        ProductSemiring.Accumulator accumulator = semiring.newAccumulator(resultWidth);
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < n; c++) {
                accumulator.reset();
                accumulateColumn(y, b, c, resultLu, accumulator);
                int outRow = (b * n + c) * resultWidth;
                int end = endInMatrixSlot(c, resultLu, resultWidth);
                for (int j = firstInMatrixSlot(c, resultLu, resultWidth); j < end; j++) {
                    out[outRow + j] = accumulator.result(j);
                }
            }
        }
        return new BandedMatrix(out, batch, n, resultLu, resultLd, semiring.fill());
    }

    /**
     * Adds every term {@code Y[k][r] (*) X[k][c]} of column {@code c} of {@code Y^T X} to the
     * accumulator slot of row {@code r}, visiting only in-matrix, in-band entries of both operands.
     */
    private void accumulateColumn(BandedMatrix y, int b, int c, int resultLu, ProductSemiring.Accumulator accumulator) {
        int xRow = rowStart(b, c);
        int xEnd = endInMatrixSlot(c, lu);
        for (int kx = firstInMatrixSlot(c, lu); kx < xEnd; kx++) {
            int k = c + kx - lu;
            float xValue = data[xRow + kx];
            int yFirst = (int) Math.max(0L, (long) k + y.lu - n + 1);
            int yLast = (int) Math.min(y.width - 1L, (long) k + y.lu);
            for (int ky = yFirst; ky <= yLast; ky++) {
                int r = k - ky + y.lu;
                accumulator.add(r - c + resultLu, xValue, y.data[y.rowStart(b, r) + ky]);
            }
        }
    }

    private int rowStart(int b, int c) {
        return (b * n + c) * width;
    }

    /** First slot of storage row {@code c} whose dense row {@code c + k - offset} is at least 0. */
    private int firstInMatrixSlot(int c, int offset) {
        return firstInMatrixSlot(c, offset, width);
    }

    /** End (exclusive) of the slots of storage row {@code c} whose dense row is below {@code n}. */
    private int endInMatrixSlot(int c, int offset) {
        return endInMatrixSlot(c, offset, width);
    }

    private static int firstInMatrixSlot(int c, int offset, int slots) {
        return clamp((long) offset - c, slots);
    }

    private int endInMatrixSlot(int c, int offset, int slots) {
        return clamp((long) n + offset - c, slots);
    }

    private static int clamp(long value, int slots) {
        return (int) Math.max(0L, Math.min(slots, value));
    }

    private void requireSameShape(String operation, BandedMatrix y) {
        Objects.requireNonNull(y, operation + ": the other matrix must not be null");
        if (y.batch != batch || y.n != n) {
            throw new IllegalArgumentException(String.format(
                    "%s needs equal batch and n, but this has batch=%d, n=%d and the other has batch=%d, n=%d",
                    operation, batch, n, y.batch, y.n));
        }
    }

    /**
     * Checks that {@code array} (named {@code name}) holds {@code batch * n * last} values,
     * {@code last} spelled {@code lastName} in the message.
     */
    private static void requireLength(float[] array, String name, String lastName, int batch, int n, int last) {
        long expected = values(batch, n, last);
        if (array.length != expected) {
            throw new IllegalArgumentException(String.format("%s has length %d but batch * n * %s = %d * %d * %d = %s", name,
                    array.length, lastName, batch, n, last, expected == Long.MAX_VALUE ? "more than 2^63" : Long.toString(expected)));
        }
    }

    private static void requireNonNegative(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be non-negative but was " + value);
        }
    }

    private static int checkedOffset(String expression, long value) {
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(expression + " = " + value + " is out of the int range");
        }
        return (int) value;
    }

    private static int checkedWidth(int lu, int ld) {
        long width = (long) lu + ld + 1;
        if (width < 1) {
            throw new IllegalArgumentException(String.format(
                    "the band is empty: lu + ld + 1 = %d + %d + 1 = %d, must be at least 1", lu, ld, width));
        }
        if (width > MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException("the band width lu + ld + 1 = " + width + " is too large");
        }
        return (int) width;
    }

    /**
     * {@code batch * n * width} for non-negative factors, or {@link Long#MAX_VALUE} where it passes
     * the long range (a tester's find: {@code fromData} took an empty array for 2^30 x 2^30 x 15,
     * whose count wrapped to 0, and every call after failed with ArrayIndexOutOfBoundsException).
     */
    private static long values(int batch, int n, int width) {
        long rows = (long) batch * n;   // (below 2^62)
        return width != 0 && rows > Long.MAX_VALUE / width ? Long.MAX_VALUE : rows * width;
    }

    private static float[] allocate(int batch, int n, int width, float value) {
        return allocate(batch, n, width, value, "batch * n * width");
    }

    /** An array of {@code batch * n * width} values set to {@code value}; {@code what} names the product in a refusal. */
    private static float[] allocate(int batch, int n, int width, float value, String what) {
        long length = values(batch, n, width);
        if (length > MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException(String.format("%s = %d * %d * %d = %s values do not fit in one array", what, batch, n,
                    width, length == Long.MAX_VALUE ? "more than 2^63" : Long.toString(length)));
        }
        float[] array = new float[(int) length];
        Arrays.fill(array, value);
        return array;
    }
}
