package org.bandalign.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.Serializable;
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
    /**
     * The value of n, m, diag_lo or diag_hi as a string where the column held one that is no
     * 32-bit integer (fractional, or out of range), so that its integer column above is null:
     * null otherwise. Only for the message that rejects the row.
     */
    static final int N_GIVEN = 6;
    static final int M_GIVEN = 7;
    static final int DIAG_LO_GIVEN = 8;
    static final int DIAG_HI_GIVEN = 9;
    /**
     * For a row of a file that holds rows too large for Spark's reader ({@link LargeRows}): the
     * file, as Spark's {@code _metadata.file_path} names it, and the row's index in it, for
     * {@link ParquetScores} to read its scores from; {@code SCORES} is then null. Null for a row
     * Spark read whole.
     */
    static final int FILE = 10;
    static final int ROW_INDEX = 11;
    /** The input's columns the job reads (in any case), as the files name them. */
    static final java.util.List<String> READ = java.util.List.of("id", "n", "m", "scores", "diag_lo", "diag_hi");

    private InputColumns() {
    }

    /** How the {@code scores} column is stored. */
    static final class Format implements Serializable {
        private static final long serialVersionUID = 1L;
        /** True for binary (packed little-endian float32), false for array<float>. */
        final boolean binary;
        /** True when the array type admits null elements, which then must be looked for. */
        final boolean elementsMayBeNull;
        /**
         * True for arrays of a wider type than float (double, decimal, long): read as doubles, so
         * that a finite value beyond float32's range is reported as such, not as the infinity
         * a cast to float would make of it.
         */
        final boolean wide;

        Format(boolean binary, boolean elementsMayBeNull, boolean wide) {
            this.binary = binary;
            this.elementsMayBeNull = elementsMayBeNull;
            this.wide = wide;
        }
    }

    /** The rows of the input, columns in the order of the constants above up to {@code DIAG_HI_GIVEN}. */
    static JavaRDD<InternalRow> rows(Dataset<Row> input) {
        return internalRows(select(input, scores(input)));
    }

    /**
     * The rows of the input, columns in the order of all the constants above: the rows of the
     * files {@code largeFiles} (as {@code _metadata.file_path} names them) without their scores,
     * which {@link ParquetScores} reads, and those of the other files as {@link #rows(Dataset)}.
     */
    static JavaRDD<InternalRow> rows(Dataset<Row> input, java.util.Collection<String> largeFiles) {
        Column inLarge = input.metadataColumn("_metadata").getField("file_path").isin(largeFiles.toArray());
        Column scores = scores(input);
        Dataset<Row> whole = select(input.where(org.apache.spark.sql.functions.not(inLarge)), scores,
                lit(null).cast(DataTypes.StringType), lit(null).cast(DataTypes.LongType));
        return internalRows(whole.union(withoutScores(input.where(inLarge))));
    }

    /**
     * The rows of the input without their scores (null), but with the file each comes from and
     * its index there: columns in the order of all the constants above.
     */
    static Dataset<Row> withoutScores(Dataset<Row> input) {
        Column metadata = input.metadataColumn("_metadata");
        return select(input, lit(null).cast(scoresType(format(input.schema()))), metadata.getField("file_path"),
                metadata.getField("row_index"));
    }

    static JavaRDD<InternalRow> internalRows(Dataset<Row> selected) {
        return ((org.apache.spark.sql.classic.Dataset<Row>) selected).queryExecution().toRdd().toJavaRDD();
    }

    /** The input's scores column, as the job reads it (a wide array as doubles, any other as floats). */
    private static Column scores(Dataset<Row> input) {
        StructType schema = input.schema();
        Format format = format(schema);
        return format.binary ? col(field(schema, "scores")) : col(field(schema, "scores")).cast(scoresType(format));
    }

    /** The type of {@link #scores}: binary, or an array of doubles (wide) or floats. */
    private static DataType scoresType(Format format) {
        return format.binary ? DataTypes.BinaryType
                : DataTypes.createArrayType(format.wide ? DataTypes.DoubleType : DataTypes.FloatType, format.elementsMayBeNull);
    }

    /** The job's columns of {@code input}, in the order of the constants above, with {@code scores} and then {@code more}. */
    private static Dataset<Row> select(Dataset<Row> input, Column scores, Column... more) {
        StructType schema = input.schema();
        boolean banded = has(schema, "diag_lo") || has(schema, "diag_hi");
        if (banded && !(has(schema, "diag_lo") && has(schema, "diag_hi"))) {
            throw new UserError("input has column '" + (has(schema, "diag_lo") ? "diag_lo" : "diag_hi")
                    + "' but not '" + (has(schema, "diag_lo") ? "diag_hi" : "diag_lo") + "': band-layout rows need both "
                    + "(SPEC section 2); drop the column for dense rows");
        }
        Column nullInt = lit(null).cast(DataTypes.IntegerType);
        Column nullString = lit(null).cast(DataTypes.StringType);
        java.util.List<Column> columns = new java.util.ArrayList<>(java.util.List.of(
                col(field(schema, "id")).cast(DataTypes.StringType),
                integer(schema, "n"),   // out of range or fractional: null, so the row is rejected
                integer(schema, "m"),
                scores,
                banded ? integer(schema, "diag_lo") : nullInt,
                banded ? integer(schema, "diag_hi") : nullInt,
                unusable(schema, "n"),
                unusable(schema, "m"),
                banded ? unusable(schema, "diag_lo") : nullString,
                banded ? unusable(schema, "diag_hi") : nullString));
        columns.addAll(java.util.List.of(more));
        return input.select(columns.toArray(new Column[0]));
    }

    /** A number in decimal notation, as a float written as text spells it, with blanks around it as Spark's casts allow. */
    private static final String DECIMAL_NUMBER = "^\\s*[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?\\s*$";

    /**
     * Column {@code name} as a 32-bit integer: null where it does not fit, and, for a fractional
     * column (a float, double or decimal, as pandas makes of integers with gaps), where it is
     * not a whole number (2.7 is no length), rather than truncated. A string is read as Spark
     * casts it to an integer ("2", " 2"), or else as the number it spells where that is whole
     * ("2.0", "2e3", as a float column written as text holds it; not "2.5", nor Java's "2d").
     */
    private static Column integer(StructType schema, String name) {
        Column c = col(field(schema, name));
        Column asInt = c.try_cast(DataTypes.IntegerType);
        DataType type = schema.apply(field(schema, name)).dataType();
        if (type instanceof org.apache.spark.sql.types.StringType) {
            // (decimal spellings only: a double cast also takes Java's "3d", "2f" and "0x1p1")
            Column number = org.apache.spark.sql.functions.when(c.rlike(DECIMAL_NUMBER), c.try_cast(DataTypes.DoubleType));
            return org.apache.spark.sql.functions.coalesce(asInt, whole(number));
        }
        return type instanceof org.apache.spark.sql.types.FractionalType ? whole(c) : asInt;
    }

    /** Fractional column {@code c} as a 32-bit integer where it is a whole number that fits, else null. */
    private static Column whole(Column c) {
        return org.apache.spark.sql.functions.when(c.equalTo(org.apache.spark.sql.functions.floor(c)), c.try_cast(DataTypes.IntegerType));
    }

    /** Column {@code name}'s value as a string where it is set but {@link #integer} made it null; else null. */
    private static Column unusable(StructType schema, String name) {
        Column c = col(field(schema, name));
        return org.apache.spark.sql.functions.when(c.isNotNull().and(integer(schema, name).isNull()), c.cast(DataTypes.StringType));
    }

    /** Checks the required columns and says how scores are stored. */
    static Format format(StructType schema) {
        requireColumn(schema, "id");
        requireColumn(schema, "n");
        requireColumn(schema, "m");
        requireColumn(schema, "scores");
        // (A column of nulls alone, type void, stays each row's problem.)
        // (binary: a string column without Parquet's UTF8 annotation, as pyarrow writes numpy bytes)
        requireType(schema, "id", t -> t instanceof org.apache.spark.sql.types.StringType || t instanceof NumericType
                || t instanceof BinaryType || t instanceof org.apache.spark.sql.types.NullType, "a string (or a number)");
        for (String lengthOrBound : new String[] {"n", "m", "diag_lo", "diag_hi"}) {
            requireType(schema, lengthOrBound, t -> t instanceof NumericType || t instanceof org.apache.spark.sql.types.StringType
                    || t instanceof org.apache.spark.sql.types.NullType, "an integer (or a number or string holding one)");
        }
        DataType type = schema.apply(field(schema, "scores")).dataType();
        if (type instanceof BinaryType) {
            return new Format(true, false, false);
        }
        if (type instanceof ArrayType && ((ArrayType) type).elementType() instanceof NumericType) {
            DataType element = ((ArrayType) type).elementType();
            boolean narrow = element instanceof org.apache.spark.sql.types.FloatType || element instanceof org.apache.spark.sql.types.ShortType
                    || element instanceof org.apache.spark.sql.types.ByteType || element instanceof org.apache.spark.sql.types.IntegerType;
            return new Format(false, ((ArrayType) type).containsNull(), !narrow);
        }
        boolean nested = type instanceof ArrayType && ((ArrayType) type).elementType() instanceof ArrayType;
        throw new UserError("input column 'scores' must be an array of numbers (array<float>; array<double>, "
                + "of integers or of decimals are narrowed to float32) or binary (little-endian float32), not " + type.simpleString()
                + (nested ? ": store the n x m x 3 tensor flat, row-major (i, j, k), as NumPy's S.ravel() gives it" : ""));
    }

    /**
     * Whether Spark reads the scores as doubles: an array&lt;double&gt; column, as an input of
     * float lists beside double lists is read ({@link InputSchema#unified}).
     */
    static boolean readsScoresAsDoubles(StructType schema) {
        String scores = field(schema, "scores");
        return scores != null && schema.apply(scores).dataType() instanceof ArrayType array
                && array.elementType() instanceof org.apache.spark.sql.types.DoubleType;
    }

    /** Whether the table has column {@code name}, in any case (as Spark resolves names by default). */
    private static boolean has(StructType schema, String name) {
        return field(schema, name) != null;
    }

    /** The table's own spelling of column {@code name}, found in any case; null if it has none. */
    private static String field(StructType schema, String name) {
        for (String f : schema.fieldNames()) {
            if (f.equalsIgnoreCase(name)) {
                return f;
            }
        }
        return null;
    }

    /**
     * Refuses a column of a type that cannot mean what SPEC section 5 says it holds (a boolean
     * length, which Spark would cast to 1; a struct id, which it would print as "{1}").
     */
    private static void requireType(StructType schema, String name, java.util.function.Predicate<DataType> ok, String what) {
        if (has(schema, name)) {
            DataType t = schema.apply(field(schema, name)).dataType();
            if (!ok.test(t)) {
                throw new UserError("input column '" + field(schema, name) + "' must be " + what + ", not "
                        + t.simpleString());
            }
        }
    }

    private static void requireColumn(StructType schema, String name) {
        if (!has(schema, name)) {
            StringBuilder found = new StringBuilder();
            for (StructField f : schema.fields()) {
                found.append(found.length() == 0 ? "" : ", ").append(f.name()).append(' ').append(f.dataType().simpleString());
            }
            throw new UserError("input has no column '" + name + "' (SPEC section 5 needs id, n, m, scores; "
                    + "found: " + found + ")");
        }
    }
}
