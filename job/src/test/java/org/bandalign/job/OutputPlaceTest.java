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
}
