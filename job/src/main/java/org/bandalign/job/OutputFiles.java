package org.bandalign.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.hadoop.util.HadoopStreams;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * Where the output writer puts a Parquet file: Hadoop's file system for the path, except that a
 * local file ({@code file:}) is written by Hadoop's raw local file system, without the {@code .crc}
 * file Hadoop's checksummed local file system writes beside it.
 *
 * <p>Why. Hadoop's local file system checksums every 512 bytes written into a hidden
 * {@code .part-....crc} file; in a profile of an I/O-only run that took about 8% of the task
 * threads' time. What is given up: a reader through Hadoop's local file system no longer checks
 * the file against those checksums. Parquet's page headers still carry a CRC of each page's data
 * ({@code parquet.page.write-checksum.enabled}, on by default), which a reader checks where
 * {@code parquet.page.verify-checksum.enabled} is set (page headers and the footer are not
 * covered). Readers, Hadoop's included, read a file without a {@code .crc} file as any other, and
 * Spark's commit protocol renames such files as it renames others
 * ({@code ChecksumFileSystem.rename} moves a {@code .crc} file only where there is one).
 *
 * <p>The files others write into the output (Spark's commit markers, its writer's rejected rows,
 * the summary) get their {@code .crc} files; {@link #removeChecksumFiles} removes them once the
 * output is complete.
 *
 * <p>Only Hadoop's own {@link LocalFileSystem} is bypassed: where a configuration maps
 * {@code file:} to another file system, a subclass of it included ({@code fs.file.impl}), that
 * one creates the file.
 */
final class OutputFiles {
    private OutputFiles() {
    }

    /** Hadoop's default buffer size for a created file, as parquet-mr's {@link HadoopOutputFile} gives it. */
    private static final int BUFFER_BYTES = 4096;

    static OutputFile of(Path path, Configuration conf) throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        if (fs.getClass() == LocalFileSystem.class) {
            return new Raw(((LocalFileSystem) fs).getRawFileSystem(), fs.makeQualified(path));
        }
        return HadoopOutputFile.fromPath(path, conf);
    }

    /**
     * Removes the hidden checksum files ({@code .NAME.crc}) that Hadoop's local file system
     * wrote beside the files under {@code dir}: Spark's commit marker {@code _SUCCESS}, the
     * rejected rows Spark's writer wrote, the summary. Why: readers other than Hadoop's take them
     * for data (polars refuses a folder that holds them beside Parquet files, "directory
     * contained paths with different file extensions"), and a file a user writes again under the
     * same name (with pyarrow, say) fails every later read through Hadoop's local file system
     * against its stale checksums. A no-op on other file systems ({@link #of}'s condition).
     */
    static void removeChecksumFiles(FileSystem fs, Path dir) throws IOException {
        if (fs.getClass() != LocalFileSystem.class) {
            return;
        }
        LocalFileSystem local = (LocalFileSystem) fs;
        FileSystem raw = local.getRawFileSystem();
        org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> files = raw.listFiles(local.makeQualified(dir), true);
        List<Path> checksums = new ArrayList<>();
        while (files.hasNext()) {
            Path file = files.next().getPath();
            if (local.isChecksumFile(file)) {
                checksums.add(file);
            }
        }
        for (Path file : checksums) {
            raw.delete(file, false);
        }
    }

    /** A file created through Hadoop's raw local file system. */
    private record Raw(FileSystem raw, Path path) implements OutputFile {
        @Override
        public PositionOutputStream create(long blockSizeHint) throws IOException {
            return open(false);
        }

        @Override
        public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
            return open(true);
        }

        private PositionOutputStream open(boolean overwrite) throws IOException {
            return HadoopStreams.wrap(raw.create(path, overwrite, BUFFER_BYTES, raw.getDefaultReplication(path),
                    raw.getDefaultBlockSize(path)));
        }

        @Override
        public boolean supportsBlockSize() {
            return false;
        }

        @Override
        public long defaultBlockSize() {
            return raw.getDefaultBlockSize(path);
        }

        @Override
        public String getPath() {
            return path.toString();
        }

        @Override
        public String toString() {
            return path.toString();
        }
    }
}
