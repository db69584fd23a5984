package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SparkRuntimeTest {

    /**
     * Without Spark, or without Spark SQL (spark-submit's class path under spark.api.mode=connect,
     * found by a cluster walk-through), the launcher says so in one line instead of dying of a
     * NoClassDefFoundError.
     */
    @Test
    void missing_sparkOrItsSqlModuleOffTheClassPath_isNamedWithWhatToDo() throws Exception {
        assertNull(SparkRuntime.missing(SparkRuntimeTest.class.getClassLoader()));
        try (java.net.URLClassLoader none = new java.net.URLClassLoader(new java.net.URL[0], ClassLoader.getPlatformClassLoader())) {
            assertTrue(SparkRuntime.missing(none).startsWith("Apache Spark is not on the class path: submit the job jar with "
                    + "spark-submit"), SparkRuntime.missing(none));
        }
        java.util.List<java.net.URL> withoutSql = new java.util.ArrayList<>();
        for (String entry : StandaloneCluster.classPath().split(java.io.File.pathSeparator)) {
            // spark-submit's class path under connect mode: spark-sql_ left out, Spark SQL's API kept (Connect's client has it)
            if (!java.nio.file.Path.of(entry).getFileName().toString().startsWith("spark-sql_")) {
                withoutSql.add(java.nio.file.Path.of(entry).toUri().toURL());
            }
        }
        try (java.net.URLClassLoader connect = new java.net.URLClassLoader(withoutSql.toArray(new java.net.URL[0]),
                ClassLoader.getPlatformClassLoader())) {
            String said = SparkRuntime.missing(connect);
            assertNotNull(SparkRuntime.version(connect), "Spark's core and SQL API stay");
            assertTrue(said != null && said.startsWith("Spark SQL's classic API (org.apache.spark.sql.classic.SparkSession) is "
                    + "not on the class path") && said.endsWith(
                    "submit it with --conf spark.api.mode=classic"), said);
        }
    }

    @Test
    void version_isTheSparkOnTheClassPath_andTheJobRunsOnIt() {
        assertEquals(org.apache.spark.package$.MODULE$.SPARK_VERSION(), SparkRuntime.version());
        assertNull(SparkRuntime.problem(SparkRuntime.version()));
    }

    @Test
    void problem_spark3_isNamedWithWhatToDo_spark4AndLater_andUnreadableVersions_pass() {
        for (String old : new String[] {"3.5.6", "3.4.1", "2.4.8", " 3.5.0 "}) {
            String p = SparkRuntime.problem(old);
            assertTrue(p != null && p.contains("Spark 4.0 or newer") && p.contains("has Spark " + old.trim())
                    && p.contains("spark-submit of a Spark 4 installation") && p.contains("bin/bandalign"), old + ": " + p);
        }
        for (String ok : new String[] {"4.0.0", "4.1.1", "4.2.0", "4.2.0-SNAPSHOT", "5.0.0-preview1", "10.0.0"}) {
            assertNull(SparkRuntime.problem(ok), ok);
        }
        for (String unknown : new String[] {null, "", "<unknown>", "x.y", "99999999999.0"}) {
            assertNull(SparkRuntime.problem(unknown), String.valueOf(unknown));
        }
    }

    @Test
    void check_refusesAnOldSparkAsAUserError_andPassesThisOne() {
        UserError e = assertThrows(UserError.class, () -> SparkRuntime.check("3.5.6"));
        assertEquals(SparkRuntime.problem("3.5.6"), e.getMessage());
        SparkRuntime.check("4.0.0");
        SparkRuntime.check();
    }
}
