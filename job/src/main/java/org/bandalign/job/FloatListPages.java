package org.bandalign.job;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.PageWriter;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import java.util.List;
import org.apache.parquet.column.statistics.FloatStatistics;
import org.apache.parquet.column.statistics.SizeStatistics;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.Platform;

/**
 * The data pages of one Parquet column of float lists ({@code array<float>} without null
 * elements, such as the marginals), assembled a whole row at a time instead of a value at a time.
 *
 * <p>Design. A version-1 data page is three byte runs: the repetition levels and the definition
 * levels, each in the RLE/bit-packing hybrid encoding behind a 4-byte little-endian length, then
 * the values, plain (4 little-endian bytes a float). A row of {@code k} floats is repetition
 * levels {@code 0, 1 x (k-1)} and definition levels {@code maxDef x k}: a few RLE runs whatever
 * {@code k}, so the levels are written as runs ({@link LevelRuns}), and the values are copied in
 * bulk from Spark's array. A null row is one entry (0, 0) and an empty one (0, maxDef-1); both
 * count as nulls in the statistics, as parquet-mr's own column writer counts them.
 *
 * <p>Statistics are those parquet-mr's {@code FloatStatistics} would give value by value: its
 * order is {@link Float#compare}, a total order, so the page's minimum and maximum under that
 * order give the same result as every value fed in turn. A float's bits, their low 31 flipped
 * where the sign is set ({@link #key}), compare as signed ints in that order for every value but
 * NaN (-0 below +0 included), and a NaN's key lies beyond both infinities'; so one pass of int
 * comparisons over a chunk of a row finds its extremes, and a chunk that holds a NaN feeds every
 * value in instead, so that any special handling of NaN in the statistics is parquet-mr's own.
 * The size statistics
 * (the levels' histograms) follow from the counts of rows, null rows, empty rows and values.
 * NaNs are written as Java's one NaN, as parquet-mr's plain writer writes them.
 *
 * <p>Pages hold whole rows, as parquet-mr's pages do (a row never spans two pages): a page ends
 * when its values reach the page size, its rows the page's row limit or its entries the page's
 * value limit. A row larger than a page grows the page's buffer to hold it, and the buffer goes
 * back to its first size once that page is written; rows are copied through a 32 KiB buffer. Not thread-safe; one per
 * output file and column.
 */
