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
 * {@code (ln2/64)^7 / 5040 ~ 3.5e-18} relative, evaluated as {@code 1 + (r + r^2 q(r))} with
 * {@code q} in Estrin's form (two independent halves joined by {@code r^2}) rather than Horner's:
 * the forward pass waits on each cell's exp and log in turn, so the length of the chain of
 * dependent operations, not their number, sets its pace (with fused multiply-adds where the
 * hardware has them, {@link HardwareFma}; measured in docs/PERFORMANCE.md).
 * {@code ln2/32} is split into a high part with trailing zero bits and a low part (Cody-Waite)
 * so that {@code r} is accurate to about 1e-16. Arguments below -700 (including -inf) return 0:
 * such a term is below 1e-304 of the maximum term it is summed with, far under float64
 * resolution.
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
    /** Taylor coefficients 1/k! of exp(r), k = 2..6. */
    private static final double C2 = 0.5;
    private static final double C3 = 1.0 / 6;
    private static final double C4 = 1.0 / 24;
    private static final double C5 = 1.0 / 120;
    private static final double C6 = 1.0 / 720;
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
        return expNonPositive(x, HardwareFma.AVAILABLE);
    }

    /** The same, with fused multiply-adds or plain ones (the tests check both forms). */
    static double expNonPositive(double x, boolean fused) {
        if (!(x >= CUTOFF)) {
            return 0.0;
        }
        double kd = Math.rint(x * SCALE);
        int k = (int) kd;
        double p;
        if (fused) {
            double r = Math.fma(-kd, LN2_32_LO, Math.fma(-kd, LN2_32_HI, x));
            double r2 = r * r;
            double q = Math.fma(r2, Math.fma(r2, C6, Math.fma(r, C5, C4)), Math.fma(r, C3, C2));
            p = 1.0 + Math.fma(r2, q, r);
        } else {
            double r = (x - kd * LN2_32_HI) - kd * LN2_32_LO;
            double r2 = r * r;
            double q = (C2 + r * C3) + r2 * ((C4 + r * C5) + r2 * C6);
            p = 1.0 + (r + r2 * q);
        }
        long bits = TABLE_BITS[k & 31] + ((long) (k >> 5) << 52);
        return Double.longBitsToDouble(bits) * p;
    }
}
