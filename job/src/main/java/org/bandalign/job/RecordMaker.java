package org.bandalign.job;

import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.expressions.codegen.UnsafeArrayWriter;
import org.apache.spark.sql.catalyst.expressions.codegen.UnsafeRowWriter;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
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
     * Heap a sparse step takes on its way out, about: its 48 bytes in the row the task builds,
     * as much again or twice that in the copy Spark's scan of the rows makes (its buffer grows by
     * doubling), the column writers' values, and room for the rest of the task. (A 1500 x 1500
     * pair with 6.75 million steps ran a 1 GiB heap out of memory in local[1], in that copy,
     * both through Spark's bean encoder, where 965 thousand steps did not, and with the rows
     * built here.)
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

    /**
     * The buffer a task's small output rows are built in, one after another: each row is valid
     * until the next is built (as Spark's own row iterators hand rows out; Spark's scan of the
     * rows copies each before it asks for the next). Small rows built each in a new buffer of
     * their own cost the writer about a fifth of its time on pairs of 10-40 (JFR: the new
     * buffers' first writes); a large row still gets one of its own, of its exact size, so that
     * no task keeps a large buffer once its large row is written.
     */
    static final class RowBuffer {
        /** Most bytes of a row's variable-length part built in the shared buffer. */
        static final int SHARED_BYTES = 1 << 20;
        private final UnsafeRowWriter shared = new UnsafeRowWriter(OutputColumns.COUNT, SHARED_BYTES);

        UnsafeRowWriter writer(long bytes) {
            return bytes <= SHARED_BYTES ? shared : new UnsafeRowWriter(OutputColumns.COUNT, Math.toIntExact(bytes));
        }
    }

    /** {@link #record(AlignmentResult, boolean, JobOptions, RowBuffer)} in a buffer of its own. */
    static UnsafeRow record(AlignmentResult r, boolean bandLayoutRow, JobOptions options) {
        return record(r, bandLayoutRow, options, null);
    }

    /**
     * The pair's {@code marginals/} row ({@link OutputColumns#schema}), built straight into
     * {@code buffer} (null: one of its own, of its exact size): its shape, its marginals in the
     * job's layout (floats copied in bulk; packed; or its sparse steps, counted first), and its
     * Viterbi path.
     */
    static UnsafeRow record(AlignmentResult r, boolean bandLayoutRow, JobOptions options, RowBuffer buffer) {
        BandGeometry g = r.geometry();
        Layout layout = options.layoutFor(bandLayoutRow);
        UTF8String id = UTF8String.fromString(r.id());
        UTF8String mode = UTF8String.fromString(r.mode().wireName());
        UTF8String layoutName = UTF8String.fromString(layout.wireName());
        UTF8String cigar = r.hasViterbi() ? UTF8String.fromString(r.viterbiCigar()) : null;
        float[] mu = null;
        byte[] packed = null;
        long steps = 0;
        long bytes = words(id.numBytes()) + words(mode.numBytes()) + words(layoutName.numBytes())
                + (cigar == null ? 0 : words(cigar.numBytes()));
        if (layout == Layout.SPARSE) {
            steps = sparseSteps(r, options.minProb, sparseStepLimit(options.maxCells, Runtime.getRuntime().maxMemory()));
            bytes += UnsafeArrayData.calculateHeaderPortionInBytes(steps) + steps * SPARSE_STEP_BYTES;
        } else {
            mu = layout == Layout.DENSE ? r.marginalsDense() : r.marginalsBand();
            if (options.packed) {
                packed = PairDecoder.pack(mu);
                bytes += words(packed.length);
            } else {
                bytes += UnsafeArrayData.calculateHeaderPortionInBytes(mu.length) + words(4L * mu.length);
            }
        }
        UnsafeRowWriter w = buffer == null ? new UnsafeRowWriter(OutputColumns.COUNT, Math.toIntExact(bytes)) : buffer.writer(bytes);
        w.reset();   // (a top-level row: from the buffer's start; resetRowWriter is for a nested one)
        w.zeroOutNullBytes();
        w.write(OutputColumns.ID, id);
        w.write(OutputColumns.N, g.n());
        w.write(OutputColumns.M, g.m());
        w.write(OutputColumns.MODE, mode);
        w.write(OutputColumns.DIAG_LO, g.diagLo());
        w.write(OutputColumns.DIAG_HI, g.diagHi());
        w.write(OutputColumns.LAYOUT, layoutName);
        if (r.hasLogPartition()) {
            w.write(OutputColumns.LOG_PARTITION, r.logPartition());
        } else {
            w.setNullAt(OutputColumns.LOG_PARTITION);
        }
        if (layout == Layout.SPARSE) {
            w.setNullAt(OutputColumns.MARGINALS);
            writeSparse(w, r, options.minProb, (int) steps);
        } else {
            if (packed != null) {
                w.write(OutputColumns.MARGINALS, packed);
            } else {
                writeFloats(w, OutputColumns.MARGINALS, mu);
            }
            w.setNullAt(OutputColumns.SPARSE);
        }
        if (cigar != null) {
            w.write(OutputColumns.VITERBI_SCORE, r.viterbiScore());
            w.write(OutputColumns.VITERBI_CIGAR, cigar);
            w.write(OutputColumns.VITERBI_START_I, r.viterbiStart()[0]);
            w.write(OutputColumns.VITERBI_START_J, r.viterbiStart()[1]);
            w.write(OutputColumns.VITERBI_END_I, r.viterbiEnd()[0]);
            w.write(OutputColumns.VITERBI_END_J, r.viterbiEnd()[1]);
        } else {
            for (int f = OutputColumns.VITERBI_SCORE; f <= OutputColumns.VITERBI_END_J; f++) {
                w.setNullAt(f);
            }
        }
        return w.getRow();
    }

    /** {@code bytes} rounded up to whole 8-byte words, as a row's variable-length part holds them. */
    private static long words(long bytes) {
        return (bytes + 7) & ~7L;
    }

    /** {@code values} as the row's array<float> field {@code ordinal}: its header, then the floats in one copy. */
    private static void writeFloats(UnsafeRowWriter w, int ordinal, float[] values) {
        int start = w.cursor();
        UnsafeArrayWriter a = new UnsafeArrayWriter(w, 4);
        a.initialize(values.length);
        Platform.copyMemory(values, Platform.FLOAT_ARRAY_OFFSET, w.getBuffer(),
                start + UnsafeArrayData.calculateHeaderPortionInBytes(values.length), 4L * values.length);
        w.setOffsetAndSizeFromPreviousCursor(ordinal, start);
    }

    /**
     * How many steps have probability at least {@code minProb}; a pair with more than
     * {@code most} of them is rejected (its row could not be written).
     */
    static long sparseSteps(AlignmentResult r, double minProb, long most) {
        long count = 0;
        BandGeometry g = r.geometry();
        boolean dense = r.marginalsKeptDense();
        float[] mu = dense ? r.marginalsDense() : r.marginalsBand();
        for (int i = 0; i < g.n(); i++) {
            int jLo = Math.max(0, i + g.diagLo());
            int jHi = Math.min(g.m() - 1, i + g.diagHi());
            int from = dense ? (i * g.m() + jLo) * 3 : g.bandIndex(i, jLo);
            int to = from + (jHi - jLo + 1) * 3;
            for (int q = from; q < to; q++) {
                if (mu[q] >= minProb) {
                    count++;
                }
            }
        }
        if (count > most) {
            throw new InvalidPairException(r.id(), count + " of its steps have a marginal of at least --min-prob " + minProb
                    + ", more than the " + most + " its sparse row can hold (the least of 3 x spark.bandalign.maxCells, what one "
                    + "Spark value holds, and this executor's heap at about " + SPARSE_STEP_HEAP_BYTES + " bytes a step); raise --min-prob");
        }
        return count;
    }

    /**
     * The {@code steps} steps of probability at least {@code minProb}, in row-major order, as the
     * row's array<struct<i, j, k, p>> field.
     */
    private static void writeSparse(UnsafeRowWriter w, AlignmentResult r, double minProb, int steps) {
        BandGeometry g = r.geometry();
        boolean dense = r.marginalsKeptDense();
        float[] mu = dense ? r.marginalsDense() : r.marginalsBand();
        int start = w.cursor();
        UnsafeArrayWriter a = new UnsafeArrayWriter(w, 8);
        a.initialize(steps);
        UnsafeRowWriter step = new UnsafeRowWriter(a, 4);
        int e = 0;
        for (int i = 0; i < g.n(); i++) {
            int jLo = Math.max(0, i + g.diagLo());
            int jHi = Math.min(g.m() - 1, i + g.diagHi());
            int base = dense ? (i * g.m() + jLo) * 3 : g.bandIndex(i, jLo);
            for (int j = jLo; j <= jHi; j++, base += 3) {
                for (int k = 0; k < 3; k++) {
                    float p = mu[base + k];
                    if (p >= minProb) {
                        int at = a.cursor();
                        step.resetRowWriter();
                        step.write(0, i);
                        step.write(1, j);
                        step.write(2, k);
                        step.write(3, p);
                        a.setOffsetAndSizeFromPreviousCursor(e++, at);
                    }
                }
            }
        }
        w.setOffsetAndSizeFromPreviousCursor(OutputColumns.SPARSE, start);
    }
}
