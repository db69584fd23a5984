package org.bandalign.banded;

/**
 * Plain dense reference computations on batches of row-major {@code n x n} matrices, written
 * independently of {@link BandedMatrix}'s banded kernels. Results are in {@code double}.
 */
final class DenseOracle {

    /** The semiring of a dense product. */
    enum Semiring {
        STANDARD, LOG, MAX
    }

    private DenseOracle() {
    }

    /** The transposes of every matrix in the batch. */
    static float[] transpose(float[] dense, int batch, int n) {
        float[] out = new float[dense.length];
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    out[(b * n + c) * n + r] = dense[(b * n + r) * n + c];
                }
            }
        }
        return out;
    }

    /** {@code A B} in the given semiring, for every matrix of the batch, in O(n^3). */
    static double[] product(float[] a, float[] b, int batch, int n, Semiring semiring) {
        double[] out = new double[batch * n * n];
        double[] terms = new double[n];
        for (int m = 0; m < batch; m++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    for (int k = 0; k < n; k++) {
                        double left = a[(m * n + i) * n + k];
                        double right = b[(m * n + k) * n + j];
                        terms[k] = semiring == Semiring.STANDARD ? left * right : left + right;
                    }
                    out[(m * n + i) * n + j] = reduce(terms, semiring);
                }
            }
        }
        return out;
    }

    private static double reduce(double[] terms, Semiring semiring) {
        return switch (semiring) {
            case STANDARD -> sum(terms);
            case MAX -> max(terms);
            case LOG -> logSumExp(terms);
        };
    }

    private static double sum(double[] terms) {
        double sum = 0;
        for (double term : terms) {
            sum += term;
        }
        return sum;
    }

    private static double max(double[] terms) {
        double max = Double.NEGATIVE_INFINITY;
        for (double term : terms) {
            max = Math.max(max, term);
        }
        return max;
    }

    private static double logSumExp(double[] terms) {
        double max = max(terms);
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double scaled = 0;
        for (double term : terms) {
            scaled += Math.exp(term - max);
        }
        return max + Math.log(scaled);
    }

    /** Whether dense entry {@code (r, c)} lies on one of the diagonals {@code -lu .. ld}. */
    static boolean inBand(int r, int c, int lu, int ld) {
        return r - c >= -lu && r - c <= ld;
    }
}
