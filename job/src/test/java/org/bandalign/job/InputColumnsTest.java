package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The input's columns as SPEC section 5 names them: each one missing is named, with what the input has. */
class InputColumnsTest {
    @Test
    void format_eachRequiredColumnMissing_isNamedWithTheColumnsFound() {
        StructType all = new StructType().add("id", DataTypes.StringType).add("n", DataTypes.IntegerType)
                .add("m", DataTypes.IntegerType).add("scores", DataTypes.BinaryType);
        for (String missing : new String[] {"id", "n", "m", "scores"}) {
            StructType without = new StructType();
            StringBuilder found = new StringBuilder();
            for (var f : all.fields()) {
                if (!f.name().equals(missing)) {
                    without = without.add(f);
                    found.append(found.length() == 0 ? "" : ", ").append(f.name()).append(' ').append(f.dataType().simpleString());
                }
            }
            StructType schema = without;
            UserError e = assertThrows(UserError.class, () -> InputColumns.format(schema));
            assertEquals("input has no column '" + missing + "' (SPEC section 5 needs id, n, m, scores; found: " + found + ")",
                    e.getMessage());
        }
    }

    /** Found by an adversarial run: a boolean n was read as 1, a struct id as "{1}". */
    @Test
    void format_columnOfATypeThatCannotMeanIt_isNamedWithItsType() {
        StructType numbersAsStrings = new StructType().add("id", DataTypes.LongType).add("n", DataTypes.StringType)
                .add("m", DataTypes.DoubleType).add("scores", DataTypes.BinaryType).add("diag_lo", DataTypes.ShortType)
                .add("diag_hi", DataTypes.createDecimalType(10, 0));
        assertTrue(InputColumns.format(numbersAsStrings).binary);
        assertTrue(InputColumns.format(new StructType().add("id", DataTypes.NullType).add("n", DataTypes.NullType)
                .add("m", DataTypes.IntegerType).add("scores", DataTypes.BinaryType)).binary, "columns of nulls: each row's problem");
        String[][] cases = {{"n", "boolean"}, {"diag_hi", "boolean"}, {"id", "struct<a:int>"}, {"m", "array<int>"}};
        for (String[] c : cases) {
            StructType schema = new StructType();
            for (var f : numbersAsStrings.fields()) {
                schema = schema.add(f.name().equals(c[0]) ? new org.apache.spark.sql.types.StructField(f.name(),
                        org.apache.spark.sql.types.DataType.fromDDL(c[1]), true, org.apache.spark.sql.types.Metadata.empty()) : f);
            }
            StructType s = schema;
            UserError e = assertThrows(UserError.class, () -> InputColumns.format(s), c[0]);
            assertTrue(e.getMessage().startsWith("input column '" + c[0] + "' must be") && e.getMessage().endsWith("not " + c[1]),
                    e.getMessage());
        }
        StructType textScores = new StructType().add("id", DataTypes.StringType).add("n", DataTypes.IntegerType)
                .add("m", DataTypes.IntegerType).add("scores", DataTypes.StringType);
        assertEquals("input column 'scores' must be an array of numbers (array<float>; array<double>, of integers or of decimals are "
                + "narrowed to float32) or binary (little-endian float32), not string",
                assertThrows(UserError.class, () -> InputColumns.format(textScores)).getMessage(),
                "every type it takes named (found by a probe: fastparquet's JSON-encoded lists)");
        StructType nested = new StructType().add("id", DataTypes.StringType).add("n", DataTypes.IntegerType)
                .add("m", DataTypes.IntegerType).add("scores", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType)));
        assertTrue(assertThrows(UserError.class, () -> InputColumns.format(nested)).getMessage()
                .endsWith("not array<array<float>>: store the n x m x 3 tensor flat, row-major (i, j, k), as NumPy's S.ravel() gives it"),
                "the tensor's own nested shape (pyarrow from S.tolist(), found by a probe)");
    }
}
