package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The thin jar on the Spark versions a cluster may run besides the one it is built against:
 * for each version named in {@code -Dbandalign.otherSparks=4.0.1,4.1.1,...} (none by default, so
 * the test skips; CI does not download more Sparks), Maven resolves that Spark's class path
 * ({@code spark-sql_2.13:VERSION}, from the build's own local repository, downloading only what
 * that lacks), and the jar aligns the bundled sample on it in local mode, in a JVM of its own, as on the
 * built-against Spark: once as it comes (the scores read a page at a time, the marginals written
 * by the page writer) and once through Spark's own reader and writer
 * ({@code pageReader=false}, {@code pageWriter=false}), since both lean on parquet-mr classes
 * whose versions differ between Sparks. Every output and rejected row must equal that of the
 * built-against Spark, and the summary must name the version that ran; the same for the sample
 * written with binary scores and aligned with {@code --packed} marginals. A Spark 3 version must
 * instead be refused with exit code 2 and a line saying why.
 *
 * <p>Run: {@code mvn -B verify -pl job -am -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false
 * -Dit.test=OtherSparkVersionsIT -Dbandalign.otherSparks=4.0.1,4.1.1,3.5.6}.
 */
class OtherSparkVersionsIT {
    /** System property: the Spark versions to check, comma-separated (empty: skip). */
    static final String VERSIONS = "bandalign.it.otherSparks";
    /** System properties Maven fills in: where it is, and its local repository. */
    static final String MAVEN_HOME = "bandalign.it.mavenHome";
    static final String MAVEN_REPO = "bandalign.it.mavenRepo";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The two ways each version runs: as the jar comes, and through Spark's reader and writer. */
    private static final List<List<String>> WAYS = List.of(List.of(),
            List.of("--conf", "spark.bandalign.reader.pageReader=false", "--conf", "spark.bandalign.output.pageWriter=false"));

    @TempDir
    static Path tmp;

