package org.bandalign.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
    /**
     * Bytes of scores (or marginals) per transfer chunk: each chunk is one DMA call and one
     * parallel host copy, large enough that their fixed costs (microseconds) vanish, small
     * enough that copying chunk k + 1 overlaps the DMA of chunk k for most of a launch.
     */
    static final long CHUNK_BYTES = 16L << 20;
    /**
     * Default for the most threads per block. Wider anti-diagonals loop (each thread takes
     * several rows), which keeps two blocks an SM resident for 256 pairs of 512 x 512 on 132
     * SMs. The kernels work with any block size their registers allow (256 always fits: 255
     * registers x 256 threads is within every SM's 64K), and banded_viterbi with at most 1024.
     * {@link BandedAlignKernels} takes the system property {@value #MAX_THREADS_PROPERTY} instead
     * when set (for benchmarks), clamped to what the loaded kernels can launch.
     */
    static final int MAX_THREADS = 256;
    /** System property overriding {@link #MAX_THREADS}. */
    static final String MAX_THREADS_PROPERTY = "bandalign.cuda.maxThreads";

    final List<PreparedPair> group;
    final AlignOptions options;
    final int count;
    final long[] desc;
    final long scoreFloats;
    final long outFloats;
    /**
     * Whether the kernels write every marginal slot of the launch: every pair is aligned over its
     * whole grid, so its marginals are dense and each cell's three steps are written (except in
     * pairs the kernels skip, with a bad score or no finite path, which the host reports as
     * failed). Otherwise the slots of cells outside a band (dense layout) or past the grid (band
     * layout) are never written, and must be cleared first.
     */
    final boolean outputCovered;
    final long cells;
    final long pathBytes;
    /** Rolling slots per anti-diagonal: more than the widest anti-diagonal plus its neighbours. */
    final int rollLen;
    /**
     * Threads per block: the widest anti-diagonal rounded up to whole warps, at most the
     * launch's limit ({@link #MAX_THREADS} by default). Not rounded to a power of two:
     * banded_forward_backward needs 72 registers a thread on sm_90, so an SM
     * holds 4 blocks of 224 threads (28 warps, every thread busy on 200-row pairs) but only 3
     * of 256 (24 warps, 56 threads idle). (On sm_80 it takes 80: 3 blocks of 224.)
     */
    final int threads;
    /** Pair index where each transfer chunk starts, then {@link #count}. */
    final int[] chunkStart;
    /** What the uploads copy: one piece a pair, or one a band row for pairs sent as band. */
    private final HostCopy.Pieces scorePieces = new HostCopy.Pieces();
    /** First piece of each pair, then the number of pieces. */
    private final int[] pieceStart;
    private final int[] outLengths;

    /*
     * The staging buffer, before the kernels: the scores of every pair (chunk after chunk), then
     * the descriptors. After them: the marginals (the same chunks), then log Z, the Viterbi best
     * weights, end cells and step counts, the bad-score flags, and the path steps. Both fit in
     * stagingBytes. The int offsets hold only when stagingBytes fits a ByteBuffer; CudaAligner
     * rejects a pair that would need more, and BandedAlignKernels refuses larger launches as out
     * of memory.
     */
    final int descOffset;
    final int logZOffset;
    final int bestOffset;
    final int endOffset;
    final int lenOffset;
    final int badOffset;
    final int pathOffset;
    final long stagingBytes;

    LaunchLayout(List<PreparedPair> group, AlignOptions options) {
        this(group, options, CHUNK_BYTES);
    }

    LaunchLayout(List<PreparedPair> group, AlignOptions options, long chunkBytes) {
        this(group, options, chunkBytes, MAX_THREADS);
    }

    LaunchLayout(List<PreparedPair> group, AlignOptions options, long chunkBytes, int maxThreads) {
        this.group = group;
        this.options = options;
        this.count = group.size();
        int widest = 0;
        long s = 0;
        long o = 0;
        long c = 0;
        long p = 0;
        boolean covered = true;
        for (PreparedPair pp : group) {
            covered &= pp.geometry.isDense();
            widest = Math.max(widest, pp.maxRows);
            s += pp.uploadFloats;
            o += pp.outFloats;
            c += pp.cells;
            p += pp.geometry.n() + pp.geometry.m();
        }
        this.scoreFloats = s;
        this.outFloats = o;
        this.outputCovered = covered;
        this.cells = c;
        this.pathBytes = p;
        this.rollLen = widest + 4;
        this.threads = Math.min(maxThreads, Math.max(32, (widest + 31) / 32 * 32));
        this.desc = descriptors();
        this.chunkStart = chunks(chunkBytes);
        this.outLengths = new int[count];
        this.pieceStart = new int[count + 1];
        for (int k = 0; k < count; k++) {
            outLengths[k] = group.get(k).outFloats;
            pieceStart[k] = scorePieces.size();
            addScorePieces(group.get(k), desc[k * DESC_FIELDS + D_S_BASE]);
        }
        pieceStart[count] = scorePieces.size();
        long in = align8(4 * scoreFloats);
        long descEnd = in + 8L * desc.length;
        long out = options.semiring().computesLog() ? align8(4 * outFloats) : 0;
        long logZEnd = out + 8L * count;
        long bestEnd = logZEnd + 8L * count;
        long endEnd = bestEnd + 8L * count;
        long lenEnd = endEnd + 4L * count;
        long badEnd = lenEnd + 4L * count;
        this.stagingBytes = Math.max(descEnd, badEnd + pathBytes);
        this.descOffset = (int) in;
        this.logZOffset = (int) out;
        this.bestOffset = (int) logZEnd;
        this.endOffset = (int) bestEnd;
        this.lenOffset = (int) endEnd;
        this.badOffset = (int) lenEnd;
        this.pathOffset = (int) badEnd;
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
            } else if (p.sentAsBand) {
                d[q + D_S_ROW] = g.width() - 2;
                d[q + D_S_OFF] = -g.diagLo();
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
            sBase += p.uploadFloats;
            oBase += p.outFloats;
            cellBase += p.cells;
            pathBase += g.n() + g.m();
        }
        return d;
    }

    /**
     * Pair index where each transfer chunk starts, then {@link #count}: consecutive pairs whose
     * scores (and marginals) add up to about {@code chunkBytes}, so the host copy of one chunk
     * overlaps the DMA of the one before.
     */
    private int[] chunks(long chunkBytes) {
        List<Integer> starts = new ArrayList<>();
        long bytes = 0;
        for (int k = 0; k < count; k++) {
            if (k == 0 || bytes >= chunkBytes) {
                starts.add(k);
                bytes = 0;
            }
            PreparedPair p = group.get(k);
            bytes += 4L * Math.max(p.uploadFloats, p.outFloats);
        }
        starts.add(count);
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Number of transfer chunks. */
    int chunkCount() {
        return chunkStart.length - 1;
    }

    /** Byte offset of chunk {@code c}'s scores, in the staging buffer and on the device. */
    long scoreOffset(int c) {
        return chunkStart[c] == count ? 4 * scoreFloats : 4 * desc[chunkStart[c] * DESC_FIELDS + D_S_BASE];
    }

    /** Byte offset of chunk {@code c}'s marginals, in the staging buffer and on the device. */
    long marginalOffset(int c) {
        return chunkStart[c] == count ? 4 * outFloats : 4 * desc[chunkStart[c] * DESC_FIELDS + D_O_BASE];
    }

    /**
     * The pieces that put pair {@code p}'s scores at float {@code base} of the upload: the whole
     * array, or for a pair sent as band each row's band cells at their band-layout slots (slots
     * outside the grid are never read, so they are not written either).
     */
    private void addScorePieces(PreparedPair p, long base) {
        float[] s = p.pair.scores();
        if (!p.sentAsBand) {
            scorePieces.add(s, 0, s.length, base);
            return;
        }
        BandGeometry g = p.geometry;
        int w = g.width();
        for (int i = 0; i < g.n(); i++) {
            int jLo = Math.max(0, i + g.diagLo());
            int jHi = Math.min(g.m() - 1, i + g.diagHi());
            if (jLo <= jHi) {
                scorePieces.add(s, (i * g.m() + jLo) * 3, (jHi - jLo + 1) * 3, base + 3L * ((long) i * w + jLo - i - g.diagLo()));
            }
        }
    }

    /** Copies the scores of chunk {@code c} into the staging buffer at {@link #scoreOffset}. */
    void packScores(HostCopy copy, ByteBuffer staging, int c) {
        copy.pack(scorePieces, pieceStart[chunkStart[c]], pieceStart[chunkStart[c + 1]], staging);
    }

    /**
     * The index in pair {@code p}'s own scores array of what the kernels flagged at
     * {@code index} of its uploaded scores (which differ for a pair sent as band).
     */
    private static int ownScoreIndex(PreparedPair p, int index) {
        if (!p.sentAsBand) {
            return index;
        }
        BandGeometry g = p.geometry;
        int cell = index / 3;
        int i = cell / g.width();
        int j = i + g.diagLo() + cell % g.width();
        return (i * g.m() + j) * 3 + index % 3;
    }

    /** Writes the descriptors into the staging buffer at {@link #descOffset}. */
    void putDescriptors(ByteBuffer staging) {
        ByteBuffer view = staging.duplicate().order(ByteOrder.nativeOrder());
        view.position(descOffset);
        view.asLongBuffer().put(desc);
    }

    /** Copies the marginals of chunk {@code c} out of the staging buffer into new arrays in {@code out}. */
    void unpackMarginals(HostCopy copy, ByteBuffer staging, int c, float[][] out) {
        copy.unpack(staging, (int) marginalOffset(c), outLengths, chunkStart[c], chunkStart[c + 1], out);
    }

    /** Log Z of every pair, as banded_forward_backward left it at {@link #logZOffset}. */
    double[] logZ(ByteBuffer staging) {
        double[] logZ = new double[count];
        view(staging, logZOffset).asDoubleBuffer().get(logZ);
        return logZ;
    }

    /**
     * The mark banded_marginals leaves in a pair's bad-score flag where the split variant cannot
     * keep its marginals exact (the kernel's SPLIT note): its result is null, to be aligned again
     * without the split.
     */
    static final int IMPRECISE = -2;

    /**
     * Per pair, the index of its first bad score (NaN or +inf inside the band) as the kernels
     * flagged it at {@link #badOffset}, {@link Integer#MAX_VALUE} for none, or {@link #IMPRECISE}.
     */
    int[] badScores(ByteBuffer staging) {
        int[] bad = new int[count];
        view(staging, badOffset).asIntBuffer().get(bad);
        return bad;
    }

    /** The Viterbi paths, from what banded_viterbi left at {@link #bestOffset} and after. */
    ViterbiPath[] paths(ByteBuffer staging, int[] bad) {
        double[] best = new double[count];
        view(staging, bestOffset).asDoubleBuffer().get(best);
        int[] end = new int[2 * count];
        view(staging, endOffset).asIntBuffer().get(end);
        int[] len = new int[count];
        view(staging, lenOffset).asIntBuffer().get(len);
        byte[] path = new byte[(int) pathBytes];
        view(staging, pathOffset).get(path);
        return paths(best, end, len, path, bad);
    }

    private static ByteBuffer view(ByteBuffer staging, int offset) {
        ByteBuffer view = staging.duplicate().order(ByteOrder.nativeOrder());
        view.position(offset);
        return view.slice().order(ByteOrder.nativeOrder());
    }

    private static long align8(long bytes) {
        return (bytes + 7) & ~7L;
    }

    /**
     * The Viterbi paths from {@code banded_viterbi}'s outputs: best weights, end cells
     * ({@code 2 * count}), step counts and the path buffer (steps from the end back to the start).
     * Pairs flagged in {@code bad} have no traceback and get null.
     */
    ViterbiPath[] paths(double[] best, int[] end, int[] len, byte[] pathBuffer, int[] bad) {
        ViterbiPath[] paths = new ViterbiPath[count];
        int at = 0;
        for (int k = 0; k < count; k++) {
            BandGeometry g = group.get(k).geometry;
            if (bad[k] != Integer.MAX_VALUE) {
                at += g.n() + g.m();
                continue;
            }
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
     * The results of the launch, in the group's order; a pair with a bad score ({@code bad},
     * see {@link #badScores}) or without a finite path is reported as invalid. {@code logZ} and
     * {@code marginals} are null unless the log semiring ran, {@code paths} unless the max
     * semiring ran.
     */
    List<AlignmentResult> results(int[] bad, double[] logZ, float[][] marginals, ViterbiPath[] paths) {
        return results(HostCopy.shared(), bad, logZ, marginals, paths);
    }

    /**
     * As {@link #results(int[], double[], float[][], ViterbiPath[])}, built on {@code copy}'s
     * threads: without the log semiring each result allocates and fills its indicator marginals,
     * as much memory as the marginals the log semiring copies out.
     */
    List<AlignmentResult> results(HostCopy copy, int[] bad, double[] logZ, float[][] marginals, ViterbiPath[] paths) {
        AlignmentResult[] results = new AlignmentResult[count];
        copy.forEach(count, options.semiring().computesLog() ? 0 : outFloats, k -> {
            PreparedPair p = group.get(k);
            if (bad[k] == IMPRECISE) {
                return;   // (null: the caller aligns it again)
            }
            if (bad[k] != Integer.MAX_VALUE) {
                results[k] = AlignmentResult.failed(PairChecks.badScore(p.pair, ownScoreIndex(p, bad[k])));
                return;
            }
            try {
                results[k] = result(p, logZ == null ? Double.NaN : logZ[k], marginals == null ? null : marginals[k],
                        paths == null ? null : paths[k]);
            } catch (InvalidPairException e) {
                results[k] = AlignmentResult.failed(e);
            }
        });
        return java.util.Arrays.asList(results);
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
