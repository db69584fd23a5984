package org.bandalign.job;

import java.io.IOException;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.OutputWriter;
import org.apache.spark.sql.execution.datasources.OutputWriterFactory;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.types.StructType;

/**
 * Spark's Parquet data source, with the job's output columns written by its own output writer
 * ({@link OutputParquetWriter}: float lists and binaries a page at a time, lists of structs of
 * numbers straight into parquet-mr's column writers); write with
 * {@code df.write().format(OutputParquetFormat.NAME)}.
 *
 * <p>Everything but the output writer is Spark's: the options, the file names, the commit
 * protocol (task attempts, speculation, {@code _SUCCESS}), the write statistics. The output
 * writer of a file whose rows hold no such column, or whose configuration asks for something the
 * page writer does not do (see {@link OutputParquetWriter#fastColumns}), is Spark's own.
 * Measured on the job's I/O-only runs, Spark's writer spent about 100 ns a float of the marginals
 * (a group, a field and a value through parquet-mr's record consumer for each element); see
 * PERFORMANCE.md.
 */
public class OutputParquetFormat extends ParquetFileFormat {
    private static final long serialVersionUID = 1L;

    /** The name to give {@code DataFrameWriter.format}. */
    public static final String NAME = OutputParquetFormat.class.getName();

    @Override
    public OutputWriterFactory prepareWrite(SparkSession spark, Job job, scala.collection.immutable.Map<String, String> options,
                                           StructType dataSchema) {
        return new Factory(super.prepareWrite(spark, job, options, dataSchema));
    }

    /** Spark's factory for file names and for the files the page writer does not take. */
    private static final class Factory extends OutputWriterFactory {
        private static final long serialVersionUID = 1L;
        private final OutputWriterFactory spark;

        Factory(OutputWriterFactory spark) {
            this.spark = spark;
        }

        @Override
        public String getFileExtension(TaskAttemptContext context) {
            return spark.getFileExtension(context);
        }

        @Override
        public OutputWriter newInstance(String path, StructType dataSchema, TaskAttemptContext context) {
            int[] fast = OutputParquetWriter.fastColumns(dataSchema, context.getConfiguration());
            if (fast.length == 0) {
                return spark.newInstance(path, dataSchema, context);
            }
            try {
                return new OutputParquetWriter(path, dataSchema, fast, context);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("opening " + path + ": " + e.getMessage(), e);
            }
        }
    }
}
