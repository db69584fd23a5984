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
        if (running(SparkSession.getActiveSession()) || running(SparkSession.getDefaultSession())) {
            throw new UserError(command + ": a Spark session is already running in this JVM; run the command in a JVM of its own "
                    + "(bin/bandalign, spark-submit)");
        }
        try {
            return SparkSession.builder().config(conf).getOrCreate();
        } catch (Exception e) {   // (Spark's checked SparkException too, though javac does not see it)
            String m = String.valueOf(e.getMessage());
            if (m.startsWith("Could not parse Master URL") || m.startsWith("Asked to run locally with")) {
                throw badMaster(conf.get("spark.master", ""), m);
            }
            throw e;
        }
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
