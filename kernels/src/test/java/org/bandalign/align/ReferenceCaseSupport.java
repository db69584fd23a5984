package org.bandalign.align;

import org.bandalign.align.testing.ReferenceCase;

/** Small conversions the contract tests share. */
final class ReferenceCaseSupport {
    private ReferenceCaseSupport() {
    }

    /** Dense scores as a band-layout pair over {@code [lo, hi]}, padding NaN (it must be ignored). */
    static Pair toBand(String id, float[] dense, int n, int m, int lo, int hi) {
        return Pair.band(id, n, m, lo, hi, ReferenceCase.toBandLayout(dense, n, m, lo, hi));
    }
}
