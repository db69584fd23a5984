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

    public ViterbiPath(double score, String cigar, int startI, int startJ, int endI, int endJ) {
        this.score = score;
        this.cigar = java.util.Objects.requireNonNull(cigar, "cigar");
        this.startI = startI;
        this.startJ = startJ;
        this.endI = endI;
        this.endJ = endJ;
    }

    public double score() {
        return score;
    }

    public String cigar() {
        return cigar;
    }

    public int[] start() {
        return new int[] {startI, startJ};
    }

    public int[] end() {
        return new int[] {endI, endJ};
    }

    /** Receives the steps of a path, one call per cell: the step k that entered cell (i, j). */
    @FunctionalInterface
    public interface StepConsumer {
        void accept(int i, int j, int k);
    }

    /**
     * Visits the path's steps in order: the start cell with step 1 (the start counts as M), then
     * every further cell with the step that entered it.
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
            if (pos == cigar.length()) {
                throw new IllegalStateException("CIGAR " + cigar + " ends in a count without its op");
            }
            c = cigar.charAt(pos++);
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
                    case 'D': j++; k = 0; break;
                    default: throw new IllegalStateException("bad CIGAR op " + c + " in " + cigar);
                }
                consumer.accept(i, j, k);
            }
        }
    }

    /**
     * The 0/1 indicator of the path's steps, dense {@code n*m*3}.
     *
     * @throws IllegalArgumentException where that array is longer than Java's arrays can be
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
