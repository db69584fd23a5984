package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Every job key is declared once, documented in the cluster template, and read from a SparkConf. */
class JobKeysTest {
    /** The template's last block is {@code keys --template}'s output: every key, its default and its description as declared. */
    @Test
    void sparkDefaultsTemplate_endsWithEveryKeyAsDeclared() throws IOException {
        String template = Files.readString(Paths.get("..", "conf", "spark-defaults.conf"));
        int header = template.indexOf("# BandAlign's keys");
        assertTrue(header > 0, "conf/spark-defaults.conf has the block of BandAlign's keys");
        int rule = template.indexOf("# ---", header);
        String block = template.substring(template.indexOf('\n', rule) + 1);
        assertEquals(KeysCommand.template(), block,
                "conf/spark-defaults.conf's keys differ from JobKeys: rewrite its last block with bin/bandalign keys --template");
        for (JobKey<?> k : JobKeys.all()) {
            assertTrue(block.contains("# " + k.name() + " ".repeat(2)), k.name());
        }
    }

    /**
     * The executor options the template sets start a JVM, with the parallel collector. Spark
     * starts executors with {@code -XX:+IgnoreUnrecognizedVMOptions}, so a mistyped option
     * there would be dropped without a word; here the JVM refuses it.
     */
    @Test
    @EnabledOnOs(OS.LINUX)   // -XX:+UseTransparentHugePages is an option of Linux JVMs only
    void sparkDefaultsTemplate_executorJavaOptions_startAJvmWithTheParallelCollector() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(StandaloneCluster.templateSetting("spark.executor.extraJavaOptions").split("\\s+")));
        cmd.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "java -version ends");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
        assertTrue(Pattern.compile("bool UseParallelGC\\s+= true").matcher(out).find(), "the parallel collector:\n" + out);
    }

    /** The README's table of keys is {@code bin/bandalign keys}'s output. */
    @Test
    void readme_holdsTheKeysTable() throws IOException {
        String readme = Files.readString(Paths.get("..", "README.md"));
        assertTrue(readme.contains(KeysCommand.table()), "README.md's keys table differs from JobKeys: paste bin/bandalign keys's output");
    }

    @Test
    void keys_areUniqueAndParseFromConf() {
        Set<String> names = new HashSet<>();
        for (JobKey<?> k : JobKeys.all()) {
            assertTrue(names.add(k.name()), "declared once: " + k.name());
            assertTrue(k.name().startsWith("spark.bandalign."), k.name());
        }
        SparkConf conf = new SparkConf(false).set(JobKeys.BATCH_CELLS.name(), "123").set(JobKeys.COMPRESSION.name(), "zstd");
        assertEquals(123L, JobKeys.BATCH_CELLS.get(conf));
        assertEquals("zstd", JobKeys.COMPRESSION.get(conf));
        assertEquals(JobKeys.BATCH_PAIRS.defaultValue(), JobKeys.BATCH_PAIRS.get(conf));
    }

    @Test
    void key_badValue_namesTheKey() {
        SparkConf conf = new SparkConf(false).set(JobKeys.BATCH_PAIRS.name(), "many");
        UserError e = org.junit.jupiter.api.Assertions.assertThrows(UserError.class, () -> JobKeys.BATCH_PAIRS.get(conf));
        assertTrue(e.getMessage().contains("spark.bandalign.batch.pairs"), e.getMessage());
    }

    /** A boolean key takes true or false in any case; "yes" or a typo is refused, not read as false. */
    @Test
    void booleanKey_trueOrFalseOnly() {
        JobKey<Boolean> k = JobKeys.OUTPUT_PAGE_WRITER;
        assertEquals(false, k.get(new SparkConf(false).set(k.name(), "FALSE")));
        assertEquals(true, k.get(new SparkConf(false).set(k.name(), " true")));
        for (String bad : new String[] {"yes", "0", "flase", ""}) {
            UserError e = assertThrows(UserError.class, () -> k.get(new SparkConf(false).set(k.name(), bad)), bad);
            assertEquals(k.name() + ": cannot read '" + bad + "' as boolean", e.getMessage());
        }
    }

    @Test
    void pageReaderKey_autoTrueOrFalseOnly() {
        JobKey<String> k = JobKeys.READER_PAGE_READER;
        assertEquals("auto", k.get(new SparkConf(false)));
        assertEquals("true", k.get(new SparkConf(false).set(k.name(), " TRUE")));
        assertEquals("false", k.get(new SparkConf(false).set(k.name(), "False")));
        for (String bad : new String[] {"yes", "on", ""}) {
            UserError e = assertThrows(UserError.class, () -> k.get(new SparkConf(false).set(k.name(), bad)), bad);
            assertEquals(k.name() + ": cannot read '" + bad + "' as auto/true/false", e.getMessage());
        }
    }

    /** A batch limit of 0 would make a task loop without reading a row: refused, like any value below a key's minimum. */
    @Test
    void key_belowItsMinimum_isRefusedNamingTheKey() {
        for (JobKey<?> k : List.of(JobKeys.BATCH_CELLS, JobKeys.BATCH_PAIRS, JobKeys.MAX_CELLS, JobKeys.READER_BATCH_ROWS,
                JobKeys.GPU_CONCURRENT_TASKS)) {
            SparkConf conf = new SparkConf(false).set(k.name(), "0");
            UserError e = org.junit.jupiter.api.Assertions.assertThrows(UserError.class, () -> k.get(conf), k.name());
            assertEquals(k.name() + " must be at least 1, got 0", e.getMessage());
        }
        for (JobKey<?> k : List.of(JobKeys.CPU_THREADS, JobKeys.GPU_MEMORY_BUDGET, JobKeys.STAGE_GPU_AMOUNT)) {
            assertEquals(0.0, ((Number) k.get(new SparkConf(false).set(k.name(), "0"))).doubleValue(), k.name());
            assertThrows(UserError.class, () -> k.get(new SparkConf(false).set(k.name(), "-1")), k.name());
        }
        for (JobKey<?> k : JobKeys.all()) {
            assertEquals(k.defaultValue(), k.get(new SparkConf(false)), "the default of " + k.name() + " is valid");
        }
    }

    /** Mistakes in the invocation end with exit code 2 and one line, before Spark starts. */
    @Test
    void commandLine_zeroBatch_exitsWithTwo() {
        assertEquals(2, BandAlign.run("align", "--input", "nowhere", "--output", "nowhere-out", "--batch-cells", "0"));
        assertEquals(2, BandAlign.run("align", "--input", "nowhere", "--output", "nowhere-out", "--conf",
                "spark.bandalign.batch.pairs=0"));
    }

    /** Usage mistakes: two lines (what, and where the help is), exit 2; -V answers on every subcommand. */
    @Test
    void commandLine_usageMistakesAndBadValues_sayWhatInOneLineBeforeSparkStarts() {
        for (String[] args : List.of(new String[] {"align", "--bogus"}, new String[] {"align", "--input", "x", "--output", "y",
                "--band", "abc"}, new String[] {"align", "--input", "x", "--output", "y", "--compression", "bogus"},
                new String[] {"align", "--input", "x", "--output", "y", "--band", "-1"},
                new String[] {"align", "--input", "x", "--output", "y", "--min-prob", "2"},
                new String[] {"generate", "--output", "y", "--pairs", "-3"}, new String[] {"generate", "--output", "y",
                "--band-fraction", "2"}, new String[] {"align", "--input", "x", "--output", "y", "--conf",
                "spark.bandalign.batchcells=5"},
                // found by an adversarial run: each failed with exit 1, the codec only after the work was done,
                // and a batch of 0 rows made Spark's reader loop forever
                new String[] {"align", "--input", "x", "--output", "y", "--compression", "lzo"},
                new String[] {"generate", "--output", "y", "--min-len", "2147483647", "--max-len", "2147483647"},
                new String[] {"generate", "--output", "y", "--max-len", "3", "--band-fraction", "1", "--band-width", "2147483647"},
                new String[] {"align", "--input", "", "--output", "y"}, new String[] {"align", "--input", "x", "--output", " "},
                new String[] {"align", "--input", "x", "--output", "y", "--conf", "spark.sql.parquet.columnarReaderBatchSize=0"},
                // found by a probe: a key with blanks around it was passed to Spark and silently had no effect
                new String[] {"align", "--input", "x", "--output", "y", "--conf", " spark.bandalign.batch.pairs = 5"})) {
            java.io.StringWriter err = new java.io.StringWriter();
            assertEquals(2, BandAlign.run(new java.io.PrintWriter(new java.io.StringWriter(), true),
                    new java.io.PrintWriter(err, true), args), String.join(" ", args));
            assertTrue(err.toString().lines().count() <= 2, err.toString());
        }
        UserError typo = assertThrows(UserError.class, () -> JobKeys.checkKnown(new SparkConf(false).set("spark.bandalign.batchcells", "5")));
        assertTrue(typo.getMessage().contains("did you mean spark.bandalign.batch.cells?"), typo.getMessage());
        java.io.StringWriter out = new java.io.StringWriter();
        assertEquals(0, BandAlign.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(new java.io.StringWriter(), true),
                "align", "-V"));
        assertEquals(BandAlign.VERSION, out.toString().strip());
    }

    /** A master URL Spark cannot use is the user's mistake (exit 2), said as one line naming --master. */
    @Test
    void commandLine_badMaster_exitsWithTwoNamingIt() {
        for (String master : List.of("local[0]", "local[-1]", "bogus://x")) {
            java.io.StringWriter err = new java.io.StringWriter();
            assertEquals(2, BandAlign.run(new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true),
                    "align", "--input", "../data/sample", "--output", "y", "--master", master), master);
            assertTrue(err.toString().contains("--master " + master), err.toString());
        }
    }

    /**
     * A driver heap too small for Spark to start (told here through Spark's spark.testing.memory,
     * which its own check reads) is the user's to fix (exit 2), said in one line naming the heap
     * and how to give more, before Spark refuses it with an error and a stack trace.
     */
    @Test
    void commandLine_driverOrExecutorHeapTooSmallForSpark_exitsWithTwoSayingHowToGiveMore() {
        java.io.StringWriter err = new java.io.StringWriter();
        assertEquals(2, BandAlign.run(new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true),
                "align", "--input", "../data/sample", "--output", "y", "--master", "local[1]", "--conf", "spark.testing.memory=268435456"));
        assertEquals("bandalign: the driver's heap of 256 MiB is less than the 450 MiB Spark needs to start (1.5 times the 300 MiB "
                + "it reserves); give it more: BANDALIGN_JAVA_OPTS=-Xmx1g for bin/bandalign (whose driver runs the local executors "
                + "too), --driver-memory 1g for spark-submit", err.toString().strip());
        assertEquals("the driver's heap of 256 MiB is less than the 450 MiB Spark needs to start (1.5 times the 300 MiB it reserves); "
                + "give it more: BANDALIGN_JAVA_OPTS=-Xmx1g for bin/bandalign (whose driver runs the local executors too), "
                + "--driver-memory 1g for spark-submit", CommandSession.driverMemory("[INVALID_DRIVER_MEMORY] System memory 268435456 must "
                + "be at least 471859200.\nPlease increase heap size using the --driver-memory option").getMessage(),
                "Spark's own refusal, where it comes first, in the same words");
        java.io.StringWriter executors = new java.io.StringWriter();
        assertEquals(2, BandAlign.run(new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(executors, true),
                "align", "--input", "../data/sample", "--output", "y", "--master", "local[1]", "--conf", "spark.executor.memory=256m"));
        assertEquals("bandalign: spark.executor.memory of 256 MiB is less than the 450 MiB Spark needs to start an executor (1.5 times "
                + "the 300 MiB it reserves); give them more: --executor-memory 1g for spark-submit, --conf spark.executor.memory=1g",
                executors.toString().strip(), "the executors' setting, which Spark's driver checks too");
        assertEquals("spark.executor.memory of 256 MiB is less than the 450 MiB Spark needs to start an executor (1.5 times the 300 "
                + "MiB it reserves); give them more: --executor-memory 1g for spark-submit, --conf spark.executor.memory=1g",
                CommandSession.driverMemory("[INVALID_EXECUTOR_MEMORY] Executor memory 268435456 must be at least 471859200.\n"
                        + "Please increase executor memory").getMessage());
        assertEquals(null, CommandSession.driverMemory("[INTERNAL_ERROR] System memory 1 must be at least 2."));
    }

    /** The master: --master, else spark.master (spark-submit's, --conf), else local[*] (SPEC section 5). */
    @Test
    void alignSparkConf_master_flagThenConfThenLocalStar() {
        assertEquals("local[*]", align().sparkConf(new SparkConf(false)).get("spark.master"));
        assertEquals("spark://h:7077", align().sparkConf(new SparkConf(false).setMaster("spark://h:7077")).get("spark.master"));
        assertEquals("local[3]", align("--conf", "spark.master=local[3]").sparkConf(new SparkConf(false).setMaster("spark://h:7077"))
                .get("spark.master"));
        assertEquals("local[1]", align("--master", "local[1]", "--conf", "spark.master=local[3]").sparkConf(new SparkConf(false))
                .get("spark.master"));
        assertEquals("bandalign align", align().sparkConf(new SparkConf(false)).get("spark.app.name"));
    }

    /** A master given twice, differently: the flag wins, and the run says so. */
    @Test
    void alignMasterNote_flagAndConfDiffer_saysWhichWins() {
        assertEquals("--master local[1] overrides --conf spark.master=local[3]",
                align("--master", "local[1]", "--conf", "spark.master=local[3]").masterNote());
        assertNull(align("--master", "local[1]", "--conf", "spark.master=local[1]").masterNote());
        assertNull(align("--master", "local[1]").masterNote());
        assertNull(align("--conf", "spark.master=local[3]").masterNote());
    }

    /** Found by a probe: a flag beside a --conf of its key won silently, where --master said so. */
    @Test
    void alignOverrideNotes_eachFlagBesideItsKey_saysTheFlagWins() {
        assertEquals(List.of("--master local[1] overrides --conf spark.master=local[3]",
                        "--compression zstd overrides --conf spark.bandalign.output.compression=gzip",
                        "--batch-cells 100 overrides --conf spark.bandalign.batch.cells=200"),
                align("--master", "local[1]", "--conf", "spark.master=local[3]", "--compression", "zstd", "--conf",
                        "spark.bandalign.output.compression=gzip", "--batch-cells", "100", "--conf", "spark.bandalign.batch.cells=200",
                        "--gpu-memory", "5", "--conf", "spark.bandalign.gpu.memoryBudget=5").overrideNotes());
        assertEquals(List.of(), align("--compression", "zstd", "--conf", "spark.bandalign.batch.cells=200").overrideNotes());
    }

    /** Found by a probe: --min-prob without the sparse layout, and --packed with it, were taken silently and did nothing. */
    @Test
    void alignOverrideNotes_flagsTheLayoutIgnores_saySo() {
        assertEquals(List.of("--min-prob applies to --layout sparse alone; the dense and band layouts keep every marginal"),
                align("--min-prob", "0.01").overrideNotes());
        assertEquals(List.of("--min-prob applies to --layout sparse alone; the band layout keeps every marginal"),
                align("--min-prob", "0.01", "--layout", "band").overrideNotes());
        assertEquals(List.of("--packed applies to the dense and band layouts; --layout sparse writes its steps as a list (marginals null)"),
                align("--min-prob", "0.01", "--layout", "sparse", "--packed").overrideNotes());
        assertEquals(List.of(), align("--min-prob", "0", "--layout", "SPARSE").overrideNotes());
        assertEquals(List.of(), align("--packed").overrideNotes());
        // Ignored it is: the sparse layout's null marginals keep their array type (an output probe found them binary).
        assertEquals(false, align("--layout", "sparse", "--packed").request(new SparkConf(false)).options.packed);
        assertEquals(true, align("--layout", "band", "--packed").request(new SparkConf(false)).options.packed);
    }

    /** Found by a probe: an id holding a line break split the closing error over two lines. */
    @Test
    void oneLine_lineBreaksInAMessage_areWrittenOut() {
        assertEquals("pair 'a\\nb\\r': score S[0][0][0] is NaN", BandAlign.oneLine("pair 'a\nb\r': score S[0][0][0] is NaN"));
    }

    /** --min-prob's default (SPEC section 5). */
    @Test
    void alignRequest_noMinProb_isOneInTenThousand() {
        assertEquals(1e-4, align().request(new SparkConf(false)).options.minProb, 0.0);
    }

    private static AlignCommand align(String... flags) {
        AlignCommand cmd = new AlignCommand();
        List<String> args = new java.util.ArrayList<>(List.of("--input", "in", "--output", "out"));
        args.addAll(List.of(flags));
        new picocli.CommandLine(cmd).parseArgs(args.toArray(new String[0]));
        return cmd;
    }

    /** SPEC section 5's command line, without a subcommand, is align's; the tool's own options stay its own. */
    @Test
    void commandLine_flagsWithoutSubcommand_areAligns() {
        assertArrayEquals(new String[] {"align", "--input", "x", "--output", "y"},
                BandAlign.withDefaultCommand(new String[] {"--input", "x", "--output", "y"}));
        for (String[] kept : List.of(new String[] {}, new String[] {"--help"}, new String[] {"-V"}, new String[] {"generate", "--sample"})) {
            assertArrayEquals(kept, BandAlign.withDefaultCommand(kept));
        }
        java.io.StringWriter err = new java.io.StringWriter();
        assertEquals(2, BandAlign.run(new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true),
                "--input", "x", "--output", "y", "--band", "abc"));
        assertTrue(err.toString().contains("'bandalign align --help'"), err.toString());
    }

    /**
     * A missing input, an existing output without --overwrite, or an output that is a file is
     * refused before any note and before Spark starts (found by a newcomer's walk-through: the
     * notes came first, and the refusal only once Spark had started).
     */
    @Test
    void align_inputOrOutputRefused_beforeAnyNote(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path existing = java.nio.file.Files.createDirectory(tmp.resolve("earlier"));
        java.nio.file.Files.writeString(existing.resolve("notes.txt"), "mine");
        java.nio.file.Path file = java.nio.file.Files.writeString(tmp.resolve("a-file"), "x");
        String sample = "../data/sample";
        // (an adversarial tester's finds: a folder named with a time was exit 1 in Hadoop's words,
        // "URISyntaxException: Relative path in absolute URI"; one with [1] in its name "did not exist")
        java.nio.file.Path timed = java.nio.file.Files.createDirectories(tmp.resolve("t").resolve("run-12:00"));
        java.nio.file.Path bracketed = java.nio.file.Files.createDirectories(tmp.resolve("b").resolve("run[1]"));
        // (a review's: with run1 beside it, run[1] read run1 without a word)
        java.nio.file.Path twin = java.nio.file.Files.createDirectories(tmp.resolve("c").resolve("run[1]"));
        java.nio.file.Path matchedInstead = java.nio.file.Files.createDirectories(tmp.resolve("c").resolve("run1"));
        for (java.nio.file.Path dir : List.of(timed, bracketed, twin, matchedInstead)) {
            try (java.util.stream.Stream<java.nio.file.Path> parts = java.nio.file.Files.list(java.nio.file.Path.of(sample))) {
                for (java.nio.file.Path part : parts.filter(f -> f.toString().endsWith(".parquet")).toList()) {
                    java.nio.file.Files.copy(part, dir.resolve(part.getFileName()));
                }
            }
        }
        String[][] cases = {
            {"--input " + timed + ": Hadoop cannot take a file or folder named with a ':' ('run-12:00': it reads the ':' as the end of"
                    + " a URI scheme) on the path or where a glob pattern in it looks; rename it without the ':'", timed.toString(),
                tmp.resolve("o").toString()},
            {"--input run-12:00: Hadoop cannot take a file or folder named with a ':' ('run-12:00'", "run-12:00", tmp.resolve("o").toString()},
            {"--input " + twin + " is read as a glob pattern, which matches file:" + matchedInstead + ", yet a file or folder of that very"
                    + " name exists too: to read it, put a backslash before each of * ? [ ] { } in it (" + tmp.resolve("c").resolve("run\\[1\\]")
                    + "); to read what the pattern matches, rename it", twin.toString(), tmp.resolve("o").toString()},
            {"--output " + tmp.resolve("out-12:00") + ": Hadoop cannot read back a file or folder named with a ':'", sample,
                tmp.resolve("out-12:00").toString()},
            {"--output out-12:00: Hadoop cannot take a file or folder named with a ':' ('out-12:00'", sample, "out-12:00"},
            {"--input " + tmp.resolve("t").resolve("run-*") + ": Hadoop cannot take a file or folder named with a ':' ('run-12:00'",
                tmp.resolve("t").resolve("run-*").toString(), tmp.resolve("o").toString()},
            {"--input " + bracketed + " is read as a glob pattern and matches nothing, yet a file or folder of that very name exists:"
                    + " put a backslash before each of * ? [ ] { } in it (" + tmp.resolve("b").resolve("run\\[1\\]") + ")", bracketed.toString(),
                tmp.resolve("o").toString()},
            {"--input " + tmp.resolve("no-such-input") + " does not exist", tmp.resolve("no-such-input").toString(), tmp.resolve("o").toString()},
            {"--input " + tmp.resolve("none-*") + " does not exist", tmp.resolve("none-*").toString(), tmp.resolve("o").toString()},
            {"output directory " + existing + " already exists; pass --overwrite to replace it", sample, existing.toString()},
            {"is a file, not a directory", sample, file.toString()},
        };
        java.io.PrintStream stderr = System.err;
        for (String[] c : cases) {
            java.io.ByteArrayOutputStream notes = new java.io.ByteArrayOutputStream();
            java.io.StringWriter err = new java.io.StringWriter();
            System.setErr(new java.io.PrintStream(notes, true, java.nio.charset.StandardCharsets.UTF_8));
            try {
                assertEquals(2, BandAlign.run(new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true),
                        "align", "--input", c[1], "--output", c[2], "--min-prob", "0.5", "--master", "local[1]"), c[0]);
            } finally {
                System.setErr(stderr);
            }
            assertTrue(err.toString().contains(c[0]), err.toString());
            assertEquals("", notes.toString(java.nio.charset.StandardCharsets.UTF_8), "no note (nor Spark's log) before a refusal");
        }
        assertEquals("mine", java.nio.file.Files.readString(existing.resolve("notes.txt")));
        java.io.StringWriter err = new java.io.StringWriter();
        java.io.PrintWriter quiet = new java.io.PrintWriter(new java.io.StringWriter(), true);
        String written = tmp.resolve("o[1]").toString();
        assertEquals(0, BandAlign.run(quiet, new java.io.PrintWriter(err, true),
                "align", "--input", tmp.resolve("b").resolve("run\\[1\\]").toString(), "--output", written,
                "--master", "local[1]", "--backend", "cpu"), "the escaped name, as the refusal gives it, reads the folder: " + err);
        // plot reads an input as align does (a review: it said "does not exist"), and generate's output can hold [ ] too
        java.io.StringWriter plotErr = new java.io.StringWriter();
        String png = tmp.resolve("seed.png").toString();
        assertEquals(2, BandAlign.run(quiet, new java.io.PrintWriter(plotErr, true), "plot", "--input", written, "--id", "seed-example",
                "--output", png, "--master", "local[1]"));
        assertTrue(plotErr.toString().contains("--input " + written + " is read as a glob pattern and matches nothing"), plotErr.toString());
        assertEquals(0, BandAlign.run(quiet, quiet, "plot", "--input", HadoopPaths.escapeGlob(written), "--id", "seed-example",
                "--output", png, "--master", "local[1]"));
        assertEquals(0, BandAlign.run(quiet, quiet, "generate", "--output", tmp.resolve("g[1]").toString(),
                "--pairs", "3", "--min-len", "2", "--max-len", "4", "--master", "local[1]"), "generate reads back what it wrote");
        assertTrue(java.nio.file.Files.exists(tmp.resolve("g[1]").resolve(OutputPlace.GENERATED_MARK)));
    }

    /**
     * The early check asks the local file system only, under the settings the session would give
     * (a review: with {@code --conf fs.defaultFS=hdfs://...} a relative input on HDFS was refused
     * as missing on the local disk, and a client made early from fewer settings stayed cached).
     */
    @Test
    void align_earlyPlaceCheck_localFileSystemOnly_underTheRunsSettings() {
        AlignCommand cmd = new AlignCommand();
        new picocli.CommandLine(cmd).parseArgs("--input", "target/no-such-input-dir", "--output", "target/no-such-output-dir");
        org.apache.spark.SparkConf local = cmd.sparkConf(new org.apache.spark.SparkConf(false));
        UserError missing = assertThrows(UserError.class, () -> AlignCommand.checkPlacesEarly(local, cmd.request(local)));
        assertEquals("--input target/no-such-input-dir does not exist", missing.getMessage());
        org.apache.spark.SparkConf hdfs = local.clone().set("fs.defaultFS", "hdfs://nn.example:8020");
        assertDoesNotThrow(() -> AlignCommand.checkPlacesEarly(hdfs, cmd.request(hdfs)), "left to the session, on HDFS");
        org.apache.spark.SparkConf viaSparkHadoop = local.clone().set("spark.hadoop.fs.defaultFS", "hdfs://nn.example:8020");
        assertDoesNotThrow(() -> AlignCommand.checkPlacesEarly(viaSparkHadoop, cmd.request(viaSparkHadoop)));
    }

    /**
     * A flag's value out of range points to the command's --help, as picocli's own parse errors
     * do; a mistake in the input (here, none there) does not, since --help cannot mend it.
     */
    @Test
    void commandLine_flagValueOutOfRange_pointsToHelp_inputMistakeDoesNot() {
        String[][] flagMistakes = {
            {"align", "--input", "x", "--output", "y", "--band", "-1"},
            {"align", "--input", "x", "--output", "y", "--min-prob", "2"},
            {"align", "--input", "x", "--output", "y", "--mode", "sideways"},
            {"align", "--input", "x", "--output", "y", "--batch-cells", "0"},
            {"align", "--input", "x", "--output", "y", "--compression", "rar"},
            {"generate", "--output", "y", "--pairs", "-1"},
            {"devices", "--wait", "-1"},
            {"devices", "--executors", "-2"},
        };
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream notes = new java.io.ByteArrayOutputStream();
        for (String[] args : flagMistakes) {
            java.io.StringWriter err = new java.io.StringWriter();
            System.setErr(new java.io.PrintStream(notes, true, java.nio.charset.StandardCharsets.UTF_8));
            try {
                assertEquals(2, BandAlign.run(new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true),
                        args), String.join(" ", args));
            } finally {
                System.setErr(stderr);
            }
            // (found by a newcomer's walk-through: --min-prob 2 printed the note that --min-prob applies to sparse alone first)
            assertEquals("", notes.toString(java.nio.charset.StandardCharsets.UTF_8), "no note before a refusal");
            String[] lines = err.toString().strip().split("\\R");
            assertEquals(2, lines.length, err.toString());
            assertEquals("bandalign: see 'bandalign " + args[0] + " --help'", lines[1], err.toString());
        }
        // (and found by a review: a refusal of the GPU settings came after the notes too)
        System.setErr(new java.io.PrintStream(notes, true, java.nio.charset.StandardCharsets.UTF_8));
        java.io.StringWriter gpuAmount = new java.io.StringWriter();
        try {
            assertEquals(2, BandAlign.run(new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(gpuAmount, true),
                    "align", "--input", "x", "--output", "y", "--min-prob", "0.5", "--master", "local[1]", "--conf",
                    "spark.bandalign.stage.gpuAmount=1"));
        } finally {
            System.setErr(stderr);
        }
        assertTrue(gpuAmount.toString().contains("gpuAmount"), gpuAmount.toString());
        assertEquals("", notes.toString(java.nio.charset.StandardCharsets.UTF_8), "no note before a refusal");
        // Found by a newcomer's walk-through: a mistyped --inptu read "Missing required option: '--input=PATH'", and
        // a --conf without '=' "Value for option option '--conf' ...".
        for (String[] mistake : new String[][] {
            {"bandalign: Unknown option: '--inptu'; did you mean --input?", "align", "--inptu", "x", "--output", "y"},
            {"bandalign: Unknown option: '--bnad'", "align", "--input", "x", "--output", "y", "--bnad", "4"},
            {"bandalign: Value for option '--conf' (KEY=VALUE) should be in KEY=VALUE format but was foo", "align", "--input", "x",
                "--output", "y", "--conf", "foo"}}) {
            java.io.StringWriter said = new java.io.StringWriter();
            assertEquals(2, BandAlign.run(new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(said, true),
                    java.util.Arrays.copyOfRange(mistake, 1, mistake.length)));
            assertEquals(mistake[0], said.toString().strip().split("\\R")[0]);
        }
        new picocli.CommandLine(new BandedDemoCommand()).parseArgs("--output", "pictures");   // (--out, or --output as the others)
        java.io.StringWriter err = new java.io.StringWriter();
        assertEquals(2, BandAlign.run(new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true),
                "align", "--input", "target/no-such-input-dir", "--output", "target/no-such-output-dir", "--backend", "cpu"));
        assertTrue(err.toString().contains("does not exist"), err.toString());
        assertFalse(err.toString().contains("--help"), err.toString());
    }

    /**
     * A bad row under --fail-fast is the input's mistake: exit 2, its last line naming the row
     * (found by an operator's walk-through: exit 1, "failed: IllegalArgumentException: ...",
     * then a line about BANDALIGN_TRACE).
     */
    @Test
    void align_failFastOnABadRow_exitsWithTwoNamingItLast(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        java.io.StringWriter err = new java.io.StringWriter();
        assertEquals(2, BandAlign.run(new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true),
                "align", "--input", "../data/sample", "--output", tmp.resolve("out").toString(), "--fail-fast", "--master", "local[1]",
                "--backend", "cpu"));
        String[] lines = err.toString().strip().split("\\R");
        assertTrue(lines.length == 1 && lines[0].startsWith("bandalign: bad input row (--fail-fast): pair '"), err.toString());
        assertFalse(java.nio.file.Files.exists(tmp.resolve("out")));
    }

    /**
     * conf/log4j2.properties leaves out Spark's "Aborting task", which comes with the failed
     * task's whole stack trace, above the one line a failed run ends with (an operator's
     * walk-through: a bad row under --fail-fast printed 40 lines of Spark's trace before it);
     * Spark's other errors from the same logger still show.
     */
    @Test
    void logging_sparksAbortingTaskTrace_isLeftOut_itsOtherErrorsShow() {
        org.apache.logging.log4j.core.LoggerContext context = (org.apache.logging.log4j.core.LoggerContext)
                org.apache.logging.log4j.LogManager.getContext(false);
        String name = "org.apache.spark.util.Utils";
        org.apache.logging.log4j.core.config.LoggerConfig utils = context.getConfiguration().getLoggerConfig(name);
        java.util.function.Function<String, org.apache.logging.log4j.core.LogEvent> error = message ->
                org.apache.logging.log4j.core.impl.Log4jLogEvent.newBuilder().setLoggerName(name)
                        .setLevel(org.apache.logging.log4j.Level.ERROR)
                        .setMessage(new org.apache.logging.log4j.message.SimpleMessage(message))
                        .setThrown(new IllegalStateException("a task's failure")).build();
        assertTrue(utils.isFiltered(error.apply("Aborting task")), "Spark's report of the failed write task is left out");
        assertFalse(utils.isFiltered(error.apply("Uncaught exception in thread Executor task launch worker")), "its other errors show");
        assertTrue(context.getLogger(name).isEnabled(org.apache.logging.log4j.Level.ERROR));
        // (a failed run's aborted task attempts, whose temporary files went with the staging directory: a scale tester)
        String committer = "org.apache.hadoop.mapreduce.lib.output.FileOutputCommitter";
        org.apache.logging.log4j.core.config.LoggerConfig commits = context.getConfiguration().getLoggerConfig(committer);
        java.util.function.Function<String, org.apache.logging.log4j.core.LogEvent> warning = message ->
                org.apache.logging.log4j.core.impl.Log4jLogEvent.newBuilder().setLoggerName(committer)
                        .setLevel(org.apache.logging.log4j.Level.WARN)
                        .setMessage(new org.apache.logging.log4j.message.SimpleMessage(message)).build();
        assertTrue(commits.isFiltered(warning.apply("Could not delete file:/tmp/.out.bandalign-staging-1/marginals/_temporary/0/"
                + "_temporary/attempt_1_0001_m_000000_4")), "a failed run's leftover warnings are left out");
        assertFalse(commits.isFiltered(warning.apply("Output Path is null in commitJob()")), "the committer's other warnings show");
        assertTrue(context.getLogger(committer).isEnabled(org.apache.logging.log4j.Level.WARN));
    }

    /** A task's failure reaches the driver wrapped in Spark's exceptions; the one-line report shows what is inside. */
    @Test
    void failureCause_isTheFirstExceptionNotSparks() {
        Exception ours = new org.bandalign.align.InvalidPairException("p", "bad");
        Exception task = new IllegalArgumentException("bad input row (--fail-fast): " + ours.getMessage(), ours);
        Exception wrapped = new org.apache.spark.SparkException("Job aborted due to stage failure", task);
        assertEquals(task, BandAlign.cause(wrapped));
        Exception sparkOnly = new org.apache.spark.SparkException("outer", new org.apache.spark.SparkException("inner"));
        assertEquals("inner", BandAlign.cause(sparkOnly).getMessage());
        assertEquals("", BandAlign.stoppedHint(wrapped));
        // An unreachable master: Spark gives up and stops the context; the job then fails with this.
        assertTrue(BandAlign.stoppedHint(new IllegalStateException("LiveListenerBus is stopped.")).contains("master"));
        // A task out of memory in local mode: Spark stops the context and exits 52, and the job's call fails with this.
        assertTrue(BandAlign.stoppedHint(new NullPointerException("Cannot invoke \"org.apache.spark.scheduler.DAGScheduler"
                + ".cleanupQueryJobs(long)\" because the return value of \"org.apache.spark.SparkContext.dagScheduler()\" is null"))
                .contains("-Xmx"));
        assertEquals(null, BandAlign.outOfMemory(wrapped));
    }

    /** A task out of memory, in each form the driver sees it, is reported as such, with what to do. */
    @Test
    void outOfMemory_asTheDriverSeesIt_saysSoAndWhatToDo() {
        String readerWords = "Cannot reserve additional contiguous bytes in the vectorized reader (requested 27000000 bytes). As a "
                + "workaround, you can reduce the vectorized reader batch size, or disable the vectorized reader";
        // as thrown in the task (local mode) ...
        String reader = BandAlign.outOfMemory(new org.apache.spark.SparkException("[FAILED_READ_FILE.NO_HINT] Encountered error while "
                + "reading file f.parquet.", new RuntimeException(readerWords, new OutOfMemoryError("Java heap space"))));
        String expected = "a task ran out of memory while Spark's Parquet reader read a row, which it holds several times over "
                + "(Cannot reserve additional contiguous bytes in the vectorized reader (requested 27000000 bytes)): give the "
                + "executors more memory (spark.executor.memory; in local mode the JVM's -Xmx";
        assertTrue(reader.startsWith(expected), reader);
        assertTrue(!reader.contains("workaround"), "Spark's advice to shrink the batch does not apply: " + reader);
        // ... and as the driver's stage failure words it, the task's stack trace and causes in its message
        String staged = BandAlign.outOfMemory(new org.apache.spark.SparkException("Job aborted due to stage failure: Task 0 in stage "
                + "2.0 failed 1 times, most recent failure: Lost task 0.0 in stage 2.0 (TID 2) (192.0.2.2 executor driver): "
                + "org.apache.spark.SparkException: [FAILED_READ_FILE.NO_HINT] Encountered error while reading file f.parquet.\n"
                + "\tat org.apache.spark.sql.errors.QueryExecutionErrors$.cannotReadFilesError(QueryExecutionErrors.scala:940)\n"
                + "Caused by: java.lang.RuntimeException: " + readerWords + "\n\tat org.apache.spark.sql.execution.vectorized"
                + ".WritableColumnVector.reserve(WritableColumnVector.java:140)\nCaused by: java.lang.OutOfMemoryError: Java heap "
                + "space\n\tat org.apache.spark.sql.execution.vectorized.OnHeapColumnVector.reserveInternal(OnHeapColumnVector"
                + ".java:658)\n"));
        assertTrue(staged.startsWith(expected), staged);
        // the reader refusing a batch past its largest array, out of memory or not, is not reported as out of memory
        assertEquals(null, BandAlign.outOfMemory(new RuntimeException("Cannot reserve additional contiguous bytes in the vectorized "
                + "reader (requested 3000000000 bytes). As a workaround, you can reduce the vectorized reader batch size")));
        String task = BandAlign.outOfMemory(new org.apache.spark.SparkException("Job aborted due to stage failure: Task 3 in stage 1.0 "
                + "failed 1 times, most recent failure: Lost task 3.0 in stage 1.0 (TID 7) (192.0.2.2 executor driver): "
                + "java.lang.OutOfMemoryError: Java heap space\n\tat org.apache.spark.sql.catalyst.expressions.codegen.BufferHolder.grow"));
        assertTrue(task.startsWith("a task ran out of memory (java.lang.OutOfMemoryError: Java heap space): give"), task);
        for (String lostWords : new String[] {"ExecutorLostFailure (executor 2 exited caused by one of the running tasks) Reason: "
                + "Command exited with code 52", "The executor with id 3 exited with exit code 52.", "Container exited with a "
                + "non-zero exit code 52. Error file: prelaunch.err."}) {
            String lost = BandAlign.outOfMemory(new org.apache.spark.SparkException("Job aborted due to stage failure: Task 0 in stage "
                    + "1.0 failed 4 times, most recent failure: Lost task 0.3 in stage 1.0: " + lostWords));
            assertTrue(lost != null && lost.startsWith("a task ran out of memory (an executor exited with code 52): give"), lostWords);
        }
        assertEquals(null, BandAlign.outOfMemory(new org.apache.spark.SparkException("Command exited with code 520")));
        assertTrue(BandAlign.outOfMemory(new OutOfMemoryError("Java heap space")).contains("(java.lang.OutOfMemoryError: Java heap space)"));
    }

    /**
     * Found by a probe of the secondary commands: generate of a pair its heap cannot make ended
     * with exit 52 and Spark's words alone; in local mode it is refused first, naming the heap.
     * (3000 x 3000 was made under a 912 MiB heap, 3500 x 3500 ran it out.)
     */
    @Test
    void generate_pairsTheHeapCannotMake_areRefusedNamingTheHeap() {
        GenerateCommand.checkHeap(3000L * 3000 * 12, 1, 912L << 20);
        UserError e = assertThrows(UserError.class, () -> GenerateCommand.checkHeap(3500L * 3500 * 12, 1, 912L << 20));
        assertTrue(e.badFlag && e.getMessage().startsWith("--max-len: pairs of up to 147 MB of scores take about 8 times that of "
                + "the heap to make and write, for each of the 1 tasks at once: 1121 MiB, more than this JVM's 912 MiB"), e.getMessage());
        assertThrows(UserError.class, () -> GenerateCommand.checkHeap(3000L * 3000 * 12, 2, 912L << 20), "two tasks at once");
    }

    /** Found by a probe: generate --overwrite deleted the earlier output before writing, and a failed run left none. */
    @Test
    void generate_overwrite_replacesTheOutputOnlyOnceTheNewOneIsComplete(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.nio.file.Path out = tmp.resolve("gen");
        assertEquals(0, BandAlign.run("generate", "--output", out.toString(), "--pairs", "3", "--max-len", "5", "--master", "local[1]"));
        assertEquals(0, BandAlign.run("generate", "--output", out.toString(), "--pairs", "7", "--max-len", "5", "--master", "local[1]",
                "--overwrite"));
        try (java.util.stream.Stream<java.nio.file.Path> beside = java.nio.file.Files.list(tmp)) {
            assertEquals(List.of("gen"), beside.map(p -> p.getFileName().toString()).toList(), "no staging directory left");
        }
        org.apache.spark.sql.SparkSession spark = TestTables.localSpark("generate-overwrite");
        try {
            assertEquals(7, spark.read().parquet(out.toString()).count());
        } finally {
            spark.stop();
        }
        assertTrue(java.nio.file.Files.isRegularFile(out.resolve(OutputPlace.GENERATED_MARK)), "its mark, which --overwrite knows it by");
        assertEquals(0, java.nio.file.Files.size(out.resolve(OutputPlace.GENERATED_MARK)),
                "empty, as _SUCCESS: polars reads every non-empty file of a folder (found by a review)");

        // Found by a review: generate --overwrite replaced a file with its output, and would replace any table.
        java.nio.file.Path file = java.nio.file.Files.writeString(tmp.resolve("notes.txt"), "mine");
        java.nio.file.Files.delete(out.resolve(OutputPlace.GENERATED_MARK));   // (now an unmarked table, as a user's own)
        for (java.nio.file.Path mine : List.of(file, out)) {
            java.io.StringWriter err = new java.io.StringWriter();
            assertEquals(2, BandAlign.run(new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true),
                    "generate", "--output", mine.toString(), "--pairs", "2", "--max-len", "3", "--master", "local[1]", "--overwrite"));
            assertTrue(err.toString().contains(mine == file ? "is a file, not a directory" : "has no " + OutputPlace.GENERATED_MARK),
                    err.toString());
        }
        assertEquals("mine", java.nio.file.Files.readString(file));
        try (java.util.stream.Stream<java.nio.file.Path> kept = java.nio.file.Files.list(out)) {
            assertTrue(kept.anyMatch(p -> p.getFileName().toString().endsWith(".parquet")), "the table is kept");
        }
    }

    /**
     * Found by a probe: generate wrote a file of one row group, which Spark reads in one task
     * (it splits a file only between row groups); its files now hold row groups of about 8 MB.
     */
    @Test
    void generate_largeFile_hasSeveralRowGroups(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path out = tmp.resolve("gen");
        // 400 pairs of 60 x 60: about 17 MB of scores, one file
        assertEquals(0, BandAlign.run("generate", "--output", out.toString(), "--pairs", "400", "--min-len", "60", "--max-len", "60",
                "--master", "local[1]"));
        List<java.nio.file.Path> files;
        try (java.util.stream.Stream<java.nio.file.Path> listed = java.nio.file.Files.list(out)) {
            files = listed.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
        }
        assertEquals(1, files.size());
        try (java.util.stream.Stream<java.nio.file.Path> listed = java.nio.file.Files.list(out)) {
            assertEquals(List.of(), listed.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".crc")).toList(),
                    "no checksum files, as in align's output (polars reads no folder that holds them)");
        }
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(files.get(0).toUri());
        try (org.apache.parquet.hadoop.ParquetFileReader reader = org.apache.parquet.hadoop.ParquetFileReader.open(
                org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(file, new org.apache.hadoop.conf.Configuration()))) {
            int groups = reader.getRowGroups().size();
            assertTrue(groups >= 2, "row groups: " + groups);
            assertTrue(reader.getRowGroups().stream().allMatch(g -> g.getTotalByteSize() < 2 * GenerateCommand.ROW_GROUP_BYTES),
                    "each about " + GenerateCommand.ROW_GROUP_BYTES + " bytes");
        }
    }

    /** Found by a cluster walk-through: options before a subcommand were taken for align's. */
    @Test
    void commandLine_optionsBeforeASubcommand_sayToPutItFirst() {
        java.io.StringWriter err = new java.io.StringWriter();
        assertEquals(2, BandAlign.run(null, new java.io.PrintWriter(err, true), "--conf", "spark.executor.instances=5", "devices",
                "--wait", "30"));
        assertEquals("bandalign: 'devices' comes after options: a subcommand comes first, then its options: bandalign devices "
                + "--conf spark.executor.instances=5 --wait 30", err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, BandAlign.run(null, new java.io.PrintWriter(err, true), "--master", "spark://h:7077", "generate", "--output",
                "/d", "--conf", "spark.executor.extraJavaOptions=-Xss4m -Dx='y'"));
        assertEquals("bandalign: 'generate' comes after options: a subcommand comes first, then its options: bandalign generate "
                + "--master spark://h:7077 --output /d --conf 'spark.executor.extraJavaOptions=-Xss4m -Dx='\\''y'\\'''",
                err.toString().strip());
        java.util.Set<String> commands = java.util.Set.of("align", "devices", "plot", "generate");
        java.util.function.Predicate<String> takesValue = java.util.Set.of("--input", "--output", "--conf", "--band")::contains;
        assertNull(BandAlign.misplacedSubcommand(new String[] {"--input", "plot", "--output", "o"}, commands, takesValue),
                "an input named plot");
        assertNull(BandAlign.misplacedSubcommand(new String[] {"devices", "--wait", "3"}, commands, takesValue));
        assertNull(BandAlign.misplacedSubcommand(new String[] {"--band", "3", "align"}, commands, takesValue));
        assertNull(BandAlign.misplacedSubcommand(new String[] {"--help", "devices"}, commands, takesValue));
        assertEquals("'plot' comes after options: a subcommand comes first, then its options: bandalign plot --packed",
                BandAlign.misplacedSubcommand(new String[] {"--packed", "plot"}, commands, takesValue), "a flag takes no value");
    }

    /** Found by a cluster probe: a lost executor's one-line failure ended in a literal "\nDriver stacktrace:". */
    @Test
    void describe_sparksJobFailure_withoutItsDriverStacktraceHeading() {
        String reason = "Job aborted due to stage failure: Task 2 in stage 1.0 failed 1 times, most recent failure: Lost task 2.0 in "
                + "stage 1.0 (TID 5) (127.0.0.1 executor 0): ExecutorLostFailure (executor 0 exited caused by one of the running "
                + "tasks) Reason: Command exited with code 137";
        assertEquals("SparkException: " + reason, BandAlign.describe(new org.apache.spark.SparkException(reason + "\nDriver stacktrace:")));
        assertEquals("SparkException: a Driver stacktrace: in the middle stays",
                BandAlign.describe(new org.apache.spark.SparkException("a Driver stacktrace: in the middle stays")));
        // a wrong master's port: Spark stops the context, whose message then tells where it was made
        assertEquals("IllegalStateException: Cannot call methods on a stopped SparkContext.", BandAlign.describe(new IllegalStateException(
                "Cannot call methods on a stopped SparkContext.\nThis stopped SparkContext was created at:\n\n"
                + "org.apache.spark.sql.SparkSession$Builder.getOrCreate(SparkSession.scala:1)\norg.bandalign.job.CommandSession.start("
                + "CommandSession.java:62)\n\nThe currently active SparkContext was created at:\n\n(No active SparkContext.)\n")));
        assertEquals("RuntimeException: boom", BandAlign.describe(new RuntimeException("boom\n\tat a.B.c(B.java:1)\n\tat d.E.f(E.java:2)")));
        assertEquals("SparkException: Job aborted: Lost task 0.0: java.io.UncheckedIOException: write failed\n"
                + "Caused by: java.io.IOException: No space left on device", BandAlign.describe(new org.apache.spark.SparkException(
                "Job aborted: Lost task 0.0: java.io.UncheckedIOException: write failed\n\tat a.B.c(B.java:1)\n\tat "
                + "org.apache.spark.scheduler.Task.run(Task.scala:147)\nCaused by: java.io.IOException: No space left on device\n"
                + "\tat java.base/sun.nio.ch.FileDispatcherImpl.write0(Native Method)\n\t... 12 more\n\nDriver stacktrace:")));
        assertEquals("RuntimeException: two\nlines stay", BandAlign.describe(new RuntimeException("two\nlines stay")));
    }

    @Test
    void taskGpu_cudaVisibleDevices_mapsSparkAddressToOrdinal() {
        assertEquals(1, TaskGpu.cudaOrdinal("5", "3,5,7"));
        assertEquals(2, TaskGpu.cudaOrdinal("2", null));
        assertEquals(2, TaskGpu.cudaOrdinal("2", ""));
        assertEquals(0, TaskGpu.cudaOrdinal("GPU-abc", "GPU-abc,GPU-def"));
        assertEquals(1, TaskGpu.cudaOrdinal("1", "03,01"));
        assertEquals(0, TaskGpu.addresses(null).length);
    }

    /**
     * The GPUs each task asks for, checked before a run: a stage-level amount where no task
     * could hold it is refused (Spark failed with exit 1 in its own words, or waited forever),
     * and more than one GPU a task is a note (a task aligns on one; the others sat idle silently).
     */
    @Test
    void checkAmounts_stageAmountNoTaskCouldHold_refused_severalGpusATask_noted() {
        java.util.function.Function<String[], SparkConf> conf = kv -> {
            SparkConf c = new SparkConf(false).set("spark.master", "spark://h:7077");
            for (int i = 0; i < kv.length; i += 2) {
                c.set(kv[i], kv[i + 1]);
            }
            return c;
        };
        String stage = JobKeys.STAGE_GPU_AMOUNT.name();
        assertEquals(List.of(), TaskGpu.checkAmounts(conf.apply(new String[0])));
        assertEquals(List.of(), TaskGpu.checkAmounts(conf.apply(new String[] {TaskGpu.EXECUTOR_GPU_AMOUNT, "1", stage, "0.5"})));
        assertEquals(List.of(), TaskGpu.checkAmounts(conf.apply(new String[] {TaskGpu.EXECUTOR_GPU_AMOUNT, "2", TaskGpu.TASK_GPU_AMOUNT, "1"})));
        UserError local = assertThrows(UserError.class,
                () -> TaskGpu.checkAmounts(conf.apply(new String[] {"spark.master", "local[4]", TaskGpu.EXECUTOR_GPU_AMOUNT, "1", stage, "1"})));
        assertTrue(local.getMessage().startsWith(stage + "=1 needs a cluster master"), local.getMessage());
        UserError dynamic = assertThrows(UserError.class, () -> TaskGpu.checkAmounts(conf.apply(
                new String[] {TaskGpu.EXECUTOR_GPU_AMOUNT, "1", stage, "1", "spark.dynamicAllocation.enabled", "true"})));
        assertTrue(dynamic.getMessage().startsWith(stage + "=1 needs spark.dynamicAllocation.enabled=false"), dynamic.getMessage());
        UserError none = assertThrows(UserError.class, () -> TaskGpu.checkAmounts(conf.apply(new String[] {stage, "1"})));
        assertTrue(none.getMessage().contains("the executors are given none (spark.executor.resource.gpu.amount is not set)"),
                none.getMessage());
        UserError fewer = assertThrows(UserError.class,
                () -> TaskGpu.checkAmounts(conf.apply(new String[] {TaskGpu.EXECUTOR_GPU_AMOUNT, "1", stage, "2"})));
        assertTrue(fewer.getMessage().startsWith(stage + "=2 asks more GPUs for each task than each executor has "
                + "(spark.executor.resource.gpu.amount=1)"), fewer.getMessage());
        assertEquals(List.of(TaskGpu.TASK_GPU_AMOUNT + "=2: each task holds that many GPUs but aligns on the first alone, so the "
                + "others stay idle; give a task 1 GPU, or a share of one (0.25: four tasks on each)"),
                TaskGpu.checkAmounts(conf.apply(new String[] {TaskGpu.EXECUTOR_GPU_AMOUNT, "2", TaskGpu.TASK_GPU_AMOUNT, "2"})));
        assertTrue(TaskGpu.checkAmounts(conf.apply(new String[] {TaskGpu.EXECUTOR_GPU_AMOUNT, "4", stage, "2"})).get(0)
                .startsWith(stage + "=2: each task holds"));
    }

    /**
     * An index that a set CUDA_VISIBLE_DEVICES does not list is a GPU this executor cannot see:
     * taken as CUDA's ordinal it would be another one (found by a probe: addresses 0 and 1 both
     * ran on the one GPU of CUDA_VISIBLE_DEVICES=1).
     */
    @Test
    void taskGpu_indexThatCudaVisibleDevicesDoesNotList_isRefusedNamingBoth() {
        IllegalArgumentException hidden = assertThrows(IllegalArgumentException.class, () -> TaskGpu.cudaOrdinal("0", "1"));
        assertTrue(hidden.getMessage().startsWith("GPU address '0' (a device index) is not among CUDA_VISIBLE_DEVICES=1, so this "
                + "executor cannot see that GPU") && !hidden.getMessage().contains("--uuid"), hidden.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TaskGpu.cudaOrdinal("4", " 1, 2 ,3"));
        // A list of UUIDs is a container's own (its nvidia-smi numbers its GPUs from 0, as CUDA does).
        assertEquals(0, TaskGpu.cudaOrdinal("0", "GPU-aaa", uuid -> { throw new AssertionError("asked the driver"); }));
    }

    @Test
    void backendCuda_clusterTaskWithoutGpu_takesTheExecutorsOnlyDeviceOrFailsSayingWhatToSet() {
        ExecutorAligners.requireOneDevice(1);   // a container given one GPU: device 0 is the task's
        org.bandalign.cuda.CudaUnavailableException e = assertThrows(org.bandalign.cuda.CudaUnavailableException.class,
                () -> ExecutorAligners.requireOneDevice(4));
        assertTrue(e.getMessage().contains("holds no GPU") && e.getMessage().contains("spark.task.resource.gpu.amount"),
                e.getMessage());
    }

    /**
     * Found by a probe of the CPU engine: its rolling arrays take 96 bytes a row, which a pair's
     * cells do not count where its band is narrow (4 million rows in a band of one: 384 MB).
     */
    @Test
    void checkFitsHeap_longNarrowPair_countsItsRowsBesideItsCells() {
        long heap = 1_000_000L * ExecutorAligners.PAIR_BYTES_PER_CELL;   // holds a million cells
        org.bandalign.align.BandGeometry narrow = narrow(700_000);   // 700,000 cells and as many rows: 1.12 million
        org.bandalign.align.InvalidPairException e = assertThrows(org.bandalign.align.InvalidPairException.class,
                () -> ExecutorAligners.checkFitsHeap("narrow", narrow, heap));
        assertTrue(e.getMessage().contains("700000 band cells in 700000 rows") && e.getMessage().contains("96 a row")
                && e.getMessage().contains("at most 1000000 cells"), e.getMessage());
        ExecutorAligners.checkFitsHeap("fits", narrow(600_000), heap);   // 600,000 + 360,002
        assertEquals(3, ExecutorAligners.rowCells(1, 160), "a row and the three slots beside: 384 bytes, rounded up");
    }

    private static org.bandalign.align.BandGeometry narrow(int n) {
        return org.bandalign.align.BandGeometry.of(org.bandalign.align.Pair.band("narrow", n, n, 0, 0, new float[3 * n]),
                org.bandalign.align.AlignOptions.defaults());
    }

    @Test
    void memoryCells_aBatchsLargestPairCountsAtItsWholePeak() {
        // a batch of 100 pairs of 200 x 200: its largest pair adds little
        assertEquals(4_000_000 + 66_667, ExecutorAligners.memoryCells(4_000_000, 40_000));
        // one pair of 50e6 cells (spark.bandalign.maxCells) takes about 160 bytes a cell at its
        // peak, 8 GB: more than the 60% of an 8 GiB heap that batches share, so it runs alone
        long alone = ExecutorAligners.memoryCells(50_000_000, 50_000_000);
        assertEquals(133_333_334, alone);
        assertTrue(alone / 1024 > ExecutorAligners.memoryPermits(8L << 30), "permits wanted: " + alone / 1024);
        // counted at 60 bytes a cell alone, it would have run beside other tasks' batches
        assertTrue(50_000_000 / 1024 < ExecutorAligners.memoryPermits(8L << 30));
    }

    @Test
    void takeMemory_aLargePairCountsAtItsPeak_andWaitsWhereItsCellsAloneWouldFit() throws Exception {
        long half = ExecutorAligners.memoryPermits(Runtime.getRuntime().maxMemory()) * 1024L / 2;
        Runnable ordinary = ExecutorAligners.takeMemory(1_000_000, 40_000, null);
        java.util.concurrent.ExecutorService others = java.util.concurrent.Executors.newSingleThreadExecutor();
        java.util.concurrent.Future<Runnable> large = null;
        try {
            // half the share's cells in many small pairs fit beside the ordinary batch
            others.submit(() -> ExecutorAligners.takeMemory(half, 40_000, null)).get(10, java.util.concurrent.TimeUnit.SECONDS).run();
            // as one pair, at its peak, they take more than the share: it waits, then runs alone
            large = others.submit(() -> ExecutorAligners.takeMemory(half, half, null));
            assertWaits(large, "a pair of half the share's cells waits for the batch in flight");
            ordinary.run();
            large.get(10, java.util.concurrent.TimeUnit.SECONDS).run();
        } finally {   // (the permits are the JVM's: give back whatever a failed assertion left held)
            ordinary.run();
            giveBack(large);
            others.shutdownNow();
        }
    }

    private static void assertWaits(java.util.concurrent.Future<Runnable> memory, String why) throws InterruptedException {
        Thread.sleep(300);
        assertTrue(!memory.isDone(), why);
    }

    /** Gives back the memory of each taking that got it (null: never asked). */
    @SafeVarargs
    private static void giveBack(java.util.concurrent.Future<Runnable>... takings) {
        for (java.util.concurrent.Future<Runnable> f : takings) {
            if (f != null) {
                try {
                    f.get(10, java.util.concurrent.TimeUnit.SECONDS).run();
                } catch (Exception ignored) {
                    // never taken
                }
            }
        }
    }

    @Test
    void takeMemory_batchesTakeTurnsWithinTheHeapShare_andOrdinaryOnesDoNotWait() throws Exception {
        // 8 GiB of heap: 0.6 of it at 60 bytes a cell, in permits of 1024 cells
        assertEquals(83886, ExecutorAligners.memoryPermits(8L << 30));
        assertEquals(1, ExecutorAligners.memoryPermits(1000));
        Runnable a = ExecutorAligners.takeMemory(4_000_000, 0, null);   // an ordinary batch
        java.util.concurrent.ExecutorService others = java.util.concurrent.Executors.newFixedThreadPool(2);
        java.util.concurrent.Future<Runnable> huge = null;
        java.util.concurrent.Future<Runnable> small = null;
        Runnable whole = () -> { };
        try {
            ExecutorAligners.takeMemory(4_000_000, 0, null).run();         // another beside it does not wait
            // a batch larger than the whole share waits for a, then runs alone
            huge = others.submit(() -> ExecutorAligners.takeMemory(Long.MAX_VALUE / 2, 0, null));
            assertWaits(huge, "the largest batch waits for the one in flight");
            a.run();
            Runnable alone = huge.get(10, java.util.concurrent.TimeUnit.SECONDS);
            small = others.submit(() -> ExecutorAligners.takeMemory(1, 0, null));
            assertWaits(small, "a batch waits while the largest one holds the whole share");
            alone.run();
            small.get(10, java.util.concurrent.TimeUnit.SECONDS).run();
            // a batch one cell past all but one permit of the share takes all of it (rounded up)
            long cells = (ExecutorAligners.memoryPermits(Runtime.getRuntime().maxMemory()) - 1L) * 1024 + 1;
            whole = others.submit(() -> ExecutorAligners.takeMemory(cells, 0, null)).get(10, java.util.concurrent.TimeUnit.SECONDS);
            small = others.submit(() -> ExecutorAligners.takeMemory(1, 0, null));
            assertWaits(small, "a batch waits while one holds the whole share");
            whole.run();
            small.get(10, java.util.concurrent.TimeUnit.SECONDS).run();
        } finally {   // (the permits are the JVM's: give back whatever a failed assertion left held)
            a.run();
            whole.run();
            giveBack(huge, small);
            others.shutdownNow();
        }
    }

    @Test
    void taskGpu_uuidAddress_isFoundThroughTheDriverUnlessCudaVisibleDevicesListsIt() {
        java.util.function.ToIntFunction<String> driver = uuid -> {
            assertEquals("GPU-01ba1a11-0000-4000-8000-000000000000", uuid);
            return 7;
        };
        assertEquals(7, TaskGpu.cudaOrdinal(" GPU-01ba1a11-0000-4000-8000-000000000000", null, driver));
        assertEquals(7, TaskGpu.cudaOrdinal("GPU-01ba1a11-0000-4000-8000-000000000000", "2,3", driver));
        // Listed (in any case): its position, without asking the driver.
        assertEquals(1, TaskGpu.cudaOrdinal("GPU-01BA1A11-0000-4000-8000-000000000000",
                "GPU-00ba1a11-0000-4000-8000-000000000000,GPU-01ba1a11-0000-4000-8000-000000000000",
                uuid -> { throw new AssertionError("asked the driver"); }));
        assertEquals(3, TaskGpu.cudaOrdinal("3", null, uuid -> { throw new AssertionError("asked the driver"); }));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TaskGpu.cudaOrdinal("MIG-1", "0,1", driver));
        assertTrue(e.getMessage().contains("'MIG-1' is neither a device index nor a UUID") && e.getMessage().contains("=0,1"),
                e.getMessage());
    }

    /** Embedded in a JVM whose Spark session is running, a command refuses (exit 2) and leaves that session running. */
    @Test
    void commands_insideARunningSession_refuseAndLeaveItRunning() {
        org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().master("local[1]")
                .appName("JobKeysTest embedder").getOrCreate();
        try {
            String out = System.getProperty("java.io.tmpdir") + "/bandalign-never-written-" + System.nanoTime();
            assertEquals(2, BandAlign.run("generate", "--output", out, "--pairs", "1"));
            assertEquals(2, BandAlign.run("devices", "--master", "local[1]"));
            assertTrue(!spark.sparkContext().isStopped(), "the embedder's session still runs");
            assertTrue(!new java.io.File(out).exists(), out);
        } finally {
            spark.stop();
        }
    }

    @Test
    void checkKnown_misspeltKey_suggestsTheNearestWithinFourEdits_theFirstDeclaredOnATie() {
        assertTrue(unknown("spark.bandalign.batch.ceirs").contains("did you mean spark.bandalign.batch.cells?"),
                "two edits from batch.cells and from batch.pairs: the first declared");
        assertTrue(unknown("spark.bandalign.batch.c").contains("did you mean spark.bandalign.batch.cells?"), "four edits");
        assertTrue(unknown("spark.bandalign.maxcells").contains("did you mean spark.bandalign.maxCells?"));
        assertTrue(!unknown("spark.bandalign.totally.unrelated").contains("did you mean"));
    }

    private static String unknown(String name) {
        return assertThrows(UserError.class, () -> JobKeys.checkKnown(new SparkConf(false).set(name, "1"))).getMessage();
    }

    @Test
    void check_valueWithinRange_isReturnedAsGiven() {
        assertEquals(5L, JobKeys.BATCH_CELLS.check(5L, "--batch-cells"));
    }
}
