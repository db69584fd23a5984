package org.bandalign.align;

/**
 * A pair that cannot be aligned: bad shape, bad scores, no finite path, or too large for the
 * configured memory (SPEC section 1, "Bad input"). The message names the pair and the reason,
 * for example {@code pair 'p7': score S[3][4][1] is NaN}.
 */
public final class InvalidPairException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String pairId;
    private final String reason;

    public InvalidPairException(String pairId, String reason) {
        super("pair '" + pairId + "': " + reason);
        this.pairId = pairId;
        this.reason = reason;
    }

    /** The id of the offending pair, as given (may be null if the input had none). */
    public String pairId() {
        return pairId;
    }

    /** The reason alone, without the pair's id. */
    public String reason() {
        return reason;
    }
}
