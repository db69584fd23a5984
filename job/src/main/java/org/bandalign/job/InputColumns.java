package org.bandalign.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Maps an input table (SPEC section 5) onto the columns the job reads: checks the required
 * columns, accepts {@code scores} as array<float> (other numeric arrays are cast) or binary,
 * ignores other columns. A table that lacks a required column fails the job at once with a
 * message naming it; bad values in a row are that row's problem ({@link PairDecoder}).
 *
 * <p>Rows are handed to the tasks as Spark's internal rows, so that a float array is copied out
 * of the Parquet column vectors in bulk ({@code ArrayData.toFloatArray}) instead of through one
 * boxed {@code Float} per score, and null elements are found with a bit test rather than an
 * interpreted SQL lambda.
 */
final class InputColumns {
    static final int ID = 0;
    static final int N = 1;
    static final int M = 2;
    static final int SCORES = 3;
    static final int DIAG_LO = 4;
    static final int DIAG_HI = 5;

    private InputColumns() {
    }

    /** How the {@code scores} column is stored. */
    static final class Format implements Serializable {
        private static final long serialVersionUID = 1L;
        /** True for binary (packed little-endian float32), false for array<float>. */
        final boolean binary;
        /** True when the array type admits null elements, which then must be looked for. */
        final boolean elementsMayBeNull;

        Format(boolean binary, boolean elementsMayBeNull) {
            this.binary = binary;
            this.elementsMayBeNull = elementsMayBeNull;
        }
    }

    /** The rows of the input, columns in the order of the constants above. */
    static JavaRDD<InternalRow> rows(Dataset<Row> input) {
        StructType schema = input.schema();
        Format format = format(schema);
        Column scores = format.binary ? col("scores")
                : col("scores").cast(DataTypes.createArrayType(DataTypes.FloatType, format.elementsMayBeNull));
        boolean banded = has(schema, "diag_lo") || has(schema, "diag_hi");
        if (banded && !(has(schema, "diag_lo") && has(schema, "diag_hi"))) {
            throw new IllegalArgumentException("input has column '" + (has(schema, "diag_lo") ? "diag_lo" : "diag_hi")
                    + "' but not '" + (has(schema, "diag_lo") ? "diag_hi" : "diag_lo") + "': band-layout rows need both "
                    + "(SPEC section 2); drop the column for dense rows");
        }
        Column nullInt = lit(null).cast(DataTypes.IntegerType);
        Dataset<Row> selected = input.select(
                col("id").cast(DataTypes.StringType),
                col("n").try_cast(DataTypes.IntegerType),   // out of range: null, so the row is rejected
                col("m").try_cast(DataTypes.IntegerType),
                scores,
                banded ? col("diag_lo").try_cast(DataTypes.IntegerType) : nullInt,
                banded ? col("diag_hi").try_cast(DataTypes.IntegerType) : nullInt);
        return ((org.apache.spark.sql.classic.Dataset<Row>) selected).queryExecution().toRdd().toJavaRDD();
    }

    /** Checks the required columns and says how scores are stored. */
    static Format format(StructType schema) {
        requireColumn(schema, "id");
        requireColumn(schema, "n");
        requireColumn(schema, "m");
        requireColumn(schema, "scores");
        DataType type = schema.apply("scores").dataType();
        if (type instanceof BinaryType) {
            return new Format(true, false);
        }
        if (type instanceof ArrayType && ((ArrayType) type).elementType() instanceof NumericType) {
            return new Format(false, ((ArrayType) type).containsNull());
        }
        throw new IllegalArgumentException("input column 'scores' must be array<float> or binary (little-endian "
                + "float32), not " + type.simpleString());
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
