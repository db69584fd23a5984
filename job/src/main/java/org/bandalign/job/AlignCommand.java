package org.bandalign.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Mode;
import org.bandalign.align.Semiring;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align}: the job of SPEC section 5, the same flags under {@code spark-submit} and
 * {@code bin/bandalign}. Under {@code spark-submit} the master comes from spark-submit; the
 * embedded launcher defaults to {@code local[*]}.
 */
@Command(name = "align", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Align every pair of a Parquet input and write marginals (and Viterbi paths) to Parquet.")
final class AlignCommand implements Callable<Integer> {
    @Option(names = "--input", required = true, paramLabel = "PATH", description = "Input Parquet file or directory (SPEC section 5).")
    String input;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output directory: marginals/, rejected/, _SUMMARY.json.")
    String output;

    @Option(names = "--mode", defaultValue = "global", paramLabel = "global|local", description = "Alignment mode (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--semiring", defaultValue = "log", paramLabel = "log|max|both", description = "log: marginals; max: Viterbi; both (default: ${DEFAULT-VALUE}).")
    String semiring;

    @Option(names = "--band", paramLabel = "W", description = "Band half-width w >= 0 for dense rows; intersects a band-layout row's own band.")
    Integer band;

    @Option(names = "--layout", paramLabel = "dense|band|sparse", description = "Marginals layout (default: band for rows aligned in a band, else dense).")
    String layout;

    @Option(names = "--min-prob", paramLabel = "P", description = "Smallest probability kept by --layout sparse (default: 1e-4).")
    Double minProb;

    /** --min-prob's default. */
    static final double MIN_PROB = 1e-4;

    @Option(names = "--packed", description = "Write marginals as a binary column of little-endian float32 instead of array<float> (about as fast through the job's writer, and no list levels in the files: see docs/PERFORMANCE.md).")
    boolean packed;

    @Option(names = "--backend", defaultValue = "auto", paramLabel = "auto|cuda|cpu", description = "Engine (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: spark-submit's, else local[*]).")
    String master;

    @Option(names = "--overwrite", description = "Replace an earlier output of align (a directory that holds anything else is refused).")
    boolean overwrite;

    @Option(names = "--fail-fast", description = "Stop at the first bad row instead of writing it to rejected/.")
    boolean failFast;

    @Option(names = "--batch-cells", paramLabel = "CELLS", description = "Band cells per alignAll batch (key spark.bandalign.batch.cells).")
    Long batchCells;

    @Option(names = "--gpu-memory", paramLabel = "BYTES", description = "GPU memory budget per launch (key spark.bandalign.gpu.memoryBudget).")
    Long gpuMemory;

    @Option(names = "--compression", paramLabel = "CODEC", description = "Parquet codec of the output (key spark.bandalign.output.compression).")
    String compression;

    @Option(names = "--io-only", description = "Benchmark aid: read and write as usual but align nothing (marginals of the right size, filled with the pair's own scores).")
    boolean ioOnly;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "Any Spark or spark.bandalign.* setting.")
    Map<String, String> conf = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        SparkConf sparkConf = sparkConf(new SparkConf());
        // (every check before any note: a refused value is the one line a mistake gets)
        JobRequest request = request(sparkConf);
        List<String> notes = new ArrayList<>(overrideNotes());
        notes.addAll(TaskGpu.checkAmounts(sparkConf));
        String master = sparkConf.get("spark.master");
        if (request.options.backend == Backend.CUDA && MasterUrl.inProcess(master)) {
            requireCuda();   // on a cluster only the executors need a GPU
        }
        checkPlacesEarly(sparkConf, request);
        for (String note : notes) {
            System.err.println("bandalign: note: " + note);
        }
        SparkSession spark = CommandSession.start(sparkConf, "align");
        try (ExecutorWatch watch = ExecutorWatch.start(spark, sparkConf, System.err)) {
            JobSummary summary = AlignJob.run(spark, request);
            System.out.println(summary.line());
            return 0;
        } catch (Exception | Error e) {   // (Spark's checked exceptions too, which javac does not see)
            CommandSession.stop(spark, true);
            throw e;
        } finally {
            spark.stop();
        }
    }

    /**
     * The input and output checks of {@link AlignJob#checkPlaces}, before Spark starts (seconds
     * sooner, and before a cluster's executors are taken), where input and output both lie on the
     * local file system: its settings are the Hadoop ones the session would give the job (Spark's,
     * then every setting of the run, as the session's {@code newHadoopConf} copies them, so a
     * {@code --conf fs.defaultFS=hdfs://...} counts). Other file systems are left to the same
     * checks once Spark has started: asked here, their client would be made, and kept in Hadoop's
     * cache, from settings the session may complete (a review found a plain
     * {@code --conf fs.s3a.endpoint} then ignored by the tasks).
     */
    static void checkPlacesEarly(SparkConf sparkConf, JobRequest request) {
        HadoopPaths.parse("--input", request.input);   // (names Hadoop cannot take, on any file system)
        HadoopPaths.output("--output", request.output);
        try {
            org.apache.hadoop.conf.Configuration hadoop = org.apache.spark.deploy.SparkHadoopUtil.get().newConfiguration(sparkConf);
            for (scala.Tuple2<String, String> kv : sparkConf.getAll()) {
                hadoop.set(kv._1(), kv._2());
            }
            if (isLocal(hadoop, request.input) && isLocal(hadoop, request.output)) {
                AlignJob.checkPlaces(hadoop, request);
            }
        } catch (UserError e) {
            throw e;
        } catch (java.io.IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(AlignCommand.class).debug("input and output checked once Spark has started: {}", e.toString());
        }
    }

    /** Whether {@code path} lies on the local file system under {@code hadoop}'s default file system. */
    private static boolean isLocal(org.apache.hadoop.conf.Configuration hadoop, String path) {
        String scheme = new org.apache.hadoop.fs.Path(path).toUri().getScheme();
        return "file".equalsIgnoreCase(scheme != null ? scheme : org.apache.hadoop.fs.FileSystem.getDefaultUri(hadoop).getScheme());
    }

    /**
     * The run's Spark settings: {@code base} (spark-submit's, or the JVM's system properties) with
     * --conf's over them and --master over all; without any master, {@code local[*]} (SPEC
     * section 5: the embedded launcher's default).
     */
    SparkConf sparkConf(SparkConf base) {
        conf.forEach(base::set);
        if (master != null) {
            base.setMaster(master);
        } else if (!base.contains("spark.master")) {
            base.setMaster("local[*]");
        }
        base.setIfMissing("spark.app.name", "bandalign align");
        return base;
    }

    /** What to tell a user who gave the master twice, differently (the flag wins), else null. */
    String masterNote() {
        return overrideNote("--master", master, "spark.master");
    }

    /**
     * What each flag given beside a --conf of its key with another value says (the flag wins),
     * and what a flag says that the layout asked for ignores.
     */
    List<String> overrideNotes() {
        List<String> notes = new ArrayList<>();
        for (String note : new String[] {masterNote(),
            overrideNote(JobKeys.COMPRESSION, compression),
            overrideNote(JobKeys.BATCH_CELLS, batchCells),
            overrideNote(JobKeys.GPU_MEMORY_BUDGET, gpuMemory)}) {
            if (note != null) {
                notes.add(note);
            }
        }
        boolean sparse = layout != null && layout.strip().equalsIgnoreCase("sparse");
        if (minProb != null && !sparse) {
            notes.add("--min-prob applies to --layout sparse alone; the " + (layout == null ? "dense and band" : layout.strip())
                    + " layout" + (layout == null ? "s keep" : " keeps") + " every marginal");
        }
        if (packed && sparse) {
            notes.add("--packed applies to the dense and band layouts; --layout sparse writes its steps as a list (marginals null)");
        }
        return notes;
    }

    private String overrideNote(JobKey<?> key, Object value) {
        return overrideNote(key.flag(), value, key.name());
    }

    private String overrideNote(String flag, Object value, String key) {
        String given = conf.get(key);
        return value != null && given != null && !given.trim().equals(String.valueOf(value))
                ? flag + " " + value + " overrides --conf " + key + "=" + given : null;
    }

    /** For --backend cuda in local mode: refuses at once, saying why, where no GPU can be used. */
    private static void requireCuda() {
        try {
            if (org.bandalign.cuda.CudaAligner.deviceCount() < 1) {
                throw new UserError("--backend cuda: the CUDA driver reports no device (use --backend auto or cpu)");
            }
        } catch (org.bandalign.cuda.CudaUnavailableException e) {
            throw new UserError("--backend cuda: " + e.getMessage());
        }
    }

    JobRequest request(SparkConf sparkConf) {
        for (String key : conf.keySet()) {
            if (!key.equals(key.strip()) || key.isEmpty()) {
                throw UserError.badFlag("--conf '" + key + "': a key has no blanks around it (and is not empty)");
            }
        }
        JobKeys.checkKnown(sparkConf);
        if (input.isBlank() || output.isBlank()) {
            throw UserError.badFlag((input.isBlank() ? "--input" : "--output") + " is empty; give a path");
        }
        checkReaderBatchSize(sparkConf);
        if (band != null && band < 0) {
            throw UserError.badFlag("--band must be >= 0, got " + band);
        }
        double minProb = this.minProb != null ? this.minProb : MIN_PROB;
        if (!(minProb >= 0 && minProb <= 1)) {
            throw UserError.badFlag("--min-prob must lie in [0, 1], got " + minProb);
        }
        Layout chosen = layout == null ? null : parse(Layout.class, layout, "--layout");
        JobOptions options = new JobOptions(
                parse(Mode.class, mode, "--mode"),
                parse(Semiring.class, semiring, "--semiring"),
                band == null ? AlignOptions.NO_BAND : band,
                chosen,
                minProb, packed && chosen != Layout.SPARSE,   // (sparse: marginals null, of the type they have unpacked)
                parse(Backend.class, backend, "--backend"),
                failFast,
                batchCells != null ? JobKeys.BATCH_CELLS.check(batchCells, "--batch-cells") : JobKeys.BATCH_CELLS.get(sparkConf),
                JobKeys.BATCH_PAIRS.get(sparkConf),
                JobKeys.MAX_CELLS.get(sparkConf),
                JobKeys.CPU_THREADS.get(sparkConf),
                JobKeys.GPU_CONCURRENT_TASKS.get(sparkConf),
                gpuMemory != null ? JobKeys.GPU_MEMORY_BUDGET.check(gpuMemory, "--gpu-memory") : JobKeys.GPU_MEMORY_BUDGET.get(sparkConf),
                ioOnly);
        String codec = compression != null ? compression : JobKeys.COMPRESSION.get(sparkConf);
        ParquetWriting.checkCodec(codec, compression != null ? "--compression" : JobKeys.COMPRESSION.name());
        return new JobRequest(input, output, overwrite, options, codec,
                JobKeys.STAGE_GPU_AMOUNT.get(sparkConf), JobKeys.READER_BATCH_ROWS.get(sparkConf),
                JobKeys.READER_LARGE_ROW_BYTES.get(sparkConf), JobKeys.READER_PAGE_READER.get(sparkConf),
                JobKeys.REJECTED_DRIVER_ROWS.get(sparkConf),
                JobKeys.OUTPUT_PAGE_WRITER.get(sparkConf));
    }

    /**
     * Refuses a Parquet read batch of no rows set through {@code --conf}: Spark's vectorized
     * reader takes it and then loops forever without reading a row.
     */
    private static void checkReaderBatchSize(SparkConf conf) {
        if (!conf.contains(AlignJob.READER_BATCH_SIZE)) {
            return;
        }
        String v = conf.get(AlignJob.READER_BATCH_SIZE);
        int rows;
        try {
            rows = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            rows = 0;
        }
        if (rows < 1) {
            throw new UserError(AlignJob.READER_BATCH_SIZE + " must be a whole number of rows, at least 1, got '" + v + "'");
        }
    }

    /** The constant of {@code type} named {@code value} in any case, or a UserError listing the allowed names. */
    static <E extends Enum<E>> E parse(Class<E> type, String value, String flag) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value)) {
                return e;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            allowed.append(allowed.length() == 0 ? "" : ", ").append(e.name().toLowerCase(java.util.Locale.ROOT));
        }
        throw UserError.badFlag(flag + " must be one of " + allowed + ", got '" + value + "'");
    }
}
