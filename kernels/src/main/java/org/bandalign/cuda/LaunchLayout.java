package org.bandalign.cuda;

import java.util.ArrayList;
import java.util.List;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Mode;
import org.bandalign.align.PairChecks;
import org.bandalign.align.ViterbiPath;

/**
 * The host side of one launch of {@code banded_align.cu}, without any CUDA call: the per-pair
 * descriptors the kernels read, the sizes of every buffer, the block size and rolling length,
 * and the assembly of results from what the kernels wrote. {@link BandedAlignKernels} moves these
 * arrays to and from the device; tests run the same kernels on the CPU through an emulator.
 */
final class LaunchLayout {
    /** 64-bit fields per pair descriptor; matches DESC_FIELDS in banded_align.cu. */
    static final int DESC_FIELDS = 14;
    static final int D_N = 0;
    static final int D_M = 1;
    static final int D_DIAG_LO = 2;
    static final int D_DIAG_HI = 3;
    static final int D_S_ROW = 4;
    static final int D_S_OFF = 5;
    static final int D_S_BASE = 6;
    static final int D_O_ROW = 7;
    static final int D_O_OFF = 8;
    static final int D_O_BASE = 9;
    static final int D_CELL_BASE = 10;
    static final int D_LOCAL = 11;
    static final int D_ROLL_LEN = 12;
    static final int D_PATH_BASE = 13;

    final List<PreparedPair> group;
    final AlignOptions options;
    final int count;
    final long[] desc;
    final long scoreFloats;
    final long outFloats;
    final long cells;
    final long pathBytes;
    /** Rolling slots per anti-diagonal: more than the widest anti-diagonal plus its neighbours. */
    final int rollLen;
    /** Threads per block: a power of two from 32 to 256, about the widest anti-diagonal. */
    final int threads;

    LaunchLayout(List<PreparedPair> group, AlignOptions options) {
        this.group = group;
        this.options = options;
        this.count = group.size();
        int widest = 0;
        long s = 0;
        long o = 0;
        long c = 0;
        long p = 0;
        for (PreparedPair pp : group) {
            widest = Math.max(widest, pp.maxRows);
            s += pp.pair.scores().length;
            o += pp.outFloats;
            c += pp.cells;
            p += pp.geometry.n() + pp.geometry.m();
        }
        this.scoreFloats = s;
        this.outFloats = o;
        this.cells = c;
        this.pathBytes = p;
        this.rollLen = widest + 4;
        this.threads = Math.min(256, Math.max(32, Integer.highestOneBit(Math.max(1, widest - 1)) << 1));
        this.desc = descriptors();
    }

    private long[] descriptors() {
        long[] d = new long[count * DESC_FIELDS];
        long sBase = 0;
        long oBase = 0;
        long cellBase = 0;
        long pathBase = 0;
        for (int k = 0; k < count; k++) {
            PreparedPair p = group.get(k);
            BandGeometry g = p.geometry;
            int q = k * DESC_FIELDS;
            d[q + D_N] = g.n();
            d[q + D_M] = g.m();
            d[q + D_DIAG_LO] = g.diagLo();
            d[q + D_DIAG_HI] = g.diagHi();
            if (p.pair.isBandLayout()) {
                d[q + D_S_ROW] = (p.pair.diagHi() - p.pair.diagLo() + 1) - 2;
                d[q + D_S_OFF] = -p.pair.diagLo();
            } else {
                d[q + D_S_ROW] = g.m() - 1;
                d[q + D_S_OFF] = 0;
            }
            d[q + D_S_BASE] = sBase;
            d[q + D_O_ROW] = g.isDense() ? g.m() - 1 : g.width() - 2;
            d[q + D_O_OFF] = g.isDense() ? 0 : -g.diagLo();
            d[q + D_O_BASE] = oBase;
            d[q + D_CELL_BASE] = cellBase;
            d[q + D_LOCAL] = options.mode() == Mode.LOCAL ? 1 : 0;
            d[q + D_ROLL_LEN] = rollLen;
            d[q + D_PATH_BASE] = pathBase;
            sBase += p.pair.scores().length;
            oBase += p.outFloats;
            cellBase += p.cells;
            pathBase += g.n() + g.m();
        }
        return d;
    }

