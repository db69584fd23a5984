package org.bandalign.job;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.PageWriter;
import java.util.List;
import org.apache.parquet.column.statistics.FloatStatistics;
import org.apache.parquet.column.statistics.SizeStatistics;
import org.apache.parquet.column.statistics.Statistics;
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
 * order give the same result as every value fed in turn. {@link Math#min(float, float)} and
 * {@code max} order floats as {@code Float.compare} does but for NaN (-0 below +0 included), so
 * one pass of them over a row finds its extremes. A row that holds a NaN feeds every value in, so
 * that any special handling of NaN in the statistics is parquet-mr's own. The size statistics
 * (the levels' histograms) follow from the counts of rows, null rows, empty rows and values.
 * NaN payloads are copied as they are (parquet-mr's plain writer would write the canonical NaN).
 *
 * <p>Pages hold whole rows, as parquet-mr's pages do (a row never spans two pages): a page ends
 * when its values reach the page size or its rows the page's row limit. Not thread-safe; one per
 * output file and column.
 */
final class FloatListPages {
    /**
     * Whether parquet-mr's page writer takes geospatial statistics (1.16 on, Spark 4.1 on): its
     * {@code writePage} with size statistics is then the one that also takes those (null here),
     * and the one without them throws. Each call is linked only when first run.
     */
    private static final boolean GEOSPATIAL_PAGES = present("org.apache.parquet.column.statistics.geospatial.GeospatialStatistics");

    private static boolean present(String className) {
        try {
            Class.forName(className, false, FloatListPages.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private final ColumnDescriptor column;
    private final int pageBytes;
    private final int pageRowLimit;
    private final int maxDef;
    private final boolean sizeStatistics;
    private final LevelRuns repetition = new LevelRuns();
    private final LevelRuns definition = new LevelRuns();
    private ByteBuffer values = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private float[] scratch = new float[1024];
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
    FloatListPages(ColumnDescriptor column, int pageBytes, int pageRowLimit, boolean sizeStatistics) {
        if (column.getMaxRepetitionLevel() != 1 || column.getMaxDefinitionLevel() != 2) {
            throw new IllegalArgumentException("not a list of non-null floats in a nullable column: " + column);
        }
        this.column = column;
        this.pageBytes = pageBytes;
        this.pageRowLimit = pageRowLimit;
        this.maxDef = column.getMaxDefinitionLevel();
        this.sizeStatistics = sizeStatistics;
    }

    ColumnDescriptor column() {
        return column;
    }

    /** The page writer of the row group being written: pages go there from now on. */
    void writeTo(PageWriter pageWriter) {
        this.pages = pageWriter;
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
                float[] row = floats(list, k);
                level(0, maxDef, 1);
                if (k > 1) {
                    level(1, maxDef, k - 1);
                }
                append(row, k);
                statistics(row, k);
            }
        }
        rows++;
        if (values.position() >= pageBytes || rows >= pageRowLimit) {
            flushPage();
        }
    }

    /** The bytes this column holds until its row group is written: its finished pages and the page being built. */
    long bufferedBytes() {
        return (pages == null ? 0 : pages.getMemSize()) + values.position() + repetition.size() + definition.size();
    }

    /** Writes the page being built, if it holds a row. */
    void flushPage() throws IOException {
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
                BytesInput.from(values.array(), 0, values.position()));
        if (sizeStatistics) {
            // the levels' histograms: repetition 0 once a row, 1 for each further value; definition
            // 0 for a null row, 1 for an empty one, 2 for a value
            SizeStatistics sizes = new SizeStatistics(column.getPrimitiveType(), 0, List.of((long) rows, (long) entries - rows),
                    List.of(nulls - empties, empties, entries - nulls));
            if (GEOSPATIAL_PAGES) {
                pages.writePage(data, entries, rows, stats, sizes, null, Encoding.RLE, Encoding.RLE, Encoding.PLAIN);
            } else {
                pages.writePage(data, entries, rows, stats, sizes, Encoding.RLE, Encoding.RLE, Encoding.PLAIN);
            }
        } else {
            pages.writePage(data, entries, rows, stats, Encoding.RLE, Encoding.RLE, Encoding.PLAIN);
        }
        repetition.clear();
        definition.clear();
        values.clear();
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

    /** The list's floats, in a buffer reused from row to row: a bulk copy out of Spark's own array. */
    private float[] floats(ArrayData list, int k) {
        if (scratch.length < k) {
            scratch = new float[Math.max(k, 2 * scratch.length)];
        }
        if (list instanceof UnsafeArrayData u) {
            Platform.copyMemory(u.getBaseObject(), u.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(k),
                    scratch, Platform.FLOAT_ARRAY_OFFSET, 4L * k);
        } else {
            for (int i = 0; i < k; i++) {
                scratch[i] = list.getFloat(i);
            }
        }
        return scratch;
    }

    private void append(float[] row, int k) {
        if (values.remaining() < 4 * k) {
            long need = values.position() + 4L * k;
            if (need > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("a page of " + need + " bytes is too large for Parquet (column " + column + ")");
            }
            ByteBuffer grown = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, 2L * values.capacity())))
                    .order(ByteOrder.LITTLE_ENDIAN);
            values.flip();
            grown.put(values);
            values = grown;
        }
        values.asFloatBuffer().put(row, 0, k);
        values.position(values.position() + 4 * k);
    }

    /** Folds the row into the page's minimum and maximum (see the class note). */
    private void statistics(float[] row, int k) {
        float lo = anyValue ? min : Float.POSITIVE_INFINITY;
        float hi = anyValue ? max : Float.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) {
            lo = Math.min(lo, row[i]);
            hi = Math.max(hi, row[i]);
        }
        if (Float.isNaN(lo)) {   // Math.min and max give NaN from a NaN in the row
            if (slowStats == null) {
                slowStats = (FloatStatistics) Statistics.createStats(column.getPrimitiveType());
            }
            for (int i = 0; i < k; i++) {
                slowStats.updateStats(row[i]);
            }
            return;   // the NaN-free rows' extremes stay in min and max and join at the page's end
        }
        min = lo;
        max = hi;
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
            return BytesInput.concat(BytesInput.fromInt(b.length), BytesInput.from(b));
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
