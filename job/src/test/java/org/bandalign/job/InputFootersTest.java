package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The input's row sizes from Parquet footers: rounded up, file by file, every file's footer read. */
class InputFootersTest {
    @TempDir
    Path tmp;

    /** A file of one row of {@code bytes} scores bytes; returns its URI and the scores column chunk's size. */
    private String[] oneRowFile(String name, int bytes) throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m { required binary scores; required int32 n; }");
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(tmp.resolve(name).toUri());
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(path).withType(schema).withConf(new Configuration()).build()) {
            w.write(new SimpleGroupFactory(schema).newGroup().append("scores", Binary.fromConstantByteArray(new byte[bytes])).append("n", 7));
        }
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(path, new Configuration()))) {
            return new String[] {path.toUri().toString(),
                Long.toString(r.getFooter().getBlocks().get(0).getColumns().get(0).getTotalUncompressedSize())};
        }
    }

    @Test
    void largestRowBytes_oneBinaryRow_isItsScoresChunkExactly_copiedFourTimesItsSize_otherColumnsNotCounted() throws IOException {
        String[] file = oneRowFile("one.parquet", 1000);
        long chunk = Long.parseLong(file[1]);
        assertTrue(chunk >= 1000, "the chunk holds the row's 1000 bytes: " + chunk);
        InputFooters.Sizes sizes = largest(new String[] {file[0]}, "scores", List.of("scores"), new Configuration());
        assertEquals(chunk, sizes.rowVectorBytes());
        assertEquals(4 * chunk, sizes.rowCopyBytes(), "the page, getBinary's copy, the row buffer grown to twice the value");
        assertEquals(chunk, largest(new String[] {file[0]}, "SCORES", List.of("scores"), new Configuration()).rowVectorBytes(), "any case");
    }

    /**
     * An array row is counted by its elements, as the reader's vectors hold them (the value and
     * two 4-byte levels each), not by its encoded size: scores of a few distinct values, which
     * Parquet stores as a dictionary in a fraction of a byte each, take as much memory to read.
     */
    @Test
    void largest_arrayRows_areTheirElementsWithTheirLevels_whateverTheEncoding_doublesWider_castsBoxed_floatsReadAsDoublesWider() throws IOException {
        for (String element : new String[] {"float", "double", "int32", "int64"}) {
            MessageType schema = MessageTypeParser.parseMessageType("message m { required binary id (UTF8); required group scores (LIST) { "
                    + "repeated group list { required " + element + " element; } } }");
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(tmp.resolve("arrays-" + element + ".parquet").toUri());
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(path).withType(schema).withConf(new Configuration())
                    .withDictionaryEncoding(true).build()) {
                for (int r = 0; r < 3; r++) {   // rows of 30,000 scores of 4 distinct values
                    Group g = new SimpleGroupFactory(schema).newGroup().append("id", "r" + r);
                    Group list = g.addGroup("scores");
                    for (int k = 0; k < 30_000; k++) {
                        Group e = list.addGroup("list");
                        switch (element) {
                            case "float" -> e.append("element", (float) (k % 4));
                            case "double" -> e.append("element", (double) (k % 4));
                            case "int32" -> e.append("element", k % 4);
                            default -> e.append("element", (long) (k % 4));
                        }
                    }
                    w.write(g);
                }
            }
            long encoded;
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(path, new Configuration()))) {
                encoded = r.getFooter().getBlocks().get(0).getColumns().get(1).getTotalUncompressedSize();
            }
            InputFooters.Sizes sizes = largest(new String[] {path.toUri().toString()}, "scores", InputColumns.READ,
                    new Configuration());
            int width = element.equals("float") || element.equals("int32") ? 4 : 8;
            long boxed = element.equals("float") || element.equals("double") ? 0 : 30_000L * InputFooters.BOXED_BYTES;
            assertEquals(30_000L * (width + InputFooters.LEVEL_BYTES), sizes.rowVectorBytes(), element);
            assertEquals(2 * 30_000L * width + boxed, sizes.rowCopyBytes(), element + ": the row buffer, twice the row in "
                    + (width == 4 ? "floats" : "doubles") + (boxed > 0 ? ", and the cast's boxed elements" : ""));
            assertEquals(3, sizes.rowGroupRows());
            assertEquals(3 * 30_000L, sizes.rowGroupScores(), element);
            assertEquals(2 * (width + InputFooters.LEVEL_BYTES) + 2 * width + boxed / 30_000, sizes.scoreReadBytes(),
                    element + ": a score's part of the vectors grown to twice the row, and of the copy");
            assertTrue(encoded < 3 * 30_000L * width / 4, element + " as a dictionary: " + encoded + " bytes for 3 rows");
            if (element.equals("float")) {   // beside files of doubles, Spark reads it as doubles
                InputFooters.Sizes asDoubles = InputFooters.survey(new String[] {path.toUri().toString()}, "scores",
                        InputColumns.READ, new Configuration(), true).largest();
                assertEquals(30_000L * (8 + InputFooters.LEVEL_BYTES), asDoubles.rowVectorBytes());
                assertEquals(2 * 30_000L * 8, asDoubles.rowCopyBytes());
                assertEquals(2 * (8 + InputFooters.LEVEL_BYTES) + 2 * 8, asDoubles.scoreReadBytes());
            }
        }
    }

    /**
     * A row group's largest row is bounded by the statistics of its lengths and band, {@code n *
     * max(m, diag_hi - diag_lo + 1) * 3} at their largest, where that says less than all its
     * scores; lengths without numeric statistics (strings) leave the scores' count.
     */
    @Test
    void largest_rowGroupScores_boundedByTheLengthsAndBandStatistics_elseAllTheScores() throws IOException {
        int[][] rows = {{10, 20, Integer.MIN_VALUE, 0}, {30, 8, -25, 3}, {4, 4, -1, 1}};   // n, m, diag_lo, diag_hi (MIN: dense)
        String[][] variants = {   // the lengths' type, the band's, and the bound expected (0: none, all the scores)
            {"int32", "int32", Long.toString(30 * 29 * 3)},
            {"int64", "none", Long.toString(30 * 20 * 3)},
            {"double", "int32", Long.toString(30 * 29 * 3)},
            {"binary", "int32", "0"},   // (strings: no numeric statistics)
            {"int32", "all-null", Long.toString(30 * 20 * 3)},
        };
        for (String[] v : variants) {
            String band = v[1].equals("none") ? "" : " optional int32 diag_lo; optional int32 diag_hi;";
            MessageType schema = MessageTypeParser.parseMessageType("message m { required binary id (UTF8); optional " + v[0] + " N;"
                    + " optional " + v[0] + " m;" + band + " optional binary scores; }");
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(tmp.resolve("shapes-" + v[0] + "-" + v[1] + ".parquet").toUri());
            long scores = 0;
            java.util.Random random = new java.util.Random(1);
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(path).withType(schema).withConf(new Configuration()).build()) {
                for (int copy = 0; copy < 3; copy++) {   // (so that all the scores are more than the largest row's)
                    for (int[] r : rows) {
                        boolean dense = r[2] == Integer.MIN_VALUE || !v[1].equals("int32");
                        Group g = new SimpleGroupFactory(schema).newGroup().append("id", "r");
                        for (int k = 0; k < 2; k++) {
                            String column = k == 0 ? "N" : "m";
                            switch (v[0]) {
                                case "int32" -> g.append(column, r[k]);
                                case "int64" -> g.append(column, (long) r[k]);
                                case "double" -> g.append(column, (double) r[k]);
                                default -> g.append(column, Integer.toString(r[k]));
                            }
                        }
                        if (!dense) {
                            g.append("diag_lo", r[2]).append("diag_hi", r[3]);
                        }
                        int width = dense ? r[1] : r[3] - r[2] + 1;
                        scores += 3L * r[0] * width;
                        byte[] b = new byte[4 * 3 * r[0] * width];
                        random.nextBytes(b);   // (distinct: no dictionary, which would shrink the chunk)
                        w.write(g.append("scores", Binary.fromConstantByteArray(b)));
                    }
                }
            }
            long bound = Long.parseLong(v[2]);
            InputFooters.Sizes sizes = largest(new String[] {path.toUri().toString()}, "scores", InputColumns.READ,
                    new Configuration());
            if (bound > 0) {
                assertTrue(bound < scores, String.join(" ", v));
                assertEquals(bound, sizes.rowGroupScores(), String.join(" ", v));
            } else {
                assertTrue(sizes.rowGroupScores() >= scores && sizes.rowGroupScores() < scores + 64,
                        String.join(" ", v) + ": " + sizes.rowGroupScores() + " for " + scores + " scores and their lengths");
            }
            assertEquals(24 * sizes.rowGroupScores(), sizes.largestRowReadBytes(), String.join(" ", v));
        }
    }

    @Test
    void largest_rowGroups_areTheReadColumnsAsStored_theLargestGroup_otherColumnsNotCounted() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType(
                "message m { required binary Scores; required int32 n; required binary notes; }");
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(tmp.resolve("groups.parquet").toUri());
        java.util.Random rnd = new java.util.Random(3);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(path).withType(schema).withConf(new Configuration())
                .withRowGroupSize(100_000).withCompressionCodec(org.apache.parquet.hadoop.metadata.CompressionCodecName.SNAPPY).build()) {
            for (int k = 0; k < 400; k++) {   // random scores (incompressible) and repetitive notes, in groups of 100 rows
                byte[] scores = new byte[2000 + 10 * k];
                rnd.nextBytes(scores);
                w.write(new SimpleGroupFactory(schema).newGroup().append("Scores", Binary.fromConstantByteArray(scores))
                        .append("n", k).append("notes", Binary.fromConstantByteArray(new byte[5000])));
            }
        }
        long largestGroup = 0;
        long largestRow = 0;
        long mostRows = 0;
        long mostScores = 0;
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(path, new Configuration()))) {
            assertTrue(r.getFooter().getBlocks().size() > 3, "row groups: " + r.getFooter().getBlocks().size());
            for (org.apache.parquet.hadoop.metadata.BlockMetaData b : r.getFooter().getBlocks()) {
                largestGroup = Math.max(largestGroup, b.getColumns().get(0).getTotalSize() + b.getColumns().get(1).getTotalSize());
                largestRow = Math.max(largestRow, (b.getColumns().get(0).getTotalUncompressedSize() + b.getRowCount() - 1) / b.getRowCount());
                mostRows = Math.max(mostRows, b.getRowCount());
                mostScores = Math.max(mostScores, b.getColumns().get(0).getTotalUncompressedSize() / 4);
                assertTrue(b.getColumns().get(2).getTotalSize() < b.getColumns().get(2).getTotalUncompressedSize() / 10,
                        "notes compress; what is read is their stored size");
            }
        }
        InputFooters.Sizes sizes = largest(new String[] {path.toUri().toString()}, "scores", InputColumns.READ,
                new Configuration());
        long groups;
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(path, new Configuration()))) {
            groups = r.getFooter().getBlocks().size();
        }
        assertEquals(new InputFooters.Sizes(largestRow, 4 * largestRow, largestGroup, mostRows, mostScores, 24)
                .withPageReadable(true).withRowGroups(groups), sizes, "binary scores: the job's reader reads them");
        assertEquals(mostScores * 24, sizes.largestRowReadBytes(), "one row holding all of a row group's scores");
        assertTrue(largestRow >= 5000 && largestGroup >= 100 * 5000, largestRow + " " + largestGroup);
    }

    /**
     * Float lists in one large row group (as pyarrow writes a file of a few thousand tensors):
     * read a page at a time, a task holds the other columns as stored and a page of the scores
     * (twice an average row's stored scores and {@link InputFooters#STREAMED_PAGE_BYTES}), not
     * the scores' chunk; read whole (Spark's reader), the row group as stored.
     */
    @Test
    void largest_floatListsInOneLargeRowGroup_pagedGroupBytes_theOtherColumnsAndAPage() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType(
                "message m { optional group scores (LIST) { repeated group list { required float element; } } required int32 n; }");
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(tmp.resolve("one-group.parquet").toUri());
        java.util.Random random = new java.util.Random(9);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(path).withType(schema).withConf(new Configuration())
                .withDictionaryEncoding(false).withRowGroupSize(1L << 30).build()) {
            for (int k = 0; k < 1500; k++) {
                Group g = new SimpleGroupFactory(schema).newGroup().append("n", k);
                Group list = g.addGroup("scores");
                for (int e = 0; e < 5000; e++) {
                    list.addGroup("list").append("element", random.nextFloat());
                }
                w.write(g);
            }
        }
        long scores;
        long n;
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(path, new Configuration()))) {
            assertEquals(1, r.getFooter().getBlocks().size());
            scores = r.getFooter().getBlocks().get(0).getColumns().get(0).getTotalSize();
            n = r.getFooter().getBlocks().get(0).getColumns().get(1).getTotalSize();
        }
        InputFooters.Sizes sizes = largest(new String[] {path.toUri().toString()}, "scores", InputColumns.READ, new Configuration());
        assertTrue(scores > 20_000_000, "scores as stored: " + scores);
        assertEquals(scores + n, sizes.rowGroupBytes());
        long page = 2 * ((scores + 1499) / 1500) + InputFooters.STREAMED_PAGE_BYTES;
        assertEquals(n + page, sizes.pagedGroupBytes());
        assertEquals(n + page, sizes.readByPage().rowGroupBytes(), "what a task reading by page holds of the row group");
        assertTrue(sizes.pageReadable());
    }

    /**
     * Binary scores in one large row group: read a page at a time ({@link BinaryChunk}), so
     * counted as a list is, a page and two rows (and a dictionary kept on the heap, where the
     * chunk has one); but counted whole, as stored, in the DELTA encodings that parquet-mr writes
     * binaries in version-2 pages, or where pages' CRCs are verified: a page is then read whole,
     * and the footer bounds no page (pyarrow ends a page only after a batch of 1024 values).
     */
    @Test
    void largest_binariesInOneLargeRowGroup_countAPageAndTwoRows_orWholeInDeltaEncodings() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m { optional binary scores; required int32 n; }");
        for (org.apache.parquet.column.ParquetProperties.WriterVersion version
                : org.apache.parquet.column.ParquetProperties.WriterVersion.values()) {
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(tmp.resolve("one-binary-group-" + version + ".parquet").toUri());
            java.util.Random random = new java.util.Random(11);
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(path).withType(schema).withConf(new Configuration())
                    .withWriterVersion(version).withRowGroupSize(1L << 30).build()) {
                for (int k = 0; k < 1500; k++) {
                    byte[] scores = new byte[20_000];
                    random.nextBytes(scores);
                    w.write(new SimpleGroupFactory(schema).newGroup().append("n", k).append("scores", Binary.fromConstantByteArray(scores)));
                }
            }
            long scores;
            long n;
            boolean delta;
            boolean dictionary;
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(path, new Configuration()))) {
                assertEquals(1, r.getFooter().getBlocks().size());
                org.apache.parquet.hadoop.metadata.ColumnChunkMetaData chunk = r.getFooter().getBlocks().get(0).getColumns().get(0);
                scores = chunk.getTotalSize();
                n = r.getFooter().getBlocks().get(0).getColumns().get(1).getTotalSize();
                delta = chunk.getEncodings().contains(org.apache.parquet.column.Encoding.DELTA_BYTE_ARRAY);
                dictionary = chunk.getEncodingStats().hasDictionaryPages();
            }
            assertEquals(version == org.apache.parquet.column.ParquetProperties.WriterVersion.PARQUET_2_0, delta, version.toString());
            InputFooters.Sizes sizes = largest(new String[] {path.toUri().toString()}, "scores", InputColumns.READ, new Configuration());
            assertTrue(scores > 20_000_000, "as stored: " + scores);
            assertEquals(scores + n, sizes.rowGroupBytes());
            long paged = delta ? scores : 2 * ((scores + 1499) / 1500) + InputFooters.STREAMED_PAGE_BYTES
                    + (dictionary ? BinaryChunk.HELD_DICTIONARY_BYTES : 0);
            assertEquals(n + paged, sizes.pagedGroupBytes(), version.toString());
            assertEquals(n + paged, sizes.readByPage().rowGroupBytes(), "what a task reading by page holds of the row group");
            assertTrue(sizes.pageReadable());
            assertEquals(1, sizes.rowGroups(), "one row group: one task reads it");
            Configuration verified = new Configuration();
            verified.setBoolean(org.apache.parquet.hadoop.ParquetInputFormat.PAGE_VERIFY_CHECKSUM_ENABLED, true);
            assertEquals(n + scores, largest(new String[] {path.toUri().toString()}, "scores", InputColumns.READ, verified)
                    .pagedGroupBytes(), version + ": pages whose CRCs are verified are read whole, so the chunk counts whole");
        }
    }

    /** Every file's footer is read, however many: the one file with a large row shows wherever it lies. */
    @Test
    void survey_manyFiles_readsEveryFooter_inOrder() throws IOException {
        String[] real = oneRowFile("real.parquet", 5000);
        long chunk = Long.parseLong(real[1]);
        String[] files = new String[301];
        for (int k = 0; k < files.length; k++) {
            files[k] = k == 297 ? real[0] : tmp.resolve("missing-" + k + ".parquet").toUri().toString();
        }
        InputFooters.Survey survey = quietly(() -> InputFooters.survey(files, "scores", List.of("scores"), new Configuration(), false));
        assertEquals(chunk, survey.largest().rowVectorBytes());
        assertEquals(List.of(real[0]), survey.filesWhere(s -> s.rowVectorBytes() > 0));
        assertEquals(List.of(files), survey.files());
    }

    /**
     * An input of more files than the driver reads has its footers read by a Spark job, with the
     * same sizes, file for file, as the driver would find (an unreadable file: nothing known).
     */
    @Test
    void survey_moreFilesThanTheDriverReads_readBySpark_sameSizesFileForFile() throws IOException {
        List<String> files = new java.util.ArrayList<>();
        for (int k = 0; k < 7; k++) {
            files.add(k == 3 ? tmp.resolve("missing.parquet").toUri().toString() : oneRowFile("f" + k + ".parquet", 100 + 900 * k)[0]);
        }
        String[] all = files.toArray(new String[0]);
        InputFooters.Survey onDriver = quietly(() -> InputFooters.survey(all, "scores", List.of("scores", "n"), new Configuration(), false));
        org.apache.spark.sql.SparkSession spark = TestTables.localSpark("InputFootersTest");
        try {
            org.apache.spark.api.java.JavaSparkContext sc = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext());
            for (int driverFiles : new int[] {0, 2, 6}) {
                InputFooters.Survey bySpark = quietly(() -> InputFooters.survey(sc, all, "scores", List.of("scores", "n"),
                        new Configuration(), false, driverFiles));
                assertEquals(onDriver, bySpark, "the driver reads at most " + driverFiles);
            }
            assertEquals(InputFooters.UNKNOWN, onDriver.sizes().get(3));
            assertEquals(6, onDriver.filesWhere(s -> s.rowVectorBytes() > 0).size());
            assertEquals(6, onDriver.rowGroups(), "a row group in each readable file");
            assertTrue(onDriver.sizes().get(6).pageReadable(), "binary scores: the job's reader reads them");
            assertEquals(onDriver.sizes().get(6).withPageReadable(false), onDriver.largest(),
                    "the largest sizes; with an unreadable footer, not the job's reader");
        } finally {
            spark.stop();
        }
    }

    /** {@code read} with the footers' warnings of missing files kept out of the build's log. */
    private static <T> T quietly(java.util.function.Supplier<T> read) {
        org.apache.logging.log4j.Level was = org.apache.logging.log4j.LogManager.getLogger(InputFooters.class).getLevel();
        org.apache.logging.log4j.core.config.Configurator.setLevel(InputFooters.class.getName(), org.apache.logging.log4j.Level.ERROR);
        try {
            return read.get();
        } finally {
            org.apache.logging.log4j.core.config.Configurator.setLevel(InputFooters.class.getName(), was);
        }
    }

    private static InputFooters.Sizes largest(String[] files, String scores, List<String> read, Configuration conf) {
        return InputFooters.survey(files, scores, read, conf, false).largest();
    }
}
