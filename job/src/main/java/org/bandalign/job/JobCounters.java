package org.bandalign.job;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * What the alignment tasks report back to the driver. Updated inside the write action's tasks,
 * so Spark applies each successful task's updates exactly once (a retried task's are dropped).
 */
final class JobCounters implements Serializable {
    private static final long serialVersionUID = 1L;

    final LongAccumulator inputRows;
    final LongAccumulator alignedRows;
    final LongAccumulator cells;
    /** Rows rejected, all of them. */
    final LongAccumulator rejectedRows;
    /** The first rejected rows of each task ({@link RejectedSink}); the driver writes them. */
    final CollectionAccumulator<RejectedRecord> rejected;
    /** The files of rejected rows the tasks wrote themselves, by name ({@link RejectedSink#TASKS_DIR}). */
    final CollectionAccumulator<String> rejectedFiles;
    final CollectionAccumulator<String> backends;
    /** One entry per alignment task: the GPU addresses it held, comma-separated ("" for none). */
    final CollectionAccumulator<String> taskGpus;
    /** Why tasks of --backend auto ran on the CPU where they could have used a GPU (distinct reasons). */
    final CollectionAccumulator<String> cpuFallbacks;
    /** Nanoseconds the alignment tasks ran, from their start to their last output row, summed. */
    final LongAccumulator taskNanos;
    /** Nanoseconds of that spent in alignAll. */
    final LongAccumulator alignNanos;
    /** Nanoseconds of it spent waiting for a GPU permit (spark.bandalign.gpu.concurrentTasks). */
    final LongAccumulator gpuWaitNanos;

    JobCounters(SparkContext sc) {
        inputRows = sc.longAccumulator("bandalign.inputRows");
        alignedRows = sc.longAccumulator("bandalign.alignedRows");
        cells = sc.longAccumulator("bandalign.cells");
        rejectedRows = sc.longAccumulator("bandalign.rejectedRows");
        rejected = sc.collectionAccumulator("bandalign.rejected");
        rejectedFiles = sc.collectionAccumulator("bandalign.rejectedFiles");
        backends = sc.collectionAccumulator("bandalign.backends");
        taskGpus = sc.collectionAccumulator("bandalign.taskGpus");
        cpuFallbacks = sc.collectionAccumulator("bandalign.cpuFallbacks");
        taskNanos = sc.longAccumulator("bandalign.taskNanos");
        alignNanos = sc.longAccumulator("bandalign.alignNanos");
        gpuWaitNanos = sc.longAccumulator("bandalign.gpuWaitNanos");
    }
}
