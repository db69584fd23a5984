package org.bandalign.job;

import static org.apache.spark.sql.functions.col;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Names and orders the {@code marginals/} columns exactly as SPEC section 5 lists them. */
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
