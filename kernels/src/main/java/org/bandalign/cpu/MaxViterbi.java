package org.bandalign.cpu;

import org.bandalign.align.BandGeometry;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.PairChecks;
import org.bandalign.align.ViterbiPath;

/**
 * Max-semiring (Viterbi) alignment on the CPU: the best path's weight, its start and end, and
 * its CIGAR (SPEC section 1).
 *
 * <h2>Design</h2>
 * The same anti-diagonal walk as {@link LogForwardBackward}: three rolling arrays of float64
 * scores indexed by row + 1 with -inf sentinels, one back-pointer byte per band cell in compact
 * anti-diagonal order (so memory follows the band), then a traceback from the end cell.
 *
 * <p><b>No branches on the scores.</b> {@link #cell} picks each cell's predecessor by sign-bit
 * arithmetic rather than by {@code if}: on random scores the comparisons are coin tosses, and
 * the mispredicted branches cost more than the recurrence itself. Measured with
 * {@code bin/bench-cpu -p workload=dense200 -p threads=1 -p semiring=max -p mode=global,local}
 * (JDK 17, AMD EPYC, one thread): 84 to 203 M cells/s in global mode, 80 to 130 in local mode.
 *
 * <p><b>Ties.</b> Predecessors are compared in the order M (in local mode the start before the
 * diagonal), then I (up), then D (left), and a later one wins only when strictly greater, so
 * the traceback prefers M, then I, then D, as SPEC requires. In local mode the end cell is the
 * cell of largest score, the first in row-major order among equals. (SPEC leaves those two
 * choices, start against diagonal and which best cell ends a local path, open; the CUDA kernels
 * make the same ones.)
 */
final class MaxViterbi {
    static final byte NONE = 0;
    static final byte LEFT = 1;
    static final byte DIAG = 2;
    static final byte UP = 3;
    static final byte START = 4;
    private static final double NEG_INF = Double.NEGATIVE_INFINITY;

    private MaxViterbi() {
    }

    /**
     * Finds one best path.
     *
     * @throws org.bandalign.align.InvalidPairException when no path has finite weight
     */
    static ViterbiPath run(Pair pair, BandGeometry g, Mode mode, Workspace ws) {
        final int[] starts = g.antidiagonalStarts();
        final int last = g.lastAntidiagonal();
        final byte[] bp = ws.backPointers(starts[last + 1]);
        final float[] s = pair.scores();
        final CellWalk walk = new CellWalk(pair, g);
        final boolean local = mode == Mode.LOCAL;
        ws.resetRolling(g.n(), NEG_INF);
        double[][] a = ws.rolling;
        if (!local) {
            a[1][0] = 0.0;   // virtual predecessor (-1, -1) of the start cell
        }
        double best = NEG_INF;
        int bestI = -1;
        int bestJ = -1;
        final int rowStep = walk.scoreRowStep;
        for (int from = 0; from <= last; from += Interruption.EVERY) {   // (a look at the interrupt status between runs of anti-diagonals)
            Interruption.check();
            for (int t = from, to = Math.min(last, from + Interruption.EVERY - 1); t <= to; t++) {
                final double[] cur = a[t % 3];
                final double[] prev = a[(t + 2) % 3];
                final double[] prev2 = a[(t + 1) % 3];
                final int lo = g.rowLo(t);
                final int hi = g.rowHi(t);
                int c = starts[t];
                int si = 3 * (lo * rowStep + t + walk.scoreOffset);
                for (int i = lo; i <= hi; i++, c++, si += 3 * rowStep) {
                    double v = cell(local, t == 0, s[si], s[si + 1], s[si + 2], prev[i + 1], prev2[i], prev[i], bp, c);
                    cur[i + 1] = v;
                    if (local && v > best || local && v == best && v != NEG_INF && rowMajorBefore(i, t - i, bestI, bestJ)) {
                        best = v;
                        bestI = i;
                        bestJ = t - i;
                    }
                }
                cur[lo] = NEG_INF;
                cur[hi + 2] = NEG_INF;
            }
        }
        if (!local) {
            best = a[last % 3][g.n()];
            bestI = g.n() - 1;
            bestJ = g.m() - 1;
        }
        if (best == NEG_INF) {
            throw PairChecks.noFinitePath(pair, g, mode);
        }
        return traceback(g, starts, bp, best, bestI, bestJ);
    }