    /** All scores of the group, concatenated in descriptor order. */
    float[] packedScores() {
        float[] out = new float[(int) scoreFloats];
        int at = 0;
        for (PreparedPair p : group) {
            float[] s = p.pair.scores();
            System.arraycopy(s, 0, out, at, s.length);
            at += s.length;
        }
        return out;
    }

    /** Splits the kernel's concatenated marginals into one array per pair. */
    float[][] splitMarginals(float[] all) {
        float[][] out = new float[count][];
        int at = 0;
        for (int k = 0; k < count; k++) {
            out[k] = new float[group.get(k).outFloats];
            System.arraycopy(all, at, out[k], 0, out[k].length);
            at += out[k].length;
        }
        return out;
    }

    /**
     * The Viterbi paths from {@code banded_viterbi}'s outputs: best weights, end cells
     * ({@code 2 * count}), step counts and the path buffer (steps from the end back to the start).
     */
    ViterbiPath[] paths(double[] best, int[] end, int[] len, byte[] pathBuffer) {
        ViterbiPath[] paths = new ViterbiPath[count];
        int at = 0;
        for (int k = 0; k < count; k++) {
            BandGeometry g = group.get(k).geometry;
            if (len[k] < 0) {
                throw new IllegalStateException("internal error: banded_viterbi's traceback of pair '"
                        + group.get(k).pair.id() + "' reached a cell without a predecessor");
            }
            byte[] steps = new byte[len[k]];
            System.arraycopy(pathBuffer, at, steps, 0, steps.length);
            at += g.n() + g.m();
            paths[k] = path(best[k], end[2 * k], end[2 * k + 1], steps);
        }
        return paths;
    }

    /** A path from the kernel's steps, stored from the end cell back to the start; null if none. */
    private static ViterbiPath path(double score, int endI, int endJ, byte[] steps) {
        if (score == Double.NEGATIVE_INFINITY || steps.length == 0) {
            return null;
        }
        StringBuilder cigar = new StringBuilder();
        int k = steps.length - 1;
        while (k >= 0) {
            byte op = steps[k];
            int run = 0;
            while (k >= 0 && steps[k] == op) {
                run++;
                k--;
            }
            cigar.append(run).append((char) op);
        }
        int i = endI;
        int j = endJ;
        for (int s = 0; s < steps.length - 1; s++) {
            switch ((char) steps[s]) {
                case 'M': i--; j--; break;
                case 'I': i--; break;
                default: j--; break;
            }
        }
        return new ViterbiPath(score, cigar.toString(), i, j, endI, endJ);
    }

    /**
     * The results of the launch, in the group's order; a pair without a finite path is reported
     * as invalid. {@code logZ} and {@code marginals} are null unless the log semiring ran,
     * {@code paths} unless the max semiring ran.
     */
    List<AlignmentResult> results(double[] logZ, float[][] marginals, ViterbiPath[] paths) {
        List<AlignmentResult> results = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            PreparedPair p = group.get(k);
            try {
                results.add(result(p, logZ == null ? Double.NaN : logZ[k], marginals == null ? null : marginals[k],
                        paths == null ? null : paths[k]));
            } catch (InvalidPairException e) {
                results.add(AlignmentResult.failed(e));
            }
        }
        return results;
    }

    private AlignmentResult result(PreparedPair p, double logZ, float[] marginals, ViterbiPath path) {
        boolean log = options.semiring().computesLog();
        boolean max = options.semiring().computesMax();
        if (log && logZ == Double.NEGATIVE_INFINITY || max && path == null) {
            throw PairChecks.noFinitePath(p.pair, p.geometry, options.mode());
        }
        float[] out = marginals;
        if (!log) {
            float[] o = new float[p.outFloats];
            BandGeometry g = p.geometry;
            path.forEachStep((i, j, k) -> o[(g.isDense() ? (i * g.m() + j) * 3 : g.bandIndex(i, j)) + k] = 1f);
            out = o;
        }
        return AlignmentResult.of(p.pair.id(), options.mode(), options.semiring(), p.geometry, logZ, out, path);
    }
}
