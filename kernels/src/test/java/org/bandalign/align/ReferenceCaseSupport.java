package org.bandalign.align;

/** Small conversions the contract tests share. */
final class ReferenceCaseSupport {
    private ReferenceCaseSupport() {
    }

    /** Dense scores copied into band layout over {@code [lo, hi]}, padding NaN (it must be ignored). */
    static Pair toBand(String id, float[] dense, int n, int m, int lo, int hi) {
        int w = hi - lo + 1;
        float[] band = new float[n * w * 3];
        java.util.Arrays.fill(band, Float.NaN);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < w; c++) {
                int j = i + lo + c;
                if (j >= 0 && j < m) {
                    System.arraycopy(dense, (i * m + j) * 3, band, (i * w + c) * 3, 3);
                }
            }
        }
        return Pair.band(id, n, m, lo, hi, band);
    }
}
