package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded fuzz of the whole job against a simple model of it: the library's CPU aligner applied
 * to each input row on its own. Each round writes a random table of good rows (random shapes,
 * dense or band layout, -inf steps) mixed with bad ones (every kind of bad row the decoder or
 * the engine refuses), picks random options (mode, semiring, band, layout, min-prob, packing,
 * binary scores, batch size, partitions, Spark's reader or the job's own) and runs the job in local mode. The model then says,
 * row by row, what {@code marginals/} or {@code rejected/} must hold: no row lost, none twice,
 * every value where the engine alone puts it, every reason the engine's own.
 *
 * <p>Three rounds by default; {@code -Djob.fuzzRounds=N -Djob.fuzzSeed=S} for a longer search, e.g.
 * {@code mvn -o -pl job test -Dtest=AlignJobFuzzTest -Djob.fuzzRounds=40}.
 */
class AlignJobFuzzTest {
    private static final int ROUNDS = Integer.getInteger("job.fuzzRounds", 3);
    private static final long SEED = Long.getLong("job.fuzzSeed", 20261129L);

    private static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        spark = TestTables.localSpark("AlignJobFuzzTest");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {   // (null where the emulated-gpu run skipped the class: no g++)
            spark.stop();
        }
    }

    /** What is wrong with a bad row that the decoder, not the engine, refuses. */
    private enum RowFault {
        NULL_ID("id is null"), NULL_N("n is null"), NULL_M("m is null"), NULL_SCORES("scores are null"),
        HALF_BAND("both be set"), NULL_ELEMENT("null element"), RAGGED_BINARY("not a whole number");

        final String reason;

        RowFault(String reason) {
            this.reason = reason;
        }
    }

    /** One input row and what the model expects of it. */
    private static final class Case {
        final String id;
        final Row row;
        /** The row's pair as the decoder must read it; null where the decoder refuses the row. */
        final Pair pair;
        /** Why the pair factories refuse the row's shape, as the decoder must say too; or null. */
        final InvalidPairException shapeError;
        final RowFault fault;

        Case(String id, Row row, Pair pair, InvalidPairException shapeError, RowFault fault) {
            this.id = id;
            this.row = row;
            this.pair = pair;
            this.shapeError = shapeError;
            this.fault = fault;
        }
    }

    @Test
    void align_randomTablesOfGoodAndBadRows_matchTheEnginePairByPairAndLoseNoRow() throws IOException {
        for (int round = 0; round < ROUNDS; round++) {
            // (seeds spread out: java.util.Random's first draws from neighbouring seeds agree)
            runRound(round, new Random((SEED + round) * 0x9E3779B97F4A7C15L));
        }
    }

    private static void runRound(int round, Random rnd) throws IOException {
        boolean binary = rnd.nextBoolean();
        Mode mode = rnd.nextBoolean() ? Mode.GLOBAL : Mode.LOCAL;
        Semiring semiring = Semiring.values()[rnd.nextInt(Semiring.values().length)];
        Integer band = rnd.nextInt(2) == 0 ? null : rnd.nextInt(5);
        Layout layout = rnd.nextInt(3) == 0 ? null : Layout.values()[rnd.nextInt(Layout.values().length)];
        double minProb = new double[] {0, 1e-4, 0.05}[rnd.nextInt(3)];
        boolean packed = rnd.nextBoolean();
        long batchCells = new long[] {1, 300, 5000, 4_000_000}[rnd.nextInt(4)];
        // which reader reads the scores: the job's page reader (array<float> a page at a time, binary a row at a time), Spark's,
        // or the job's reader of large rows, a value at a time, for every file
        String[] readers = {"the page reader", "Spark's reader", "the job's reader of large rows"};
        int reader = rnd.nextInt(readers.length);
        if (round == 0) {   // the first three rounds as CI runs them: the defaults, then every option away from them, twice
            binary = false;
            mode = Mode.GLOBAL;
            semiring = Semiring.LOG;
            band = null;
            layout = null;
            minProb = 1e-4;
            packed = false;
            batchCells = 4_000_000;
            reader = 0;
        } else if (round == 1) {
            binary = true;
            mode = Mode.LOCAL;
            semiring = Semiring.BOTH;
            band = 1 + rnd.nextInt(3);
            layout = null;   // (band, as a band is set: packed marginals in band layout)
            minProb = 0;
            packed = true;
            batchCells = 300;
            reader = 2;
        } else if (round == 2) {
            binary = false;
            mode = Mode.LOCAL;
            semiring = Semiring.BOTH;
            band = null;
            layout = Layout.SPARSE;
            minProb = 0.05;
            packed = true;   // (which sparse output leaves aside)
            batchCells = 5000;
            reader = 1;
        }
        String what = "round " + round + " (-Djob.fuzzSeed=" + SEED + " -Djob.fuzzRounds=" + (round + 1) + " repeats it): " + (binary ? "binary" : "array") + " scores, "
                + mode + ", " + semiring + ", band " + band + ", layout " + layout + ", min-prob " + minProb
                + (packed ? ", packed" : "") + ", batch cells " + batchCells + ", " + readers[reader];

        System.out.println("AlignJobFuzzTest " + what);
        List<Case> cases = new ArrayList<>();
        int rows = 30 + rnd.nextInt(40);
        for (int k = 0; k < rows; k++) {
            cases.add(randomCase("r" + round + "-" + k, rnd, binary));
        }
        List<Row> table = new ArrayList<>();
        cases.forEach(c -> table.add(c.row));
        String input = tmp.resolve("in-" + round).toString();
        TestTables.table(spark, table, binary).repartition(1 + rnd.nextInt(4)).write().parquet(input);

        List<String> flags = new ArrayList<>(List.of("--input", input, "--output", tmp.resolve("out-" + round).toString(),
                "--mode", mode.wireName(), "--semiring", semiring.name().toLowerCase(java.util.Locale.ROOT),
                "--min-prob", Double.toString(minProb), "--batch-cells", Long.toString(batchCells)));
        if (band != null) {
            flags.addAll(List.of("--band", band.toString()));
        }
        if (layout != null) {
            flags.addAll(List.of("--layout", layout.wireName()));
        }
        if (packed) {
            flags.add("--packed");
        }
        AlignCommand cmd = new AlignCommand();
        new picocli.CommandLine(cmd).parseArgs(flags.toArray(new String[0]));
        org.apache.spark.SparkConf conf = spark.sparkContext().getConf().clone();
        conf.set(JobKeys.READER_PAGE_READER.name(), reader == 0 ? "true" : "false");
        if (reader == 2) {
            conf.set(JobKeys.READER_LARGE_ROW_BYTES.name(), "1");
        }
        JobRequest request = cmd.request(conf);
        JobSummary summary = AlignJob.run(spark, request);

        AlignOptions.Builder ob = AlignOptions.builder().mode(mode).semiring(semiring);
        if (band != null) {
            ob.band(band);
        }
        AlignOptions options = ob.build();
        List<String> noIdErrors = new ArrayList<>();
        Map<String, Row> aligned = byId(tmp.resolve("out-" + round).resolve("marginals").toString(), what, noIdErrors);
        Map<String, Row> rejected = byId(tmp.resolve("out-" + round).resolve("rejected").toString(), what, noIdErrors);
        int expectAligned = 0;
        int expectNoId = 0;
        try (Aligner model = Aligner.cpu()) {
            for (Case c : cases) {
                String about = what + ", row " + c.id;
                if (c.id == null) {   // found again by its place in the input only
                    expectNoId++;
                    continue;
                }
                String reason;
                if (c.fault != null) {
                    reason = c.fault.reason;
                } else if (c.shapeError != null) {
                    reason = c.shapeError.reason();
                } else {
                    try {
                        AlignmentResult expect = model.align(c.pair, options);
                        expectAligned++;
                        Row r = aligned.get(c.id);
                        assertNotNull(r, about + ": aligned");
                        assertNull(rejected.get(c.id), about);
                        // (SPEC section 5: --layout, else band where a band is set, the job's or the row's own, else dense)
                        Layout expectLayout = layout != null ? layout : band != null || c.pair.isBandLayout() ? Layout.BAND : Layout.DENSE;
                        checkRow(r, expect, expectLayout, minProb, packed,
                                marginalTolerance(c.pair.scores()), about);
                        continue;
                    } catch (InvalidPairException e) {
                        reason = e.reason();
                    }
                }
                Row r = rejected.get(c.id);
                assertNotNull(r, about + ": rejected, " + reason);
                String error = r.getAs("error");
                assertTrue(c.fault != null ? error.contains(reason) : error.equals(reason), about + ": '" + error + "', not '" + reason + "'");
                assertNull(aligned.get(c.id), about);
            }
        }
        // (--packed with --layout sparse is dropped: the column keeps its unpacked type, and the summary says so)
        boolean packedColumn = packed && layout != Layout.SPARSE;
        assertEquals(packedColumn, summary.options.get("packed"), what + ": the summary's packed");
        Path marginals = tmp.resolve("out-" + round).resolve("marginals");
        if (java.nio.file.Files.exists(marginals)) {
            assertEquals(packedColumn ? org.apache.spark.sql.types.DataTypes.BinaryType
                    : org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.FloatType),
                    spark.read().parquet(marginals.toString()).schema().apply("marginals").dataType(), what + ": the marginals column's type");
        }
        assertEquals(expectNoId, noIdErrors.size(), what + ": rows without an id");
        noIdErrors.forEach(error -> assertTrue(error.startsWith(RowFault.NULL_ID.reason + " (input row "), error));
        assertEquals(cases.size(), summary.inputRows, what);
        assertEquals(expectAligned, summary.alignedRows, what);
        assertEquals(cases.size() - expectAligned, summary.rejectedRows, what);
        assertEquals(expectAligned, aligned.size(), what + ": rows in marginals/");
        assertEquals(cases.size() - expectAligned - expectNoId, rejected.size(), what + ": rows with an id in rejected/");
    }

    /** A good row, or with a chance of one in three a row with one thing wrong in it. */
    private static Case randomCase(String id, Random rnd, boolean binary) {
        int n = rnd.nextInt(5) == 0 ? 1 + rnd.nextInt(2) : 1 + rnd.nextInt(24);
        int m = rnd.nextInt(5) == 0 ? 1 + rnd.nextInt(2) : 1 + rnd.nextInt(24);
        Integer lo = null;
        Integer hi = null;
        int width = m;
        if (rnd.nextInt(3) == 0) {   // a band-layout row, sometimes wider than the matrix
            lo = Math.min(0, m - n) - rnd.nextInt(4);
            hi = Math.max(0, m - n) + rnd.nextInt(4);
            width = hi - lo + 1;
        }
        float scale = rnd.nextInt(8) == 0 ? 1e6f : rnd.nextBoolean() ? 10f : 1f;
        float[] scores = new float[n * width * 3];
        for (int q = 0; q < scores.length; q++) {
            scores[q] = rnd.nextInt(12) == 0 ? Float.NEGATIVE_INFINITY : (float) (scale * rnd.nextGaussian());
        }
        if (rnd.nextInt(3) != 0) {
            return good(id, n, m, scores, lo, hi, binary);
        }
        // Cases 0-5 the engine (or the pair factories) judges: a NaN or +inf anywhere (in the band
        // or not), a wrong length, a length below 1, no finite path, a band that misses a corner.
        // Cases 6-10 the decoder refuses before there is a pair.
        switch (rnd.nextInt(11)) {
            case 0:
                scores[rnd.nextInt(scores.length)] = Float.NaN;
                return good(id, n, m, scores, lo, hi, binary);
            case 1:
                scores[rnd.nextInt(scores.length)] = Float.POSITIVE_INFINITY;
                return good(id, n, m, scores, lo, hi, binary);
            case 2:
                return good(id, n, m, java.util.Arrays.copyOf(scores, scores.length + (rnd.nextBoolean() ? 1 : -1)), lo, hi, binary);
            case 3:
                return good(id, rnd.nextBoolean() ? 0 : -n, m, scores, lo, hi, binary);
            case 4:
                java.util.Arrays.fill(scores, Float.NEGATIVE_INFINITY);
                return good(id, n, m, scores, lo, hi, binary);
            case 5:
                return lo == null
                        ? good(id, n, m, new float[n * 1 * 3], Math.min(0, m - n) + 1, Math.min(0, m - n) + 1, binary)
                        : good(id, n, m, scores, lo, lo, binary);
            case 6:
                return bad(RowFault.NULL_ID, null, n, m, scores, lo, hi, binary);
            case 7:
                return bad(rnd.nextBoolean() ? RowFault.NULL_N : RowFault.NULL_M, id, n, m, scores, lo, hi, binary);
            case 8:
                return bad(RowFault.NULL_SCORES, id, n, m, scores, lo, hi, binary);
            case 9:
                return bad(RowFault.HALF_BAND, id, n, m, scores, lo == null ? Math.min(0, m - n) : lo, null, binary);
            default:
                return bad(binary ? RowFault.RAGGED_BINARY : RowFault.NULL_ELEMENT, id, n, m, scores, lo, hi, binary);
        }
    }

    /** A row the decoder reads as a pair (which the engine may still refuse). */
    private static Case good(String id, int n, int m, float[] scores, Integer lo, Integer hi, boolean binary) {
        Row row = TestTables.row(id, n, m, scores, lo, hi, binary);
        try {
            return new Case(id, row, lo == null ? Pair.dense(id, n, m, scores) : Pair.band(id, n, m, lo, hi, scores), null, null);
        } catch (InvalidPairException e) {
            return new Case(id, row, null, e, null);
        }
    }

    private static Case bad(RowFault fault, String id, int n, int m, float[] scores, Integer lo, Integer hi, boolean binary) {
        Row row;
        switch (fault) {
            case NULL_N:
                row = TestTables.row(id, null, m, scores, lo, hi, binary);
                break;
            case NULL_M:
                row = TestTables.row(id, n, null, scores, lo, hi, binary);
                break;
            case NULL_SCORES:
                row = TestTables.row(id, n, m, null, lo, hi, binary);
                break;
            case RAGGED_BINARY:
                byte[] packed = PairDecoder.pack(scores);
                row = RowFactory.create(id, n, m, java.util.Arrays.copyOf(packed, packed.length + 1 + 2 * new Random(packed.length).nextInt(2)), lo, hi, "ragged");
                break;
            case NULL_ELEMENT:
                Float[] boxed = TestTables.boxed(scores);
                boxed[boxed.length / 2] = null;
                row = RowFactory.create(id, n, m, boxed, lo, hi, "a null score");
                break;
            default:   // NULL_ID, HALF_BAND: the row as given
                row = TestTables.row(id, n, m, scores, lo, hi, binary);
        }
        return new Case(id, row, null, null, fault);
    }

    /**
     * SPEC section 1's accuracy for marginals, by the pair's largest finite score: 1e-5 up to
     * magnitude 10, else 1e-4 (the emulated-gpu run compares the kernels' results with the CPU
     * engine's; both are float64 inside, with different exp, log and order of sums).
     */
    private static double marginalTolerance(float[] scores) {
        float most = 0;
        for (float s : scores) {
            if (Float.isFinite(s)) {
                most = Math.max(most, Math.abs(s));
            }
        }
        return most <= 10 ? 1e-5 : 1e-4;
    }

    private static void checkRow(Row r, AlignmentResult e, Layout layout, double minProb, boolean packed, double tol, String about) {
        assertEquals(e.n(), (int) r.getAs("n"), about);
        assertEquals(e.m(), (int) r.getAs("m"), about);
        assertEquals(e.mode().wireName(), r.getAs("mode"), about);
        assertEquals(e.diagLo(), (int) r.getAs("diag_lo"), about);
        assertEquals(e.diagHi(), (int) r.getAs("diag_hi"), about);
        assertEquals(layout.wireName(), r.getAs("layout"), about);
        if (e.hasLogPartition()) {
            double z = r.getAs("log_partition");
            assertEquals(e.logPartition(), z, 1e-6 * Math.max(1, Math.abs(e.logPartition())), about + ": log Z");
        } else {
            assertNull(r.getAs("log_partition"), about);
        }
        if (e.hasViterbi()) {
            assertEquals(e.viterbiScore(), (double) r.getAs("viterbi_score"), 1e-6 * Math.max(1, Math.abs(e.viterbiScore())), about);
            assertEquals(e.viterbiCigar(), r.getAs("viterbi_cigar"), about);
            assertArrayEquals(e.viterbiStart(), new int[] {r.getAs("viterbi_start_i"), r.getAs("viterbi_start_j")}, about);
            assertArrayEquals(e.viterbiEnd(), new int[] {r.getAs("viterbi_end_i"), r.getAs("viterbi_end_j")}, about);
        } else {
            for (String column : List.of("viterbi_score", "viterbi_cigar", "viterbi_start_i", "viterbi_start_j", "viterbi_end_i",
                    "viterbi_end_j")) {
                assertNull(r.getAs(column), about + ": " + column);
            }
        }
        if (layout == Layout.SPARSE) {
            assertNull(r.getAs("marginals"), about);
            checkSparse(r.getList(r.fieldIndex("sparse")), e, minProb, tol, about);
            return;
        }
        assertNull(r.getAs("sparse"), about);
        assertEquals(packed, r.getAs("marginals") instanceof byte[], about + ": packing");
        float[] want = layout == Layout.DENSE ? e.marginalsDense() : e.marginalsBand();
        float[] got = OutputRows.marginals(r);
        assertEquals(want.length, got.length, about);
        for (int q = 0; q < want.length; q++) {
            if (!(Math.abs(want[q] - got[q]) <= tol)) {   // (a NaN fails too)
                fail(about + ": marginal " + q + " is " + got[q] + ", the engine's " + want[q]);
            }
        }
    }

    /** Every step of at least min-prob, each once, at the engine's value; none below it (within tolerance). */
    private static void checkSparse(List<Row> steps, AlignmentResult e, double minProb, double tol, String about) {
        float[] dense = e.marginalsDense();
        int m = e.m();
        Map<Integer, Float> got = new HashMap<>();
        for (Row s : steps) {
            int q = (s.<Integer>getAs("i") * m + s.<Integer>getAs("j")) * 3 + s.<Integer>getAs("k");
            assertNull(got.put(q, s.getAs("p")), about + ": step " + q + " twice");
        }
        for (int q = 0; q < dense.length; q++) {
            int i = q / 3 / m;
            int j = q / 3 % m;
            boolean inBand = j - i >= e.diagLo() && j - i <= e.diagHi();
            Float p = got.get(q);
            if (p != null) {
                assertTrue(inBand, about + ": step " + q + " outside the band");
                assertEquals(dense[q], p, tol, about + ": step " + q);
                assertTrue(p >= minProb, about + ": step " + q + " below min-prob");
            } else if (inBand) {
                // (--min-prob 0 keeps every step of the band, zeros too)
                assertTrue(minProb > 0 && dense[q] < minProb + tol, about + ": step " + q + " (" + dense[q] + ") missing");
            }
        }
    }

    /** The rows of one output folder by id; those without one (rejected only) add their error to {@code noId}. */
    private static Map<String, Row> byId(String path, String what, List<String> noId) {
        Map<String, Row> out = new HashMap<>();
        if (!new java.io.File(path).exists()) {
            return out;
        }
        for (Row r : spark.read().parquet(path).collectAsList()) {
            String id = r.getAs("id");
            if (id == null) {
                noId.add(r.getAs("error"));
            } else {
                assertNull(out.put(id, r), what + ": row " + id + " twice in " + path);
            }
        }
        return out;
    }
}
