package org.bandalign.job;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.PageWriter;
import org.apache.parquet.column.statistics.SizeStatistics;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * A top-level field whose Parquet columns {@link OutputParquetWriter} writes itself, a whole
 * row at a time, instead of through Spark's row writer and parquet-mr's record consumer: lists
 * of floats ({@link FloatListPages}) and binaries ({@link BinaryPages}), whose data pages it
 * assembles, and lists of structs of numbers ({@link StructListColumns}), whose values it hands
 * to parquet-mr's column writers. Pages hold whole rows and go, with their statistics, to
 * parquet-mr's page writer, which compresses them and keeps the column chunks, their column and
 * offset indexes and their statistics. Not thread-safe; one per output file and field.
 */
interface PageColumn {
    /** The row group being written starts: its pages go to {@code pages} from now on. */
    void startRowGroup(ColumnChunkPageWriteStore pages);

    /** The row group written (after {@link #flushPage} and the page store's flush to the file). */
    default void endRowGroup() {
    }

    /** Adds field {@code ordinal} of {@code row} (null or not), ending the page once it is full. */
    void add(InternalRow row, int ordinal) throws IOException;

    /** The bytes this column holds until its row group is written: its finished pages and the page being built. */
    long bufferedBytes();

    /** Writes the page being built, if it holds a row: the row group ends. */
    void flushPage() throws IOException;

    /** The size of a page buffer at first, and what one that a large row grew goes back to. */
    int FIRST_PAGE_BUFFER = 1 << 16;

    /**
     * {@code values} (little-endian), or a larger copy of it, with room for {@code more} bytes
     * beyond its position.
     *
     * @throws IllegalStateException where the page would pass what one array holds
     */
    static ByteBuffer room(ByteBuffer values, long more, ColumnDescriptor column) {
        if (values.remaining() >= more) {
            return values;
        }
        long need = values.position() + more;
        if (need > ParquetScores.MAX_ARRAY) {
            throw new IllegalStateException("a page of " + need + " bytes is too large for Parquet (column " + column + ")");
        }
        ByteBuffer grown = ByteBuffer.allocate((int) Math.min(ParquetScores.MAX_ARRAY, Math.max(need, 2L * values.capacity())))
                .order(ByteOrder.LITTLE_ENDIAN);
        values.flip();
        grown.put(values);
        return grown;
    }

    /** {@code values} cleared, or a buffer of the first size where a row larger than a page grew it. */
    static ByteBuffer cleared(ByteBuffer values, int pageBytes) {
        values.clear();
        return values.capacity() > 2L * pageBytes + FIRST_PAGE_BUFFER
                ? ByteBuffer.allocate(FIRST_PAGE_BUFFER).order(ByteOrder.LITTLE_ENDIAN) : values;
    }

    /**
     * Hands a page of plain values to {@code pages}: with its size statistics where
     * {@code sizes} is not null (through the {@code writePage} this parquet-mr has for them),
     * without them otherwise.
     */
    static void writePage(PageWriter pages, BytesInput data, int entries, int rows, Statistics<?> stats, SizeStatistics sizes,
                          Encoding repetition, Encoding definition) throws IOException {
        if (sizes == null) {
            pages.writePage(data, entries, rows, stats, repetition, definition, Encoding.PLAIN);
        } else if (Geospatial.PAGES) {
            pages.writePage(data, entries, rows, stats, sizes, null, repetition, definition, Encoding.PLAIN);
        } else {
            pages.writePage(data, entries, rows, stats, sizes, repetition, definition, Encoding.PLAIN);
        }
    }

    /**
     * Whether parquet-mr's page writer takes geospatial statistics (1.16 on, Spark 4.1 on): its
     * {@code writePage} with size statistics is then the one that also takes those (null here),
     * and the one without them throws. Each call is linked only when first run.
     */
    final class Geospatial {
        static final boolean PAGES = present("org.apache.parquet.column.statistics.geospatial.GeospatialStatistics");

        private Geospatial() {
        }

        private static boolean present(String className) {
            try {
                Class.forName(className, false, PageColumn.class.getClassLoader());
                return true;
            } catch (ClassNotFoundException e) {
                return false;
            }
        }
    }
}
