package org.bandalign.align;

/**
 * The checks every backend makes before aligning a pair (SPEC section 1, "Bad input") that the
 * {@link Pair} factories cannot make: scores inside the band must not be NaN or +inf, and the
 * pair must fit the configured size. "No path of finite weight" is found by the engines.
 */
public final class PairChecks {
    /** Largest Java array length we allocate. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** {@code floats} as an array length, or an IllegalArgumentException saying what cannot be held. */
    static int arrayLength(long floats, String what) {
        if (floats > MAX_ARRAY) {
            throw new IllegalArgumentException(what + " needs " + floats + " floats, more than one Java array holds");
        }
        return (int) floats;
    }

    private PairChecks() {
    }

    /**
     * {@code pairs} as a list whose {@code get} takes constant time: itself where it says so
     * ({@link java.util.RandomAccess}), else a copy, so that a backend that reads the pairs by
     * index does not take quadratic time over a {@link java.util.LinkedList}. Null entries are
     * kept (each is that pair's error).
     *
     * @param pairs the pairs, not null
     * @return {@code pairs} itself, or a copy that is {@link java.util.RandomAccess}
     */
    public static java.util.List<Pair> indexable(java.util.List<Pair> pairs) {
        return pairs instanceof java.util.RandomAccess ? pairs : new java.util.ArrayList<>(pairs);
    }

    /**
     * {@return the error of a null entry of the list given to {@code alignAll}, naming its place there}
     *
     * @param index the entry's index in that list, from 0
     */
    public static InvalidPairException nullPair(int index) {
        return new InvalidPairException(null, "the list's entry at index " + index + " is null, not a pair");
    }

    /**
     * Throws {@link InvalidPairException} when the pair is too large or has a bad score in the band.
     *
     * @param pair    the pair
     * @param g       the band it is to be aligned in ({@link BandGeometry#of(Pair, AlignOptions)})
     * @param options the options, whose {@link AlignOptions#maxCells()} limits the size
     * @throws InvalidPairException naming the pair and the first problem found
     */
    public static void check(Pair pair, BandGeometry g, AlignOptions options) {
        checkSize(pair, g, options);
        checkScores(pair, g);
    }

    /**
     * The size checks of {@link #check} alone, for a backend that finds bad scores itself (the
     * CUDA kernels flag them while reading the scores, so the host does not scan them).
     *
     * @param pair    the pair
     * @param g       the band it is to be aligned in
     * @param options the options, whose {@link AlignOptions#maxCells()} limits the size
     * @throws InvalidPairException when the pair is too large
     */
    public static void checkSize(Pair pair, BandGeometry g, AlignOptions options) {
        checkSize(pair.id(), g, options);
    }

    /**
     * {@link #checkSize(Pair, BandGeometry, AlignOptions)} for the pair {@code id}, before its scores are at hand.
     *
     * @param id      the pair's id, for the message
     * @param g       the band it is to be aligned in
     * @param options the options, whose {@link AlignOptions#maxCells()} limits the size
     * @throws InvalidPairException when the pair is too large
     */
    public static void checkSize(String id, BandGeometry g, AlignOptions options) {
        long cells = g.cells();
        if (cells > options.maxCells()) {
            throw new InvalidPairException(id, "too large: " + g + " has " + cells
                    + " band cells, more than the configured limit of " + options.maxCells()
                    + " (AlignOptions.maxCells; the job's key spark.bandalign.maxCells)");
        }
        long outFloats = (long) g.n() * (g.isDense() ? g.m() : g.width()) * 3;
        if (outFloats > MAX_ARRAY) {
            throw new InvalidPairException(id, "too large: " + g + " needs " + outFloats
                    + " marginal floats, more than one Java array holds");
        }
        // the CPU engine's forward weights, in one array: 3 a cell in global mode (no more than the
        // marginals, checked above), 4 in local mode (the start term too)
        if (options.mode() == Mode.LOCAL && 4 * cells > MAX_ARRAY) {
            throw new InvalidPairException(id, "too large: " + g + " has " + cells + " band cells, whose 4 forward weights"
                    + " each in local mode (" + 4 * cells + ") are more than one Java array holds");
        }
    }

    static void checkScores(Pair pair, BandGeometry g) {
        float[] s = pair.scores();
        for (int i = 0; i < g.n(); i++) {
            int jLo = Math.max(0, i + g.diagLo());
            int jHi = Math.min(g.m() - 1, i + g.diagHi());
            if (jLo > jHi) {
                continue;
            }
            int from = pair.scoreIndex(i, jLo);
            int to = pair.scoreIndex(i, jHi) + 3;
            boolean bad = false;
            for (int q = from; q < to; q++) {
                bad |= !(s[q] < Float.POSITIVE_INFINITY);
            }
            if (bad) {
                for (int q = from; q < to; q++) {
                    if (!(s[q] < Float.POSITIVE_INFINITY)) {
                        throw badScore(pair, q);
                    }
                }
            }
        }
    }

    /**
     * The error for a pair whose first bad score inside the band (NaN or +inf, in row-major
     * order) is {@code scores()[index]}.
     *
     * @param pair  the pair
     * @param index the bad score's index in {@link Pair#scores()}
     * @return the error, naming the pair and the score's {@code S[i][j][k]}
     */
    public static InvalidPairException badScore(Pair pair, int index) {
        int cell = index / 3;
        int rowLength = pair.isBandLayout() ? pair.diagHi() - pair.diagLo() + 1 : pair.m();
        int i = cell / rowLength;
        int j = pair.isBandLayout() ? i + pair.diagLo() + cell % rowLength : cell % rowLength;
        float v = pair.scores()[index];
        return new InvalidPairException(pair.id(), "score S[" + i + "][" + j + "][" + index % 3
                + "] is " + (Float.isNaN(v) ? "NaN" : v == Float.POSITIVE_INFINITY ? "+inf" : Float.toString(v))
                + " (inside the band)");
    }

    /**
     * {@return the error for a pair whose every path has weight -inf}
     *
     * @param pair the pair
     * @param g    the band it was aligned in
     * @param mode the mode it was aligned in
     */
    public static InvalidPairException noFinitePath(Pair pair, BandGeometry g, Mode mode) {
        return new InvalidPairException(pair.id(), "no path of finite weight (" + mode.wireName() + " mode, " + g
                + "): every path uses a -inf score");
    }
}
