package org.bandalign.align;

/**
 * A pair that cannot be aligned: bad shape, bad scores, no finite path, or too large for the
 * configured memory (SPEC section 1, "Bad input"). The message names the pair and the reason,
 * for example {@code pair 'p7': score S[3][4][1] is NaN (inside the band)}.
 */
public final class InvalidPairException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The pair's id, or null for a pair without one. */
    private final String pairId;
    /** What is wrong, without the pair's name. */
    private final String reason;
    /** Whether the pair only exceeds what one device holds. */
    private final boolean deviceLimit;
    /** Whether the pair only exceeded the heap that was free when it ran. */
    private final boolean heapLimit;

    /**
     * The pair {@code pairId} cannot be aligned, for {@code reason}.
     *
     * @param pairId the pair's id, or null for a pair without one
     * @param reason what is wrong, in words, without the pair's name
     */
    public InvalidPairException(String pairId, String reason) {
        this(pairId, reason, false, false);
    }

    private InvalidPairException(String pairId, String reason, boolean deviceLimit, boolean heapLimit) {
        super((pairId == null ? "pair without an id" : "pair '" + pairId + "'") + ": " + reason);
        this.pairId = pairId;
        this.reason = reason;
        this.deviceLimit = deviceLimit;
        this.heapLimit = heapLimit;
    }

    /**
     * A pair with nothing wrong in it that does not fit what one device holds (its memory, or a
     * pinned staging buffer): another backend, such as the CPU engine, may still align it.
     *
     * @param pairId the pair's id, or null for a pair without one
     * @param reason what did not fit, in words, without the pair's name
     * @return the error, with {@link #isDeviceLimit()} true
     */
    public static InvalidPairException tooLargeForDevice(String pairId, String reason) {
        return new InvalidPairException(pairId, reason, true, false);
    }

    /**
     * A pair with nothing wrong in it whose alignment did not fit the JVM heap that was free when
     * it ran, alone: with more of the heap free (other work of the process done) it may.
     *
     * @param pairId the pair's id, or null for a pair without one
     * @param reason what did not fit, in words, without the pair's name
     * @return the error, with {@link #isHeapLimit()} true
     */
    public static InvalidPairException tooLargeForFreeHeap(String pairId, String reason) {
        return new InvalidPairException(pairId, reason, false, true);
    }

    /**
     * {@return this error thrown anew: the same pair, reason and flags, with this as its cause}
     * A failed {@link AlignmentResult} throws it from each accessor, so that the stack shows
     * where the result was read as well as (in the cause) where the pair failed.
     */
    InvalidPairException thrownAgain() {
        InvalidPairException again = new InvalidPairException(pairId, reason, deviceLimit, heapLimit);
        again.initCause(this);
        return again;
    }

    /** {@return whether this is {@link #tooLargeForFreeHeap}: the pair is valid, the free heap was too small for it} */
    public boolean isHeapLimit() {
        return heapLimit;
    }

    /** {@return whether this is {@link #tooLargeForDevice}: the pair is valid, the device too small for it} */
    public boolean isDeviceLimit() {
        return deviceLimit;
    }

    /** {@return the id of the offending pair, as given (may be null if the input had none)} */
    public String pairId() {
        return pairId;
    }

    /** {@return the reason alone, without the pair's id} */
    public String reason() {
        return reason;
    }
}
