/**
 * The library's stable facade (SPEC section 6): {@link org.bandalign.align.Aligner} (the CPU,
 * CUDA and automatic backends), {@link org.bandalign.align.Pair},
 * {@link org.bandalign.align.AlignOptions}, {@link org.bandalign.align.AlignmentResult} and
 * {@link org.bandalign.align.InvalidPairException}; {@link org.bandalign.align.BandGeometry}
 * numbers a pair's band cells (SPEC section 2). Needs no Spark.
 *
 * <p>Some classes here are public only for the other packages and the Spark job:
 * {@code PairChecks}, the static factories of {@code AlignmentResult} and
 * {@code InvalidPairException}, and {@code ViterbiPath}'s constructor. They are not part of the
 * facade and may change.
 */
package org.bandalign.align;
