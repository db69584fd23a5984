package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bandalign.align.AlignOptions;
import org.junit.jupiter.api.Test;

/** {@code bandalign bench-engine}: a rate for the asked-for mode, semiring and band; bad flags refused. */
class BenchEngineCommandTest {
    private static final Pattern BEST = Pattern.compile(
            "engine: best ([0-9.]+) M cells/s on 1 threads \\(3 pairs of 24 x 24, (\\w+), (\\w+)(, band \\d+)?\\)");

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = BandAlign.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new String[] {Integer.toString(status), out.toString(), err.toString()};
    }

    @Test
    void benchEngine_localViterbiInABand_reportsEachRoundAndTheBest() {
        String[] r = run("bench-engine", "--pairs", "3", "--len", "24", "--rounds", "2", "--threads", "1",
                "--mode", "LOCAL", "--semiring", "max", "--band", "4");
        assertEquals("0", r[0], r[1] + r[2]);
        String[] lines = r[1].strip().split("\n");
        assertEquals(3, lines.length, r[1]);
        assertTrue(lines[0].startsWith("round 0: ") && lines[1].startsWith("round 1: "), r[1]);
        Matcher m = BEST.matcher(lines[2]);
        assertTrue(m.matches(), lines[2]);
        assertTrue(Double.parseDouble(m.group(1)) > 0, lines[2]);
        assertEquals("local", m.group(2));
        assertEquals("max", m.group(3));
        assertEquals(", band 4", m.group(4));
    }

    @Test
    void benchEngine_defaults_globalLogWithoutBand() {
        String[] r = run("bench-engine", "--pairs", "3", "--len", "24", "--rounds", "1", "--threads", "1");
        assertEquals("0", r[0], r[1] + r[2]);
        Matcher m = BEST.matcher(r[1].strip().split("\n")[1]);
        assertTrue(m.matches(), r[1]);
        assertEquals("global", m.group(2));
        assertEquals("log", m.group(3));
        assertEquals(null, m.group(4));
    }

    @Test
    void benchEngine_badSemiringBandOrLength_refusedSayingWhy() {
        String[] r = run("bench-engine", "--semiring", "sum");
        assertEquals("2", r[0], r[1] + r[2]);
        assertTrue(r[2].contains("--semiring must be one of log, max, both, got 'sum'"), r[2]);
        r = run("bench-engine", "--band", "-1");
        assertEquals("2", r[0], r[1] + r[2]);
        assertTrue(r[2].contains("--band must be >= 0, got -1"), r[2]);
        r = run("bench-engine", "--len", "30000");
        assertEquals("2", r[0], r[1] + r[2]);
        assertTrue(r[2].contains("--len 30000 gives pairs of 2700000000 scores, more than one Java array holds"), r[2]);
    }

    @Test
    void benchEngine_pairsBeyondTheHeap_refusedBeforeGeneratingThem_namingTheHeapToGive() {
        String[] r = run("bench-engine", "--pairs", "100000", "--len", "1000", "--threads", "2");
        assertEquals("2", r[0], r[1] + r[2]);
        long heapMiB = Runtime.getRuntime().maxMemory() >> 20;
        assertTrue(r[2].contains("--pairs 100000 of 1000 x 1000 hold about 2400.1 GB of heap (scores and marginals, 24 bytes a"
                + " cell, and each thread's work), more than this JVM's " + heapMiB + " MiB: give fewer --pairs or a smaller --len,"
                + " or more heap (BANDALIGN_JAVA_OPTS=-Xmx3353g)"), r[2]);
        assertEquals(1, r[2].strip().split("\n").length, r[2]);
    }

    @Test
    void heapNeeded_scoresAndMarginalsOfEveryPair_andTheWorkOfEachThreadOnItsBand() {
        AlignOptions dense = AlignOptions.builder().build();
        assertEquals(256L * 1_000_000 * 24 + 2L * 1_000_000 * 33, BenchEngineCommand.heapNeeded(256, 1000, 2, dense));
        assertEquals(1L * 100 * 24 + 1L * 100 * 33, BenchEngineCommand.heapNeeded(1, 10, 4, dense));   // no more threads than pairs
        AlignOptions band1 = AlignOptions.builder().band(1).build();   // 10 x 10 in band 1: 10 + 9 + 9 cells
        assertEquals(3L * 100 * 24 + 2L * 28 * 33, BenchEngineCommand.heapNeeded(3, 10, 2, band1));
    }
}
