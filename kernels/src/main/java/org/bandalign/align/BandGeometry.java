package org.bandalign.align;

/**
 * The cells a banded pair may use and how they are numbered, shared by every backend.
 *
 * <p>The band is the diagonal offsets {@code d = j - i} in {@code [diagLo, diagHi]}, already
 * clipped to the grid ({@code diagLo >= -(n-1)}, {@code diagHi <= m-1}). Two numberings:
 * <ul>
 *   <li>band layout (SPEC section 2): row {@code i}, slot {@code c = j - i - diagLo},
 *       {@code W = diagHi - diagLo + 1} slots a row, some of them padding;</li>
 *   <li>anti-diagonal order, which engines use because the cells of one anti-diagonal
 *       {@code t = i + j} depend only on anti-diagonals {@code t-1} and {@code t-2}: the cells of
 *       {@code t} are the rows {@link #rowLo(int)} to {@link #rowHi(int)}, and
 *       {@link #antidiagonalStarts()} numbers all cells compactly, padding excluded.</li>
 * </ul>
 */
public final class BandGeometry {
    private final int n;
    private final int m;
    private final int diagLo;
    private final int diagHi;
    private final long cells;

    private BandGeometry(int n, int m, int diagLo, int diagHi) {
        this.n = n;
        this.m = m;
        this.diagLo = diagLo;
        this.diagHi = diagHi;
        long count = 0;
        for (int i = 0; i < n; i++) {
            count += Math.min(m - 1, i + diagHi) - Math.max(0, i + diagLo) + 1;
        }
        this.cells = count;
    }

    /**
     * The band a pair is aligned in: the pair's own band (band layout) or the whole grid (dense),
     * intersected with the options' band of half-width w when set, clipped to the grid.
     *
     * @param pair    the pair, whose factories have checked its shape
     * @param options the options, whose band (if set) narrows the pair's
     * @return the band to align the pair in
     */
    public static BandGeometry of(Pair pair, AlignOptions options) {
        return of(pair.n(), pair.m(), pair.diagLo(), pair.diagHi(), options);
    }

    /**
     * {@link #of(Pair, AlignOptions)} from a pair's shape alone: lengths {@code n}, {@code m} and
     * input band {@code [diagLo, diagHi]} ({@code [-(n-1), m-1]} for dense scores), so that a
     * pair's size can be checked before its scores are read.
     *
     * @param n       rows of the grid, at least 1
     * @param m       columns of the grid, at least 1
     * @param diagLo  the input band's lowest diagonal offset {@code j - i}, at most {@code min(0, m-n)}
     * @param diagHi  the input band's highest diagonal offset {@code j - i}, at least {@code max(0, m-n)}
     * @param options the options, whose band (if set) narrows the input band
     * @return the band to align such a pair in
     * @throws IllegalArgumentException for lengths below 1 or a band that misses a corner
     */
    public static BandGeometry of(int n, int m, int diagLo, int diagHi, AlignOptions options) {
        if (n < 1 || m < 1) {
            throw new IllegalArgumentException("lengths must be >= 1, got n = " + n + ", m = " + m);
        }
        if (diagLo > Math.min(0, m - n) || diagHi < Math.max(0, m - n)) {
            throw new IllegalArgumentException("band [" + diagLo + ", " + diagHi + "] misses a corner of " + n + " x " + m);
        }
        int lo = diagLo;
        int hi = diagHi;
        if (options.hasBand()) {
            long w = options.band();
            lo = (int) Math.max(lo, Math.min(0, m - n) - w);
            hi = (int) Math.min(hi, Math.max(0, m - n) + w);
        }
        return new BandGeometry(n, m, Math.max(lo, -(n - 1)), Math.min(hi, m - 1));
    }

    /**
     * The geometry of band {@code [diagLo, diagHi]} on an {@code n x m} grid, clipped to the grid.
     *
     * @param n      rows of the grid, at least 1
     * @param m      columns of the grid, at least 1
     * @param diagLo lowest diagonal offset {@code j - i}, at most {@code min(0, m-n)}
     * @param diagHi highest diagonal offset {@code j - i}, at least {@code max(0, m-n)}
     * @return the geometry
     * @throws IllegalArgumentException for lengths below 1 or a band that misses a corner
     */
    public static BandGeometry of(int n, int m, int diagLo, int diagHi) {
        if (n < 1 || m < 1) {
            throw new IllegalArgumentException("lengths must be >= 1, got n = " + n + ", m = " + m);
        }
        if (diagLo > Math.min(0, m - n) || diagHi < Math.max(0, m - n)) {
            throw new IllegalArgumentException("band [" + diagLo + ", " + diagHi + "] misses a corner of " + n + " x " + m);
        }
        return new BandGeometry(n, m, Math.max(diagLo, -(n - 1)), Math.min(diagHi, m - 1));
    }

    /** {@return the rows of the grid, n} */
    public int n() {
        return n;
    }

    /** {@return the columns of the grid, m} */
    public int m() {
        return m;
    }

    /** {@return the lowest diagonal offset {@code j - i} in the band, at least {@code -(n-1)}} */
    public int diagLo() {
        return diagLo;
    }

    /** {@return the highest diagonal offset {@code j - i} in the band, at most {@code m-1}} */
    public int diagHi() {
        return diagHi;
    }

    /** {@return the slots per row in band layout, {@code W = diagHi - diagLo + 1}} */
    public int width() {
        return diagHi - diagLo + 1;
    }

    /** {@return true when the band is the whole grid} */
    public boolean isDense() {
        return diagLo == -(n - 1) && diagHi == m - 1;
    }

