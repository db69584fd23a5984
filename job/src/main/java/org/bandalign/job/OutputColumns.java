package org.bandalign.job;

import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code marginals/} columns exactly as SPEC section 5 lists them: their names, order, types
 * and nullability, and each one's ordinal in the rows {@link RecordMaker} builds.
 */
final class OutputColumns {
    private OutputColumns() {
    }

    /**
     * The Parquet paths of the columns written without a dictionary (see {@link ParquetWriting}):
     * the float data (marginals as arrays or packed, sparse probabilities), and the columns whose
     * values are each row's own (the pair's id, its log Z, its Viterbi score and CIGAR), where a
     * dictionary only ever costs the writer its hashing before it falls back to plain values (0.87x the I/O-only job's task seconds on 200,000
     * pairs of 10-40 without one on the id; 0.93x with the CPU backend and {@code --semiring
     * both}, without one on all four).
     */
    static final String[] NO_DICTIONARY = {"marginals.list.element", "marginals", "sparse.list.element.p", "id", "log_partition",
            "viterbi_score", "viterbi_cigar"};

    static final int ID = 0;
    static final int N = 1;
    static final int M = 2;
    static final int MODE = 3;
    static final int DIAG_LO = 4;
    static final int DIAG_HI = 5;
    static final int LAYOUT = 6;
    static final int LOG_PARTITION = 7;
    static final int MARGINALS = 8;
    static final int SPARSE = 9;
    static final int VITERBI_SCORE = 10;
    static final int VITERBI_CIGAR = 11;
    static final int VITERBI_START_I = 12;
    static final int VITERBI_START_J = 13;
    static final int VITERBI_END_I = 14;
    static final int VITERBI_END_J = 15;
    /** How many columns. */
    static final int COUNT = 16;

    /** The fields of a sparse step, in their order: cell (i, j), step k, probability p. */
    static final StructType SPARSE_STEP = new StructType(new StructField[] {
            field("i", DataTypes.IntegerType, false), field("j", DataTypes.IntegerType, false),
            field("k", DataTypes.IntegerType, false), field("p", DataTypes.FloatType, false)});

    /**
     * The table's schema; {@code packed}: the marginals as a binary of little-endian float32
     * instead of an array of floats. (The types and nullability the job wrote through Spark's
     * bean encoder before its tasks built the rows themselves: ids, strings and lists nullable,
     * the shape not.)
     */
    static StructType schema(boolean packed) {
        return new StructType(new StructField[] {
                field("id", DataTypes.StringType, true),
                field("n", DataTypes.IntegerType, false),
                field("m", DataTypes.IntegerType, false),
                field("mode", DataTypes.StringType, true),
                field("diag_lo", DataTypes.IntegerType, false),
                field("diag_hi", DataTypes.IntegerType, false),
                field("layout", DataTypes.StringType, true),
                field("log_partition", DataTypes.DoubleType, true),
                field("marginals", packed ? DataTypes.BinaryType : new ArrayType(DataTypes.FloatType, false), true),
                field("sparse", new ArrayType(SPARSE_STEP, true), true),
                field("viterbi_score", DataTypes.DoubleType, true),
                field("viterbi_cigar", DataTypes.StringType, true),
                field("viterbi_start_i", DataTypes.IntegerType, true),
                field("viterbi_start_j", DataTypes.IntegerType, true),
                field("viterbi_end_i", DataTypes.IntegerType, true),
                field("viterbi_end_j", DataTypes.IntegerType, true)});
    }

    private static StructField field(String name, DataType type, boolean nullable) {
        return new StructField(name, type, nullable, Metadata.empty());
    }
}
