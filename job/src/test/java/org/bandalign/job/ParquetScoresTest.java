package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.bandalign.align.InvalidPairException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's own reader of scores ({@link ParquetScores}) against Spark's, row by row: for files
 * of every element type the job reads, in small row groups, written by Spark (3-level and legacy
 * 2-level lists) and by parquet-mr (a bare repeated column, unsigned ints), every row decodes
 * through {@link PairDecoder} to the same floats, bit for bit, or to the same rejection, whether
 * its rows are read in order, skipping some, or shuffled.
 */
class ParquetScoresTest {
    private static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spark = TestTables.localSpark("ParquetScoresTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Rows of one scores type: values at the edges of each type's conversion, nulls, empty and ragged rows. */
    private static List<Row> rows(DataType element, long seed) {
        Random random = new Random(seed);
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < 120; r++) {
            int m = 1 + random.nextInt(r % 17 == 0 ? 400 : 6);
            int length = r % 13 == 5 ? 3 * m - 1 : 3 * m;   // (some ragged: rejected for their length)
            Object scores;
            if (r % 29 == 3) {
                scores = null;
            } else if (element == null) {
                byte[] b = new byte[r % 31 == 7 ? 4 * length + 2 : 4 * length];
                random.nextBytes(b);
                scores = b;
            } else {
                Object[] a = new Object[r % 37 == 11 ? 0 : length];
                for (int k = 0; k < a.length; k++) {
                    a[k] = value(element, random, r, k);
                }
                if (a.length > 2 && r % 23 == 9) {
                    a[a.length / 2] = null;
                    a[a.length - 1] = null;
                }
                if (r == 118) {   // (longer than its shape, a null past the reader's first buffer: found by review)
                    a = java.util.Arrays.copyOf(a, 1030);
                    for (int k = length; k < a.length; k++) {
                        a[k] = value(element, random, r, k);
                    }
                    a[1024] = null;
                }
                scores = a;
            }
            rows.add(RowFactory.create("row-" + r, 1, m, scores));
        }
        return rows;
    }