    @Test
    void sample_onOtherSparks_givesTheSameRows_orIsRefusedOnSpark3() throws Exception {
        String versions = System.getProperty(VERSIONS, "").trim();
        Assumptions.assumeFalse(versions.isEmpty() || versions.startsWith("${"),
                "no other Spark versions asked for (-Dbandalign.otherSparks=4.0.1,4.1.1)");
        Path jar = Path.of(System.getProperty(SparkSubmitIT.JOB_JAR));
        String builtAgainst = Files.readString(Path.of(System.getProperty(SparkSubmitIT.SPARK_CLASS_PATH_FILE))).trim();
        Path sample = StandaloneCluster.CONF.getParent().resolve("data").resolve("sample");
        // the sample again with binary scores, aligned with --packed marginals: the job's reader
        // and page writer take binaries through other parquet-mr classes than float lists
        Path binarySample = tmp.resolve("binary-sample");
        assertEquals(0, BandAlign.run("generate", "--sample", "--binary", "--output", binarySample.toString(), "--master", "local[2]"));
        // and the sample into the sparse layout (both semirings, as every run): rows of lists of structs
        // built by the tasks, through the job's struct-list columns and values writers
        List<Path> inputs = List.of(sample, binarySample, sample);
        List<List<String>> inputFlags = List.of(List.of(), List.of("--packed"), List.of("--layout", "sparse"));
        List<Path> reference = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            for (int w = 0; w < WAYS.size(); w++) {
                reference.add(align(jar, builtAgainst, inputs.get(i), "built-against-" + i + "-" + w, with(WAYS.get(w), inputFlags.get(i)), 0));
            }
        }
        SparkSession spark = SparkSession.builder().master("local[1]").appName("other-sparks").getOrCreate();
        try {
            for (String version : versions.split(",")) {
                version = version.trim();
                String classPath = sparkClassPath(version);
                if (version.startsWith("3.")) {
                    Path out = align(jar, classPath, sample, "spark-" + version, List.of(), 2);
                    String log = Files.readString(out.resolveSibling(out.getFileName() + ".log"));
                    assertTrue(log.contains("BandAlign needs Apache Spark 4.0 or newer") && log.contains(version), log);
                    continue;
                }
                for (int i = 0; i < inputs.size(); i++) {
                    for (int w = 0; w < WAYS.size(); w++) {
                        List<String> flags = with(WAYS.get(w), inputFlags.get(i));
                        Path out = align(jar, classPath, inputs.get(i), "spark-" + version + "-" + i + "-" + w, flags, 0);
                        String what = "Spark " + version + " " + inputs.get(i).getFileName() + " " + flags;
                        JsonNode summary = JSON.readTree(out.resolve("_SUMMARY.json").toFile());
                        assertEquals(version, summary.path("versions").path("spark").asText(), what);
                        assertEquals(w == 0 ? "page" : "spark", summary.path("options").path("scores_reader").asText(), what);
                        for (String table : List.of("marginals", "rejected")) {
                            List<String> expected = rows(spark, reference.get(i * WAYS.size() + w).resolve(table));
                            assertEquals(table.equals("marginals") ? 41 : 2, expected.size(), "the sample's " + table);
                            assertEquals(expected, rows(spark, out.resolve(table)), what + " " + table);
                        }
                    }
                }
            }
        } finally {
            spark.stop();
        }
    }

    private static List<String> with(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * Runs {@code align} on {@code input} in local mode with the jar on {@code sparkClassPath},
     * in a JVM of its own, expecting {@code exit}; returns the output directory (its log beside it).
     */
    private static Path align(Path jar, String sparkClassPath, Path input, String name, List<String> flags, int exit)
            throws IOException, InterruptedException {
        Path out = tmp.resolve(name);
        Path log = tmp.resolve(name + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(StandaloneCluster.sparkJavaOptions());
        cmd.add("-Dlog4j2.configurationFile=" + StandaloneCluster.CONF.resolve("log4j2.properties"));
        cmd.addAll(List.of("-Dspark.ui.enabled=false", "-Dspark.ui.showConsoleProgress=false", "-Xmx1g"));
        cmd.addAll(List.of("-cp", jar + java.io.File.pathSeparator + sparkClassPath, BandAlign.class.getName(), "align",
                "--input", input.toString(), "--output", out.toString(), "--semiring", "both", "--backend", "cpu",
                "--master", "local[2]"));
        cmd.addAll(flags);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTrue(p.waitFor(5, TimeUnit.MINUTES), name + " ends within 5 minutes");
            assertEquals(exit, p.exitValue(), name + ":\n" + Files.readString(log));
        } finally {
            p.destroyForcibly();
        }
        return out;
    }

    /** The class path of Spark {@code version} ({@code spark-sql_2.13}), resolved by Maven from a throwaway project. */
    private static String sparkClassPath(String version) throws IOException, InterruptedException {
        Path project = Files.createDirectories(tmp.resolve("spark-" + version + "-project"));
        Files.writeString(project.resolve("pom.xml"), "<project xmlns=\"http://maven.apache.org/POM/4.0.0\">"
                + "<modelVersion>4.0.0</modelVersion><groupId>org.bandalign.it</groupId><artifactId>spark-" + version
                + "</artifactId><version>1</version><dependencies><dependency><groupId>org.apache.spark</groupId>"
                + "<artifactId>spark-sql_2.13</artifactId><version>" + version + "</version></dependency></dependencies></project>");
        String home = System.getProperty(MAVEN_HOME, "");
        List<String> cmd = new ArrayList<>(List.of(home.isEmpty() || home.startsWith("${") ? "mvn" : Path.of(home, "bin", "mvn").toString(),
                "-B", "-q", "dependency:build-classpath", "-Dmdep.outputFile=cp.txt"));
        String repo = System.getProperty(MAVEN_REPO, "");
        if (!repo.isEmpty() && !repo.startsWith("${")) {
            cmd.add("-Dmaven.repo.local=" + repo);
        }
        Path log = project.resolve("mvn.log");
        // offline first, from the local repository alone; where that lacks something, online
        List<String> offline = new ArrayList<>(cmd);
        offline.add("-o");
        if (maven(offline, project, log, version) != 0) {
            int exit = maven(cmd, project, log, version);
            assertEquals(0, exit, "Maven resolves Spark " + version + ":\n" + Files.readString(log));
        }
        return Files.readString(project.resolve("cp.txt")).trim();
    }

    private static int maven(List<String> cmd, Path project, Path log, String version) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(project.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTrue(p.waitFor(10, TimeUnit.MINUTES), "Maven resolves Spark " + version + " within 10 minutes");
            return p.exitValue();
        } finally {
            p.destroyForcibly();
        }
    }

    /** A table's rows, each as its string, sorted: equal lists mean equal tables. */
    private static List<String> rows(SparkSession spark, Path table) {
        List<String> out = new ArrayList<>();
        for (Row r : spark.read().parquet(table.toString()).collectAsList()) {
            out.add(describe(r));
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** A row as text, field by field with the fields' names (binary values spelled out byte by byte). */
    private static String describe(Row r) {
        StringBuilder b = new StringBuilder();
        for (int f = 0; f < r.length(); f++) {
            Object v = r.get(f);
            b.append(r.schema().fields()[f].name()).append('=');
            b.append(v instanceof byte[] bytes ? Arrays.toString(bytes) : String.valueOf(v)).append(';');
        }
        return b.toString();
    }
}
