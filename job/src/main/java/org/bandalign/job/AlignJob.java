package org.bandalign.job;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.TaskResourceRequests;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * The driver side of {@code align}: checks the output directory, reads the input, runs
 * {@link AlignPartition} over it (under a GPU task resource profile when asked), writes
 * {@code marginals/}, {@code rejected/} and {@code _SUMMARY.json}. A failed run removes what it
 * wrote; without {@code --overwrite} an existing output directory is refused and left alone.
 */
final class AlignJob {
    private AlignJob() {
    }

    static JobSummary run(SparkSession spark, JobRequest req) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path out = new Path(req.output);
        FileSystem fs = out.getFileSystem(hadoop);
        if (fs.exists(out)) {
            if (!req.overwrite) {
                throw new UserError("output directory " + req.output + " already exists; pass --overwrite to replace it");
            }
            fs.delete(out, true);
        }
        long start = System.nanoTime();
        // Interrupted (Ctrl-C, SIGTERM): remove the partial output too. The hook runs after
        // Spark's own (which stop the tasks) and before Hadoop closes its file systems.
        Runnable removePartial = () -> {
            try {
                fs.delete(out, true);
            } catch (IOException | RuntimeException ignored) {
                // the JVM is going down; nothing better to do
            }
        };
        ShutdownHookManager.get().addShutdownHook(removePartial, PARTIAL_OUTPUT_HOOK_PRIORITY);
        try {
            JobSummary summary = align(spark, req, start);
            try (OutputStream os = fs.create(new Path(out, "_SUMMARY.json"), false)) {
                os.write(summary.toJson().getBytes(StandardCharsets.UTF_8));
            }
            return summary;   // the hook goes in finally, before the caller sees success
        } catch (Throwable e) {
            // Spark's checked SparkException lands here too: nothing of a failed run stays behind.
            fs.delete(out, true);
            throw e;
        } finally {
            if (!ShutdownHookManager.get().isShutdownInProgress()) {
                ShutdownHookManager.get().removeShutdownHook(removePartial);
            }
        }
    }

    /**
     * Priority in Hadoop's shutdown hook manager: below Spark's (40, under which Spark stops its
     * context and tasks), above Hadoop's FileSystem hook (10), which closes the file systems.
     */
    private static final int PARTIAL_OUTPUT_HOOK_PRIORITY = 20;

    private static JobSummary align(SparkSession spark, JobRequest req, long start) {
        Dataset<Row> input = spark.read().parquet(req.input);
        JobCounters counters = new JobCounters(spark.sparkContext());
        JavaRDD<InternalRow> rows = InputColumns.rows(input);
        JavaRDD<AlignedRecord> aligned = rows.mapPartitions(
                new AlignPartition(req.options, InputColumns.format(input.schema()), counters));
        if (req.stageGpuAmount > 0) {
            aligned = aligned.withResources(new ResourceProfileBuilder()
                    .require(new TaskResourceRequests().resource("gpu", req.stageGpuAmount)).build());
        }
        Dataset<AlignedRecord> records = spark.createDataset(aligned.rdd(), Encoders.bean(AlignedRecord.class));
        ParquetWriting.configure(OutputColumns.marginals(records, req.options.packed).write(), req.compression)
                .parquet(req.output + "/marginals");

        List<RejectedRecord> rejected = new ArrayList<>(counters.rejected.value());
        ParquetWriting.configure(spark.createDataFrame(rejected, RejectedRecord.class).select("id", "error").coalesce(1).write(),
                req.compression).parquet(req.output + "/rejected");
        double seconds = (System.nanoTime() - start) / 1e9;

        long inputRows = counters.inputRows.value();
        long alignedRows = counters.alignedRows.value();
        if (inputRows != alignedRows + rejected.size()) {
            throw new IllegalStateException("internal error: " + inputRows + " input rows but " + alignedRows
                    + " aligned and " + rejected.size() + " rejected");
        }
        return new JobSummary(inputRows, alignedRows, rejected.size(), counters.cells.value(), seconds,
                new ArrayList<>(new TreeSet<>(counters.backends.value())), spark.sparkContext().master(),
                req.options.describe(), taskGpuCounts(counters.taskGpus.value()),
                new ArrayList<>(new TreeSet<>(counters.cpuFallbacks.value())), counters.taskNanos.value() / 1e9,
                counters.alignNanos.value() / 1e9, counters.gpuWaitNanos.value() / 1e9, req.output);
    }

    /** How many alignment tasks held each GPU address set ("" = none). */
    private static Map<String, Integer> taskGpuCounts(List<String> perTask) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String a : perTask) {
            counts.merge(a.isEmpty() ? "none" : a, 1, Integer::sum);
        }
        return counts;
    }
}
