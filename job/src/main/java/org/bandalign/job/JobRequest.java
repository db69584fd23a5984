package org.bandalign.job;

/** One run of the alignment job: where from, where to, and how. */
final class JobRequest {
    final String input;
    final String output;
    final boolean overwrite;
    final JobOptions options;
    final String compression;
    final double stageGpuAmount;
    /** Most rows per vectorized read batch (spark.bandalign.reader.batchRows). */
    final int readerBatchRows;
    /** Heap Spark's reader may hold for one row before its file is read by the job's own (spark.bandalign.reader.largeRowBytes; 0: auto). */
    final long largeRowBytes;
    /**
     * Whether array&lt;float&gt; scores are read a page at a time by the job's own reader
     * (spark.bandalign.reader.pageReader): "true", "false", or "auto" (where files are large enough).
     */
    final String pageReader;
    /** Rejected rows each task sends the driver (spark.bandalign.rejected.driverRows). */
    final int rejectedDriverRows;
    /** Whether array&lt;float&gt; marginals are written a page at a time (spark.bandalign.output.pageWriter). */
    final boolean pageWriter;

    JobRequest(String input, String output, boolean overwrite, JobOptions options, String compression, double stageGpuAmount,
               int readerBatchRows, long largeRowBytes, String pageReader, int rejectedDriverRows, boolean pageWriter) {
        this.input = input;
        this.output = output;
        this.overwrite = overwrite;
        this.options = options;
        this.compression = compression;
        this.stageGpuAmount = stageGpuAmount;
        this.readerBatchRows = readerBatchRows;
        this.largeRowBytes = largeRowBytes;
        this.pageReader = pageReader;
        this.rejectedDriverRows = rejectedDriverRows;
        this.pageWriter = pageWriter;
    }
}
