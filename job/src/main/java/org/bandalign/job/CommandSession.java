package org.bandalign.job;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark session of one command-line command: made from the command's configuration and
 * stopped when the command ends. A command never runs inside a session that is already running
 * in this JVM (one that embeds {@link BandAlign#run}): {@code getOrCreate} would ignore the
 * command's master and settings and the command's {@code stop} would end the embedder's session.
 * (The job is a command, not an API: SPEC section 6's library is what programs embed.)
 */
final class CommandSession {
    /** Spark 4's choice between its classic API and Spark Connect. */
    static final String API_MODE = "spark.api.mode";
    static final String CLASSIC = "classic";

    private CommandSession() {
    }

    /**
     * A new session for {@code command} with {@code conf}.
     *
     * @throws UserError when a session is already running in this JVM, the Spark on the class
     *     path is too old for the job ({@link SparkRuntime}), or Spark cannot use the master URL
     *     ({@link MasterUrl}; Spark's own refusal, where that cannot be told beforehand)
     */
    static SparkSession start(SparkConf conf, String command) {
        SparkRuntime.check();
        String apiMode = conf.get(API_MODE, CLASSIC);
        if (!CLASSIC.equalsIgnoreCase(apiMode.trim())) {
            System.err.println("bandalign: note: " + API_MODE + "=" + apiMode + " is set aside for " + command
                    + ": the job runs on Spark's classic API (it needs RDDs, which Spark Connect does not offer)");
            conf.set(API_MODE, CLASSIC);
        }
        String master = conf.get("spark.master", null);
        String badMaster = master == null ? null : MasterUrl.problem(master);
        if (badMaster != null) {
            throw badMaster(master, badMaster);
        }
        if (!conf.contains("spark.testing") && !conf.contains("spark.testing.reservedMemory")) {   // (Spark's own test keys change its minimum)
            // before Spark logs its refusal as an error with a stack trace
            long heap = conf.getLong("spark.testing.memory", Runtime.getRuntime().maxMemory());
            if (heap < SPARK_MINIMUM_HEAP) {
                throw driverMemory(heap, SPARK_MINIMUM_HEAP);
            }
            long executorMemory;
            try {
                executorMemory = conf.contains("spark.executor.memory") ? conf.getSizeAsBytes("spark.executor.memory") : Long.MAX_VALUE;
            } catch (NumberFormatException e) {
                throw new UserError(command + ": " + String.valueOf(e.getMessage()).strip().replaceAll("\\s*\\R\\s*", "; "));
            }
            if (executorMemory < SPARK_MINIMUM_HEAP) {
                throw executorMemory(conf.getSizeAsBytes("spark.executor.memory"), SPARK_MINIMUM_HEAP);
            }
        }
        if (master != null) {
            shipJobJar(conf, master);
        }
        if (running(SparkSession.getActiveSession()) || running(SparkSession.getDefaultSession())) {
            throw new UserError(command + ": a Spark session is already running in this JVM; run the command in a JVM of its own "
                    + "(bin/bandalign, spark-submit)");
        }
        try {
            SparkSession session = SparkSession.builder().config(conf).getOrCreate();
            try {
                session.conf().getAll();   // (the session's SQL settings are checked as its state is made, on first use)
            } catch (RuntimeException e) {
                Throwable bad = invalidSetting(e);
                if (bad != null) {
                    session.stop();
                    throw new UserError(command + ": " + BandAlign.oneLine(AlignJob.sparkWords(bad)));
                }
                throw e;
            }
            return session;
        } catch (UserError e) {
            throw e;
        } catch (Exception e) {   // (Spark's checked SparkException too, though javac does not see it)
            String m = String.valueOf(e.getMessage());
            if (m.startsWith("Could not parse Master URL") || m.startsWith("Asked to run locally with")) {
                throw badMaster(conf.get("spark.master", ""), m);
            }
            UserError memory = driverMemory(m);
            if (memory != null) {
                throw memory;
            }
            throw e;
        }
    }

    /**
     * Adds the jar the job runs from to {@code spark.jars} where {@code master} runs executors
     * of their own and nothing ships it yet: spark-submit ships its application jar, but a driver
     * started otherwise ({@code bin/bandalign --master spark://...}) had the job on its own class
     * path alone, and its executors failed every task, unable to load the job's classes (a
     * cluster walk-through: "cannot assign instance of java.lang.invoke.SerializedLambda").
     * Nothing is added where the job runs from class folders (the tests, which give their
     * executors the class path).
     */
    static void shipJobJar(SparkConf conf, String master) {
        shipJobJar(conf, master, jobJar());
    }

    /** {@link #shipJobJar(SparkConf, String)} for the job's jar {@code jar} (null: none). */
    static void shipJobJar(SparkConf conf, String master, java.nio.file.Path jar) {
        if (jar == null || MasterUrl.inProcess(master) || jar.getFileName().toString().equals("__app__.jar")) {
            return;   // (__app__.jar: YARN's copy of the application jar, which YARN gives the executors itself)
        }
        String listed = conf.get("spark.jars", "").strip();
        for (String entry : listed.split(",")) {
            String name = entry.strip().replaceFirst(".*/", "");
            if (name.equals(jar.getFileName().toString())) {
                return;   // (spark-submit's application jar, or the user's own --conf spark.jars)
            }
        }
        conf.set("spark.jars", listed.isEmpty() ? jar.toString() : listed + "," + jar);
    }

    /** The jar holding the job's classes, or null where they come from a class folder. */
    static java.nio.file.Path jobJar() {
        try {
            java.security.CodeSource source = BandAlign.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return null;
            }
            java.nio.file.Path p = java.nio.file.Path.of(source.getLocation().toURI());
            return java.nio.file.Files.isRegularFile(p) && p.getFileName().toString().endsWith(".jar") ? p : null;
        } catch (java.net.URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException
                 | SecurityException e) {
            return null;
        }
    }

    /**
     * Stops the command's session. After a failure, the jobs still running are cancelled and
     * their tasks given up to 3 s to end first: a task that ended after the stop (one still
     * reading another file when a bad one failed the job) logged Spark's errors with their stack
     * traces ("Block broadcast_0 does not exist", a status update refused), after the command's
     * one line saying what was wrong (an adversarial input probe: in most runs).
     */
    static void stop(SparkSession spark, boolean afterFailure) {
        org.apache.spark.SparkContext sc = spark.sparkContext();
        if (afterFailure && !sc.isStopped() && !BandAlign.shuttingDown()) {   // (a signal: Spark's hook stops it)
            try {
                sc.cancelAllJobs();
                long end = System.nanoTime() + 3_000_000_000L;
                while (runningTasks(sc) > 0 && System.nanoTime() < end) {
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {   // (stopped meanwhile, by Spark's shutdown hook: nothing to wait for)
            }
        }
        spark.stop();
    }

    /** Tasks running on the session's executors (the driver's in local mode), as Spark's status store has them. */
    static int runningTasks(org.apache.spark.SparkContext sc) {
        int running = 0;
        for (org.apache.spark.SparkExecutorInfo e : sc.statusTracker().getExecutorInfos()) {
            running += e.numRunningTasks();
        }
        return running;
    }

    /** In {@code e}'s causes, Spark's refusal of a setting's value ({@code INVALID_CONF_VALUE}), or null. */
    private static Throwable invalidSetting(Throwable e) {
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            if (String.valueOf(t.getMessage()).startsWith("[INVALID_CONF_VALUE")) {
                return t;
            }
        }
        return null;
    }

        /** The least heap Spark starts a driver with: 1.5 times the 300 MiB it reserves. */
    static final long SPARK_MINIMUM_HEAP = 450L << 20;

    /** Spark's words where it refuses a driver heap under its minimum. */
    private static final java.util.regex.Pattern DRIVER_MEMORY = java.util.regex.Pattern.compile(
            "INVALID_DRIVER_MEMORY\\].*?System memory (\\d+) must be at least (\\d+)", java.util.regex.Pattern.DOTALL);

    /** Spark's words where it refuses executors a heap under its minimum (the driver checks their setting too). */
    private static final java.util.regex.Pattern EXECUTOR_MEMORY = java.util.regex.Pattern.compile(
            "INVALID_EXECUTOR_MEMORY\\].*?Executor memory (\\d+) must be at least (\\d+)", java.util.regex.Pattern.DOTALL);

    /** Spark's refusal to start a driver for its heap or its executors', in the job's words; null for other failures. */
    static UserError driverMemory(String sparkMessage) {
        java.util.regex.Matcher m = DRIVER_MEMORY.matcher(sparkMessage);
        if (m.find()) {
            return driverMemory(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
        }
        m = EXECUTOR_MEMORY.matcher(sparkMessage);
        return m.find() ? executorMemory(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))) : null;
    }

    /** Executors of {@code heap} bytes (spark.executor.memory), under the {@code least} Spark starts them with. */
    static UserError executorMemory(long heap, long least) {
        return new UserError("spark.executor.memory of " + (heap >> 20) + " MiB is less than the " + (least >> 20)
                + " MiB Spark needs to start an executor (1.5 times the 300 MiB it reserves); give them more: --executor-memory 1g "
                + "for spark-submit, --conf spark.executor.memory=1g");
    }

    /** A driver heap of {@code heap} bytes, under the {@code least} Spark starts with, said with how to give it more. */
    static UserError driverMemory(long heap, long least) {
        return new UserError("the driver's heap of " + (heap >> 20) + " MiB is less than the " + (least >> 20)
                + " MiB Spark needs to start (1.5 times the 300 MiB it reserves); give it more: BANDALIGN_JAVA_OPTS=-Xmx1g for "
                + "bin/bandalign (whose driver runs the local executors too), --driver-memory 1g for spark-submit");
    }

    private static UserError badMaster(String master, String why) {
        return new UserError("--master " + master + ": " + why
                + " (local, local[N] with N >= 1, local[*], spark://HOST:PORT; yarn and k8s://... need Spark's YARN or"
                + " Kubernetes module on the class path, as spark-submit of a Spark built with it has)");
    }

    private static boolean running(scala.Option<SparkSession> session) {
        return session.isDefined() && !session.get().sparkContext().isStopped();
    }
}
