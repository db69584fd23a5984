package org.bandalign.align;

/**
 * One best path: its weight, first and last cell, and its steps as a run-length CIGAR over
 * {@code M} (diagonal, and the start), {@code I} (vertical, consumes x_i) and {@code D}
 * (horizontal, consumes y_j).
 */
public final class ViterbiPath {
    private final double score;
    private final String cigar;
    private final int startI;
    private final int startJ;
    private final int endI;
    private final int endJ;

    /**
     * A path as an engine found it.
     *
     * @param score  the path's weight
     * @param cigar  its steps as a run-length CIGAR, the start counted as the first M
     * @param startI row of its first cell
     * @param startJ column of its first cell
     * @param endI   row of its last cell
     * @param endJ   column of its last cell
     * @throws IllegalArgumentException when {@code cigar} is not runs of a positive count and one
     *         of {@code M}, {@code I}, {@code D}; when it does not begin with {@code M} (the
     *         start); when the start is not a cell ({@code startI} or {@code startJ} below 0); or
     *         when its steps from the start do not end at ({@code endI}, {@code endJ})
     */
    public ViterbiPath(double score, String cigar, int startI, int startJ, int endI, int endJ) {
        long[] totals = runTotals(cigar);
        this.score = score;
        this.cigar = cigar;
        this.startI = startI;
        this.startJ = startJ;
        this.endI = endI;
        this.endJ = endJ;
        requireSteps(totals);
    }

    /**
     * Checks that the steps ({@code totals}: of M, I and D) lead from the start to the end: an
     * engine's traceback that went astray fails here, naming both cells, rather than handing out
     * a path that is no path.
     */
    private void requireSteps(long[] totals) {
        long toI = startI + totals[0] - 1 + totals[1];
        long toJ = startJ + totals[0] - 1 + totals[2];
        String why = null;
        if (cigar.chars().dropWhile(Character::isDigit).findFirst().getAsInt() != 'M') {
            why = "does not begin with M, the start";
        } else if (startI < 0 || startJ < 0) {
            why = "starts outside the grid, at (" + startI + ", " + startJ + ")";
        } else if (toI != endI || toJ != endJ) {
            why = "leads from (" + startI + ", " + startJ + ") to (" + toI + ", " + toJ + "), not to its end (" + endI + ", "
                    + endJ + ")";
        }
        if (why != null) {
            throw new IllegalArgumentException("the CIGAR '" + cigar + "' " + why);
        }
    }

    /**
     * The steps of {@code cigar}'s M, I and D runs, summed, once its form is checked: one or more
     * runs, each a count from 1 to 2^31-1 and M, I or D.
     */
    private static long[] runTotals(String cigar) {
        java.util.Objects.requireNonNull(cigar, "cigar");
        long[] totals = new long[3];
        boolean wellFormed = !cigar.isEmpty();
        int pos = 0;
        while (wellFormed && pos < cigar.length()) {
            int digits = pos;
            while (pos < cigar.length() && cigar.charAt(pos) >= '0' && cigar.charAt(pos) <= '9') {
                pos++;
            }
            wellFormed = pos > digits && pos - digits <= 10 && pos < cigar.length() && "MID".indexOf(cigar.charAt(pos)) >= 0;
            if (wellFormed) {
                long count = Long.parseLong(cigar, digits, pos, 10);
                wellFormed = count >= 1 && count <= Integer.MAX_VALUE;
                totals["MID".indexOf(cigar.charAt(pos))] += count;
            }
            pos++;
        }
        if (!wellFormed) {
            throw new IllegalArgumentException("not a CIGAR of M, I and D runs: '" + cigar + "'");
        }
        return totals;
    }

    /** {@return the path's weight: the sum of the scores of its steps, the start's included} */
    public double score() {
        return score;
    }

    /** {@return the path's steps as a run-length CIGAR; its first M is the start} */
    public String cigar() {
        return cigar;
    }

    /** {@return the path's first cell {@code {i, j}}, a new array} */
    public int[] start() {
        return new int[] {startI, startJ};
    }

    /** {@return the path's last cell {@code {i, j}}, a new array} */
    public int[] end() {
        return new int[] {endI, endJ};
    }

    /** Receives the steps of a path, one call per cell: the step k that entered cell (i, j). */
    @FunctionalInterface
    public interface StepConsumer {
        /**
         * Cell {@code (i, j)}, entered by step {@code k}.
         *
         * @param i the cell's row
         * @param j the cell's column
         * @param k the step: 0 horizontal, 1 diagonal or the start, 2 vertical
         */
        void accept(int i, int j, int k);
    }

    /**
     * Visits the path's steps in order: the start cell with step 1 (the start counts as M), then
     * every further cell with the step that entered it.
     *
     * @param consumer called once per cell of the path, in order
     */
    public void forEachStep(StepConsumer consumer) {
        int i = startI;
        int j = startJ;
        boolean first = true;
        int pos = 0;
        while (pos < cigar.length()) {
            int count = 0;
            char c;
            while (pos < cigar.length() && Character.isDigit(c = cigar.charAt(pos))) {
                count = count * 10 + (c - '0');
                pos++;
            }
            c = cigar.charAt(pos++);   // (the constructor checked the form: a count, then M, I or D)
            for (int r = 0; r < count; r++) {
                if (first) {
                    first = false;
                    consumer.accept(i, j, 1);
                    continue;
                }
                int k;
                switch (c) {
                    case 'M': i++; j++; k = 1; break;
                    case 'I': i++; k = 2; break;
                    default: j++; k = 0; break;   // D
                }
                consumer.accept(i, j, k);
            }
        }
    }

    /**
     * {@return the 0/1 indicator of the path's steps, a new dense {@code n*m*3} array}
     *
     * @param n rows of the grid
     * @param m columns of the grid
     * @throws IllegalArgumentException where that array is longer than Java's arrays can be, or the
     *         path leaves the {@code n x m} grid
     */
    public float[] indicatorDense(int n, int m) {
        float[] out = new float[PairChecks.arrayLength((long) n * m * 3, "the dense indicator of a " + n + " x " + m + " path")];
        forEachStep((i, j, k) -> {
            if (i < 0 || i >= n || j < 0 || j >= m) {
                throw new IllegalArgumentException("the path " + cigar + " from (" + startI + ", " + startJ + ") leaves the " + n + " x " + m + " grid at (" + i + ", " + j + ")");
            }
            out[(i * m + j) * 3 + k] = 1f;
        });
        return out;
    }
}
