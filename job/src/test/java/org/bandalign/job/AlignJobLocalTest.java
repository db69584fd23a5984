package org.bandalign.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.bandalign.align.testing.ReferenceCase;
import org.bandalign.cuda.FakeCudaDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job end to end in Spark local mode, real Parquet in and out: reference cases (dense and
 * band-layout rows) mixed with bad rows, every mode, semiring and layout, array and binary
 * scores, packed output; values checked against the float64 reference and the CPU engine.
 * Tests tagged {@code io} are about reading the input and writing the output, which the backend
 * has no part in; the emulated-GPU run of this class (job/pom.xml) leaves them out.
 */
class AlignJobLocalTest {
    private static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        spark = TestTables.localSpark("AlignJobLocalTest");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {   // (null where the emulated-gpu run skipped the class: no g++)
            spark.stop();
        }
    }

    private static String writeInput(String name, Mode mode, boolean binary, boolean withBad) {
        List<Row> rows = new ArrayList<>();
        for (ReferenceCase rc : ReferenceCase.all()) {
            if (rc.mode == mode) {
                rows.add(TestTables.caseRow(rc, binary));
            }
        }
        if (withBad) {
            rows.addAll(TestTables.badRows(binary));
        }
        String path = tmp.resolve(name).toString();
        TestTables.table(spark, rows, binary).repartition(3).write().parquet(path);
        return path;
    }

    private static JobSummary run(String input, String output, String... flags) throws IOException {
        return run(spark.sparkContext().getConf(), input, output, flags);
    }

    private static JobSummary run(org.apache.spark.SparkConf conf, String input, String output, String... flags) throws IOException {
        List<String> args = new ArrayList<>(List.of("--input", input, "--output", output));
        args.addAll(List.of(flags));
        AlignCommand cmd = new AlignCommand();
        new picocli.CommandLine(cmd).parseArgs(args.toArray(new String[0]));
        return AlignJob.run(spark, cmd.request(conf));
    }

    /** The session's configuration with Spark's reader for the scores ({@code spark.bandalign.reader.pageReader=false}). */
    private static org.apache.spark.SparkConf sparksReader() {
        return spark.sparkContext().getConf().clone().set(JobKeys.READER_PAGE_READER.name(), "false");
    }

    /**
     * The session's configuration with the page reader for the scores whatever the files' sizes
     * ({@code spark.bandalign.reader.pageReader=true}; the tests' files are small, where
     * {@code auto} leaves them to Spark's reader).
     */
    private static org.apache.spark.SparkConf pageReader() {
        return spark.sparkContext().getConf().clone().set(JobKeys.READER_PAGE_READER.name(), "true");
    }

    private static Map<String, Row> byId(String path) {
        Map<String, Row> out = new HashMap<>();
        for (Row r : spark.read().parquet(path).collectAsList()) {
            out.put(r.getAs("id"), r);
        }
        return out;
    }

    @Tag("io")
    @Test
    void align_floatDataAndPerRowColumns_areWrittenWithoutADictionary_whileRepeatedValuesElsewhereKeepOne() throws IOException {
        // 1 x 1 pairs: every marginal is 1 or 0, every log Z, Viterbi score and CIGAR the same,
        // and the ids repeat (20 of them, which the job allows), so Parquet would keep a
        // dictionary for each of those columns if the job left dictionary encoding on for them.
        // (Ids are each pair's own in real inputs; a dictionary of them is only work.)
        List<Row> rows = new ArrayList<>();
        for (int k = 0; k < 400; k++) {
            rows.add(TestTables.row("one-" + k % 20, 1, 1, new float[3], null, null, false));
        }
        String in = tmp.resolve("one-cell-pairs").toString();
        TestTables.table(spark, rows, false).coalesce(1).write().parquet(in);
        for (String[] flags : new String[][] {{}, {"--packed"}, {"--layout", "sparse"}}) {
            String out = tmp.resolve("out-one-cell-pairs-" + flags.length).toString();
            String[] both = java.util.stream.Stream.concat(java.util.Arrays.stream(flags), java.util.stream.Stream.of("--semiring", "both"))
                    .toArray(String[]::new);
            assertEquals(400, run(in, out, both).alignedRows);
            Map<String, java.util.Set<org.apache.parquet.column.Encoding>> encodings = TestTables.encodings(new File(out, "marginals"));
            String floats = flags.length == 0 ? "marginals.list.element" : flags.length == 1 ? "marginals" : "sparse.list.element.p";
            assertTrue(encodings.get("mode").stream().anyMatch(org.apache.parquet.column.Encoding::usesDictionary),
                    "the control: a column of one repeated value is dictionary-encoded " + encodings);
            for (String column : List.of(floats, "id", "log_partition", "viterbi_score", "viterbi_cigar")) {
                assertTrue(encodings.get(column).stream().noneMatch(org.apache.parquet.column.Encoding::usesDictionary),
                        column + " " + encodings.get(column) + " with " + List.of(flags));
            }
        }
    }

    /**
     * The page writer (the default) against Spark's own Parquet writer
     * ({@code spark.bandalign.output.pageWriter=false}): the same rows, column for
     * column, floats bit for bit, in the default layout, packed, and in the sparse one (a list of
     * structs); the summary says which wrote them.
     */
    @Tag("io")
    @Test
    void align_pageWriterOnAndOff_sameRowsEachLayout() throws IOException {
        String in = writeInput("writers", Mode.GLOBAL, false, true);
        for (String layout : new String[] {"band", "sparse", "packed"}) {
            String[] flags = layout.equals("packed") ? new String[] {"--semiring", "both", "--packed"}
                    : new String[] {"--semiring", "both", "--layout", layout, "--min-prob", "0.001"};
            String pages = tmp.resolve("out-pages-" + layout).toString();
            String spark = tmp.resolve("out-spark-" + layout).toString();
            long opened = OutputParquetWriter.OPENED.get();
            JobSummary p = run(in, pages, flags);
            assertTrue(OutputParquetWriter.OPENED.get() > opened, "the page writer wrote marginals/");
            JobSummary s = run(AlignJobLocalTest.spark.sparkContext().getConf().clone().set(JobKeys.OUTPUT_PAGE_WRITER.name(), "false"),
                    in, spark, flags);
            assertEquals(true, p.options.get("page_writer"));
            assertEquals(false, s.options.get("page_writer"));
            Map<String, Row> a = byId(pages + "/marginals");
            Map<String, Row> b = byId(spark + "/marginals");
            assertEquals(b.keySet(), a.keySet());
            assertFalse(a.isEmpty());
            for (String id : a.keySet()) {
                Row x = a.get(id);
                Row y = b.get(id);
                for (int f = 0; f < x.length(); f++) {
                    if (x.schema().fields()[f].name().equals("marginals") && !x.isNullAt(f)) {
                        assertArrayEquals(OutputRows.marginals(y), OutputRows.marginals(x), id + " marginals, " + layout);
                    } else {
                        assertEquals(y.get(f), x.get(f), id + " " + x.schema().fields()[f].name() + ", " + layout);
                    }
                }
            }
        }
    }

    /**
     * The page reader (the default: the job reads array&lt;float&gt;, array&lt;double&gt; and
     * binary scores itself) against Spark's vectorized reader
     * ({@code spark.bandalign.reader.pageReader=false}), on the reference cases and every kind of
     * bad row (of doubles, one beyond float32's range too), in small row groups and pages split
     * across tasks: the same aligned rows, bit for bit, and the same rejections, word for word;
     * the counters of row groups the job's reader loaded (and, of float and double lists, read a
     * page at a time) show which reader read.
     */
    @Tag("io")
    @org.junit.jupiter.params.ParameterizedTest(name = "scores as {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"array<float>", "binary", "array<double>"})
    void align_pageReaderOnAndOff_sameRowsAndRejections(String stored) throws IOException {
        boolean binary = stored.equals("binary");
        boolean doubles = stored.equals("array<double>");
        List<Row> rows = new ArrayList<>();
        for (ReferenceCase rc : ReferenceCase.all()) {
            if (rc.mode == Mode.GLOBAL) {
                rows.add(TestTables.caseRow(rc, binary));
            }
        }
        rows.addAll(TestTables.badRows(binary));
        if (binary) {   // (twice the floats its shape needs, as float64 bytes would be: the rejection says so)
            rows.add(TestTables.row("float64-bytes", 2, 3, new float[2 * 2 * 3 * 3], null, null, true));
            rows.add(TestTables.row("corner-missed", 2, 2, new float[2 * 2 * 2 * 3], 5, 6, true));   // (twice n*W*3, yet no packing mistake)
        }
        java.util.Random random = new java.util.Random(3);
        for (int k = 0; k < 60; k++) {   // (more rows, for more row groups and pages)
            int n = 1 + random.nextInt(30);
            int m = 1 + random.nextInt(30);
            float[] scores = new float[n * m * 3];
            for (int q = 0; q < scores.length; q++) {
                scores[q] = (float) random.nextGaussian();
            }
            rows.add(TestTables.row("random-" + k, n, m, scores, null, null, binary));
        }
        Dataset<Row> table = TestTables.table(spark, rows, binary);
        if (doubles) {   // (and one double that no float holds, which both readers reject alike)
            table = table.withColumn("scores", org.apache.spark.sql.functions.when(table.col("id").equalTo("random-7"),
                    org.apache.spark.sql.functions.transform(table.col("scores"), (x, i) -> org.apache.spark.sql.functions.when(
                            i.equalTo(5), org.apache.spark.sql.functions.lit(-1e300)).otherwise(x.cast("double"))))
                    .otherwise(table.col("scores").cast("array<double>")));
        }
        String in = tmp.resolve("readers-" + stored).toString();
        table.repartition(2).write().option("parquet.block.size", 8192)
                .option("parquet.block.size.row.check.min", 1).option("parquet.page.size", 1024)
                .option("parquet.page.size.row.check.min", 1).parquet(in);
        spark.conf().set("spark.sql.files.maxPartitionBytes", "16384");   // (several tasks a file)
        try {
            String[] flags = {"--semiring", "both"};
            String pages = tmp.resolve("out-page-reader-" + stored).toString();
            String spark = tmp.resolve("out-spark-reader-" + stored).toString();
            long before = ParquetScores.GROUPS.get();
            long chunksBefore = FloatListChunk.CHUNKS.get();
            long binaryBefore = BinaryChunk.CHUNKS.get();
            long streamedBefore = StreamedPages.CHUNKS.get();
            JobSummary auto = run(in, tmp.resolve("out-auto-reader-" + stored).toString(), flags);
            assertEquals(before, ParquetScores.GROUPS.get(), "auto: files this small stay with Spark's reader");
            assertEquals("auto", auto.options.get("page_reader"));
            JobSummary p = run(pageReader(), in, pages, flags);
            long after = ParquetScores.GROUPS.get();
            assertTrue(after - before >= 4, "row groups the job's reader read: " + (after - before));
            assertEquals(binary ? 0 : after - before, FloatListChunk.CHUNKS.get() - chunksBefore, "of them, as float lists");
            assertEquals(binary ? after - before : 0, BinaryChunk.CHUNKS.get() - binaryBefore, "of them, as binaries");
            assertEquals(after - before, StreamedPages.CHUNKS.get() - streamedBefore, "each read from the file a page at a time");
            JobSummary s = run(AlignJobLocalTest.spark.sparkContext().getConf().clone().set(JobKeys.READER_PAGE_READER.name(), "false"),
                    in, spark, flags);
            assertEquals(after, ParquetScores.GROUPS.get(), "Spark's reader read the scores");
            assertEquals("true", p.options.get("page_reader"));
            assertEquals("false", s.options.get("page_reader"));
            assertEquals(List.of("spark", "page", "spark"), List.of(auto.options.get("scores_reader"),
                    p.options.get("scores_reader"), s.options.get("scores_reader")), "what each run chose");
            assertEquals(List.of(s.inputRows, s.alignedRows, s.rejectedRows), List.of(auto.inputRows, auto.alignedRows, auto.rejectedRows));
            assertEquals(List.of(s.inputRows, s.alignedRows, s.rejectedRows), List.of(p.inputRows, p.alignedRows, p.rejectedRows));
            assertEquals(rows.size(), p.inputRows);
            Map<String, Row> a = byId(pages + "/marginals");
            Map<String, Row> b = byId(spark + "/marginals");
            assertEquals(b.keySet(), a.keySet());
            for (String id : a.keySet()) {
                Row x = a.get(id);
                Row y = b.get(id);
                for (int f = 0; f < x.length(); f++) {
                    if (x.schema().fields()[f].name().equals("marginals") && !x.isNullAt(f)) {
                        assertArrayEquals(OutputRows.marginals(y), OutputRows.marginals(x), id + " marginals");
                    } else {
                        assertEquals(y.get(f), x.get(f), id + " " + x.schema().fields()[f].name());
                    }
                }
            }
            java.util.function.Function<String, List<String>> rejections = out -> AlignJobLocalTest.spark.read().parquet(out + "/rejected")
                    .collectAsList().stream().map(r -> r.getAs("id") + ": " + r.getAs("error")).sorted().toList();
            assertEquals(rejections.apply(spark), rejections.apply(pages));
            assertTrue(rejections.apply(pages).contains(binary
                    ? "bad-ragged-binary: binary scores hold 47 bytes, not a whole number of little-endian float32 values"
                    : "bad-null-element: " + PairDecoder.nullElement(5)), rejections.apply(pages).toString());
            if (binary) {
                assertTrue(rejections.apply(pages).contains("float64-bytes: dense scores of a pair of 2 x 3 must hold n*m*3 = 18 floats, "
                        + "got 36, twice as many: were they packed as float64? Binary scores are little-endian float32 (with numpy: "
                        + "S.astype('<f4').tobytes())"), rejections.apply(pages).toString());
                assertTrue(rejections.apply(pages).contains("corner-missed: band [5, 6] misses a corner of the 2 x 2 grid: it needs "
                        + "diag_lo <= 0 and diag_hi >= 0"), rejections.apply(pages).toString());
            }
            if (doubles) {
                assertTrue(rejections.apply(pages).contains("random-7: " + PairDecoder.beyondFloatRange(-1e300, 5)),
                        rejections.apply(pages).toString());
            }
        } finally {
            spark.conf().unset("spark.sql.files.maxPartitionBytes");
        }
    }

    /**
     * {@code pageReader=auto} (the default) reads the scores a page at a time once the input's
     * files hold {@link AlignJob#PAGE_READER_MIN_FILE_BYTES} on average, and the summary says
     * which reader it chose; just under that, Spark's reader reads them.
     */
    @Tag("io")
    @Test
    void align_pageReaderAuto_readsLargeFilesAPageAtATime_andSaysSo() throws IOException {
        java.util.function.IntFunction<String> input = pairs -> {
            List<Row> rows = new ArrayList<>();
            java.util.Random random = new java.util.Random(pairs);
            for (int k = 0; k < pairs; k++) {
                float[] scores = new float[100 * 100 * 3];   // 120 kB of floats that hardly compress
                for (int q = 0; q < scores.length; q++) {
                    scores[q] = (float) random.nextGaussian();
                }
                rows.add(TestTables.row("p" + k, 100, 100, scores, null, null, false));
            }
            String in = tmp.resolve("auto-" + pairs).toString();
            TestTables.table(spark, rows, false).coalesce(1).write().parquet(in);
            return in;
        };
        long before = FloatListChunk.CHUNKS.get();
        JobSummary small = run(input.apply(7), tmp.resolve("out-auto-7").toString(), "--io-only");   // 0.84 MB
        assertEquals(before, FloatListChunk.CHUNKS.get(), "under 1 MiB: Spark's reader");
        JobSummary large = run(input.apply(10), tmp.resolve("out-auto-10").toString(), "--io-only");   // 1.2 MB
        assertTrue(FloatListChunk.CHUNKS.get() > before, "1 MiB and more: a page at a time");
        assertEquals(List.of("auto", "spark", "auto", "page"), List.of(small.options.get("page_reader"),
                small.options.get("scores_reader"), large.options.get("page_reader"), large.options.get("scores_reader")));
        assertEquals(List.of(7L, 10L), List.of(small.alignedRows, large.alignedRows));
    }

    /**
     * Scores stored byte-stream split (as {@code parquet.enable.bytestreamsplit} or pyarrow's
     * {@code use_byte_stream_split} writes them), which Spark's vectorized reader does not read:
     * {@code pageReader=auto} reads them a page at a time however small the files, and the
     * marginals are those of the same scores stored plain.
     */
    @Tag("io")
    @Test
    void align_pageReaderAutoOrFalse_byteStreamSplitScores_readAPageAtATime_evenInSmallFiles() throws IOException {
        List<Row> rows = new ArrayList<>();
        for (ReferenceCase rc : ReferenceCase.all()) {
            if (rc.mode == Mode.GLOBAL) {
                rows.add(TestTables.caseRow(rc, false));
            }
        }
        String split = tmp.resolve("split-scores").toString();
        String plain = tmp.resolve("plain-scores").toString();
        TestTables.table(spark, rows, false).coalesce(1).write().option("parquet.enable.bytestreamsplit", "true")
                .option("parquet.enable.dictionary", "false").parquet(split);
        TestTables.table(spark, rows, false).coalesce(1).write().parquet(plain);
        InputFooters.Survey survey = AlignJob.inputSurvey(spark, spark.read().parquet(split));
        assertTrue(survey.largest().sparkUnreadable() && survey.meanLargestRowGroupBytes() < AlignJob.PAGE_READER_MIN_FILE_BYTES,
                "small files whose scores are split: " + survey.largest());
        assertTrue(!AlignJob.inputSurvey(spark, spark.read().parquet(plain)).largest().sparkUnreadable());
        long before = StreamedPages.CHUNKS.get();
        JobSummary s = run(split, tmp.resolve("out-split-scores").toString());
        assertTrue(StreamedPages.CHUNKS.get() > before, "read a page at a time");
        assertEquals(List.of("auto", "page"), List.of(s.options.get("page_reader"), s.options.get("scores_reader")));
        JobSummary f = run(AlignJobLocalTest.spark.sparkContext().getConf().clone().set(JobKeys.READER_PAGE_READER.name(), "false"),
                split, tmp.resolve("out-split-scores-false").toString());
        assertEquals(List.of("false", "page"), List.of(f.options.get("page_reader"), f.options.get("scores_reader")),
                "false too: Spark's reader cannot read them (\"Unsupported encoding: BYTE_STREAM_SPLIT\")");
        JobSummary p = run(plain, tmp.resolve("out-plain-scores").toString());
        assertEquals("spark", p.options.get("scores_reader"));
        assertEquals(List.of((long) rows.size(), (long) rows.size()), List.of(s.alignedRows, p.alignedRows));
        Map<String, Row> a = byId(tmp.resolve("out-split-scores") + "/marginals");
        Map<String, Row> b = byId(tmp.resolve("out-plain-scores") + "/marginals");
        assertEquals(b.keySet(), a.keySet());
        for (String id : a.keySet()) {
            assertArrayEquals(OutputRows.marginals(b.get(id)), OutputRows.marginals(a.get(id)), id);
        }
    }

    /**
     * Fixed-length binary scores stored byte-stream split (parquet-mr's
     * {@code withByteStreamSplitEncoding(column, true)}; pyarrow's {@code use_byte_stream_split}
     * on a {@code fixed_size_binary}), which Spark's vectorized reader does not read either:
     * {@code pageReader=auto} reads them with the job's reader (parquet-mr's column reader decodes
     * them), and the marginals are those of the same scores stored plain. Found by a review: the
     * survey flagged split lists alone, and the run failed in Spark's reader.
     */
    @Tag("io")
    @Test
    void align_pageReaderAuto_byteStreamSplitFixedLengthBinaries_readByTheJobsReader() throws IOException {
        org.apache.parquet.schema.MessageType schema = org.apache.parquet.schema.MessageTypeParser.parseMessageType(
                "message m { required binary id (STRING); required int32 n; required int32 m; "
                        + "optional fixed_len_byte_array(192) scores; }");
        java.util.Random random = new java.util.Random(8);
        for (boolean split : new boolean[] {true, false}) {
            java.nio.file.Path dir = java.nio.file.Files.createDirectories(tmp.resolve("fixed-" + split));
            random.setSeed(8);
            try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> w =
                    org.apache.parquet.hadoop.example.ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(dir.resolve("a.parquet").toUri()))
                            .withType(schema).withConf(new org.apache.hadoop.conf.Configuration()).withDictionaryEncoding(false)
                            .withByteStreamSplitEncoding("scores", split).build()) {
                for (int r = 0; r < 12; r++) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(192).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    while (b.hasRemaining()) {
                        b.putFloat((float) random.nextGaussian());
                    }
                    org.apache.parquet.example.data.Group g = new org.apache.parquet.example.data.simple.SimpleGroupFactory(schema)
                            .newGroup().append("id", "p" + r).append("n", 4).append("m", 4);
                    if (r != 5) {   // (a null row, rejected alike)
                        g.append("scores", org.apache.parquet.io.api.Binary.fromConstantByteArray(b.array()));
                    }
                    w.write(g);
                }
            }
            try (org.apache.parquet.hadoop.ParquetFileReader f = org.apache.parquet.hadoop.ParquetFileReader.open(
                    org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(dir.resolve("a.parquet").toUri()),
                            new org.apache.hadoop.conf.Configuration()))) {
                assertEquals(split, f.getFooter().getBlocks().get(0).getColumns().get(3).getEncodings()
                        .contains(org.apache.parquet.column.Encoding.BYTE_STREAM_SPLIT));
            }
            assertEquals(split, AlignJob.inputSurvey(spark, spark.read().parquet(dir.toString())).largest().sparkUnreadable());
            JobSummary s = run(dir.toString(), tmp.resolve("out-fixed-" + split).toString());
            assertEquals(List.of(12L, 11L, 1L), List.of(s.inputRows, s.alignedRows, s.rejectedRows), "split: " + split);
            assertEquals(split ? "page" : "spark", s.options.get("scores_reader"));
        }
        Map<String, Row> a = byId(tmp.resolve("out-fixed-true") + "/marginals");
        Map<String, Row> b = byId(tmp.resolve("out-fixed-false") + "/marginals");
        assertEquals(b.keySet(), a.keySet());
        for (String id : a.keySet()) {
            assertArrayEquals(OutputRows.marginals(b.get(id)), OutputRows.marginals(a.get(id)), id);
        }
    }

    /**
     * A session that skips corrupt files ({@code spark.sql.files.ignoreCorruptFiles}) keeps the
     * scores with Spark's reader, which skips a file whose scores are corrupt, as before; the
     * page reader would fail on them, since Spark alone would read the file's intact columns
     * (found by review).
     */
    @Tag("io")
    @Test
    void align_ignoreCorruptFiles_scoresStayWithSparksReader_whichSkipsTheCorruptFile() throws IOException {
        String in = tmp.resolve("corrupt").toString();
        for (int f = 0; f < 2; f++) {
            List<Row> rows = new ArrayList<>();
            java.util.Random random = new java.util.Random(f);
            for (int k = 0; k < 20; k++) {
                float[] scores = new float[30 * 30 * 3];
                for (int q = 0; q < scores.length; q++) {
                    scores[q] = (float) random.nextGaussian();
                }
                rows.add(TestTables.row("file-" + f + "-" + k, 30, 30, scores, null, null, false));
            }
            TestTables.table(spark, rows, false).coalesce(1).write().mode("append").option("compression", "none").parquet(in);
        }
        java.nio.file.Path bad;
        try (java.util.stream.Stream<java.nio.file.Path> files = Files.list(Path.of(in))) {
            bad = files.filter(p -> p.toString().endsWith(".parquet")).sorted().findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(bad);
        for (int k = 0; k < 4096; k++) {   // (a page header in the scores, which fill the middle of the file)
            bytes[bytes.length / 4 + k] ^= (byte) 0x5A;
        }
        Files.write(bad, bytes);
        spark.conf().set(AlignJob.IGNORE_CORRUPT_FILES, "true");
        try {
            long chunks = FloatListChunk.CHUNKS.get();
            String asked = tmp.resolve("out-corrupt-page-reader").toString();
            JobSummary p = run(pageReader(), in, asked);
            assertEquals(chunks, FloatListChunk.CHUNKS.get(), "Spark's reader read the scores");
            JobSummary s = run(sparksReader(), in, tmp.resolve("out-corrupt-spark").toString());
            assertEquals(List.of(s.inputRows, s.alignedRows, s.rejectedRows), List.of(p.inputRows, p.alignedRows, p.rejectedRows));
            assertTrue(p.inputRows >= 20 && p.inputRows < 40, "the good file's rows, and any of the bad one's before its corruption: "
                    + p.inputRows);
        } finally {
            spark.conf().unset(AlignJob.IGNORE_CORRUPT_FILES);
        }
        for (org.apache.spark.SparkConf reader : List.of(pageReader(), sparksReader())) {
            Exception e = assertThrows(Exception.class, () -> run(reader, in, tmp.resolve("out-corrupt-fails").toString()),
                    "without the setting, the corrupt file fails the run, with either reader");
            String said = BandAlign.describe(BandAlign.cause(e));
            String line = said + ReadFailures.hint(e, said);   // (as bin/bandalign's last line gives it)
            assertTrue(line.contains(bad.getFileName().toString()) && line.contains("a checksum file"),
                    "the failure names the file, and its checksum file (written before the file was changed): " + line);
        }
    }

    @Test
    void align_globalCasesWithBadRows_matchReferenceAndRejectEachBadRow() throws IOException {
        String in = writeInput("global-array", Mode.GLOBAL, false, true);
        String out = tmp.resolve("out-global").toString();
        long before = System.nanoTime();
        JobSummary s = run(in, out, "--semiring", "both", "--layout", "dense");
        double wall = (System.nanoTime() - before) / 1e9;
        List<ReferenceCase> cases = ReferenceCase.all().stream().filter(c -> c.mode == Mode.GLOBAL).toList();
        assertEquals(cases.size() + TestTables.bad(false).size(), s.inputRows);
        assertEquals(cases.size(), s.alignedRows);
        assertEquals(TestTables.bad(false).size(), s.rejectedRows);

        Map<String, Row> rows = byId(out + "/marginals");
        assertEquals(cases.size(), rows.size());
        for (ReferenceCase rc : cases) {
            Row r = rows.get(rc.name);
            assertNotNull(r, rc.name);
            assertEquals("dense", r.getAs("layout"));
            assertEquals("global", r.getAs("mode"));
            assertEquals(rc.diagLo, (int) r.getAs("diag_lo"));
            assertEquals(rc.diagHi, (int) r.getAs("diag_hi"));
            double logZ = r.getAs("log_partition");
            assertEquals(rc.logPartition, logZ, 1e-6 * Math.max(1, Math.abs(rc.logPartition)), rc.name);
            float[] mu = OutputRows.marginals(r);
            assertEquals(rc.marginals.length, mu.length);
            for (int q = 0; q < mu.length; q++) {
                assertEquals(rc.marginals[q], mu[q], rc.marginalTolerance(), rc.name + " marginal " + q);
            }
            assertEquals(rc.viterbiScore, (double) r.getAs("viterbi_score"), 1e-6 * Math.max(1, Math.abs(rc.viterbiScore)));
            if (!rc.hasViterbiTies()) {
                assertEquals(rc.viterbiCigar, r.getAs("viterbi_cigar"), rc.name);
            }
            assertEquals(0, (int) r.getAs("viterbi_start_i"));
            assertEquals(rc.n - 1, (int) r.getAs("viterbi_end_i"));
            assertNull(r.getAs("sparse"));
        }

        List<Row> rejected = spark.read().parquet(out + "/rejected").collectAsList();
        assertEquals(TestTables.bad(false).size(), rejected.size());
        try (java.util.stream.Stream<Path> files = Files.walk(Path.of(out))) {   // (polars reads no folder that holds them)
            assertEquals(List.of(), files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".crc")).toList(),
                    "no checksum files beside the output's, its markers' or its summary");
        }
        assertTrue(new File(out, "marginals/_SUCCESS").isFile() && new File(out, "rejected/_SUCCESS").isFile(), "the markers stay");
        for (String[] bad : TestTables.bad(false)) {
            assertTrue(rejected.stream().anyMatch(r -> java.util.Objects.equals(bad[0], r.getAs("id"))
                    && ((String) r.getAs("error")).contains(bad[1])), "rejected row for " + bad[0] + " (" + bad[1] + ")");
        }
        // a row without an id is described by its place in the input instead
        Row noId = rejected.stream().filter(r -> r.getAs("id") == null).findFirst().orElseThrow();
        String place = noId.getAs("error");
        java.util.regex.Matcher where = java.util.regex.Pattern
                .compile("id is null \\(input row (\\d+) of the split of (.*\\.parquet) that starts at byte (\\d+)\\)").matcher(place);
        assertTrue(where.matches(), place);
        assertEquals("0", where.group(3), "small files are read whole");
        List<Row> fileRows = spark.read().parquet(where.group(2)).collectAsList();
        assertTrue(fileRows.get(Integer.parseInt(where.group(1)) - 1).isNullAt(0), "the row named is the one without id");
        JsonNode summary = new ObjectMapper().readTree(new File(out, "_SUMMARY.json"));
        assertEquals(summary.get("input_rows").asLong(), summary.get("aligned_rows").asLong() + summary.get("rejected_rows").asLong());
        assertEquals("local[2]", summary.get("master").asText());
        assertEquals("file:" + new File(in).getAbsolutePath(), summary.get("input").asText(),
                "the input qualified, as the summary outlives the working directory");
        assertEquals("file:" + new File(out).getAbsolutePath(), summary.get("output").asText());
        long cells = cases.stream().mapToLong(rc -> org.bandalign.align.BandGeometry.of(rc.band == null ? rc.densePair() : rc.bandPair(),
                org.bandalign.align.AlignOptions.defaults()).cells()).sum();
        assertEquals(cells, summary.get("cells").asLong(), "the band cells aligned");
        double seconds = summary.get("seconds").asDouble();
        assertTrue(seconds > 0 && seconds <= wall, "the run's seconds, within the call's " + wall + ": " + seconds);
        assertEquals(cells / seconds, summary.get("cells_per_second").asDouble(), 1e-9 * cells / seconds, "cells per second");
        JsonNode used = summary.get("options");
        assertEquals("global", used.get("mode").asText());
        assertEquals("both", used.get("semiring").asText());
        assertEquals("dense", used.get("layout").asText());
        assertEquals(1e-4, used.get("min_prob").asDouble(), 0.0, "--min-prob's default");
        assertEquals("snappy", used.get("compression").asText());
        double taskSeconds = summary.get("task_seconds").asDouble();
        double alignSeconds = summary.get("align_seconds").asDouble();
        assertTrue(alignSeconds > 0 && alignSeconds <= taskSeconds, "align " + alignSeconds + " s of " + taskSeconds + " s of tasks");
        double waitSeconds = summary.get("gpu_wait_seconds").asDouble();
        assertTrue(waitSeconds >= 0 && alignSeconds + waitSeconds <= taskSeconds, "wait " + waitSeconds + " s");
        assertEquals((alignSeconds + waitSeconds) / taskSeconds, summary.get("align_share").asDouble(), 1e-12);
        // --backend auto: the GPU where one works, else the CPU with the reason in the summary
        String why = null;
        try {
            org.bandalign.cuda.CudaAligner.deviceCount();
        } catch (org.bandalign.cuda.CudaUnavailableException e) {
            why = e.getMessage();
        }
        if (FakeCudaDriver.requested()) {
            assertNull(why, "the emulated-gpu run must have its stand-in device");
        }
        if (why != null) {
            assertEquals("cpu", summary.get("backends").get(0).asText());
            assertEquals(why, summary.get("cpu_fallbacks").get(0).asText());
            assertTrue(s.line().contains("--backend auto used the CPU: " + why), s.line());
        } else {
            assertTrue(summary.get("backends").get(0).asText().startsWith("cuda:"), summary.toString());
            assertEquals(0, summary.get("cpu_fallbacks").size());
        }
    }

    /**
     * The {@code marginals/} files' Parquet schema, pinned: SPEC section 5's columns in its order,
     * the shape required and the rest optional, as the job has always written them (through
     * Spark's bean encoder before its tasks built the rows themselves); and the Spark schema in
     * the files' metadata is {@link OutputColumns#schema}.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void align_marginalsFiles_haveThePinnedSchema(boolean packed) throws IOException {
        String in = writeInput("schema-" + packed, Mode.GLOBAL, false, false);
        String out = tmp.resolve("out-schema-" + packed).toString();
        run(in, out, packed ? new String[] {"--semiring", "both", "--packed"} : new String[] {"--semiring", "both"});
        String marginals = packed ? "optional binary marginals;"
                : "optional group marginals (LIST) { repeated group list { required float element; } }";
        org.apache.parquet.schema.MessageType expected = org.apache.parquet.schema.MessageTypeParser.parseMessageType(
                "message spark_schema { optional binary id (STRING); required int32 n; required int32 m; optional binary mode (STRING);"
                + " required int32 diag_lo; required int32 diag_hi; optional binary layout (STRING); optional double log_partition; "
                + marginals + " optional group sparse (LIST) { repeated group list { optional group element {"
                + " required int32 i; required int32 j; required int32 k; required float p; } } }"
                + " optional double viterbi_score; optional binary viterbi_cigar (STRING); optional int32 viterbi_start_i;"
                + " optional int32 viterbi_start_j; optional int32 viterbi_end_i; optional int32 viterbi_end_j; }");
        java.io.File[] files = new java.io.File(out, "marginals").listFiles((d, name) -> name.endsWith(".parquet"));
        assertTrue(files.length > 0);
        for (java.io.File f : files) {
            try (org.apache.parquet.hadoop.ParquetFileReader r = org.apache.parquet.hadoop.ParquetFileReader.open(
                    org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.getPath()),
                            new org.apache.hadoop.conf.Configuration()))) {
                assertEquals(expected, r.getFileMetaData().getSchema(), f.getName());
                assertEquals(OutputColumns.schema(packed), org.apache.spark.sql.types.DataType.fromJson(
                        r.getFileMetaData().getKeyValueMetaData().get("org.apache.spark.sql.parquet.row.metadata")));
            }
        }
    }

    @Test
    void align_localCasesBinaryInputPackedOutput_matchReference() throws IOException {
        String in = writeInput("local-binary", Mode.LOCAL, true, false);
        String out = tmp.resolve("out-local").toString();
        JobSummary s = run(in, out, "--mode", "local", "--layout", "dense", "--packed");
        assertEquals(0, s.rejectedRows);
        assertEquals("binary", spark.read().parquet(out + "/marginals").schema().apply("marginals").dataType().typeName());
        for (ReferenceCase rc : ReferenceCase.all()) {
            if (rc.mode != Mode.LOCAL) {
                continue;
            }
            Row r = byId(out + "/marginals").get(rc.name);
            assertEquals(rc.logPartition, (double) r.getAs("log_partition"), 1e-6 * Math.abs(rc.logPartition));
            // (SPEC section 5's packing, decoded here on its own: float32, little-endian, 4 bytes each)
            byte[] packed = r.getAs("marginals");
            float[] mu = new float[packed.length / 4];
            java.nio.ByteBuffer.wrap(packed).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(mu);
            assertEquals(rc.marginals.length * 4, packed.length, rc.name + ": marginals' bytes");
            for (int q = 0; q < mu.length; q++) {
                assertEquals(rc.marginals[q], mu[q], 1e-5, rc.name + " marginal " + q);
            }
            assertNull(r.getAs("viterbi_cigar"), "log semiring only: no Viterbi columns");
        }
    }

    @Test
    void align_binaryInputWithBadRows_rejectsEachBadRow() throws IOException {
        String in = writeInput("global-binary-bad", Mode.GLOBAL, true, true);
        String out = tmp.resolve("out-binary-bad").toString();
        JobSummary s = run(in, out);
        List<ReferenceCase> cases = ReferenceCase.all().stream().filter(c -> c.mode == Mode.GLOBAL).toList();
        assertEquals(cases.size() + TestTables.bad(true).size(), s.inputRows);
        assertEquals(TestTables.bad(true).size(), s.rejectedRows);
        assertEquals(cases.size(), s.alignedRows);
        Map<String, Row> rows = byId(out + "/marginals");
        assertEquals(cases.size(), rows.size());
        for (ReferenceCase rc : cases) {   // the good rows beside the bad ones, read from binary scores
            Row r = rows.get(rc.name);
            assertNotNull(r, rc.name);
            assertEquals(rc.logPartition, (double) r.getAs("log_partition"), 1e-6 * Math.max(1, Math.abs(rc.logPartition)), rc.name);
            float[] mu = r.<String>getAs("layout").equals("dense") ? OutputRows.marginals(r)
                    : BandGeometry.of(rc.n, rc.m, r.getAs("diag_lo"), r.getAs("diag_hi")).bandToDense(OutputRows.marginals(r));
            for (int q = 0; q < mu.length; q++) {
                assertEquals(rc.marginals[q], mu[q], rc.marginalTolerance(), rc.name + " marginal " + q);
            }
        }
        List<Row> rejected = spark.read().parquet(out + "/rejected").collectAsList();
        for (String[] bad : TestTables.bad(true)) {
            assertTrue(rejected.stream().anyMatch(r -> java.util.Objects.equals(bad[0], r.getAs("id"))
                    && ((String) r.getAs("error")).contains(bad[1])), "rejected row for " + bad[0] + " (" + bad[1] + ")");
        }
    }

    @Test
    void align_bandLayoutAndJobBand_matchEngineInBandLayout() throws IOException {
        String in = writeInput("global-band", Mode.GLOBAL, false, false);
        String out = tmp.resolve("out-band").toString();
        run(in, out, "--band", "2", "--semiring", "max");
        try (Aligner aligner = Aligner.cpu(1)) {
            AlignOptions opts = AlignOptions.builder().band(2).semiring(Semiring.MAX).build();
            Map<String, Row> rows = byId(out + "/marginals");
            for (ReferenceCase rc : ReferenceCase.all()) {
                if (rc.mode != Mode.GLOBAL) {
                    continue;
                }
                Row r = rows.get(rc.name);
                Pair p = rc.band == null ? rc.densePair() : rc.bandPair();
                AlignmentResult e = aligner.align(p, opts);
                assertEquals("band", r.getAs("layout"), rc.name);
                assertEquals(e.diagLo(), (int) r.getAs("diag_lo"));
                assertEquals(e.diagHi(), (int) r.getAs("diag_hi"));
                assertNull(r.getAs("log_partition"));
                assertEquals(e.viterbiCigar(), r.getAs("viterbi_cigar"));
                assertEquals(java.util.Arrays.toString(e.marginalsBand()), java.util.Arrays.toString(OutputRows.marginals(r)));
            }
        }
    }

    @Test
    void align_sparseLayout_keepsStepsAboveMinProb() throws IOException {
        String in = writeInput("global-sparse", Mode.GLOBAL, false, false);
        String out = tmp.resolve("out-sparse").toString();
        run(in, out, "--layout", "sparse", "--min-prob", "0.01");
        Map<String, Row> rows = byId(out + "/marginals");
        for (ReferenceCase rc : ReferenceCase.all()) {
            if (rc.mode != Mode.GLOBAL) {
                continue;
            }
            Row r = rows.get(rc.name);
            assertNull(r.getAs("marginals"));
            List<Row> steps = r.getList(r.fieldIndex("sparse"));
            java.util.Set<Integer> listed = new java.util.HashSet<>();
            for (Row st : steps) {
                int q = ((int) st.getAs("i") * rc.m + (int) st.getAs("j")) * 3 + (int) st.getAs("k");
                assertTrue(listed.add(q), rc.name + ": step " + q + " listed twice");
                assertEquals(rc.marginals[q], (float) st.getAs("p"), rc.marginalTolerance(), rc.name);
                assertTrue((float) st.getAs("p") >= 0.01f);
            }
            double tolerance = rc.marginalTolerance();
            for (int q = 0; q < rc.marginals.length; q++) {   // every step above the threshold, none below (but within tolerance of it)
                if (rc.marginals[q] >= 0.01 + tolerance || rc.marginals[q] < 0.01 - tolerance) {
                    assertEquals(rc.marginals[q] >= 0.01, listed.contains(q), rc.name + ": step " + q + " of marginal " + rc.marginals[q]);
                }
            }
        }
    }

    @Tag("io")
    @Test
    void align_existingOutputWithoutOverwrite_isRefusedAndUntouched() throws IOException {
        String in = writeInput("refuse", Mode.GLOBAL, false, false);
        Path out = Files.createDirectories(tmp.resolve("existing"));
        Path keep = Files.writeString(out.resolve("keep.txt"), "precious");
        UserError e = assertThrows(UserError.class, () -> run(in, out.toString()));
        assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());
        assertEquals("precious", Files.readString(keep));
        UserError overwrite = assertThrows(UserError.class, () -> run(in, out.toString(), "--overwrite"));
        assertTrue(overwrite.getMessage().contains("holds keep.txt"), overwrite.getMessage());
        assertEquals("precious", Files.readString(keep), "--overwrite replaces an earlier output, not a directory of the user's");
        Files.delete(keep);
        run(in, out.toString(), "--overwrite");   // (an empty directory)
        assertTrue(Files.exists(out.resolve("_SUMMARY.json")));
    }

    @Tag("io")
    @Test
    void align_failedRerunWithOverwrite_keepsTheEarlierOutput() throws IOException {
        String in = writeInput("rerun", Mode.GLOBAL, false, true);
        Path out = tmp.resolve("out-rerun");
        JobSummary first = run(in, out.toString());
        String summary = Files.readString(out.resolve("_SUMMARY.json"));
        assertThrows(Exception.class, () -> run(in, out.toString(), "--overwrite", "--fail-fast"));
        assertEquals(summary, Files.readString(out.resolve("_SUMMARY.json")));
        assertEquals(first.alignedRows, spark.read().parquet(out.resolve("marginals").toString()).count());
        try (var siblings = Files.list(tmp)) {
            assertEquals(List.of(), siblings.filter(p -> p.getFileName().toString().contains(OutputSwap.STAGING_MARK)).toList());
        }
    }

    @Tag("io")
    @Test
    void align_missingInputWithOverwrite_isTheUsersErrorAndTheEarlierOutputStays() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out-missing-input"));
        Path keep = Files.writeString(out.resolve("_SUMMARY.json"), "precious");   // (an earlier output: --overwrite may replace it)
        UserError e = assertThrows(UserError.class, () -> run(tmp.resolve("no-such-input").toString(), out.toString(), "--overwrite"));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertEquals("precious", Files.readString(keep));
    }

    @Test
    void align_manyRejectedRows_tasksWriteAllButTheirFirstThemselvesAndEachRowLandsOnce() throws IOException {
        String in = writeInput("many-bad", Mode.GLOBAL, true, true);
        String out = tmp.resolve("out-many-bad").toString();
        JobSummary s = run(spark.sparkContext().getConf().clone().set(JobKeys.REJECTED_DRIVER_ROWS.name(), "1"), in, out,
                "--compression", "zstd");
        List<String> ids = new ArrayList<>();
        for (Row r : spark.read().parquet(out + "/rejected").collectAsList()) {
            ids.add(r.getAs("id"));
            assertTrue(r.<String>getAs("error") != null && !r.<String>getAs("error").isEmpty());
        }
        List<String> expected = new ArrayList<>();
        TestTables.bad(true).forEach(b -> expected.add(b[0]));
        ids.sort(java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()));
        expected.sort(java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()));
        assertEquals(expected, ids);
        assertEquals(expected.size(), s.rejectedRows);
        try (var files = Files.list(Path.of(out, "rejected"))) {   // the driver's file and the tasks' own
            assertTrue(files.filter(f -> f.getFileName().toString().endsWith(".parquet")).count() > 1);
        }
        assertTrue(Files.notExists(Path.of(out, RejectedSink.TASKS_DIR)));
    }

    @Test
    void align_ioOnlyWithBadRows_rejectsThemAsARealRunDoes() throws IOException {
        String in = writeInput("io-only", Mode.GLOBAL, true, true);
        JobSummary real = run(in, tmp.resolve("out-io-real").toString(), "--backend", "cpu");
        JobSummary io = run(in, tmp.resolve("out-io-only").toString(), "--io-only");
        assertEquals(List.of("io-only"), io.backends);
        assertEquals(real.inputRows, io.inputRows);
        assertEquals(io.inputRows, io.alignedRows + io.rejectedRows);
        // (all but the pair without any path, which only aligning finds)
        assertEquals(real.rejectedRows - 1, io.rejectedRows);

        // Found by a newcomer's walk-through: --io-only --semiring max wrote a log Z of 0 and no path. Now the
        // columns a real run sets are set, in band and dense rows alike.
        for (String semiring : new String[] {"max", "both"}) {
            String realOut = tmp.resolve("out-io-real-" + semiring).toString();
            String ioOut = tmp.resolve("out-io-only-" + semiring).toString();
            run(in, realOut, "--backend", "cpu", "--semiring", semiring);
            run(in, ioOut, "--io-only", "--semiring", semiring);
            Map<String, Row> realRows = byId(realOut + "/marginals");
            Map<String, Row> ioRows = byId(ioOut + "/marginals");
            assertEquals(realRows.size() + 1, ioRows.size(), "(and the pair without any path)");
            for (Map.Entry<String, Row> e : ioRows.entrySet()) {
                Row r = realRows.get(e.getKey());
                if (r == null) {
                    continue;
                }
                for (String column : new String[] {"log_partition", "viterbi_score", "viterbi_cigar", "viterbi_start_i",
                    "viterbi_end_j"}) {
                    assertEquals(r.isNullAt(r.fieldIndex(column)), e.getValue().isNullAt(e.getValue().fieldIndex(column)),
                            semiring + " " + e.getKey() + " " + column);
                }
                assertEquals(List.of(r.<Object>getAs("viterbi_end_i"), r.<Object>getAs("viterbi_end_j")),
                        List.of(e.getValue().<Object>getAs("viterbi_end_i"), e.getValue().<Object>getAs("viterbi_end_j")),
                        semiring + " " + e.getKey() + ": a global path ends in the corner");
            }
        }
    }

    /**
     * spark.bandalign.maxCells rejects a pair too large (SPEC section 1) from its shape, before
     * its scores are copied: a row of 3000 x 3000 whose scores (a few bytes here) decode would
     * reject for their length is rejected as too large, and so is an ordinary pair over the
     * limit; the rest align.
     */
    @Test
    void align_pairsOverMaxCells_rejectedAsTooLargeBeforeTheirScoresAreRead() throws IOException {
        List<Row> rows = new ArrayList<>();
        for (ReferenceCase rc : ReferenceCase.all()) {
            if (rc.mode == Mode.GLOBAL) {
                rows.add(TestTables.caseRow(rc, true));
            }
        }
        long most = ReferenceCase.all().stream().filter(rc -> rc.mode == Mode.GLOBAL)
                .mapToLong(rc -> org.bandalign.align.BandGeometry.of(rc.densePair(), org.bandalign.align.AlignOptions.defaults()).cells())
                .max().orElseThrow();
        rows.add(TestTables.row("huge", 3000, 3000, new float[3], null, null, true));
        int side = (int) Math.sqrt(most) + 2;
        rows.add(TestTables.row("just-over", side, side, new float[side * side * 3], null, null, true));
        String in = tmp.resolve("max-cells").toString();
        TestTables.table(spark, rows, true).repartition(2).write().parquet(in);
        String out = tmp.resolve("out-max-cells").toString();
        JobSummary s = run(spark.sparkContext().getConf().clone().set(JobKeys.MAX_CELLS.name(), Long.toString(most)), in, out);
        assertEquals(rows.size() - 2, s.alignedRows);
        assertEquals(2, s.rejectedRows);
        Map<String, String> errors = new HashMap<>();
        spark.read().parquet(out + "/rejected").collectAsList().forEach(r -> errors.put(r.getAs("id"), r.getAs("error")));
        for (String id : List.of("huge", "just-over")) {
            assertTrue(errors.get(id).contains("too large") && errors.get(id).contains("configured limit of " + most),
                    id + ": " + errors.get(id));
        }
    }

    /**
     * Files that hold a row too large for Spark's reader are read by the job's own
     * ({@link LargeRows}, {@link ParquetScores}): found from the footers and the rows' shapes,
     * they give the same output row for row, bad rows included, as Spark's reader gives, both
     * where every file is large and where one file of three is (the others read by Spark).
     */
    @Tag("io")
    @Test
    void align_filesWithRowsTooLargeForSparksReader_readByTheJobsOwnReader_sameRowsOut() throws IOException {
        for (boolean binary : new boolean[] {false, true}) {
            String in = writeInput("own reader,%é-" + binary, Mode.GLOBAL, binary, true);
            List<Row> large = List.of(TestTables.row("large", 40, 50, new float[40 * 50 * 3], null, null, binary),
                    TestTables.row("large-band", 60, 60, new float[60 * 5 * 3], -2, 2, binary));
            TestTables.table(spark, large, binary).coalesce(1).write().mode("append").parquet(in);
            Dataset<Row> input = spark.read().option("mergeSchema", "true").parquet(in);
            long bigRowBytes = 40 * 50 * 3 * 20L;   // (more than the reference cases' rows hold, under 'large')
            List<String> largeFiles = LargeRows.files(input, AlignJob.inputSurvey(spark, input), bigRowBytes, 1L << 30, AlignJob.hadoopConf(spark));
            assertEquals(1, largeFiles.size(), "the appended file alone: " + largeFiles);
            assertEquals(List.of("large", "large-band"), input.where(input.metadataColumn("_metadata").getField("file_path")
                    .equalTo(largeFiles.get(0))).select("id").as(Encoders.STRING()).collectAsList().stream().sorted().toList());
            assertEquals(List.of(), LargeRows.files(input, AlignJob.inputSurvey(spark, input), 0, 1L << 30, AlignJob.hadoopConf(spark)),
                    "at the default, 30% of a 1 GiB heap, no footer shows a row group that could hold a large row");

            String bySpark = tmp.resolve("out-by-spark-" + binary).toString();
            JobSummary expected = run(sparksReader(), in, bySpark, "--semiring", "both");
            for (long setting : new long[] {bigRowBytes, 1, -1}) {   // (1: every file; -1: the page reader, the default)
                String byOwn = tmp.resolve("out-by-own-" + binary + "-" + setting).toString();
                JobSummary s = run(setting < 0 ? pageReader() : sparksReader().set(JobKeys.READER_LARGE_ROW_BYTES.name(),
                        Long.toString(setting)), in, byOwn, "--semiring", "both");
                assertEquals(List.of(expected.inputRows, expected.alignedRows, expected.rejectedRows),
                        List.of(s.inputRows, s.alignedRows, s.rejectedRows));
                long files;
                try (var listed = java.nio.file.Files.list(java.nio.file.Paths.get(in))) {
                    files = listed.filter(f -> f.toString().endsWith(".parquet")).count();
                }
                assertEquals(List.of(setting < 0 ? "page" : "spark", setting < 0 ? 0 : setting == 1 ? (int) files : 1),
                        List.of(s.options.get("scores_reader"), s.options.get("large_row_files")),
                        "setting " + setting + ": the summary says which files the job read itself");
                assertEquals(byId(bySpark + "/marginals"), byId(byOwn + "/marginals"), "setting " + setting);
                assertEquals(byId(bySpark + "/rejected"), byId(byOwn + "/rejected"), "setting " + setting);
            }
            assertEquals(TestTables.bad(binary).size(), expected.rejectedRows);
            assertEquals(0, expected.options.get("large_row_files"));
        }
    }

    /**
     * Found by a scale tester: a file of a few hundred KB holding a list of 100 million floats
     * under a 10 x 10 shape went to Spark's reader (no row's shape is large), which held the list
     * whole and ran the executor out of memory, every pair lost. A file whose scores column holds
     * far more values than its rows' shapes take is read by the job's own reader, which rejects
     * such a row without holding it; the rest align.
     */
    @Tag("io")
    @Test
    void largeRowsFiles_aRowFarLongerThanItsShape_sendsItsFileToTheJobsReader() throws IOException {
        for (boolean binary : new boolean[] {false, true}) {   // (a binary's bytes count, not its one value a row: a review)
            String in = tmp.resolve("liar-input-" + binary).toString();
            TestTables.table(spark, List.of(TestTables.row("ok-1", 2, 2, new float[12], null, null, binary)), binary)
                    .coalesce(1).write().parquet(in);
            TestTables.table(spark, List.of(TestTables.row("ok-2", 2, 3, new float[18], null, null, binary),
                    TestTables.row("liar", 1, 1, new float[100_000], null, null, binary)), binary).coalesce(1).write().mode("append")
                    .parquet(in);
            Dataset<Row> input = spark.read().parquet(in);
            long setting = 32L * 10_000;   // (10,000 scores as Spark's reader holds them: no row's shape comes near)
            List<String> largeFiles = LargeRows.files(input, AlignJob.inputSurvey(spark, input), setting, 1L << 30,
                    AlignJob.hadoopConf(spark));
            assertEquals(1, largeFiles.size(), binary + ": " + largeFiles);
            assertEquals(List.of("liar", "ok-2"), input.where(input.metadataColumn("_metadata").getField("file_path")
                    .equalTo(largeFiles.get(0))).select("id").as(Encoders.STRING()).collectAsList().stream().sorted().toList());
            String out = tmp.resolve("liar-out-" + binary).toString();
            JobSummary s = run(sparksReader().set(JobKeys.READER_LARGE_ROW_BYTES.name(), Long.toString(setting)), in, out);
            assertEquals(List.of(3L, 2L, 1L, 1), List.of(s.inputRows, s.alignedRows, s.rejectedRows, s.options.get("large_row_files")),
                    "binary " + binary + ": the liar's file read by the job's reader");
            assertTrue(spark.read().parquet(out + "/rejected").first().<String>getAs("error").contains("got 100000"),
                    "its length rejects it");
        }
    }

    /**
     * Inputs that once failed a run read by the job's own reader (found by review): a row longer
     * than its shape with a null element past the reader's first buffer, a band-layout row
     * whose band is far wider than its grid (its shape claims 1.8e9 scores), decimal scores
     * (which only Spark's reader reads, so their file stays with it), and a file without a
     * scores column beside one with it. Each is rejected, or aligned, as Spark's reader has it.
     */
    @Tag("io")
    @Test
    void align_jobsOwnReader_rowsAndFilesItOnceFailedOn_sameOutcomeAsSparksReader() throws IOException {
        Float[] longWithNull = TestTables.boxed(new float[1030]);
        longWithNull[1024] = null;
        List<Row> rows = new ArrayList<>(List.of(
                TestTables.row("ok", 1, 2, new float[6], null, null, false),
                RowFactory.create("long-with-null", 1, 1, longWithNull, null, null, null),
                TestTables.row("wide-band", 10, 10, new float[300], -30_000_000, 30_000_000, false)));
        String odd = tmp.resolve("own-reader-odd").toString();
        spark.createDataFrame(rows, TestTables.schema(false)).coalesce(1).write().parquet(odd);
        TestTables.table(spark, List.of(TestTables.row("ok-2", 2, 2, new float[12], null, null, false)), false)
                .drop("scores").coalesce(1).write().mode("append").parquet(odd);   // (no scores column: null scores)

        org.apache.spark.sql.types.StructType decimalSchema = new org.apache.spark.sql.types.StructType()
                .add("id", DataTypes.StringType).add("n", DataTypes.IntegerType).add("m", DataTypes.IntegerType)
                .add("scores", DataTypes.createArrayType(DataTypes.createDecimalType(10, 2)));
        java.math.BigDecimal[] decimals = new java.math.BigDecimal[12];
        java.util.Arrays.fill(decimals, new java.math.BigDecimal("-1.25"));
        String decimal = tmp.resolve("own-reader-decimal").toString();
        spark.createDataFrame(List.of(RowFactory.create("decimal", 2, 2, decimals)), decimalSchema).coalesce(1).write().parquet(decimal);

        for (String in : List.of(odd, decimal)) {
            String bySpark = in + "-out-spark";
            JobSummary expected = run(sparksReader(), in, bySpark);
            for (boolean byPage : new boolean[] {false, true}) {   // (the job's reader of large rows, or its page reader)
                String byOwn = in + "-out-own" + (byPage ? "-by-page" : "");
                JobSummary s = run(byPage ? pageReader() : sparksReader().set(JobKeys.READER_LARGE_ROW_BYTES.name(), "1"), in, byOwn);
                assertEquals(List.of(expected.inputRows, expected.alignedRows, expected.rejectedRows),
                        List.of(s.inputRows, s.alignedRows, s.rejectedRows), in);
                assertEquals(byId(bySpark + "/marginals"), byId(byOwn + "/marginals"), in);
                assertEquals(byId(bySpark + "/rejected"), byId(byOwn + "/rejected"), in);
            }
        }
        Map<String, Row> rejected = byId(odd + "-out-own/rejected");
        assertEquals(java.util.Set.of("long-with-null", "wide-band", "ok-2"), rejected.keySet());
        assertTrue(rejected.get("long-with-null").<String>getAs("error").contains(PairDecoder.nullElement(1024)));
        assertTrue(rejected.get("ok-2").<String>getAs("error").contains("scores are null"));
    }

    /** --input may name one Parquet file (SPEC section 5: "one file or a directory"). */
    @Tag("io")
    @Test
    void align_inputIsOneFile_alignsItsRowsAlone() throws IOException {
        String dir = writeInput("one-file", Mode.GLOBAL, true, true);
        String file;
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(Path.of(dir))) {
            file = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).sorted().findFirst().orElseThrow().toString();
        }
        long rows = spark.read().parquet(file).count();
        long bad = spark.read().parquet(file).collectAsList().stream().filter(r -> {
            Object id = r.getAs("id");
            return id == null || id.toString().startsWith("bad-");
        }).count();
        JobSummary s = run(file, tmp.resolve("out-one-file").toString());
        assertEquals(rows, s.inputRows, "the file's rows, not the directory's");
        assertEquals(rows - bad, s.alignedRows);
        assertEquals(bad, s.rejectedRows);
    }

    @Tag("io")
    @Test
    void align_outputThatIsHoldsOrLiesInTheInput_isRefusedAndTheInputKept() throws IOException {
        String in = writeInput("apart", Mode.GLOBAL, false, false);
        long rows = spark.read().parquet(in).count();
        Path input = Path.of(in);
        for (String out : List.of(in, input.getParent().toString(), in + "/out", input.toUri().toString())) {
            UserError e = assertThrows(UserError.class, () -> run(in, out, "--overwrite"), out);
            assertTrue(e.getMessage().contains("input"), e.getMessage());
            assertEquals(rows, spark.read().parquet(in).count(), out);
        }
    }

    /** Regression: a glob that matched the output let --overwrite replace the input with the output. */
    @Tag("io")
    @Test
    void align_inputGlobOrLinkLeadingToTheOutput_isRefusedAndTheInputKept() throws IOException {
        String in = writeInput("globbed", Mode.GLOBAL, false, false);
        long rows = spark.read().parquet(in).count();
        Path input = Path.of(in);
        Path link = Files.createSymbolicLink(tmp.resolve("link-to-globbed"), input);
        String glob = input.getParent().resolve("glob?ed").toString();
        // The glob's match is the output; the output is the input, or inside it, through a link.
        for (String[] inOut : List.of(new String[] {glob, in}, new String[] {in, link.toString()},
                new String[] {in, link.resolve("out").toString()}, new String[] {link.toString(), in + "/out"})) {
            UserError e = assertThrows(UserError.class, () -> run(inOut[0], inOut[1], "--overwrite"), String.join(" -> ", inOut));
            assertTrue(e.getMessage().contains("input"), e.getMessage());
            assertEquals(rows, spark.read().parquet(in).count(), String.join(" -> ", inOut));
            assertFalse(Files.exists(input.resolve("out")), String.join(" -> ", inOut));
        }
    }

    /** Found by an adversarial run: exit 1 with Spark's words, naming neither the column nor a file. */
    @Tag("io")
    @Test
    void align_filesDisagreeOnAColumnsType_isTheUsersErrorNamingTheColumnAndFiles() {
        List<Row> rows = new ArrayList<>();
        ReferenceCase.all().stream().filter(rc -> rc.band == null).limit(2).forEach(rc -> rows.add(TestTables.caseRow(rc, false)));
        String in = tmp.resolve("clashing-types").toString();
        TestTables.table(spark, rows.subList(0, 1), false).drop("diag_lo", "diag_hi").coalesce(1).write().parquet(in);
        List<Row> packed = new ArrayList<>();
        ReferenceCase.all().stream().filter(rc -> rc.band == null).limit(2).forEach(rc -> packed.add(TestTables.caseRow(rc, true)));
        TestTables.table(spark, packed.subList(1, 2), true).drop("diag_lo", "diag_hi").coalesce(1).write().mode("append").parquet(in);
        UserError e = assertThrows(UserError.class, () -> run(in, tmp.resolve("out-clashing-types").toString()));
        assertTrue(e.getMessage().contains("column 'scores'") && e.getMessage().contains(".parquet")
                && e.getMessage().endsWith("store it in one type in every file (lengths and band bounds may mix integer widths, "
                + "or 32-bit integers with doubles; scores float32 lists with float64 ones)"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out-clashing-types")));
        // (found by a probe: pandas writes lengths as int64, and as float64 where one is missing, which Spark cannot mix)
        String lengths = tmp.resolve("clashing-lengths").toString();
        TestTables.table(spark, rows.subList(0, 1), false).drop("diag_lo", "diag_hi").withColumn("n", col("n").cast("long"))
                .coalesce(1).write().parquet(lengths);
        TestTables.table(spark, rows.subList(1, 2), false).drop("diag_lo", "diag_hi").withColumn("n", col("n").cast("double"))
                .coalesce(1).write().mode("append").parquet(lengths);
        UserError l = assertThrows(UserError.class, () -> run(lengths, tmp.resolve("out-clashing-lengths").toString()));
        assertTrue(l.getMessage().contains("column 'n'") && l.getMessage().contains("not 64-bit ones")
                && l.getMessage().contains("df['n'].astype('int32')"), l.getMessage());
    }

    /**
     * Scores stored as lists of float32 in some files and of float64 in others (NumPy's
     * default), one float file's elements not nullable: read as lists of float64 by either
     * reader, every row aligns, each bit for bit as from an input all of float32.
     */
    @Tag("io")
    @org.junit.jupiter.params.ParameterizedTest(name = "pageReader={0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"true", "false"})
    void align_floatAndDoubleScoresInDifferentFiles_readAsDoubles_alignAsFloats(String pageReader) throws IOException {
        List<Row> rows = new ArrayList<>();
        ReferenceCase.all().stream().filter(rc -> rc.mode == Mode.GLOBAL).limit(6).forEach(rc -> rows.add(TestTables.caseRow(rc, false)));
        String in = tmp.resolve("floats-and-doubles-" + pageReader).toString();
        String floats = tmp.resolve("all-floats-" + pageReader).toString();
        TestTables.table(spark, rows, false).coalesce(1).write().parquet(floats);
        Dataset<Row> all = spark.read().parquet(floats);
        all.filter(col("id").isin(rows.get(0).getString(0), rows.get(1).getString(0))).coalesce(1).write().parquet(in);
        all.filter(col("id").isin(rows.get(2).getString(0), rows.get(3).getString(0)))
                .withColumn("scores", col("scores").cast("array<double>")).coalesce(1).write().mode("append").parquet(in);
        org.apache.spark.sql.types.StructType required = new org.apache.spark.sql.types.StructType(java.util.Arrays.stream(all.schema().fields())
                .map(f -> f.name().equals("scores") ? f.copy(f.name(), DataTypes.createArrayType(DataTypes.FloatType, false), false, f.metadata()) : f)
                .toArray(org.apache.spark.sql.types.StructField[]::new));
        spark.createDataFrame(all.filter(col("id").isin(rows.get(4).getString(0), rows.get(5).getString(0))).collectAsList(), required)
                .coalesce(1).write().mode("append").parquet(in);
        // (Spark's reader holds a float file's rows as doubles here: 16 bytes a score in its vectors, 16 in its copy)
        InputFooters.Survey mixed = AlignJob.inputSurvey(spark, AlignJob.readInput(spark, in));
        InputFooters.Survey eachAlone = InputFooters.survey(mixed.files().toArray(new String[0]), "scores", InputColumns.READ,
                AlignJob.hadoopConf(spark), false);
        assertTrue(mixed.sizes().stream().allMatch(z -> z.rowCopyBytes() == z.rowVectorBytes()), mixed.toString());
        assertEquals(2, eachAlone.sizes().stream().filter(z -> 3 * z.rowCopyBytes() == 2 * z.rowVectorBytes()).count(), eachAlone.toString());
        org.apache.spark.SparkConf conf = spark.sparkContext().getConf().clone().set(JobKeys.READER_PAGE_READER.name(), pageReader);
        String out = tmp.resolve("out-floats-and-doubles-" + pageReader).toString();
        JobSummary s = run(conf, in, out, "--semiring", "both");
        assertEquals(List.of(6L, 6L, 0L), List.of(s.inputRows, s.alignedRows, s.rejectedRows));
        assertEquals(pageReader.equals("true") ? "page" : "spark", s.options.get("scores_reader"));
        String expected = tmp.resolve("out-all-floats-" + pageReader).toString();
        run(conf, floats, expected, "--semiring", "both");
        Map<String, Row> a = byId(out + "/marginals");
        Map<String, Row> b = byId(expected + "/marginals");
        assertEquals(b.keySet(), a.keySet());
        for (String id : a.keySet()) {
            assertArrayEquals(OutputRows.marginals(b.get(id)), OutputRows.marginals(a.get(id)), id);
            assertEquals(b.get(id).<Double>getAs("log_partition"), a.get(id).<Double>getAs("log_partition"), id);
        }
    }

    /**
     * Found by a probe: pyarrow writes a column of nulls alone as Parquet's null type, which
     * Spark reads as int, so an empty pandas shard beside full ones, or a shard whose scores are
     * all None, made the input's scores "int": exit 2 naming no real problem. Now such files have
     * no say in the type, only the job's reader reads their scores (whatever pageReader asks),
     * and each such row is rejected for its null scores; an input whose scores are all null is
     * rejected row by row.
     */
    @Tag("io")
    @org.junit.jupiter.params.ParameterizedTest(name = "pageReader={0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"auto", "false"})
    void align_filesWhoseScoresAreParquetsNullType_haveNoSayInTheType_theirRowsRejectedAsNull(String pageReader) throws IOException {
        org.apache.parquet.schema.MessageType nullScores = org.apache.parquet.schema.Types.buildMessage()
                .optional(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY)
                .as(org.apache.parquet.schema.LogicalTypeAnnotation.stringType()).named("id")
                .optional(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32).named("n")
                .optional(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32).named("m")
                .optional(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32)
                .as(org.apache.parquet.schema.LogicalTypeAnnotation.unknownType()).named("scores").named("schema");
        List<Row> rows = threeDenseGlobalRows();
        String mixed = tmp.resolve("null-typed-" + pageReader).toString();
        TestTables.table(spark, rows, false).drop("diag_lo", "diag_hi").coalesce(1).write().parquet(mixed);
        String nulls = tmp.resolve("all-null-typed-" + pageReader).toString();
        for (String dir : new String[] {mixed, nulls}) {
            writeNullTyped(Path.of(dir, "part-nulls.parquet"), nullScores, List.of("null-1", "null-2"));
            writeNullTyped(Path.of(dir, "part-empty.parquet"), nullScores, List.of());
        }
        org.apache.spark.SparkConf conf = spark.sparkContext().getConf().clone().set(JobKeys.READER_PAGE_READER.name(), pageReader);
        JobSummary s = run(conf, mixed, tmp.resolve("out-null-typed-" + pageReader).toString());
        assertEquals(List.of(5L, 3L, 2L), List.of(s.inputRows, s.alignedRows, s.rejectedRows));
        assertEquals("page", s.options.get("scores_reader"), "only the job's reader reads a column of the null type as scores");
        Map<String, Row> got = byId(tmp.resolve("out-null-typed-" + pageReader) + "/marginals");
        ReferenceCase.all().stream().filter(rc -> rc.band == null && rc.mode == Mode.GLOBAL).limit(3).forEach(rc ->
                assertEquals(rc.logPartition, ((Number) got.get(rc.name).getAs("log_partition")).doubleValue(),
                        1e-6 * Math.max(1, Math.abs(rc.logPartition)), rc.name));
        java.util.function.Function<String, List<String>> rejections = out -> spark.read().parquet(out + "/rejected")
                .collectAsList().stream().map(r -> r.getAs("id") + ": " + r.getAs("error")).sorted().toList();
        assertEquals(List.of("null-1: scores are null", "null-2: scores are null"),
                rejections.apply(tmp.resolve("out-null-typed-" + pageReader).toString()));
        JobSummary n = run(conf, nulls, tmp.resolve("out-all-null-typed-" + pageReader).toString());
        assertEquals(List.of(2L, 0L, 2L), List.of(n.inputRows, n.alignedRows, n.rejectedRows));
        assertEquals(List.of("null-1: scores are null", "null-2: scores are null"),
                rejections.apply(tmp.resolve("out-all-null-typed-" + pageReader).toString()));
        if (!pageReader.equals("auto")) {
            return;
        }
        // (a session that skips corrupt files, which only Spark's reader honours: the null-typed scores are the job's still)
        spark.conf().set(AlignJob.IGNORE_CORRUPT_FILES, "true");
        try {
            JobSummary c = run(conf, mixed, tmp.resolve("out-null-typed-corrupt-skipped").toString());
            assertEquals(List.of(5L, 3L, 2L, "page"), List.of(c.inputRows, c.alignedRows, c.rejectedRows, c.options.get("scores_reader")));
        } finally {
            spark.conf().unset(AlignJob.IGNORE_CORRUPT_FILES);
        }
        // (scores only Spark's reader reads, integer lists, beside null-typed ones, which only the job's reads)
        String ints = tmp.resolve("null-typed-beside-ints").toString();
        TestTables.table(spark, rows, false).drop("diag_lo", "diag_hi").withColumn("scores", col("scores").cast("array<int>"))
                .coalesce(1).write().parquet(ints);
        writeNullTyped(Path.of(ints, "part-nulls.parquet"), nullScores, List.of("null-1"));
        UserError e = assertThrows(UserError.class, () -> run(conf, ints, tmp.resolve("out-null-typed-beside-ints").toString()));
        assertTrue(e.getMessage().contains("only BandAlign's reader reads") && e.getMessage().contains("arrays of integers"),
                e.getMessage());
        // (an id of nulls alone, which Spark cannot read as the other files' strings: the clash says so)
        String ids = tmp.resolve("null-typed-ids").toString();
        TestTables.table(spark, rows, false).drop("diag_lo", "diag_hi").coalesce(1).write().parquet(ids);
        org.apache.parquet.schema.MessageType nullIds = org.apache.parquet.schema.Types.buildMessage()
                .optional(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32)
                .as(org.apache.parquet.schema.LogicalTypeAnnotation.unknownType()).named("id").named("schema");
        try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> w = org.apache.parquet.hadoop.example.ExampleParquetWriter
                .builder(new org.apache.hadoop.fs.Path(Path.of(ids, "part-null-ids.parquet").toString())).withType(nullIds).build()) {
            w.write(new org.apache.parquet.example.data.simple.SimpleGroupFactory(nullIds).newGroup());
        }
        UserError i = assertThrows(UserError.class, () -> run(conf, ids, tmp.resolve("out-null-typed-ids").toString()));
        assertTrue(i.getMessage().contains("column 'id'") && i.getMessage().contains("holding nulls alone"), i.getMessage());
    }

    /**
     * Found by a probe: a column the job does not read, stored in a type Spark cannot read (a
     * pandas datetime64[ns] column, which pyarrow writes as TIMESTAMP(NANOS)), stopped the run
     * with exit 2, naming no column and saying to store scores as float32; SPEC section 5
     * ignores other columns. Scores of such a type are refused, naming the column and file.
     */
    @Tag("io")
    @Test
    void align_anIgnoredColumnOfATypeSparkCannotRead_alignsEveryRow_scoresOfSuchATypeAreRefusedNamingThem() throws IOException {
        List<Row> rows = threeDenseGlobalRows();
        String in = tmp.resolve("nanos-beside").toString();
        TestTables.table(spark, rows, false).drop("diag_lo", "diag_hi").coalesce(1).write().parquet(in);
        String pair = "message pandas { required binary id (STRING); required int32 n; required int32 m;"
                + " required group scores (LIST) { repeated group list { required %s element; } } %s }";
        writeTwoByTwo(Path.of(in, "part-nanos.parquet"), String.format(pair, "float", "optional int64 created (TIMESTAMP(NANOS,false));"),
                (g, k) -> g.append("element", 0.5f), g -> g.append("created", 1_600_000_000_000_000_000L));
        JobSummary s = run(in, tmp.resolve("out-nanos-beside").toString());
        assertEquals(rows.size() + 1, s.inputRows);
        assertEquals(rows.size() + 1, s.alignedRows);
        String half = tmp.resolve("float16-scores").toString();
        Files.createDirectories(Path.of(half));
        writeTwoByTwo(Path.of(half, "part-half.parquet"), String.format(pair, "fixed_len_byte_array(2)", "").replace("element;",
                "element (FLOAT16);"), (g, k) -> g.append("element", org.apache.parquet.io.api.Binary.fromConstantByteArray(
                        new byte[] {0, 0x38})), g -> { });
        UserError e = assertThrows(UserError.class, () -> run(half, tmp.resolve("out-float16-scores").toString()));
        assertTrue(e.getMessage().startsWith("--input " + half + ": column 'scores' of file:" + half + "/part-half.parquet is stored in a"
                + " Parquet type Spark cannot read (") && e.getMessage().endsWith("); store scores as float32"), e.getMessage());
    }

    /** Rows of the first three dense reference cases of global mode, scores as array&lt;float&gt;. */
    private static List<Row> threeDenseGlobalRows() {
        List<Row> rows = new ArrayList<>();
        ReferenceCase.all().stream().filter(rc -> rc.band == null && rc.mode == Mode.GLOBAL).limit(3)
                .forEach(rc -> rows.add(TestTables.caseRow(rc, false)));
        return rows;
    }

    /** A file of one 2 x 2 pair ("pair-2x2") under {@code schema}: its 12 scores set by {@code score}, the rest by {@code rest}. */
    private static void writeTwoByTwo(Path file, String schema, java.util.function.ObjIntConsumer<org.apache.parquet.example.data.Group> score,
                                      java.util.function.Consumer<org.apache.parquet.example.data.Group> rest) throws IOException {
        org.apache.parquet.schema.MessageType type = org.apache.parquet.schema.MessageTypeParser.parseMessageType(schema);
        try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> w = org.apache.parquet.hadoop.example.ExampleParquetWriter
                .builder(new org.apache.hadoop.fs.Path(file.toString())).withType(type).build()) {
            org.apache.parquet.example.data.Group g = new org.apache.parquet.example.data.simple.SimpleGroupFactory(type).newGroup()
                    .append("id", "pair-2x2").append("n", 2).append("m", 2);
            org.apache.parquet.example.data.Group scores = g.addGroup("scores");
            for (int k = 0; k < 12; k++) {
                score.accept(scores.addGroup("list"), k);
            }
            rest.accept(g);
            w.write(g);
        }
    }

    /** A file of {@code schema} (id, n, m and scores of Parquet's null type) whose rows have these ids, n = m = 2 and null scores. */
    private static void writeNullTyped(Path file, org.apache.parquet.schema.MessageType schema, List<String> ids) throws IOException {
        try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> w = org.apache.parquet.hadoop.example.ExampleParquetWriter
                .builder(new org.apache.hadoop.fs.Path(file.toString())).withType(schema).build()) {
            for (String id : ids) {
                w.write(new org.apache.parquet.example.data.simple.SimpleGroupFactory(schema).newGroup().append("id", id)
                        .append("n", 2).append("m", 2));
            }
        }
    }

    /**
     * Found by a probe: an ignored extra column stored as int64 in one file and string in
     * another stopped the run (exit 2, naming no column), and lengths stored as int32 in one file
     * and int64 in another (pyarrow's default) were refused as a clash; SPEC section 5 ignores
     * other columns, and the README takes lengths of any numeric type.
     */
    @Tag("io")
    @Test
    void align_filesDisagreeOnAnIgnoredColumnOrOnTheLengthsWidth_alignEveryRow() throws IOException {
        List<Row> rows = threeDenseGlobalRows();
        String in = tmp.resolve("widths-and-notes").toString();
        TestTables.table(spark, rows.subList(0, 1), false).drop("diag_lo", "diag_hi").withColumn("note", lit(7L))
                .coalesce(1).write().parquet(in);
        TestTables.table(spark, rows.subList(1, 2), false).drop("diag_lo", "diag_hi").withColumn("note", lit("seven"))
                .withColumn("m", col("m").cast("long")).coalesce(1).write().mode("append").parquet(in);   // m: int, bigint
        TestTables.table(spark, rows.subList(2, 3), false).drop("diag_lo", "diag_hi")
                .withColumn("n", col("n").cast("double")).coalesce(1).write().mode("append").parquet(in);   // n: int, double
        String out = tmp.resolve("out-widths-and-notes").toString();
        List<org.apache.logging.log4j.Level> levels = AlignJob.TASK_FAILURE_LOGGERS.stream()
                .map(name -> org.apache.logging.log4j.LogManager.getLogger(name).getLevel()).toList();
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        JobSummary s = withEventsOf(AlignJob.TASK_FAILURE_LOGGERS, failures, () -> {
            try {
                return run(in, out);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertEquals(List.of(), failures, "Spark's merge of the schemas fails, and is handled: no task failure logged");
        assertEquals(levels, AlignJob.TASK_FAILURE_LOGGERS.stream()
                .map(name -> org.apache.logging.log4j.LogManager.getLogger(name).getLevel()).toList(), "their levels restored");
        assertEquals(3, s.inputRows);
        assertEquals(3, s.alignedRows);
        Map<String, Row> got = byId(out + "/marginals");
        ReferenceCase.all().stream().filter(rc -> rc.band == null && rc.mode == Mode.GLOBAL).limit(3).forEach(rc ->
                assertEquals(rc.logPartition, ((Number) got.get(rc.name).getAs("log_partition")).doubleValue(),
                        1e-6 * Math.max(1, Math.abs(rc.logPartition)), rc.name));
    }

    /** {@code body}, the events it logs through {@code loggers} (at any level they let through) kept in {@code events}. */
    private static <T> T withEventsOf(List<String> loggers, List<String> events, java.util.function.Supplier<T> body) {
        org.apache.logging.log4j.core.LoggerContext context = (org.apache.logging.log4j.core.LoggerContext)
                org.apache.logging.log4j.LogManager.getContext(false);
        org.apache.logging.log4j.core.appender.AbstractAppender capture = new org.apache.logging.log4j.core.appender.AbstractAppender(
                "capture", null, null, true, org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
            @Override
            public void append(org.apache.logging.log4j.core.LogEvent e) {
                if (loggers.contains(e.getLoggerName())) {
                    events.add(e.getLevel() + " " + e.getLoggerName() + ": " + e.getMessage().getFormattedMessage());
                }
            }
        };
        capture.start();
        context.getConfiguration().getRootLogger().addAppender(capture, org.apache.logging.log4j.Level.ALL, null);
        context.updateLoggers();
        try {
            return body.get();
        } finally {
            context.getConfiguration().getRootLogger().removeAppender("capture");
            context.updateLoggers();
            capture.stop();
        }
    }

    /**
     * Found by a probe: columns id and ID in one file, a column of Parquet's FLOAT16 and a
     * README beside the Parquet files each ended the run with exit 1 in Spark's words; they are
     * mistakes in the input (exit 2), said in one line. A file named with a ':', which Hadoop
     * cannot open, was said to be no Parquet file. A stale hidden checksum file beside a Parquet
     * file (one written again after Spark wrote it) was blamed on the Parquet file.
     */
    @Tag("io")
    @Test
    void align_inputSparkCannotReadAsATable_isTheUsersErrorSayingWhy() throws IOException {
        org.apache.parquet.schema.MessageType twoIds = org.apache.parquet.schema.Types.buildMessage()
                .required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32).named("id")
                .required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32).named("ID").named("pair");
        org.apache.parquet.schema.MessageType half = org.apache.parquet.schema.Types.buildMessage()
                .required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(2)
                .as(org.apache.parquet.schema.LogicalTypeAnnotation.float16Type()).named("h").named("pair");
        String ids = writeParquet("two-ids", twoIds, g -> {
            g.add("id", 1);
            g.add("ID", 2);
        });
        String halves = writeParquet("float16", half, g -> g.add("h", org.apache.parquet.io.api.Binary.fromConstantByteArray(new byte[2])));
        String withReadme = writeInput("with-readme", Mode.GLOBAL, false, false);
        Files.writeString(Path.of(withReadme, "README.txt"), "scores of the pairs\n");
        String colon = writeInput("with-colon", Mode.GLOBAL, false, false);
        try (java.util.stream.Stream<Path> files = Files.list(Path.of(colon))) {
            Path part = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Files.move(part, part.resolveSibling("k:l.parquet"));
        }
        // (a stale checksum file: Hadoop's format, "crc\0", 512 bytes a checksum, then one wrong CRC-32 for each 512 bytes)
        String staleCrc = writeInput("stale-crc", Mode.GLOBAL, false, false);
        Path crc;
        try (java.util.stream.Stream<Path> files = Files.list(Path.of(staleCrc))) {
            Path part = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            java.nio.ByteBuffer sums = java.nio.ByteBuffer.allocate(8 + 4 * (int) ((Files.size(part) + 511) / 512));
            sums.put(new byte[] {'c', 'r', 'c', 0}).putInt(512);
            while (sums.hasRemaining()) {
                sums.putInt(1);
            }
            crc = part.resolveSibling("." + part.getFileName() + ".crc");
            Files.write(crc, sums.array());
        }
        for (String[] inSays : List.of(new String[] {ids, "two of its columns have one name in different cases ('id' and 'ID' in "},
                new String[] {staleCrc, "holds a file that fails its checksum: Checksum error: file:" + staleCrc + "/"},
                new String[] {staleCrc, "beside it lies " + crc + ", a checksum file that Hadoop's local file system checks"},
                new String[] {halves, "a column is stored in a Parquet type Spark cannot read (Illegal Parquet type"},
                new String[] {withReadme, "holds a file that is no Parquet file: file:" + withReadme + "/README.txt is not a Parquet file"},
                new String[] {colon, "holds a file whose name Hadoop cannot open ('k:l.parquet'): Hadoop takes a ':'"})) {
            UserError e = assertThrows(UserError.class, () -> run(inSays[0], tmp.resolve("out-unreadable").toString()), inSays[0]);
            assertTrue(e.getMessage().startsWith("--input " + inSays[0]) && e.getMessage().contains(inSays[1]) && !e.getMessage().contains("SQLSTATE"),
                    e.getMessage());
            assertFalse(Files.exists(tmp.resolve("out-unreadable")));
        }
    }

    /**
     * Found by a probe: Parquet files in a subfolder not named key=value were silently left out
     * (neither aligned nor rejected nor counted), and an input whose files all lie in such
     * subfolders was said to hold no Parquet files. Partitions, hidden folders and folders
     * without Parquet files are fine; the glob the message suggests reads everything.
     */
    @Tag("io")
    @Test
    void align_subfoldersThatAreNoPartitions_areRefusedNamingThem_andTheSuggestedGlobReadsThem() throws IOException {
        String in = writeInput("nested", Mode.GLOBAL, false, false);
        long rows = spark.read().parquet(in).count();
        Files.createDirectories(Path.of(in, "_hidden"));
        Files.createDirectories(Path.of(in, "logs"));
        Files.writeString(Path.of(in, "logs", "run.txt"), "not read, not Parquet");
        assertEquals(rows, run(in, tmp.resolve("out-nested-ok").toString()).inputRows, "hidden and non-Parquet folders are fine");
        String more = writeInput("nested/more", Mode.GLOBAL, false, false);
        UserError e = assertThrows(UserError.class, () -> run(in, tmp.resolve("out-nested").toString()));
        assertTrue(e.getMessage().contains("its subfolder more/ holds Parquet files that Spark does not read")
                && e.getMessage().contains("--input '" + in + "/*'"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out-nested")));
        Files.delete(Path.of(in, "logs", "run.txt"));   // (the glob reads every folder's files)
        assertEquals(rows + spark.read().parquet(more).count(), run(in + "/*", tmp.resolve("out-nested-glob").toString()).inputRows);
    }

    /**
     * Found by a probe: the glob the message above suggests read its folders' own files and
     * silently left out their subfolders' (the check skipped globs); a Parquet file beside a
     * table's partition folders was left out (Spark reads only the partitions' files); and a
     * subfolder's Parquet file named without .parquet (Hive's 000000_0) escaped the check.
     */
    @Tag("io")
    @Test
    void align_parquetFilesSparkWouldLeaveOut_underAGlob_besidePartitions_orWithoutTheirSuffix_areRefusedNamingThem()
            throws IOException {
        String in = writeInput("leftout", Mode.GLOBAL, false, false);
        long rows = spark.read().parquet(in).count();
        java.io.File[] parquet = new java.io.File(in).listFiles((d, n) -> n.endsWith(".parquet"));
        java.util.Arrays.sort(parquet);
        // a glob: the folders it names are read, not their subfolders
        Path deeper = Files.createDirectories(Path.of(in + "-glob", "sub", "deeper"));
        Files.copy(parquet[0].toPath(), Path.of(in + "-glob", "sub", "top.parquet"));
        Files.copy(parquet[1].toPath(), deeper.resolve("deep.parquet"));
        UserError e = assertThrows(UserError.class, () -> run(in + "-glob/*", tmp.resolve("out-leftout").toString()));
        assertTrue(e.getMessage().startsWith("--input " + in + "-glob/*: the folder file:" + in + "-glob/sub (one the glob names): its"
                + " subfolder deeper/ holds Parquet files that Spark does not read") && e.getMessage().contains("name them in the glob too"),
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out-leftout")));
        long first = spark.read().parquet(parquet[0].toString()).count();
        long second = spark.read().parquet(parquet[1].toString()).count();
        assertEquals(first + second, run(in + "-glob/{sub,sub/deeper}", tmp.resolve("out-leftout-glob").toString()).inputRows,
                "a glob that names the deeper folder too");
        // a file beside partition folders
        Path table = Files.createDirectories(Path.of(in + "-parts", "split=a"));
        Files.copy(parquet[0].toPath(), table.resolve("a.parquet"));
        Files.copy(parquet[1].toPath(), table.resolveSibling("top.parquet"));
        e = assertThrows(UserError.class, () -> run(in + "-parts", tmp.resolve("out-leftout").toString()));
        assertEquals("--input " + in + "-parts: the Parquet file top.parquet lies beside its partition folders (split=a/ ...), and Spark"
                + " reads only the files in partitions; move it into a partition folder, or align it as an input of its own", e.getMessage());
        Files.move(table.resolveSibling("top.parquet"), Files.createDirectories(table.resolveSibling("split=b")).resolve("b.parquet"));
        assertEquals(first + second, run(in + "-parts", tmp.resolve("out-leftout-parts").toString()).inputRows);
        // a Parquet file without the .parquet suffix in a subfolder; other files there are fine
        Path hive = Files.createDirectories(Path.of(in, "warehouse"));
        Files.writeString(hive.resolve("LICENSE"), "not Parquet: no rows left out");
        assertEquals(rows, run(in, tmp.resolve("out-leftout-hive").toString()).inputRows);
        Files.copy(parquet[0].toPath(), hive.resolve("000000_0"));
        e = assertThrows(UserError.class, () -> run(in, tmp.resolve("out-leftout").toString()));
        assertTrue(e.getMessage().startsWith("--input " + in + ": its subfolder warehouse/ holds Parquet files that Spark does not read"),
                e.getMessage());
    }

    /**
     * Found by a probe: a file pyarrow compressed with Brotli ended the run with exit 1 and
     * Hadoop's words ("Class org.apache.hadoop.io.compress.BrotliCodec was not found"), once a
     * task read it. The footers say so first: exit 2, naming the file, the codec and what works.
     */
    @Tag("io")
    @Test
    void align_aFileCompressedWithACodecHadoopLacks_isTheUsersErrorNamingItBeforeAnythingRuns() throws IOException {
        String in = writeInput("brotli", Mode.GLOBAL, false, false);
        java.io.File file = java.util.Arrays.stream(new java.io.File(in).listFiles((d, n) -> n.endsWith(".parquet"))).findFirst().orElseThrow();
        // (no Brotli compressor here either: a snappy file whose footer says BROTLI, which the job never gets to read)
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(file.toURI());
        org.apache.parquet.hadoop.metadata.ParquetMetadata footer;
        try (org.apache.parquet.hadoop.ParquetFileReader r = org.apache.parquet.hadoop.ParquetFileReader.open(
                org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(path, new org.apache.hadoop.conf.Configuration()))) {
            footer = r.getFooter();
        }
        org.apache.parquet.format.FileMetaData meta = new org.apache.parquet.format.converter.ParquetMetadataConverter()
                .toParquetMetadata(1, footer);
        meta.getRow_groups().forEach(g -> g.getColumns().forEach(c -> c.getMeta_data().setCodec(
                org.apache.parquet.format.CompressionCodec.BROTLI)));
        byte[] bytes = Files.readAllBytes(file.toPath());
        int footerLength = java.nio.ByteBuffer.wrap(bytes, bytes.length - 8, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(bytes, 0, bytes.length - 8 - footerLength);
        java.io.ByteArrayOutputStream newFooter = new java.io.ByteArrayOutputStream();
        org.apache.parquet.format.Util.writeFileMetaData(meta, newFooter);
        newFooter.writeTo(out);
        out.write(java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(newFooter.size()).array());
        out.write("PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        Files.write(file.toPath(), out.toByteArray());
        Files.deleteIfExists(file.toPath().resolveSibling("." + file.getName() + ".crc"));
        UserError e = assertThrows(UserError.class, () -> run(in, tmp.resolve("out-brotli").toString()));
        assertTrue(e.getMessage().startsWith("--input " + in + ": ") && e.getMessage().contains(file.getName())
                && e.getMessage().contains("is compressed with BROTLI, which Spark's Parquet reader here cannot decompress")
                && e.getMessage().endsWith("snappy, zstd, gzip, lz4 or no compression"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out-brotli")));
        for (org.apache.parquet.hadoop.metadata.CompressionCodecName codec : org.apache.parquet.hadoop.metadata.CompressionCodecName.values()) {
            boolean lacking = codec == org.apache.parquet.hadoop.metadata.CompressionCodecName.BROTLI
                    || codec == org.apache.parquet.hadoop.metadata.CompressionCodecName.LZO;
            assertEquals(!lacking, InputFooters.decompressible(codec), codec.name());
        }
    }

    /** A directory holding one Parquet file of one row written by parquet-mr (types Spark does not write). */
    private static String writeParquet(String name, org.apache.parquet.schema.MessageType schema,
                                       java.util.function.Consumer<org.apache.parquet.example.data.Group> row) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        org.apache.parquet.example.data.Group g = new org.apache.parquet.example.data.simple.SimpleGroupFactory(schema).newGroup();
        row.accept(g);
        try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> w = org.apache.parquet.hadoop.example.ExampleParquetWriter
                .builder(new org.apache.hadoop.fs.Path(dir.resolve("part-0.parquet").toString())).withType(schema).build()) {
            w.write(g);
        }
        return dir.toString();
    }

    /**
     * Found by a SPEC audit: two columns the job does not read whose names differ in case alone
     * ({@code note} and {@code NOTE}, as pandas can write) failed the whole run, though SPEC
     * section 5 says other columns are ignored; so did a read column named {@code id} in one file
     * and {@code ID} in another, though names match in any case. Both align; a read column twice
     * in one file stays the user's to fix (the test above).
     */
    @Tag("io")
    @Test
    void align_columnsWhoseNamesDifferInCaseAlone_ignoredOnesOrAcrossFiles_align() throws IOException {
        for (boolean notes : new boolean[] {true, false}) {
            java.util.function.Function<String, org.apache.parquet.schema.MessageType> schema = idName -> {
                org.apache.parquet.schema.Types.MessageTypeBuilder b = org.apache.parquet.schema.Types.buildMessage();
                b.required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY)
                        .as(org.apache.parquet.schema.LogicalTypeAnnotation.stringType()).named(idName);
                b.required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32).named("n");
                b.required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32).named("m");
                b.required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY).named("scores");
                if (notes) {
                    b.required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32).named("note");
                    b.required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32).named("NOTE");
                }
                return b.named("pair");
            };
            java.util.function.BiFunction<String, String, java.util.function.Consumer<org.apache.parquet.example.data.Group>> pair =
                    (idName, id) -> g -> {
                        g.add(idName, id);
                        g.add("n", 2);
                        g.add("m", 2);
                        g.add("scores", org.apache.parquet.io.api.Binary.fromConstantByteArray(PairDecoder.pack(new float[12])));
                        if (notes) {
                            g.add("note", 1);
                            g.add("NOTE", 2);
                        }
                    };
            String in = writeParquet("case-names-" + notes, schema.apply("id"), pair.apply("id", "lower"));
            String upper = writeParquet("case-names-upper-id-" + notes, schema.apply("ID"), pair.apply("ID", "upper"));
            Files.move(Path.of(upper, "part-0.parquet"), Path.of(in, "part-1.parquet"));
            String out = tmp.resolve("out-case-names-" + notes).toString();
            JobSummary s = run(in, out);
            assertEquals(2, s.inputRows, "notes " + notes);
            assertEquals(2, s.alignedRows, "notes " + notes);
            assertEquals(java.util.Set.of("lower", "upper"), new java.util.HashSet<>(
                    spark.read().parquet(out + "/marginals").select("id").as(Encoders.STRING()).collectAsList()), "notes " + notes);
        }
    }

    /** Found by a probe: a letter outside ASCII in --input or --output ended the run with "Bad escape". */
    @Tag("io")
    @Test
    void align_pathsWithLettersOutsideAscii_align() throws IOException {
        String in = tmp.resolve("uni-\u00fc").toString();
        TestTables.table(spark, List.of(TestTables.caseRow(ReferenceCase.all().get(0), false)), false).coalesce(1).write().parquet(in);
        String out = tmp.resolve("out sp \u00fc%41").toString();
        assertEquals(1, run(in, out).alignedRows);
        assertTrue(Files.isDirectory(Path.of(out, "marginals")));
    }

    @Tag("io")
    @Test
    void align_outputIsAFile_isRefusedEvenWithOverwriteAndKept() throws IOException {
        String in = writeInput("to-a-file", Mode.GLOBAL, false, false);
        Path file = Files.writeString(tmp.resolve("a-file"), "not a directory");
        for (String[] flags : List.of(new String[0], new String[] {"--overwrite"})) {
            UserError e = assertThrows(UserError.class, () -> run(in, file.toString(), flags));
            assertTrue(e.getMessage().contains("is a file") || e.getMessage().contains("already exists"), e.getMessage());
            assertEquals("not a directory", Files.readString(file));
        }
    }

    /**
     * Found by a newcomer's walk-through: {@code --overwrite} deleted any directory it was
     * given, a mistyped {@code --output} one of the user's own. Now only an earlier output is
     * replaced; a directory holding anything else is refused, naming it, and left whole.
     */
    @Tag("io")
    @Test
    void align_overwriteOfADirectoryThatIsNoOutput_isRefusedAndKept() throws IOException {
        String in = writeInput("overwrite-foreign", Mode.GLOBAL, false, false);
        Path precious = Files.createDirectories(tmp.resolve("precious"));
        Files.writeString(precious.resolve("notes.txt"), "important");
        Files.createDirectories(precious.resolve("sub"));
        UserError e = assertThrows(UserError.class, () -> run(in, precious.toString(), "--overwrite"));
        assertTrue(e.getMessage().contains("--overwrite replaces only an earlier output of align")
                && e.getMessage().contains("holds notes.txt, sub/, which align never writes"), e.getMessage());
        assertEquals("important", Files.readString(precious.resolve("notes.txt")));
        assertTrue(Files.isDirectory(precious.resolve("sub")));

        String out = tmp.resolve("overwrite-own").toString();
        long aligned = run(in, out).alignedRows;
        assertEquals(aligned, run(in, out, "--overwrite").alignedRows, "an earlier output is replaced");
    }

    @Test
    void align_filesWithAndWithoutBandColumns_keepEachRowsOwnLayout() throws IOException {
        List<Row> band = new ArrayList<>();
        List<Row> dense = new ArrayList<>();
        for (ReferenceCase rc : ReferenceCase.all()) {
            if (rc.mode == Mode.GLOBAL) {
                (rc.band == null ? dense : band).add(TestTables.caseRow(rc, true));
            }
        }
        String in = tmp.resolve("mixed-files").toString();
        TestTables.table(spark, band, true).coalesce(1).write().parquet(in);
        TestTables.table(spark, dense, true).drop("diag_lo", "diag_hi").coalesce(1).write().mode("append").parquet(in);
        String out = tmp.resolve("out-mixed-files").toString();
        JobSummary summary = run(in, out);
        assertEquals(band.size() + dense.size(), summary.alignedRows);
        Map<String, Row> got = byId(out + "/marginals");
        for (Row r : band) {
            assertEquals("band", got.get(r.getString(0)).getAs("layout"), r.getString(0));
        }
        // (no --band, no --layout: SPEC section 5's default, dense, for the rows without a band of their own)
        for (ReferenceCase rc : ReferenceCase.all()) {
            if (rc.mode == Mode.GLOBAL && rc.band == null) {
                Row r = got.get(rc.name);
                assertEquals("dense", r.getAs("layout"), rc.name);
                assertEquals(rc.n * rc.m * 3, OutputRows.marginals(r).length, rc.name + ": dense marginals");
            }
        }
    }

    @Tag("io")
    @Test
    void align_upperCaseColumnsAndLengthsAsDoubles_alignWholeLengthsAndRejectFractionalOnes() throws IOException {
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("ID", DataTypes.StringType).add("N", DataTypes.DoubleType).add("M", DataTypes.DoubleType)
                .add("Scores", DataTypes.BinaryType);
        byte[] scores = PairDecoder.pack(new float[2 * 3 * 3]);
        List<Row> rows = List.of(RowFactory.create("whole", 2.0, 3.0, scores), RowFactory.create("fractional", 2.7, 3.0, scores));
        String in = tmp.resolve("doubles").toString();
        spark.createDataFrame(rows, schema).write().parquet(in);
        String out = tmp.resolve("out-doubles").toString();
        JobSummary s = run(in, out);
        assertEquals(1, s.alignedRows);
        Row rejected = spark.read().parquet(out + "/rejected").collectAsList().get(0);
        assertEquals("fractional", rejected.getAs("id"));
        assertTrue(rejected.<String>getAs("error").contains("n is 2.7, not a whole number that fits 32 bits"),
                rejected.<String>getAs("error"));
    }

    /**
     * Found by a probe: a length stored as the string "2.0" was rejected as "n is 2.0, not a
     * whole number that fits 32 bits", though 2.0 is whole (and a double 2.0 aligns). A string
     * is read as the number it spells where that is a whole number that fits.
     */
    @Tag("io")
    @Test
    void align_lengthsAsStrings_wholeNumbersInAnySpellingAlign_othersRejectedNamingTheValue() throws IOException {
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("id", DataTypes.StringType).add("n", DataTypes.StringType).add("m", DataTypes.StringType)
                .add("scores", DataTypes.BinaryType);
        byte[] scores = PairDecoder.pack(new float[2 * 3 * 3]);
        String[] whole = {"2", " 2", "2.0", "2e0", "+2", "20e-1", "\t2.0", "2.0\t", " 2.0\n"};
        String[] not = {"2.5", "3e10", "abc", "NaN", "Infinity", "-2147483649", "", " 2.5 ", "2d", "2F", "0x1p1", "2.0d"};
        List<Row> rows = new ArrayList<>();
        for (String n : whole) {
            rows.add(RowFactory.create("whole " + n, n, "3.000", scores));
        }
        for (String n : not) {
            rows.add(RowFactory.create("not " + n, n, "3", scores));
        }
        String in = tmp.resolve("string-lengths").toString();
        spark.createDataFrame(rows, schema).write().parquet(in);
        String out = tmp.resolve("out-string-lengths").toString();
        JobSummary s = run(in, out);
        assertEquals(whole.length, s.alignedRows);
        assertEquals(whole.length, spark.read().parquet(out + "/marginals").filter("n = 2 and m = 3").count());
        Map<String, String> errors = new HashMap<>();
        spark.read().parquet(out + "/rejected").collectAsList().forEach(r -> errors.put(r.getString(0), r.getString(1)));
        assertEquals(not.length, errors.size(), errors.toString());
        for (String n : not) {
            String shown = n.isEmpty() || !n.equals(n.strip()) ? "'" + n + "'" : n;   // (so that empty text and blanks show)
            assertTrue(errors.get("not " + n).contains("n is " + shown + ", not a whole number that fits 32 bits"), errors.get("not " + n));
        }
    }

    /**
     * Found by a probe: binary ids that are no UTF-8 text became strings of U+FFFD, so that
     * ids 0xff and 0xfe both came out as "\uFFFD", silently one id. They are rejected, each
     * naming its bytes; UTF-8 ids, even ones holding U+FFFD itself, align.
     */
    @Tag("io")
    @Test
    void align_binaryIdsThatAreNoUtf8_rejectedNamingTheirBytes_utf8OnesAlign() throws IOException {
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("id", DataTypes.BinaryType).add("n", DataTypes.IntegerType).add("m", DataTypes.IntegerType)
                .add("scores", DataTypes.BinaryType);
        byte[] scores = PairDecoder.pack(new float[2 * 2 * 3]);
        java.nio.charset.Charset utf8 = java.nio.charset.StandardCharsets.UTF_8;
        List<Row> rows = List.of(RowFactory.create(new byte[] {(byte) 0xff}, 2, 2, scores),
                RowFactory.create(new byte[] {'a', (byte) 0xfe}, 2, 2, scores),
                RowFactory.create("caf\u00e9".getBytes(utf8), 2, 2, scores),
                RowFactory.create("x\uFFFDy".getBytes(utf8), 2, 2, scores));
        String in = tmp.resolve("binary-ids").toString();
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(in);
        String out = tmp.resolve("out-binary-ids").toString();
        JobSummary s = run(in, out);
        assertEquals(2, s.alignedRows);
        assertEquals(java.util.Set.of("caf\u00e9", "x\uFFFDy"), new java.util.HashSet<>(
                spark.read().parquet(out + "/marginals").select("id").as(Encoders.STRING()).collectAsList()));
        List<String> errors = spark.read().parquet(out + "/rejected").select("error").as(Encoders.STRING()).collectAsList();
        assertEquals(2, errors.size());
        for (String bytes : new String[] {"ff", "61fe"}) {
            assertTrue(errors.stream().anyMatch(e -> e.contains("id is not UTF-8 text (its bytes: " + bytes + "); SPEC section 5's ids are"
                    + " strings")), errors.toString());
        }
    }

    /**
     * Found by an adversarial run: a fractional diag_lo was reported as "must both be set", and
     * two fractional bounds made a dense row of a band-layout one. Each value is named.
     */
    @Test
    void align_bandBoundsOrLengthsThatAreNoIntegers_rejectedNamingTheValue() throws IOException {
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("id", DataTypes.StringType).add("n", DataTypes.DoubleType).add("m", DataTypes.LongType)
                .add("scores", DataTypes.BinaryType).add("diag_lo", DataTypes.DoubleType).add("diag_hi", DataTypes.DoubleType);
        byte[] dense = PairDecoder.pack(new float[2 * 2 * 3]);
        List<Row> rows = List.of(RowFactory.create("band-ok", 2.0, 2L, PairDecoder.pack(new float[2 * 3 * 3]), -1.0, 1.0),
                RowFactory.create("lo-half", 2.0, 2L, dense, 0.5, 0.0),
                RowFactory.create("both-half", 2.0, 2L, dense, -0.5, 1.5),
                RowFactory.create("n-huge", 3e10, 2L, dense, null, null),
                RowFactory.create("m-huge", 2.0, 1L << 40, dense, null, null),
                RowFactory.create("dense-ok", 2.0, 2L, dense, null, null));
        String in = tmp.resolve("not-integers").toString();
        spark.createDataFrame(rows, schema).write().parquet(in);
        String out = tmp.resolve("out-not-integers").toString();
        JobSummary s = run(in, out);
        assertEquals(2, s.alignedRows);
        Map<String, String> errors = new HashMap<>();
        spark.read().parquet(out + "/rejected").collectAsList().forEach(r -> errors.put(r.getString(0), r.getString(1)));
        assertEquals(Map.of("lo-half", "diag_lo is 0.5", "both-half", "diag_lo is -0.5", "n-huge", "n is 3.0E10",
                "m-huge", "m is " + (1L << 40)).keySet(), errors.keySet());
        Map.of("lo-half", "diag_lo is 0.5", "both-half", "diag_lo is -0.5", "n-huge", "n is 3.0E10", "m-huge", "m is " + (1L << 40))
                .forEach((id, says) -> assertTrue(errors.get(id).contains(says + ", not a whole number that fits 32 bits"), errors.get(id)));
    }

    @Tag("io")
    @Test
    void readerBatchRows_largeRows_fewerRowsABatch_andAnOutputNameWithACommaWorks() throws IOException {
        List<Row> rows = new ArrayList<>();
        for (int k = 0; k < 3; k++) {   // 12 MB rows: more than a read batch's 8 MiB, so one at a time
            rows.add(TestTables.row("big-" + k, 1000, 1000, new float[1000 * 1000 * 3], null, null, true));
        }
        String in = tmp.resolve("big rows").toString();
        TestTables.table(spark, rows, true).coalesce(1).write().parquet(in);
        AlignJob.Executor executor = AlignJob.executor(spark);
        assertEquals(new AlignJob.Executor(Runtime.getRuntime().maxMemory(), 2), executor);   // (local[2])
        assertEquals(1, AlignJob.readerBatchRows(AlignJob.inputSurvey(spark, spark.read().parquet(in)).largest(), 32, executor));
        assertEquals(32, AlignJob.readerBatchRows(
                AlignJob.inputSurvey(spark, spark.read().parquet(writeInput("small-rows", Mode.GLOBAL, true, false))).largest(), 32, executor));
        // rows of 100 x 100 float scores, 360 kB in the vectors with their levels: 23 fill 8 MiB
        List<Row> arrays = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            arrays.add(TestTables.row("array-" + k, 100, 100, new float[100 * 100 * 3], null, null, false));
        }
        String arrayIn = tmp.resolve("array rows").toString();
        TestTables.table(spark, arrays, false).coalesce(1).write().parquet(arrayIn);
        long budget = AlignJob.readerBatchBytes(Runtime.getRuntime().maxMemory(), 2);
        assertEquals(Math.max(1, Math.min(32, budget / 360_000)),
                AlignJob.readerBatchRows(AlignJob.inputSurvey(spark, spark.read().parquet(arrayIn)).largest(), 32, executor));
        assertTrue(budget < (8 << 20) || AlignJob.readerBatchRows(AlignJob.inputSurvey(spark, spark.read().parquet(arrayIn)).largest(), 32, executor) == 23);
        JobSummary s = run(in, tmp.resolve("out,big").toString(), "--band", "1", "--io-only");
        assertEquals(3, s.alignedRows);
    }

    @Test
    void align_doubleScoresBeyondFloatRange_rejectTheirRowSayingSo_andOthersAlignInFloat() throws IOException {
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("id", DataTypes.StringType).add("n", DataTypes.LongType).add("m", DataTypes.LongType)
                .add("scores", DataTypes.createArrayType(DataTypes.DoubleType, false));
        Double[] fine = new Double[2 * 2 * 3];
        java.util.Arrays.fill(fine, 0.5);
        Double[] huge = fine.clone();
        huge[4] = 1e300;
        Double[] minusInf = fine.clone();
        minusInf[10] = Double.NEGATIVE_INFINITY;   // the diagonal into (1, 1) forbidden, as in float
        List<Row> rows = List.of(RowFactory.create("fine", 2L, 2L, fine), RowFactory.create("huge", 2L, 2L, huge),
                RowFactory.create("minus-inf", 2L, 2L, minusInf));
        String in = tmp.resolve("doubles-wide").toString();
        spark.createDataFrame(rows, schema).write().parquet(in);
        String out = tmp.resolve("out-doubles-wide").toString();
        JobSummary s = run(in, out);
        assertEquals(2, s.alignedRows);
        Row rejected = spark.read().parquet(out + "/rejected").collectAsList().get(0);
        assertEquals("huge", rejected.getAs("id"));
        assertTrue(rejected.<String>getAs("error").contains("1.0E300 (at index 4) is beyond float32's range"),
                rejected.<String>getAs("error"));
    }

    /**
     * An input of fewer row groups than task slots, one of them large (pyarrow's one row group
     * of a file written in one call), is named with what to do; one with a row group a slot, or
     * whose row groups are all small (the bundled sample), is not.
     */
    @Tag("io")
    @Test
    void fewRowGroupsWarning_namesFewLargeRowGroups_only() {
        long large = AlignJob.FEW_ROW_GROUPS_MIN_BYTES;
        assertEquals("the input's 1 file holds 1 row group and Spark reads each row group in one task, so at most 1 of the 16 "
                + "task slots read and write at once: write the input in more, smaller row groups (a few MB each; pyarrow: "
                + "pq.write_table(table, path, row_group_size=ROWS)) or in more files", AlignJob.fewRowGroupsWarning(1, 1, large, 16));
        assertTrue(AlignJob.fewRowGroupsWarning(3, 2, 1L << 30, 4).startsWith("the input's 2 files hold 3 row groups and"));
        assertEquals(null, AlignJob.fewRowGroupsWarning(4, 1, 1L << 30, 4), "a row group a slot");
        assertEquals(null, AlignJob.fewRowGroupsWarning(1, 1, large - 1, 16), "small: seconds of one task at most");
        assertEquals(null, AlignJob.fewRowGroupsWarning(0, 3, 0, 16), "no footer read");
    }

    /**
     * What a task holds while it reads, and how many tasks an executor's heap lets read at once,
     * for the inputs of probes at -Xmx1g that ran out of memory before the reading share, or
     * before it counted rows as Spark's reader holds them.
     */
    @Tag("io")
    @Test
    void taskReadingBytes_rowGroupABatchAndARow_andHowManyTasksReadAtOnce() {
        long heap = 1L << 30;
        // 48 pairs of 800 x 800 float arrays: 76.8 MB row groups, rows of 1.92 million floats (23 MB in
        // the vectors, 15.4 MB as the row buffer holds them), one row a batch
        InputFooters.Sizes p48 = new InputFooters.Sizes(1_920_000 * 12L, 2 * 1_920_000 * 4L, 76_800_000, 10);
        assertEquals(1, AlignJob.readerBatchRows(p48, 32, new AlignJob.Executor(heap, 8)));
        long p48Bytes = AlignJob.taskReadingBytes(p48, 1);
        assertEquals(76_800_000 + 2 * 23_040_000 + 15_360_000, p48Bytes);
        assertEquals(2, AlignJob.readingTasks(p48Bytes, heap));
        // 1000 pairs of 200 x 200 float arrays in local[2]: 133.5 MB row groups, rows of 120,000 floats
        // (1.44 MB in the vectors), 5 a batch (8 MiB), so both tasks read (with 11 rows, 16 MB, only one)
        InputFooters.Sizes p1000 = new InputFooters.Sizes(120_000 * 12L, 2 * 120_000 * 4L, 133_500_000, 278);
        assertEquals(5, AlignJob.readerBatchRows(p1000, 32, new AlignJob.Executor(heap, 2)));
        assertEquals(2, AlignJob.readingTasks(AlignJob.taskReadingBytes(p1000, 5), heap));
        assertEquals(1, AlignJob.readingTasks(AlignJob.taskReadingBytes(p1000, 11), heap));
        assertEquals(1, AlignJob.readingTasks(AlignJob.taskReadingBytes(new InputFooters.Sizes(1, 4, 1L << 40, 0), 32), heap),
                "a row group beyond the whole share: one task at a time");
        assertEquals(69, AlignJob.readingTasks(AlignJob.taskReadingBytes(p1000, 5), 32L << 30), "a 32 GiB executor: 69");
        // 8 pairs of 2000 x 2000 float arrays in local[4]: a task holds 432 MB, more than the share of a
        // 1 GiB heap (which ran out of memory), less than that of a 1.5 GiB heap (which aligned them)
        InputFooters.Sizes p8 = new InputFooters.Sizes(12_000_000 * 12L, 2 * 12_000_000 * 4L, 48_000_000, 1);
        long p8Bytes = AlignJob.taskReadingBytes(p8, AlignJob.readerBatchRows(p8, 32, new AlignJob.Executor(heap, 4)));
        assertEquals(432_000_000, p8Bytes);
        assertTrue(p8Bytes > AlignJob.readingShareBytes(heap));
        assertEquals(1536L << 20, AlignJob.heapForReading(p8Bytes));
        assertTrue(p8Bytes <= AlignJob.readingShareBytes(AlignJob.heapForReading(p8Bytes) - (AlignJob.heapForReading(p8Bytes) >> 5)),
                "room for a usable heap a little under -Xmx");
        // what the job warns of: nothing where all slots read at once, turns, a heap too small
        assertEquals(null, AlignJob.readingWarning(p1000, 5, new AlignJob.Executor(heap, 2), false));
        String turns = AlignJob.readingWarning(p48, 1, new AlignJob.Executor(heap, 8), false);
        assertTrue(turns.startsWith("the input's row groups take up to 76.8 MB as stored and a task holds about 138.2 MB while "
                + "it reads them") && turns.contains(": a 1024 MiB heap holds 2 task(s) reading at once, so at most that many of "
                + "an executor's 8 task slots read while the others wait"), turns);
        String tooSmall = AlignJob.readingWarning(p8, 1, new AlignJob.Executor(heap, 4), false);
        assertTrue(tooSmall.contains("a task holds about 432.0 MB while it reads them") && tooSmall.contains(", more than the 409 "
                + "MiB of this 1024 MiB heap that its batches of pairs leave, so executors may run out of memory: where they do, "
                + "give them 1536 MiB (spark.executor.memory;"), tooSmall);
        assertEquals(null, AlignJob.readingWarning(p8, 1, new AlignJob.Executor(1536L << 20, 1), false));
        // as binary, 336 MB: past the reading share, so one task reads at a time, but within what the batches leave
        InputFooters.Sizes p8Binary = new InputFooters.Sizes(48_000_000, 4 * 48_000_000L, 48_000_000, 1);
        assertEquals(336_000_000, AlignJob.taskReadingBytes(p8Binary, 1));
        String alone = AlignJob.readingWarning(p8Binary, 1, new AlignJob.Executor(heap, 4), false);
        assertTrue(alone.endsWith(": a 1024 MiB heap holds 1 task(s) reading at once, so at most that many of an executor's 4 "
                + "task slots read while the others wait (give the executors more memory, or write the input in smaller row groups)"),
                alone);
        // a read batch never spans two row groups: a session's 4096 rows count as a row group's 278
        assertEquals(AlignJob.taskReadingBytes(p1000, 278), AlignJob.taskReadingBytes(p1000, 4096));
        assertEquals(133_500_000 + 2 * 278 * 1_440_000L + 960_000, AlignJob.taskReadingBytes(p1000, 4096));
        assertEquals(48_000_000 + 2 * 4096 * 1L + 4, AlignJob.taskReadingBytes(new InputFooters.Sizes(1, 4, 48_000_000, 0), 4096),
                "row groups' rows unknown: the batch as given");
        // read a page at a time: Spark's batches hold no scores, so the row group (here as the footers' survey would give
        // it for a binary, read whole) and a row twice (its page and its copy)
        assertEquals(133_500_000 + 960_000, AlignJob.taskReadingBytes(p1000.readByPage(), AlignJob.PAGE_READER_BATCH_ROWS));
        assertEquals(76_800_000 + 15_360_000, AlignJob.taskReadingBytes(p48.readByPage(), AlignJob.PAGE_READER_BATCH_ROWS));
        assertEquals(null, AlignJob.readingWarning(p48.readByPage(), AlignJob.PAGE_READER_BATCH_ROWS, new AlignJob.Executor(heap, 2), true),
                "48 pairs of 800 x 800: both tasks read at once (before, one at a time)");
        String byPage = AlignJob.readingWarning(p48.readByPage(), AlignJob.PAGE_READER_BATCH_ROWS, new AlignJob.Executor(heap, 8), true);
        assertTrue(byPage.contains("about 92.2 MB while it reads them (a row group's other columns whole, as parquet-mr reads "
                + "them, its scores a page at a time (binary scores in the DELTA encodings counted whole: the footer bounds none of "
                + "their pages), and a row of scores twice: its page and its copy): a 1024 MiB heap holds 3 "
                + "task(s) reading at once"), byPage);
    }

    @Tag("io")
    @Test
    void inputFooters_largestRowBytes_findsTheLargestRowsAndSizesTheReadBatches() {
        Random rnd = new Random(5);
        String in = tmp.resolve("footers with space%41").toString();   // (inputFiles() gives these percent-encoded)
        for (int n : new int[] {10, 50, 20}) {   // a file of small rows, one of large ones, ...
            List<Row> rows = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                float[] scores = new float[n * n * 3];
                for (int q = 0; q < scores.length; q++) {
                    scores[q] = rnd.nextFloat();
                }
                rows.add(TestTables.row("r" + n + "-" + k, n, n, scores, null, null, true));
            }
            TestTables.table(spark, rows, true).coalesce(1).write().mode("append").parquet(in);
        }
        InputFooters.Sizes sizes = InputFooters.survey(spark.read().parquet(in).inputFiles(), "scores", InputColumns.READ,
                spark.sparkContext().hadoopConfiguration(), false).largest();
        long bytes = sizes.rowVectorBytes();   // (binary scores: their bytes)
        assertTrue(bytes >= 50 * 50 * 3 * 4 && bytes < 50 * 50 * 3 * 4 + 1000, Long.toString(bytes));
        assertEquals(4 * bytes, sizes.rowCopyBytes());
        assertEquals(32, InputFooters.batchRows(sizes.rowVectorBytes(), 32, AlignJob.READER_BATCH_BYTES));
        assertEquals(8, InputFooters.batchRows(30_000, 32, 8 * 30_000 + 1));
        assertEquals(1, InputFooters.batchRows(69_120_000 * 3, 32, AlignJob.READER_BATCH_BYTES));   // 2400 x 2400
        assertEquals(2, InputFooters.batchRows(3_600_000, 32, AlignJob.READER_BATCH_BYTES));        // 3.6 MB rows
        assertEquals(32, InputFooters.batchRows(0, 32, AlignJob.READER_BATCH_BYTES));              // no footer read
        // a read batch is 3% of the heap over the task slots, at most 8 MiB
        assertEquals(8L << 20, AlignJob.readerBatchBytes(8L << 30, 2));
        assertEquals((long) ((1L << 30) * 0.03) / 8, AlignJob.readerBatchBytes(1L << 30, 8));
        assertEquals(4, InputFooters.batchRows(1_000_000, 32, AlignJob.readerBatchBytes(1L << 30, 8)));   // 4 MB in local[8], 1 GiB
    }

    /**
     * Found by a scale tester: four or eight tasks of a 512 MiB heap, aligning 600 pairs of 300 x
     * 300, ran it out of memory (each task gathered 4 million cells before its batch took its part
     * of the heap, and buffered a 128 MB output row group). Batches and row groups are sized from
     * the executor's heap over its task slots where that is small; a large heap keeps the defaults,
     * and a row group size the user set is theirs.
     */
    @Test
    void taskBatchesAndOutputRowGroups_smallHeapsManySlots_smaller_largeHeapsAsAsked() {
        AlignJob.Executor small = new AlignJob.Executor(512L << 20, 8);
        assertEquals((long) ((512L << 20) * 0.6) / 8 / 60, AlignJob.taskBatchCells(4_000_000, small));
        assertEquals(1000, AlignJob.taskBatchCells(1000, small), "a batch asked smaller stays so");
        assertEquals(4_000_000, AlignJob.taskBatchCells(4_000_000, new AlignJob.Executor(16L << 30, 4)));
        assertEquals(1, AlignJob.taskBatchCells(4_000_000, new AlignJob.Executor(1000, 1000)), "at least a pair a batch");
        assertEquals((long) ((512L << 20) * 0.1) / 8, AlignJob.outputRowGroupBytes(small, null));
        assertEquals(0, AlignJob.outputRowGroupBytes(small, "4000000"), "the user's own setting");
        assertEquals(0, AlignJob.outputRowGroupBytes(new AlignJob.Executor(16L << 30, 4), null), "Parquet's default: 128 MB");
        assertEquals(1L << 20, AlignJob.outputRowGroupBytes(new AlignJob.Executor(64L << 20, 64), null), "at least 1 MiB");
        org.apache.spark.SparkConf conf = new org.apache.spark.SparkConf(false);
        assertEquals(1, AlignJob.clusterSlots(conf), "spark.executor.cores unset: one");
        conf.set("spark.executor.cores", "8").set("spark.task.cpus", "2");
        assertEquals(4, AlignJob.clusterSlots(conf));
        conf.set(TaskGpu.EXECUTOR_GPU_AMOUNT, "1").set(TaskGpu.TASK_GPU_AMOUNT, "1");
        assertEquals(1, AlignJob.clusterSlots(conf), "one GPU, a GPU a task: one task at once");
        conf.set(TaskGpu.TASK_GPU_AMOUNT, "0.25");
        assertEquals(4, AlignJob.clusterSlots(conf), "four tasks a GPU, and cores for four");
        conf.set(TaskGpu.EXECUTOR_GPU_AMOUNT, "2");
        assertEquals(4, AlignJob.clusterSlots(conf), "GPUs for eight, cores for four");
    }

    @Test
    void align_failFastOnBadRow_failsAndLeavesNoOutput() {
        String in = writeInput("failfast", Mode.GLOBAL, false, true);
        Path out = tmp.resolve("out-failfast");
        Exception e = assertThrows(Exception.class, () -> run(in, out.toString(), "--fail-fast"));
        String chain = chain(e);
        assertTrue(chain.contains("--fail-fast"), chain);
        assertTrue(Files.notExists(out), "no partial output");
    }

    @Test
    void align_backendCudaWithoutGpu_failsSayingWhatIsMissing() {
        String why = null;
        try {
            org.bandalign.cuda.CudaAligner.deviceCount();
        } catch (org.bandalign.cuda.CudaUnavailableException e) {
            why = e.getMessage();
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(why != null, "a GPU is present");
        String in = writeInput("cuda-missing", Mode.GLOBAL, false, false);
        Path out = tmp.resolve("out-cuda-missing");
        Exception e = assertThrows(Exception.class, () -> run(in, out.toString(), "--backend", "cuda"));
        String chain = chain(e);
        assertTrue(chain.contains("--backend cuda: no CUDA"), chain);
        assertTrue(Files.notExists(out), "no partial output");
    }

    @Tag("io")
    @Test
    void align_inputWithoutScoresColumn_failsNamingIt() {
        String in = tmp.resolve("noscores").toString();
        spark.range(3).selectExpr("cast(id as string) as id", "1 as n", "1 as m").write().parquet(in);
        UserError e = assertThrows(UserError.class, () -> run(in, tmp.resolve("o-noscores").toString()));
        assertTrue(e.getMessage().contains("no column 'scores'"), e.getMessage());
    }

    @Tag("io")
    @Test
    void align_inputWithDiagLoButNoDiagHi_failsSayingBothAreNeeded() {
        String in = tmp.resolve("halfband").toString();
        spark.range(3).selectExpr("cast(id as string) as id", "1 as n", "1 as m", "array(0f, 0f, 0f) as scores", "0 as diag_lo")
                .write().parquet(in);
        UserError e = assertThrows(UserError.class, () -> run(in, tmp.resolve("o-halfband").toString()));
        assertTrue(e.getMessage().contains("has column 'diag_lo' but not 'diag_hi'"), e.getMessage());
    }

    private static String chain(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t.getMessage()).append(" | ");
        }
        return sb.toString();
    }
}
