package org.bandalign.cpu;

import org.bandalign.align.BandGeometry;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.PairChecks;

/**
 * Log-semiring forward-backward on the CPU: log Z and the marginal of every step (SPEC section 1).
 *
 * <h2>Design</h2>
 * <b>Order.</b> Cells are visited by anti-diagonal {@code t = i + j}: a cell depends only on
 * anti-diagonals {@code t-1} and {@code t-2}, so the cells of one anti-diagonal are independent
 * and the processor overlaps their exp/log latencies instead of waiting on a row's chain.
 * Only the band's cells are visited ({@link BandGeometry#rowLo}, {@link BandGeometry#rowHi}), so
 * work and memory follow the band.
 *
 * <p><b>Forward.</b> Alpha lives in three rolling arrays indexed by row + 1, with -inf sentinels
 * just outside each anti-diagonal's rows, so the inner loop has no boundary tests. For each cell
 * the (up to four) terms {@code x_k = pred_k + S_k} are combined by log-sum-exp shifted by their
 * maximum, and the normalised weights {@code w_k = exp(x_k - alpha)} (the softmax of the terms)
 * are stored for the backward pass. Global mode seeds a virtual predecessor (-1, -1) with
 * alpha 0, so the start at (0, 0) is the diagonal step of cell (0, 0).
 *
 * <p><b>Backward without beta.</b> The gradient of log-sum-exp is its softmax, so the
 * marginals follow from the weights by linear back-propagation, with no further
 * transcendental: the probability that a path passes through cell c is
 * {@code gamma(c) = end(c) + sum over successors s of flow(c -> s)}, and the flow of step k
 * into c is {@code mu_k(c) = gamma(c) * w_k(c)}. {@code end(c)} is 1 at the last cell in global
 * mode and {@code exp(alpha(c) - log Z)} in local mode, kept from the sum that gives log Z as
 * {@code exp(alpha(c) - max alpha) / sum}. The flows are the marginals.
 *
 * <p><b>Numerics.</b> Alpha, log Z, weights and flows are float64 (SPEC "Numerics"); every
 * exponent is of a non-positive difference, so nothing overflows however large the scores
 * (the seed example has log Z about 2.2e8). Flows are probabilities in [0, 1] and are rounded
 * to float32 only when written out. Per cell: three exp and one log forward (five exp in local
 * mode, the fifth for log Z; {@link FastExp} and {@link FastLog}, inline and accurate to a few
 * ulps), none backward,
 * against the eleven of a textbook forward-backward.
 */
final class LogForwardBackward {
    private static final double NEG_INF = Double.NEGATIVE_INFINITY;

    private LogForwardBackward() {
    }

    /**
     * Runs forward-backward and writes the marginals into {@code out} (dense when the geometry is
     * dense, else band layout). Returns log Z.
     *
     * @throws org.bandalign.align.InvalidPairException when no path has finite weight
     */
    static double run(Pair pair, BandGeometry g, Mode mode, Workspace ws, float[] out) {
        int[] starts = g.antidiagonalStarts();
        CellWalk walk = new CellWalk(pair, g);
        boolean local = mode == Mode.LOCAL;
        double logZ = local ? forwardLocal(pair, g, ws, starts, walk) : forwardGlobal(pair, g, ws, starts, walk);
        if (logZ == NEG_INF) {
            throw PairChecks.noFinitePath(pair, g, mode);
        }
        backward(g, ws, starts, walk, local, out);
        return logZ;
    }

    private static double forwardGlobal(Pair pair, BandGeometry g, Workspace ws, int[] starts, CellWalk walk) {
        final float[] s = pair.scores();
        final int last = g.lastAntidiagonal();
        final double[] w = ws.weights(3L * starts[last + 1]);
        ws.resetRolling(g.n(), NEG_INF);
        double[][] a = ws.rolling;
        a[1][0] = 0.0;   // virtual predecessor (-1, -1) of the start cell, read as anti-diagonal -2
        final int rowStep = walk.scoreRowStep;
        for (int from = 0; from <= last; from += Interruption.EVERY) {   // (a look at the interrupt status between runs of anti-diagonals)
            Interruption.check();
            for (int t = from, to = Math.min(last, from + Interruption.EVERY - 1); t <= to; t++) {
                final double[] cur = a[t % 3];
                final double[] prev = a[(t + 2) % 3];
                final double[] prev2 = a[(t + 1) % 3];
                final int lo = g.rowLo(t);
                final int hi = g.rowHi(t);
                int q = 3 * starts[t];
                int si = 3 * (lo * rowStep + t + walk.scoreOffset);
                for (int i = lo; i <= hi; i++, q += 3, si += 3 * rowStep) {
                    double xL = prev[i + 1] + s[si];
                    double xD = prev2[i] + s[si + 1];
                    double xU = prev[i] + s[si + 2];
                    double mx = Math.max(xL, Math.max(xD, xU));
                    if (mx == NEG_INF) {
                        cur[i + 1] = NEG_INF;
                        w[q] = 0.0;
                        w[q + 1] = 0.0;
                        w[q + 2] = 0.0;
                        continue;
                    }
                    double eL = FastExp.expNonPositive(xL - mx);
                    double eD = FastExp.expNonPositive(xD - mx);
                    double eU = FastExp.expNonPositive(xU - mx);
                    double sum = eL + eD + eU;
                    double inv = 1.0 / sum;
                    cur[i + 1] = mx + FastLog.logPositive(sum);
                    w[q] = eL * inv;
                    w[q + 1] = eD * inv;
                    w[q + 2] = eU * inv;
                }
                cur[lo] = NEG_INF;
                cur[hi + 2] = NEG_INF;
            }
        }
        return a[last % 3][g.n()];
    }

