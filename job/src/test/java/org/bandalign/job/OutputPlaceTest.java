package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;

/** The path comparison of {@link OutputPlace}, on file systems this machine has none of. */
class OutputPlaceTest {
    private static void refused(String in, String out, String says) {
        UserError e = assertThrows(UserError.class, () -> OutputPlace.checkApart(new Path(in), new Path(out), ""), in + " -> " + out);
        assertTrue(e.getMessage().contains(says), e.getMessage());
    }

    /**
     * Found by a review: a host given without its port and the same host qualified with it
     * compared unequal, so {@code --overwrite} could replace such an input.
     */
    @Test
    void checkApart_sameHostWithAndWithoutItsPort_isOneFileSystem() {
        refused("hdfs://nn/data", "hdfs://nn:8020/data/out", "lies inside the input");
        refused("hdfs://nn:8020/data/in", "hdfs://nn/data", "holds the input");
        refused("file:/tmp/x", "file:///tmp/x/", "is the input");
        refused("s3a://bucket/pairs", "s3a://bucket/pairs/out", "lies inside the input");
    }

    @Test
    void checkApart_otherHostPortOrScheme_isApart() {
        assertDoesNotThrow(() -> OutputPlace.checkApart(new Path("hdfs://nn:8020/data"), new Path("hdfs://nn:9000/data"), ""));
        assertDoesNotThrow(() -> OutputPlace.checkApart(new Path("hdfs://a/data"), new Path("hdfs://b/data"), ""));
        assertDoesNotThrow(() -> OutputPlace.checkApart(new Path("s3a://one/data"), new Path("s3a://two/data/out"), ""));
        assertDoesNotThrow(() -> OutputPlace.checkApart(new Path("file:/data"), new Path("hdfs://nn/data"), ""));
        assertDoesNotThrow(() -> OutputPlace.checkApart(new Path("file:/data/in"), new Path("file:/data/input"), ""));
    }

