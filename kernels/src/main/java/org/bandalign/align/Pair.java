package org.bandalign.align;

/**
 * One sequence pair to align: an id and its {@code n x m x 3} score tensor, either dense
 * (SPEC section 1, index {@code (i*m + j)*3 + k}) or in band layout (SPEC section 2, index
 * {@code (i*W + c)*3 + k} with {@code j = i + diagLo + c}).
 *
 * <p>The factories check the shape and throw {@link InvalidPairException} naming the pair when it
 * is wrong; the scores themselves (NaN, +inf, no finite path) are checked when the pair is
 * aligned. The score array is used as given, not copied: do not change it while it is being
 * aligned.
 *
 * <pre>{@code
 * Pair dense = Pair.dense("p1", 3, 4, new float[3 * 4 * 3]);
 * Pair band = Pair.band("p2", 100, 120, -5, 25, bandScores);   // W = 31
 * }</pre>
 */
public final class Pair {
    private final String id;
    private final int n;
    private final int m;
    private final boolean bandLayout;
    private final int diagLo;
    private final int diagHi;
    private final float[] scores;

    private Pair(String id, int n, int m, boolean bandLayout, int diagLo, int diagHi, float[] scores) {
        this.id = id;
        this.n = n;
        this.m = m;
        this.bandLayout = bandLayout;
        this.diagLo = diagLo;
        this.diagHi = diagHi;
        this.scores = scores;
    }

    /**
     * A pair with dense scores, {@code n*m*3} floats.
     *
     * @param id     the pair's key, carried to its result; may be null
     * @param n      rows of the grid (length of the first sequence), at least 1
     * @param m      columns of the grid (length of the second sequence), at least 1
     * @param scores {@code S[i][j][k]} at {@code (i*m + j)*3 + k}; used as given, not copied
     * @return the pair
     * @throws InvalidPairException where a length is below 1, or {@code scores} is null or not {@code n*m*3} long
     */
    public static Pair dense(String id, int n, int m, float[] scores) {
        checkLengths(id, n, m);
        if (scores == null) {
            throw new InvalidPairException(id, "scores are null");
        }
        if (scores.length != floats(n, m)) {
            throw new InvalidPairException(id, "dense scores of a pair of " + n + " x " + m + " must hold n*m*3 = "
                    + product(n, m) + " floats, got " + scores.length);
        }
        return new Pair(id, n, m, false, -(n - 1), m - 1, scores);
    }

    /**
     * {@code a * b * 3}, or -1 where that passes 2^63 (no array is that long): a product that
     * wrapped could equal a short array's length (a band of W near 2^32).
     */
    private static long floats(long a, long b) {
        try {
            return Math.multiplyExact(Math.multiplyExact(a, b), 3);
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    /** {@code a * b * 3} exactly, for messages (the sizes of 2^31-long pairs pass 2^63). */
    private static java.math.BigInteger product(long a, long b) {
        return java.math.BigInteger.valueOf(a).multiply(java.math.BigInteger.valueOf(b)).multiply(java.math.BigInteger.valueOf(3));
    }

    /**
     * A pair with band-layout scores: row {@code i} holds the {@code W = diagHi - diagLo + 1} cells
     * {@code j = i + diagLo + c}; slots with {@code j} outside {@code [0, m)} are ignored. The band
     * must contain both corners: {@code diagLo <= min(0, m-n)} and {@code diagHi >= max(0, m-n)}.
     *
     * @param id     the pair's key, carried to its result; may be null
     * @param n      rows of the grid (length of the first sequence), at least 1
     * @param m      columns of the grid (length of the second sequence), at least 1
     * @param diagLo the band's lowest diagonal offset {@code j - i}
     * @param diagHi the band's highest diagonal offset {@code j - i}
     * @param scores {@code S[i][j][k]} at {@code (i*W + c)*3 + k}, {@code n*W*3} floats; used as given, not copied
     * @return the pair
     * @throws InvalidPairException where a length is below 1, the band misses a corner, or {@code scores} is
     *         null or not {@code n*W*3} long
     */
    public static Pair band(String id, int n, int m, int diagLo, int diagHi, float[] scores) {
        checkLengths(id, n, m);
        if (diagLo > Math.min(0, m - n) || diagHi < Math.max(0, m - n)) {
            throw new InvalidPairException(id, "band [" + diagLo + ", " + diagHi + "] misses a corner of the "
                    + n + " x " + m + " grid: it needs diag_lo <= " + Math.min(0, m - n)
                    + " and diag_hi >= " + Math.max(0, m - n));
        }
        if (scores == null) {
            throw new InvalidPairException(id, "scores are null");
        }
        long width = (long) diagHi - diagLo + 1;
        if (scores.length != floats(n, width)) {
            throw new InvalidPairException(id, "band-layout scores of a pair of " + n + " x " + m + " with band ["
                    + diagLo + ", " + diagHi + "] must hold n*W*3 = " + product(n, width) + " floats (W = " + width
                    + "), got " + scores.length);
        }
        return new Pair(id, n, m, true, diagLo, diagHi, scores);
    }

    private static void checkLengths(String id, int n, int m) {
        if (n < 1 || m < 1) {
            throw new InvalidPairException(id, "lengths must be >= 1, got n = " + n + ", m = " + m);
        }
    }

    /** {@return the pair's key, carried to its result} */
    public String id() {
        return id;
    }

    /** {@return the rows of the grid: the length of the first sequence} */
    public int n() {
        return n;
    }

    /** {@return the columns of the grid: the length of the second sequence} */
    public int m() {
        return m;
    }

    /** {@return true when the scores are in band layout} */
    public boolean isBandLayout() {
        return bandLayout;
    }

    /** {@return the input band's lowest diagonal offset ({@code -(n-1)} for dense scores)} */
    public int diagLo() {
        return diagLo;
    }

    /** {@return the input band's highest diagonal offset ({@code m-1} for dense scores)} */
    public int diagHi() {
        return diagHi;
    }

    /** {@return the scores, as given (not a copy)} */
    public float[] scores() {
        return scores;
    }

    /**
     * {@return the index in {@link #scores()} of step 0 of cell (i, j)}
     *
     * @param i row, {@code 0 <= i < n}
     * @param j column, {@code 0 <= j < m}, with (i, j) in the input band (not checked)
     */
    public int scoreIndex(int i, int j) {
        return bandLayout ? (i * (diagHi - diagLo + 1) + (j - i - diagLo)) * 3 : (i * m + j) * 3;
    }

    @Override
    public String toString() {
        return "Pair{id=" + id + ", n=" + n + ", m=" + m
                + (bandLayout ? ", band=[" + diagLo + ", " + diagHi + "]" : ", dense") + "}";
    }
}
