package org.bandalign.job;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import scala.Tuple2;

/**
 * Finds the input files that hold a row too large for Spark's Parquet reader, so that the job
 * reads those files' scores with its own ({@link ParquetScores}) and every other row still lands.
 *
 * <p>Spark's vectorized reader holds a row of scores about 8 times over while it reads it (see
 * {@link InputFooters.Sizes}), before the job sees the row, so one pair too large for an
 * executor's heap would end the whole run with an OutOfMemoryError, every valid pair with it.
 * A row is large here where what Spark would hold for it passes the share of the executor's heap
 * its reading tasks may take together ({@link AlignPartition#READING_HEAP_SHARE}), or
 * {@code spark.bandalign.reader.largeRowBytes} where set. Its file's rows are then read without
 * their scores (Spark reads ids, lengths and bands alone), and each task reads a row's scores
 * itself, once the row has passed the size checks: a pair too large for the executor is rejected
 * as such without its scores ever being read, and one that fits is read at 4 bytes a score beside
 * the page it is read from ({@link ExecutorAligners#checkScoresFitHeap}, which also refuses a
 * page too large for the heap from its header, before it is read).
 *
 * <p>The files are found in two steps. Each file's footer says whether any of its row groups
 * holds scores enough for a large row (by its score count, or by the statistics of its lengths
 * and band, {@link InputFooters#shapeBound}); only where some do does a Spark job read the
 * lengths and bands of the rows (no scores) and name the files with a large row, and the files
 * whose scores columns hold far more values than their rows' shapes take (a row longer than its
 * shape: rejected for that, but Spark's reader would hold all of it first).
 * Where no footer shows such a row group, nothing more is read.
 *
 * <p>What it cannot spare: the job's reader reads a page to pass the rows in it, so where a row's
 * page is too large for the executor's memory (pyarrow, which writes one row group of up to a
 * million rows, writes a 6000 x 6000 row as one page of 324 MB), that page is refused, and with it
 * the row and the rows behind it in its row group, each rejected saying so; Spark's and
 * parquet-mr's writers cut row groups at 128 MB, so that a row that large mostly has a row group
 * of its own, and nothing else is lost.
 */
