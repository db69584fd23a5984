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
     * @param x the value taken from the left operand (0 where the left operand's band does not
     *          reach; in a padding slot, the value stored there)
     * @param y the value taken from the right operand (likewise)
     * @return the combined value
     */
    float apply(float x, float y);
}
