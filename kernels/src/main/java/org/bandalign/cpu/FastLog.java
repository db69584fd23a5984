package org.bandalign.cpu;

/**
 * {@code log(x)} for the sums the forward pass takes the logarithm of: positive normal doubles,
 * in practice 1 to 4 (the largest of a cell's terms contributes exactly 1, the others at most 1
 * each). {@link Math#log} is a call into a JVM stub that the processor cannot overlap with the
 * neighbouring cells' work; this is inline arithmetic, accurate to a few ulps.
 *
 * <h2>Design</h2>
 * {@code x = 2^e * m} with {@code m} in [1, 2). The top 6 bits of the mantissa pick
 * {@code c_j = 1 + j / 64}, the start of {@code m}'s 1/64-wide interval, so
 * {@code m = c_j (1 + r)} with {@code 0 <= r < 1/64}. Then
 * {@code log x = e ln2 + log c_j + log(1 + r)}: {@code log c_j} and {@code 1 / c_j} come from
 * 64-entry tables, and {@code log(1 + r)} is its Taylor series to {@code r^8}, whose truncation
 * error is below {@code (1/64)^9 / 9 ~ 6e-18}, as {@code r + r^2 P(r)} with {@code P} in Estrin's
 * form (see {@link FastExp}: the chain of dependent operations is what the forward pass waits
 * on). The rounding of {@code r = m / c_j - 1} (about 1e-16 absolute) dominates: the result is
 * within about 4e-16 of the true value. For
 * {@code j = 0} the table holds exactly 1 and 0, so {@code log 1 = 0} exactly (a cell with a
 * single finite term keeps its alpha exact).
 */
final class FastLog {
    private static final double LN2 = Math.log(2);
    private static final double[] LOG_C = new double[64];
    private static final double[] INV_C = new double[64];

    static {
        for (int j = 0; j < 64; j++) {
            double c = 1 + j / 64.0;
            LOG_C[j] = Math.log(c);
            INV_C[j] = 1 / c;
        }
    }

    private FastLog() {
    }

    /** {@code log(x)} for a positive normal {@code x} (no check: NaN, zero, infinity and subnormals are not handled). */
    static double logPositive(double x) {
        return logPositive(x, HardwareFma.AVAILABLE);
    }

    /** The same, with fused multiply-adds or plain ones (the tests check both forms). */
    static double logPositive(double x, boolean fused) {
        long bits = Double.doubleToRawLongBits(x);
        int e = (int) (bits >>> 52) - 1023;
        int j = (int) (bits >>> 46) & 63;
        double m = Double.longBitsToDouble((bits & 0x000F_FFFF_FFFF_FFFFL) | 0x3FF0_0000_0000_0000L);
        double p;
        if (fused) {
            double r = Math.fma(m, INV_C[j], -1.0);
            double r2 = r * r;
            double r4 = r2 * r2;
            double b0 = Math.fma(r2, Math.fma(r, 1.0 / 5, -1.0 / 4), Math.fma(r, 1.0 / 3, -1.0 / 2));
            double b1 = Math.fma(r2, -1.0 / 8, Math.fma(r, 1.0 / 7, -1.0 / 6));
            p = Math.fma(r2, Math.fma(r4, b1, b0), r);
        } else {
            double r = m * INV_C[j] - 1;
            double r2 = r * r;
            double r4 = r2 * r2;
            double b0 = (r * (1.0 / 3) - 1.0 / 2) + r2 * (r * (1.0 / 5) - 1.0 / 4);
            double b1 = (r * (1.0 / 7) - 1.0 / 6) - r2 * (1.0 / 8);
            p = r + r2 * (b0 + r4 * b1);
        }
        return e * LN2 + LOG_C[j] + p;
    }
}