    /** {@return the number of cells in the band (padding excluded)} */
    public long cells() {
        return cells;
    }

    /** {@return the last anti-diagonal, {@code n + m - 2}} */
    public int lastAntidiagonal() {
        return n + m - 2;
    }

    /**
     * {@return the first row of anti-diagonal {@code t} inside the band} Above {@link #rowHi(int)}
     * where that anti-diagonal has no cell in the band (for example an odd {@code t} in a band of
     * one diagonal).
     *
     * @param t the anti-diagonal {@code i + j}, {@code 0 <= t <= lastAntidiagonal()}
     */
    public int rowLo(int t) {
        return Math.max(Math.max(0, t - (m - 1)), Math.floorDiv(t - diagHi + 1, 2));
    }

    /**
     * {@return the last row of anti-diagonal {@code t} inside the band}
     *
     * @param t the anti-diagonal {@code i + j}, {@code 0 <= t <= lastAntidiagonal()}
     */
    public int rowHi(int t) {
        return Math.min(Math.min(n - 1, t), Math.floorDiv(t - diagLo, 2));
    }

    /**
     * Compact anti-diagonal numbering: element {@code t} is the index of cell
     * {@code (rowLo(t), t - rowLo(t))}; element {@code lastAntidiagonal() + 1} is {@link #cells()}.
     *
     * @return a new array of {@code lastAntidiagonal() + 2} cell indices
     * @throws IllegalStateException where the band has more cells than an int counts (such a
     *         pair is refused by the aligners before they number its cells)
     */
    public int[] antidiagonalStarts() {
        if (cells > Integer.MAX_VALUE) {
            throw new IllegalStateException(this + " has " + cells + " band cells, more than an int index numbers");
        }
        int last = lastAntidiagonal();
        int[] start = new int[last + 2];
        int p = 0;
        for (int t = 0; t <= last; t++) {
            start[t] = p;
            p += Math.max(0, rowHi(t) - rowLo(t) + 1);
        }
        start[last + 1] = p;
        return start;
    }

    /**
     * {@return the index of step 0 of cell (i, j) in a band-layout array of this geometry}
     *
     * @param i row, {@code 0 <= i < n}
     * @param j column, with (i, j) in the band (not checked)
     * @throws ArithmeticException where that index is beyond an int (no Java array reaches it)
     */
    public int bandIndex(int i, int j) {
        return Math.toIntExact(((long) i * width() + (j - i - diagLo)) * 3);
    }

    /**
     * {@return true when cell (i, j) is inside the grid and the band}
     *
     * @param i row, any value
     * @param j column, any value
     */
    public boolean contains(int i, int j) {
        int d = j - i;
        return i >= 0 && i < n && j >= 0 && j < m && d >= diagLo && d <= diagHi;
    }

    /**
     * Copies a band-layout array of this geometry into a new dense {@code n*m*3} array (0 outside the band).
     *
     * @param band a band-layout array of this geometry, {@code n*W*3} floats
     * @return the new dense array
     * @throws IllegalArgumentException where {@code band} has another length, or the dense array
     *         would be longer than Java's arrays can be
     */
    public float[] bandToDense(float[] band) {
        requireLength(band, (long) n * width() * 3, "band-layout");
        float[] dense = new float[PairChecks.arrayLength((long) n * m * 3, "the dense form of " + this)];
        int w = width();
        for (int i = 0; i < n; i++) {
            int jLo = Math.max(0, i + diagLo);
            int jHi = Math.min(m - 1, i + diagHi);
            if (jLo <= jHi) {
                System.arraycopy(band, (i * w + jLo - i - diagLo) * 3, dense, (i * m + jLo) * 3, (jHi - jLo + 1) * 3);
            }
        }
        return dense;
    }

    /**
     * Copies the band's cells of a dense {@code n*m*3} array into a new band-layout array (padding 0).
     *
     * @param dense a dense array, {@code n*m*3} floats
     * @return the new band-layout array, {@code n*W*3} floats
     * @throws IllegalArgumentException where {@code dense} has another length, or the band-layout
     *         array would be longer than Java's arrays can be
     */
    public float[] denseToBand(float[] dense) {
        requireLength(dense, (long) n * m * 3, "dense");
        int w = width();
        float[] band = new float[PairChecks.arrayLength((long) n * w * 3, "the band layout of " + this)];
        for (int i = 0; i < n; i++) {
            int jLo = Math.max(0, i + diagLo);
            int jHi = Math.min(m - 1, i + diagHi);
            if (jLo <= jHi) {
                System.arraycopy(dense, (i * m + jLo) * 3, band, (i * w + jLo - i - diagLo) * 3, (jHi - jLo + 1) * 3);
            }
        }
        return band;
    }

    private void requireLength(float[] array, long length, String layout) {
        if (array.length != length) {
            throw new IllegalArgumentException("a " + layout + " array of " + this + " holds " + length + " floats, not " + array.length);
        }
    }

    /** {@return whether {@code o} is a geometry of the same grid and band} */
    @Override
    public boolean equals(Object o) {
        return o instanceof BandGeometry g && g.n == n && g.m == m && g.diagLo == diagLo && g.diagHi == diagHi;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(n, m, diagLo, diagHi);
    }

    @Override
    public String toString() {
        boolean dense = diagLo <= -(n - 1) && diagHi >= m - 1;
        return n + " x " + m + (dense ? " dense (band [" + diagLo + ", " + diagHi + "])" : " band [" + diagLo + ", " + diagHi + "]");
    }
}
