package org.bandalign.job;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * A note where a run on a cluster still has no executor a minute after it began. Spark then
 * waits for executors for ever, where the workers cannot hold what each asks for (memory,
 * cores, GPUs), and says only "Initial job has not accepted any resources" in its log every
 * 15 s (a cluster walk-through: the template's sizes on smaller workers). {@code bandalign
 * devices} fails in that case; a run, whose executors may yet come (workers joining, dynamic
 * allocation), says it once, naming the settings, and goes on waiting.
 */
final class ExecutorWatch implements AutoCloseable {
    /** How long a run on a cluster may have no executor before the note. */
    static final Duration AFTER = Duration.ofSeconds(60);

    private final ScheduledExecutorService timer;

    private ExecutorWatch(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /**
     * Watches {@code spark}'s executors where its master runs them apart and asks for them at
     * the start; a no-op in local mode and under dynamic allocation.
     */
    static ExecutorWatch start(SparkSession spark, SparkConf conf, PrintStream err) {
        String master = spark.sparkContext().master();
        if (MasterUrl.inProcess(master) || conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            return new ExecutorWatch(null);   // (under dynamic allocation executors come with the tasks, which may be a while)
        }
        String note = "bandalign: note: no executor is registered with " + master + " " + AFTER.toSeconds() + " s into the run; "
                + "Spark waits for one for ever where none can be started: " + DevicesCommand.unmet(conf) + "; 'bandalign devices "
                + "--master " + master + "' with the same settings checks them";
        return start(() -> !spark.sparkContext().isStopped() && ExecutorSurvey.executorIds(spark).isEmpty(), note, AFTER, err);
    }

    /** Prints {@code note} to {@code err} once, {@code after} from now, if {@code noExecutor} then holds and it is not closed. */
    static ExecutorWatch start(BooleanSupplier noExecutor, String note, Duration after, PrintStream err) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bandalign-executor-watch");
            t.setDaemon(true);
            return t;
        });
        timer.schedule(() -> {
            if (noExecutor.getAsBoolean()) {
                err.println(note);
            }
        }, after.toMillis(), TimeUnit.MILLISECONDS);
        return new ExecutorWatch(timer);
    }

    /** Whether the watch is over: closed, its note said or not, or never started (local mode). */
    boolean isOver() {
        return timer == null || timer.isTerminated();
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