    private static double forwardLocal(Pair pair, BandGeometry g, Workspace ws, int[] starts, CellWalk walk) {
        final float[] s = pair.scores();
        final int last = g.lastAntidiagonal();
        final int cells = starts[last + 1];
        final double[] w = ws.weights(4L * cells);
        final double[] alphaAll = ws.alpha(cells);
        ws.resetRolling(g.n(), NEG_INF);
        double[][] a = ws.rolling;
        final int rowStep = walk.scoreRowStep;
        double best = NEG_INF;
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
                    double xS = s[si + 1];
                    double xL = prev[i + 1] + s[si];
                    double xD = prev2[i] + xS;
                    double xU = prev[i] + s[si + 2];
                    double mx = Math.max(Math.max(xL, xS), Math.max(xD, xU));
                    int q = 4 * c;
                    if (mx == NEG_INF) {
                        cur[i + 1] = NEG_INF;
                        alphaAll[c] = NEG_INF;
                        w[q] = 0.0;
                        w[q + 1] = 0.0;
                        w[q + 2] = 0.0;
                        w[q + 3] = 0.0;
                        continue;
                    }
                    // The plain form of FastExp even where fused multiply-adds are hardware: with four
                    // exps a cell, HotSpot's C2 made this loop about a quarter slower with the fused
                    // form (and the global loop, with three, about 8% faster). JDK 17, AMD EPYC:
                    // bin/bench-cpu -p workload=dense200 -p threads=1 -p semiring=log -p mode=local
                    double eL = FastExp.expNonPositive(xL - mx, false);
                    double eD = FastExp.expNonPositive(xD - mx, false);
                    double eU = FastExp.expNonPositive(xU - mx, false);
                    double eS = FastExp.expNonPositive(xS - mx, false);
                    double sum = eL + eD + eU + eS;
                    double inv = 1.0 / sum;
                    double alpha = mx + FastLog.logPositive(sum);
                    cur[i + 1] = alpha;
                    alphaAll[c] = alpha;
                    best = Math.max(best, alpha);
                    w[q] = eL * inv;
                    w[q + 1] = eD * inv;
                    w[q + 2] = eU * inv;
                    w[q + 3] = eS * inv;
                }
                cur[lo] = NEG_INF;
                cur[hi + 2] = NEG_INF;
            }
        }
        if (best == NEG_INF) {
            return NEG_INF;
        }
        // The end weights exp(alpha - best) are kept for the backward pass, which scales them by
        // 1 / sum instead of taking exp(alpha - log Z) again: one exponential a cell fewer.
        double sum = 0.0;
        for (int c = 0; c < cells; c++) {
            double e = FastExp.expNonPositive(alphaAll[c] - best);
            alphaAll[c] = e;
            sum += e;
        }
        ws.endScale = 1.0 / sum;
        return best + Math.log(sum);
    }

    /**
     * Back-propagates the flows from the last anti-diagonal to the first and writes the marginals.
     * Flow arrays hold, per row + 1, the flows of steps 0 (left), 1 (diagonal, start excluded)
     * and 2 (up) into that row's cell; zero sentinels surround each anti-diagonal.
     */
    private static void backward(BandGeometry g, Workspace ws, int[] starts, CellWalk walk, boolean local,
                                 float[] out) {
        final int last = g.lastAntidiagonal();
        final int stride = local ? 4 : 3;
        final double[] w = ws.weights;
        final double[] ends = ws.alpha;
        final double endScale = ws.endScale;
        ws.resetFlows(g.n());
        double[][] f = ws.flows;
        final int rowStep = walk.outRowStep;
        for (int from = last; from >= 0; from -= Interruption.EVERY) {   // (a look at the interrupt status between runs of anti-diagonals)
            Interruption.check();
            for (int t = from, to = Math.max(0, from - Interruption.EVERY + 1); t >= to; t--) {
                final double[] cur = f[t % 3];
                final double[] next = f[(t + 1) % 3];
                final double[] next2 = f[(t + 2) % 3];
                final int lo = g.rowLo(t);
                final int hi = g.rowHi(t);
                int c = starts[t];
                int oi = 3 * (lo * rowStep + t + walk.outOffset);
                for (int i = lo; i <= hi; i++, c++, oi += 3 * rowStep) {
                    int r = 3 * (i + 1);
                    double end;
                    if (local) {
                        end = ends[c] * endScale;
                    } else {
                        end = t == last ? 1.0 : 0.0;
                    }
                    double gamma = end + next[r] + next[r + 5] + next2[r + 4];
                    int q = stride * c;
                    double fL = gamma * w[q];
                    double fD = gamma * w[q + 1];
                    double fU = gamma * w[q + 2];
                    cur[r] = fL;
                    cur[r + 1] = fD;
                    cur[r + 2] = fU;
                    // A marginal is a probability. Local mode's flows once reached 4 at scores of 1e17,
                    // when the end terms were exp(alpha - log Z) and log Z no longer resolved them; the
                    // end weights divided by their sum keep them in [0, 1], and this stays as a guard.
                    out[oi] = (float) (local ? Math.min(1.0, fL) : fL);
                    out[oi + 1] = (float) (local ? Math.min(1.0, fD + gamma * w[q + 3]) : fD);
                    out[oi + 2] = (float) (local ? Math.min(1.0, fU) : fU);
                }
                int rl = 3 * lo;
                cur[rl] = 0.0;
                cur[rl + 1] = 0.0;
                cur[rl + 2] = 0.0;
                int rh = 3 * (hi + 2);
                cur[rh] = 0.0;
                cur[rh + 1] = 0.0;
                cur[rh + 2] = 0.0;
            }
        }
    }
}
