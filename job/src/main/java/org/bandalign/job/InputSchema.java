package org.bandalign.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The schema to read an input with where Spark cannot merge its files' schemas, because some
 * column is stored in two types: from every file's footer, the columns the job reads alone (SPEC
 * section 5: other columns are ignored, so theirs may differ), with lengths and band bounds
 * stored as 32-bit integers in some files and 64-bit in others (pyarrow's default for Python
 * ints) read as 64-bit, and as float64 where some files hold floats. Spark's Parquet reader
 * widens each file's column to that type. Any other disagreement is the user's: it names the
 * column and two files.
 */
final class InputSchema {
    /** The columns the job reads (lower case; names match in any case). */
    static final List<String> READ = List.of("id", "n", "m", "scores", "diag_lo", "diag_hi");
    private static final Set<String> WHOLE_NUMBERS = Set.of("n", "m", "diag_lo", "diag_hi");
    private static final int THREADS = 8;

    private InputSchema() {
    }

    /** One column as a file stores it. */
    private record Seen(String name, DataType type, String file) {
    }

    /**
     * The read columns of all {@code files} (URIs, as {@code inputFiles()} gives them), one type
     * each, in the order of {@link #READ}.
     *
     * @throws UserError where two files store a read column in types no one type holds, or a
     *         file is no Parquet file
     */
    static StructType unified(String input, String[] files, Configuration conf) {
        Map<String, Seen> columns = new LinkedHashMap<>();
        for (String c : READ) {
            columns.put(c, null);
        }
        for (Map.Entry<String, StructType> file : footers(input, files, conf).entrySet()) {
            for (StructField f : file.getValue().fields()) {
                String key = f.name().toLowerCase(Locale.ROOT);
                if (!columns.containsKey(key)) {
                    continue;
                }
                Seen first = columns.get(key);
                if (first == null) {
                    columns.put(key, new Seen(f.name(), f.dataType(), file.getKey()));
                } else if (!first.type().equals(f.dataType())) {
                    DataType both = wider(key, first.type(), f.dataType());
                    if (both == null) {
                        throw new UserError("--input " + input + ": its files disagree on a column's type (column '" + f.name()
                                + "': " + first.type().simpleString() + " in " + first.file() + ", " + f.dataType().simpleString()
                                + " in " + file.getKey() + "); every file must store each column with one type");
                    }
                    columns.put(key, new Seen(first.name(), both, first.file()));
                }
            }
        }
        List<StructField> fields = new ArrayList<>();
        for (Seen s : columns.values()) {
            if (s != null) {
                fields.add(DataTypes.createStructField(s.name(), s.type(), true));
            }
        }
        return DataTypes.createStructType(fields);
    }

    /**
     * One type that holds both, for a length or band bound: 64-bit for whole numbers of two
     * widths, float64 for a 32-bit integer or float beside a float64 (the widenings Spark's
     * Parquet reader makes); null for any other pair.
     */
    static DataType wider(String column, DataType a, DataType b) {
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

    private static boolean isWhole(DataType t) {
        return t.equals(DataTypes.ByteType) || t.equals(DataTypes.ShortType) || t.equals(DataTypes.IntegerType)
                || t.equals(DataTypes.LongType);
    }

    /** Each file's schema from its footer, in the order of {@code files}, read by a few threads. */
    private static Map<String, StructType> footers(String input, String[] files, Configuration conf) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(THREADS, files.length)), r -> {
            Thread t = new Thread(r, "bandalign-schemas");
            t.setDaemon(true);
            return t;
        });
        // (built on the caller's thread, with the session's settings for Parquet's types)
        ParquetToSparkSchemaConverter converter = new ParquetToSparkSchemaConverter(org.apache.spark.sql.internal.SQLConf.get());
        try {
            List<Future<StructType>> schemas = new ArrayList<>();
            for (String f : files) {
                schemas.add(pool.submit(() -> footer(f, conf, converter)));
            }
            Map<String, StructType> out = new LinkedHashMap<>();
            for (int k = 0; k < files.length; k++) {
                String file = new Path(java.net.URI.create(files[k])).toString();
                try {
                    out.put(file, schemas.get(k).get());
                } catch (ExecutionException e) {
                    throw new UserError("--input " + input + ": " + file + " is no Parquet file Spark can read ("
                            + e.getCause().getMessage() + ")");
                }
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the input's footers", e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static StructType footer(String file, Configuration conf, ParquetToSparkSchemaConverter converter) throws IOException {
        // (inputFiles() gives URIs, percent-encoded: new Path(String) would encode them again)
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(java.net.URI.create(file)), conf))) {
            return converter.convert(reader.getFooter().getFileMetaData().getSchema());
        }
    }
}
