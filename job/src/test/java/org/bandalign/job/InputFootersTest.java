package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The input's row sizes from Parquet footers: rounded up, and from a sample spread over the whole listing. */
class InputFootersTest {
    @TempDir
    Path tmp;

    /** A file of one row of {@code bytes} scores bytes; returns its URI and the scores column chunk's size. */
    private String[] oneRowFile(String name, int bytes) throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m { required binary scores; required int32 n; }");
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(tmp.resolve(name).toUri());
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(path).withType(schema).withConf(new Configuration()).build()) {
            w.write(new SimpleGroupFactory(schema).newGroup().append("scores", Binary.fromConstantByteArray(new byte[bytes])).append("n", 7));
        }
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(path, new Configuration()))) {
            return new String[] {path.toUri().toString(),
                Long.toString(r.getFooter().getBlocks().get(0).getColumns().get(0).getTotalUncompressedSize())};
        }
    }

    @Test
    void largestRowBytes_oneRow_isItsScoresChunkExactly_otherColumnsNotCounted() throws IOException {
        String[] file = oneRowFile("one.parquet", 1000);
        long chunk = Long.parseLong(file[1]);
        assertTrue(chunk >= 1000, "the chunk holds the row's 1000 bytes: " + chunk);
        assertEquals(chunk, InputFooters.largestRowBytes(new String[] {file[0]}, "scores", new Configuration()));
        assertEquals(chunk, InputFooters.largestRowBytes(new String[] {file[0]}, "SCORES", new Configuration()), "any case");
    }

    @Test
    void largestRowBytes_manyFiles_samplesThemEvenlyToTheLast() throws IOException {
        String[] real = oneRowFile("real.parquet", 5000);
        long chunk = Long.parseLong(real[1]);
        // 300 files: every 2nd is read (256 at most), so the 299th (index 298) is; 511: every 2nd, index 2 is
        // (the missing files' warnings, hundreds of them, kept out of the build's log)
        org.apache.logging.log4j.Level was = org.apache.logging.log4j.LogManager.getLogger(InputFooters.class).getLevel();
        org.apache.logging.log4j.core.config.Configurator.setLevel(InputFooters.class.getName(), org.apache.logging.log4j.Level.ERROR);
        try {
            sampleEvenly(real[0], chunk);
        } finally {
            org.apache.logging.log4j.core.config.Configurator.setLevel(InputFooters.class.getName(), was);
        }
    }

    private void sampleEvenly(String real, long chunk) {
        for (int[] c : new int[][] {{300, 298}, {511, 2}, {1024, 1020}}) {
            String[] files = new String[c[0]];
            for (int k = 0; k < files.length; k++) {
                files[k] = k == c[1] ? real : tmp.resolve("missing-" + k + ".parquet").toUri().toString();
            }
            assertEquals(chunk, InputFooters.largestRowBytes(files, "scores", new Configuration()), c[0] + " files, the real one at " + c[1]);
        }
    }
}
