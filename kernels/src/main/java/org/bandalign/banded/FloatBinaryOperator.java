package org.bandalign.banded;

/**
 * A function of two {@code float} values, used by {@link BandedMatrix#op(BandedMatrix, FloatBinaryOperator)}
 * to combine two banded matrices entry by entry without boxing.
 */
@FunctionalInterface
public interface FloatBinaryOperator {

    /**
     * Combines two values.
     *
     * @param x the value taken from the left operand (or 0 where the left operand has no band entry)
     * @param y the value taken from the right operand
     * @return the combined value
     */
    float apply(float x, float y);
}
