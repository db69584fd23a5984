package org.bandalign.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;

import java.util.Arrays;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Maps an input table (SPEC section 5) onto {@link InputRecord}: checks the required columns,
 * accepts {@code scores} as array<float> or binary, ignores other columns. A table that lacks a
 * required column fails the job at once with a message naming it; bad values in a row are the
 * row's problem, not the table's ({@link PairDecoder}).
 */
final class InputColumns {
    private InputColumns() {
    }

    static Dataset<InputRecord> select(Dataset<Row> input) {
        StructType schema = input.schema();
        requireColumn(schema, "id");
        requireColumn(schema, "n");
        requireColumn(schema, "m");
        requireColumn(schema, "scores");
        DataType scoresType = schema.apply("scores").dataType();
        Column scores;
        Column packed;
        Column haveNull;
        if (scoresType instanceof BinaryType) {
            scores = lit(null).cast(DataTypes.createArrayType(DataTypes.FloatType));
            packed = col("scores");
            haveNull = lit(false);
        } else if (scoresType instanceof ArrayType && ((ArrayType) scoresType).elementType() instanceof NumericType) {
            ArrayType at = (ArrayType) scoresType;
            scores = at.elementType().equals(DataTypes.FloatType) ? col("scores")
                    : col("scores").cast(DataTypes.createArrayType(DataTypes.FloatType));
            packed = lit(null).cast(DataTypes.BinaryType);
            haveNull = at.containsNull() ? expr("exists(scores, x -> x is null)") : lit(false);
        } else {
            throw new IllegalArgumentException("input column 'scores' must be array<float> or binary (little-endian "
                    + "float32), not " + scoresType.simpleString());
        }
        boolean banded = has(schema, "diag_lo") || has(schema, "diag_hi");
        if (banded) {
            requireColumn(schema, "diag_lo");
            requireColumn(schema, "diag_hi");
        }
        Column nullInt = lit(null).cast(DataTypes.IntegerType);
        return input.select(
                col("id").cast(DataTypes.StringType).as("id"),
                col("n").cast(DataTypes.IntegerType).as("n"),
                col("m").cast(DataTypes.IntegerType).as("m"),
                scores.as("scores"),
                packed.as("packedScores"),
                haveNull.as("scoresHaveNull"),
                (banded ? col("diag_lo").cast(DataTypes.IntegerType) : nullInt).as("diagLo"),
                (banded ? col("diag_hi").cast(DataTypes.IntegerType) : nullInt).as("diagHi"))
                .as(Encoders.bean(InputRecord.class));
    }

    private static boolean has(StructType schema, String name) {
        return Arrays.asList(schema.fieldNames()).contains(name);
    }

    private static void requireColumn(StructType schema, String name) {
        if (!has(schema, name)) {
            StringBuilder found = new StringBuilder();
            for (StructField f : schema.fields()) {
                found.append(found.length() == 0 ? "" : ", ").append(f.name()).append(' ').append(f.dataType().simpleString());
            }
            throw new IllegalArgumentException("input has no column '" + name + "' (SPEC section 5 needs id, n, m, scores; "
                    + "found: " + found + ")");
        }
    }
}
