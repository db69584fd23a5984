package org.bandalign.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetOutputFormat;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.execution.datasources.OutputWriter;
import org.apache.spark.sql.execution.datasources.parquet.ParquetWriteSupport;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * One Parquet file of Spark rows, written as Spark's own writer writes it, except that the
 * columns of float lists and of binaries go a page at a time through {@link FloatListPages} and
 * {@link BinaryPages}, and those of lists of structs of numbers value by value straight into
 * parquet-mr's column writers ({@link StructListColumns}).
 *
 * <p>Design. The file's schema and its key-value metadata come from Spark's
 * {@link ParquetWriteSupport} given the whole row schema, so a reader sees what Spark would have
 * written. The other columns are written by a second {@code ParquetWriteSupport}, given the row
 * schema without those fields and a row that leaves them out, through parquet-mr's
 * record consumer into parquet-mr's column writers: every Spark type keeps Spark's own
 * conversion. Both kinds of column write their pages into one {@link ColumnChunkPageWriteStore}
 * made for the whole schema, which lays the column chunks out in schema order when a row group
 * is written; a row group ends, as parquet-mr's own writer ends it, once its buffered bytes pass
 * the block size (here checked after every row).
 *
 * <p>The Parquet settings read from the Hadoop configuration are those parquet-mr's
 * {@code ParquetOutputFormat} reads for a file without bloom filters, encryption or byte-stream
 * splitting (with any of those, {@link #fastColumns} finds no column and Spark's writer is used).
 */
final class OutputParquetWriter extends OutputWriter {
    /** How many files this JVM's page writers have opened (the tests check that theirs were). */
    static final java.util.concurrent.atomic.AtomicLong OPENED = new java.util.concurrent.atomic.AtomicLong();

    private final String path;
    private final int[] fastOrdinals;
    private final int[] restOrdinals;
    private final Getter[] restGetters;
    private final PageColumn[] fast;
    private final MessageType fileSchema;
    private final MessageType restSchema;
    private final Map<String, String> metadata;
    private final WriteSupport<InternalRow> restSupport;
    private final WriteSupport<InternalRow> fileSupport;
    private final ParquetProperties props;
    private final CodecFactory codecs;
    private final org.apache.parquet.compression.CompressionCodecFactory.BytesInputCompressor compressor;
    /**
     * Whether this parquet-mr reads {@code parquet.block.row.count.limit} (1.16 on; Spark 4.0's
     * 1.15 ignores it, so its own writer does too).
     */
    private static final boolean ROW_GROUP_ROW_LIMIT = java.util.Arrays.stream(ParquetProperties.class.getMethods())
            .anyMatch(m -> m.getName().equals("getRowGroupRowCountLimit"));
    private final ParquetFileWriter file;
    private final long blockBytes;
    private final long blockRowLimit;
    private final boolean validating;
    private final GenericInternalRow restRow;
    private ColumnChunkPageWriteStore pageStore;
    private ColumnWriteStore columnStore;
    private RecordConsumer consumer;
    private long groupRows;
    private long nextGroupBytes;
    private boolean closed;
    /** Set while a row is being written and after any failure: the file then gets no footer. */
    private boolean failed;

    /**
     * The top-level fields written a page at a time: nullable {@code array<float>} without null
     * elements whose Parquet leaf is a float under one repeated group (definition level 2 for a
     * value), and nullable binaries (a binary leaf without a logical type, definition level 1),
     * where the configuration leaves that column plain, with statistics; nullable lists of structs
     * of numbers ({@link StructListColumns#takes}); all where the configuration asks for
     * version-1 pages and for no bloom filter, encryption, byte-stream split or shredded variant
     * anywhere. Empty where none, and where the row holds no other column.
     */
    static int[] fastColumns(StructType schema, Configuration conf) {
        if (!ParquetProperties.WriterVersion.PARQUET_1_0.equals(ParquetOutputFormat.getWriterVersion(conf))
                || conf.get(ParquetWriteSupport.SPARK_VARIANT_SHREDDING_SCHEMA()) != null) {
            return new int[0];
        }
        for (Map.Entry<String, String> e : conf) {
            String k = e.getKey();
            if (k.startsWith("parquet.bloom.filter") || k.startsWith("parquet.crypto") || k.startsWith("parquet.encryption")
                    || k.startsWith(ParquetOutputFormat.ENABLE_BYTE_STREAM_SPLIT)) {
                return new int[0];
            }
        }
        Configuration one = new Configuration(conf);
        ParquetWriteSupport.setSchema(schema, one);
        MessageType parquet = new ParquetWriteSupport().init(one).getSchema();
        ParquetProperties props = properties(conf);
        List<Integer> fast = new ArrayList<>();
        for (int i = 0; i < schema.fields().length; i++) {
            StructField f = schema.fields()[i];
            List<ColumnDescriptor> leaves = leaves(parquet, parquet.getFieldName(i));
            if (StructListColumns.takes(f, leaves)) {
                fast.add(i);   // (its columns' dictionaries and statistics are parquet-mr's own, as set)
                continue;
            }
            if (!f.nullable() || leaves.size() != 1 || props.isDictionaryEnabled(leaves.get(0))
                    || !props.getStatisticsEnabled(leaves.get(0))) {
                continue;
            }
            org.apache.parquet.schema.PrimitiveType leaf = leaves.get(0).getPrimitiveType();
            int repetition = leaves.get(0).getMaxRepetitionLevel();
            int definition = leaves.get(0).getMaxDefinitionLevel();
            if (f.dataType() instanceof ArrayType a && !a.containsNull() && a.elementType().equals(DataTypes.FloatType)
                    && leaf.getPrimitiveTypeName() == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.FLOAT
                    && repetition == 1 && definition == 2
                    || f.dataType().equals(DataTypes.BinaryType)
                    && leaf.getPrimitiveTypeName() == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY
                    && leaf.getLogicalTypeAnnotation() == null && repetition == 0 && definition == 1) {
                fast.add(i);
            }
        }
        if (fast.size() == schema.size()) {
            return new int[0];   // no other column: parquet-mr's record writer needs one (Spark's writer takes such files)
        }
        return fast.stream().mapToInt(Integer::intValue).toArray();
    }

    OutputParquetWriter(String path, StructType schema, int[] fastOrdinals, TaskAttemptContext context) throws IOException {
        this.path = path;
        this.fastOrdinals = fastOrdinals.clone();
        Configuration conf = context.getConfiguration();
        props = properties(conf);
        validating = ParquetOutputFormat.getValidation(conf);

        Configuration whole = new Configuration(conf);
        ParquetWriteSupport.setSchema(schema, whole);
        fileSupport = new ParquetWriteSupport();
        WriteSupport.WriteContext fileContext = fileSupport.init(whole);
        fileSchema = fileContext.getSchema();
        metadata = new HashMap<>(fileContext.getExtraMetaData());

        List<StructField> rest = new ArrayList<>();
        List<Integer> restIndex = new ArrayList<>();
        fast = new PageColumn[fastOrdinals.length];
        for (int i = 0, f = 0; i < schema.fields().length; i++) {
            if (f < fastOrdinals.length && fastOrdinals[f] == i) {
                ColumnDescriptor column = leaves(fileSchema, fileSchema.getFieldName(i)).get(0);
                fast[f++] = schema.fields()[i].dataType() instanceof ArrayType a && a.elementType() instanceof StructType
                        ? new StructListColumns(schema.fields()[i], fileSchema.getType(i), props)
                        : schema.fields()[i].dataType().equals(DataTypes.BinaryType)
                        ? new BinaryPages(column, props.getPageSizeThreshold(),
                                Math.min(props.getPageRowCountLimit(), props.getPageValueCountThreshold()),
                                props.getSizeStatisticsEnabled(column))
                        : new FloatListPages(column, props.getPageSizeThreshold(), props.getPageRowCountLimit(),
                                props.getPageValueCountThreshold(), props.getSizeStatisticsEnabled(column));
            } else {
                rest.add(schema.fields()[i]);
                restIndex.add(i);
            }
        }
        restOrdinals = restIndex.stream().mapToInt(Integer::intValue).toArray();
        restGetters = rest.stream().map(f -> getter(f.dataType())).toArray(Getter[]::new);
        StructType restStruct = new StructType(rest.toArray(new StructField[0]));
        Configuration restConf = new Configuration(conf);
        ParquetWriteSupport.setSchema(restStruct, restConf);
        restSupport = new ParquetWriteSupport();
        restSchema = restSupport.init(restConf).getSchema();
        restRow = new GenericInternalRow(restOrdinals.length);

        codecs = new CodecFactory(conf, props.getPageSizeThreshold());
        CompressionCodecName codec = ParquetOutputFormat.getCompression(conf);
        blockBytes = ParquetOutputFormat.getLongBlockSize(conf);
        blockRowLimit = ROW_GROUP_ROW_LIMIT ? conf.getLong("parquet.block.row.count.limit", Long.MAX_VALUE) : Long.MAX_VALUE;
        ParquetFileWriter opened = null;
        try {
            compressor = codec == CompressionCodecName.SNAPPY ? new SnappyPages.Compressor(props.getPageSizeThreshold())
                    : codecs.getCompressor(codec);
            opened = new ParquetFileWriter(OutputFiles.of(new Path(path), conf), fileSchema, ParquetFileWriter.Mode.CREATE,
                    blockBytes, conf.getInt(ParquetOutputFormat.MAX_PADDING_BYTES, ParquetWriter.MAX_PADDING_SIZE_DEFAULT), null, props);
            opened.start();
            file = opened;
            nextGroupBytes = Math.min(file.getNextRowGroupSize(), blockBytes);
            startRowGroup();
        } catch (IOException | RuntimeException e) {
            if (opened != null) {
                opened.close();
            }
            codecs.release();
            throw e;
        }
        OPENED.incrementAndGet();
    }

    /** parquet-mr's writer properties, read from the configuration as {@code ParquetOutputFormat} reads them. */
    static ParquetProperties properties(Configuration conf) {
        ParquetProperties.Builder b = ParquetProperties.builder()
                .withPageSize(ParquetOutputFormat.getPageSize(conf))
                .withDictionaryPageSize(ParquetOutputFormat.getDictionaryPageSize(conf))
                .withDictionaryEncoding(ParquetOutputFormat.getEnableDictionary(conf))
                .withWriterVersion(ParquetOutputFormat.getWriterVersion(conf))
                .estimateRowCountForPageSizeCheck(ParquetOutputFormat.getEstimatePageSizeCheck(conf))
                .withMinRowCountForPageSizeCheck(ParquetOutputFormat.getMinRowCountForPageSizeCheck(conf))
                .withMaxRowCountForPageSizeCheck(ParquetOutputFormat.getMaxRowCountForPageSizeCheck(conf))
                .withPageValueCountThreshold(ParquetOutputFormat.getValueCountThreshold(conf))
                .withColumnIndexTruncateLength(conf.getInt(ParquetOutputFormat.COLUMN_INDEX_TRUNCATE_LENGTH,
                        ParquetProperties.DEFAULT_COLUMN_INDEX_TRUNCATE_LENGTH))
                .withStatisticsTruncateLength(conf.getInt(ParquetOutputFormat.STATISTICS_TRUNCATE_LENGTH,
                        ParquetProperties.DEFAULT_STATISTICS_TRUNCATE_LENGTH))
                .withPageRowCountLimit(conf.getInt(ParquetOutputFormat.PAGE_ROW_COUNT_LIMIT, ParquetProperties.DEFAULT_PAGE_ROW_COUNT_LIMIT))
                .withPageWriteChecksumEnabled(ParquetOutputFormat.getPageWriteChecksumEnabled(conf))
                .withStatisticsEnabled(ParquetOutputFormat.getStatisticsEnabled(conf));
        // (parquet.size.statistics.enabled is left out: ParquetOutputFormat does not read it either)
        String dictionary = ParquetOutputFormat.ENABLE_DICTIONARY + "#";
        String statistics = ParquetOutputFormat.STATISTICS_ENABLED + "#";
        for (Map.Entry<String, String> e : conf) {
            String k = e.getKey();
            if (k.startsWith(dictionary) && k.length() > dictionary.length()) {
                b.withDictionaryEncoding(k.substring(dictionary.length()), conf.getBoolean(k, false));
            } else if (k.startsWith(statistics) && k.length() > statistics.length()) {
                b.withStatisticsEnabled(k.substring(statistics.length()), conf.getBoolean(k, true));
            }
        }
        return b.build();
    }

    /** Reads one field of a row as the object Spark's writer reads through its typed getter. */
    private interface Getter {
        Object get(InternalRow row, int ordinal);
    }

    /**
     * The typed getter for a field of type {@code t}: {@code InternalRow.get(ordinal, type)} looks
     * the type up again on every call (6% of an I/O-only run's samples, in JFR), so the common
     * types take their getter directly; any other type keeps the generic one.
     */
    private static Getter getter(DataType t) {
        if (t instanceof org.apache.spark.sql.types.IntegerType || t instanceof org.apache.spark.sql.types.DateType) {
            return InternalRow::getInt;
        } else if (t instanceof org.apache.spark.sql.types.LongType || t instanceof org.apache.spark.sql.types.TimestampType) {
            return InternalRow::getLong;
        } else if (t instanceof org.apache.spark.sql.types.DoubleType) {
            return InternalRow::getDouble;
        } else if (t instanceof org.apache.spark.sql.types.FloatType) {
            return InternalRow::getFloat;
        } else if (t instanceof org.apache.spark.sql.types.BooleanType) {
            return InternalRow::getBoolean;
        } else if (t instanceof org.apache.spark.sql.types.StringType) {
            return InternalRow::getUTF8String;
        } else if (t instanceof org.apache.spark.sql.types.BinaryType) {
            return InternalRow::getBinary;
        } else if (t instanceof ArrayType) {
            return InternalRow::getArray;
        } else if (t instanceof StructType s) {
            int fields = s.size();
            return (row, ordinal) -> row.getStruct(ordinal, fields);
        }
        return (row, ordinal) -> row.get(ordinal, t);
    }

    private static List<ColumnDescriptor> leaves(MessageType schema, String field) {
        List<ColumnDescriptor> out = new ArrayList<>();
        for (ColumnDescriptor c : schema.getColumns()) {
            if (c.getPath()[0].equals(field)) {
                out.add(c);
            }
        }
        return out;
    }

    private void startRowGroup() {
        pageStore = new ColumnChunkPageWriteStore(compressor, fileSchema, props.getAllocator(), props.getColumnIndexTruncateLength(),
                props.getPageWriteChecksumEnabled());
        columnStore = props.newColumnWriteStore(restSchema, pageStore, pageStore);
        consumer = new ColumnIOFactory(validating).getColumnIO(restSchema).getRecordWriter(columnStore);
        restSupport.prepareForWrite(consumer);
        for (PageColumn f : fast) {
            f.startRowGroup(pageStore);
        }
    }

    @Override
    public void write(InternalRow row) {
        if (failed) {
            throw new IllegalStateException("writing " + path + " after a row failed");
        }
        failed = true;   // until the row is written whole: close() then leaves the file without a footer
        try {
            for (int i = 0; i < fast.length; i++) {
                fast[i].add(row, fastOrdinals[i]);
            }
            for (int i = 0; i < restOrdinals.length; i++) {
                restRow.update(i, row.isNullAt(restOrdinals[i]) ? null : restGetters[i].get(row, restOrdinals[i]));
            }
            restSupport.write(restRow);
            groupRows++;
            long buffered = columnStore.getBufferedSize();
            for (PageColumn f : fast) {
                buffered += f.bufferedBytes();
            }
            if (buffered > nextGroupBytes || groupRows >= blockRowLimit) {
                endRowGroup();
                nextGroupBytes = Math.min(file.getNextRowGroupSize(), blockBytes);
                startRowGroup();
            }
            failed = false;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("writing " + path + ": " + e.getMessage(), e);
        }
    }

    private void endRowGroup() throws IOException {
        consumer.flush();
        for (PageColumn f : fast) {
            f.flushPage();
        }
        if (groupRows > 0) {
            file.startBlock(groupRows);
            columnStore.flush();
            pageStore.flushToFileWriter(file);
            file.endBlock();
            groupRows = 0;
        }
        for (PageColumn f : fast) {
            f.endRowGroup();
        }
        columnStore.close();
        pageStore.close();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (failed) {
                file.close();   // the stream only: a file Spark's abort deletes, never one that looks whole
                return;
            }
            endRowGroup();
            metadata.putAll(fileSupport.finalizeWrite().getExtraMetaData());
            file.end(metadata);
        } catch (IOException | RuntimeException e) {
            failed = true;
            try {
                file.close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IOException io) {
                throw new java.io.UncheckedIOException("closing " + path + ": " + e.getMessage(), io);
            }
            throw (RuntimeException) e;
        } finally {
            codecs.release();
        }
    }

    @Override
    public String path() {
        return path;
    }
}
