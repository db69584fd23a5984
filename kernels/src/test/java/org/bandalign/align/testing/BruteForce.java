package org.bandalign.align.testing;

import org.bandalign.align.Mode;

/**
 * Enumerates every path of a small pair (SPEC section 1) and sums them up: log Z, the marginal
 * of every step, and the best weight. Exponential, for shapes up to about 4 x 4.
 */
public final class BruteForce {
    public final double logZ;
    public final double[] marginals;
    public final double best;
    public final long paths;

    private final float[] s;
    private final int n;
    private final int m;
    private final int diagLo;
    private final int diagHi;
    private final double[] pathWeights = new double[1 << 20];
    private final int[][] pathSteps = new int[1 << 20][];
    private int count;

    private BruteForce(float[] s, int n, int m, Mode mode, int diagLo, int diagHi) {
        this.s = s;
        this.n = n;
        this.m = m;
        this.diagLo = diagLo;
        this.diagHi = diagHi;
        int[] steps = new int[n + m + 1];
        for (int i0 = 0; i0 < n; i0++) {
            for (int j0 = 0; j0 < m; j0++) {
                if (mode == Mode.GLOBAL && (i0 != 0 || j0 != 0) || !DenseOracle.inBand(i0, j0, diagLo, diagHi)) {
                    continue;
                }
                steps[0] = (i0 * m + j0) * 3 + 1;
                extend(i0, j0, s[steps[0]], steps, 1, mode);
            }
        }
        double z = Double.NEGATIVE_INFINITY;
        double b = Double.NEGATIVE_INFINITY;
        for (int p = 0; p < count; p++) {
            z = DenseOracle.lse(z, pathWeights[p]);
            b = Math.max(b, pathWeights[p]);
        }
        double[] mu = new double[n * m * 3];
        for (int p = 0; p < count; p++) {
            double prob = Math.exp(pathWeights[p] - z);
            for (int q : pathSteps[p]) {
                mu[q] += prob;
            }
        }
        this.logZ = z;
        this.best = b;
        this.marginals = mu;
        this.paths = count;
    }

    public static BruteForce run(float[] s, int n, int m, Mode mode, int diagLo, int diagHi) {
        return new BruteForce(s, n, m, mode, diagLo, diagHi);
    }

    private void extend(int i, int j, double weight, int[] steps, int len, Mode mode) {
        if (mode == Mode.LOCAL || i == n - 1 && j == m - 1) {
            pathWeights[count] = weight;
            pathSteps[count] = java.util.Arrays.copyOf(steps, len);
            count++;
        }
        step(i, j + 1, 0, weight, steps, len, mode);
        step(i + 1, j + 1, 1, weight, steps, len, mode);
        step(i + 1, j, 2, weight, steps, len, mode);
    }

    private void step(int i, int j, int k, double weight, int[] steps, int len, Mode mode) {
        if (i >= n || j >= m || !DenseOracle.inBand(i, j, diagLo, diagHi)) {
            return;
        }
        int q = (i * m + j) * 3 + k;
        steps[len] = q;
        extend(i, j, weight + s[q], steps, len + 1, mode);
    }
}
