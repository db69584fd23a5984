package org.bandalign.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * How large the input's rows are, from the Parquet footers alone (no data is read): the most
 * uncompressed bytes a row of the {@code scores} column takes, averaged over each row group, as
 * the largest over the row groups. The job sizes the vectorized reader's batches by it: a batch
 * of binary or array values lives in one contiguous buffer, which cannot pass 2 GB, so 32 rows of
 * 69 MB (pairs of 2400 x 2400) fail to read at all.
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
     * The largest average uncompressed size, in bytes, of a row of {@code column} in a row group of
     * the given Parquet files (or of a sample of them); 0 when no footer could be read.
     */
    static long largestRowBytes(String[] files, String column, Configuration conf) {
        List<String> sample = new ArrayList<>();
        int step = Math.max(1, (files.length + MAX_FILES - 1) / MAX_FILES);
        for (int k = 0; k < files.length && sample.size() < MAX_FILES; k += step) {
            sample.add(files[k]);
        }
        if (sample.isEmpty()) {
            return 0;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(THREADS, sample.size()), r -> {
            Thread t = new Thread(r, "bandalign-footers");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Long>> sizes = new ArrayList<>();
            for (String f : sample) {
                sizes.add(pool.submit(() -> largestRowBytes(f, column, conf)));
            }
            long largest = 0;
            for (Future<Long> s : sizes) {
                largest = Math.max(largest, s.get());
            }
            return largest;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } catch (ExecutionException e) {
            return 0;   // (not reached: one file's failure is that file's 0)
        } finally {
            pool.shutdownNow();
        }
    }

    /** One file's part of {@link #largestRowBytes(String[], String, Configuration)}; 0 if its footer is unreadable. */
    private static long largestRowBytes(String file, String column, Configuration conf) {
        // (inputFiles() gives URIs, percent-encoded: new Path(String) would encode them again)
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(java.net.URI.create(file)), conf))) {
            long largest = 0;
            for (BlockMetaData block : reader.getFooter().getBlocks()) {
                long bytes = 0;
                for (ColumnChunkMetaData chunk : block.getColumns()) {
                    if (chunk.getPath().toArray()[0].equalsIgnoreCase(column)) {
                        bytes += chunk.getTotalUncompressedSize();
                    }
                }
                if (block.getRowCount() > 0) {
                    largest = Math.max(largest, (bytes + block.getRowCount() - 1) / block.getRowCount());
                }
            }
            return largest;
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not read the footer of " + file + " to size the reader's batches: " + e);
            return 0;   // Spark reports an unreadable file when it reads it
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
