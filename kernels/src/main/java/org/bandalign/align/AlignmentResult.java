package org.bandalign.align;

import java.util.Arrays;

/**
 * What aligning one pair produced (SPEC sections 1 and 6), or why it could not be aligned.
 *
 * <p>A result from {@link Aligner#alignAll} may be a failure: {@link #isValid()} is false,
 * {@link #error()} says why, and every accessor of computed values throws that
 * {@link InvalidPairException}. {@link Aligner#align} throws it directly instead.
 *
 * <p>Marginals are kept in one layout (dense when the band is the whole grid, else band layout)
 * and converted on request. The array returned for the kept layout is the result's own, not a
 * copy.
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
     */
    public static AlignmentResult of(String id, Mode mode, Semiring semiring, BandGeometry geometry,
                                     double logPartition, float[] marginals, ViterbiPath viterbi) {
        long expected = (long) geometry.n() * (geometry.isDense() ? geometry.m() : geometry.width()) * 3;
        java.util.Objects.requireNonNull(marginals, "marginals");
        if (marginals.length != expected) {
            throw new IllegalArgumentException("marginals hold " + marginals.length + " floats, expected " + expected);
        }
        return new AlignmentResult(id, null, mode, semiring, geometry, logPartition, marginals, viterbi);
    }

    /** A failed result carrying the reason. */
    public static AlignmentResult failed(InvalidPairException error) {
        java.util.Objects.requireNonNull(error, "error");
        return new AlignmentResult(error.pairId(), error, null, null, null, Double.NaN, null, null);
    }

    /** The pair's id, as given ({@link Pair#id()}); also for an invalid pair. */
    public String id() {
        return id;
    }

    /** False when the pair could not be aligned; {@link #error()} says why. */
    public boolean isValid() {
        return error == null;
    }

    /** Why the pair could not be aligned, or null for a valid result. */
    public InvalidPairException error() {
        return error;
    }

    private void requireValid() {
        if (error != null) {
            throw error;
        }
    }

    /** Rows of the pair's grid (the length of the first sequence). */
    public int n() {
        requireValid();
        return n;
    }

    /** Columns of the pair's grid (the length of the second sequence). */
    public int m() {
        requireValid();
        return m;
    }

    /** The mode the pair was aligned in. */
    public Mode mode() {
        requireValid();
        return mode;
    }

    /** Which semirings ran: the log semiring's accessors need LOG or BOTH, the Viterbi ones MAX or BOTH. */
    public Semiring semiring() {
        requireValid();
        return semiring;
    }

    /** The band the pair was aligned in. */
    public BandGeometry geometry() {
        requireValid();
        return geometry;
    }

    /** Lowest diagonal offset of the band used ({@code -(n-1)} without a band). */
    public int diagLo() {
        return geometry().diagLo();
    }

    /** Highest diagonal offset of the band used ({@code m-1} without a band). */
    public int diagHi() {
        return geometry().diagHi();
    }

    /** Number of band cells aligned. */
    public long cells() {
        return geometry().cells();
    }

    /** True when the log semiring ran. */
    public boolean hasLogPartition() {
        requireValid();
        return semiring.computesLog();
    }

    /** log Z, or NaN when the log semiring did not run. */
    public double logPartition() {
        requireValid();
        return logPartition;
    }

    /**
     * Marginals as a dense {@code n*m*3} array (0 outside the band): step probabilities when the
     * log semiring ran, else the 0/1 indicator of the Viterbi path.
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

    /** Marginals in band layout (SPEC section 2) of {@link #geometry()}; padding slots are 0. */
    public float[] marginalsBand() {
        requireValid();
        if (!geometry.isDense()) {
            return marginals;
        }
        requireArray((long) n * geometry.width() * 3, "band");
        return geometry.denseToBand(marginals);
    }

    /** True when the kept layout is dense, false when it is band layout. */
    public boolean marginalsKeptDense() {
        requireValid();
        return geometry.isDense();
    }

    /** True when the max semiring ran. */
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

    /** The best path's weight. */
    public double viterbiScore() {
        return viterbi().score();
    }

    /** The best path's steps as a run-length CIGAR over M, I, D (the start counts as one M). */
    public String viterbiCigar() {
        return viterbi().cigar();
    }

    /** The best path's first cell {@code {i, j}}. */
    public int[] viterbiStart() {
        return viterbi().start();
    }

    /** The best path's last cell {@code {i, j}}. */
    public int[] viterbiEnd() {
        return viterbi().end();
    }

    /** The 0/1 indicator of the best path's steps, dense {@code n*m*3}. */
    public float[] viterbiIndicatorDense() {
        ViterbiPath path = viterbi();
        requireArray((long) n * m * 3, "dense");
        return path.indicatorDense(n, m);
    }

    @Override
    public String toString() {
        if (error != null) {
            return "AlignmentResult{id=" + id + ", error=" + error.reason() + "}";
        }
        return "AlignmentResult{id=" + id + ", " + geometry + ", mode=" + mode.wireName()
                + (semiring.computesLog() ? ", logZ=" + logPartition : "")
                + (viterbi != null ? ", viterbi=" + viterbi.score() + " " + viterbi.cigar()
                        + " from " + Arrays.toString(viterbi.start()) + " to " + Arrays.toString(viterbi.end()) : "")
                + "}";
    }
}
