package org.bandalign.job;

import java.util.ArrayList;
import java.util.List;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;

/** Turns an engine result into a {@code marginals/} row in the job's layout. */
final class RecordMaker {
    private RecordMaker() {
    }

    static AlignedRecord record(AlignmentResult r, boolean bandLayoutRow, JobOptions options) {
        AlignedRecord out = new AlignedRecord();
        BandGeometry g = r.geometry();
        Layout layout = options.layoutFor(bandLayoutRow);
        out.setId(r.id());
        out.setN(g.n());
        out.setM(g.m());
        out.setMode(r.mode().wireName());
        out.setDiagLo(g.diagLo());
        out.setDiagHi(g.diagHi());
        out.setLayout(layout.wireName());
        out.setLogPartition(r.hasLogPartition() ? r.logPartition() : null);
        if (layout == Layout.SPARSE) {
            out.setSparse(sparse(r, options.minProb));
        } else {
            float[] mu = layout == Layout.DENSE ? r.marginalsDense() : r.marginalsBand();
            if (options.packed) {
                out.setPackedMarginals(PairDecoder.pack(mu));
            } else {
                out.setMarginals(mu);
            }
        }
        if (r.hasViterbi()) {
            out.setViterbiScore(r.viterbiScore());
            out.setViterbiCigar(r.viterbiCigar());
            out.setViterbiStartI(r.viterbiStart()[0]);
            out.setViterbiStartJ(r.viterbiStart()[1]);
            out.setViterbiEndI(r.viterbiEnd()[0]);
            out.setViterbiEndJ(r.viterbiEnd()[1]);
        }
        return out;
    }

    /** The steps with probability at least {@code minProb}, in row-major order. */
    static List<SparseStep> sparse(AlignmentResult r, double minProb) {
        BandGeometry g = r.geometry();
        boolean dense = r.marginalsKeptDense();
        float[] mu = dense ? r.marginalsDense() : r.marginalsBand();
        List<SparseStep> steps = new ArrayList<>();
        for (int i = 0; i < g.n(); i++) {
            int jLo = Math.max(0, i + g.diagLo());
            int jHi = Math.min(g.m() - 1, i + g.diagHi());
            for (int j = jLo; j <= jHi; j++) {
                int base = dense ? (i * g.m() + j) * 3 : g.bandIndex(i, j);
                for (int k = 0; k < 3; k++) {
                    float p = mu[base + k];
                    if (p >= minProb && p > 0) {
                        SparseStep s = new SparseStep();
                        s.setI(i);
                        s.setJ(j);
                        s.setK(k);
                        s.setP(p);
                        steps.add(s);
                    }
                }
            }
        }
        return steps;
    }
}
