package org.bandalign.align;

/** What to compute for each pair (SPEC section 1). */
public enum Semiring {
    /** Log-partition and the marginal probability of every step (forward-backward). */
    LOG,
    /** Viterbi: the best path's weight, start, end and CIGAR; marginals are the path's 0/1 indicator. */
    MAX,
    /** Both of the above; marginals are the log-semiring marginals. */
    BOTH;

    /** {@return whether log Z and the marginals are computed (LOG, BOTH)} */
    public boolean computesLog() {
        return this != MAX;
    }

    /** {@return whether the Viterbi path is computed (MAX, BOTH)} */
    public boolean computesMax() {
        return this != LOG;
    }

    /** {@return the name in the command line and the job's output: {@code log}, {@code max} or {@code both}} */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
