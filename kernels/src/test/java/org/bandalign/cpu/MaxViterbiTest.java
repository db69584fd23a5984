package org.bandalign.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The branch-free compare and pick of {@link MaxViterbi#cell}, against Java's own. */
class MaxViterbiTest {
    private static final double[] VALUES = {
        Double.NEGATIVE_INFINITY, -Double.MAX_VALUE, -1e300, -3.0, -1.0, -Double.MIN_NORMAL, -Double.MIN_VALUE,
        -0.0, 0.0, Double.MIN_VALUE, 4.9e-322, Double.MIN_NORMAL, 1.0, 1.0 + Math.ulp(1.0), 3.0, 1e300,
        Double.MAX_VALUE, Double.POSITIVE_INFINITY,
    };

    @Test
    void greater_everyPairOfSpecialValues_equalsTheComparison() {
        int covered = 0;
        for (double a : VALUES) {
            for (double b : VALUES) {
                if (a == b && Double.isInfinite(a)) {
                    continue;   // the documented loose case: either answer
                }
                assertEquals(a > b ? 1L : 0L, MaxViterbi.greater(a, b), a + " > " + b);
                covered++;
            }
        }
        assertEquals(VALUES.length * VALUES.length - 2, covered);
    }

    @Test
    void select_keepsTheBitsOfThePickedValue() {
        for (double a : VALUES) {
            for (double b : VALUES) {
                assertEquals(Double.doubleToRawLongBits(a), Double.doubleToRawLongBits(MaxViterbi.select(1, a, b)));
                assertEquals(Double.doubleToRawLongBits(b), Double.doubleToRawLongBits(MaxViterbi.select(0, a, b)));
            }
        }
    }

    /**
     * The cell recurrence against the branching form it replaced, over every combination of
     * special scores and predecessors: the same score, bit for bit (signed zeros too), and the
     * same pointer wherever the score is finite (NONE where it is -inf).
     */
    @Test
    void cell_everyCombinationOfSpecialInputs_equalsTheBranchingRecurrence() {
        double[] xs = {Double.NEGATIVE_INFINITY, -2.0, -0.0, 0.0, 1.0, 2.0};
        byte[] bp = new byte[1];
        int covered = 0;
        for (boolean local : new boolean[] {false, true}) {
            for (boolean first : new boolean[] {false, true}) {
                for (double sL : xs) {
                    for (double sD : xs) {
                        for (double sU : xs) {
                            for (double left : xs) {
                                for (double diag : xs) {
                                    for (double up : xs) {
                                        double v = MaxViterbi.cell(local, first, sL, sD, sU, left, diag, up, bp, 0);
                                        double[] expected = branching(local, first, sL, sD, sU, left, diag, up);
                                        String what = (local ? "local" : "global") + (first ? " first" : "")
                                                + " s=" + sL + "," + sD + "," + sU + " pred=" + left + "," + diag + "," + up;
                                        assertEquals(Double.doubleToRawLongBits(expected[0]), Double.doubleToRawLongBits(v), what);
                                        assertEquals((byte) expected[1], bp[0], what);
                                        covered++;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assertEquals(4 * (int) Math.pow(xs.length, 6), covered);
    }

    /** The recurrence as first written: M (the start before the diagonal in local mode), then I, then D. */
    private static double[] branching(boolean local, boolean first, double sL, double sD, double sU,
                                      double left, double diag, double up) {
        double v;
        byte ptr;
        if (local) {
            v = sD;
            ptr = MaxViterbi.START;
            if (diag + sD > v) {
                v = diag + sD;
                ptr = MaxViterbi.DIAG;
            }
        } else {
            v = diag + sD;
            ptr = first ? MaxViterbi.START : MaxViterbi.DIAG;
        }
        if (up + sU > v) {
            v = up + sU;
            ptr = MaxViterbi.UP;
        }
        if (left + sL > v) {
            v = left + sL;
            ptr = MaxViterbi.LEFT;
        }
        return new double[] {v, v == Double.NEGATIVE_INFINITY ? MaxViterbi.NONE : ptr};
    }
}
