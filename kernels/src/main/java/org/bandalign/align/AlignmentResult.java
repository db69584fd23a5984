package org.bandalign.align;

import java.util.Arrays;

/**
 * What aligning one pair produced (SPEC sections 1 and 6), or why it could not be aligned.
 *
 * <p>A result from {@link Aligner#alignAll} may be a failure: {@link #isValid()} is false,
 * {@link #error()} says why, and every accessor of computed values throws an
 * {@link InvalidPairException} with that error's message, flags and pair id, and that error as
 * its cause (thrown anew, so that its stack shows the call that read the result, not the engine's
 * worker thread). {@link Aligner#align} throws the error directly instead.
 *
 * <p>Marginals are kept in one layout (dense when the band is the whole grid, else band layout)
 * and converted on request. The array returned for the kept layout is the result's own, not a
 * copy ({@link #marginalsKeptDense()} says which layout that is): writing into it changes what
 * later calls return.
 *
 * <pre>{@code
 * AlignmentResult r = aligner.align(pair, opts);
 * double logZ = r.logPartition();
 * float[] mu = r.marginalsDense();          // mu[(i*m + j)*3 + k]
 * String cigar = r.viterbiCigar();          // when the max semiring ran
 * }</pre>
 *
 * <p>What a semiring that did not run would have given: {@link #logPartition()} is NaN where the
 * log semiring did not run ({@link #hasLogPartition()}), and the {@code viterbi...} accessors
 * throw an {@link IllegalStateException} naming the pair where the max semiring did not run
 * ({@link #hasViterbi()}).
 */
public final class AlignmentResult {
    private final String id;
    private final InvalidPairException error;
    private final int n;
    private final int m;
    private final Mode mode;
    private final Semiring semiring;
    private final BandGeometry geometry;
    private final double logPartition;
    private final float[] marginals;
    private final ViterbiPath viterbi;

    private AlignmentResult(String id, InvalidPairException error, Mode mode, Semiring semiring,
                            BandGeometry geometry, double logPartition, float[] marginals, ViterbiPath viterbi) {
        this.id = id;
        this.error = error;
        this.n = geometry == null ? 0 : geometry.n();
        this.m = geometry == null ? 0 : geometry.m();
        this.mode = mode;
        this.semiring = semiring;
        this.geometry = geometry;
        this.logPartition = logPartition;
        this.marginals = marginals;
        this.viterbi = viterbi;
    }

    /**
     * A successful result. {@code marginals} is dense ({@code n*m*3}) when the geometry is dense,
     * else band layout ({@code n*W*3}); {@code logPartition} is NaN unless the log semiring ran;
     * {@code viterbi} is null unless the max semiring ran.
     *
     * @param id           the pair's id
     * @param mode         the mode it was aligned in
     * @param semiring     which semirings ran
     * @param geometry     the band it was aligned in, not null
     * @param logPartition log Z, or NaN
     * @param marginals    the marginals in the kept layout, not null; kept, not copied
     * @param viterbi      the best path, or null
     * @return the result
     * @throws IllegalArgumentException where {@code marginals} has the wrong length; where
     *         {@code logPartition} is NaN though the log semiring ran, or is not NaN though it did
     *         not; where {@code viterbi} is null though the max semiring ran, or not null though it
     *         did not; or where {@code viterbi} leaves the band, or in global mode does not lead
     *         from (0, 0) to (n-1, m-1)
     * @throws NullPointerException where {@code mode}, {@code semiring}, {@code geometry} or
     *         {@code marginals} is null
     */
    public static AlignmentResult of(String id, Mode mode, Semiring semiring, BandGeometry geometry,
                                     double logPartition, float[] marginals, ViterbiPath viterbi) {
        java.util.Objects.requireNonNull(mode, "mode");
        java.util.Objects.requireNonNull(semiring, "semiring");
        java.util.Objects.requireNonNull(geometry, "geometry");
        java.util.Objects.requireNonNull(marginals, "marginals");
        long expected = (long) geometry.n() * (geometry.isDense() ? geometry.m() : geometry.width()) * 3;
        if (marginals.length != expected) {
            throw new IllegalArgumentException("marginals hold " + marginals.length + " floats, expected " + expected);
        }
        if (Double.isNaN(logPartition) == semiring.computesLog()) {
            throw new IllegalArgumentException("log Z is " + logPartition + " where the semiring is " + semiring.wireName()
                    + ": it is NaN exactly where the log semiring did not run");
        }
        if ((viterbi == null) == semiring.computesMax()) {
            throw new IllegalArgumentException((viterbi == null ? "no" : "a") + " Viterbi path where the semiring is "
                    + semiring.wireName() + ": there is one exactly where the max semiring ran");
        }
        if (viterbi != null) {
            requireOnTheGrid(viterbi, mode, geometry);
        }
        return new AlignmentResult(id, null, mode, semiring, geometry, logPartition, marginals, viterbi);
    }