    private static Object value(DataType element, Random random, int r, int k) {
        boolean edge = random.nextInt(5) == 0;
        if (element == DataTypes.DoubleType) {
            double[] edges = {1e39, -3.5e38, Double.MAX_VALUE, Double.NaN, Double.NEGATIVE_INFINITY, 1.0000000596046448, -0.0};
            return edge && r % 3 == 0 ? edges[random.nextInt(edges.length)] : random.nextGaussian() * 1e6;
        }
        if (element == DataTypes.LongType) {
            // (2^53 + 2^29 + 1 rounds to another float through a double than directly, as Spark's cast does)
            return edge ? (random.nextBoolean() ? (1L << 53) + (1L << 29) + 1 : -(1L << 55) - (1L << 31) - 1) : random.nextLong();
        }
        if (element == DataTypes.IntegerType) {
            return edge ? (1 << 24) + 1 + random.nextInt(1000) : random.nextInt();
        }
        if (element == DataTypes.ShortType) {
            return (short) random.nextInt();
        }
        if (element == DataTypes.ByteType) {
            return (byte) random.nextInt();
        }
        float[] edges = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -0.0f, Float.MIN_VALUE, 1e6f};
        return edge ? edges[random.nextInt(edges.length)] : random.nextFloat() * 10 - 5;
    }

    @Test
    void read_everyTypeSparkWrites_matchesSparksReaderRowByRow() {
        DataType[] elements = {DataTypes.FloatType, DataTypes.DoubleType, DataTypes.IntegerType, DataTypes.LongType,
                DataTypes.ShortType, DataTypes.ByteType, null};
        int compared = 0;
        for (boolean legacy : new boolean[] {false, true}) {
            for (DataType element : elements) {
                if (legacy && !(element == null || element == DataTypes.FloatType || element == DataTypes.LongType)) {
                    continue;   // (the legacy format changes lists, not their elements)
                }
                StructType schema = new StructType().add("id", DataTypes.StringType).add("n", DataTypes.IntegerType)
                        .add("m", DataTypes.IntegerType).add("Scores", element == null ? DataTypes.BinaryType
                                : DataTypes.createArrayType(element, true));
                String out = dir.resolve((legacy ? "legacy-" : "") + (element == null ? "binary" : element.typeName())).toString();
                spark.conf().set("spark.sql.parquet.writeLegacyFormat", legacy);
                try {
                    spark.createDataFrame(rows(element, 7 + compared), schema).write()
                            .option("parquet.block.size", 4096).option("parquet.page.size", 1024).parquet(out);
                } finally {
                    spark.conf().unset("spark.sql.parquet.writeLegacyFormat");
                }
                compared += compare(spark.read().parquet(out), out);
            }
        }
        assertEquals((elements.length + 3) * 120, compared);
    }

    /**
     * Files parquet-mr writes that Spark reads as arrays: a bare repeated column (a required list
     * of required elements), a 2-level list, and unsigned 32-bit integers (read by Spark as longs).
     */
    @Test
    void read_listsOfOtherWriters_matchesSparksReaderRowByRow() throws Exception {
        String[] schemas = {
            "message m { required binary id (STRING); required int32 n; required int32 m; repeated float scores; }",
            "message m { required binary id (STRING); required int32 n; required int32 m; "
                    + "optional group scores (LIST) { repeated double array; } }",
            "message m { required binary id (STRING); required int32 n; required int32 m; "
                    + "optional group scores (LIST) { repeated group list { optional int32 element (INTEGER(32,false)); } } }",
        };
        int compared = 0;
        for (int s = 0; s < schemas.length; s++) {
            MessageType schema = MessageTypeParser.parseMessageType(schemas[s]);
            String out = dir.resolve("mr-" + s).toString();
            new java.io.File(out).mkdirs();
            Random random = new Random(s);
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(out, "part.parquet"))
                    .withType(schema).withConf(new Configuration()).withRowGroupSize(2048).withPageSize(512).build()) {
                for (int r = 0; r < 60; r++) {
                    int m = 1 + random.nextInt(r % 11 == 0 ? 300 : 5);
                    Group g = new SimpleGroupFactory(schema).newGroup().append("id", "row-" + r).append("n", 1).append("m", m);
                    int length = r % 9 == 4 ? 0 : 3 * m;
                    Group list = s == 0 ? g : g.addGroup("scores");
                    for (int k = 0; k < length; k++) {
                        if (s == 0) {
                            list.append("scores", random.nextFloat());
                        } else if (s == 1) {
                            list.append("array", random.nextGaussian() * (r % 7 == 2 ? 1e40 : 1));
                        } else {
                            Group e = list.addGroup("list");
                            if (r % 8 != 5 || k != 2) {   // (some null elements)
                                e.append("element", random.nextInt(5) == 0 ? -1 - random.nextInt(1000) : random.nextInt());
                            }
                        }
                    }
                    w.write(g);
                }
            }
            compared += compare(spark.read().parquet(out), out);
        }
        assertEquals(3 * 60, compared);
    }

    /**
     * Binary scores in one row group of many pages, as pyarrow writes a file of a few thousand
     * tensors: dictionary-encoded until the dictionary fills, then plain, in version-1 and
     * version-2 pages, with null rows: read from the file a page at a time ({@link StreamedPages},
     * not the row group whole), each row as Spark's reader reads it.
     */
    @Test
    void read_binariesInOneLargeRowGroup_readAPageAtATime_matchesSparksReader() throws Exception {
        MessageType schema = MessageTypeParser.parseMessageType(
                "message m { required binary id (STRING); required int32 n; required int32 m; optional binary scores; }");
        int compared = 0;
        for (org.apache.parquet.column.ParquetProperties.WriterVersion version
                : org.apache.parquet.column.ParquetProperties.WriterVersion.values()) {
            String out = dir.resolve("binaries-" + version).toString();
            new java.io.File(out).mkdirs();
            Random random = new Random(version.ordinal());
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(out, "part.parquet"))
                    .withType(schema).withConf(new Configuration()).withWriterVersion(version).withRowGroupSize(1L << 30)
                    .withPageSize(128).withMinRowCountForPageSizeCheck(1).withDictionaryEncoding(true).withDictionaryPageSize(8192)
                    .withCompressionCodec(org.apache.parquet.hadoop.metadata.CompressionCodecName.SNAPPY).build()) {
                for (int r = 0; r < 150; r++) {
                    int m = r < 80 ? 5 : 1 + random.nextInt(r % 13 == 0 ? 400 : 60);
                    Group g = new SimpleGroupFactory(schema).newGroup().append("id", "row-" + r).append("n", 1).append("m", m);
                    if (r % 17 != 3) {   // (some null rows)
                        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(12 * m).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                        for (int k = 0; k < 3 * m; k++) {
                            bytes.putFloat(r < 80 ? 1.5f : (float) random.nextGaussian());   // (the first rows repeat: a dictionary)
                        }
                        g.append("scores", org.apache.parquet.io.api.Binary.fromConstantByteArray(bytes.array()));
                    }
                    w.write(g);
                }
            }
            try (org.apache.parquet.hadoop.ParquetFileReader r = org.apache.parquet.hadoop.ParquetFileReader.open(
                    org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(out, "part.parquet"),
                            new Configuration()))) {
                assertEquals(1, r.getFooter().getBlocks().size(), version.toString());
                org.apache.parquet.hadoop.metadata.ColumnChunkMetaData chunk = r.getFooter().getBlocks().get(0).getColumns().get(3);
                assertTrue(chunk.getEncodings().contains(org.apache.parquet.column.Encoding.PLAIN)
                        && chunk.getEncodingStats().hasDictionaryPages(), version + ": dictionary, then plain: " + chunk.getEncodings());
            }
            long before = StreamedPages.CHUNKS.get();
            compared += compare(spark.read().parquet(out), out);
            assertTrue(StreamedPages.CHUNKS.get() - before >= 3, version + ": the chunk read a page at a time in each order");
        }
        assertEquals(2 * 150, compared);
    }

    /**
     * Binary scores in pages, and a dictionary, too large for what the size check lets a row's
     * read hold, as pyarrow writes tensors of 480 KB (a dictionary page of 491 MB, data pages as
     * large): read by {@link BinaryChunk}, each page as a stream and the dictionary through a
     * scratch file deleted once the chunk is read, so that every row reads as Spark's reader reads
     * it; in every codec that decompresses as its bytes come, as optional binaries (null and
     * ragged rows among them) and fixed-length ones (parquet-mr writes binaries in version-2 pages
     * in the DELTA encodings, which parquet-mr's column reader reads: BinaryChunkTest has such
     * pages). With a codec
     * decompressed only whole here (Hadoop's LZ4), the rows of a page too large are refused
     * instead, saying why.
     */
    @Test
    void read_binariesInPagesTooLargeToHold_readAsAStream_matchesSparksReader() throws Exception {
        int floats = 48_000;   // (192,000 bytes a row; a page of 10 rows, 1.9 MB, and a dictionary of 8 of them, 1.5 MB)
        long limit = 1_600_000;
        ParquetScores.SizeCheck fits = (id, n, page) -> {
            if (page + 4 * n > limit) {
                throw new InvalidPairException(id, "over the test's limit: " + n + " floats and a page of " + page + " bytes");
            }
        };
        Object[][] variants = {
            {org.apache.parquet.hadoop.metadata.CompressionCodecName.UNCOMPRESSED, false, false},
            {org.apache.parquet.hadoop.metadata.CompressionCodecName.SNAPPY, false, false},
            {org.apache.parquet.hadoop.metadata.CompressionCodecName.ZSTD, false, true},
            {org.apache.parquet.hadoop.metadata.CompressionCodecName.GZIP, false, true},
            {org.apache.parquet.hadoop.metadata.CompressionCodecName.LZ4_RAW, false, false},
            {org.apache.parquet.hadoop.metadata.CompressionCodecName.LZ4, false, false},
        };
        java.io.File scratch = ScratchFiles.directory();
        java.util.Set<String> scratchBefore = scratchFiles(scratch);
        int compared = 0;
        for (Object[] v : variants) {
            org.apache.parquet.hadoop.metadata.CompressionCodecName codec = (org.apache.parquet.hadoop.metadata.CompressionCodecName) v[0];
            boolean version2 = (boolean) v[1];
            boolean fixed = (boolean) v[2];
            MessageType schema = MessageTypeParser.parseMessageType("message m { required binary id (STRING); required int32 n; "
                    + "required int32 m; " + (fixed ? "required fixed_len_byte_array(" + 4 * floats + ")" : "optional binary")
                    + " scores; }");
            String what = codec + (version2 ? " v2" : " v1") + (fixed ? " fixed" : "");
            String out = dir.resolve("large-pages-" + codec + (version2 ? "-v2" : "") + (fixed ? "-fixed" : "")).toString();
            new java.io.File(out).mkdirs();
            Random random = new Random(codec.ordinal());
            byte[][] repeated = new byte[8][];
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(out, "part.parquet"))
                    .withType(schema).withConf(new Configuration()).withRowGroupSize(1L << 30).withPageSize(1 << 30)
                    .withPageRowCountLimit(10).withMinRowCountForPageSizeCheck(1).withDictionaryEncoding(true).withDictionaryPageSize(1_700_000)
                    .withWriterVersion(version2 ? org.apache.parquet.column.ParquetProperties.WriterVersion.PARQUET_2_0
                            : org.apache.parquet.column.ParquetProperties.WriterVersion.PARQUET_1_0)
                    .withCompressionCodec(codec).build()) {
                for (int r = 0; r < 70; r++) {
                    // (the first 40 rows repeat 8 tensors, a dictionary of 1.5 MB; the rest are new, and fill it: plain pages)
                    int k = r < 40 ? r % 8 : -1;
                    int length = !fixed && r % 13 == 7 ? 4 * floats + 2 : 4 * floats;   // (some ragged: rejected)
                    byte[] bytes = k >= 0 && repeated[k] != null ? repeated[k] : new byte[length];
                    if (k < 0 || repeated[k] == null) {
                        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                        for (int f = 0; f < length / 4; f++) {
                            b.putFloat((float) random.nextGaussian());
                        }
                    }
                    if (k >= 0) {
                        repeated[k] = bytes;
                    }
                    Group g = new SimpleGroupFactory(schema).newGroup().append("id", "row-" + r).append("n", 1).append("m", floats / 3);
                    if (fixed || r % 17 != 3) {   // (some null rows)
                        g.append("scores", org.apache.parquet.io.api.Binary.fromConstantByteArray(bytes));
                    }
                    w.write(g);
                }
            }
            try (org.apache.parquet.hadoop.ParquetFileReader r = org.apache.parquet.hadoop.ParquetFileReader.open(
                    org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(out, "part.parquet"),
                            new Configuration()))) {
                org.apache.parquet.hadoop.metadata.ColumnChunkMetaData chunk = r.getFooter().getBlocks().get(0).getColumns().get(3);
                // (parquet-mr's version-1 writer keeps fixed-length values plain)
                assertTrue(chunk.getEncodingStats().hasDictionaryPages() != fixed && chunk.getEncodingStats().hasNonDictionaryEncodedPages(),
                        what + ": dictionary, then plain: " + chunk.getEncodings() + " " + chunk.getEncodingStats().getDataEncodings()
                        + chunk.getEncodingStats().getDictionaryEncodings());
            }
            long chunks = BinaryChunk.CHUNKS.get();
            long spilled = BinaryChunk.SPILLED.get();
            long streamed = StreamedPages.PAGES_STREAMED.get();
            boolean whole = codec == org.apache.parquet.hadoop.metadata.CompressionCodecName.LZ4;
            // (not shuffled: each row read backwards would decompress its row group's pages before it again)
            compared += compare(spark.read().parquet(out), what, fits, whole ? "is decompressed only whole here" : null, false);
            assertTrue(BinaryChunk.CHUNKS.get() - chunks >= 2, what + ": read by BinaryChunk in each order");
            assertEquals(!whole && !fixed, BinaryChunk.SPILLED.get() - spilled >= 2, what + ": the dictionary through a scratch file");
            assertEquals(!whole, StreamedPages.PAGES_STREAMED.get() - streamed >= 2, what + ": pages as a stream");
            java.util.Set<String> left = scratchFiles(scratch);
            left.removeAll(scratchBefore);   // (files there before may be swept meanwhile: they are others')
            assertEquals(java.util.Set.of(), left, what + ": the scratch files deleted");
        }
        assertEquals(variants.length * 70, compared);
    }

    /** The names of BinaryChunk's scratch files in {@code dir}. */
    private static java.util.Set<String> scratchFiles(java.io.File dir) {
        String[] names = dir.list((d, name) -> name.startsWith("bandalign-dictionary-"));
        return names == null ? new java.util.TreeSet<>() : new java.util.TreeSet<>(java.util.Arrays.asList(names));
    }

    /**
     * The size check sees what a row may hold before anything of it is gathered: its shape's
     * count, capped by the row's own entries where it is read a page at a time and its page
     * holds it whole, else by the values its row group has left (a shape may claim more), or a
     * binary's own length; a row it rejects is passed over, and the next row reads as usual.
     */
    @Test
    void read_sizeCheck_seesTheRowsClaimCappedByItsRowGroup_andARejectedRowIsPassedOver() {
        for (int variant = 0; variant < 3; variant++) {
            boolean binary = variant == 2;
            boolean byPage = variant == 0;
            List<Row> rows = List.of(TestTables.row("small", 1, 2, new float[] {1, 2, 3, 4, 5, 6}, null, null, binary),
                    TestTables.row("big", 1, 2000, new float[6000], null, null, binary),
                    TestTables.row("claims-much", 10, 10, new float[300], -30_000_000, 30_000_000, binary),
                    TestTables.row("after", 1, 1, new float[] {7, 8, 9}, null, null, binary));
            String out = dir.resolve("checked-" + variant).toString();
            TestTables.table(spark, rows, binary).coalesce(1).write().parquet(out);
            Dataset<Row> input = spark.read().parquet(out);
            List<String> files = input.select(input.metadataColumn("_metadata").getField("file_path")).distinct()
                    .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
            Map<String, Long> claims = new TreeMap<>();
            Map<String, Long> pages = new TreeMap<>();
            Map<String, Object> outcomes = new TreeMap<>();
            try (ParquetScores reader = new ParquetScores(Configuration::new, byPage)) {
                for (InternalRow r : InputColumns.rows(input, files).map(InternalRow::copy).collect()) {
                    String id = r.getUTF8String(InputColumns.ID).toString();
                    outcomes.put(id, outcome(() -> reader.read(r.getUTF8String(InputColumns.FILE).toString(),
                            r.getLong(InputColumns.ROW_INDEX), id, LargeRows.scores(r), (pid, floats, page) -> {
                                if (floats == 0 && page > 0) {   // (a page offered before it is read)
                                    pages.put(pid, page);
                                    return;
                                }
                                claims.put(pid, floats);
                                if (floats > 1000) {
                                    throw new InvalidPairException(pid, "too many: " + floats);
                                }
                            })));
                }
            }
            assertEquals(Map.of("after", 3L, "big", 6000L, "claims-much", 300L + (binary || byPage ? 0 : 3), "small", 6L), claims,
                    "binary: its length; array: its shape, capped by its own entries (a page at a time) or by the values "
                            + "left in its row group (value by value)");
            assertEquals(byPage ? java.util.Set.of("small") : java.util.Set.of(), pages.keySet(), "the one page, offered before the first row");
            // (Spark wrote the 6309 floats, of a few distinct values, as dictionary indices in a few runs, which the
            // reader decodes as it copies them: the page holds a fraction of their 4 bytes each)
            assertTrue(!byPage || pages.get("small") > 0 && pages.get("small") < 4 * 6309, "the page as stored and decompressed: " + pages);
            assertEquals("pair 'big': too many: 6000", outcomes.get("big"));
            assertArrayEquals(new float[] {7, 8, 9}, (float[]) outcomes.get("after"));
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, (float[]) outcomes.get("small"));
            assertEquals(300, ((float[]) outcomes.get("claims-much")).length, "read as it is: its length rejects it later");
        }
    }

    /**
     * Found by a scale tester: a row whose list held 100 million floats under a 10 x 10 shape
     * ran the executor out of memory (exit 52, every pair lost), though its length rejects it:
     * its shape passed the size check, and the reader gathered every float. A row longer than its
     * shape is kept only while what is kept passes the check; past that it is counted, not kept,
     * and rejected saying how many it holds, and the next row reads as usual. A row a little
     * longer than its shape is read as it is (its length rejects it later, in the usual words).
     */
    @Test
    void read_aRowFarLongerThanItsShape_isCountedNotKept_andRejected_theNextRowReads() {
        for (int variant = 0; variant < 2; variant++) {
            boolean byPage = variant == 0;
            List<Row> rows = List.of(TestTables.row("small", 1, 2, new float[] {1, 2, 3, 4, 5, 6}, null, null, false),
                    TestTables.row("liar", 1, 1, new float[200_000], null, null, false),
                    TestTables.row("modest-liar", 1, 1, new float[12], null, null, false),
                    TestTables.row("after", 1, 1, new float[] {7, 8, 9}, null, null, false));
            String out = dir.resolve("liars-" + variant).toString();
            TestTables.table(spark, rows, false).coalesce(1).write().parquet(out);
            Dataset<Row> input = spark.read().parquet(out);
            List<String> files = input.select(input.metadataColumn("_metadata").getField("file_path")).distinct()
                    .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
            Map<String, Object> outcomes = new TreeMap<>();
            long[] mostChecked = {0};
            try (ParquetScores reader = new ParquetScores(Configuration::new, byPage)) {
                for (InternalRow r : InputColumns.rows(input, files).map(InternalRow::copy).collect()) {
                    String id = r.getUTF8String(InputColumns.ID).toString();
                    outcomes.put(id, outcome(() -> reader.read(r.getUTF8String(InputColumns.FILE).toString(),
                            r.getLong(InputColumns.ROW_INDEX), id, LargeRows.scores(r), (pid, floats, page) -> {
                                if (floats > 50_000) {
                                    throw new InvalidPairException(pid, "too many: " + floats);
                                }
                                mostChecked[0] = Math.max(mostChecked[0], floats);
                            })));
                }
            }
            String what = byPage ? "a page at a time" : "value by value";
            Object liar = outcomes.get("liar");
            assertEquals("pair 'liar': scores hold 200000 floats where its shape (n, m and band) takes 3, too many to read",
                    liar instanceof float[] f ? "float[" + f.length + "]" : liar, what);
            assertEquals(12, ((float[]) outcomes.get("modest-liar")).length, what + ": read as it is, its length rejects it later");
            assertArrayEquals(new float[] {7, 8, 9}, (float[]) outcomes.get("after"), what);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, (float[]) outcomes.get("small"), what);
            assertTrue(mostChecked[0] <= 50_000, what + ": nothing past the check was kept");
        }
    }

    /**
     * Found by a newcomer's walk-through: a page the job's reader could not decompress failed the
     * run with "reading a page of [scores, list, element]: FAILED_TO_UNCOMPRESS(5)", naming the
     * column but no file, so among many input files the bad one could not be found. The failure
     * now names the file and the row, for array and binary scores alike.
     */
    @Test
    void read_aCorruptPage_failsNamingTheFileAndTheRow() throws Exception {
        for (String variant : new String[] {"floats", "binary", "floats-by-dictionary", "ints-by-dictionary"}) {
            boolean binary = variant.equals("binary");
            boolean dictionary = variant.endsWith("dictionary");
            boolean ints = variant.startsWith("ints");   // (read by parquet-mr's column reader: its own exceptions)
            List<Row> rows = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                float[] scores = new float[100 * 100 * 3];
                for (int k = 0; k < scores.length; k++) {
                    scores[k] = k % 7 + r;   // (compressible: the codec's stream is mostly back-references)
                }
                rows.add(TestTables.row("c" + r, 100, 100, scores, null, null, binary));
            }
            String out = dir.resolve("corrupt-" + variant).toString();
            // (by dictionary, uncompressed: the garbage reaches the indices, which only parquet-mr's decoder meets)
            Dataset<Row> table = TestTables.table(spark, rows, binary);
            if (ints) {
                table = table.withColumn("scores", table.col("scores").cast("array<int>"));
            }
            table.coalesce(1).write().option("compression", dictionary ? "none" : "snappy")
                    .option("parquet.enable.dictionary", String.valueOf(dictionary)).parquet(out);
            Path file;
            try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(Path.of(out))) {
                file = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            }
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                    java.nio.file.StandardOpenOption.WRITE)) {
                byte[] garbage = new byte[256];
                java.util.Arrays.fill(garbage, (byte) 0xff);   // (in the scores' page, which fills most of the file)
                channel.write(java.nio.ByteBuffer.wrap(garbage), channel.size() / 2);
            }
            // (without its checksum file, as align's outputs and most writers leave it: the codec meets the garbage)
            java.nio.file.Files.delete(file.resolveSibling("." + file.getFileName() + ".crc"));
            String path = file.toUri().toString();
            try (ParquetScores reader = new ParquetScores(Configuration::new, true)) {
                int[] at = {-1};
                RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> {
                    for (int r = 0; r < rows.size(); r++) {   // (the garbage lies in one of them)
                        at[0] = r;
                        reader.read(path, r, "c" + r, 30_000, (id, floats, page) -> { });
                    }
                });
                assertTrue(e.getMessage().startsWith("reading the scores of row " + (at[0] + 1) + " of " + path + ": ")
                        && (e instanceof java.io.UncheckedIOException || e instanceof IllegalStateException), variant + ": " + e);
                // (rows counted from 1, as the job's other messages count them, and no cause repeated as a suppressed
                // exception, which Java's trace printed as a CIRCULAR REFERENCE: an operator's walk-through)
                java.io.StringWriter trace = new java.io.StringWriter();
                e.printStackTrace(new java.io.PrintWriter(trace));
                assertFalse(trace.toString().contains("CIRCULAR REFERENCE"), trace.toString());
            }
        }
    }

    /**
     * Decodes every row of {@code input} through Spark's reader and through {@link ParquetScores}
     * (in file order, every third row alone, and shuffled) and requires the same outcome; returns
     * how many rows were compared.
     */
    private static int compare(Dataset<Row> input, String what) {
        return compare(input, what, (id, floats, page) -> { }, null, true);
    }

    /**
     * {@link #compare(Dataset, String)}, the job's reader asked {@code fits} of each row; where
     * {@code refusal} is not null, a row it refuses with a message holding {@code refusal} is
     * taken for Spark's outcome; rows are read in order, every third, and, where {@code shuffled},
     * shuffled.
     */
    private static int compare(Dataset<Row> input, String what, ParquetScores.SizeCheck fits, String refusal, boolean shuffled) {
        InputColumns.Format format = InputColumns.format(input.schema());
        Map<String, Object> bySpark = new TreeMap<>();
        for (InternalRow r : InputColumns.rows(input).map(InternalRow::copy).collect()) {
            bySpark.put(r.getUTF8String(InputColumns.ID).toString(), outcome(() -> PairDecoder.decode(r, format).scores()));
        }
        List<String> files = input.select(input.metadataColumn("_metadata").getField("file_path")).distinct()
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
        List<InternalRow> unread = InputColumns.rows(input, files).map(InternalRow::copy).collect();
        assertTrue(unread.stream().allMatch(r -> r.isNullAt(InputColumns.SCORES) && !r.isNullAt(InputColumns.ROW_INDEX)), what);
        List<List<InternalRow>> orders = new ArrayList<>();
        orders.add(unread);
        List<InternalRow> everyThird = new ArrayList<>();
        for (int k = 0; k < unread.size(); k += 3) {
            everyThird.add(unread.get(k));
        }
        orders.add(everyThird);
        if (shuffled) {
            List<InternalRow> inAnyOrder = new ArrayList<>(unread);
            Collections.shuffle(inAnyOrder, new Random(1));
            orders.add(inAnyOrder);
        }
        for (List<InternalRow> order : orders) {
            Map<String, Object> byOwn = new HashMap<>();
            try (ParquetScores reader = new ParquetScores(Configuration::new)) {
                for (InternalRow r : order) {
                    byOwn.put(r.getUTF8String(InputColumns.ID).toString(), outcome(() -> PairDecoder.decode(r,
                            id -> reader.read(r.getUTF8String(InputColumns.FILE).toString(), r.getLong(InputColumns.ROW_INDEX), id,
                                    LargeRows.scores(r), fits), format.binary)
                            .scores()));
                }
            }
            for (Map.Entry<String, Object> e : byOwn.entrySet()) {
                Object spark = bySpark.get(e.getKey());
                if (refusal != null && e.getValue() instanceof String refused && refused.contains(refusal)) {
                    continue;
                }
                if (spark instanceof float[] && e.getValue() instanceof float[]) {
                    float[] a = (float[]) spark;
                    float[] b = (float[]) e.getValue();
                    assertTrue(java.util.Arrays.equals(a, b), () -> what + " " + e.getKey() + ": " + a.length + " floats by Spark's reader, "
                            + b.length + " by the job's, first differing at " + java.util.Arrays.mismatch(a, b));
                } else {
                    assertEquals(spark, e.getValue(), what + " " + e.getKey());
                }
            }
            assertEquals(order.size(), byOwn.size(), what);
        }
        assertEquals(bySpark.size(), unread.size(), what);
        return bySpark.size();
    }

    /** The scores a row decodes to, or the message that rejects it. */
    private static Object outcome(java.util.function.Supplier<float[]> decode) {
        try {
            return decode.get();
        } catch (InvalidPairException e) {
            return e.getMessage();
        }
    }
}
