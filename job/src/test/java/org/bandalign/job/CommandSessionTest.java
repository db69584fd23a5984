package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class CommandSessionTest {

    /**
     * A cluster whose defaults ask for Spark Connect ({@code spark.api.mode=connect}) would give
     * the job a session without RDDs (here, without Spark Connect on the class path, a
     * ClassNotFoundException ended the run): the command's session is a classic one, and the
     * run says it set the setting aside.
     */
    @Test
    void start_whenSparkConnectIsAskedFor_startsAClassicSessionAndSaysSo() {
        SparkConf conf = new SparkConf(false).setMaster("local[1]").setAppName("api-mode")
                .set("spark.ui.enabled", "false").set(CommandSession.API_MODE, "connect");
        PrintStream err = System.err;
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        SparkSession spark;
        System.setErr(new PrintStream(said, true, StandardCharsets.UTF_8));
        try {
            spark = CommandSession.start(conf, "align");
        } finally {
            System.setErr(err);
        }
        try {
            assertTrue(spark instanceof org.apache.spark.sql.classic.SparkSession, spark.getClass().getName());
            assertEquals(1L, spark.range(1).count());
            assertEquals("bandalign: note: spark.api.mode=connect is set aside for align: the job runs on Spark's classic API"
                    + " (it needs RDDs, which Spark Connect does not offer)", said.toString(StandardCharsets.UTF_8).trim());
        } finally {
            spark.stop();
        }
    }

    /**
     * Found by a probe: a bad value of one of Spark's own settings ended the run with exit 1 and
     * a line cut at its colon ("Error while instantiating 'SessionStateBuilder':"), or with a
     * literal line break in it: a mistake in the invocation, said in Spark's words, exit 2.
     */
    /** SparkSubmitIT runs the launcher's form on a cluster; here which jars a session ships. */
    @Test
    void shipJobJar_onACluster_addsTheJobsJarUnlessItIsListed() {
        java.nio.file.Path jar = java.nio.file.Path.of("/opt/bandalign/bandalign-job.jar");
        SparkConf local = new SparkConf(false);
        CommandSession.shipJobJar(local, "local[4]", jar);
        assertEquals("", local.get("spark.jars", ""), "an in-process master needs no jar shipped");
        SparkConf cluster = new SparkConf(false);
        CommandSession.shipJobJar(cluster, "spark://h:7077", jar);
        assertEquals("/opt/bandalign/bandalign-job.jar", cluster.get("spark.jars"));
        SparkConf others = new SparkConf(false).set("spark.jars", "hdfs:///libs/extra.jar");
        CommandSession.shipJobJar(others, "yarn", jar);
        assertEquals("hdfs:///libs/extra.jar,/opt/bandalign/bandalign-job.jar", others.get("spark.jars"));
        SparkConf submitted = new SparkConf(false).set("spark.jars", "file:/home/u/bandalign-job.jar");
        CommandSession.shipJobJar(submitted, "spark://h:7077", jar);
        assertEquals("file:/home/u/bandalign-job.jar", submitted.get("spark.jars"), "spark-submit's application jar, shipped already");
        SparkConf yarnCluster = new SparkConf(false);
        CommandSession.shipJobJar(yarnCluster, "yarn", java.nio.file.Path.of("/data/container_1/__app__.jar"));
        assertEquals("", yarnCluster.get("spark.jars", ""), "YARN's cluster mode ships its application jar itself");
        SparkConf classes = new SparkConf(false);
        CommandSession.shipJobJar(classes, "spark://h:7077", null);
        assertEquals("", classes.get("spark.jars", ""), "run from class folders: nothing to ship");
    }

    @Test
    void start_badValueOfASparkSetting_isTheUsersErrorInSparksWords_andNoSessionIsLeft() {
        SparkConf conf = new SparkConf(false).setMaster("local[1]").setAppName("bad-setting")
                .set("spark.ui.enabled", "false").set("spark.sql.shuffle.partitions", "0");
        UserError e = org.junit.jupiter.api.Assertions.assertThrows(UserError.class, () -> CommandSession.start(conf, "align"));
        assertEquals("align: The value '0' in the config \"spark.sql.shuffle.partitions\" is invalid. The value of"
                + " spark.sql.shuffle.partitions must be positive", e.getMessage());
        assertTrue(SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty(), "the session was stopped");
        SparkConf memory = new SparkConf(false).setMaster("local[1]").setAppName("bad-memory").set("spark.executor.memory", "abc");
        e = org.junit.jupiter.api.Assertions.assertThrows(UserError.class, () -> CommandSession.start(memory, "align"));
        assertTrue(e.getMessage().startsWith("align: Illegal value for config key spark.executor.memory: Size must be specified")
                && e.getMessage().endsWith("; Failed to parse byte string: abc") && !e.getMessage().contains("\n"), e.getMessage());
    }
}