    /**
     * Checks that {@code path} is a path of the pair's band: in global mode from (0, 0) to
     * (n-1, m-1), and every cell in the band. An engine's traceback that went astray fails here,
     * rather than handing out a path that is no path (or marking cells outside the band).
     */
    private static void requireOnTheGrid(ViterbiPath path, Mode mode, BandGeometry g) {
        int[] start = path.start();
        int[] end = path.end();
        if (mode == Mode.GLOBAL && (start[0] != 0 || start[1] != 0 || end[0] != g.n() - 1 || end[1] != g.m() - 1)) {
            throw new IllegalArgumentException("a global Viterbi path from (" + start[0] + ", " + start[1] + ") to (" + end[0]
                    + ", " + end[1] + "), not from (0, 0) to (" + (g.n() - 1) + ", " + (g.m() - 1) + ")");
        }
        int[] outside = {-1, -1};   // (the first cell off the band; a path's cells have i >= 0)
        path.forEachStep((i, j, k) -> {
            if (outside[0] < 0 && !g.contains(i, j)) {
                outside[0] = i;
                outside[1] = j;
            }
        });
        if (outside[0] >= 0) {
            throw new IllegalArgumentException("a Viterbi path '" + path.cigar() + "' through (" + outside[0] + ", " + outside[1]
                    + "), outside " + g);
        }
    }

    /**
     * A failed result carrying the reason; its id is the error's {@link InvalidPairException#pairId()}.
     *
     * @param error why the pair could not be aligned, not null
     * @return the failed result
     */
    public static AlignmentResult failed(InvalidPairException error) {
        java.util.Objects.requireNonNull(error, "error");
        return new AlignmentResult(error.pairId(), error, null, null, null, Double.NaN, null, null);
    }

    /** {@return the pair's id, as given ({@link Pair#id()})} Also for an invalid pair. */
    public String id() {
        return id;
    }

    /** {@return false when the pair could not be aligned} {@link #error()} then says why. */
    public boolean isValid() {
        return error == null;
    }

    /** {@return why the pair could not be aligned, or null for a valid result} */
    public InvalidPairException error() {
        return error;
    }

    private void requireValid() {
        if (error != null) {
            throw error.thrownAgain();
        }
    }

    /** {@return the rows of the pair's grid (the length of the first sequence)} */
    public int n() {
        requireValid();
        return n;
    }

    /** {@return the columns of the pair's grid (the length of the second sequence)} */
    public int m() {
        requireValid();
        return m;
    }

    /** {@return the mode the pair was aligned in} */
    public Mode mode() {
        requireValid();
        return mode;
    }

    /** {@return which semirings ran} The log semiring's accessors need LOG or BOTH, the Viterbi ones MAX or BOTH. */
    public Semiring semiring() {
        requireValid();
        return semiring;
    }

    /** {@return the band the pair was aligned in} */
    public BandGeometry geometry() {
        requireValid();
        return geometry;
    }

    /** {@return the lowest diagonal offset of the band used ({@code -(n-1)} without a band)} */
    public int diagLo() {
        return geometry().diagLo();
    }

    /** {@return the highest diagonal offset of the band used ({@code m-1} without a band)} */
    public int diagHi() {
        return geometry().diagHi();
    }

    /** {@return the number of band cells aligned} */
    public long cells() {
        return geometry().cells();
    }

    /** {@return true when the log semiring ran} */
    public boolean hasLogPartition() {
        requireValid();
        return semiring.computesLog();
    }

    /** {@return log Z, or NaN when the log semiring did not run} */
    public double logPartition() {
        requireValid();
        return logPartition;
    }

    /**
     * {@return the marginals as a dense {@code n*m*3} array (0 outside the band)} They are step
     * probabilities when the log semiring ran, else the 0/1 indicator of the Viterbi path. Where
     * the kept layout is dense ({@link #marginalsKeptDense()}) this is the result's own array,
     * else a new one.
     *
     * @throws InvalidPairException naming the pair where the dense array would be longer than a
     *         Java array can be (a band of a huge pair fits, its dense form may not); the result
     *         stays valid and {@link #marginalsBand()} still works
     */
    public float[] marginalsDense() {
        requireValid();
        if (geometry.isDense()) {
            return marginals;
        }
        requireArray((long) n * m * 3, "dense");
        return geometry.bandToDense(marginals);
    }

    /**
     * A conversion to a layout whose array Java cannot hold fails for this pair alone, with an
     * {@link InvalidPairException} naming it (a band of a huge pair fits; its dense form may not).
     */
    private void requireArray(long floats, String layout) {
        if (floats > PairChecks.MAX_ARRAY) {
            throw new InvalidPairException(id, "too large for " + layout + " layout: " + geometry + " needs " + floats
                    + " floats, more than one Java array holds");
        }
    }

