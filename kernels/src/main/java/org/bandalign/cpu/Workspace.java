package org.bandalign.cpu;

import java.util.Arrays;

/**
 * Scratch memory of one worker thread, grown to the largest pair it has seen and reused; after a
 * very large pair the big arrays are let go ({@link #trim()}), so an executor does not keep
 * gigabytes for the rest of its life because of one outlier.
 * Not thread-safe: a workspace belongs to one thread at a time.
 */
final class Workspace {
    /** Per-cell arrays longer than this many doubles are dropped when the workspace is returned. */
    static final int RETAINED_DOUBLES = 16 << 20;

    /** Rolling anti-diagonals t, t-1, t-2 of alpha (or of the Viterbi score), indexed by row + 1. */
    final double[][] rolling = new double[3][];
    /** Rolling anti-diagonals of the backward flows, three steps per row, indexed 3*(row + 1) + k. */
    final double[][] flows = new double[3][];
    /** Forward weights of every band cell, {@code stride} doubles per cell in anti-diagonal order. */
    double[] weights = new double[0];
    /**
     * Local mode only: alpha of every band cell during the forward pass, then its end weight
     * {@code exp(alpha - max alpha)}; times {@link #endScale} that is {@code exp(alpha - log Z)}.
     */
    double[] alpha = new double[0];
    /** Local mode only: {@code 1 / sum of the end weights}, so that end weight x endScale = exp(alpha - log Z). */
    double endScale;
    /** Viterbi back-pointers of every band cell. */
    byte[] backPointers = new byte[0];

    /** Readies the rolling arrays for a pair with n rows, filled with {@code value}. */
    void resetRolling(int n, double value) {
        for (int r = 0; r < 3; r++) {
            if (rolling[r] == null || rolling[r].length < n + 3) {
                rolling[r] = new double[n + 3];
            }
            Arrays.fill(rolling[r], 0, n + 3, value);
        }
    }

    /** Readies the rolling flow arrays for a pair with n rows, zeroed. */
    void resetFlows(int n) {
        int len = 3 * (n + 3);
        for (int r = 0; r < 3; r++) {
            if (flows[r] == null || flows[r].length < len) {
                flows[r] = new double[len];
            }
            Arrays.fill(flows[r], 0, len, 0.0);
        }
    }

    double[] weights(long len) {
        if (weights.length < len) {
            weights = new double[(int) len];
        }
        return weights;
    }

    double[] alpha(long len) {
        if (alpha.length < len) {
            alpha = new double[(int) len];
        }
        return alpha;
    }

    byte[] backPointers(long len) {
        if (backPointers.length < len) {
            backPointers = new byte[(int) len];
        }
        return backPointers;
    }

    /**
     * Drops per-cell arrays beyond {@link #RETAINED_DOUBLES}, and the per-row rolling arrays (12
     * doubles a row in all) where together they are beyond it too (a long narrow pair: 4 million
     * rows in a band of one take 384 MB of them); the next pair allocates what it needs.
     */
    void trim() {
        if (rolling[0] != null && 12L * rolling[0].length > RETAINED_DOUBLES
                || flows[0] != null && 4L * flows[0].length > RETAINED_DOUBLES) {
            Arrays.fill(rolling, null);
            Arrays.fill(flows, null);
        }
        if (weights.length > RETAINED_DOUBLES) {
            weights = new double[0];
        }
        if (alpha.length > RETAINED_DOUBLES) {
            alpha = new double[0];
        }
        if (backPointers.length > 8 * RETAINED_DOUBLES) {
            backPointers = new byte[0];
        }
    }
}
