package org.bandalign.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster for tests, on 127.0.0.1: one Master and some Workers, each a
 * JVM of its own started from the test class path (Spark's Java 17 options from
 * {@code conf/spark-java17.args}). Each Worker advertises GPUs the way a GPU node does: through
 * {@code conf/getGpusResources.sh} ({@code spark.worker.resource.gpu.discoveryScript}), which
 * finds a stand-in {@code nvidia-smi} first on that Worker's {@code PATH}. Executors are launched
 * by the Workers with {@code SPARK_HOME} pointing at a folder whose {@code jars/} is empty, so
 * an application must pass the test class path as {@code spark.executor.extraClassPath}
 * ({@link #executorConf()} gives that and the rest of what a driver needs). Everything lives
 * under one directory: the JVMs' logs, the Workers' work directories (executor logs).
 * {@link #close()} kills every process started, descendants (executors) first.
 */
final class StandaloneCluster implements AutoCloseable {
    /** The project's conf/ directory (tests run in job/, the IDE may run them from the root). */
    static final Path CONF = findConf();

    private static final String HOST = "127.0.0.1";
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Options for the cluster's short-lived JVMs: the C1 compiler only and the serial collector
     * (fewer compiler and GC threads) make them start and warm up about twice as fast on a
     * small machine where seven JVMs share the cores.
     */
    static final List<String> LEAN_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    private final Path dir;
    private final Path sparkHome;
    private final List<Process> workers = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private final List<Path> workDirs = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::killAll, "StandaloneCluster shutdown");
    private Process master;
    private String masterUrl;
    private int masterUiPort;

    private StandaloneCluster(Path dir) throws IOException {
        this.dir = dir;
        this.sparkHome = Files.createDirectories(dir.resolve("spark-home"));
        Files.createDirectories(sparkHome.resolve("jars"));
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts a Master and one Worker per entry of {@code gpusPerWorker} (the GPU indices that
     * Worker's stand-in nvidia-smi reports), each Worker with {@code cores} cores and
     * {@code memory} (e.g. "2g"), and waits until all are registered and ALIVE.
     */
    static StandaloneCluster start(Path dir, int cores, String memory, List<List<String>> gpusPerWorker,
                                   Duration timeout) throws IOException, InterruptedException {
        return start(dir, cores, memory, gpusPerWorker, Collections.nCopies(gpusPerWorker.size(), HOST), timeout);
    }

    /**
     * {@link #start(Path, int, String, List, Duration)} with Worker {@code w} (and its executors)
     * on the loopback address {@code hosts.get(w)}: Workers on 127.0.0.1 and 127.0.0.2 are two
     * hosts to Spark's scheduler, which, for one, never runs a speculative copy of a task on a
     * host that already runs an attempt of it.
     */
    static StandaloneCluster start(Path dir, int cores, String memory, List<List<String>> gpusPerWorker,
                                   List<String> hosts, Duration timeout) throws IOException, InterruptedException {
        StandaloneCluster c = new StandaloneCluster(dir);
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            c.startMaster(deadline);
            for (int w = 0; w < gpusPerWorker.size(); w++) {
                c.startWorker(w, cores, memory, gpusPerWorker.get(w), hosts.get(w));
            }
            c.awaitWorkers(gpusPerWorker, deadline);
            return c;
        } catch (Throwable e) {
            String logs = c.logs();
            c.close();
            throw new AssertionError("standalone cluster did not start: " + e + "\n" + logs, e);
        }
    }

    String masterUrl() {
        return masterUrl;
    }

    /** The test JVM's class path (the real one under surefire, not its manifest-only jar). */
    static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    /** The value the template {@code conf/spark-defaults.conf} sets for {@code key} (not commented out). */
    static String templateSetting(String key) throws IOException {
        try (Stream<String> lines = Files.lines(CONF.resolve("spark-defaults.conf"))) {
            return lines.filter(l -> l.startsWith(key + " ")).findFirst()
                    .map(l -> l.substring(key.length()).trim())
                    .orElseThrow(() -> new AssertionError("the template sets " + key));
        }
    }

    /**
     * Starts the launcher's main class in a JVM of its own, as {@code bin/bandalign} starts it
     * (the Java 17 openings, {@code conf/log4j2.properties}) with {@code jvmOptions} first, its
     * standard output and error both to {@code log}.
     */
    static Process startBandAlign(List<String> jvmOptions, Path log, String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(sparkJavaOptions());
        cmd.add("-Dlog4j2.configurationFile=" + CONF.resolve("log4j2.properties").toAbsolutePath());
        cmd.addAll(List.of("-cp", classPath(), BandAlign.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** How a launcher JVM ended: its exit code and all it wrote. */
    record LauncherRun(int exit, String output) {
    }

    /** {@link #startBandAlign} to its end (killed after {@code timeoutSeconds}, failing the test). */
    static LauncherRun runBandAlign(List<String> jvmOptions, Path log, long timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        Process p = startBandAlign(jvmOptions, log, args);
        try {
            if (!p.waitFor(timeoutSeconds, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new AssertionError("the run did not end within " + timeoutSeconds + " s: " + Files.readString(log));
            }
        } finally {
            p.destroyForcibly();
        }
        return new LauncherRun(p.exitValue(), Files.readString(log));
    }

    /** The options of {@code conf/spark-java17.args}, one per line. */
    static List<String> sparkJavaOptions() {
        try (Stream<String> lines = Files.lines(CONF.resolve("spark-java17.args"))) {
            return lines.map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What a driver in this JVM needs to use the cluster: the master, driver addresses on
     * 127.0.0.1, the executors' class path and Java options (Java 17 openings, {@link #LEAN_JVM}).
     */
    Map<String, String> executorConf() {
        return Map.of(
                "spark.master", masterUrl,
                "spark.driver.host", HOST,
                "spark.driver.bindAddress", HOST,
                "spark.executor.extraClassPath", classPath(),
                "spark.executor.extraJavaOptions", String.join(" ", sparkJavaOptions()) + " " + String.join(" ", LEAN_JVM));
    }

    private static Path findConf() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("conf/spark-java17.args"))) {
                return d.resolve("conf");
            }
        }
        throw new IllegalStateException("no conf/spark-java17.args above " + Path.of("").toAbsolutePath());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return s.getLocalPort();
        }
    }

    private ProcessBuilder jvm(String mainClass, List<String> jvmOptions, List<String> args, Path log) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("@" + CONF.resolve("spark-java17.args"));
        cmd.addAll(jvmOptions);
        cmd.addAll(LEAN_JVM);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(mainClass);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("SPARK_"));
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", HOST);
        logs.add(log);
        return pb;
    }

    private void startMaster(long deadline) throws IOException, InterruptedException {
        // RPC port 0 (the master's URL is read back from its JSON); the web UI's port is chosen
        // here, and a clash (maxRetries=0: no silent move to the next port) is retried.
        for (int attempt = 1; ; attempt++) {
            masterUiPort = freePort();
            master = jvm("org.apache.spark.deploy.master.Master",
                    List.of("-Xmx256m", "-Dspark.master.rest.enabled=false", "-Dspark.port.maxRetries=0"),
                    List.of("--host", HOST, "--port", "0", "--webui-port", Integer.toString(masterUiPort)),
                    dir.resolve("master-" + attempt + ".log")).start();
            while (System.nanoTime() < deadline && master.isAlive()) {
                JsonNode state = masterStateOrNull();
                if (state != null && state.path("url").asText().startsWith("spark://")) {
                    masterUrl = state.get("url").asText();
                    return;
                }
                Thread.sleep(200);
            }
            if (master.isAlive() || attempt == 3) {
                throw new IllegalStateException("the master did not come up (attempt " + attempt + ")");
            }
        }
    }

    private void startWorker(int w, int cores, String memory, List<String> gpus, String host) throws IOException {
        // The stand-in nvidia-smi: answers the discovery script's query with this Worker's GPUs.
        Path bin = Files.createDirectories(dir.resolve("worker-" + w + "-bin"));
        Path smi = bin.resolve("nvidia-smi");
        // Addresses that are UUIDs are discovered as such (getGpusResources.sh in UUID mode).
        boolean byUuid = !gpus.isEmpty() && gpus.stream().allMatch(g -> g.startsWith("GPU-"));
        String field = byUuid ? "uuid" : "index";
        Files.writeString(smi, "#!/bin/sh\n"
                + "[ \"$*\" = \"--query-gpu=" + field + " --format=csv,noheader\" ] || { echo \"unexpected arguments: $*\" >&2; exit 2; }\n"
                + "printf '" + String.join("\\n", gpus) + "\\n'\n");
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path props = dir.resolve("worker-" + w + ".properties");
        Files.writeString(props, String.join("\n",
                "spark.worker.resource.gpu.amount=" + gpus.size(),
                "spark.worker.resource.gpu.discoveryScript=" + CONF.resolve("getGpusResources.sh"),
                "spark.worker.cleanup.enabled=false",
                ""));
        Path workDir = Files.createDirectories(dir.resolve("worker-" + w + "-work"));
        workDirs.add(workDir);
        ProcessBuilder pb = jvm("org.apache.spark.deploy.worker.Worker", List.of("-Xmx256m"),
                List.of("--host", host, "--cores", Integer.toString(cores), "--memory", memory,
                        "--webui-port", "0", "--work-dir", workDir.toString(),
                        "--properties-file", props.toString(), masterUrl),
                dir.resolve("worker-" + w + ".log"));
        pb.environment().put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().put("BANDALIGN_GPU_ADDRESSES", field);
        pb.environment().put("SPARK_LOCAL_IP", host);
        // Scratch of the Worker and its executors inside the test's directory: an executor the
        // tests kill cannot clean up after itself, and would leave it in /tmp.
        pb.environment().put("SPARK_LOCAL_DIRS", Files.createDirectories(dir.resolve("worker-" + w + "-local")).toString());
        workers.add(pb.start());
    }

    private void awaitWorkers(List<List<String>> gpusPerWorker, long deadline) throws InterruptedException {
        Set<Set<String>> expected = new HashSet<>();
        gpusPerWorker.forEach(g -> expected.add(Set.copyOf(g)));
        Set<Set<String>> seen = Set.of();
        while (System.nanoTime() < deadline) {
            for (Process p : allStarted()) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a cluster process exited with " + p.exitValue());
                }
            }
            JsonNode state = masterStateOrNull();
            if (state != null) {
                seen = new HashSet<>();
                for (JsonNode w : state.path("workers")) {
                    if ("ALIVE".equals(w.path("state").asText())) {
                        Set<String> addresses = new HashSet<>();
                        w.path("resources").path("gpu").path("addresses").forEach(a -> addresses.add(a.asText()));
                        seen.add(addresses);
                    }
                }
                if (seen.equals(expected)) {
                    return;
                }
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("workers not registered in time: expected ALIVE workers with GPUs " + expected
                + ", master has " + seen);
    }

    /** The master's state from its web UI ({@code /json/}), or null while it does not answer. */
    JsonNode masterStateOrNull() {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL("http://" + HOST + ":" + masterUiPort + "/json/").openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout(5000);
            try (InputStream in = c.getInputStream()) {
                return JSON.readTree(in);
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return null;
        }
    }

    /** The live executor JVMs the Workers launched (children of the Worker JVMs). */
    List<ProcessHandle> executorProcesses() {
        List<ProcessHandle> out = new ArrayList<>();
        for (Process w : workers) {
            w.descendants().filter(h -> arguments(h).contains("org.apache.spark.executor.CoarseGrainedExecutorBackend"))
                    .forEach(out::add);
        }
        return out;
    }

    /** The live executor JVM of {@code executorId} (Spark's executor id, as the driver knows it). */
    Optional<ProcessHandle> executorProcess(String executorId) {
        for (ProcessHandle h : executorProcesses()) {
            List<String> args = arguments(h);
            int k = args.indexOf("--executor-id");
            if (k >= 0 && k + 1 < args.size() && args.get(k + 1).equals(executorId)) {
                return Optional.of(h);
            }
        }
        return Optional.empty();
    }

    /**
     * A process's arguments, the program first. Read from /proc where there is one:
     * {@code ProcessHandle.Info} reads only the first 4 KiB of a Linux command line and then
     * gives no arguments at all, and an executor's class path alone is longer.
     */
    static List<String> arguments(ProcessHandle h) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline"));
            List<String> args = new ArrayList<>();
            int start = 0;
            for (int k = 0; k < raw.length; k++) {
                if (raw[k] == 0) {
                    args.add(new String(raw, start, k - start, StandardCharsets.UTF_8));
                    start = k + 1;
                }
            }
            return args;
        } catch (IOException e) {
            // no /proc (not Linux), or the process is gone
            return List.of(h.info().arguments().orElse(new String[0]));
        }
    }

    private List<Process> allStarted() {
        List<Process> all = new ArrayList<>(workers);
        if (master != null) {
            all.add(master);
        }
        return all;
    }

    /**
     * The command each executor the Workers launched ran, as the Worker wrote it at the top of
     * that executor's {@code stderr} ("Spark Executor Command: ...").
     */
    List<String> executorCommands() throws IOException {
        List<String> commands = new ArrayList<>();
        for (Path w : workDirs) {
            try (Stream<Path> s = Files.walk(w)) {
                for (Path f : s.filter(p -> p.getFileName().toString().equals("stderr")).sorted().collect(Collectors.toList())) {
                    try (Stream<String> lines = Files.lines(f, StandardCharsets.UTF_8)) {
                        lines.filter(l -> l.startsWith("Spark Executor Command: ")).findFirst().ifPresent(commands::add);
                    }
                }
            }
        }
        return commands;
    }

    /** The last lines of every log: Master, Workers and the executors in the Workers' work dirs. */
    String logs() {
        List<Path> files = new ArrayList<>(logs);
        for (Path w : workDirs) {
            try (Stream<Path> s = Files.walk(w)) {
                s.filter(Files::isRegularFile)
                        .filter(p -> p.getFileName().toString().equals("stderr") || p.getFileName().toString().equals("stdout"))
                        .sorted().forEach(files::add);
            } catch (IOException | UncheckedIOException e) {
                // a work dir being cleaned up; show what there is
            }
        }
        StringBuilder sb = new StringBuilder();
        for (Path f : files) {
            sb.append("\n===== ").append(f).append(" (last 80 lines) =====\n");
            try {
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                lines.subList(Math.max(0, lines.size() - 80), lines.size()).forEach(l -> sb.append(l).append('\n'));
            } catch (IOException | UncheckedIOException e) {
                sb.append("(unreadable: ").append(e).append(")\n");
            }
        }
        return sb.toString();
    }

    /**
     * A Spark session on this cluster from {@code conf} (with {@link #executorConf()} added), once
     * {@code executors} executors have registered on {@code hosts} (all of them, each listed
     * host at least once). Fails if a session of another test is still running in this JVM.
     */
    org.apache.spark.sql.SparkSession session(org.apache.spark.SparkConf conf, int executors, java.util.Collection<String> hosts)
            throws InterruptedException {
        executorConf().forEach(conf::set);
        org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().config(conf).getOrCreate();
        if (!masterUrl.equals(spark.sparkContext().master())) {
            throw new AssertionError("a session of another test is still active: " + spark.sparkContext().master());
        }
        awaitExecutors(spark, executors, hosts);
        return spark;
    }

    /** Waits until {@code n} executors are registered with the driver, on {@code hosts} (each at least once). */
    static void awaitExecutors(org.apache.spark.sql.SparkSession spark, int n, java.util.Collection<String> hosts)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        Set<String> seen = Set.of();
        int registered = 0;
        while (System.nanoTime() < deadline) {
            seen = new HashSet<>();
            org.apache.spark.SparkExecutorInfo[] infos = spark.sparkContext().statusTracker().getExecutorInfos();
            for (org.apache.spark.SparkExecutorInfo e : infos) {
                if (e.port() != 0) {   // (until its block manager registers, an executor is listed as host:0)
                    seen.add(e.host());
                }
            }
            registered = infos.length - 1;   // the driver is listed too
            if (registered >= n && seen.containsAll(hosts)) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(registered + " executors registered on " + seen + ", expected " + n + " on " + hosts);
    }

    /** Stops {@code spark}, then closes {@code cluster}, even when the first fails (either may be null). */
    static void stop(org.apache.spark.sql.SparkSession spark, StandaloneCluster cluster) {
        try {
            if (spark != null) {
                spark.stop();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** Kills the Workers' descendants (executors), the Workers and the Master, and waits for them. */
    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }

    private synchronized void killAll() {
        // Descendants first, while they still are descendants (an orphan is re-parented to init).
        List<ProcessHandle> all = new ArrayList<>();
        List<Process> started = allStarted();
        Collections.reverse(started);
        for (Process p : started) {
            p.descendants().forEach(all::add);
            all.add(p.toHandle());
        }
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("StandaloneCluster: process " + h.pid() + " did not exit: " + e);
            }
        }
    }
}