    /**
     * {@return the marginals in band layout (SPEC section 2) of {@link #geometry()}; padding slots
     * are 0} That band is the one aligned, which may be narrower than the pair's own (clipped to
     * the grid, narrowed by the options' band): index it with this geometry's width. Where the
     * kept layout is band layout this is the result's own array, else a new one.
     *
     * @throws InvalidPairException naming the pair where the band-layout array would be longer than
     *         a Java array can be (a very long pair aligned without a band: {@code W = n + m - 1});
     *         the result stays valid and {@link #marginalsDense()} may still work
     */
    public float[] marginalsBand() {
        requireValid();
        if (!geometry.isDense()) {
            return marginals;
        }
        requireArray((long) n * geometry.width() * 3, "band");
        return geometry.denseToBand(marginals);
    }

    /** {@return true when the kept layout is dense, false when it is band layout} */
    public boolean marginalsKeptDense() {
        requireValid();
        return geometry.isDense();
    }

    /** {@return true when the max semiring ran} */
    public boolean hasViterbi() {
        requireValid();
        return viterbi != null;
    }

    private ViterbiPath viterbi() {
        requireValid();
        if (viterbi == null) {
            throw new IllegalStateException("pair '" + id + "': the max semiring did not run (semiring " + semiring.wireName() + ")");
        }
        return viterbi;
    }

    /** {@return the best path's weight} */
    public double viterbiScore() {
        return viterbi().score();
    }

    /** {@return the best path's steps as a run-length CIGAR over M, I, D (the start counts as one M)} */
    public String viterbiCigar() {
        return viterbi().cigar();
    }

    /**
     * {@return the best path itself} Its {@link ViterbiPath#forEachStep} visits the path's cells
     * without any array of the grid's size, as a pair too large for
     * {@link #viterbiIndicatorDense()} needs.
     *
     * @throws IllegalStateException naming the pair where the max semiring did not run
     */
    public ViterbiPath viterbiPath() {
        return viterbi();
    }

    /** {@return the best path's first cell {@code {i, j}}, a new array} */
    public int[] viterbiStart() {
        return viterbi().start();
    }

    /** {@return the best path's last cell {@code {i, j}}, a new array} */
    public int[] viterbiEnd() {
        return viterbi().end();
    }

    /**
     * {@return the 0/1 indicator of the best path's steps, a new dense {@code n*m*3} array}
     *
     * @throws IllegalStateException naming the pair where the max semiring did not run
     * @throws InvalidPairException naming the pair where that array would be longer than a Java
     *         array can be; {@link #viterbiIndicatorBand()} or {@link #viterbiPath()} then serve
     */
    public float[] viterbiIndicatorDense() {
        ViterbiPath path = viterbi();
        requireArray((long) n * m * 3, "dense");
        return path.indicatorDense(n, m);
    }

    /**
     * {@return the 0/1 indicator of the best path's steps, a new band-layout {@code n*W*3} array
     * of {@link #geometry()} (padding slots 0)}
     *
     * @throws IllegalStateException naming the pair where the max semiring did not run
     * @throws InvalidPairException naming the pair where that array would be longer than a Java
     *         array can be; {@link #viterbiPath()} then serves
     */
    public float[] viterbiIndicatorBand() {
        ViterbiPath path = viterbi();
        requireArray((long) n * geometry.width() * 3, "band");
        float[] band = new float[n * geometry.width() * 3];
        path.forEachStep((i, j, k) -> band[geometry.bandIndex(i, j) + k] = 1f);   // (of() checked the path keeps to the band)
        return band;
    }

    /** The longest CIGAR {@link #toString()} shows whole; a longer one is cut (a long pair's would flood a log line). */
    private static final int CIGAR_SHOWN = 64;

    private static String shortened(String cigar) {
        return cigar.length() <= CIGAR_SHOWN ? cigar : cigar.substring(0, CIGAR_SHOWN) + "...(" + cigar.length() + " characters)";
    }

    /** {@return the id, the band, log Z and the best path (its CIGAR cut after 64 characters), or the error} */
    @Override
    public String toString() {
        if (error != null) {
            return "AlignmentResult{id=" + id + ", error=" + error.reason() + "}";
        }
        return "AlignmentResult{id=" + id + ", " + geometry + ", mode=" + mode.wireName()
                + (semiring.computesLog() ? ", logZ=" + logPartition : "")
                + (viterbi != null ? ", viterbi=" + viterbi.score() + " " + shortened(viterbi.cigar())
                        + " from " + Arrays.toString(viterbi.start()) + " to " + Arrays.toString(viterbi.end()) : "")
                + "}";
    }
}
