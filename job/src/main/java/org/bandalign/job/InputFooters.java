package org.bandalign.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * How large the input's rows and row groups are, from the Parquet footers alone (no data is
 * read). The job sizes the vectorized reader's batches by the rows: a batch of binary or array
 * values lives in one contiguous buffer, which cannot pass 2 GB, so 32 rows of 69 MB (pairs of
 * 2400 x 2400) fail to read at all. And it sizes what a task holds while it reads by the row
 * groups, which parquet-mr reads whole, so that tasks take turns to read where they are large
 * for the heap ({@link AlignPartition#READING}).
 *
 * <p>Every file's footer is read: by a few threads on the driver, or by a Spark job where the
 * input has more than {@value #DRIVER_FILES} files.
 */
final class InputFooters {
    /**
     * Most files whose footers the driver reads itself ({@link #survey(JavaSparkContext, String[],
     * String, java.util.Collection, Configuration, int)}); a Spark job reads those of more.
     */
    static final int DRIVER_FILES = 256;
    private static final int THREADS = 8;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(InputFooters.class);

    private InputFooters() {
    }

    /**
     * What the footers show of the input's sizes, in bytes, each the largest over the row groups
     * (0 where no footer could be read), of a row averaged over its row group:
     * <ul>
     * <li>{@code rowVectorBytes}, a row of the scores column as Spark's vectorized reader holds
     * it in its column vectors: an array's elements with a 4-byte repetition level and a 4-byte
     * definition level each (so 12 bytes a float; the footer's value count, not its encoded
     * size, which a dictionary of few distinct scores shrinks), a binary's bytes;
     * <li>{@code rowCopyBytes}, what copying that row out of the vectors holds at its peak:
     * Spark's row buffer, which grows by doubling to twice the value (an array's elements as
     * floats, or doubles where they, or another file's, are wider), and for a binary also the page it is
     * decompressed from and the copy {@code getBinary} makes, each as large as the value;
     * <li>{@code rowGroupBytes}, a row group of the columns the job reads as stored, which
     * parquet-mr holds whole while a task reads it;
     * <li>{@code rowGroupRows}, the most rows a row group has (a read batch never spans two);
     * <li>{@code rowGroupScores}, the most scores a row group holds (elements of an array, floats
     * of a binary), all of which its largest row may hold;
     * <li>{@code scoreReadBytes}, the heap Spark's reader holds per score of a row while it reads
     * it: column vectors grown to twice the row, and the copy out of them (32 bytes a float, 24
     * for a binary's 4 bytes).
     * <li>{@code pageReadable}, whether the file stores its scores as {@link ParquetScores}
     * reads them faster than Spark's reader (or has none): a list of float32 or float64, read a
     * page at a time ({@link FloatListChunk}), or a binary, one value a row straight into floats;
     * false for an unreadable footer. Over several files: whether all do.
     * <li>{@code pagedGroupBytes}, what a task holds of a row group where the job reads the
     * scores itself: their pages are read one at a time ({@link StreamedPages}), so for a list
     * the row group's other columns as stored and a page of the scores, at most a row's stored
     * scores twice over (an average row's: see below) and {@link #STREAMED_PAGE_BYTES} (a larger
     * page is weighed from its header when it is read); for a binary read by {@link BinaryChunk}
     * the same, and a dictionary it keeps on the heap ({@link BinaryChunk#HELD_DICTIONARY_BYTES}:
     * a larger one is read from a scratch file, a page over {@link BinaryChunk#WHOLE_PAGE_BYTES}
     * as a stream). A binary chunk in another encoding (the DELTA ones, as parquet-mr writes
     * binaries in version-2 pages), or one whose pages' CRCs are verified
     * ({@code parquet.page.verify-checksum.enabled}: a page is then read whole), counts whole, as
     * {@code rowGroupBytes} counts it: the footer
     * bounds no page of it (pyarrow ends a page only after a batch of 1024 values, so a page of
     * 480 KB binaries holds 491 MB), and parquet-mr's column reader, which decodes it, reads a
     * page whole.
     * <li>{@code sparkUnreadable}, whether some scores are stored so that Spark's vectorized
     * reader cannot read them and the job's can: a list or fixed-length binaries byte-stream split (Spark 4.2:
     * "Unsupported encoding"), or a column of Parquet's null type (as pyarrow writes a column of
     * nulls alone, an empty pandas shard's for one), which Spark reads as int and cannot read as
     * the other files' array. Over several files: whether any is.
     * <li>{@code unreadableCodec}, the codec of a column the job reads that no class here
     * decompresses (Parquet's BROTLI and LZO name Hadoop codecs that Hadoop does not bundle), or
     * the empty string. Over several files: the first.
     * <li>{@code rowGroups}, the file's row groups that hold rows (Spark reads each in one task).
     * Over several files: the most in one ({@link Survey#rowGroups} counts them all).
     * </ul>
     * A row is its row group's average: the footers hold no row's own size, so a row group of
     * rows of mixed sizes hides its largest.
     * Measured: a 48 MB row of 2000 x 2000 float scores held 192 MB of int[] (the levels), 96 MB
     * of float[] (the values, at twice their size once a vector grew to take the row) and 190
     * MB of byte[] (row group, row buffer, output) while it was read, about 10 times the row.
     */
    record Sizes(long rowVectorBytes, long rowCopyBytes, long rowGroupBytes, long rowGroupRows, long rowGroupScores,
                 long scoreReadBytes, boolean pageReadable, long pagedGroupBytes, boolean sparkUnreadable, String unreadableCodec,
                 long rowGroups)
            implements java.io.Serializable {
        /** Sizes that say nothing of the largest row. */
        Sizes(long rowVectorBytes, long rowCopyBytes, long rowGroupBytes, long rowGroupRows) {
            this(rowVectorBytes, rowCopyBytes, rowGroupBytes, rowGroupRows, 0, 0);
        }

        /** Sizes of scores that are not (or not known to be) {@code pageReadable}, their row groups read whole. */
        Sizes(long rowVectorBytes, long rowCopyBytes, long rowGroupBytes, long rowGroupRows, long rowGroupScores, long scoreReadBytes) {
            this(rowVectorBytes, rowCopyBytes, rowGroupBytes, rowGroupRows, rowGroupScores, scoreReadBytes, false, rowGroupBytes, false, "",
                    0);
        }

        /**
         * The larger of each size and row-group count; page-readable where both are, unreadable
         * to Spark where either is (the first unreadable codec named).
         */
        Sizes max(Sizes o) {
            return new Sizes(Math.max(rowVectorBytes, o.rowVectorBytes), Math.max(rowCopyBytes, o.rowCopyBytes),
                    Math.max(rowGroupBytes, o.rowGroupBytes), Math.max(rowGroupRows, o.rowGroupRows),
                    Math.max(rowGroupScores, o.rowGroupScores), Math.max(scoreReadBytes, o.scoreReadBytes), pageReadable && o.pageReadable,
                    Math.max(pagedGroupBytes, o.pagedGroupBytes), sparkUnreadable || o.sparkUnreadable,
                    unreadableCodec.isEmpty() ? o.unreadableCodec : unreadableCodec, Math.max(rowGroups, o.rowGroups));
        }

        /** These sizes, saying whether the job's reader reads the scores ({@code pageReadable}). */
        Sizes withPageReadable(boolean pageReadable) {
            return new Sizes(rowVectorBytes, rowCopyBytes, rowGroupBytes, rowGroupRows, rowGroupScores, scoreReadBytes, pageReadable,
                    pagedGroupBytes, sparkUnreadable, unreadableCodec, rowGroups);
        }

        /** These sizes, of a file of {@code rowGroups} row groups that hold rows. */
        Sizes withRowGroups(long rowGroups) {
            return new Sizes(rowVectorBytes, rowCopyBytes, rowGroupBytes, rowGroupRows, rowGroupScores, scoreReadBytes, pageReadable,
                    pagedGroupBytes, sparkUnreadable, unreadableCodec, rowGroups);
        }

        /**
         * What a task holds where the job reads the scores itself ({@link ParquetScores}) and
         * Spark's reader only the other columns: no scores in Spark's vectors, and a row's
         * floats twice at most (its decompressed page and its copy), which {@code rowCopyBytes}
         * already counts (for a binary, more: Spark's copies of it); of a row group, what
         * {@code pagedGroupBytes} counts.
         */
        Sizes readByPage() {
            return new Sizes(0, rowCopyBytes, pagedGroupBytes, rowGroupRows, rowGroupScores, 2L * Float.BYTES, pageReadable,
                    pagedGroupBytes, sparkUnreadable, unreadableCodec, rowGroups);
        }

        /** What Spark's reader would hold for one row that held all the scores of the largest row group. */
        long largestRowReadBytes() {
            return rowGroupScores > Long.MAX_VALUE / Math.max(1, scoreReadBytes) ? Long.MAX_VALUE : rowGroupScores * scoreReadBytes;
        }
    }

    /** No footer read: nothing known. */
    static final Sizes UNKNOWN = new Sizes(0, 0, 0, 0);

    /**
     * A page of scores as stored, at most, beside the row it holds ({@link Sizes#pagedGroupBytes}):
     * parquet-mr, Spark and pyarrow write pages of 1 MiB, a page holding whole rows (parquet-mr)
     * or cut through them (pyarrow); four times that, for the read buffer and larger settings.
     */
    static final long STREAMED_PAGE_BYTES = 4L << 20;

    /** Bytes of repetition and definition levels the vectorized reader keeps per element of an array. */
    static final long LEVEL_BYTES = 8;

    /**
     * What each of {@code files} shows ({@link Sizes}; {@link #UNKNOWN} where its footer could
     * not be read), of the column {@code scores} and of the columns {@code read}, their names in
     * any case: the footers read by a few threads here. Where {@code readAsDoubles}, Spark reads
     * the scores as array&lt;double&gt; (files of float lists beside files of double lists,
     * {@link InputSchema#unified}), so that a float list takes a double's room in its vectors and
     * copies.
     */
    static Survey survey(String[] files, String scores, java.util.Collection<String> read, Configuration conf,
                         boolean readAsDoubles) {
        return new Survey(List.of(files), each(List.of(files), scores, List.copyOf(read), conf, readAsDoubles));
    }

    /**
     * {@link #survey(String[], String, java.util.Collection, Configuration, boolean)} of every file, by a
     * Spark job where there are more than {@code driverFiles}: a task a slice of the files, each
     * read by a few threads, so that a large input's footers cost what Spark's own merging of
     * their schemas costs, not a pass over its rows.
     */
    static Survey survey(JavaSparkContext spark, String[] files, String scores, java.util.Collection<String> read,
                         Configuration conf, boolean readAsDoubles, int driverFiles) {
        if (files.length <= driverFiles) {
            return survey(files, scores, read, conf, readAsDoubles);
        }
        int slices = Math.max(1, Math.min(files.length, spark.defaultParallelism()));
        List<Sizes> sizes = spark.parallelize(List.of(files), slices)
                .mapPartitions(new SliceReader(RejectedSink.configurationBytes(conf), scores, List.copyOf(read), readAsDoubles))
                .collect();
        return new Survey(List.of(files), sizes);
    }

    /** What the footers of an input's files show, file by file (in the order of {@code files}). */
    record Survey(List<String> files, List<Sizes> sizes) {
        /** The largest of each size over all files ({@link Sizes#max}: page-readable where all are). */
        Sizes largest() {
            Sizes largest = sizes.isEmpty() ? UNKNOWN : sizes.get(0);
            for (Sizes s : sizes) {
                largest = largest.max(s);
            }
            return largest;
        }

        /** The row groups that hold rows, over all files (0 where no footer could be read). */
        long rowGroups() {
            long sum = 0;
            for (Sizes s : sizes) {
                sum += s.rowGroups();
            }
            return sum;
        }

        /** The mean over the files of their largest row group as stored ({@link Sizes#rowGroupBytes}); 0 for none. */
        long meanLargestRowGroupBytes() {
            long sum = 0;
            for (Sizes s : sizes) {
                sum += s.rowGroupBytes();
            }
            return sizes.isEmpty() ? 0 : sum / sizes.size();
        }

        /** The files whose sizes pass {@code test}, in order. */
        List<String> filesWhere(java.util.function.Predicate<Sizes> test) {
            List<String> out = new ArrayList<>();
            for (int k = 0; k < files.size(); k++) {
                if (test.test(sizes.get(k))) {
                    out.add(files.get(k));
                }
            }
            return out;
        }
    }

    /** On an executor: the sizes of one slice of the files, in order. */
    private record SliceReader(byte[] conf, String scores, List<String> read, boolean readAsDoubles)
            implements FlatMapFunction<Iterator<String>, Sizes> {
        @Override
        public Iterator<Sizes> call(Iterator<String> slice) throws IOException {
            List<String> files = new ArrayList<>();
            slice.forEachRemaining(files::add);
            return each(files, scores, read, RejectedSink.configuration(conf), readAsDoubles).iterator();
        }
    }

    private static List<Sizes> each(List<String> files, String scores, List<String> read, Configuration conf,
                                    boolean readAsDoubles) {
        java.util.Set<String> readLower = new java.util.HashSet<>();
        for (String c : read) {
            readLower.add(c.toLowerCase(java.util.Locale.ROOT));
        }
        // (pages whose CRC is verified are read whole: a binary's then counts whole, its pages unbounded by the footer)
        boolean verified = conf.getBoolean(org.apache.parquet.hadoop.ParquetInputFormat.PAGE_VERIFY_CHECKSUM_ENABLED, false);
        return eachFooter(files, conf, footer -> largest(footer, scores, readLower, readAsDoubles, verified), (file, e) -> {
            LOG.warn("could not read the footer of " + file + " to size the reader's batches: " + e);
            return UNKNOWN;   // Spark reports an unreadable file when it reads it
        });
    }

    /** What one file's footer shows ({@link #survey}). */
    private static Sizes largest(ParquetMetadata footer, String scores, java.util.Set<String> readLower, boolean readAsDoubles,
                                 boolean verified) {
        Sizes largest = UNKNOWN;
        for (BlockMetaData block : footer.getBlocks()) {
            long rows = Math.max(1, block.getRowCount());
            long vectorBytes = 0;
            long copyBytes = 0;
            long readBytes = 0;
            long scoresInGroup = 0;
            long scoreBytes = 0;
            long streamedBytes = 0;   // (of a list's chunk, what is held at once: see pagedGroupBytes)
            boolean split = false;
            String codec = "";
            for (ColumnChunkMetaData chunk : block.getColumns()) {
                String[] path = chunk.getPath().toArray();
                if (path[0].equalsIgnoreCase(scores)) {
                    if (path.length > 1) {   // array<...>: its elements, counted
                        long elements = perRow(chunk.getValueCount(), rows);
                        org.apache.parquet.schema.PrimitiveType type = chunk.getPrimitiveType();
                        // (a float read as a double: Spark's reader widens it into a vector of doubles)
                        int vectorWidth = readAsDoubles ? Math.max(Double.BYTES, width(type)) : width(type);
                        int copyWidth = castToFloat(type) && !readAsDoubles ? Float.BYTES : Double.BYTES;
                        vectorBytes += elements * (vectorWidth + LEVEL_BYTES);
                        copyBytes += 2 * elements * copyWidth;
                        if (!storedAsCast(type)) {   // Spark casts it element by element, boxed, then copies
                            copyBytes += elements * BOXED_BYTES;
                        }
                        scoresInGroup += chunk.getValueCount();
                        scoreBytes = 2 * (vectorWidth + LEVEL_BYTES) + 2 * copyWidth + (storedAsCast(type) ? 0 : BOXED_BYTES);
                        streamedBytes += chunk.getTotalSize() - Math.min(chunk.getTotalSize(),
                                2 * perRow(chunk.getTotalSize(), rows) + STREAMED_PAGE_BYTES);
                        split |= chunk.getEncodings().contains(org.apache.parquet.column.Encoding.BYTE_STREAM_SPLIT);
                    } else if (ParquetScores.kind(chunk.getPrimitiveType()) != ParquetScores.Kind.NULL) {   // binary: its bytes
                        long bytes = perRow(chunk.getTotalUncompressedSize(), rows);
                        vectorBytes += bytes;
                        copyBytes += 4 * bytes;
                        scoresInGroup += chunk.getTotalUncompressedSize() / 4;
                        scoreBytes = 4 * (2 + 4);
                        // (fixed-length binaries may be split too, which parquet-mr's column reader reads)
                        split |= chunk.getEncodings().contains(org.apache.parquet.column.Encoding.BYTE_STREAM_SPLIT);
                        if (BinaryChunk.reads(chunk.getEncodings()) && !verified) {   // (else a page is held whole)
                            streamedBytes += chunk.getTotalSize() - Math.min(chunk.getTotalSize(), 2 * perRow(chunk.getTotalSize(), rows)
                                    + STREAMED_PAGE_BYTES + (chunk.getEncodingStats() == null || chunk.getEncodingStats().hasDictionaryPages()
                                    ? BinaryChunk.HELD_DICTIONARY_BYTES : 0));
                        }
                    }
                }
                if (readLower.contains(path[0].toLowerCase(java.util.Locale.ROOT))) {
                    readBytes += chunk.getTotalSize();
                    if (codec.isEmpty() && !decompressible(chunk.getCodec())) {
                        codec = chunk.getCodec().name();
                    }
                }
            }
            // (the rows' shapes bound the largest where all rows can hold what the footer counts,
            // give or take a binary's length prefixes and page headers; where they cannot, some
            // row holds more than its shape says, and may hold it all)
            long bound = shapeBound(block);
            boolean shapesHoldAll = bound == Long.MAX_VALUE || scoresInGroup / rows <= bound + bound / 100 + 64;
            largest = largest.max(new Sizes(vectorBytes, copyBytes, readBytes, block.getRowCount(),
                    shapesHoldAll ? Math.min(scoresInGroup, bound) : scoresInGroup, scoreBytes, false, readBytes - streamedBytes, split,
                    codec, 0));
        }
        largest = largest.withRowGroups(footer.getBlocks().stream().filter(b -> b.getRowCount() > 0).count());
        org.apache.parquet.column.ColumnDescriptor c = ParquetScores.scoresColumn(footer.getFileMetaData().getSchema());
        ParquetScores.Kind kind = c == null ? null : ParquetScores.kind(c.getPrimitiveType());
        if (kind == ParquetScores.Kind.NULL) {
            return largest.withPageReadable(true).max(NULL_SCORES);
        }
        return largest.withPageReadable(c == null
                || (c.getMaxRepetitionLevel() == 1 && (kind == ParquetScores.Kind.FLOAT || kind == ParquetScores.Kind.DOUBLE))
                || (c.getMaxRepetitionLevel() == 0 && kind == ParquetScores.Kind.BINARY));
    }

    /** Sizes of a column of Parquet's null type: nothing to read, and only the job's reader reads it as scores. */
    private static final Sizes NULL_SCORES = new Sizes(0, 0, 0, 0, 0, 0, true, 0, true, "", 0);

    /** Of the codecs Hadoop does not bundle, those whose class was found here ({@link #decompressible}). */
    private static final java.util.Set<org.apache.parquet.hadoop.metadata.CompressionCodecName> FOUND =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Whether {@code codec} can be decompressed here: any but Parquet's BROTLI and LZO (whose
     * Hadoop codecs Hadoop does not bundle), and those where their class loads (with the task's
     * class loader, which sees jars a job adds; a class not found is looked for again next time).
     */
    static boolean decompressible(org.apache.parquet.hadoop.metadata.CompressionCodecName codec) {
        if (codec != org.apache.parquet.hadoop.metadata.CompressionCodecName.BROTLI
                && codec != org.apache.parquet.hadoop.metadata.CompressionCodecName.LZO || FOUND.contains(codec)) {
            return true;
        }
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        try {
            Class.forName(codec.getHadoopCompressionCodecClassName(), false, loader != null ? loader : InputFooters.class.getClassLoader());
            FOUND.add(codec);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * The most scores one row of {@code block} can hold by its shape, from the statistics of its
     * length and band columns: {@code n * max(m, diag_hi - diag_lo + 1) * 3} at their largest
     * (SPEC sections 1 and 2); {@code Long.MAX_VALUE} where the statistics do not say (a column
     * without them, of strings, or in the directory names). A row whose scores disagree with its
     * shape, which is rejected for that, may hold more.
     */
    static long shapeBound(BlockMetaData block) {
        Double n = null;
        Double m = null;
        Double lo = null;
        Double hi = null;
        boolean band = false;
        for (ColumnChunkMetaData chunk : block.getColumns()) {
            String[] path = chunk.getPath().toArray();
            if (path.length != 1) {
                continue;
            }
            switch (path[0].toLowerCase(java.util.Locale.ROOT)) {
                case "n" -> n = statistic(chunk, true);
                case "m" -> m = statistic(chunk, true);
                case "diag_lo" -> {
                    band = true;
                    lo = statistic(chunk, false);
                }
                case "diag_hi" -> {
                    band = true;
                    hi = statistic(chunk, true);
                }
                default -> { }
            }
        }
        if (n == null || m == null || n.isNaN() || m.isNaN() || band && (lo == null || hi == null || lo.isNaN() != hi.isNaN())) {
            return Long.MAX_VALUE;
        }
        double width = !band || lo.isNaN() ? m : Math.max(m, hi - lo + 1);
        double bound = Math.max(0, n) * Math.max(0, width) * 3;
        return bound >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) Math.ceil(bound);
    }

    /**
     * The largest (or smallest) value of a numeric column chunk by its statistics; null where it
     * has none, or holds nulls alone (Double.NaN then stands for "no value": a band column of
     * dense rows alone), or is of a type whose statistics are no plain number (decimals, unsigned).
     */
    private static Double statistic(ColumnChunkMetaData chunk, boolean max) {
        org.apache.parquet.column.statistics.Statistics<?> st = chunk.getStatistics();
        org.apache.parquet.schema.LogicalTypeAnnotation logical = chunk.getPrimitiveType().getLogicalTypeAnnotation();
        boolean plain = logical == null || logical instanceof org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation
                && ((org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation) logical).isSigned();
        if (st == null || st.isEmpty() || !plain) {
            return null;
        }
        if (!st.hasNonNullValue()) {
            return st.getNumNulls() == chunk.getValueCount() ? Double.NaN : null;
        }
        Object v = max ? st.genericGetMax() : st.genericGetMin();
        return v instanceof Number && !Double.isNaN(((Number) v).doubleValue()) ? ((Number) v).doubleValue() : null;
    }

    private static long perRow(long total, long rows) {
        return (total + rows - 1) / rows;
    }

    /**
     * Heap an element of a cast array takes in between: Spark casts array&lt;int&gt; (or long,
     * decimal, ...) to array&lt;float&gt; or array&lt;double&gt; ({@link InputColumns#rows}) into an
     * Object[] of boxed values before it copies them into its row.
     */
    static final long BOXED_BYTES = 20;

    /** Whether an array of this element type is read as floats (else as doubles: {@link InputColumns.Format#wide}). */
    private static boolean castToFloat(org.apache.parquet.schema.PrimitiveType type) {
        return type.getPrimitiveTypeName() == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.FLOAT
                || type.getPrimitiveTypeName() == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32
                && !(type.getLogicalTypeAnnotation() instanceof org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation);
    }

    /** Whether an array of this element type is already what the job reads it as, so that Spark does not cast it. */
    private static boolean storedAsCast(org.apache.parquet.schema.PrimitiveType type) {
        return type.getPrimitiveTypeName() == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.FLOAT
                || type.getPrimitiveTypeName() == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.DOUBLE;
    }

    /** Bytes a column vector takes per value of a Parquet primitive type. */
    private static int width(org.apache.parquet.schema.PrimitiveType type) {
        switch (type.getPrimitiveTypeName()) {
            case BOOLEAN:
                return 1;
            case INT32:
            case FLOAT:
                return 4;
            case INT64:
            case DOUBLE:
                return 8;
            default:   // INT96, decimals in bytes
                return 16;
        }
    }

    /** What is taken from one file's footer. */
    @FunctionalInterface
    interface FooterFunction<T> {
        T apply(ParquetMetadata footer) throws IOException;
    }

    /**
     * {@code fn} of each file's footer ({@code files} as {@code inputFiles()} gives them: URIs,
     * percent-encoded), read by a few threads, in the order of {@code files}; a file whose footer
     * cannot be read or taken gives {@code onError} of its path and the failure, on the caller's
     * thread (which may throw).
     */
    static <T> List<T> eachFooter(List<String> files, Configuration conf, FooterFunction<T> fn,
                                  BiFunction<String, Exception, T> onError) {
        List<T> out = new ArrayList<>(files.size());
        if (files.isEmpty()) {
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(THREADS, files.size()), r -> {
            Thread t = new Thread(r, "bandalign-footers");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> results = new ArrayList<>(files.size());
            for (String f : files) {
                results.add(pool.submit(() -> {
                    try (ParquetFileReader reader = open(f, conf)) {
                        return fn.apply(reader.getFooter());
                    }
                }));
            }
            for (int k = 0; k < files.size(); k++) {
                try {
                    out.add(results.get(k).get());
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    out.add(onError.apply(new Path(java.net.URI.create(files.get(k))).toString(),
                            cause instanceof Exception ? (Exception) cause : new IllegalStateException(cause)));
                }
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the input's footers", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A reader of Parquet file {@code file} (a URI, as {@code inputFiles()} and
     * {@code _metadata.file_path} give them) under {@code conf}. (parquet-mr's
     * {@code open(InputFile)} would take its options from a new Hadoop configuration, parsed
     * from its XML resources at about 10 ms a file, and ignore {@code conf}.) Encrypted files
     * are decrypted as Spark's reader decrypts them, with the keys of the crypto factory
     * {@code conf} names ({@code parquet.crypto.factory.class}). Snappy pages are decompressed
     * by {@link SnappyPages}.
     */
    static ParquetFileReader open(String file, Configuration conf) throws IOException {
        // (new Path(String) would encode the URI again)
        Path path = new Path(java.net.URI.create(file));
        return ParquetFileReader.open(HadoopInputFile.fromPath(path, conf), org.apache.parquet.HadoopReadOptions.builder(conf, path)
                .withCodecFactory(SnappyPages.reading(new org.apache.parquet.hadoop.CodecFactory(conf, 0))).build());
    }

    /**
     * Rows per vectorized read batch: at most {@code most}, and few enough that a batch holds
     * about {@code batchBytes} of the largest rows; at least 1.
     */
    static int batchRows(long largestRowBytes, int most, long batchBytes) {
        if (largestRowBytes <= 0) {
            return most;
        }
        return (int) Math.max(1, Math.min(most, batchBytes / largestRowBytes));
    }
}
