package org.bandalign.cpu;

import org.bandalign.align.BandGeometry;
import org.bandalign.align.Pair;

/**
 * Index arithmetic of an anti-diagonal walk. Along anti-diagonal {@code t}, cell
 * {@code (i, t - i)} sits at a flat index linear in {@code i}, in the input scores and in the
 * output marginals alike: {@code 3 * (i * rowStep + t + offset)}. Dense arrays have
 * {@code rowStep = m - 1, offset = 0}; band-layout arrays {@code rowStep = W - 2,
 * offset = -diagLo}.
 */
final class CellWalk {
    final int scoreRowStep;
    final int scoreOffset;
    final int outRowStep;
    final int outOffset;

    CellWalk(Pair pair, BandGeometry g) {
        if (pair.isBandLayout()) {
            scoreRowStep = (pair.diagHi() - pair.diagLo() + 1) - 2;
            scoreOffset = -pair.diagLo();
        } else {
            scoreRowStep = pair.m() - 1;
            scoreOffset = 0;
        }
        if (g.isDense()) {
            outRowStep = g.m() - 1;
            outOffset = 0;
        } else {
            outRowStep = g.width() - 2;
            outOffset = -g.diagLo();
        }
    }

    /** Number of floats of the marginals array in the output layout. */
    static int outLength(BandGeometry g) {
        return g.n() * (g.isDense() ? g.m() : g.width()) * 3;
    }
}
