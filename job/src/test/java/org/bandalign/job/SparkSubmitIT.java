package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.bandalign.cuda.FakeCudaDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged job jar as users deploy it (README, "On a GPU cluster"): Spark's own
 * {@code SparkSubmit}, in a JVM of its own, submits {@code job/target/bandalign-job-*.jar} with
 * the template {@code conf/spark-defaults.conf} (its placeholder path filled in) to a real
 * standalone cluster on 127.0.0.1 ({@link StandaloneCluster}). Driver and executors see Spark on
 * their class path, as from {@code $SPARK_HOME/jars}, and the job only through the submitted jar,
 * which the executors fetch from the driver: the job's classes, the kernels' fatbins and JCuda's
 * native library all come out of it. The executors load the CPU stand-in for the NVIDIA driver
 * ({@link FakeCudaDriver}), so the tasks run the CUDA backend; without g++, the CPU.
 *
 * <p>Run by failsafe in {@code mvn verify}, after {@code package}: it reads the jar's path and
 * Spark's class path from system properties that only the job's failsafe run sets.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "bash scripts, /proc")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SparkSubmitIT {
    /** System property: the packaged (shaded) job jar. */
    static final String JOB_JAR = "bandalign.it.jobJar";
    /** System property: a file holding the class path of Spark (the job's provided dependencies). */
    static final String SPARK_CLASS_PATH_FILE = "bandalign.it.sparkClassPathFile";

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    private static Path jar;
    private static String sparkClassPath;
    private static StandaloneCluster cluster;
    private static Optional<Path> fakeDriver = Optional.empty();

    @BeforeAll
    static void start() throws Exception {
        jar = Path.of(required(JOB_JAR));
        assertTrue(Files.isRegularFile(jar), "the packaged job jar " + jar + " exists (run by mvn verify, after package)");
        sparkClassPath = Files.readString(Path.of(required(SPARK_CLASS_PATH_FILE))).trim();
        cluster = StandaloneCluster.start(tmp.resolve("cluster"), 2, "2g", List.of(List.of("0")), Duration.ofSeconds(90));
        fakeDriver = FakeCudaDriver.build();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String required(String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set: run this test through failsafe "
                    + "(mvn verify), which sets it");
        }
        return v;
    }

    /**
     * Every library the jar bundles is named in its META-INF/THIRD-PARTY.txt, with the folder it
     * occupies, the version its Maven metadata gives, and a licence text that is in the jar.
     */
    @Test
    void jar_namesEachLibraryItBundles_withItsVersionAndLicence() throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            ZipEntry noticeEntry = j.getEntry("META-INF/THIRD-PARTY.txt");
            assertNotNull(noticeEntry, "the jar has META-INF/THIRD-PARTY.txt");
            String notice = new String(j.getInputStream(noticeEntry).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            java.util.Set<String> roots = new java.util.TreeSet<>();
            List<String> names = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> e = j.entries(); e.hasMoreElements(); ) {
                String name = e.nextElement().getName();
                names.add(name);
                if (name.endsWith(".class") && !name.startsWith("org/bandalign/") && !name.contains("module-info")
                        && !name.startsWith("META-INF/")) {
                    String[] parts = name.split("/");
                    roots.add(parts[0].equals("org") || parts[0].equals("com") ? parts[0] + "/" + parts[1] + "/" : parts[0] + "/");
                } else if (name.startsWith("lib/") && !name.endsWith("/")) {
                    roots.add(name);
                }
            }
            assertEquals(List.of("jcuda/", "lib/libJCudaDriver-12.0.0-linux-x86_64.so", "org/jfree/", "picocli/"),
                    List.copyOf(roots),
                    "the third-party code in the jar (a new dependency needs its entry in THIRD-PARTY.txt)");
            for (String root : roots) {
                assertTrue(notice.lines().anyMatch(l -> l.startsWith("  In this jar: ")
                                && List.of(l.substring("  In this jar: ".length()).split(", ")).contains(root)), root + " is named in THIRD-PARTY.txt:\n" + notice);
            }
            for (String properties : matching(names, "META-INF/maven/.+/pom\\.properties")) {
                java.util.Properties p = new java.util.Properties();
                p.load(j.getInputStream(j.getEntry(properties)));
                if (!p.getProperty("groupId").equals("org.bandalign")) {
                    String coordinates = p.getProperty("groupId") + ":" + p.getProperty("artifactId");
                    assertTrue(notice.lines().anyMatch(l -> l.contains(coordinates) && l.contains(" " + p.getProperty("version") + " ")),
                            coordinates + " " + p.getProperty("version") + " is named, with its version, in THIRD-PARTY.txt");
                }
            }
            java.util.regex.Matcher licence =
                    java.util.regex.Pattern.compile("META-INF/licenses/[A-Za-z0-9.-]+\\.txt").matcher(notice);
            int licences = 0;
            while (licence.find()) {
                assertNotNull(j.getEntry(licence.group()), licence.group() + " is in the jar");
                licences++;
            }
            assertEquals(3, licences, "each library's licence text is named");
            assertFalse(notice.contains("${"), "the versions are filled in:\n" + notice);
        }
    }

    @Test
    void jar_holdsTheJobKernelsAndDriverLibrary_notSparkOrUnusedNatives() throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            assertEquals(BandAlign.class.getName(), j.getManifest().getMainAttributes().getValue("Main-Class"));
            List<String> names = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> e = j.entries(); e.hasMoreElements(); ) {
                names.add(e.nextElement().getName());
            }
            assertEquals(List.of("lib/libJCudaDriver-12.0.0-linux-x86_64.so"), matching(names, "lib/.+\\.(so|dll|dylib)"),
                    "JCuda's driver library, the only native library BandAlign loads");
            assertEquals(List.of("org/bandalign/cuda/banded_align.cuda12.fatbin", "org/bandalign/cuda/banded_align.fatbin",
                            "org/bandalign/cuda/banded_matrix.cuda12.fatbin", "org/bandalign/cuda/banded_matrix.fatbin"),
                    matching(names, ".+\\.fatbin"));
            for (String kept : List.of("org/bandalign/job/AlignPartition.class", "org/bandalign/cpu/CpuAligner.class",
                    "jcuda/driver/JCudaDriver.class", "picocli/CommandLine.class")) {
                assertTrue(names.contains(kept), kept + " is in the jar");
            }
            assertEquals(List.of(), matching(names, "org/apache/spark/.+"), "Spark stays outside (the cluster provides it)");
            assertEquals(List.of(), matching(names, "org/(junit|opentest4j)/.+|org/bandalign/.+(Test|IT)\\.class"),
                    "no test code");
        }
    }

    private static List<String> matching(List<String> names, String regex) {
        return names.stream().filter(n -> n.matches(regex)).sorted().collect(Collectors.toList());
    }

    @Test
    void sparkSubmit_alignsTheSampleOnTheCluster_fromThePackagedJar() throws Exception {
        Path out = tmp.resolve("aligned");
        String backend = fakeDriver.isPresent() ? "cuda" : "cpu";
        Path log = tmp.resolve("submit-align.log");
        // SPEC section 5's form: the flags alone, no subcommand.
        int exit = submit(log, "--input", StandaloneCluster.CONF.getParent().resolve("data/sample").toString(), "--output", out.toString(),
                "--backend", backend, "--packed");
        String text = Files.readString(log);
        assertEquals(0, exit, "spark-submit align exits 0:\n" + tail(text) + cluster.logs());

        JsonNode s = JSON.readTree(out.resolve("_SUMMARY.json").toFile());
        assertEquals(43, s.get("input_rows").asLong());
        assertEquals(41, s.get("aligned_rows").asLong());
        assertEquals(2, s.get("rejected_rows").asLong());
        assertEquals(cluster.masterUrl(), s.get("master").asText());
        assertEquals(fakeDriver.isPresent() ? "[\"cuda:0\"]" : "[\"cpu\"]", s.get("backends").toString());
        assertEquals(List.of("0"), names(s.get("task_gpus")), "every alignment task held the Worker's GPU 0");
        assertEquals(41, parquetRows(out.resolve("marginals")));
        assertEquals(2, parquetRows(out.resolve("rejected")));
        assertTrue(text.contains("bandalign: 43 rows in, 41 aligned, 2 rejected"), "the closing line:\n" + tail(text));
        // The executors ran with the template's collector options (Spark adds
        // -XX:+IgnoreUnrecognizedVMOptions, so a mistyped one would pass unseen here:
        // JobKeysTest starts a JVM with them).
        List<String> executors = cluster.executorCommands();
        assertFalse(executors.isEmpty(), cluster.logs());
        for (String command : executors) {
            for (String option : StandaloneCluster.templateSetting("spark.executor.extraJavaOptions").split("\\s+")) {
                assertTrue(command.contains("\"" + option + "\""), option + " in " + command);
            }
        }
    }

    /**
     * A pair whose scores Spark's Parquet reader cannot hold in an executor's 640 MiB (a 2600 x
     * 2600 row, 81 MB of binary scores, which that reader holds about 6 times over) amid ordinary
     * pairs in one row group: it is rejected as too large for the executor, without its scores
     * being read, and the pairs beside it align; both where the job's reader reads the scores (the
     * default for these files) and where Spark's does ({@code pageReader=false}: the job's reader
     * then reads this file alone, {@link LargeRows}). Before, the executors ran out of memory
     * reading it and the run failed, every pair with it.
     */
    @Test
    void sparkSubmit_aPairTooLargeForTheExecutorsHeap_isRejectedAndThePairsBesideItAlign() throws Exception {
        Path in = tmp.resolve("giant-in");
        Files.createDirectories(in);
        org.apache.parquet.schema.MessageType schema = org.apache.parquet.schema.MessageTypeParser.parseMessageType(
                "message m { required binary id (STRING); required int32 n; required int32 m; required binary scores; }");
        java.util.Random random = new java.util.Random(5);
        try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> w =
                     org.apache.parquet.hadoop.example.ExampleParquetWriter.builder(
                             new org.apache.hadoop.fs.Path(in.resolve("pairs.parquet").toString()))
                             .withType(schema).withConf(new Configuration()).build()) {
            for (int r = 0; r < 11; r++) {
                int side = r == 5 ? 2600 : 2 + random.nextInt(30);
                java.nio.ByteBuffer scores = java.nio.ByteBuffer.allocate(side * side * 3 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                while (scores.hasRemaining()) {
                    scores.putFloat(random.nextFloat());
                }
                w.write(new org.apache.parquet.example.data.simple.SimpleGroupFactory(schema).newGroup()
                        .append("id", r == 5 ? "giant" : "pair-" + r).append("n", side).append("m", side)
                        .append("scores", org.apache.parquet.io.api.Binary.fromConstantByteArray(scores.array())));
            }
        }
        for (String pageReader : new String[] {"auto", "false"}) {
            Path out = tmp.resolve("giant-out-" + pageReader);
            Path log = tmp.resolve("submit-giant-" + pageReader + ".log");
            int exit = submit(log, "align", "--input", in.toString(), "--output", out.toString(), "--backend", "cpu",
                    "--conf", "spark.bandalign.reader.pageReader=" + pageReader);
            String text = Files.readString(log);
            assertEquals(0, exit, "spark-submit align exits 0:\n" + tail(text) + cluster.logs());
            assertTrue(text.contains("bandalign: 11 rows in, 10 aligned, 1 rejected"), "the closing line:\n" + tail(text));
            assertEquals(pageReader.equals("false"), text.contains("1 input file(s) hold rows too large for Spark's Parquet reader"),
                    pageReader + ": " + tail(text));
            List<String> errors = new ArrayList<>();
            try (org.apache.parquet.hadoop.ParquetReader<org.apache.parquet.example.data.Group> r =
                         org.apache.parquet.hadoop.ParquetReader.builder(new org.apache.parquet.hadoop.example.GroupReadSupport(),
                                 new org.apache.hadoop.fs.Path(out.resolve("rejected").toString())).build()) {
                for (org.apache.parquet.example.data.Group g = r.read(); g != null; g = r.read()) {
                    errors.add(g.getString("id", 0) + ": " + g.getString("error", 0));
                }
            }
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.get(0).startsWith("giant: too large for this executor's memory"), errors.get(0));
        }
    }

    @Test
    void sparkSubmit_devices_surveysTheExecutors() throws Exception {
        Path log = tmp.resolve("submit-devices.log");
        int exit = submit(log, "devices", "--executors", "1", "--tasks", "4");
        String text = Files.readString(log);
        if (fakeDriver.isPresent()) {
            assertEquals(0, exit, "devices exits 0 where every executor has its GPU:\n" + tail(text) + cluster.logs());
            assertTrue(text.contains("BandAlign CPU emulation of a CUDA device"), "the executor's device is named:\n" + tail(text));
        } else {
            assertEquals(1, exit, "devices exits 1 where executors would align on the CPU:\n" + tail(text));
        }
    }

    /**
     * The launcher's form on a cluster (README, step 4: {@code bin/bandalign ... --master
     * spark://...}): the driver runs the packaged jar from its own class path, as
     * {@code bin/bandalign} does, not through spark-submit, and the executors, which have Spark
     * alone, get the job's classes from it. Found by a cluster walk-through: every task failed
     * ("cannot assign instance of java.lang.invoke.SerializedLambda"), since nothing shipped the
     * jar; the session now adds it to {@code spark.jars} itself.
     */
    @Test
    void launcherForm_alignsTheSampleOnTheCluster_itsExecutorsGivenTheJarByTheDriver() throws Exception {
        Path out = tmp.resolve("aligned-by-launcher");
        Path log = tmp.resolve("launcher-align.log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(StandaloneCluster.sparkJavaOptions());
        cmd.addAll(StandaloneCluster.LEAN_JVM);
        cmd.add("-Dlog4j2.configurationFile=" + StandaloneCluster.CONF.resolve("log4j2.properties"));
        cmd.addAll(List.of("-cp", jar + ":" + sparkClassPath, BandAlign.class.getName(), "align",
                "--input", StandaloneCluster.CONF.getParent().resolve("data/sample").toString(), "--output", out.toString(),
                "--backend", "cpu", "--master", cluster.masterUrl()));
        clusterConf(cmd, "");
        int exit = runDriver(cmd, log, "the launcher's align");
        String text = Files.readString(log);
        assertEquals(0, exit, "the launcher's align exits 0:\n" + tail(text) + cluster.logs());
        assertTrue(text.contains("bandalign: 43 rows in, 41 aligned, 2 rejected"), "the closing line:\n" + tail(text));
        assertEquals(41, parquetRows(out.resolve("marginals")));
        assertEquals(cluster.masterUrl(), JSON.readTree(out.resolve("_SUMMARY.json").toFile()).get("master").asText());
    }

    /**
     * Runs {@code org.apache.spark.deploy.SparkSubmit} with the packaged jar and {@code args} in
     * a JVM of its own, as {@code spark-submit} would (Spark's class path, its Java 17 options),
     * against the cluster; returns its exit status, its output in {@code log}.
     */
    private static int submit(Path log, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(StandaloneCluster.sparkJavaOptions());
        cmd.addAll(StandaloneCluster.LEAN_JVM);
        cmd.add("-Dlog4j2.configurationFile=" + StandaloneCluster.CONF.resolve("log4j2.properties"));
        cmd.addAll(List.of("-cp", sparkClassPath, "org.apache.spark.deploy.SparkSubmit",
                "--master", cluster.masterUrl(), "--properties-file", properties().toString()));
        // The template's executor options (its collector) kept.
        clusterConf(cmd, StandaloneCluster.templateSetting("spark.executor.extraJavaOptions") + " ");
        conf(cmd, "spark.task.resource.gpu.amount", "0.5");
        conf(cmd, "spark.scheduler.minRegisteredResourcesRatio", "1.0");
        fakeDriver.ifPresent(lib -> conf(cmd, "spark.executor.extraLibraryPath", lib.getParent().toString()));
        cmd.addAll(List.of("--class", BandAlign.class.getName(), jar.toString()));
        cmd.addAll(List.of(args));
        return runDriver(cmd, log, "spark-submit " + String.join(" ", args));
    }

    /**
     * What a real cluster has without being told: Spark in $SPARK_HOME/jars (the test cluster's
     * is empty), the driver reachable on 127.0.0.1; the executors' Java options after
     * {@code javaOptions}: Spark's Java 17 ones and the C1 compiler alone for these short runs
     * (not the lean JVMs' collector: one only); the sizes of this machine, in place of the
     * template's.
     */
    private static void clusterConf(List<String> cmd, String javaOptions) {
        conf(cmd, "spark.executor.extraClassPath", sparkClassPath);
        conf(cmd, "spark.executor.extraJavaOptions", javaOptions + String.join(" ", StandaloneCluster.sparkJavaOptions())
                + " -XX:TieredStopAtLevel=1");
        conf(cmd, "spark.driver.host", "127.0.0.1");
        conf(cmd, "spark.driver.bindAddress", "127.0.0.1");
        conf(cmd, "spark.ui.enabled", "false");
        conf(cmd, "spark.ui.showConsoleProgress", "false");
        conf(cmd, "spark.executor.cores", "2");
        conf(cmd, "spark.executor.memory", "640m");
    }

    /** Runs the driver {@code cmd} to its end, within 3 minutes, its output in {@code log}; returns its exit status. */
    private static int runDriver(List<String> cmd, Path log, String what) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("SPARK_"));
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(3, TimeUnit.MINUTES), what + " ends within 3 minutes");
            return p.exitValue();
        } finally {
            p.destroyForcibly();
        }
    }

    private static void conf(List<String> cmd, String key, String value) {
        cmd.add("--conf");
        cmd.add(key + "=" + value);
    }

    /**
     * The template {@code conf/spark-defaults.conf} with its placeholder install path made this
     * checkout's, as the template asks of its users.
     */
    private static Path properties() throws IOException {
        String template = Files.readString(StandaloneCluster.CONF.resolve("spark-defaults.conf"));
        assertTrue(template.contains("/path/to/bandalign/"), "the template's placeholder path");
        Path p = tmp.resolve("spark-defaults.conf");
        Files.writeString(p, template.replace("/path/to/bandalign/", StandaloneCluster.CONF.getParent() + "/"));
        return p;
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Rows of all Parquet files in {@code dir}, from their footers. */
    private static long parquetRows(Path dir) throws IOException {
        long rows = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".parquet")).collect(Collectors.toList())) {
                try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
                        new org.apache.hadoop.fs.Path(f.toUri()), new Configuration()))) {
                    rows += r.getRecordCount();
                }
            }
        }
        return rows;
    }

    private static String tail(String text) {
        List<String> lines = List.of(text.split("\n"));
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }
}
