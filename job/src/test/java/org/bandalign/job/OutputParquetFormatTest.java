package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.internal.column.columnindex.ColumnIndex;
import org.apache.parquet.internal.column.columnindex.OffsetIndex;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page writer of float lists against Spark's own Parquet writer: the same rows back, bit for
 * bit, the same schema and metadata, the same statistics, with page and row-group boundaries
 * forced to fall often, and Spark's writer wherever the page writer does not apply.
 */
class OutputParquetFormatTest {
    private static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spark = TestTables.localSpark("OutputParquetFormatTest");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType)
            .add("n", DataTypes.IntegerType, false)
            .add("marginals", DataTypes.createArrayType(DataTypes.FloatType, false))
            .add("sparse", DataTypes.createArrayType(new StructType().add("i", DataTypes.IntegerType, false)
                    .add("p", DataTypes.FloatType, false), true))
            .add("score", DataTypes.DoubleType)
            .add("second", DataTypes.createArrayType(DataTypes.FloatType, false))
            .add("nullable_elements", DataTypes.createArrayType(DataTypes.FloatType, true))
            .add("other", new StructType().add("l", DataTypes.LongType).add("b", DataTypes.BooleanType)
                    .add("bin", DataTypes.BinaryType).add("day", DataTypes.DateType).add("at", DataTypes.TimestampType)
                    .add("dec", DataTypes.createDecimalType(10, 3)).add("map", DataTypes.createMapType(DataTypes.StringType,
                            DataTypes.IntegerType)).add("f", DataTypes.FloatType).add("s", DataTypes.ShortType))
            .add("at", DataTypes.TimestampType)
            .add("dec", DataTypes.createDecimalType(20, 2))
            .add("bin", DataTypes.BinaryType)
            .add("flag", DataTypes.BooleanType)
            .add("big", DataTypes.LongType)
            .add("day", DataTypes.DateType)
            .add("map", DataTypes.createMapType(DataTypes.StringType, DataTypes.IntegerType))
            .add("packed", DataTypes.BinaryType);

    /** The columns the page writer writes ({@link #PLAIN} leaves them without a dictionary). */
    private static final String[] PAGE_COLUMNS = {"marginals.list.element", "second.list.element", "bin", "packed",
        "sparse.list.element.i", "sparse.list.element.p"};

    /** Values at the edges of the float order, then NaNs (Java's, and others an x86 or a file may hold), left out where a test needs none. */
    private static final float[] SPECIAL = {0.0f, -0.0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1.0f,
        Float.NaN, Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc00000), Float.intBitsToFloat(0x7f800001)};
    private static final int NANS = 4;

    /** Rows of every shape: null and empty lists, lists of one float and of thousands, special values in some. */
    private static List<Row> rows(int count, long seed, boolean nan) {
        Random random = new Random(seed);
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            rows.add(RowFactory.create(r % 17 == 4 ? null : String.format("pair-%05d", r), r,
                    floats(random, r, nan), sparse(random, r), r % 5 == 0 ? null : random.nextGaussian(),
                    floats(random, r + 3, nan), r % 3 == 0 ? null : new Float[] {1f, null, (float) r}, other(random, r),
                    r % 4 == 2 ? null : new java.sql.Timestamp(1_700_000_000_000L + 1000L * r),
                    r % 5 == 3 ? null : new java.math.BigDecimal(java.math.BigInteger.valueOf(random.nextLong()), 2),
                    r % 6 == 1 ? null : new byte[] {(byte) r, 0, -1}, r % 7 == 2 ? null : r % 2 == 0,
                    r % 8 == 5 ? null : random.nextLong(), r % 9 == 4 ? null : java.sql.Date.valueOf("2026-11-" + (1 + r % 28)),
                    r % 10 == 7 ? null : Map.of("k" + r, r), packed(random, r)));
        }
        return rows;
    }

    /** Binaries: null, empty, of a few bytes, of thousands (longer than a page here), of random bytes, some sharing a prefix. */
    private static byte[] packed(Random random, int r) {
        if (r % 9 == 3) {
            return null;
        }
        int length = switch (r % 5) {
            case 0 -> r % 10 == 0 ? 0 : 70 + random.nextInt(10);
            case 1 -> 1 + random.nextInt(7);
            case 2 -> 5000 + random.nextInt(15000);
            default -> random.nextInt(300);
        };
        byte[] b = new byte[length];
        random.nextBytes(b);
        if (r % 5 == 0) {
            java.util.Arrays.fill(b, 0, Math.min(length, 66), (byte) 0x80);   // (past the column index's 64 bytes)
        }
        return b;
    }

    /** A struct of the other types Spark's writer converts (the fields the page writer leaves to Spark's conversion). */
    private static Row other(Random random, int r) {
        return r % 12 == 11 ? null : RowFactory.create(random.nextLong(), r % 2 == 1, new byte[] {(byte) r},
                java.sql.Date.valueOf("2025-01-" + (1 + r % 28)), new java.sql.Timestamp(1_600_000_000_000L + r),
                java.math.BigDecimal.valueOf(r, 3), r % 3 == 0 ? null : Map.of("a", r, "b", -r), random.nextFloat(), (short) r);
    }

    private static float[] floats(Random random, int r, boolean nan) {
        if (r % 11 == 1) {
            return null;
        }
        int length = switch (r % 7) {
            case 0 -> 0;
            case 1 -> 1;
            // longer than a page of the smaller page sizes here; some longer than the writer's chunk of 8192 floats
            case 2 -> r % 3 == 0 ? 17_000 + random.nextInt(5000) : 3000 + random.nextInt(3000);
            default -> random.nextInt(300);
        };
        float[] a = new float[length];
        for (int i = 0; i < length; i++) {
            a[i] = r % 13 == 6 ? SPECIAL[random.nextInt(SPECIAL.length - (nan ? 0 : NANS))]
                    : random.nextFloat() * (r % 2 == 0 ? 1 : -1e-3f);
        }
        if (nan && length > 9000 && r % 13 != 6) {
            a[9000] = SPECIAL[SPECIAL.length - 1 - r % NANS];   // one NaN, in the row's second chunk
        }
        return a;
    }

    private static List<Row> sparse(Random random, int r) {
        if (r % 4 == 1) {
            return null;
        }
        List<Row> steps = new ArrayList<>();
        for (int i = 0; i < r % 6; i++) {
            steps.add(i == 2 ? null : RowFactory.create(i, random.nextFloat()));
        }
        return steps;
    }

    /**
     * Writes the table; with this package's format, checks that the page writer wrote each file,
     * without Hadoop's checksum files (which Spark's writer leaves beside its own).
     */
    private String write(Dataset<Row> table, String name, String format, Map<String, String> options) {
        String out = dir.resolve(name).toString();
        long opened = OutputParquetWriter.OPENED.get();
        table.write().options(options).format(format).save(out);
        if (format.equals(OutputParquetFormat.NAME)) {
            assertEquals(new File(out).list((d, file) -> file.endsWith(".parquet")).length, OutputParquetWriter.OPENED.get() - opened,
                    "files written by the page writer");
            // (a local file goes through Hadoop's raw local file system: no .crc file beside it)
            assertEquals(List.of(), Arrays.asList(new File(out).list((d, file) -> file.endsWith(".parquet.crc"))),
                    "checksum files beside the page writer's");
        } else {
            assertTrue(new File(out).list((d, file) -> file.endsWith(".parquet.crc")).length > 0, "Spark's writer's checksum files");
        }
        return out;
    }

    /** Every row of a table read back, by its {@code n}, as comparable strings: floats by their bits (NaN as one NaN). */
    private static Map<Integer, String> readBack(Dataset<Row> table) {
        Map<Integer, String> byN = new TreeMap<>();
        for (Row row : table.collectAsList()) {
            byN.put(row.getInt(row.fieldIndex("n")), text(row));
        }
        return byN;
    }

    /** The same rows by {@code n}; a failure shows the first row that differs, not every row. */
    private static void assertSameRows(Map<Integer, String> expected, Map<Integer, String> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what + ": the rows' n");
        for (Map.Entry<Integer, String> e : expected.entrySet()) {
            assertEquals(e.getValue(), actual.get(e.getKey()), what + ": row n = " + e.getKey());
        }
    }

    /** A row's fields as text: floats by their bits (NaN as one NaN), binaries by their bytes, structs field by field. */
    private static String text(Row row) {
        StringBuilder s = new StringBuilder("(");
        for (int f = 0; f < row.length(); f++) {
            s.append(text(row.get(f))).append('|');
        }
        return s.append(')').toString();
    }

    private static String text(Object v) {
        if (v instanceof scala.collection.Seq<?> seq) {
            List<String> items = new ArrayList<>();
            scala.jdk.javaapi.CollectionConverters.asJava(seq).forEach(x -> items.add(text(x)));
            return items.toString();
        } else if (v instanceof Float x) {
            return Integer.toHexString(Float.floatToRawIntBits(x));   // (Spark's writer writes Java's one NaN)
        } else if (v instanceof byte[] bytes) {
            return Arrays.toString(bytes);
        } else if (v instanceof Row struct) {
            return text(struct);
        }
        return String.valueOf(v);
    }

    /** The data files' names from the task's part on: {@code -c000.snappy.parquet} and the like. */
    private static List<String> extensions(String out) {
        List<String> names = new ArrayList<>();
        for (String name : new File(out).list((d, name) -> name.startsWith("part-"))) {
            names.add(name.substring(name.lastIndexOf("-c0")));
        }
        return names;
    }

    private static List<ParquetMetadata> footers(String out) throws IOException {
        List<ParquetMetadata> footers = new ArrayList<>();
        File[] files = new File(out).listFiles((d, name) -> name.endsWith(".parquet"));
        Arrays.sort(files);
        for (File f : files) {
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toURI()),
                    new Configuration()))) {
                footers.add(r.getFooter());
            }
        }
        return footers;
    }

    /**
     * A column chunk's statistics: [has min and max, min bytes, max bytes (a float's bits, little-endian), nulls,
     * values], then its size statistics: whether valid, the repetition and the definition levels'
     * histograms, the bytes of binary values.
     */
    private static List<Object> statistics(ColumnChunkMetaData c) {
        Statistics<?> s = c.getStatistics();
        org.apache.parquet.column.statistics.SizeStatistics sizes = c.getSizeStatistics();
        return List.of(s.hasNonNullValue(), bytes(s.hasNonNullValue() ? s.getMinBytes() : null),
            bytes(s.hasNonNullValue() ? s.getMaxBytes() : null), s.getNumNulls(), c.getValueCount(), sizes.isValid(),
            sizes.getRepetitionLevelHistogram(), sizes.getDefinitionLevelHistogram(), sizes.getUnencodedByteArrayDataBytes());
    }

    private static String bytes(byte[] b) {
        return b == null ? "none" : b.length > 40 ? b.length + " bytes, hash " + Arrays.hashCode(b) : Arrays.toString(b);
    }

    /**
     * A column's statistics over all files and row groups, as {@link #statistics} gives them: the
     * minimum and maximum over the chunks whose footers keep theirs (parquet-mr's footers leave
     * out those of more than 4 kB), the nulls and values of all.
     */
    private static List<Object> totals(List<ParquetMetadata> footers, String column) {
        Statistics<?> all = null;
        long nulls = 0;
        long values = 0;
        for (ParquetMetadata footer : footers) {
            for (BlockMetaData block : footer.getBlocks()) {
                ColumnChunkMetaData c = chunk(block, column);
                if (c.getStatistics().hasNonNullValue()) {
                    if (all == null) {
                        all = c.getStatistics().copy();
                    } else {
                        all.mergeStatistics(c.getStatistics());
                    }
                }
                nulls += c.getStatistics().getNumNulls();
                values += c.getValueCount();
            }
        }
        assertNotNull(all, column);
        return List.of(bytes(all.getMinBytes()), bytes(all.getMaxBytes()), nulls, values);
    }

    private static ColumnChunkMetaData chunk(BlockMetaData block, String column) {
        return block.getColumns().stream().filter(c -> c.getPath().toDotString().equals(column)).findFirst().orElseThrow();
    }

    private static final Map<String, String> PLAIN = Map.of("parquet.enable.dictionary#marginals.list.element", "false",
            "parquet.enable.dictionary#second.list.element", "false", "parquet.enable.dictionary#bin", "false",
            "parquet.enable.dictionary#packed", "false");

    private static Map<String, String> with(Map<String, String> options, String... more) {
        Map<String, String> all = new TreeMap<>(options);
        for (int i = 0; i < more.length; i += 2) {
            all.put(more[i], more[i + 1]);
        }
        return all;
    }

    /**
     * Rows with every special float, NaN included, in small pages and one row group a file: the
     * same rows, schema, metadata and column-chunk statistics, chunk for chunk, as Spark's writer.
     */
    @Test
    void write_rowsOfEveryShape_readBackBitForBit_sameSchemaMetadataAndChunkStatisticsAsSparksWriter() throws IOException {
        Dataset<Row> table = spark.createDataFrame(rows(700, 1, true), SCHEMA).repartition(3);
        Map<String, String> options = with(PLAIN, "compression", "zstd", "parquet.page.size", "4096");
        String ours = write(table, "ours", OutputParquetFormat.NAME, options);
        String theirs = write(table, "theirs", "parquet", options);

        Map<Integer, String> expected = readBack(spark.read().parquet(theirs));
        assertEquals(700, expected.size());
        assertSameRows(expected, readBack(spark.read().parquet(ours)), "");

        List<ParquetMetadata> our = footers(ours);
        List<ParquetMetadata> their = footers(theirs);
        assertEquals(3, their.size(), "one file a task");
        assertEquals(their.size(), our.size());
        for (int f = 0; f < our.size(); f++) {
            assertEquals(their.get(f).getFileMetaData().getSchema(), our.get(f).getFileMetaData().getSchema());
            assertEquals(their.get(f).getFileMetaData().getKeyValueMetaData(), our.get(f).getFileMetaData().getKeyValueMetaData());
            assertEquals(1, our.get(f).getBlocks().size());
            for (String column : PAGE_COLUMNS) {
                assertEquals(statistics(chunk(their.get(f).getBlocks().get(0), column)),
                        statistics(chunk(our.get(f).getBlocks().get(0), column)), "file " + f + ", " + column);
            }
        }
    }

    /** Row groups ended at a small block size, each codec: the same rows, and the same statistics over all row groups. */
    @Test
    void write_manyRowGroups_eachCodec_sameRowsAndStatisticsAsSparksWriter() throws IOException {
        Dataset<Row> table = spark.createDataFrame(rows(400, 3, false), SCHEMA).coalesce(1);
        Map<Integer, String> expected = null;
        for (String codec : new String[] {"snappy", "none", "gzip", "lz4_raw"}) {
            Map<String, String> options = with(PLAIN, "compression", codec, "parquet.page.size", "8192",
                    "parquet.block.size", "100000");
            String ours = write(table, "groups-" + codec, OutputParquetFormat.NAME, options);
            String theirs = write(table, "groups-spark-" + codec, "parquet", options);
            expected = expected != null ? expected : readBack(spark.read().parquet(theirs));
            assertSameRows(expected, readBack(spark.read().parquet(ours)), codec);
            List<ParquetMetadata> our = footers(ours);
            assertTrue(our.get(0).getBlocks().size() > 3, "row groups ended at the block size: " + our.get(0).getBlocks().size());
            // (not packed: its values pass the 4 kB beyond which parquet-mr's footers drop a chunk's
            // statistics, so its totals depend on where row groups end, which differs between the writers)
            for (String column : new String[] {"marginals.list.element", "second.list.element", "bin", "sparse.list.element.i",
                "sparse.list.element.p"}) {
                assertEquals(totals(footers(theirs), column), totals(our, column), codec + ", " + column);
            }
            assertEquals(extensions(theirs), extensions(ours), "Spark's file names");
        }
    }

    /**
     * Found by a probe: with {@code --compression lz4} (Parquet's Hadoop-framed LZ4), pyarrow
     * refused the marginals as "Corrupt Lz4 compressed data": the page writer handed a page's
     * values to Hadoop's block compressor stream in one write, which made a block of several
     * compressed chunks; Arrow reads a block of one chunk only, as parquet-mr's own writers give.
     * Every LZ4 block of every page of the large columns (float lists, binaries, the sparse
     * steps' fields) here is one chunk that decompresses to the block's whole length.
     */
    @Test
    void write_lz4_everyHadoopBlockIsOneChunk_asArrowReadsThem() throws IOException {
        StructType schema = new StructType().add("id", DataTypes.StringType)   // (a column the page writer leaves to parquet-mr)
                .add("marginals", DataTypes.createArrayType(DataTypes.FloatType, false))
                .add("bin", DataTypes.BinaryType)
                .add("sparse", DataTypes.createArrayType(new StructType().add("i", DataTypes.IntegerType, false)
                        .add("p", DataTypes.FloatType, false), false));
        Random random = new Random(11);
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            Float[] floats = new Float[300_000];
            byte[] bin = new byte[1_200_000];
            Row[] steps = new Row[150_000];
            for (int k = 0; k < floats.length; k++) {
                floats[k] = random.nextFloat();
            }
            random.nextBytes(bin);
            for (int k = 0; k < steps.length; k++) {
                steps[k] = RowFactory.create(random.nextInt(), random.nextFloat());
            }
            rows.add(RowFactory.create("pair-" + r, floats, bin, steps));
        }
        String out = write(spark.createDataFrame(rows, schema).coalesce(1), "lz4-blocks", OutputParquetFormat.NAME,
                with(PLAIN, "compression", "lz4", "parquet.enable.dictionary", "false"));
        List<Row> back = spark.read().parquet(out).orderBy("id").collectAsList();   // (through parquet-mr's LZ4 codec)
        assertEquals(rows.size(), back.size());
        for (int r = 0; r < rows.size(); r++) {
            assertTrue(Arrays.equals((Float[]) rows.get(r).get(1), back.get(r).<Float>getList(1).toArray(new Float[0])), "marginals " + r);
            assertArrayEquals((byte[]) rows.get(r).get(2), (byte[]) back.get(r).get(2), "bin " + r);
            assertTrue(Arrays.asList((Row[]) rows.get(r).get(3)).equals(back.get(r).<Row>getList(3)), "sparse " + r);
        }
        net.jpountz.lz4.LZ4SafeDecompressor lz4 = net.jpountz.lz4.LZ4Factory.fastestJavaInstance().safeDecompressor();
        int pages = 0;
        for (File f : new File(out).listFiles((d, name) -> name.endsWith(".parquet"))) {
            byte[] file = java.nio.file.Files.readAllBytes(f.toPath());
            for (BlockMetaData group : footers(f.getParent()).get(0).getBlocks()) {
                for (ColumnChunkMetaData chunk : group.getColumns()) {
                    assertEquals(org.apache.parquet.hadoop.metadata.CompressionCodecName.LZ4, chunk.getCodec());
                    java.io.ByteArrayInputStream in = new java.io.ByteArrayInputStream(file, (int) chunk.getStartingPos(),
                            (int) chunk.getTotalSize());
                    while (in.available() > 0) {
                        org.apache.parquet.format.PageHeader header = org.apache.parquet.format.Util.readPageHeader(in);
                        byte[] body = in.readNBytes(header.getCompressed_page_size());
                        java.nio.ByteBuffer page = java.nio.ByteBuffer.wrap(body);   // (big-endian, as Hadoop frames)
                        long whole = 0;
                        while (page.hasRemaining()) {
                            int length = page.getInt();
                            int compressed = page.getInt();
                            byte[] block = new byte[length];
                            assertEquals(length, lz4.decompress(body, page.position(), compressed, block, 0),
                                    chunk.getPath() + ": a block of one chunk");
                            page.position(page.position() + compressed);
                            whole += length;
                        }
                        assertEquals(header.getUncompressed_page_size(), whole, chunk.getPath().toDotString());
                        pages += header.getUncompressed_page_size() > (256 << 10) ? 1 : 0;
                    }
                }
            }
        }
        assertTrue(pages >= 6, "pages larger than Hadoop's LZ4 buffer: " + pages);
    }

    /** A local file system of its own, as {@code fs.file.impl} may name one (a test's, a wrapper that injects faults). */
    public static final class OwnLocalFileSystem extends org.apache.hadoop.fs.LocalFileSystem {
    }

    /**
     * Hadoop's local file system is bypassed for its raw one (no {@code .crc} file), and the
     * file reads back through the checksummed one; a subclass that {@code fs.file.impl} names
     * creates the file itself (its {@code .crc} file beside it).
     */
    @Test
    void outputFiles_hadoopsLocalFileSystemRaw_aConfiguredSubclassAsItIs() throws IOException {
        byte[] bytes = "PAR1 some bytes PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Configuration plain = new Configuration();
        org.apache.hadoop.fs.Path raw = new org.apache.hadoop.fs.Path(dir.resolve("raw/a.bin").toUri());
        org.apache.parquet.io.OutputFile out = OutputFiles.of(raw, plain);
        assertEquals(raw.toString(), out.getPath());
        assertEquals(out.getPath(), out.toString());
        try (org.apache.parquet.io.PositionOutputStream os = out.create(0)) {
            os.write(bytes);
        }
        assertThrows(org.apache.hadoop.fs.FileAlreadyExistsException.class, () -> out.create(0).close());
        assertTrue(new File(dir.resolve("raw").toFile(), "a.bin").isFile());
        assertTrue(!new File(dir.resolve("raw").toFile(), ".a.bin.crc").exists(), "no checksum file");
        try (java.io.InputStream in = raw.getFileSystem(plain).open(raw)) {
            assertArrayEquals(bytes, in.readAllBytes());
        }
        Configuration own = new Configuration();
        own.set("fs.file.impl", OwnLocalFileSystem.class.getName());
        own.setBoolean("fs.file.impl.disable.cache", true);
        org.apache.hadoop.fs.Path kept = new org.apache.hadoop.fs.Path(dir.resolve("own/b.bin").toUri());
        try (org.apache.parquet.io.PositionOutputStream os = OutputFiles.of(kept, own).create(0)) {
            os.write(bytes);
        }
        assertTrue(new File(dir.resolve("own").toFile(), ".b.bin.crc").isFile(), "the configured file system's checksum file");
    }

    /**
     * The int keys the page statistics compare order every pair of non-NaN floats as
     * {@code Float.compare} does, turn back into the same bits, and put every NaN (either sign,
     * quiet or signalling) beyond both infinities.
     */
    @Test
    void floatKeys_orderAsFloatCompare_andNaNLiesBeyondTheInfinities() {
        Random random = new Random(5);
        List<Float> values = new ArrayList<>();
        for (int i = 0; i < SPECIAL.length - NANS; i++) {
            values.add(SPECIAL[i]);
        }
        for (int i = 0; i < 2000; i++) {
            float f = Float.intBitsToFloat(random.nextInt());
            values.add(Float.isNaN(f) ? (float) random.nextGaussian() : f);
        }
        for (float a : values) {
            int bits = Float.floatToRawIntBits(a);
            assertEquals(bits, FloatListPages.key(FloatListPages.key(bits)));
            for (int j = 0; j < 50; j++) {
                float b = values.get(random.nextInt(values.size()));
                int k = FloatListPages.key(bits);
                int l = FloatListPages.key(Float.floatToRawIntBits(b));
                assertEquals(Integer.signum(Float.compare(a, b)), Integer.signum(Integer.compare(k, l)), a + " vs " + b);
            }
        }
        int below = FloatListPages.key(Float.floatToRawIntBits(Float.NEGATIVE_INFINITY));
        int above = FloatListPages.key(Float.floatToRawIntBits(Float.POSITIVE_INFINITY));
        for (int nan : new int[] {0x7fc00000, 0x7fc00001, 0x7f800001, 0x7fffffff, 0xffc00000, 0xff800001, 0xffffffff}) {
            int k = FloatListPages.key(nan);
            assertTrue(k < below || k > above, Integer.toHexString(nan));
        }
    }

    /**
     * Where the statistics' order matters: -0 below +0, NaN in some rows or in all, the page's
     * extremes in its first row or its last. One page and one row group a file, so that the
     * column indexes (per page) are compared too.
     */
    @Test
    void write_signedZerosAndNaN_sameChunkStatisticsAndColumnIndexAsSparksWriter() throws IOException {
        float[][][] tables = {
            {{0.0f, -0.0f}, {-0.0f}, {0.0f}},
            {{0.0f}, {Float.NaN, -1f}, {-0.0f, 2f}, {}},
            {{Float.NaN}, null, {Float.NaN, Float.NaN}},
            {{-0.0f}, {}, null},
            {{-5f, 5f}, {1f, 2f}, {0.5f}},   // (the page's extremes in its first row: a running minimum and maximum, found by PIT)
        };
        for (int t = 0; t < tables.length; t++) {
            List<Row> rows = new ArrayList<>();
            for (int r = 0; r < tables[t].length; r++) {
                Object[] fields = new Object[SCHEMA.size()];   // (the other fields null)
                fields[0] = "r" + r;
                fields[1] = r;
                fields[2] = tables[t][r];
                fields[5] = tables[t][tables[t].length - 1 - r];
                fields[10] = tables[t][r] == null ? null : PairDecoder.pack(tables[t][r]);
                fields[15] = tables[t][r] == null ? null : longBinary(tables[t][r], r);
                rows.add(RowFactory.create(fields));
            }
            Dataset<Row> table = spark.createDataFrame(rows, SCHEMA).coalesce(1);
            String ours = write(table, "zeros-" + t, OutputParquetFormat.NAME, PLAIN);
            String theirs = write(table, "zeros-spark-" + t, "parquet", PLAIN);
            assertSameRows(readBack(spark.read().parquet(theirs)), readBack(spark.read().parquet(ours)), "table " + t);
            for (String column : PAGE_COLUMNS) {
                assertEquals(pageStatistics(theirs, column), pageStatistics(ours, column), "table " + t + ", " + column);
            }
        }
    }

    private static byte[] remaining(java.nio.ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /**
     * A binary of 60 to 80 bytes: the row's floats packed, after a prefix, so that the page's
     * extremes differ before and after the column index's 64 bytes, where its minima and maxima
     * are truncated.
     */
    private static byte[] longBinary(float[] floats, int r) {
        byte[] packed = PairDecoder.pack(floats);
        byte[] b = new byte[60 + 4 * (r % 2) + packed.length];
        Arrays.fill(b, 0, b.length - packed.length, (byte) (r % 3 == 0 ? 0x7f : 0x80));
        System.arraycopy(packed, 0, b, b.length - packed.length, packed.length);
        return b;
    }

    /** The one file's one column chunk: its statistics, then its column index's page minima, maxima, null counts and null pages. */
    private static List<Object> pageStatistics(String out, String column) throws IOException {
        File file = new File(out).listFiles((d, name) -> name.endsWith(".parquet"))[0];
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file.toURI()),
                new Configuration()))) {
            assertEquals(1, r.getFooter().getBlocks().size());
            ColumnChunkMetaData c = chunk(r.getFooter().getBlocks().get(0), column);
            List<Object> all = new ArrayList<>(statistics(c));
            ColumnIndex index = r.readColumnIndex(c);
            if (index == null) {
                all.add("no column index");
            } else {
                index.getMinValues().forEach(b -> all.add("min " + bytes(remaining(b))));
                index.getMaxValues().forEach(b -> all.add("max " + bytes(remaining(b))));
                all.add(index.getNullCounts());
                all.add(index.getNullPages());
            }
            return all;
        }
    }

    @Test
    void write_pagesOfWholeRows_haveColumnAndOffsetIndexes_thatAFilteredReadUses() throws IOException {
        Dataset<Row> table = spark.createDataFrame(rows(300, 2, false), SCHEMA).coalesce(1);
        String ours = write(table, "indexed", OutputParquetFormat.NAME, with(PLAIN, "parquet.page.size", "2048"));
        File file = new File(ours).listFiles((d, name) -> name.endsWith(".parquet"))[0];
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file.toURI()),
                new Configuration()))) {
            for (BlockMetaData block : r.getFooter().getBlocks()) {
                for (ColumnChunkMetaData c : block.getColumns()) {
                    if (c.getPath().toDotString().equals("marginals.list.element")) {
                        OffsetIndex offsets = r.readOffsetIndex(c);
                        ColumnIndex index = r.readColumnIndex(c);
                        assertNotNull(offsets);
                        assertNotNull(index);
                        assertTrue(offsets.getPageCount() > 10, "pages of about 2 kB: " + offsets.getPageCount());
                        long rows = 0;
                        for (int p = 0; p < offsets.getPageCount(); p++) {
                            assertEquals(rows, offsets.getFirstRowIndex(p), "page " + p + " starts at a row");
                            rows = offsets.getLastRowIndex(p, block.getRowCount()) + 1;
                        }
                        assertEquals(block.getRowCount(), rows);
                    }
                }
            }
        }
        Dataset<Row> read = spark.read().parquet(ours);
        assertSameRows(readBack(spark.createDataFrame(rows(300, 2, false), SCHEMA).filter("n >= 100 and n < 110")),
                readBack(read.filter("n >= 100 and n < 110")), "filtered");
    }

    /** A Hadoop configuration as Spark's Parquet source prepares it for writing {@link #SCHEMA} with {@code options}. */
    private static Configuration prepared(Map<String, String> options) throws IOException {
        org.apache.hadoop.mapreduce.Job job = org.apache.hadoop.mapreduce.Job.getInstance(
                new Configuration(spark.sparkContext().hadoopConfiguration()));
        options.forEach(job.getConfiguration()::set);
        new org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat().prepareWrite(spark, job,
                scala.collection.immutable.Map$.MODULE$.<String, String>empty(), SCHEMA);
        return job.getConfiguration();
    }

    @Test
    void fastColumns_floatListsWithoutNullElements_plainWithStatistics_v1Pages_only() throws IOException {
        Configuration plain = prepared(PLAIN);
        assertArrayEquals(new int[] {2, 3, 5, 10, 15}, OutputParquetWriter.fastColumns(SCHEMA, plain),
                "marginals, sparse, second, bin and packed; not nullable_elements, nor other.bin in a struct, nor the string id");

        Configuration dictionary = new Configuration(plain);
        dictionary.set("parquet.enable.dictionary#second.list.element", "true");
        dictionary.set("parquet.enable.dictionary#bin", "true");
        assertArrayEquals(new int[] {2, 3, 15}, OutputParquetWriter.fastColumns(SCHEMA, dictionary),
                "a dictionary column stays Spark's (a list of structs keeps parquet-mr's own dictionaries)");

        Configuration noStatistics = new Configuration(plain);
        noStatistics.set("parquet.column.statistics.enabled#marginals.list.element", "false");
        noStatistics.set("parquet.column.statistics.enabled#packed", "false");
        assertArrayEquals(new int[] {3, 5, 10}, OutputParquetWriter.fastColumns(SCHEMA, noStatistics));

        StructType structs = new StructType().add("id", DataTypes.StringType)
                .add("nullable_field", DataTypes.createArrayType(new StructType().add("i", DataTypes.IntegerType, true), false))
                .add("string_field", DataTypes.createArrayType(new StructType().add("s", DataTypes.StringType, false), false))
                .add("nested", DataTypes.createArrayType(new StructType().add("a", DataTypes.createArrayType(DataTypes.IntegerType, false),
                        false), false))
                .add("numbers", DataTypes.createArrayType(new StructType().add("l", DataTypes.LongType, false)
                        .add("d", DataTypes.DoubleType, false), false));
        assertArrayEquals(new int[] {4}, OutputParquetWriter.fastColumns(structs, plain),
                "structs of numbers that cannot be null only");

        StructType required = new StructType().add("id", DataTypes.StringType).add("b", DataTypes.BinaryType, false)
                .add("f", DataTypes.createArrayType(DataTypes.FloatType, false), false);
        Configuration plainRequired = new Configuration(plain);
        plainRequired.set("parquet.enable.dictionary#b", "false");
        plainRequired.set("parquet.enable.dictionary#f.list.element", "false");
        assertArrayEquals(new int[0], OutputParquetWriter.fastColumns(required, plainRequired), "columns that cannot be null: Spark's");

        for (String[] setting : new String[][] {{"parquet.writer.version", "PARQUET_2_0"},
            {"parquet.bloom.filter.enabled#id", "true"}, {"parquet.enable.bytestreamsplit", "true"},
            {"parquet.crypto.factory.class", "some.Factory"}}) {
            Configuration c = new Configuration(plain);
            c.set(setting[0], setting[1]);
            assertArrayEquals(new int[0], OutputParquetWriter.fastColumns(SCHEMA, c), setting[0] + ": Spark's writer");
        }
        assertArrayEquals(new int[0], OutputParquetWriter.fastColumns(new StructType().add("id", DataTypes.StringType), plain));
        assertArrayEquals(new int[0], OutputParquetWriter.fastColumns(new StructType().add("m",
                DataTypes.createArrayType(DataTypes.FloatType, false)), plain), "a float list alone: Spark's writer");
    }

    /** Partition columns leave the files' rows; one float list alone is Spark's writer's, one with another column ours. */
    @Test
    void write_partitioned_sameRowsAsSparksWriter() {
        StructType schema = new StructType().add("p", DataTypes.IntegerType).add("q", DataTypes.StringType)
                .add("m", DataTypes.createArrayType(DataTypes.FloatType, false));
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < 40; r++) {
            rows.add(RowFactory.create(r % 3, "q" + (r % 2), r % 5 == 0 ? null : new float[] {r, -r, 0.5f * r}));
        }
        Dataset<Row> table = spark.createDataFrame(rows, schema).coalesce(1);
        for (String[] by : new String[][] {{"p", "q"}, {"p"}}) {
            String ours = dir.resolve("partitioned-" + by.length).toString();
            String theirs = dir.resolve("partitioned-spark-" + by.length).toString();
            long opened = OutputParquetWriter.OPENED.get();
            table.write().partitionBy(by).options(PLAIN).option("parquet.enable.dictionary#m.list.element", "false")
                    .format(OutputParquetFormat.NAME).save(ours);
            assertEquals(by.length == 1, OutputParquetWriter.OPENED.get() > opened, "ours where q stays in the files");
            table.write().partitionBy(by).format("parquet").save(theirs);
            assertEquals(new java.util.TreeSet<>(spark.read().parquet(theirs).collectAsList().stream().map(OutputParquetFormatTest::text)
                    .toList()), new java.util.TreeSet<>(spark.read().parquet(ours).collectAsList().stream()
                    .map(OutputParquetFormatTest::text).toList()));
        }
    }

    /**
     * A row that fails half written (here a value of the wrong class for its column) leaves the
     * file without a footer, as parquet-mr's own writer leaves it on abort, never one whose
     * columns disagree; the writer takes no further row.
     */
    @Test
    void close_afterAFailedRow_leavesNoFooter() throws IOException {
        StructType schema = new StructType().add("id", DataTypes.StringType).add("m", DataTypes.createArrayType(DataTypes.FloatType, false));
        Configuration conf = prepared(PLAIN);
        String path = dir.resolve("failed.parquet").toString();
        OutputParquetWriter w = new OutputParquetWriter(path, schema, new int[] {1},
                new org.apache.hadoop.mapreduce.task.TaskAttemptContextImpl(conf, new org.apache.hadoop.mapreduce.TaskAttemptID()));
        org.apache.spark.sql.catalyst.expressions.GenericInternalRow good = new org.apache.spark.sql.catalyst.expressions.GenericInternalRow(
                new Object[] {org.apache.spark.unsafe.types.UTF8String.fromString("a"),
                    org.apache.spark.sql.catalyst.util.ArrayData.toArrayData(new float[] {1f, 2f})});
        org.apache.spark.sql.catalyst.expressions.GenericInternalRow bad = new org.apache.spark.sql.catalyst.expressions.GenericInternalRow(
                new Object[] {"not a UTF8String", org.apache.spark.sql.catalyst.util.ArrayData.toArrayData(new float[] {3f})});
        w.write(good);
        assertThrows(RuntimeException.class, () -> w.write(bad));
        assertThrows(IllegalStateException.class, () -> w.write(good));
        w.close();
        byte[] bytes = java.nio.file.Files.readAllBytes(Path.of(path));
        assertTrue(bytes.length < 8 || !new String(bytes, bytes.length - 4, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("PAR1"),
                "no footer: " + bytes.length + " bytes");
        assertThrows(Exception.class, () -> ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(new File(path).toURI()), new Configuration())).close());
    }

    /**
     * Rows that are not Spark's unsafe rows, with float lists that are not unsafe arrays (Spark's
     * writer hands the page writer unsafe ones, which the other tests write): read back as written.
     */
    @Test
    void write_genericRowsAndArrays_readBackAsWritten() throws IOException {
        StructType schema = new StructType().add("id", DataTypes.StringType).add("m", DataTypes.createArrayType(DataTypes.FloatType, false))
                .add("b", DataTypes.BinaryType);
        Map<String, String> options = with(PLAIN, "parquet.enable.dictionary#m.list.element", "false", "parquet.enable.dictionary#b", "false",
                "parquet.page.size", "1024");
        assertArrayEquals(new int[] {1, 2}, OutputParquetWriter.fastColumns(schema, prepared(options)));
        String path = dir.resolve("generic").resolve("part-0.parquet").toString();
        OutputParquetWriter w = new OutputParquetWriter(path, schema, new int[] {1, 2},
                new org.apache.hadoop.mapreduce.task.TaskAttemptContextImpl(prepared(options), new org.apache.hadoop.mapreduce.TaskAttemptID()));
        Random random = new Random(9);
        List<String> written = new ArrayList<>();
        for (int r = 0; r < 50; r++) {
            Object[] floats = r % 7 == 3 ? null : new Object[random.nextInt(r % 5 == 0 ? 1000 : 20)];
            for (int i = 0; floats != null && i < floats.length; i++) {
                floats[i] = random.nextFloat() - 0.5f;
            }
            byte[] bytes = r % 6 == 1 ? null : new byte[random.nextInt(r % 4 == 0 ? 3000 : 9)];
            if (bytes != null) {
                random.nextBytes(bytes);
            }
            w.write(new org.apache.spark.sql.catalyst.expressions.GenericInternalRow(new Object[] {
                org.apache.spark.unsafe.types.UTF8String.fromString("r" + r),
                floats == null ? null : new org.apache.spark.sql.catalyst.util.GenericArrayData(floats), bytes}));
            written.add("r" + r + " " + (floats == null ? null : Arrays.toString(floats)) + " " + (bytes == null ? null : Arrays.toString(bytes)));
        }
        w.close();
        List<String> read = new ArrayList<>();
        for (Row row : spark.read().parquet(path).collectAsList()) {
            read.add(row.getString(0) + " " + (row.isNullAt(1) ? null : row.getList(1).toString()) + " "
                    + (row.isNullAt(2) ? null : Arrays.toString((byte[]) row.get(2))));
        }
        assertEquals(written, read);
    }

    /** Lists of structs of longs and doubles (the sparse test rows hold ints and floats): the same rows as Spark's writer. */
    @Test
    void write_listsOfStructsOfLongsAndDoubles_sameRowsAsSparksWriter() {
        StructType schema = new StructType().add("n", DataTypes.IntegerType, false).add("steps", DataTypes.createArrayType(
                new StructType().add("l", DataTypes.LongType, false).add("d", DataTypes.DoubleType, false), false));
        Random random = new Random(4);
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < 60; r++) {
            List<Row> steps = new ArrayList<>();
            for (int e = 0; e < r % 9; e++) {
                steps.add(RowFactory.create(random.nextLong() >> (r % 40), e == 3 ? Double.NaN : random.nextGaussian()));
            }
            rows.add(RowFactory.create(r, r % 7 == 2 ? null : steps));
        }
        Dataset<Row> table = spark.createDataFrame(rows, schema).coalesce(1);
        String ours = write(table, "long-structs", OutputParquetFormat.NAME, Map.of());
        String theirs = write(table, "long-structs-spark", "parquet", Map.of());
        assertSameRows(readBack(spark.read().parquet(theirs)), readBack(spark.read().parquet(ours)), "");
    }

    @Test
    void write_noRowsAtAll_oneEmptyFileWithTheSchema() {
        Dataset<Row> table = spark.createDataFrame(new ArrayList<Row>(), SCHEMA);
        String ours = write(table, "empty", OutputParquetFormat.NAME, PLAIN);
        Dataset<Row> read = spark.read().parquet(ours);
        assertEquals(0, read.count());
        assertEquals(SCHEMA.fieldNames().length, read.schema().fieldNames().length);
    }
}
