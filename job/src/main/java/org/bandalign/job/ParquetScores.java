package org.bandalign.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.bandalign.align.InvalidPairException;

/**
 * Reads one row's {@code scores} from a Parquet file by the row's index in the file, straight
 * into a {@code float[]}: BandAlign's own reader of scores, for every row of an input of float
 * or double lists or binaries ({@link AlignJob#readsByPage}), and otherwise for the files that
 * hold a row too large for Spark's ({@link LargeRows}). Lists of floats or doubles are read a
 * page at a time ({@link FloatListChunk}), binaries from their pages' bytes ({@link BinaryChunk}),
 * other types (and binaries in the DELTA encodings) value by value through parquet-mr's
 * column reader. Spark's vectorized reader
 * holds an array&lt;float&gt; row about 8 times over while it reads it (levels, vectors that
 * grow by doubling, a row buffer); this one holds a page as stored and decompressed, its
 * chunk's dictionary decoded, and the row's floats (pages are read from the file one at a time,
 * {@link StreamedPages}, those read value by value too; an encrypted chunk is read whole first,
 * as parquet-mr reads it, for its decryptors), and it never
 * gathers a row it is not asked for: a row
 * rejected for its size is skipped (its pages are still decompressed where a later row of its
 * row group is read), and a row group that holds no row asked for is never read.
 *
 * <p>It gives what Spark's reader and {@link PairDecoder} give for the same row: null for null
 * scores, the same rejection for a null element, a binary that is no whole number of floats,
 * or a wide value beyond float32's range (checked in that order), and a long or double score
 * narrowed the way Spark's casts narrow it. Rows are best asked for in increasing order within
 * a file, as a Spark task reads them: a row before the last one read reloads its row group.
 *
 * <p>Not thread-safe: one per task.
 */
final class ParquetScores implements AutoCloseable {
    private final java.util.function.Supplier<Configuration> confSource;
    private Configuration conf;
    private String file;
    private ParquetFileReader reader;
    /**
     * The file opened once more, where its scores' pages are read one at a time
     * ({@link StreamedPages}), and the decompressors they go through; null until then.
     */
    private org.apache.parquet.io.SeekableInputStream stream;
    private org.apache.parquet.compression.CompressionCodecFactory codecs;
    private ColumnDescriptor column;
    /** The file's schema of the scores column alone, which is all this reader reads. */
    private MessageType requested;
    private Kind kind;
    /** The definition level at which the scores value itself is set (below it, null scores). */
    private int setLevel;
    private boolean elementMayBeNull;
    /** The first row of each row group, and one past the last. */
    private long[] groupStarts;
    private int group = -1;
    private ColumnReader values;
    /**
     * The current row group's scores where they are float or double lists or binaries read a
     * page at a time, else null ({@link #values}).
     */
    private Rows chunk;
    /**
     * Whether scores are read a page at a time where their encodings allow: float and double
     * lists ({@link FloatListChunk}) and binaries ({@link BinaryChunk}).
     */
    private final boolean byPage;
    /** Level entries of the current row group's chunk, and those consumed. */
    private long entries;
    private long consumed;
    /** The index of the row the column reader stands at. */
    private long next;
    /** Where rows whose shape does not say their length are gathered; reused while small. */
    private float[] buffer = new float[1024];
    /** How many row groups this JVM's readers have loaded (the tests check which reader read). */
    static final java.util.concurrent.atomic.AtomicLong GROUPS = new java.util.concurrent.atomic.AtomicLong();
    /** The longest array a JVM allocates, about (every limit of the job on one array). */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** The rows of a column chunk read by BandAlign's page readers ({@link FloatListChunk}, {@link BinaryChunk}), in order. */
    interface Rows {
        /**
         * Rows begun: read or passed over, even where refused or rejected once begun (not where
         * a page before the row was refused, {@code fits}).
         */
        long rowsBegun();

        /** Moves past the next row without gathering it, each page read on the way offered to {@code fits} as pair {@code id}'s. */
        void skipRow(String id, SizeCheck fits);

        /**
         * The next row's scores (null where null), {@code expected} how many its shape says.
         *
         * @throws InvalidPairException naming {@code id} where they are unusable, or from {@code fits}
         */
        float[] readRow(String id, long expected, SizeCheck fits);

        /** Lets go of what the chunk holds beyond the heap: decoders, scratch files. */
        void release();
    }

