package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pair is rejected after it was aligned, and still counted, where its sparse output row would
 * hold more steps than the heap allows ({@link RecordMaker#sparseStepLimit}: a step a
 * {@value RecordMaker#SPARSE_STEP_HEAP_BYTES} bytes of the heap), and the pair beside it is
 * written. Only the heap can set that limit in a run (spark.bandalign.maxCells, checked before
 * aligning, keeps the steps under its other bound), hence a JVM of its own with a small heap.
 * A test-suite review found that dropping that rejection lost the row with no test failing
 * (and, in a run, failed the run on its count check).
 */
class SparseRowLimitTest {
    @TempDir
    Path tmp;

    @Test
    void align_sparseRowPastTheHeapsStepLimit_isRejectedAndThePairBesideItWritten() throws Exception {
        Path in = tmp.resolve("in");
        Path small = tmp.resolve("small");
        // 800 x 800 with --min-prob 0: 1.92 million steps, past the 1.34 million a 512 MiB heap allows
        assertEquals(0, BandAlign.run("generate", "--output", in.toString(), "--pairs", "1", "--min-len", "800", "--max-len", "800",
                "--partitions", "1", "--seed", "3", "--master", "local[1]"));
        assertEquals(0, BandAlign.run("generate", "--output", small.toString(), "--pairs", "1", "--min-len", "3", "--max-len", "3",
                "--partitions", "1", "--seed", "4", "--master", "local[1]"));
        try (Stream<Path> files = Files.list(small)) {
            Path part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Files.copy(part, in.resolve("small.parquet"));
        }
        assertTrue(RecordMaker.sparseStepLimit(50_000_000L, 512L << 20) < 800L * 800 * 3, "the large pair passes the limit");

        Path out = tmp.resolve("out");
        Path log = tmp.resolve("align.log");
        StandaloneCluster.LauncherRun run = StandaloneCluster.runBandAlign(List.of("-Xmx512m"), log, 300, "align", "--input",
                in.toString(), "--output", out.toString(), "--master", "local[1]", "--backend", "cpu", "--layout", "sparse",
                "--min-prob", "0", "--conf", "spark.ui.showConsoleProgress=false");
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("bandalign: 2 rows in, 1 aligned, 1 rejected;"), run.output());

        SparkSession spark = TestTables.localSpark("sparse-row-limit");
        try {
            List<Row> rejected = spark.read().parquet(out.resolve("rejected").toString()).collectAsList();
            assertEquals(1, rejected.size());
            String error = rejected.get(0).getAs("error");
            assertTrue(error.contains("1920000 of its steps") && error.endsWith("raise --min-prob"), error);
            List<Row> aligned = spark.read().parquet(out.resolve("marginals").toString()).collectAsList();
            assertEquals(1, aligned.size());
            Row r = aligned.get(0);
            assertEquals(3, (int) r.<Integer>getAs("n"));
            assertEquals("sparse", r.getAs("layout"));
            assertEquals(3 * 3 * 3, r.<scala.collection.Seq<?>>getAs("sparse").size(), "--min-prob 0 keeps every step");
        } finally {
            spark.stop();
        }
    }
}
