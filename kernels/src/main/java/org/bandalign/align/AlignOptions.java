package org.bandalign.align;

import java.util.Objects;

/**
 * How to align: mode, semiring, an optional band half-width and the per-pair size limit.
 * Immutable; build one with {@link #builder()}.
 *
 * <pre>{@code
 * AlignOptions opts = AlignOptions.builder()
 *     .mode(Mode.GLOBAL)
 *     .semiring(Semiring.BOTH)
 *     .band(8)
 *     .build();
 * }</pre>
 */
public final class AlignOptions {
    /** No band: every cell of the n x m grid is allowed. */
    public static final int NO_BAND = -1;

    /**
     * Default limit on the band cells of one pair. The CPU engine takes up to about 53 bytes of
     * scratch a band cell beyond the pair's scores (the float64 forward weights, local mode's
     * alpha, the float32 marginals, Viterbi's back-pointers), so this is about 2.5 GiB of
     * scratch, beside 0.6 GB of scores, for the largest pair one worker thread may hold.
     */
    public static final long DEFAULT_MAX_CELLS = 50_000_000L;

    private final Mode mode;
    private final Semiring semiring;
    private final int band;
    private final long maxCells;

    private AlignOptions(Builder b) {
        this.mode = b.mode;
        this.semiring = b.semiring;
        this.band = b.band;
        this.maxCells = b.maxCells;
    }

    /** {@return a builder that starts from the defaults: global mode, log semiring, no band, {@link #DEFAULT_MAX_CELLS}} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the default options: global mode, log semiring, no band, {@link #DEFAULT_MAX_CELLS}} */
    public static AlignOptions defaults() {
        return builder().build();
    }

    /** {@return global or local alignment (SPEC section 1)} */
    public Mode mode() {
        return mode;
    }

    /** {@return the log semiring (log Z and marginals), the max semiring (Viterbi), or both} */
    public Semiring semiring() {
        return semiring;
    }

    /** {@return true when a band half-width was set} */
    public boolean hasBand() {
        return band != NO_BAND;
    }

    /** {@return the band half-width w, or {@link #NO_BAND}} */
    public int band() {
        return band;
    }

    /**
     * {@return the most band cells one pair may have} Pairs with more band cells than this are rejected as
     * too large.
     */
    public long maxCells() {
        return maxCells;
    }

    /** {@return a new builder seeded with these options} */
    public Builder toBuilder() {
        return new Builder().mode(mode).semiring(semiring).maxCells(maxCells).bandOrNone(band);
    }

    @Override
    public String toString() {
        return "AlignOptions{mode=" + mode.wireName() + ", semiring=" + semiring.wireName()
                + ", band=" + (hasBand() ? Integer.toString(band) : "none") + ", maxCells=" + maxCells + "}";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AlignOptions)) {
            return false;
        }
        AlignOptions other = (AlignOptions) o;
        return mode == other.mode && semiring == other.semiring && band == other.band && maxCells == other.maxCells;
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, semiring, band, maxCells);
    }

    /** Builds {@link AlignOptions}. */
    public static final class Builder {
        private Mode mode = Mode.GLOBAL;
        private Semiring semiring = Semiring.LOG;
        private int band = NO_BAND;
        private long maxCells = DEFAULT_MAX_CELLS;

        private Builder() {
        }

        /**
         * Global (the default) or local mode.
         *
         * @param mode the mode, not null
         * @return this builder
         */
        public Builder mode(Mode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * LOG (the default), MAX or BOTH.
         *
         * @param semiring what to compute, not null
         * @return this builder
         */
        public Builder semiring(Semiring semiring) {
            this.semiring = Objects.requireNonNull(semiring, "semiring");
            return this;
        }

        /**
         * Restricts every pair to the band of half-width {@code w} (SPEC section 1, "Band").
         *
         * @param w the band half-width, at least 0
         * @return this builder
         * @throws IllegalArgumentException where {@code w < 0}
         */
        public Builder band(int w) {
            if (w < 0) {
                throw new IllegalArgumentException("band half-width must be >= 0, got " + w);
            }
            this.band = w;
            return this;
        }

        /**
         * Removes the band.
         *
         * @return this builder
         */
        public Builder noBand() {
            this.band = NO_BAND;
            return this;
        }

        private Builder bandOrNone(int w) {
            return w == NO_BAND ? noBand() : band(w);
        }

        /**
         * The most band cells one pair may have; larger pairs are rejected as too large.
         *
         * @param maxCells the limit, at least 1 (default {@link #DEFAULT_MAX_CELLS})
         * @return this builder
         * @throws IllegalArgumentException where {@code maxCells < 1}
         */
        public Builder maxCells(long maxCells) {
            if (maxCells < 1) {
                throw new IllegalArgumentException("maxCells must be >= 1, got " + maxCells);
            }
            this.maxCells = maxCells;
            return this;
        }

        /** {@return the options set so far} The builder may go on to build others. */
        public AlignOptions build() {
            return new AlignOptions(this);
        }
    }
}
