package org.bandalign.job;

import java.util.ArrayList;
import java.util.List;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.InvalidPairException;

/** Turns an engine result into a {@code marginals/} row in the job's layout. */
final class RecordMaker {
    /**
     * Most bytes one output value may take: a Spark row value (an array or a binary) must stay
     * below 2 GiB, with room for the rest of its row.
     */
    static final long MAX_VALUE_BYTES = Integer.MAX_VALUE - (16L << 20);
    /** Bytes a sparse step takes in a Spark row: its struct (null bits and four 8-byte slots) and its offset. */
    static final long SPARSE_STEP_BYTES = 48;
    /**
     * Heap a sparse step takes on its way out, about: its SparseStep and list slot, its Spark
     * struct, and the output row's buffer, which grows by doubling. (A 1500 x 1500 pair with
     * 6.75 million steps ran a 1 GiB heap out of memory in local[1]; 965 thousand did not.)
     */
    static final long SPARSE_STEP_HEAP_BYTES = 400;

    /**
     * The most steps one sparse row may hold: 3 x spark.bandalign.maxCells, what one Spark value
     * holds, and what the heap holds at {@value #SPARSE_STEP_HEAP_BYTES} bytes a step.
     */
    static long sparseStepLimit(long maxCells, long heapBytes) {
        return Math.min(Math.min(saturatedTimes3(maxCells), MAX_VALUE_BYTES / SPARSE_STEP_BYTES), heapBytes / SPARSE_STEP_HEAP_BYTES);
    }

    private RecordMaker() {
    }

    private static long saturatedTimes3(long x) {
        return x > Long.MAX_VALUE / 3 ? Long.MAX_VALUE : 3 * x;
    }

    /**
     * The floats the pair's {@code marginals} value will hold in the job's layout for it (dense:
     * n * m * 3; band: n * width * 3), or 0 for the sparse layout, whose size only the result
     * tells.
     */
    static long outputFloats(BandGeometry g, Layout layout) {
        switch (layout) {
            case DENSE:
                return (long) g.n() * g.m() * 3;
            case BAND:
                return (long) g.n() * g.width() * 3;
            default:
                return 0;
        }
    }

    /**
     * Rejects, before it is aligned, a pair whose marginals in the job's layout would be too large
     * to write: more floats than {@code 3 * spark.bandalign.maxCells} (the memory the job is
     * configured for) or than one Spark value holds. A band-layout row of a long narrow pair
     * is far larger than its band when the pair is very rectangular (its rows are as wide as the
     * band's widest), and a band-layout input asked for in dense layout is n * m * 3 floats.
     */
    static void checkOutputSize(String id, BandGeometry g, Layout layout, long maxCells) {
        if (g.cells() > maxCells) {
            return;   // too large in any layout: the engine rejects it, saying so
        }
        long floats = outputFloats(g, layout);
        long most = Math.min(saturatedTimes3(maxCells), MAX_VALUE_BYTES / 4);
        if (floats > most) {
            throw new InvalidPairException(id, "its marginals in " + layout.wireName() + " layout would hold " + floats
                    + " floats (" + g.n() + " rows of " + (layout == Layout.DENSE ? g.m() : g.width()) + " cells, 3 steps each), more than "
                    + (most == saturatedTimes3(maxCells) ? "3 x spark.bandalign.maxCells (" + maxCells + ")" : "one Spark value can hold (2 GiB)")
                    + "; choose another --layout (dense: " + (long) g.n() * g.m() * 3 + " floats, band: "
                    + (long) g.n() * g.width() * 3 + ", sparse: the steps of at least --min-prob)");
        }
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
            out.setSparse(sparse(r, options.minProb, sparseStepLimit(options.maxCells, Runtime.getRuntime().maxMemory())));
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

    /**
     * The steps with probability at least {@code minProb}, in row-major order; a pair with more
     * than {@code most} of them is rejected (its row could not be written).
     */
    static List<SparseStep> sparse(AlignmentResult r, double minProb, long most) {
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
                    if (p >= minProb) {
                        if (steps.size() >= most) {
                            throw new InvalidPairException(r.id(), "more than " + most + " of its steps have a marginal of at "
                                    + "least --min-prob " + minProb + ", more than its sparse row can hold (in one Spark value, 3 x "
                                    + "spark.bandalign.maxCells, and this executor's heap at about " + SPARSE_STEP_HEAP_BYTES
                                    + " bytes a step); raise --min-prob");
                        }
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
