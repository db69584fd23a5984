package org.bandalign.banded;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Replays genbmm's recorded results: the eleven calls of the seed notebook and six random cases of
 * five operations each. Both the storage (padding included) and the dense form must match.
 */
class BandedMatrixReferenceTest {

    private static final int NOTEBOOK_CASES = 11;
    private static final int RANDOM_CASES = 6;
    private static final int RANDOM_OPERATIONS = 5;
    private static final double MINUS_INFINITY_THRESHOLD = -1e8;
    private static final double RELATIVE_TOLERANCE = 1e-5;
    private static final double ABSOLUTE_TOLERANCE = 1e-5;

    private static final Map<String, Function<BandedMatrix, BandedMatrix>> NOTEBOOK_EXPRESSIONS = Map.ofEntries(
            Map.entry("BandedMatrix(base, 2, 1)", bm -> bm),
            Map.entry("bm.transpose()", BandedMatrix::transpose),
            Map.entry("bm.op(bm, (a+b)/2)", bm -> bm.op(bm, (a, b) -> (a + b) / 2)),
            Map.entry("bm.op(bm.transpose(), (a+b)/2)", bm -> bm.op(bm.transpose(), (a, b) -> (a + b) / 2)),
            Map.entry("bm.multiply(bm)", bm -> bm.multiply(bm)),
            Map.entry("bm.band_shift(1)", bm -> bm.bandShift(1)),
            Map.entry("bm.band_shift(-1)", bm -> bm.bandShift(-1)),
            Map.entry("bm.col_shift(1)", bm -> bm.colShift(1)),
            Map.entry("bm.col_shift(-1)", bm -> bm.colShift(-1)),
            Map.entry("bm.multiply(bm.transpose()).multiply(bm.transpose()).multiply(bm.transpose())",
                    bm -> bm.multiply(bm.transpose()).multiply(bm.transpose()).multiply(bm.transpose())),
            Map.entry("bm.multiply(bm.band_shift(1).band_shift(1))",
                    bm -> bm.multiply(bm.bandShift(1).bandShift(1))));

    private static final Map<String, Function<BandedMatrix[], BandedMatrix>> RANDOM_OPERATIONS_BY_NAME = Map.of(
            "transpose", ab -> ab[0].transpose(),
            "op_add", ab -> ab[0].op(ab[1], Float::sum),
            "multiply", ab -> ab[0].multiply(ab[1]),
            "multiply_log", ab -> ab[0].multiplyLog(ab[1]),
            "multiply_max", ab -> ab[0].multiplyMax(ab[1]));

    @Test
    void notebookCases_allElevenCalls_matchGenbmmDataAndDense() {
        BandedMatrix bm = seedMatrix();
        List<Executable> checks = new ArrayList<>();
        for (JsonNode expected : load("/reference/banded_notebook.json").get("cases")) {
            String expression = expected.get("expr").asText();
            Function<BandedMatrix, BandedMatrix> call = NOTEBOOK_EXPRESSIONS.get(expression);
            assertNotNull(call, "no Java replay for notebook expression " + expression);
            checks.add(() -> assertMatches(expected.get("name").asText(), call.apply(bm), expected));
        }

        assertEquals(NOTEBOOK_CASES, checks.size(),
                "covered " + checks.size() + " notebook cases, expected " + NOTEBOOK_CASES);
        assertAll("notebook cases (" + checks.size() + " covered)", checks);
    }

    @Test
    void randomCases_allOperations_matchGenbmmDataAndDense() {
        List<Executable> checks = new ArrayList<>();
        int caseIndex = 0;
        for (JsonNode randomCase : load("/reference/banded_random.json").get("cases")) {
            BandedMatrix[] ab = {fromReference(randomCase.get("a"), 0f), fromReference(randomCase.get("b"), 0f)};
            for (Map.Entry<String, Function<BandedMatrix[], BandedMatrix>> operation
                    : RANDOM_OPERATIONS_BY_NAME.entrySet()) {
                JsonNode expected = randomCase.get(operation.getKey());
                assertNotNull(expected, "random case " + caseIndex + " lacks " + operation.getKey());
                String label = "case " + caseIndex + " " + expected.get("expr").asText();
                checks.add(() -> assertMatches(label, operation.getValue().apply(ab), expected));
            }
            caseIndex++;
        }

        int expectedCount = RANDOM_CASES * RANDOM_OPERATIONS;
        assertEquals(expectedCount, checks.size(),
                "covered " + checks.size() + " random case results (" + caseIndex + " cases), expected " + expectedCount);
        assertAll("random case results (" + checks.size() + " covered)", checks);
    }

    @Test
    void randomCases_inputs_denseMatchesReference() {
        for (JsonNode randomCase : load("/reference/banded_random.json").get("cases")) {
            for (String name : List.of("a", "b")) {
                assertMatches("input " + name, fromReference(randomCase.get(name), 0f), randomCase.get(name));
            }
        }
    }

    /** {@code BandedMatrix(base, 2, 1)} of the notebook: n = 20, storage row c = [(c + 1) / 21] * 4. */
    private static BandedMatrix seedMatrix() {
        int n = 20;
        int width = 4;
        float[] base = new float[n * width];
        for (int c = 0; c < n; c++) {
            for (int k = 0; k < width; k++) {
                base[c * width + k] = (float) ((c + 1) / 21.0);
            }
        }
        return BandedMatrix.fromData(base, 1, n, 2, 1, 0f);
    }

    private static BandedMatrix fromReference(JsonNode matrix, float fill) {
        int n = matrix.get("n").asInt();
        return BandedMatrix.fromData(toFloats(flatten(matrix.get("data"))), 1, n,
                matrix.get("lu").asInt(), matrix.get("ld").asInt(), fill);
    }

    private static void assertMatches(String label, BandedMatrix actual, JsonNode expected) {
        assertEquals(expected.get("n").asInt(), actual.n(), label + ": n");
        assertEquals(expected.get("lu").asInt(), actual.lu(), label + ": lu");
        assertEquals(expected.get("ld").asInt(), actual.ld(), label + ": ld");
        assertEquals(1, actual.batch(), label + ": batch");
        assertClose(label + ": data", flatten(expected.get("data")), actual.data(), actual.width());
        assertClose(label + ": dense", flatten(expected.get("dense")), actual.toDense(), actual.n());
    }

    private static void assertClose(String label, double[] expected, float[] actual, int rowLength) {
        assertEquals(expected.length, actual.length, label + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (!close(expected[i], actual[i])) {
                fail(String.format("%s differs at [%d][%d]: expected %s, got %s",
                        label, i / rowLength, i % rowLength, expected[i], actual[i]));
            }
        }
    }

    /** Reference values at or below -1e8 stand for -inf (genbmm wrote -1e9). */
    private static boolean close(double expected, float actual) {
        if (expected <= MINUS_INFINITY_THRESHOLD) {
            return actual <= MINUS_INFINITY_THRESHOLD;
        }
        return Math.abs(actual - expected) <= RELATIVE_TOLERANCE * Math.abs(expected) + ABSOLUTE_TOLERANCE;
    }

    private static double[] flatten(JsonNode rows) {
        List<Double> values = new ArrayList<>();
        rows.forEach(row -> row.forEach(value -> values.add(value.asDouble())));
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static float[] toFloats(double[] values) {
        float[] floats = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            floats[i] = (float) values[i];
        }
        return floats;
    }

    private static JsonNode load(String resource) {
        Supplier<String> missing = () -> "missing test resource " + resource;
        try (InputStream in = BandedMatrixReferenceTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, missing);
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(missing.get(), e);
        }
    }
}