    /**
     * One cell's recurrence: returns the cell's best score and writes its back-pointer to
     * {@code bp[c]}. {@code sL, sD, sU} are the scores of the steps into the cell;
     * {@code left, diag, up} the best scores of the cells they come from ({@code first}: the cell
     * is (0, 0), whose diagonal predecessor in global mode is the virtual start).
     *
     * <p>Without data-dependent branches: which predecessor wins is close to a coin toss on real
     * scores, and each mispredicted branch throws away the work in flight. {@link #greater} and
     * {@link #select} compare and pick by the sign bit instead (HotSpot's C2 keeps the branches
     * of {@code if (x > v)} as branches here), and give exactly what {@code if (x > v) v = x} gives, signed zeros
     * included. Their one loose case, a NaN difference, arises only when both sides are -inf;
     * the score stays -inf whichever is picked, and a pointer so chosen is overwritten by a later
     * finite predecessor or replaced by {@link #NONE}.
     */
    static double cell(boolean local, boolean first, double sL, double sD, double sU,
                       double left, double diag, double up, byte[] bp, int c) {
        double v;
        long ptr;
        if (local) {
            double xD = diag + sD;
            long gD = greater(xD, sD);   // the start wins a tie with the diagonal
            v = select(gD, xD, sD);
            ptr = START + gD * (DIAG - START);
        } else {
            v = diag + sD;
            ptr = first ? START : DIAG;
        }
        double xU = up + sU;
        long gU = greater(xU, v);
        v = select(gU, xU, v);
        ptr += gU * (UP - ptr);
        double xL = left + sL;
        long gL = greater(xL, v);
        v = select(gL, xL, v);
        ptr += gL * (LEFT - ptr);
        bp[c] = v == NEG_INF ? NONE : (byte) ptr;
        return v;
    }

    /**
     * 1 when {@code a > b}, else 0, from the sign of {@code b - a}; adding +0.0 turns a -0.0
     * difference (a = +0.0, b = -0.0, not greater) into +0.0. Exact for every pair of finite
     * or infinite values except two equal infinities, whose NaN difference may give either.
     */
    static long greater(double a, double b) {
        return Double.doubleToRawLongBits((b - a) + 0.0) >>> 63;
    }

    /** {@code a} when {@code pick} is 1, {@code b} when it is 0, bit for bit. */
    static double select(long pick, double a, double b) {
        long mask = -pick;
        return Double.longBitsToDouble(Double.doubleToRawLongBits(a) & mask | Double.doubleToRawLongBits(b) & ~mask);
    }

    private static boolean rowMajorBefore(int i, int j, int bi, int bj) {
        return i < bi || i == bi && j < bj;
    }

    private static ViterbiPath traceback(BandGeometry g, int[] starts, byte[] bp, double score, int endI, int endJ) {
        char[] ops = new char[g.n() + g.m()];
        int len = 0;
        int i = endI;
        int j = endJ;
        while (true) {
            int t = i + j;
            byte ptr = bp[starts[t] + i - g.rowLo(t)];
            if (ptr == START) {
                ops[len++] = 'M';
                break;
            } else if (ptr == DIAG) {
                ops[len++] = 'M';
                i--;
                j--;
            } else if (ptr == UP) {
                ops[len++] = 'I';
                i--;
            } else if (ptr == LEFT) {
                ops[len++] = 'D';
                j--;
            } else {
                throw new IllegalStateException("traceback reached unreachable cell (" + i + ", " + j + ") of " + g);
            }
        }
        return new ViterbiPath(score, runLength(ops, len), i, j, endI, endJ);
    }

    /** Run-length encodes ops, which are stored from the path's end to its start. */
    private static String runLength(char[] ops, int len) {
        StringBuilder cigar = new StringBuilder();
        int k = len - 1;
        while (k >= 0) {
            char op = ops[k];
            int run = 0;
            while (k >= 0 && ops[k] == op) {
                run++;
                k--;
            }
            cigar.append(run).append(op);
        }
        return cigar.toString();
    }
}