    /**
     * Why a row is rejected whose list holds {@code count} floats, more than the {@code expected}
     * its shape takes and more than the executor could hold to say so in the usual words (the
     * shape's own check, {@code Pair}'s "must hold ... floats, got ...", needs them all).
     */
    static InvalidPairException longerThanShape(String id, long count, long expected) {
        return new InvalidPairException(id, "scores hold " + (count >= Integer.MAX_VALUE ? "at least " : "") + count
                + " floats where its shape (n, m and band) takes " + expected + ", too many to read");
    }

    /** Whether a row's scores fit where they are to be read. */
    @FunctionalInterface
    interface SizeCheck {
        /**
         * @param floats the scores of pair {@code id}'s row, held as floats (0: none yet)
         * @param pageBytes what the Parquet page read beside them holds, or will hold while it is
         *        read, where it is known (0: not known, or read with its row group)
         * @throws InvalidPairException where they do not fit
         */
        void check(String id, long floats, long pageBytes);
    }

    /** How a file stores its scores. */
    enum Kind {
        BINARY, FLOAT, INT, UNSIGNED_INT, LONG, DOUBLE,
        /** Parquet's null type (its UNKNOWN logical type), as pyarrow writes a column of nulls alone: every row null. */
        NULL
    }

    /** A reader of files on the file systems {@code conf} reaches, which it asks for on the first read. */
    ParquetScores(java.util.function.Supplier<Configuration> conf) {
        this(conf, true);
    }

    /**
     * {@link #ParquetScores(java.util.function.Supplier)}, reading float lists and binaries a page at a time
     * where {@code byPage} (and their encodings allow), else every kind value by value; where
     * {@code byPage}, a chunk's pages are read from the file one at a time, else its row group
     * whole, through parquet-mr (which the tests compare).
     */
    ParquetScores(java.util.function.Supplier<Configuration> conf, boolean byPage) {
        this.confSource = conf;
        this.byPage = byPage;
    }

    /**
     * How {@code type}, the scores leaf of a file, is read, or null where this reader does not
     * read it (decimals, unsigned longs, anything Spark would not read as numbers or bytes):
     * such a file stays with Spark's reader.
     */
    static Kind kind(PrimitiveType type) {
        LogicalTypeAnnotation logical = type.getLogicalTypeAnnotation();
        if (logical instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation) {
            return null;
        }
        if (logical instanceof LogicalTypeAnnotation.UnknownLogicalTypeAnnotation) {
            return Kind.NULL;
        }
        boolean unsigned = logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation
                && !((LogicalTypeAnnotation.IntLogicalTypeAnnotation) logical).isSigned();
        switch (type.getPrimitiveTypeName()) {
            case BINARY:
            case FIXED_LEN_BYTE_ARRAY:   // (Spark reads either, unannotated, as binary)
                return logical == null ? Kind.BINARY : null;
            case FLOAT:
                return Kind.FLOAT;
            case DOUBLE:
                return Kind.DOUBLE;
            case INT32:
                return unsigned && ((LogicalTypeAnnotation.IntLogicalTypeAnnotation) logical).getBitWidth() == 32
                        ? Kind.UNSIGNED_INT : logical == null || logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation
                        ? Kind.INT : null;
            case INT64:
                return unsigned ? null : logical == null || logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation
                        ? Kind.LONG : null;
            default:
                return null;
        }
    }

    /** The leaf column of the top-level field {@code scores} (any case) in {@code schema}, or null. */
    static ColumnDescriptor scoresColumn(MessageType schema) {
        for (ColumnDescriptor c : schema.getColumns()) {
            if (c.getPath()[0].equalsIgnoreCase("scores")) {
                return c;
            }
        }
        return null;
    }

