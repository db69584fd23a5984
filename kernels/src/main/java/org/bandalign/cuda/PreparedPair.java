package org.bandalign.cuda;

import org.bandalign.align.AlignOptions;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.Pair;

/** A checked pair with its band and the device memory one launch needs for it. */
final class PreparedPair {
    final int index;
    final Pair pair;
    final BandGeometry geometry;
    final long cells;
    final int maxRows;
    final int outFloats;
    /**
     * A dense pair aligned in a band narrower than its rows: only the band's rows go to the
     * device, in band layout (SPEC section 2), so transfers and device memory follow the band's
     * cells. (A band at least as wide as the rows, as a tall pair's corner-to-corner band can
     * be, would only add padding: such a pair goes as it is.)
     */
    final boolean sentAsBand;
    /** Floats of scores this pair sends to the device. */
    final long uploadFloats;

    PreparedPair(int index, Pair pair, BandGeometry geometry) {
        this.index = index;
        this.pair = pair;
        this.geometry = geometry;
        this.cells = geometry.cells();
        int widest = 0;
        for (int t = 0, last = geometry.lastAntidiagonal(); t <= last; t++) {
            widest = Math.max(widest, geometry.rowHi(t) - geometry.rowLo(t) + 1);
        }
        this.maxRows = widest;
        this.outFloats = geometry.n() * (geometry.isDense() ? geometry.m() : geometry.width()) * 3;
        this.sentAsBand = !pair.isBandLayout() && !geometry.isDense() && geometry.width() < geometry.m();
        this.uploadFloats = sentAsBand ? 3L * geometry.n() * geometry.width() : pair.scores().length;
    }

    /** Pinned host bytes this pair takes in a launch's staging buffer (its largest transfer, plus slack). */
    long hostBytes(AlignOptions options) {
        long in = 4L * uploadFloats;
        long out = options.semiring().computesLog() ? 4L * outFloats + 8 : 0;
        return Math.max(in, out) + 8L * LaunchLayout.DESC_FIELDS + geometry.n() + geometry.m() + 48;
    }

    /**
     * Device bytes this pair takes in a launch: scores, marginals, alpha, Viterbi back-pointers
     * and path, bad-score flag. Rolling scratch in global memory, which a launch needs only when
     * its widest pair is too wide for shared memory, is counted per launch ({@link #rollBytes}).
     */
    long deviceBytes(AlignOptions options) {
        long bytes = 4L * uploadFloats + 8L * LaunchLayout.DESC_FIELDS + 4;
        if (options.semiring().computesLog()) {
            bytes += 4L * outFloats + 8L * cells + 8;
        }
        if (options.semiring().computesMax()) {
            bytes += cells + geometry.n() + geometry.m() + 20;
        }
        return bytes;
    }

    /** This pair's rolling anti-diagonal length alone (a launch's is that of its widest pair). */
    int rollLen() {
        return maxRows + 4;
    }

    /**
     * Global-memory rolling scratch per pair of a launch whose rolling length is {@code rollLen}:
     * 12 anti-diagonals of doubles for forward-backward, 3 for Viterbi.
     */
    static long rollBytes(AlignOptions options, long rollLen) {
        return ((options.semiring().computesLog() ? 96 : 0) + (options.semiring().computesMax() ? 24 : 0)) * rollLen;
    }
}
