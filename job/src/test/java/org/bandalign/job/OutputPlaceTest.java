package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
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
}
