package org.bandalign.job;

import static org.apache.spark.sql.functions.col;

import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code generate}: writes a synthetic input of any size, deterministically from a seed, in
 * parallel (row k depends only on the seed and k).
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write a deterministic synthetic input (SPEC section 5) of any size.")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output Parquet directory.")
    String output;

    @Option(names = "--pairs", defaultValue = "100", description = "Number of random pairs (default: ${DEFAULT-VALUE}).")
    long pairs;

    @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--min-len", defaultValue = "1", description = "Shortest n or m (default: ${DEFAULT-VALUE}).")
    int minLen;

    @Option(names = "--max-len", defaultValue = "300", description = "Longest n or m (default: ${DEFAULT-VALUE}).")
    int maxLen;

    @Option(names = "--band-fraction", defaultValue = "0", description = "Fraction of rows written in band layout (default: ${DEFAULT-VALUE}).")
    double bandFraction;

    @Option(names = "--band-width", defaultValue = "8", description = "Half-width of band-layout rows (default: ${DEFAULT-VALUE}).")
    int bandWidth;

    @Option(names = "--binary", description = "Write scores as packed little-endian float32 (binary) instead of array<float>.")
    boolean binary;

    @Option(names = "--seed-example", description = "Also write the seed notebook's example as row 'seed-example'.")
    boolean seedExample;

    @Option(names = "--sample", description = "Write the curated sample input of data/sample instead (one file; "
            + "--pairs, lengths and band options are ignored).")
    boolean sample;

    /**
     * Row groups of about 8 MB: Spark splits a Parquet file only between row groups, so a 64 MB
     * file of one row group (parquet-mr's default is 128 MB) was read by one task, whatever the
     * cores (a probe: 200,000 small pairs in one file ran as a single task).
     */
    static final long ROW_GROUP_BYTES = 8L << 20;

    @Option(names = "--partitions", defaultValue = "0", description = "Output files (default: one per 64 MB, at least 1).")
    int partitions;

    @Option(names = "--compression", defaultValue = "snappy", description = "Parquet codec (default: ${DEFAULT-VALUE}).")
    String compression;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: local[*]).")
    String master;

    @Option(names = "--overwrite", description = "Replace an earlier output of generate (a directory that holds anything else is refused).")
    boolean overwrite;

    /** The most floats a Java array holds, about (HotSpot's limit). */
    private static final long MAX_SCORES = ParquetScores.MAX_ARRAY;

    @Override
    public Integer call() throws java.io.IOException {
        if (minLen < 1 || maxLen < minLen) {
            throw UserError.badFlag("need 1 <= --min-len <= --max-len, got " + minLen + " and " + maxLen);
        }
        if (pairs < 0) {
            throw UserError.badFlag("--pairs must be >= 0, got " + pairs);
        }
        if (!(bandFraction >= 0 && bandFraction <= 1)) {
            throw UserError.badFlag("--band-fraction must lie in [0, 1], got " + bandFraction);
        }
        if (bandFraction > 0 && bandWidth < 0) {
            throw UserError.badFlag("--band-width must be >= 0 for band-layout rows, got " + bandWidth);
        }
        if (partitions < 0) {
            throw UserError.badFlag("--partitions must be >= 0 (0: one file per 64 MB), got " + partitions);
        }
        // The largest row's scores must fit one Java array (an adversarial run made rows of
        // 2^31 - 1 x 2^31 - 1 with 3 scores, and band bounds that wrapped around).
        long bandRowWidth = (long) maxLen - minLen + 2L * bandWidth + 1;   // W of a band-layout row, at most
        double widest = bandFraction >= 1 ? bandRowWidth : bandFraction > 0 ? Math.max(bandRowWidth, maxLen) : maxLen;
        if ((double) maxLen * widest * 3 > MAX_SCORES) {
            throw UserError.badFlag("--max-len " + maxLen + (bandFraction > 0 ? " with --band-width " + bandWidth : "")
                    + ": the largest pair's scores would not fit a Java array (" + MAX_SCORES + " floats); at most "
                    + (long) Math.sqrt(MAX_SCORES / 3.0) + " for dense pairs");
        }
        ParquetWriting.checkCodec(compression, "--compression");
        org.apache.hadoop.fs.Path out = HadoopPaths.output("--output", output);   // (before Spark starts)
        SparkConf conf = new SparkConf().setIfMissing("spark.app.name", "bandalign generate");
        conf.setMaster(master != null ? master : conf.get("spark.master", "local[*]"));
        SparkSession spark = CommandSession.start(conf, "generate");
        try {
            if (MasterUrl.inProcess(spark.sparkContext().master())) {
                checkHeap((long) (maxLen * widest * 3 * Float.BYTES), Math.min(pairs, spark.sparkContext().defaultParallelism()),
                        Runtime.getRuntime().maxMemory());
            }
            org.apache.hadoop.fs.FileSystem fs = out.getFileSystem(spark.sparkContext().hadoopConfiguration());
            OutputPlace.checkPlace(fs, fs.makeQualified(out));   // (a file, even with --overwrite, is never replaced)
            if (!overwrite && fs.exists(out)) {
                throw new UserError("output directory " + output + " already exists; pass --overwrite to replace it");
            }
            if (overwrite) {
                OutputPlace.checkReplaceable(fs, out, OutputPlace.GENERATE_OUTPUT);
            }
            // Written beside the output and moved into place once complete, as align's output is:
            // --overwrite deleted the earlier output first, and a run that failed left none (a probe)
            OutputSwap swap = new OutputSwap(fs, fs.makeQualified(out), spark.sparkContext().applicationId(),
                    OutputPlace.GENERATE_OUTPUT);
            swap.prepare();
            // about 64 MB a file, by the rows' average size (a band-layout row holds n x W cells,
            // W at most bandRowWidth), and never more files than pairs
            double meanLen = (minLen + maxLen) / 2.0;
            double avgCells = (1 - bandFraction) * meanLen * meanLen + bandFraction * meanLen * Math.min(bandRowWidth, maxLen);
            int files = partitions > 0 ? partitions
                    : (int) Math.max(1, Math.min(Math.min(100_000, pairs), pairs * avgCells * 12 / (64 << 20)));
            FlatMapFunction<Iterator<Long>, GeneratedRow> make =
                    maker(seed, minLen, maxLen, bandFraction, bandWidth, binary);
            Dataset<GeneratedRow> rows = spark.range(0, pairs, 1, files).as(Encoders.LONG())
                    .mapPartitions(make::call, Encoders.bean(GeneratedRow.class));
            if (sample) {
                List<GeneratedRow> sampleRows = new java.util.ArrayList<>();
                SampleData.rows(seed).forEach(r -> sampleRows.add(packedIf(binary, r)));
                rows = spark.createDataset(sampleRows, Encoders.bean(GeneratedRow.class)).coalesce(1);
            } else if (seedExample) {
                rows = rows.union(spark.createDataset(List.of(packedIf(binary, PairGenerator.seedExample(seed))),
                        Encoders.bean(GeneratedRow.class))).coalesce(files);   // (the union's extra partition joins another: --partitions files)
            }
            Dataset<Row> table = rows.select(col("id"), col("n"), col("m"),
                    (binary ? col("packedScores") : col("scores")).as("scores"),
                    col("diagLo").as("diag_lo"), col("diagHi").as("diag_hi"), col("source"));
            // (random scores and unique ids: a dictionary of them would only be hashed, then dropped)
            // Stopped (Ctrl-C, SIGTERM, or in local mode Spark's exit when a task runs out of
            // memory, exit 52, which said nothing of BandAlign's before): the staging directory
            // goes, and the run says so as its last words.
            boolean inProcess = MasterUrl.inProcess(spark.sparkContext().master());
            Runnable stopped = () -> {
                AlignJob.quietLogging();
                String outcome;
                try {
                    String signal = StopSignals.received();
                    outcome = swap.recover() ? "once its output was in place in " + output
                            : "before it was done, so " + output + " is as it was before the run" + (signal != null ? " (" + signal
                            + " stopped it)" : inProcess ? " (where Spark's log above shows an OutOfMemoryError, a task ran out of "
                            + "memory and the exit code is 52: give the JVM more memory, BANDALIGN_JAVA_OPTS=-Xmx..., or lower "
                            + "--max-len)" : "");
                } catch (java.io.IOException | RuntimeException e) {
                    outcome = "before it was done, and its staging directory " + swap.staging + " could not be removed (" + e + ")";
                }
                System.err.println("bandalign: generate stopped " + outcome);
            };
            org.apache.hadoop.util.ShutdownHookManager.get().addShutdownHook(stopped, AlignJob.PARTIAL_OUTPUT_HOOK_PRIORITY);
            AlignJob.STOP_SAID_BY_HOOK.set(true);   // (the command line's handler then adds no line of its own)
            long written;
            UserError refusedAtPublish = null;
            try {
                ParquetWriting.configure(table.write().mode("errorifexists"), compression,
                        "id", binary ? "scores" : "scores.list.element")
                        .option("parquet.block.size", ROW_GROUP_BYTES).parquet(swap.staging.toString());
                // What --overwrite knows generate's output by: empty, as _SUCCESS, since polars reads every non-empty
                // file of a folder (Spark and pyarrow skip names that start with '_')
                swap.createInStaging(OutputPlace.GENERATED_MARK).close();
                try {
                    OutputFiles.removeChecksumFiles(fs, swap.staging);   // (as align's output: polars reads the folder)
                } catch (java.io.IOException e) {   // (the output is complete without; Hadoop reads it either way)
                    System.err.println("bandalign: could not remove the checksum files Hadoop wrote under " + swap.staging + ": " + e);
                }
                try {
                    swap.publish(overwrite);
                } catch (UserError e) {
                    refusedAtPublish = e;   // (what is in the output's place changed while this run wrote: its rows are kept, where the message says)
                    throw e;
                }
                // (Spark reads no hidden path: the staging directory's; the name escaped, as Spark reads a path as a glob)
                written = spark.read().parquet(HadoopPaths.escapeGlob(output)).count();
            } catch (Exception | Error e) {
                if (e == refusedAtPublish) {
                    throw e;
                }
                try {
                    swap.recover();   // (the staging directory goes; an earlier output stays or comes back)
                } catch (java.io.IOException | RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            } finally {
                try {
                    org.apache.hadoop.util.ShutdownHookManager.get().removeShutdownHook(stopped);
                    AlignJob.STOP_SAID_BY_HOOK.set(false);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs (or ran)
                }
            }
            System.out.println("bandalign: wrote " + written + " rows to " + output);
            return 0;
        } catch (Exception | Error e) {   // (Spark's checked exceptions too, which javac does not see)
            CommandSession.stop(spark, true);
            throw e;
        } finally {
            spark.stop();
        }
    }

    /**
     * Heap a task takes to make and write a pair, in multiples of its scores' bytes: the array,
     * Spark's row of it, and the Parquet writer's value buffers and page. Measured under a
     * 912 MiB heap, one task: 3000 x 3000 (108 MB of scores) was written, 3500 x 3500 (147 MB)
     * ran the heap out (exit 52).
     */
    static final long HEAP_PER_SCORE_BYTE = 8;

    /**
     * Refuses, in local mode, pairs whose making would run this JVM's {@code heap} out: the
     * largest pair's {@code scoreBytes} for each of {@code tasks} at once.
     */
    static void checkHeap(long scoreBytes, long tasks, long heap) {
        long need = scoreBytes * HEAP_PER_SCORE_BYTE * Math.max(1, tasks);
        if (need > heap) {
            throw UserError.badFlag(String.format(java.util.Locale.ROOT, "--max-len: pairs of up to %.0f MB of scores take about %d "
                    + "times that of the heap to make and write, for each of the %d tasks at once: %d MiB, more than this JVM's "
                    + "%d MiB; give it more (BANDALIGN_JAVA_OPTS=-Xmx...), run fewer tasks at once (--master local[1]), or lower "
                    + "--max-len", scoreBytes / 1e6, HEAP_PER_SCORE_BYTE, Math.max(1, tasks), need >> 20, heap >> 20));
        }
    }

    /** Row k of the input, made on an executor (static: captures only these values). */
    private static FlatMapFunction<Iterator<Long>, GeneratedRow> maker(long seed, int minLen, int maxLen,
                                                                        double bandFraction, int bandWidth, boolean packed) {
        return ids -> new Iterator<>() {
            @Override
            public boolean hasNext() {
                return ids.hasNext();
            }

            @Override
            public GeneratedRow next() {
                return packedIf(packed, PairGenerator.random(seed, ids.next(), minLen, maxLen, bandFraction, bandWidth));
            }
        };
    }

    private static GeneratedRow packedIf(boolean packed, GeneratedRow row) {
        if (packed) {
            row.setPackedScores(PairDecoder.pack(row.getScores()));
            row.setScores(null);
        }
        return row;
    }
}
