package org.bandalign.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * How large the input's rows and row groups are, from the Parquet footers alone (no data is
 * read). The job sizes the vectorized reader's batches by the rows: a batch of binary or array
 * values lives in one contiguous buffer, which cannot pass 2 GB, so 32 rows of 69 MB (pairs of
 * 2400 x 2400) fail to read at all. And it sizes what a task holds while it reads by the row
 * groups, which parquet-mr reads whole, so that tasks take turns to read where they are large
 * for the heap ({@link AlignPartition#READING}).
 *
 * <p>Large inputs are sampled: at most {@value #MAX_FILES} files, evenly spread over the listing,
 * their footers read by a few threads.
 */
final class InputFooters {
    /** Most files whose footers are read. */
    static final int MAX_FILES = 256;
    private static final int THREADS = 8;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(InputFooters.class);

    private InputFooters() {
    }

    /**
     * What the footers show of the input's sizes, in bytes, as the largest over the row groups
     * (0 where no footer could be read): {@code rowBytes}, a row of the scores column uncompressed,
     * averaged over its row group; {@code rowGroupBytes}, a row group of the columns the job reads
     * as stored, which the reader holds whole while a task reads it.
     */
    record Sizes(long rowBytes, long rowGroupBytes) {
        Sizes max(Sizes o) {
            return new Sizes(Math.max(rowBytes, o.rowBytes), Math.max(rowGroupBytes, o.rowGroupBytes));
        }
    }

    /**
     * The {@link Sizes} of the given Parquet files (or of a sample of them): of the column
     * {@code scores} and of the columns {@code read}, their names in any case.
     */
    static Sizes largest(String[] files, String scores, java.util.Collection<String> read, Configuration conf) {
        List<String> sample = new ArrayList<>();
        int step = Math.max(1, (files.length + MAX_FILES - 1) / MAX_FILES);
        for (int k = 0; k < files.length && sample.size() < MAX_FILES; k += step) {
            sample.add(files[k]);
        }
        java.util.Set<String> readLower = new java.util.HashSet<>();
        for (String c : read) {
            readLower.add(c.toLowerCase(java.util.Locale.ROOT));
        }
        Sizes largest = new Sizes(0, 0);
        for (Sizes s : eachFooter(sample, conf, footer -> largest(footer, scores, readLower), (file, e) -> {
            LOG.warn("could not read the footer of " + file + " to size the reader's batches: " + e);
            return new Sizes(0, 0);   // Spark reports an unreadable file when it reads it
        })) {
            largest = largest.max(s);
        }
        return largest;
    }

    /** One file's part of {@link #largest(String[], String, java.util.Collection, Configuration)}. */
    private static Sizes largest(ParquetMetadata footer, String scores, java.util.Set<String> readLower) {
        Sizes largest = new Sizes(0, 0);
        for (BlockMetaData block : footer.getBlocks()) {
            long scoresBytes = 0;
            long readBytes = 0;
            for (ColumnChunkMetaData chunk : block.getColumns()) {
                String top = chunk.getPath().toArray()[0];
                if (top.equalsIgnoreCase(scores)) {
                    scoresBytes += chunk.getTotalUncompressedSize();
                }
                if (readLower.contains(top.toLowerCase(java.util.Locale.ROOT))) {
                    readBytes += chunk.getTotalSize();
                }
            }
            long rowBytes = block.getRowCount() > 0 ? (scoresBytes + block.getRowCount() - 1) / block.getRowCount() : 0;
            largest = largest.max(new Sizes(rowBytes, readBytes));
        }
        return largest;
    }

    /** What is taken from one file's footer. */
    @FunctionalInterface
    interface FooterFunction<T> {
        T apply(ParquetMetadata footer) throws IOException;
    }

    /**
     * {@code fn} of each file's footer ({@code files} as {@code inputFiles()} gives them: URIs,
     * percent-encoded), read by a few threads, in the order of {@code files}; a file whose footer
     * cannot be read or taken gives {@code onError} of its path and the failure, on the caller's
     * thread (which may throw).
     */
    static <T> List<T> eachFooter(List<String> files, Configuration conf, FooterFunction<T> fn,
                                  BiFunction<String, Exception, T> onError) {
        List<T> out = new ArrayList<>(files.size());
        if (files.isEmpty()) {
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(THREADS, files.size()), r -> {
            Thread t = new Thread(r, "bandalign-footers");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> results = new ArrayList<>(files.size());
            for (String f : files) {
                // (new Path(String) would encode the URI again)
                results.add(pool.submit(() -> {
                    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(java.net.URI.create(f)), conf))) {
                        return fn.apply(reader.getFooter());
                    }
                }));
            }
            for (int k = 0; k < files.size(); k++) {
                try {
                    out.add(results.get(k).get());
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    out.add(onError.apply(new Path(java.net.URI.create(files.get(k))).toString(),
                            cause instanceof Exception ? (Exception) cause : new IllegalStateException(cause)));
                }
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the input's footers", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Rows per vectorized read batch: at most {@code most}, and few enough that a batch holds
     * about {@code batchBytes} of the largest rows; at least 1.
     */
    static int batchRows(long largestRowBytes, int most, long batchBytes) {
        if (largestRowBytes <= 0) {
            return most;
        }
        return (int) Math.max(1, Math.min(most, batchBytes / largestRowBytes));
    }
}
