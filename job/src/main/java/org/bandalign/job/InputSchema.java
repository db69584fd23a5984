package org.bandalign.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The schema to read an input with where Spark cannot merge its files' schemas, because some
 * column is stored in two types, or two columns' names differ in case alone: from every file's
 * footer, the columns the job reads alone (SPEC section 5: other columns are ignored, so theirs
 * may differ), with lengths and band bounds
 * stored as 32-bit integers in some files and 64-bit in others (pyarrow's default for Python
 * ints) read as 64-bit, and as float64 where some files hold floats, and scores stored as lists
 * of float32 in some files and of float64 in others (NumPy's default, unless cast) read as
 * lists of float64. Spark's Parquet reader widens each file's column to that type; float32
 * widened to float64 and narrowed back is the same float, so a float file's pairs align as
 * they would alone. A file of no rows, and scores, lengths or band bounds of Parquet's null type
 * (as pyarrow writes a column of nulls alone, an empty pandas shard's for one), which Spark reads
 * as int, have no say in a column's type; scores no file gives a type are read as lists of
 * float32 (only the job's reader reads a null-typed column as such: {@link AlignJob#readsByPage}).
 * Any other disagreement is the user's: it names the column and two files.
 */
final class InputSchema {
    private static final Set<String> WHOLE_NUMBERS = Set.of("n", "m", "diag_lo", "diag_hi");

    private InputSchema() {
    }

    /** One column as a file stores it. */
    private record Seen(String name, DataType type, String file, boolean nullsAlone) {
    }

    /**
     * The read columns of all {@code files} (URIs, as {@code inputFiles()} gives them), one type
     * each, in the order of {@link InputColumns#READ}.
     *
     * @throws UserError where two files store a read column in types no one type holds, a file
     *         holds a read column under two names that differ in case alone, or a file is no
     *         Parquet file
     */
    static StructType unified(String input, String[] files, Configuration conf) {
        Map<String, Seen> columns = new LinkedHashMap<>();
        for (String c : InputColumns.READ) {   // (lower case; names match in any case)
            columns.put(c, null);
        }
        Map<String, Seen> untyped = new java.util.HashMap<>();   // (as a file of no rows or of nulls alone has it)
        for (Map.Entry<String, FileSchema> file : footers(input, files, conf).entrySet()) {
            Map<String, String> named = new java.util.HashMap<>();   // (this file's name of each read column)
            for (StructField f : file.getValue().schema().fields()) {
                String key = f.name().toLowerCase(Locale.ROOT);
                if (!columns.containsKey(key)) {
                    continue;
                }
                String other = named.putIfAbsent(key, f.name());
                if (other != null) {
                    throw new UserError("--input " + input + ": two of its columns have one name in different cases ('" + other
                            + "' and '" + f.name() + "' in " + file.getKey() + "); names match in any case, so keep one of them");
                }
                // (a file of no rows, nothing of which is read; scores of nulls alone, which the job's reader
                // reads as such; lengths and band bounds of nulls alone, which Spark reads as int into any
                // wider number: none of them has a say. An id of nulls alone Spark cannot read as a string.)
                if (file.getValue().rows() == 0 || file.getValue().nullTyped().contains(key)
                        && (key.equals("scores") || WHOLE_NUMBERS.contains(key))) {
                    untyped.putIfAbsent(key, new Seen(f.name(), f.dataType(), file.getKey(), true));
                    continue;
                }
                Seen first = columns.get(key);
                if (first == null) {
                    columns.put(key, new Seen(f.name(), f.dataType(), file.getKey(), file.getValue().nullTyped().contains(key)));
                } else if (!first.type().equals(f.dataType())) {
                    DataType both = wider(key, first.type(), f.dataType());
                    if (both == null) {
                        throw new UserError("--input " + input + ": its files disagree on a column's type (column '" + f.name()
                                + "': " + first.type().simpleString() + " in " + first.file() + ", " + f.dataType().simpleString()
                                + " in " + file.getKey() + (first.nullsAlone() || file.getValue().nullTyped().contains(key)
                                ? ", one of them holding nulls alone, which pyarrow stores in Parquet's null type and Spark reads "
                                + "as int" : "") + "); " + advice(key, first.type(), f.dataType()));
                    }
                    columns.put(key, new Seen(first.name(), both, first.file(), false));
                }
            }
        }
        List<StructField> fields = new ArrayList<>();
        for (Map.Entry<String, Seen> c : columns.entrySet()) {
            Seen s = c.getValue();
            Seen u = untyped.get(c.getKey());
            if (s != null) {
                fields.add(DataTypes.createStructField(s.name(), s.type(), true));
            } else if (u != null) {
                fields.add(DataTypes.createStructField(u.name(), c.getKey().equals("scores")
                        ? DataTypes.createArrayType(DataTypes.FloatType, true) : u.type(), true));
            }
        }
        return DataTypes.createStructType(fields);
    }


    /**
     * One type that holds both, for a length or band bound: 64-bit for whole numbers of two
     * widths, float64 for a 32-bit integer or float beside a float64 (the widenings Spark's
     * Parquet reader makes), and for scores what {@link #widerScores} says; null for any other pair.
     */
    static DataType wider(String column, DataType a, DataType b) {
        if (column.equals("scores")) {
            return widerScores(a, b);
        }
        if (!WHOLE_NUMBERS.contains(column) || !(a instanceof NumericType) || !(b instanceof NumericType)
                || a instanceof DecimalType || b instanceof DecimalType) {
            return null;
        }
        boolean aWhole = isWhole(a);
        boolean bWhole = isWhole(b);
        if (aWhole && bWhole) {
            return DataTypes.LongType;
        }
        if (a.equals(DataTypes.LongType) || b.equals(DataTypes.LongType)) {
            return null;   // a 64-bit integer in float64 would lose digits; the reader does not widen it
        }
        return DataTypes.DoubleType;
    }

    /**
     * One type for scores stored as two list types: a list of float64 for lists of float32 and
     * float64, the same element type where only whether elements may be null differs (Spark's
     * own merge allows that, yet another column's clash brings the job here); null otherwise
     * (a binary beside a list, or lists of integers).
     */
    private static DataType widerScores(DataType a, DataType b) {
        if (!(a instanceof ArrayType x) || !(b instanceof ArrayType y)) {
            return null;
        }
        DataType element = x.elementType().equals(y.elementType()) ? x.elementType()
                : isFloatOrDouble(x.elementType()) && isFloatOrDouble(y.elementType()) ? DataTypes.DoubleType : null;
        return element == null ? null : DataTypes.createArrayType(element, x.containsNull() || y.containsNull());
    }

    private static boolean isFloatOrDouble(DataType t) {
        return t.equals(DataTypes.FloatType) || t.equals(DataTypes.DoubleType);
    }

    /** What to do where two files store column {@code key} as {@code a} and {@code b}, which no one type holds. */
    private static String advice(String key, DataType a, DataType b) {
        boolean longAndDouble = a.equals(DataTypes.LongType) && b.equals(DataTypes.DoubleType)
                || b.equals(DataTypes.LongType) && a.equals(DataTypes.DoubleType);
        if (WHOLE_NUMBERS.contains(key) && longAndDouble) {
            return "Spark's Parquet reader reads 32-bit integers beside doubles, but not 64-bit ones (pandas writes an "
                    + "integer column as int64, and as float64 where a value is missing): store it as int32, or as double, in "
                    + "every file (e.g. df['" + key + "'].astype('int32') once missing values are dropped or filled)";
        }
        return "store it in one type in every file (lengths and band bounds may mix integer widths, or 32-bit integers "
                + "with doubles; scores float32 lists with float64 ones)";
    }

    private static boolean isWhole(DataType t) {
        return t.equals(DataTypes.ByteType) || t.equals(DataTypes.ShortType) || t.equals(DataTypes.IntegerType)
                || t.equals(DataTypes.LongType);
    }

    /**
     * A file's schema as Spark reads it, its top-level columns (lower case) of Parquet's null
     * type alone (every leaf of its UNKNOWN logical type), and its rows.
     */
    private record FileSchema(StructType schema, Set<String> nullTyped, long rows) {
    }

    /** Each file's schema from its footer, by file (as a path), in the order of {@code files}. */
    private static Map<String, FileSchema> footers(String input, String[] files, Configuration conf) {
        // (built on the caller's thread, with the session's settings for Parquet's types)
        ParquetToSparkSchemaConverter converter = new ParquetToSparkSchemaConverter(org.apache.spark.sql.internal.SQLConf.get());
        List<FileSchema> schemas = InputFooters.eachFooter(List.of(files), conf, footer -> {
            org.apache.parquet.schema.MessageType parquet = footer.getFileMetaData().getSchema();
            Set<String> nullTyped = new java.util.HashSet<>();
            for (org.apache.parquet.schema.Type field : parquet.getFields()) {
                if (nullTyped(field)) {
                    nullTyped.add(field.getName().toLowerCase(Locale.ROOT));
                }
            }
            long rows = 0;
            for (org.apache.parquet.hadoop.metadata.BlockMetaData block : footer.getBlocks()) {
                rows += block.getRowCount();
            }
            List<StructField> read = new ArrayList<>();
            for (org.apache.parquet.schema.Type field : readColumns(parquet)) {
                try {
                    read.addAll(List.of(converter.convert(new org.apache.parquet.schema.MessageType(parquet.getName(), field)).fields()));
                } catch (Exception e) {   // (Spark's AnalysisException, undeclared)
                    throw new UnreadableColumn(field.getName(), e);
                }
            }
            return new FileSchema(DataTypes.createStructType(read), nullTyped, rows);
        }, (file, e) -> {
            if (e instanceof UnreadableColumn bad) {
                throw new UserError("--input " + input + ": column '" + bad.column + "' of " + file + " is stored in a Parquet type"
                        + " Spark cannot read (" + AlignJob.sparkWords(bad.getCause()) + "); " + (bad.column.equalsIgnoreCase("scores")
                        ? "store scores as float32" : "store " + bad.column + " as " + (bad.column.equalsIgnoreCase("id") ? "a string"
                        : "int32")));
            }
            throw new UserError("--input " + input + ": " + file + " is no Parquet file Spark can read (" + e.getMessage() + ")");
        });
        Map<String, FileSchema> out = new LinkedHashMap<>();
        for (int k = 0; k < files.length; k++) {
            out.put(new Path(java.net.URI.create(files[k])).toString(), schemas.get(k));
        }
        return out;
    }

    /**
     * The columns of {@code file} that the job reads: the others may be of any type, even one
     * Spark cannot read (a pandas datetime64[ns] column, which pyarrow stores as
     * TIMESTAMP(NANOS)), as SPEC section 5 ignores them.
     */
    private static List<org.apache.parquet.schema.Type> readColumns(org.apache.parquet.schema.MessageType file) {
        List<org.apache.parquet.schema.Type> read = new ArrayList<>();
        for (org.apache.parquet.schema.Type field : file.getFields()) {
            if (InputColumns.READ.contains(field.getName().toLowerCase(Locale.ROOT))) {
                read.add(field);
            }
        }
        return read;
    }

    /** A column the job reads, stored in a type Spark cannot read. */
    private static final class UnreadableColumn extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String column;

        UnreadableColumn(String column, Exception cause) {
            super(column, cause);
            this.column = column;
        }
    }

    /** Whether every leaf of {@code field} is of Parquet's null type (its UNKNOWN logical type). */
    private static boolean nullTyped(org.apache.parquet.schema.Type field) {
        if (field.isPrimitive()) {
            return field.getLogicalTypeAnnotation() instanceof org.apache.parquet.schema.LogicalTypeAnnotation.UnknownLogicalTypeAnnotation;
        }
        org.apache.parquet.schema.GroupType group = field.asGroupType();
        return group.getFieldCount() > 0 && group.getFields().stream().allMatch(InputSchema::nullTyped);
    }
}