    /**
     * The scores of row {@code row} of {@code file} (a path as Spark's {@code _metadata.file_path}
     * gives it), or null where they are null. {@code expected} is how many the row's shape says
     * it holds: an array row of that many is read into an array of its size, with no copy.
     * {@code fits} is asked first whether the floats the row may hold fit: its shape's count, or
     * fewer where its row group has fewer values left (a shape may claim more than its row
     * holds), or a binary's own length.
     *
     * @throws InvalidPairException naming {@code id} where the row's scores are unusable, or from {@code fits}
     * @throws UncheckedIOException where the file cannot be read, naming it and the row (counted from 1, as the
     *         job's other messages count rows)
     * @throws IllegalStateException where the file is corrupt (any other failure), naming it and the row
     */
    float[] read(String file, long row, String id, long expected, SizeCheck fits) {
        try {
            seek(file, row, id, fits);
            return column == null ? null : readRow(id, expected, fits);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the scores of row " + (row + 1) + " of " + file, e);
        } catch (InvalidPairException | org.apache.spark.TaskKilledException e) {
            throw e;   // (a row refused, or the task killed: no failure of the file)
        } catch (UncheckedIOException e) {   // (a page that cannot be read or decompressed: the file named, as Spark's reader does)
            if (e.getMessage() != null && e.getMessage().contains(file)) {
                throw e;
            }
            UncheckedIOException named = new UncheckedIOException("reading the scores of row " + (row + 1) + " of " + file + ": "
                    + e.getMessage(), e.getCause());
            named.setStackTrace(e.getStackTrace());   // (where it was thrown; as a suppressed one it repeated its cause, which
            throw named;                               // Java's trace printed as a CIRCULAR REFERENCE: an operator's walk-through)
        } catch (RuntimeException e) {   // (a page that contradicts itself, parquet-mr's decoding exceptions: a corrupt file)
            if (e.getMessage() != null && e.getMessage().contains(file)) {
                throw e;
            }
            throw new IllegalStateException("reading the scores of row " + (row + 1) + " of " + file + ": "
                    + (e instanceof IllegalStateException ? e.getMessage() : e.toString()), e);
        }
    }

    /**
     * Moves to row {@code row} of {@code path}, past the rows before it in its row group; a page
     * of theirs too large to read here ({@code fits}, as pair {@code id}'s) refuses {@code id}.
     */
    private void seek(String path, long row, String id, SizeCheck fits) throws IOException {
        if (!path.equals(file)) {
            close();
            open(path);
        }
        int g = 0;
        while (g < groupStarts.length - 1 && row >= groupStarts[g + 1]) {
            g++;   // (past empty row groups too)
        }
        if (row < 0 || g == groupStarts.length - 1) {
            throw new IllegalStateException("row " + row + " is not in " + path + ", which has "
                    + groupStarts[groupStarts.length - 1] + " rows");
        }
        if (column == null) {
            return;
        }
        if (g != group || row < next) {
            load(g);
        }
        while (next < row) {
            skipRow(id, fits);
        }
    }

    private void open(String path) throws IOException {
        if (conf == null) {
            conf = confSource.get();
        }
        reader = InputFooters.open(path, conf);
        file = path;
        MessageType schema = reader.getFooter().getFileMetaData().getSchema();
        column = scoresColumn(schema);
        groupStarts = rowGroupStarts(reader.getRowGroups());
        group = -1;
        if (column == null) {
            return;   // (a file without the column, beside files with it: its rows' scores are null, as Spark reads them)
        }
        kind = kind(column.getPrimitiveType());
        if (kind == null) {
            throw new IllegalStateException(path + " stores scores as " + column.getPrimitiveType() + ", which BandAlign's "
                    + "reader does not read");
        }
        Type top = schema.getType(column.getPath()[0]);
        setLevel = top.isRepetition(Type.Repetition.OPTIONAL) ? 1 : 0;
        elementMayBeNull = column.getMaxRepetitionLevel() > 0 && column.getPrimitiveType().isRepetition(Type.Repetition.OPTIONAL);
        requested = new MessageType(schema.getName(), top);
        reader.setRequestedSchema(requested);
    }

    /** The first row of each of {@code blocks}, and one past the last. */
    private static long[] rowGroupStarts(List<BlockMetaData> blocks) {
        long[] starts = new long[blocks.size() + 1];
        for (int k = 0; k < blocks.size(); k++) {
            starts[k + 1] = starts[k] + blocks.get(k).getRowCount();
        }
        return starts;
    }

    private void load(int g) throws IOException {
        values = null;   // (the last chunk can go before the next is read)
        releaseChunk();
        org.apache.parquet.hadoop.metadata.ColumnChunkMetaData meta = chunkOf(g);
        if (byPage && (kind == Kind.FLOAT || kind == Kind.DOUBLE) && column.getMaxRepetitionLevel() == 1 && meta != null
                && FloatListChunk.reads(meta.getEncodings())) {
            chunk = new FloatListChunk(pages(meta, g), column, setLevel, elementMayBeNull);
            entries = meta.getValueCount();
        } else if (byPage && kind == Kind.BINARY && column.getMaxRepetitionLevel() == 0 && column.getMaxDefinitionLevel() <= 1
                && meta != null && BinaryChunk.reads(meta.getEncodings())) {
            chunk = new BinaryChunk(pages(meta, g), column);
            entries = meta.getValueCount();
        } else {
            PageReadStore pages = byPage && meta != null ? oneChunk(pages(meta, g), reader.getRowGroups().get(g).getRowCount())
                    : reader.readRowGroup(g);
            values = new ColumnReadStoreImpl(pages, new Unconverted(column.getPath().length - 1), requested,
                    reader.getFooter().getFileMetaData().getCreatedBy()).getColumnReader(column);
            entries = pages.getPageReader(column).getTotalValueCount();
        }
        consumed = 0;
        group = g;
        GROUPS.incrementAndGet();
        next = groupStarts[g];
    }

