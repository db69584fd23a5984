package org.bandalign.banded;

import java.util.Arrays;

/**
 * The semirings of the three banded products: how one term {@code x (*) y} is formed, how terms
 * are accumulated, and which value stands for "no entry" ({@link #fill()}).
 *
 * <p>Terms are formed and accumulated in {@code double} and rounded to {@code float} once, when a
 * result is read.
 */
enum ProductSemiring {

    /** Sum of products; the empty sum is 0. */
    STANDARD(0f) {
        @Override
        Accumulator newAccumulator(int slots) {
            return new SumOfProducts(slots);
        }
    },

    /** Log-sum-exp of sums (the log semiring); the empty sum is -inf. */
    LOG(Float.NEGATIVE_INFINITY) {
        @Override
        Accumulator newAccumulator(int slots) {
            return new LogSumExp(slots);
        }
    },

    /** Maximum of sums (the max-plus semiring); the empty maximum is -inf. */
    MAX(Float.NEGATIVE_INFINITY) {
        @Override
        Accumulator newAccumulator(int slots) {
            return new MaxOfSums(slots);
        }
    };

    private final float fill;

    ProductSemiring(float fill) {
        this.fill = fill;
    }

    /** The value of an empty accumulation, also used for result slots outside the matrix. */
    float fill() {
        return fill;
    }

    /** Creates an accumulator with {@code slots} independent slots, all empty. */
    abstract Accumulator newAccumulator(int slots);

    /** Independent running accumulations, one per slot of a result row. */
    abstract static class Accumulator {

        /** Empties every slot. */
        abstract void reset();

        /** Adds the term {@code x (*) y} to slot {@code slot}. */
        abstract void add(int slot, float x, float y);

        /** The accumulated value of slot {@code slot}, rounded to {@code float}. */
        abstract float result(int slot);
    }

    private static final class SumOfProducts extends Accumulator {
        private final double[] sum;

        SumOfProducts(int slots) {
            sum = new double[slots];
        }

        @Override
        void reset() {
            Arrays.fill(sum, 0.0);
        }

        @Override
        void add(int slot, float x, float y) {
            sum[slot] += (double) x * y;
        }

        @Override
        float result(int slot) {
            return (float) sum[slot];
        }
    }

    private static final class MaxOfSums extends Accumulator {
        private final double[] max;

        MaxOfSums(int slots) {
            max = new double[slots];
            reset();
        }

        @Override
        void reset() {
            Arrays.fill(max, Double.NEGATIVE_INFINITY);
        }

        @Override
        void add(int slot, float x, float y) {
            max[slot] = Math.max(max[slot], (double) x + y);
        }

        @Override
        float result(int slot) {
            return (float) max[slot];
        }
    }

    /**
     * Streaming, max-shifted log-sum-exp: each slot keeps its running maximum {@code m} and
     * {@code s = sum exp(term - m)}, rescaling {@code s} whenever the maximum grows. Terms equal to
     * -inf contribute nothing, so -inf inputs never produce NaN; a NaN term makes the slot NaN
     * wherever it comes (its maximum becomes NaN, which no later term passes), and a +inf term
     * makes it +inf.
     */
    private static final class LogSumExp extends Accumulator {
        private final double[] max;
        private final double[] scaledSum;

        LogSumExp(int slots) {
            max = new double[slots];
            scaledSum = new double[slots];
            reset();
        }

        @Override
        void reset() {
            Arrays.fill(max, Double.NEGATIVE_INFINITY);
            Arrays.fill(scaledSum, 0.0);
        }

        @Override
        void add(int slot, float x, float y) {
            double term = (double) x + y;
            if (term == Double.NEGATIVE_INFINITY) {
                return;
            }
            if (Double.isNaN(term)) {   // (alone, or among -inf terms only, it read as -inf)
                max[slot] = Double.NaN;
                return;
            }
            double m = max[slot];
            if (term > m) {
                scaledSum[slot] = scaledSum[slot] * Math.exp(m - term) + 1.0;
                max[slot] = term;
            } else {
                scaledSum[slot] += term == m ? 1.0 : Math.exp(term - m);
            }
        }

        @Override
        float result(int slot) {
            double m = max[slot];
            if (m == Double.NEGATIVE_INFINITY) {
                return Float.NEGATIVE_INFINITY;
            }
            return (float) (m + Math.log(scaledSum[slot]));
        }
    }
}
