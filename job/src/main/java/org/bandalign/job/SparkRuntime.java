package org.bandalign.job;

/**
 * Which Apache Spark the job finds at run time. The thin job jar (README, "On a GPU cluster")
 * takes Spark from the cluster, and it needs Spark 4 (Scala 2.13): it reaches Spark's
 * {@code sql.classic} classes, which Spark 3 does not have, so on a Spark 3 class path a command
 * would start a session and then fail with a {@code NoClassDefFoundError}. The version is read
 * by reflection, so this works whatever Scala the Spark found was built with.
 */
final class SparkRuntime {
    /** The oldest Spark release line the job runs on. */
    static final int OLDEST_MAJOR = 4;

    private SparkRuntime() {
    }

    /** The version of the Spark on the class path ({@code org.apache.spark.SPARK_VERSION}), or null where it cannot be read. */
    static String version() {
        return version(SparkRuntime.class.getClassLoader());
    }

    /** {@link #version()} as {@code loader} sees it. */
    static String version(ClassLoader loader) {
        try {
            Class<?> pkg = Class.forName("org.apache.spark.package$", true, loader);
            return String.valueOf(pkg.getMethod("SPARK_VERSION").invoke(pkg.getField("MODULE$").get(null)));
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }

    /**
     * What is wrong with Spark {@code version} for the job, or null where nothing is (a version
     * that cannot be read or parsed is given the benefit of the doubt).
     */
    static String problem(String version) {
        if (version == null) {
            return null;
        }
        java.util.regex.Matcher major = java.util.regex.Pattern.compile("^(\\d{1,6})\\.").matcher(version.trim());
        if (!major.find() || Integer.parseInt(major.group(1)) >= OLDEST_MAJOR) {
            return null;
        }
        return "BandAlign needs Apache Spark " + OLDEST_MAJOR + ".0 or newer (Scala 2.13), and the class path has Spark " + version.trim()
                + ": submit the job with the spark-submit of a Spark " + OLDEST_MAJOR + " installation, or run it on this machine"
                + " with bin/bandalign, which brings its own";
    }

    /**
     * What keeps the job from starting where Spark, or its classic SQL module, is not on the
     * class path that {@code loader} sees, or null where both are. Checked before the command
     * line is read, whose commands name Spark's classes: without them the JVM died of a
     * {@code NoClassDefFoundError} before BandAlign could say a word. spark-submit leaves Spark
     * SQL off the driver's class path where {@code spark.api.mode=connect} (its launcher takes the
     * run for a Spark Connect client's, and puts Connect's client, with Spark's SQL API but not
     * its classic implementation, in its place), from a {@code --conf}, the properties file or
     * the cluster's defaults alike (a cluster walk-through). A Spark too old for the job is left
     * to {@link #check()}, which names its version.
     */
    static String missing(ClassLoader loader) {
        if (!loadable("org.apache.spark.SparkContext", loader)) {
            return "Apache Spark is not on the class path: submit the job jar with spark-submit (Spark " + OLDEST_MAJOR
                    + ".0 or newer), or run it on one machine with bin/bandalign, which brings its own";
        }
        if (problem(version(loader)) == null && !loadable(CLASSIC_SESSION, loader)) {
            return "Spark SQL's classic API (" + CLASSIC_SESSION + ") is not on the class path, as where spark-submit runs "
                    + "with spark.api.mode=connect (from --conf, the properties file or the cluster's spark-defaults.conf), "
                    + "for which it leaves Spark SQL out: the job needs Spark's classic API; submit it with --conf "
                    + "spark.api.mode=classic";
        }
        return null;
    }

    /** The session class of Spark 4's classic API, in {@code spark-sql} (Spark SQL's API alone is {@code spark-sql-api}'s). */
    static final String CLASSIC_SESSION = "org.apache.spark.sql.classic.SparkSession";

    private static boolean loadable(String className, ClassLoader loader) {
        try {
            Class.forName(className, false, loader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * @throws UserError when the Spark on the class path is too old for the job
     */
    static void check() {
        check(version());
    }

    /**
     * @throws UserError when Spark {@code version} is too old for the job
     */
    static void check(String version) {
        String problem = problem(version);
        if (problem != null) {
            throw new UserError(problem);
        }
    }
}
