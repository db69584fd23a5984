package org.bandalign.job;

import java.util.ArrayList;
import java.util.List;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Pair;
import org.bandalign.align.PairChecks;
import org.bandalign.align.Semiring;
import org.bandalign.align.ViterbiPath;

/**
 * The benchmark's stand-in for an engine ({@code align --io-only}): no alignment at all. Every
 * pair gets "marginals" of exactly the size the real engine would write, filled with the pair's
 * own scores (repeated where the output is larger), so that the output compresses like real
 * marginals do, not like zeros; a run then measures what reading, decoding, encoding and writing
 * cost on their own. Bad pairs are rejected by the same checks as before a real alignment (a
 * pair whose steps allow no path at all, which only aligning finds, is not). The semiring asked
 * for says which columns are set, as for a real run: log Z (0) for the log semiring, a Viterbi
 * path (a corner path, weight 0) for the max semiring. Never used for real output: the
 * summary's backend says {@code io-only}.
 */
final class IoOnlyAligner implements Aligner {
    @Override
    public String backend() {
        return "io-only";
    }

    @Override
    public AlignmentResult align(Pair pair, AlignOptions options) {
        BandGeometry g = BandGeometry.of(pair, options);
        PairChecks.check(pair, g, options);
        float[] out = new float[g.n() * (g.isDense() ? g.m() : g.width()) * 3];
        float[] scores = pair.scores();
        for (int k = 0; k < out.length; k += scores.length) {
            System.arraycopy(scores, 0, out, k, Math.min(scores.length, out.length - k));
        }
        Semiring semiring = options.semiring();
        return AlignmentResult.of(pair.id(), options.mode(), semiring, g, semiring.computesLog() ? 0.0 : Double.NaN, out,
                semiring.computesMax() ? corner(g) : null);
    }

    /**
     * A Viterbi path of the columns' usual size, for the max semiring (its weight 0): from (0, 0)
     * along the diagonal, then straight to (n-1, m-1), which stays in any band (the band holds
     * both corners, and the path's diagonal j - i runs from 0 to m - n).
     */
    private static ViterbiPath corner(BandGeometry g) {
        int diagonal = Math.min(g.n(), g.m());
        int rest = Math.max(g.n(), g.m()) - diagonal;
        String cigar = diagonal + "M" + (rest == 0 ? "" : rest + (g.m() > g.n() ? "D" : "I"));
        return new ViterbiPath(0.0, cigar, 0, 0, g.n() - 1, g.m() - 1);
    }

    @Override
    public List<AlignmentResult> alignAll(List<Pair> pairs, AlignOptions options) {
        List<AlignmentResult> out = new ArrayList<>(pairs.size());
        for (Pair p : pairs) {   // as every engine: a bad pair is its own failed result, never the call's
            try {
                out.add(align(p, options));
            } catch (InvalidPairException e) {
                out.add(AlignmentResult.failed(e));
            }
        }
        return out;
    }

    @Override
    public void close() {
    }
}
