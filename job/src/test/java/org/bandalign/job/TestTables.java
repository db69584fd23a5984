package org.bandalign.job;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.bandalign.align.testing.ReferenceCase;

/** Input tables for the job's tests: reference cases, as dense or band-layout rows, and bad rows. */
final class TestTables {
    private TestTables() {
    }

    static StructType schema(boolean binary) {
        return new StructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.StringType, true),
            DataTypes.createStructField("n", DataTypes.IntegerType, true),
            DataTypes.createStructField("m", DataTypes.IntegerType, true),
            DataTypes.createStructField("scores",
                    binary ? DataTypes.BinaryType : DataTypes.createArrayType(DataTypes.FloatType, true), true),
            DataTypes.createStructField("diag_lo", DataTypes.IntegerType, true),
            DataTypes.createStructField("diag_hi", DataTypes.IntegerType, true),
            DataTypes.createStructField("note", DataTypes.StringType, true),
        });
    }

    /** A row; {@code scores} may be null. */
    static Row row(String id, Integer n, Integer m, float[] scores, Integer lo, Integer hi, boolean binary) {
        Object s = scores == null ? null : binary ? PairDecoder.pack(scores) : boxed(scores);
        return RowFactory.create(id, n, m, s, lo, hi, "extra column, ignored");
    }

    static Float[] boxed(float[] a) {
        Float[] b = new Float[a.length];
        for (int k = 0; k < a.length; k++) {
            b[k] = a[k];
        }
        return b;
    }

    /** The reference case as an input row: band layout over its band when it has one, else dense. */
    static Row caseRow(ReferenceCase rc, boolean binary) {
        if (rc.band == null) {
            return row(rc.name, rc.n, rc.m, rc.scores, null, null, binary);
        }
        float[] band = ReferenceCase.toBandLayout(rc.scores, rc.n, rc.m, rc.diagLo, rc.diagHi);
        return row(rc.name, rc.n, rc.m, band, rc.diagLo, rc.diagHi, binary);
    }

    /** Bad rows: the id to expect in rejected/ (null for the null id) and a fragment of the reason. */
    static List<String[]> bad(boolean binary) {
        List<String[]> out = new ArrayList<>(BAD_EITHER);
        out.add(binary ? new String[] {"bad-ragged-binary", "not a whole number"} : new String[] {"bad-null-element", "null element"});
        return out;
    }

    private static final List<String[]> BAD_EITHER = List.of(
            new String[] {null, "id is null"},
            new String[] {"bad-null-scores", "scores are null"},
            new String[] {"bad-nan", "is NaN"},
            new String[] {"bad-length", "must hold n*m*3 = 12"},
            new String[] {"bad-n", "lengths must be >= 1"},
            new String[] {"bad-corner", "misses a corner"},
            new String[] {"bad-half-band", "both be set"},
            new String[] {"bad-no-path", "no path of finite weight"},
            new String[] {"bad-null-n", "n is null"});

    static List<Row> badRows(boolean binary) {
        float[] nan = new float[2 * 2 * 3];
        nan[4] = Float.NaN;
        float[] dead = new float[2 * 2 * 3];
        Arrays.fill(dead, Float.NEGATIVE_INFINITY);
        List<Row> rows = new ArrayList<>();
        rows.add(row(null, 2, 2, new float[12], null, null, binary));
        rows.add(row("bad-null-scores", 2, 2, null, null, null, binary));
        rows.add(row("bad-nan", 2, 2, nan, null, null, binary));
        rows.add(row("bad-length", 2, 2, new float[11], null, null, binary));
        rows.add(row("bad-n", 0, 2, new float[0], null, null, binary));
        rows.add(row("bad-corner", 3, 5, new float[3 * 2 * 3], 0, 1, binary));
        rows.add(row("bad-half-band", 3, 3, new float[3 * 3 * 3], -1, null, binary));
        rows.add(row("bad-no-path", 2, 2, dead, null, null, binary));
        rows.add(row("bad-null-n", null, 2, new float[12], null, null, binary));
        if (binary) {
            rows.add(RowFactory.create("bad-ragged-binary", 2, 2, new byte[47], null, null, "47 bytes"));
        } else {
            Float[] withNull = boxed(new float[12]);
            withNull[5] = null;
            rows.add(RowFactory.create("bad-null-element", 2, 2, withNull, null, null, "a null score"));
        }
        return rows;
    }

    /**
     * Spark in local mode for a job test class; in the emulated-gpu run with the stand-in GPU
     * loaded first, so that {@code --backend auto} takes it (skipped where it cannot be built).
     */
    static SparkSession localSpark(String appName) {
        if (org.bandalign.cuda.FakeCudaDriver.requested()) {
            org.junit.jupiter.api.Assumptions.assumeTrue(org.bandalign.cuda.FakeCudaDriver.load(), "the stand-in driver needs g++");
        }
        return SparkSession.builder().master("local[2]").appName(appName).getOrCreate();
    }

    static Dataset<Row> table(SparkSession spark, List<Row> rows, boolean binary) {
        return spark.createDataFrame(rows, schema(binary));
    }

    /** Each column's encodings (by dotted path) over every row group of the Parquet files in {@code dir}. */
    static java.util.Map<String, java.util.Set<org.apache.parquet.column.Encoding>> encodings(java.io.File dir) throws java.io.IOException {
        java.util.Map<String, java.util.Set<org.apache.parquet.column.Encoding>> encodings = new java.util.HashMap<>();
        for (java.io.File f : dir.listFiles((d, name) -> name.endsWith(".parquet"))) {
            try (org.apache.parquet.hadoop.ParquetFileReader r = org.apache.parquet.hadoop.ParquetFileReader.open(
                    org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.getPath()),
                            new org.apache.hadoop.conf.Configuration()))) {
                for (var block : r.getFooter().getBlocks()) {
                    for (var c : block.getColumns()) {
                        encodings.computeIfAbsent(c.getPath().toDotString(), x -> new java.util.HashSet<>()).addAll(c.getEncodings());
                    }
                }
            }
        }
        return encodings;
    }
}