final class FloatListPages implements PageColumn {
    private final ColumnDescriptor column;
    private final int pageBytes;
    private final int pageRowLimit;
    private final int pageValueLimit;
    private final int maxDef;
    private final boolean sizeStatistics;
    private final LevelRuns repetition = new LevelRuns();
    private final LevelRuns definition = new LevelRuns();
    /** Floats a row is copied in at a time (a 32 KiB buffer: the page, not a row, sets the memory). */
    private static final int CHUNK = 8192;
    /** A chunk of a row's floats, as their bits. */
    private final int[] chunk = new int[CHUNK];
    private ByteBuffer values = ByteBuffer.allocate(FIRST_PAGE_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private PageWriter pages;
    private int entries;
    private int rows;
    private long nulls;
    private long empties;
    private boolean anyValue;
    private float min;
    private float max;
    private FloatStatistics slowStats;

    /** {@code column}: a float leaf with one repeated ancestor and definition level 2 for a value. */
    FloatListPages(ColumnDescriptor column, int pageBytes, int pageRowLimit, int pageValueLimit, boolean sizeStatistics) {
        if (column.getMaxRepetitionLevel() != 1 || column.getMaxDefinitionLevel() != 2) {
            throw new IllegalArgumentException("not a list of non-null floats in a nullable column: " + column);
        }
        this.column = column;
        this.pageBytes = pageBytes;
        this.pageRowLimit = pageRowLimit;
        this.pageValueLimit = pageValueLimit;
        this.maxDef = column.getMaxDefinitionLevel();
        this.sizeStatistics = sizeStatistics;
    }

    @Override
    public void startRowGroup(ColumnChunkPageWriteStore pageStore) {
        this.pages = pageStore.getPageWriter(column);
    }

    @Override
    public void add(InternalRow row, int ordinal) throws IOException {
        add(row.isNullAt(ordinal) ? null : row.getArray(ordinal));
    }

    /** Adds a row: {@code null} for a null list. */
    void add(ArrayData list) throws IOException {
        if (list == null) {
            level(0, 0, 1);
            nulls++;
        } else {
            int k = list.numElements();
            if (k == 0) {
                level(0, maxDef - 1, 1);
                nulls++;
                empties++;
            } else {
                level(0, maxDef, 1);
                if (k > 1) {
                    level(1, maxDef, k - 1);
                }
                append(list, k);
            }
        }
        rows++;
        if (values.position() >= pageBytes || rows >= pageRowLimit || entries >= pageValueLimit) {
            flushPage();
        }
    }

    @Override
    public long bufferedBytes() {
        return (pages == null ? 0 : pages.getMemSize()) + values.position() + repetition.size() + definition.size();
    }

    @Override
    public void flushPage() throws IOException {
        if (rows == 0) {
            return;
        }
        Statistics<?> stats = slowStats != null ? slowStats : Statistics.createStats(column.getPrimitiveType());
        if (anyValue) {
            ((FloatStatistics) stats).updateStats(min);
            ((FloatStatistics) stats).updateStats(max);
        }
        stats.incrementNumNulls(nulls);
        BytesInput data = BytesInput.concat(repetition.lengthPrefixed(), definition.lengthPrefixed(),
                ParquetWriting.sliced(values.array(), 0, values.position()));
        // the levels' histograms: repetition 0 once a row, 1 for each further value; definition
        // 0 for a null row, 1 for an empty one, 2 for a value
        SizeStatistics sizes = !sizeStatistics ? null : new SizeStatistics(column.getPrimitiveType(), 0,
                List.of((long) rows, (long) entries - rows), List.of(nulls - empties, empties, entries - nulls));
        PageColumn.writePage(pages, data, entries, rows, stats, sizes, Encoding.RLE, Encoding.RLE);
        repetition.clear();
        definition.clear();
        values = PageColumn.cleared(values, pageBytes);
        entries = 0;
        rows = 0;
        nulls = 0;
        empties = 0;
        anyValue = false;
        slowStats = null;
    }

    private void level(int rep, int def, int count) {
        repetition.add(rep, count);
        definition.add(def, count);
        entries += count;
    }

    /**
     * Copies a row's floats into the page, {@link #CHUNK} at a time through a small buffer: a
     * bulk copy out of Spark's array (floats in the machine's order, as in a {@code float[]}),
     * the statistics over the chunk, a bulk little-endian put into the page.
     */
    private void append(ArrayData list, int k) {
        values = PageColumn.room(values, 4L * k, column);
        UnsafeArrayData unsafe = list instanceof UnsafeArrayData u ? u : null;
        long elements = unsafe == null ? 0 : unsafe.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(k);
        for (int from = 0; from < k; from += CHUNK) {
            int n = Math.min(CHUNK, k - from);
            if (unsafe != null) {
                Platform.copyMemory(unsafe.getBaseObject(), elements + 4L * from, chunk, Platform.INT_ARRAY_OFFSET, 4L * n);
            } else {
                for (int i = 0; i < n; i++) {
                    chunk[i] = Float.floatToRawIntBits(list.getFloat(from + i));
                }
            }
            statistics(chunk, n);
            values.asIntBuffer().put(chunk, 0, n);
            values.position(values.position() + 4 * n);
        }
    }

    /** The key of {@code -infinity}; a NaN with the sign set has a smaller one. */
    private static final int NEGATIVE_INFINITY_KEY = key(Float.floatToRawIntBits(Float.NEGATIVE_INFINITY));
    /** The key of {@code +infinity}; a NaN without the sign has a larger one. */
    private static final int POSITIVE_INFINITY_KEY = key(Float.floatToRawIntBits(Float.POSITIVE_INFINITY));

    /**
     * A float's bits as an int whose signed order is {@link Float#compare}'s over all floats but
     * NaN: the low 31 bits flipped where the sign bit is set. It is its own inverse.
     */
    static int key(int bits) {
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    /**
     * Folds a chunk of a row, as float bits, into the page's minimum and maximum (see the class
     * note). A chunk that holds a NaN feeds each value to parquet-mr's statistics instead, and its
     * NaNs become Java's one NaN, as parquet-mr's plain writer writes them
     * ({@code Float.floatToIntBits}).
     */
    private void statistics(int[] bits, int n) {
        // Branches, not Math.min and max: a page's extremes seldom change, so the branches
        // predict well and no value waits on the one before (2.5x faster than Math.min and max
        // over floats, which C2 does not vectorize here).
        int lo = anyValue ? key(Float.floatToRawIntBits(min)) : Integer.MAX_VALUE;
        int hi = anyValue ? key(Float.floatToRawIntBits(max)) : Integer.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            int k = key(bits[i]);
            if (k < lo) {
                lo = k;
            }
            if (k > hi) {
                hi = k;
            }
        }
        if (lo < NEGATIVE_INFINITY_KEY || hi > POSITIVE_INFINITY_KEY) {   // a NaN in the chunk
            if (slowStats == null) {
                slowStats = (FloatStatistics) Statistics.createStats(column.getPrimitiveType());
            }
            for (int k = 0; k < n; k++) {
                float f = Float.intBitsToFloat(bits[k]);
                if (Float.isNaN(f)) {
                    bits[k] = Float.floatToIntBits(Float.NaN);
                    f = Float.NaN;
                }
                slowStats.updateStats(f);
            }
            return;   // the NaN-free chunks' extremes stay in min and max and join at the page's end
        }
        min = Float.intBitsToFloat(key(lo));
        max = Float.intBitsToFloat(key(hi));
        anyValue = true;
    }

    /**
     * One page's levels in the RLE/bit-packing hybrid encoding, as RLE runs only: a run is its
     * length shifted left once (the low bit 0 says RLE) as an unsigned varint, then the level in
     * one byte (levels here are at most 2, so one byte holds any bit width they need).
     */
    static final class LevelRuns {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private int value = -1;
        private long count;

        void add(int level, int n) {
            if (level != value) {
                endRun();
                value = level;
            }
            count += n;
        }

        int size() {
            return bytes.size() + 6;
        }

        BytesInput lengthPrefixed() {
            endRun();
            byte[] b = bytes.toByteArray();
            return BytesInput.concat(BytesInput.fromInt(b.length), ParquetWriting.sliced(b, 0, b.length));
        }

        void clear() {
            bytes.reset();
            value = -1;
            count = 0;
        }

        private void endRun() {
            if (count > 0) {
                long header = count << 1;
                while ((header & ~0x7FL) != 0) {
                    bytes.write((int) ((header & 0x7F) | 0x80));
                    header >>>= 7;
                }
                bytes.write((int) header);
                bytes.write(value);
            }
            count = 0;
        }
    }
}
