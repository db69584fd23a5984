package org.bandalign.job;

import java.util.Locale;

/** How the marginals of one output row are stored (SPEC section 5). */
enum Layout {
    /** {@code n*m*3} floats, 0 outside the band. */
    DENSE,
    /** {@code n*W*3} floats in band layout (SPEC section 2). */
    BAND,
    /** Only the steps with probability at least {@code --min-prob}, as (i, j, k, p) structs. */
    SPARSE;

    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
