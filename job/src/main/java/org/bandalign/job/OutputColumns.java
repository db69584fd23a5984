package org.bandalign.job;

import static org.apache.spark.sql.functions.col;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Names and orders the {@code marginals/} columns exactly as SPEC section 5 lists them. */
final class OutputColumns {
    private OutputColumns() {
    }

    /** The Parquet paths of the float data (see {@link ParquetWriting}): marginals as arrays or packed, sparse probabilities. */
    static final String[] FLOAT_DATA = {"marginals.list.element", "marginals", "sparse.list.element.p"};

    static Dataset<Row> marginals(Dataset<AlignedRecord> records, boolean packed) {
        Column marginals = packed ? col("packedMarginals") : col("marginals");
        return records.select(
                col("id"), col("n"), col("m"), col("mode"),
                col("diagLo").as("diag_lo"), col("diagHi").as("diag_hi"),
                col("layout"),
                col("logPartition").as("log_partition"),
                marginals.as("marginals"),
                col("sparse"),
                col("viterbiScore").as("viterbi_score"),
                col("viterbiCigar").as("viterbi_cigar"),
                col("viterbiStartI").as("viterbi_start_i"),
                col("viterbiStartJ").as("viterbi_start_j"),
                col("viterbiEndI").as("viterbi_end_i"),
                col("viterbiEndJ").as("viterbi_end_j"));
    }
}
