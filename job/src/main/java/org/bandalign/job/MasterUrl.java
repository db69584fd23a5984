package org.bandalign.job;

import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether Spark can make a scheduler for a master URL, asked before a session starts: Spark
 * finds out only inside its context's constructor, which logs the failure with its whole stack
 * trace (some 25 lines above the job's own one-line message, for a typo). The URLs Spark knows
 * itself are those of {@code SparkContext.createTaskScheduler} (local, local[N], local[N, F],
 * local-cluster[N, C, M], spark://...); any other is asked of the cluster managers plugged into
 * Spark ({@code ExternalClusterManager}s: YARN, Kubernetes, others), as Spark does. Where that
 * cannot be asked, the URL is let through and Spark decides.
 */
final class MasterUrl {
    private static final Pattern LOCAL_N = Pattern.compile("local\\[([0-9]+|\\*)\\]");
    private static final Pattern LOCAL_N_FAILURES = Pattern.compile("local\\[([0-9]+|\\*)\\s*,\\s*([0-9]+)\\]");
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\s*([0-9]+)\\s*,\\s*([0-9]+)\\s*,\\s*([0-9]+)\\s*]");
    private static final String SPARK = "spark://";
    private static final String CLUSTER_MANAGER = "org.apache.spark.scheduler.ExternalClusterManager";

    private MasterUrl() {
    }

    /** What is wrong with {@code master}, as Spark would say it, or null where Spark can use it (or it cannot be told). */
    static String problem(String master) {
        Matcher local = LOCAL_N.matcher(master);
        Matcher withFailures = LOCAL_N_FAILURES.matcher(master);
        if (local.matches() || withFailures.matches()) {
            String threads = local.matches() ? local.group(1) : withFailures.group(1);
            return threads.equals("0") ? "Asked to run locally with 0 threads" : null;
        }
        if (master.equals("local") || master.startsWith(SPARK) || LOCAL_CLUSTER.matcher(master).matches()) {
            return null;
        }
        Boolean plugged = pluggedIn(master);
        return plugged == null || plugged ? null : "Could not parse Master URL: '" + master + "'";
    }

    /** Whether {@code master} runs the tasks in the driver's JVM: local, local[N], local[N, F]. */
    static boolean inProcess(String master) {
        String m = master.strip();
        return m.equals("local") || LOCAL_N.matcher(m).matches() || LOCAL_N_FAILURES.matcher(m).matches();
    }

    /**
     * The task threads of an in-process master, as Spark counts them: 1 for {@code local} and any
     * other master; N for {@code local[N]} and {@code local[N, F]}; this machine's processors for
     * {@code local[*]} and {@code local[*, F]}.
     */
    static int localThreads(String master) {
        String m = master.strip();
        Matcher local = LOCAL_N.matcher(m);
        Matcher withFailures = LOCAL_N_FAILURES.matcher(m);
        String threads = local.matches() ? local.group(1) : withFailures.matches() ? withFailures.group(1) : null;
        if (threads == null) {
            return 1;
        }
        if (threads.equals("*")) {
            return Runtime.getRuntime().availableProcessors();
        }
        return Math.max(1, new java.math.BigInteger(threads).min(java.math.BigInteger.valueOf(Integer.MAX_VALUE)).intValue());
    }

    /** Whether a cluster manager plugged into Spark takes {@code master}; null where that cannot be asked. */
    private static Boolean pluggedIn(String master) {
        try {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            if (loader == null) {
                loader = MasterUrl.class.getClassLoader();
            }
            Class<?> type = Class.forName(CLUSTER_MANAGER, false, loader);
            for (Object manager : ServiceLoader.load(type, loader)) {
                if ((Boolean) type.getMethod("canCreate", String.class).invoke(manager, master)) {
                    return true;
                }
            }
            return false;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException | java.util.ServiceConfigurationError e) {
            return null;
        }
    }
}