final class LargeRows {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LargeRows.class);

    private LargeRows() {
    }

    /**
     * Bytes of Spark's reader a row may take on an executor of {@code heapBytes} before it is
     * large: {@code setting} where positive (spark.bandalign.reader.largeRowBytes), else the
     * share of the heap the reading tasks may take together.
     */
    static long limit(long setting, long heapBytes) {
        return setting > 0 ? setting : AlignJob.readingShareBytes(heapBytes);
    }

    /**
     * The files of {@code input} that hold a large row, as {@code _metadata.file_path} names
     * them; empty where no file's footer shows a row group that could hold one.
     *
     * @param survey what the input's footers show ({@link AlignJob#inputSurvey})
     * @param setting spark.bandalign.reader.largeRowBytes (0: the reading share of each executor's heap)
     * @param driverHeapEstimate the executors' heap as the driver knows it ({@link AlignJob#executor})
     * @param conf the Hadoop configuration that reads the input's footers
     */
    static List<String> files(Dataset<Row> input, InputFooters.Survey survey, long setting, long driverHeapEstimate,
                              org.apache.hadoop.conf.Configuration conf) {
        // (an executor's usable heap is a little under spark.executor.memory)
        long limit = limit(setting, (long) (driverHeapEstimate * 0.9));
        List<String> candidates = survey.filesWhere(s -> s.largestRowReadBytes() > limit);
        if (candidates.isEmpty()) {
            return List.of();
        }
        // (every row is looked at, not only those of these files: a filter on their names would
        // have to spell them as Spark's _metadata does, which differs from inputFiles())
        LOG.info("{} of the input's {} files have row groups that could hold a row too large for Spark's Parquet reader: "
                + "reading every row's lengths and band to find them", candidates.size(), survey.files().size());
        long scoreReadBytes = Math.max(1, survey.largest().scoreReadBytes());
        Map<String, Long> shapes = InputColumns.internalRows(InputColumns.withoutScores(input))
                .mapPartitionsToPair(new Finder(setting, scoreReadBytes))
                .reduceByKey(LargeRows::sum)
                .collectAsMap();
        List<String> files = new ArrayList<>();
        List<String> others = new ArrayList<>();   // (of the candidates: a file whose footer shows no large row group holds no such row)
        java.util.Set<String> candidatePaths = new java.util.HashSet<>();
        candidates.forEach(f -> candidatePaths.add(new org.apache.hadoop.fs.Path(f).toUri().getPath()));
        shapes.forEach((file, scores) -> {
            if (scores == Long.MAX_VALUE) {
                files.add(file);
            } else if (candidatePaths.contains(metadataPath(file))) {
                others.add(file);
            }
        });
        files.addAll(longerThanTheirShapes(others, shapes, limit / scoreReadBytes, conf));
        List<String> sorted = new ArrayList<>(readable(files, conf));
        java.util.Collections.sort(sorted);
        if (!sorted.isEmpty()) {
            LOG.warn("{} input file(s) hold rows too large for Spark's Parquet reader, which would hold over {} MB for "
                            + "one of them: BandAlign reads those files' scores itself, a row at a time (slower, but a pair "
                            + "too large for an executor is then rejected rather than ending the run): {}",
                    sorted.size(), limit(setting, driverHeapEstimate) / 1_000_000, sorted.size() <= 5 ? sorted
                            : sorted.subList(0, 5) + " and " + (sorted.size() - 5) + " more");
        }
        return sorted;
    }

    /**
     * The path of a file as {@code _metadata.file_path} names it (a URI, its path escaped), in the
     * form {@code new Path(name).toUri().getPath()} gives for a name as {@code inputFiles()} gives
     * it (unescaped); null where it is no URI.
     */
    static String metadataPath(String name) {
        try {
            return new org.apache.hadoop.fs.Path(new java.net.URI(name)).toUri().getPath();
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    private static long sum(long a, long b) {
        return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
    }

    /**
     * Those of {@code files} whose scores columns hold more than {@code mostScores} values beyond
     * what their rows' shapes take ({@code shapes}, by file): some row there holds more than its
     * shape says (it is rejected for that), perhaps a great deal more, which Spark's reader would
     * hold whole before the job sees the row (a scale tester's list of 100 million floats under a
     * 10 x 10 shape, in a file of 269 KB, ran the executor out of memory). The job's reader
     * rejects such a row without holding it ({@link ParquetScores#longerThanShape}).
     */
    private static List<String> longerThanTheirShapes(List<String> files, Map<String, Long> shapes, long mostScores,
                                                      org.apache.hadoop.conf.Configuration conf) {
        List<Long> values = InputFooters.eachFooter(files, conf, footer -> {
            org.apache.parquet.column.ColumnDescriptor c = ParquetScores.scoresColumn(footer.getFileMetaData().getSchema());
            long total = 0;
            if (c != null) {
                for (org.apache.parquet.hadoop.metadata.BlockMetaData block : footer.getBlocks()) {
                    for (org.apache.parquet.hadoop.metadata.ColumnChunkMetaData chunk : block.getColumns()) {
                        if (chunk.getPath().equals(org.apache.parquet.hadoop.metadata.ColumnPath.get(c.getPath()))) {
                            // (a list: its level entries, a null or empty row counting one; a binary: its
                            // bytes over 4, as InputFooters counts them, a value a row)
                            total = sum(total, c.getMaxRepetitionLevel() > 0 ? chunk.getValueCount()
                                    : chunk.getTotalUncompressedSize() / Float.BYTES);
                        }
                    }
                }
            }
            return total;
        }, (file, e) -> 0L);
        List<String> out = new ArrayList<>();
        for (int k = 0; k < files.size(); k++) {
            if (values.get(k) - shapes.get(files.get(k)) > mostScores) {
                out.add(files.get(k));
            }
        }
        return out;
    }

    /**
     * Those of {@code files} whose scores {@link ParquetScores} reads (or that have none); the
     * others (decimals, unsigned longs) stay with Spark's reader, as before, which is said.
     */
    private static List<String> readable(List<String> files, org.apache.hadoop.conf.Configuration conf) {
        List<String> out = new ArrayList<>();
        List<Boolean> ok = InputFooters.eachFooter(files, conf, footer -> {
            org.apache.parquet.column.ColumnDescriptor c = ParquetScores.scoresColumn(footer.getFileMetaData().getSchema());
            return c == null || ParquetScores.kind(c.getPrimitiveType()) != null;
        }, (file, e) -> false);
        for (int k = 0; k < files.size(); k++) {
            if (ok.get(k)) {
                out.add(files.get(k));
            } else {
                LOG.warn("{} holds rows too large for Spark's Parquet reader, but stores its scores in a type only Spark's "
                        + "reader reads: Spark reads it (write scores as float32 for the job's own reader)", files.get(k));
            }
        }
        return out;
    }

    /**
     * The scores a row of {@link InputColumns#withoutScores} order holds by its shape ({@code n
     * * m * 3}, or {@code n * W * 3} in band layout, SPEC section 2); 0 where its lengths or band
     * are missing (its row is rejected for that, whatever its scores).
     */
    static long scores(InternalRow r) {
        if (r.isNullAt(InputColumns.N) || r.isNullAt(InputColumns.M)) {
            return 0;
        }
        long n = Math.max(0, r.getInt(InputColumns.N));
        long m = Math.max(0, r.getInt(InputColumns.M));
        long perRow = r.isNullAt(InputColumns.DIAG_LO) || r.isNullAt(InputColumns.DIAG_HI) ? m
                : Math.max(0, (long) r.getInt(InputColumns.DIAG_HI) - r.getInt(InputColumns.DIAG_LO) + 1);
        return perRow == 0 || n <= Long.MAX_VALUE / 3 / perRow ? n * perRow * 3 : Long.MAX_VALUE;
    }

    /**
     * On each executor: the files of a partition's rows, each with the scores its rows' shapes
     * take, or {@link Long#MAX_VALUE} where one of them is large for that executor's heap
     * ({@code setting}: spark.bandalign.reader.largeRowBytes; {@code scoreReadBytes}: what
     * Spark's reader holds a score, {@link InputFooters.Sizes#scoreReadBytes}).
     */
    private record Finder(long setting, long scoreReadBytes)
            implements PairFlatMapFunction<Iterator<InternalRow>, String, Long> {
        @Override
        public Iterator<Tuple2<String, Long>> call(Iterator<InternalRow> rows) {
            long limit = limit(setting, Runtime.getRuntime().maxMemory());
            Map<String, Long> files = new HashMap<>();
            while (rows.hasNext()) {
                InternalRow r = rows.next();
                long scores = scores(r);
                files.merge(r.getUTF8String(InputColumns.FILE).toString(), scores > limit / Math.max(1, scoreReadBytes)
                        ? Long.MAX_VALUE : scores, LargeRows::sum);
            }
            List<Tuple2<String, Long>> out = new ArrayList<>();
            files.forEach((file, scores) -> out.add(new Tuple2<>(file, scores)));
            return out.iterator();
        }
    }
}
