package org.bandalign.align.testing;

import org.bandalign.align.Mode;

/**
 * A plain float64 implementation of SPEC section 1 written from the recurrences as printed
 * (row-major alpha and beta, log-sum-exp, no tricks), independent of the engines' anti-diagonal
 * walk and beta-free backward. Slow and simple on purpose: it is what the engines are checked
 * against on inputs too large to enumerate.
 */
public final class DenseOracle {
    public final double logZ;
    public final double[] marginals;
    public final double viterbi;

    private DenseOracle(double logZ, double[] marginals, double viterbi) {
        this.logZ = logZ;
        this.marginals = marginals;
        this.viterbi = viterbi;
    }

    /** Runs on dense scores; cells with {@code j - i} outside {@code [diagLo, diagHi]} are forbidden. */
    public static DenseOracle run(float[] s, int n, int m, Mode mode, int diagLo, int diagHi) {
        boolean local = mode == Mode.LOCAL;
        double ni = Double.NEGATIVE_INFINITY;
        double[] alpha = new double[n * m];
        double[] beta = new double[n * m];
        double[] best = new double[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                int c = i * m + j;
                if (!inBand(i, j, diagLo, diagHi)) {
                    alpha[c] = ni;
                    best[c] = ni;
                    continue;
                }
                double start = local || c == 0 ? 0.0 : ni;
                double diag = i > 0 && j > 0 ? alpha[c - m - 1] : ni;
                double up = i > 0 ? alpha[c - m] : ni;
                double left = j > 0 ? alpha[c - 1] : ni;
                alpha[c] = lse(lse(start, diag) + s[3 * c + 1], lse(up + s[3 * c + 2], left + s[3 * c]));
                double bDiag = i > 0 && j > 0 ? best[c - m - 1] : ni;
                double bUp = i > 0 ? best[c - m] : ni;
                double bLeft = j > 0 ? best[c - 1] : ni;
                best[c] = Math.max(Math.max(start, bDiag) + s[3 * c + 1], Math.max(bUp + s[3 * c + 2], bLeft + s[3 * c]));
            }
        }
        double logZ = ni;
        double viterbi = ni;
        if (local) {
            for (int c = 0; c < n * m; c++) {
                logZ = lse(logZ, alpha[c]);
                viterbi = Math.max(viterbi, best[c]);
            }
        } else {
            logZ = alpha[n * m - 1];
            viterbi = best[n * m - 1];
        }
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                int c = i * m + j;
                if (!inBand(i, j, diagLo, diagHi)) {
                    beta[c] = ni;
                    continue;
                }
                double end = local || c == n * m - 1 ? 0.0 : ni;
                double diag = i + 1 < n && j + 1 < m ? beta[c + m + 1] + s[3 * (c + m + 1) + 1] : ni;
                double down = i + 1 < n ? beta[c + m] + s[3 * (c + m) + 2] : ni;
                double right = j + 1 < m ? beta[c + 1] + s[3 * (c + 1)] : ni;
                beta[c] = lse(lse(end, diag), lse(down, right));
            }
        }
        double[] mu = new double[n * m * 3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                int c = i * m + j;
                if (!inBand(i, j, diagLo, diagHi)) {
                    continue;
                }
                double start = local || c == 0 ? 0.0 : ni;
                double diag = i > 0 && j > 0 ? alpha[c - m - 1] : ni;
                double up = i > 0 ? alpha[c - m] : ni;
                double left = j > 0 ? alpha[c - 1] : ni;
                mu[3 * c + 1] = Math.exp(lse(start, diag) + s[3 * c + 1] + beta[c] - logZ);
                mu[3 * c + 2] = Math.exp(up + s[3 * c + 2] + beta[c] - logZ);
                mu[3 * c] = Math.exp(left + s[3 * c] + beta[c] - logZ);
            }
        }
        return new DenseOracle(logZ, mu, viterbi);
    }

    public static DenseOracle run(float[] s, int n, int m, Mode mode) {
        return run(s, n, m, mode, -(n - 1), m - 1);
    }

    static boolean inBand(int i, int j, int diagLo, int diagHi) {
        return j - i >= diagLo && j - i <= diagHi;
    }

    static double lse(double a, double b) {
        double mx = Math.max(a, b);
        if (mx == Double.NEGATIVE_INFINITY) {
            return mx;
        }
        return mx + Math.log(Math.exp(a - mx) + Math.exp(b - mx));
    }
}
