package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.bandalign.align.Mode;
import org.bandalign.align.Semiring;
import org.junit.jupiter.api.Test;

/** The figures of {@code _SUMMARY.json} and of the closing line, and the options they record. */
class JobSummaryTest {
    private static JobSummary summary(long cells, double seconds, double taskSeconds, double alignSeconds, double waitSeconds) {
        return new JobSummary(3, 2, 1, cells, seconds, List.of("cpu"), "local[2]", Map.of(), Map.of(), List.of(),
                taskSeconds, alignSeconds, waitSeconds, "file:/data/in", "file:/data/out", "out", null);
    }

    @Test
    void toJsonAndLine_figures_areCellsOverSecondsAndTheAlignShareOfTaskTime() throws IOException {
        JobSummary s = summary(2_000_000, 4.0, 10, 6, 2);
        assertEquals(500_000.0, s.cellsPerSecond());
        assertTrue(s.line().startsWith("bandalign: 3 rows in, 2 aligned, 1 rejected; 2.00e+06 cells in 4.0 s (0.50 M cells/s) on cpu -> out"),
                s.line());
        // found by a probe: a small run read "6.00 cells" and "(0.0 M cells/s)"
        assertTrue(summary(6, 0.3, 1, 1, 0).line().contains("; 6 cells in 0.3 s (2.0e-05 M cells/s)"), summary(6, 0.3, 1, 1, 0).line());
        assertTrue(summary(76_300_000, 1, 1, 1, 0).line().contains("; 7.63e+07 cells in 1.0 s (76.3 M cells/s)"));
        JsonNode json = new ObjectMapper().readTree(s.toJson());
        assertEquals(500_000.0, json.get("cells_per_second").asDouble());
        assertEquals(0.8, json.get("align_share").asDouble(), 1e-12, "(align 6 s + GPU wait 2 s) of 10 s of tasks");
    }

    /**
     * Found by a newcomer's walk-through: a run whose every row was rejected for one mistake (float64
     * bytes) ended "1 rows in, 0 aligned, 1 rejected" and said no more. Now one rejected row and
     * its reason follow the closing line, and where more were rejected, where all the reasons are.
     */
    @Test
    void line_rowsRejected_showsOneAndWhy() {
        RejectedRecord r = new RejectedRecord();
        r.setId("p7");
        r.setError("scores are null");
        JobSummary one = new JobSummary(3, 2, 1, 1, 1, List.of("cpu"), "local[2]", Map.of(), Map.of(), List.of("a reason"), 1, 1, 0,
                "file:/data/in", "file:/data/out", "out", r);
        String[] lines = one.line().split(System.lineSeparator());
        assertEquals(List.of("bandalign: rejected: pair 'p7': scores are null", "bandalign: note: --backend auto used the CPU: a reason"),
                List.of(lines).subList(1, 3));
        r.setId(null);
        JobSummary several = new JobSummary(9, 2, 7, 1, 1, List.of("cpu"), "local[2]", Map.of(), Map.of(), List.of(), 1, 1, 0,
                "file:/data/in", "file:/data/out", "out", r);
        assertEquals("bandalign: rejected, for one: a row without an id: scores are null (each row's reason: out/rejected)",
                several.line().split(System.lineSeparator())[1]);
        assertEquals(1, summary(1, 1, 1, 1, 0).line().split(System.lineSeparator()).length, "none rejected: the one line");
    }

    @Test
    void qualified_relativePathsAndGlobs_getTheWorkingDirectoryAndScheme_othersStayAsTheyAre() throws IOException {
        org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
        String cwd = new java.io.File("").getAbsolutePath();
        assertEquals("file:" + cwd + "/data/sample", AlignJob.qualified(hadoop, "data/sample"));
        assertEquals("file:" + cwd + "/in/part-{0,1}*.parquet", AlignJob.qualified(hadoop, "in/part-{0,1}*.parquet"));
        assertEquals("file:/data/in", AlignJob.qualified(hadoop, "/data/in"));
        assertEquals("file:/data/in", AlignJob.qualified(hadoop, "file:///data/in"));
        JsonNode json = new ObjectMapper().readTree(summary(1, 1, 1, 1, 0).toJson());
        assertEquals("file:/data/in", json.get("input").asText());
        assertEquals("file:/data/out", json.get("output").asText());
        assertTrue(summary(1, 1, 1, 1, 0).line().endsWith(" -> out"), "the closing line names the output as given");
    }

    @Test
    void toJson_noTimeAtAll_writesZerosNotNaNOrInfinity() throws IOException {
        JsonNode json = new ObjectMapper().readTree(summary(2_000_000, 0, 0, 0, 0).toJson());
        assertEquals(0.0, json.get("cells_per_second").asDouble());
        assertEquals(0.0, json.get("align_share").asDouble());
    }

    @Test
    void toJson_recordsTheVersionsThatRan() throws IOException {
        JsonNode v = new ObjectMapper().readTree(summary(1, 1, 1, 1, 0).toJson()).get("versions");
        // (the project's version as the pom gives it: found by a newcomer's walk-through, "0.1.0" for a 0.1.0-SNAPSHOT build)
        java.util.regex.Matcher pom = java.util.regex.Pattern.compile("<artifactId>bandalign-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(java.nio.file.Files.readString(java.nio.file.Path.of("pom.xml")));
        assertTrue(pom.find());
        assertEquals(pom.group(1), v.get("bandalign").asText());
        assertEquals(org.apache.spark.package$.MODULE$.SPARK_VERSION(), v.get("spark").asText());
        assertEquals(System.getProperty("java.version"), v.get("java").asText());
    }

    @Test
    void describe_recordsTheBandAsGiven() {
        JobOptions o = new JobOptions(Mode.GLOBAL, Semiring.LOG, 16, null, 1e-4, false, Backend.CPU, false, 1, 1, 1, 0, 1, 0, false);
        assertEquals(16, o.describe().get("band"));
    }
}