    /** The scores column's chunk in row group {@code g}, or null where the footer lists none (read value by value). */
    private org.apache.parquet.hadoop.metadata.ColumnChunkMetaData chunkOf(int g) {
        org.apache.parquet.hadoop.metadata.ColumnPath path = org.apache.parquet.hadoop.metadata.ColumnPath.get(column.getPath());
        for (org.apache.parquet.hadoop.metadata.ColumnChunkMetaData c : reader.getRowGroups().get(g).getColumns()) {
            if (c.getPath().equals(path)) {
                return c;
            }
        }
        return null;
    }

    /**
     * A row group of {@code rows} rows holding the scores column alone, its pages {@code pages}:
     * parquet-mr's column reader asks for a page only once it has read the one before, so read
     * from {@link StreamedPages} a column read value by value holds its current page and the
     * chunk's dictionary, not its row group.
     */
    private static PageReadStore oneChunk(org.apache.parquet.column.page.PageReader pages, long rows) {
        return new PageReadStore() {
            @Override
            public org.apache.parquet.column.page.PageReader getPageReader(ColumnDescriptor column) {
                return pages;
            }

            @Override
            public long getRowCount() {
                return rows;
            }
        };
    }

    /**
     * The pages of chunk {@code meta} (of row group {@code g}): read one at a time from the file
     * where it is not encrypted ({@link StreamedPages}), else through parquet-mr, which reads the
     * row group's chunk whole and decrypts it.
     */
    private org.apache.parquet.column.page.PageReader pages(org.apache.parquet.hadoop.metadata.ColumnChunkMetaData meta, int g)
            throws IOException {
        if (meta.isEncrypted() || reader.getFooter().getFileMetaData().getEncryptionType()
                != org.apache.parquet.hadoop.metadata.FileMetaData.EncryptionType.UNENCRYPTED) {
            return reader.readRowGroup(g).getPageReader(column);
        }
        if (stream == null) {
            stream = org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(java.net.URI.create(file)), conf)
                    .newStream();
            codecs = SnappyPages.reading(new org.apache.parquet.hadoop.CodecFactory(conf, 0));
        }
        return new StreamedPages(stream, meta, codecs.getDecompressor(meta.getCodec()),
                conf.getBoolean(org.apache.parquet.hadoop.ParquetInputFormat.PAGE_VERIFY_CHECKSUM_ENABLED, false));
    }

    /**
     * Moves past the current row without gathering its values (on the way to pair {@code id}'s,
     * whose {@code fits} each page read is offered to; null: a row of its own, read at one entry).
     */
    private void skipRow(String id, SizeCheck fits) {
        if (chunk != null) {
            long begun = chunk.rowsBegun();
            try {
                chunk.skipRow(id, fits);
            } finally {
                if (chunk.rowsBegun() != begun) {
                    next++;   // (passed, even where a later page of it was refused: the chunk passes the rest first)
                }
            }
            return;
        }
        int maxDefinition = column.getMaxDefinitionLevel();
        do {
            if (values.getCurrentDefinitionLevel() == maxDefinition) {
                values.skip();
            }
            values.consume();
            consumed++;
        } while (consumed < entries && values.getCurrentRepetitionLevel() > 0);
        next++;
    }

    private float[] readRow(String id, long expected, SizeCheck fits) {
        if (chunk != null) {
            long begun = chunk.rowsBegun();
            try {
                return chunk.readRow(id, expected, fits);
            } finally {
                if (chunk.rowsBegun() != begun) {
                    next++;   // (read, even where rejected for a null element or a later page; not where refused before it began)
                }
            }
        }
        int maxDefinition = column.getMaxDefinitionLevel();
        if (values.getCurrentDefinitionLevel() < setLevel) {
            skipRow(null, null);
            return null;
        }
        if (kind == Kind.BINARY) {
            org.apache.parquet.io.api.Binary value = values.getBinary();
            fits.check(id, value.length() / 4, 0);
            try {
                return PairDecoder.unpack(id, value.toByteBuffer());   // (a view of the page: one copy, into the floats)
            } finally {
                values.consume();
                consumed++;
                next++;
            }
        }
        // (presized by the shape, but never past the values left in the row group: a row's shape
        // may claim more than it holds, and it is checked only once read)
        long size = Math.min(expected, entries - consumed);
        fits.check(id, size, 0);
        float[] buffer = size > this.buffer.length && size <= MAX_ARRAY ? new float[(int) size] : this.buffer;
        int count = 0;
        int firstNull = -1;
        int beyondRange = -1;
        double beyondValue = 0;
        boolean dropping = false;
        do {
            int level = values.getCurrentDefinitionLevel();
            if (level == maxDefinition && firstNull >= 0) {
                values.skip();   // (the row is rejected for its null element: what follows is not kept)
                count++;
            } else if (level == maxDefinition && dropping) {
                values.skip();   // (a row longer than its shape that no longer fits: counted, not kept)
                count = count == Integer.MAX_VALUE ? count : count + 1;
            } else if (level == maxDefinition) {
                if (count == buffer.length) {
                    if (count == MAX_ARRAY) {
                        throw new InvalidPairException(id, "scores hold more than " + MAX_ARRAY + " values, more than one array holds");
                    }
                    long grown = Math.min(MAX_ARRAY, 2L * buffer.length);
                    if (count >= expected) {   // (longer than its shape says: kept only while it fits, as its shape was checked to)
                        try {
                            fits.check(id, grown, 0);
                        } catch (InvalidPairException tooMany) {
                            dropping = true;
                            values.skip();
                            count++;
                            values.consume();
                            consumed++;
                            continue;
                        }
                    }
                    buffer = Arrays.copyOf(buffer, (int) grown);
                }
                float v;
                switch (kind) {
                    case FLOAT:
                        v = values.getFloat();
                        break;
                    case INT:
                        v = values.getInteger();
                        break;
                    case UNSIGNED_INT:
                        v = (float) (double) Integer.toUnsignedLong(values.getInteger());   // (as Spark: a long, cast to double)
                        break;
                    case LONG:
                        v = (float) (double) values.getLong();   // (as Spark's cast to double, then narrowed)
                        break;
                    case NULL:
                        throw new IllegalStateException("a value in a column of Parquet's null type, which holds none");
                    default:
                        double d = values.getDouble();
                        v = (float) d;
                        if (Float.isInfinite(v) && !Double.isInfinite(d) && beyondRange < 0) {
                            beyondRange = count;
                            beyondValue = d;
                        }
                }
                buffer[count++] = v;
            } else if (elementMayBeNull && level == maxDefinition - 1) {
                if (firstNull < 0) {
                    firstNull = count;
                }
                count++;   // (a null element holds its place)
            }
            values.consume();
            consumed++;
        } while (consumed < entries && values.getCurrentRepetitionLevel() > 0);
        next++;
        if (dropping) {
            this.buffer = new float[1024];
            throw longerThanShape(id, count, expected);
        }
        if (firstNull >= 0) {
            throw new InvalidPairException(id, PairDecoder.nullElement(firstNull));
        }
        if (beyondRange >= 0) {
            throw new InvalidPairException(id, PairDecoder.beyondFloatRange(beyondValue, beyondRange));
        }
        if (buffer.length == count && buffer != this.buffer) {
            return buffer;   // (as its shape said: no copy)
        }
        float[] row = Arrays.copyOf(buffer, count);
        this.buffer = buffer.length > (1 << 20) ? new float[1024] : buffer;   // (a large row's buffer is not kept for the next)
        return row;
    }

    private void releaseChunk() {
        if (chunk != null) {
            chunk.release();
            chunk = null;
        }
    }

    @Override
    public void close() {
        values = null;
        releaseChunk();
        group = -1;
        file = null;
        try (java.io.Closeable r = reader; java.io.Closeable s = stream) {
            // (closed in turn, the stream first; a failure of one still closes the other)
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            reader = null;
            stream = null;
            if (codecs != null) {
                codecs.release();
                codecs = null;
            }
        }
    }

    /** The converters a column reader needs to exist; this reader takes values from it directly. */
    private static final class Unconverted extends GroupConverter {
        private final int depth;

        Unconverted(int depth) {
            this.depth = depth;
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return depth == 0 ? new PrimitiveConverter() { } : new Unconverted(depth - 1);
        }

        @Override
        public void start() {
        }

        @Override
        public void end() {
        }
    }
}
