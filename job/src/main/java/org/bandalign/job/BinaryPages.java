package org.bandalign.job;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.PageWriter;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.column.statistics.BinaryStatistics;
import org.apache.parquet.column.statistics.SizeStatistics;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.io.api.Binary;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.unsafe.Platform;

/**
 * The data pages of one top-level Parquet column of binaries (Spark's nullable
 * {@code BinaryType}, such as the packed marginals of {@code --packed}), assembled a whole value
 * at a time.
 *
 * <p>Design. A version-1 data page of such a column has no repetition levels (the column has
 * none; parquet-mr names their encoding {@code BIT_PACKED}), then the definition levels, 1 for a
 * value and 0 for a null, in the RLE/bit-packing hybrid encoding behind a 4-byte little-endian
 * length, written as runs ({@link FloatListPages.LevelRuns}), then the values, plain: each its
 * length in 4 little-endian bytes and its bytes, copied straight out of Spark's row (parquet-mr's
 * path copies each value three times more: out of the row, into its value writer's slabs, and
 * into one array for the compressor).
 *
 * <p>The statistics and size statistics are parquet-mr's own, fed a value at a time as its
 * column writer feeds them (a value is a row here, so that costs little): the page's minimum and
 * maximum by the column's order, its nulls, its definition levels' histogram and its values'
 * bytes. A value goes to the statistics as a view of the page that they copy when they keep it.
 *
 * <p>Pages hold whole rows and end as {@link FloatListPages}' do: once their values reach the
 * page size, or their rows the page's row or value limit; a value larger than a page grows the
 * page's buffer, which goes back to its first size once that page is written.
 */
final class BinaryPages implements PageColumn {
    private final ColumnDescriptor column;
    private final int pageBytes;
    private final int pageRowLimit;
    private final boolean sizeStatistics;
    private final FloatListPages.LevelRuns definition = new FloatListPages.LevelRuns();
    private ByteBuffer values = ByteBuffer.allocate(FIRST_PAGE_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private PageWriter pages;
    private int rows;
    private BinaryStatistics stats;
    private SizeStatistics.Builder sizes;

    /**
     * {@code column}: a binary leaf at the top level, nullable and without a logical type
     * (definition level 1 for a value, no repetition). {@code pageRowLimit}: the fewer of the
     * page's row and value limits (each row is one value).
     */
    BinaryPages(ColumnDescriptor column, int pageBytes, int pageRowLimit, boolean sizeStatistics) {
        if (column.getMaxRepetitionLevel() != 0 || column.getMaxDefinitionLevel() != 1
                || column.getPrimitiveType().getPrimitiveTypeName() != org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY
                || column.getPrimitiveType().getLogicalTypeAnnotation() != null) {
            throw new IllegalArgumentException("not a nullable top-level binary: " + column);
        }
        this.column = column;
        this.pageBytes = pageBytes;
        this.pageRowLimit = pageRowLimit;
        this.sizeStatistics = sizeStatistics;
        startPage();
    }

    @Override
    public void startRowGroup(ColumnChunkPageWriteStore pageStore) {
        this.pages = pageStore.getPageWriter(column);
    }

    @Override
    public void add(InternalRow row, int ordinal) throws IOException {
        if (row.isNullAt(ordinal)) {
            definition.add(0, 1);
            stats.incrementNumNulls();
            sizes.add(0, 0);
        } else {
            definition.add(1, 1);
            int start;
            int length;
            if (row instanceof UnsafeRow unsafe) {   // (the value's place in the row, as UnsafeRow.getBinary reads it)
                long offsetAndSize = unsafe.getLong(ordinal);
                length = (int) offsetAndSize;
                start = lengthPrefixed(length);
                Platform.copyMemory(unsafe.getBaseObject(), unsafe.getBaseOffset() + (offsetAndSize >> 32), values.array(),
                        Platform.BYTE_ARRAY_OFFSET + values.arrayOffset() + start, length);
            } else {
                byte[] bytes = row.getBinary(ordinal);
                length = bytes.length;
                start = lengthPrefixed(length);
                System.arraycopy(bytes, 0, values.array(), values.arrayOffset() + start, length);
            }
            values.position(start + length);
            Binary value = Binary.fromReusedByteArray(values.array(), values.arrayOffset() + start, length);
            stats.updateStats(value);
            sizes.add(0, 1, value);
        }
        rows++;
        if (values.position() >= pageBytes || rows >= pageRowLimit) {
            flushPage();
        }
    }

    /** Writes a value's length and makes room for its bytes; returns where they go. */
    private int lengthPrefixed(int length) {
        values = PageColumn.room(values, 4L + length, column);
        values.putInt(length);
        return values.position();
    }

    @Override
    public long bufferedBytes() {
        return (pages == null ? 0 : pages.getMemSize()) + values.position() + definition.size();
    }

    @Override
    public void flushPage() throws IOException {
        if (rows == 0) {
            return;
        }
        BytesInput data = BytesInput.concat(definition.lengthPrefixed(), ParquetWriting.sliced(values.array(), 0, values.position()));
        PageColumn.writePage(pages, data, rows, rows, stats, sizeStatistics ? sizes.build() : null, Encoding.BIT_PACKED, Encoding.RLE);
        definition.clear();
        values = PageColumn.cleared(values, pageBytes);
        rows = 0;
        startPage();
    }

    private void startPage() {
        stats = (BinaryStatistics) Statistics.createStats(column.getPrimitiveType());
        sizes = SizeStatistics.newBuilder(column.getPrimitiveType(), 0, 1);
    }
}
