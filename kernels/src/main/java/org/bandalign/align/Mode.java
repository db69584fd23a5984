package org.bandalign.align;

/** Which paths count (SPEC section 1). */
public enum Mode {
    /** Every path starts at (0, 0) and ends at (n-1, m-1). */
    GLOBAL,
    /** Smith-Waterman form: a path starts at any cell, takes zero or more steps, and ends at any cell. */
    LOCAL;

    /** {@return the lower-case name used on the command line and in Parquet output ({@code global}, {@code local})} */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
