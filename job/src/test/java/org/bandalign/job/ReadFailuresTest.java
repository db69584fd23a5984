package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadFailuresTest {
    @TempDir
    Path tmp;

    /** A task's failure to read a file as the driver sees it: Spark's wrapper names the file, its cause does not. */
    private static Exception taskReadFailure(Path file) {
        return new RuntimeException("Job aborted due to stage failure: ...",
                new RuntimeException("[FAILED_READ_FILE.NO_HINT] Encountered error while reading file file://" + file + ".  SQLSTATE: KD001",
                        new java.io.EOFException("Read past End of File")));
    }

    /** What the hint says of a checksum file {@code crc} beside the file, with the closing parenthesis. */
    private static String crcWords(Path crc) {
        return "beside it lies " + crc + ", a checksum file that Hadoop's local file system checks it against: if the file was "
                + "written again after Spark wrote it, that checksum file is stale and every read fails; delete it)";
    }

    @Test
    void hint_taskFailedReadingAFile_namesTheFile() throws IOException {
        Path part = Files.createFile(tmp.resolve("part-0.parquet"));
        assertEquals(" (reading file://" + part + ")", ReadFailures.hint(taskReadFailure(part), "EOFException: Read past End of File"));
        // an align run's: a file that ends early is corrupt, which Spark can be told to skip
        assertEquals(" (reading file://" + part + ReadFailures.SKIP_CORRUPT + ")",
                ReadFailures.hint(taskReadFailure(part), "EOFException: Read past End of File", true));
    }

    @Test
    void hint_aChecksumFileBesideIt_isNamedWithWhatToDo() throws IOException {
        Path part = Files.createFile(tmp.resolve("part-0.parquet"));
        Path crc = Files.createFile(tmp.resolve(".part-0.parquet.crc"));
        assertEquals(" (reading file://" + part + "; " + crcWords(crc),
                ReadFailures.hint(taskReadFailure(part), "EOFException: Read past End of File"));
        // a footer's error names the file itself: only the checksum file is added
        String footer = "Checksum error: file:" + part + " at 1024 exp: 1 got: 2043381784";
        assertEquals(" (" + crcWords(crc), ReadFailures.hint(new IOException(footer), footer));
    }

    /** Spark's wrapper escapes the file's URI (a blank as %20), Hadoop's words do not. */
    @Test
    void hint_aFileWithABlankInItsPath_findsItsChecksumFile() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("with blank"));
        Path part = Files.createFile(dir.resolve("part-0.parquet"));
        Path crc = Files.createFile(dir.resolve(".part-0.parquet.crc"));
        String uri = part.toUri().toString().replace("file:/", "file:///");
        Exception task = new RuntimeException("[FAILED_READ_FILE.NO_HINT] Encountered error while reading file " + uri + ".  SQLSTATE: KD001",
                new java.io.EOFException("Read past End of File"));
        assertEquals(" (reading " + uri + "; " + crcWords(crc), ReadFailures.hint(task, "EOFException: Read past End of File"));
        String footer = "Checksum error: file:" + part + " at 1024 exp: 1 got: 2043381784";
        assertEquals(" (" + crcWords(crc), ReadFailures.hint(new IOException(footer), footer));
    }

    /** A failure that is neither a checksum's nor an early end of the file says nothing of a checksum file beside it. */
    @Test
    void hint_anotherFailureOfAFileWithAChecksumFile_namesOnlyTheFile() throws IOException {
        Path part = Files.createFile(tmp.resolve("part-0.parquet"));
        Files.createFile(tmp.resolve(".part-0.parquet.crc"));
        Exception task = new RuntimeException("[FAILED_READ_FILE.NO_HINT] Encountered error while reading file file://" + part + ".",
                new IllegalStateException("bad page"));
        assertEquals(" (reading file://" + part + ")", ReadFailures.hint(task, "IllegalStateException: bad page", true));
    }

    /**
     * A file the failure's own words name (the page reader's): only the setting that skips a
     * corrupt file, for an align run's corruption alone (a review: it was added to generate's
     * and plot's failures, and to a path that did not exist).
     */
    @Test
    void hint_aFileTheWordsName_addsTheSettingWhereItApplies() throws IOException {
        Path part = Files.createFile(tmp.resolve("part-0.parquet"));
        String shown = "UncheckedIOException: reading the scores of row 1 of file:" + part;
        Exception pageHeader = new java.io.UncheckedIOException(new IOException("can not read class org.apache.parquet.format.PageHeader"));
        assertEquals(" (" + ReadFailures.SKIP_CORRUPT.substring(2) + ")", ReadFailures.hint(pageHeader, shown, true));
        assertEquals("", ReadFailures.hint(pageHeader, shown), "not an align run's (plot, generate: no such setting)");
        Exception gone = new java.io.UncheckedIOException(new java.io.FileNotFoundException("File file:" + part + " does not exist"));
        assertEquals("", ReadFailures.hint(gone, shown, true), "a file missing is no corrupt one");
    }

    @Test
    void hint_noFileInTheFailure_addsNothing_aRemoteOneOnlyItsName() {
        assertEquals("", ReadFailures.hint(new IllegalStateException("boom"), "IllegalStateException: boom"));
        Exception remote = new RuntimeException("[FAILED_READ_FILE.NO_HINT] Encountered error while reading file hdfs://nn/x.parquet.");
        assertEquals(" (reading hdfs://nn/x.parquet)", ReadFailures.hint(remote, "EOFException: x", true));
    }
}
