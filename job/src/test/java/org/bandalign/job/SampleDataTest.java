package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** data/sample is exactly what the documented {@code generate --sample} command writes. */
class SampleDataTest {
    @TempDir
    Path tmp;

    @Test
    void generateSample_writesExactlyTheBundledSample() {
        Path bundled = Paths.get("..", "data", "sample").toAbsolutePath().normalize();
        assertTrue(Files.isDirectory(bundled), "bundled sample at " + bundled);
        try {   // (generate's mark, empty as _SUCCESS: the README's generate --sample --overwrite replaces it)
            assertEquals(0, Files.size(bundled.resolve(OutputPlace.GENERATED_MARK)), "data/sample's mark");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String fresh = tmp.resolve("sample").toString();
        assertEquals(0, BandAlign.run("generate", "--sample", "--output", fresh, "--master", "local[2]"));
        SparkSession spark = SparkSession.builder().master("local[2]").appName("SampleDataTest").getOrCreate();
        try {
            org.apache.spark.sql.Dataset<Row> bundledRows = spark.read().parquet(bundled.toString());
            org.apache.spark.sql.Dataset<Row> freshRows = spark.read().parquet(fresh);
            assertEquals(bundledRows.schema(), freshRows.schema(), "the same columns");
            Map<String, Row> a = byId(bundledRows.collectAsList());
            Map<String, Row> b = byId(freshRows.collectAsList());
            assertEquals(a.keySet(), b.keySet());
            assertTrue(a.containsKey("seed-example") && a.containsKey("HBA_HUMAN-vs-HBB_HUMAN"), a.keySet().toString());
            for (String id : a.keySet()) {
                Row x = a.get(id);
                Row y = b.get(id);
                assertEquals(x.<Integer>getAs("n"), y.<Integer>getAs("n"), id);
                assertEquals(x.<Integer>getAs("m"), y.<Integer>getAs("m"), id);
                assertEquals(x.<Integer>getAs("diag_lo"), y.<Integer>getAs("diag_lo"), id);
                assertArrayEquals(x.getList(x.fieldIndex("scores")).toArray(), y.getList(y.fieldIndex("scores")).toArray(), id);
                for (String column : bundledRows.columns()) {   // (every other column too: diag_hi, source, ...)
                    if (!column.equals("scores")) {
                        assertEquals((Object) x.getAs(column), y.getAs(column), id + ": " + column);
                    }
                }
            }
            assertTrue(a.size() >= 40 && bundledBytes(bundled) < 10 << 20, "sample size");
        } finally {
            spark.stop();
        }
    }

    @Test
    void generate_partitionsWithTheSeedExample_writesThatManyFiles() throws java.io.IOException {
        String out = tmp.resolve("generated").toString();
        assertEquals(0, BandAlign.run("generate", "--output", out, "--pairs", "6", "--min-len", "2", "--max-len", "5",
                "--seed-example", "--partitions", "2", "--master", "local[2]"));
        try (var files = Files.list(Paths.get(out))) {
            assertEquals(2, files.filter(f -> f.getFileName().toString().endsWith(".parquet")).count(), "--partitions 2: two files");
        }
        SparkSession spark = SparkSession.builder().master("local[2]").appName("SampleDataTest").getOrCreate();
        try {
            assertEquals(7, spark.read().parquet(out).count(), "6 pairs and the seed example");
        } finally {
            spark.stop();
        }
    }

    @Test
    void generate_writesScoresWithoutADictionary() throws java.io.IOException {
        // band-layout rows of 2 to 5 in a band of 17 diagonals: mostly the 0s outside the
        // pair, which Parquet would keep in a dictionary if the writer tried one; generate
        // writes scores plain, as random scores hardly repeat (and so are ids, each row's own)
        String out = tmp.resolve("generated-band").toString();
        assertEquals(0, BandAlign.run("generate", "--output", out, "--pairs", "20", "--min-len", "2", "--max-len", "5",
                "--band-fraction", "1", "--band-width", "8", "--partitions", "1", "--master", "local[1]"));
        var encodings = TestTables.encodings(new java.io.File(out));
        assertTrue(encodings.get("source").stream().anyMatch(org.apache.parquet.column.Encoding::usesDictionary),
                "the control: a column of one repeated value is dictionary-encoded " + encodings);
        for (String column : List.of("scores.list.element", "id")) {
            assertTrue(encodings.get(column).stream().noneMatch(org.apache.parquet.column.Encoding::usesDictionary),
                    column + " " + encodings.get(column));
        }
    }

    @Test
    void generate_longPairsAllInBandLayout_areNotHeldToTheDenseLimit() {
        // 200000 x 200000 in a band of 9 diagonals: 5.4 million floats a row, where dense would be 1.2e11
        String out = tmp.resolve("long-band").toString();
        assertEquals(0, BandAlign.run("generate", "--output", out, "--pairs", "1", "--min-len", "200000", "--max-len", "200000",
                "--band-fraction", "1", "--band-width", "4", "--master", "local[1]"));
        try (var files = Files.list(Paths.get(out))) {   // (sized as dense rows, it was split into 7152 files)
            assertEquals(1, files.filter(f -> f.getFileName().toString().endsWith(".parquet")).count(), "one pair, one file");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        SparkSession spark = SparkSession.builder().master("local[1]").appName("SampleDataTest").getOrCreate();
        try {
            Row r = spark.read().parquet(out).collectAsList().get(0);
            assertEquals(200000, (int) r.<Integer>getAs("n"));
            assertEquals(-4, (int) r.<Integer>getAs("diag_lo"));
            assertEquals(200000 * 9 * 3, r.getList(r.fieldIndex("scores")).size());
        } finally {
            spark.stop();
        }
        // a band-layout row still has to fit one Java array
        assertEquals(2, BandAlign.run("generate", "--output", tmp.resolve("too-wide").toString(), "--min-len", "1",
                "--max-len", "200000", "--band-fraction", "1", "--band-width", "4"));
    }

    private static Map<String, Row> byId(List<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        rows.forEach(r -> m.put(r.getAs("id"), r));
        return m;
    }

    private static long bundledBytes(Path dir) {
        try (var files = Files.list(dir)) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