    /**
     * Found by a probe: an output under a regular file ended the run with exit 1 and Hadoop's
     * ParentNotDirectoryException; it is a mistake in the invocation, said so.
     */
    @Test
    void check_anOutputUnderAFile_refusedNamingTheFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(tmp.resolve("afile"), "not a folder");
        java.nio.file.Files.createDirectories(tmp.resolve("in"));
        org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
        org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.getLocal(conf);
        Path out = fs.makeQualified(new Path(file.resolve("deeper/out").toString()));
        UserError e = assertThrows(UserError.class, () -> OutputPlace.check(conf, tmp.resolve("in").toString(), fs, out));
        org.junit.jupiter.api.Assertions.assertEquals("--output " + out + " lies under " + fs.makeQualified(new Path(file.toString()))
                + ", which is a file, not a directory; choose another directory", e.getMessage());
        assertDoesNotThrow(() -> OutputPlace.check(conf, tmp.resolve("in").toString(), fs,
                fs.makeQualified(new Path(tmp.resolve("new/deeper/out").toString()))));
    }

    /**
     * {@code --overwrite} replaces an earlier output (with its Hadoop checksum files, which the
     * local file system does not even list), known by the file every one holds, or an empty
     * directory; a directory holding anything else, a directory without that file (another
     * table), or a file is refused, naming what it holds, and left as it was. Found by reviews:
     * any directory was replaced; then any Spark table by generate, and a file.
     */
    @Test
    void checkReplaceable_onlyAnEarlierOutputOrAnEmptyDirectory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        org.apache.hadoop.fs.FileSystem fs = org.apache.hadoop.fs.FileSystem.getLocal(new org.apache.hadoop.conf.Configuration());
        java.nio.file.Path output = java.nio.file.Files.createDirectories(tmp.resolve("output/marginals"));
        java.nio.file.Files.createDirectories(tmp.resolve("output/rejected"));
        java.nio.file.Files.createDirectories(tmp.resolve("output/" + RejectedSink.TASKS_DIR));
        java.nio.file.Files.writeString(tmp.resolve("output/_SUMMARY.json"), "{}");
        java.nio.file.Files.writeString(tmp.resolve("output/._SUMMARY.json.crc"), "");
        java.nio.file.Files.writeString(output.resolve("part-00000-z-c000.zstd.parquet"), "");
        java.nio.file.Files.writeString(output.resolve(".part-00000-z-c000.zstd.parquet.crc"), "");
        java.nio.file.Files.writeString(output.resolve("_SUCCESS"), "");
        java.nio.file.Files.writeString(output.resolve("_common_metadata"), "");   // (parquet.summary.metadata.level=ALL)
        java.nio.file.Files.createDirectories(tmp.resolve("output/rejected/_temporary/0"));
        java.nio.file.Files.createDirectories(tmp.resolve("empty"));
        java.nio.file.Files.createDirectories(tmp.resolve("generated"));
        java.nio.file.Files.writeString(tmp.resolve("generated/part-00000-x-c000.snappy.parquet"), "");
        java.nio.file.Files.writeString(tmp.resolve("generated/_SUCCESS"), "");
        java.nio.file.Files.writeString(tmp.resolve("generated/" + OutputPlace.GENERATED_MARK), "");
        java.nio.file.Files.createDirectories(tmp.resolve("generated/_temporary/0"));   // (a losing speculative task's, late)
        java.nio.file.Files.createDirectories(tmp.resolve("table"));
        java.nio.file.Files.writeString(tmp.resolve("table/part-00000-y-c000.snappy.parquet"), "");
        java.nio.file.Files.writeString(tmp.resolve("table/_SUCCESS"), "");
        java.nio.file.Files.writeString(tmp.resolve("a-file"), "mine");
        for (String ok : new String[] {"output", "empty", "missing"}) {
            assertDoesNotThrow(() -> OutputPlace.checkReplaceable(fs, path(fs, tmp, ok), OutputPlace.ALIGN_OUTPUT), ok);
        }
        assertDoesNotThrow(() -> OutputPlace.checkReplaceable(fs, path(fs, tmp, "generated"), OutputPlace.GENERATE_OUTPUT));

        UserError asGenerated = assertThrows(UserError.class,
                () -> OutputPlace.checkReplaceable(fs, path(fs, tmp, "output"), OutputPlace.GENERATE_OUTPUT));
        assertTrue(asGenerated.getMessage().contains("holds _SUMMARY.json, " + RejectedSink.TASKS_DIR + "/, marginals/ and 1 more, "
                + "which generate never writes; nothing was deleted"), asGenerated.getMessage());
        UserError table = assertThrows(UserError.class,
                () -> OutputPlace.checkReplaceable(fs, path(fs, tmp, "table"), OutputPlace.GENERATE_OUTPUT));
        assertTrue(table.getMessage().endsWith("table has no " + OutputPlace.GENERATED_MARK + ", which every output of generate has "
                + "(since 2026-12-02); nothing was deleted: choose another directory, or remove it yourself"), table.getMessage());
        UserError file = assertThrows(UserError.class,
                () -> OutputPlace.checkReplaceable(fs, path(fs, tmp, "a-file"), OutputPlace.GENERATE_OUTPUT));
        assertTrue(file.getMessage().endsWith("a-file is a file, not a directory; choose a directory (a file is never replaced)"),
                file.getMessage());
        java.nio.file.Files.delete(tmp.resolve("output/_SUMMARY.json"));
        UserError unmarked = assertThrows(UserError.class,
                () -> OutputPlace.checkReplaceable(fs, path(fs, tmp, "output"), OutputPlace.ALIGN_OUTPUT));
        assertTrue(unmarked.getMessage().contains("output has no _SUMMARY.json, which every output of align has; nothing"),
                unmarked.getMessage());
        java.nio.file.Files.writeString(output.resolve("../notes.txt"), "mine");
        UserError mixed = assertThrows(UserError.class,
                () -> OutputPlace.checkReplaceable(fs, path(fs, tmp, "output"), OutputPlace.ALIGN_OUTPUT));
        assertTrue(mixed.getMessage().endsWith("output holds notes.txt, which align never writes; nothing was deleted: choose "
                + "another directory, or remove it yourself"), mixed.getMessage());
        assertTrue(java.nio.file.Files.exists(tmp.resolve("output/notes.txt")));
        // Inside its tables too (found by an operator's walk-through: marginals/extra.txt and
        // marginals/sub/keep.parquet went with the earlier output).
        java.nio.file.Files.delete(tmp.resolve("output/notes.txt"));
        java.nio.file.Files.writeString(tmp.resolve("output/_SUMMARY.json"), "{}");
        assertDoesNotThrow(() -> OutputPlace.checkReplaceable(fs, path(fs, tmp, "output"), OutputPlace.ALIGN_OUTPUT));
        java.nio.file.Files.writeString(output.resolve("extra.txt"), "mine");
        java.nio.file.Files.createDirectories(tmp.resolve("output/rejected/sub"));
        UserError inside = assertThrows(UserError.class,
                () -> OutputPlace.checkReplaceable(fs, path(fs, tmp, "output"), OutputPlace.ALIGN_OUTPUT));
        assertTrue(inside.getMessage().endsWith("output holds marginals/extra.txt, rejected/sub/, which align never writes; nothing was "
                + "deleted: choose another directory, or remove it yourself"), inside.getMessage());
        assertEquals("mine", java.nio.file.Files.readString(tmp.resolve("a-file")));
    }

    private static Path path(org.apache.hadoop.fs.FileSystem fs, java.nio.file.Path tmp, String name) {
        return fs.makeQualified(new Path(tmp.resolve(name).toString()));
    }
}
