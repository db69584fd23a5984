package org.bandalign.cpu;

/**
 * {@code exp(x)} for {@code x <= 0}, the only exponent the log-sum-exp of the engines needs
 * (every term is shifted by the maximum), about twice as fast as {@link Math#exp} and accurate to
 * a few ulps.
 *
 * <h2>Design</h2>
 * Table-driven range reduction (Tang's method): {@code x = (32k' + j) ln2/32 + r} with
 * {@code |r| <= ln2/64}, so {@code exp(x) = 2^k' * 2^(j/32) * exp(r)}. {@code 2^(j/32)} comes from a
 * 32-entry table, the power of two is added to the table entry's exponent bits, and
 * {@code exp(r)} is a degree-6 Taylor polynomial whose truncation error is below
 * {@code (ln2/64)^7 / 5040 ~ 3.5e-18} relative. {@code ln2/32} is split into a high part with
 * trailing zero bits and a low part (Cody-Waite) so that {@code r} is accurate to about 1e-16. Arguments below
 * -700 (including -inf) return 0: such a term is below 1e-304 of the maximum term it is summed
 * with, far under float64 resolution.
 */
final class FastExp {
    /** Below this, exp(x) < 1e-304: returned as 0. */
    static final double CUTOFF = -700.0;
    private static final double SCALE = 32 / Math.log(2);
    /**
     * ln2/32 split as fdlibm splits ln2: the high part has 32 significant bits, so that
     * {@code k * LN2_32_HI} is exact for the k that occur, and the low part carries the rest.
     */
    private static final double LN2_32_HI = 6.93147180369123816490e-01 / 32;
    private static final double LN2_32_LO = 1.90821492927058770002e-10 / 32;
    /** Bits of 2^(j/32), j = 0..31. */
    private static final long[] TABLE_BITS = new long[32];

    static {
        for (int j = 0; j < 32; j++) {
            TABLE_BITS[j] = Double.doubleToRawLongBits(Math.pow(2, j / 32.0));
        }
    }

    private FastExp() {
    }

    /** {@code exp(x)} for {@code x <= 0}; 0 for {@code x < -700} and for -inf. */
    static double expNonPositive(double x) {
        if (!(x >= CUTOFF)) {
            return 0.0;
        }
        double kd = Math.rint(x * SCALE);
        int k = (int) kd;
        double r = (x - kd * LN2_32_HI) - kd * LN2_32_LO;
        double p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720))))));
        long bits = TABLE_BITS[k & 31] + ((long) (k >> 5) << 52);
        return Double.longBitsToDouble(bits) * p;
    }
}
