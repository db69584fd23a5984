package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext$;
import org.apache.spark.TaskContextImpl;
import org.apache.spark.TaskKilledException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One task's rejected rows: the first few to the driver, the rest into the task's own Parquet file. */
class RejectedSinkTest {
    private static SparkContext sc;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        sc = new SparkContext(new SparkConf().setMaster("local[1]").setAppName("RejectedSinkTest"));
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    private RejectedSink sink(JobCounters counters, int driverRows, String codec, Configuration conf, TaskContextImpl task) {
        return new RejectedSink(counters, new RejectedSink.Settings(driverRows, tmp.toString(), codec, conf), task);
    }

    private org.apache.hadoop.fs.Path taskFile(String name) {
        return new org.apache.hadoop.fs.Path(tmp.resolve(RejectedSink.TASKS_DIR).resolve(name).toUri());
    }

    @Test
    void add_pastTheDriversShare_writesTheRestToOneFileNamedAfterPartitionAttemptAndCodec() throws IOException {
        JobCounters counters = new JobCounters(sc);
        RejectedSink s = sink(counters, 2, "snappy", new Configuration(), null);
        s.add("a", "first");
        s.add("b", "second");
        s.add(null, "third, without an id");
        s.finish();
        assertEquals(3, counters.rejectedRows.value());
        assertEquals(2, counters.rejected.value().size());
        String name = "part-00000-attempt-0.snappy.parquet";
        assertEquals(List.of(name), counters.rejectedFiles.value());
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(taskFile(name), new Configuration()))) {
            assertEquals(1, r.getRecordCount());
            assertEquals(CompressionCodecName.SNAPPY, r.getFooter().getBlocks().get(0).getColumns().get(0).getCodec());
        }
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), taskFile(name)).build()) {
            Group g = r.read();
            assertEquals(0, g.getFieldRepetitionCount("id"), "a null id stays null");
            assertEquals("third, without an id", g.getString("error", 0));
            assertNull(r.read());
        }

        JobCounters none = new JobCounters(sc);
        RejectedSink plain = sink(none, 0, "none", new Configuration(), null);
        plain.add("a", "e");
        plain.finish();
        assertEquals(List.of("part-00000-attempt-0.uncompressed.parquet"), none.rejectedFiles.value());
    }

    @Test
    void add_killedAttempt_writesNoMore() {
        TaskContextImpl task = TaskContext$.MODULE$.empty();
        task.markInterrupted("speculation: another attempt finished first");
        assertThrows(TaskKilledException.class, () -> sink(new JobCounters(sc), 0, "snappy", new Configuration(), task).add("a", "e"));
        assertFalse(java.nio.file.Files.exists(tmp.resolve(RejectedSink.TASKS_DIR)), "no file begun");
    }

    @Test
    void add_writesThroughTheDriversHadoopConfiguration() {
        Configuration broken = new Configuration(false);
        broken.set("fs.file.impl", "no.such.FileSystem");
        broken.setBoolean("fs.file.impl.disable.cache", true);
        RuntimeException e = assertThrows(RuntimeException.class, () -> sink(new JobCounters(sc), 0, "snappy", broken, null).add("a", "e"));
        String causes = "";
        for (Throwable t = e; t != null; t = t.getCause()) {
            causes += t + "\n";
        }
        assertTrue(causes.contains("no.such.FileSystem"), causes);
    }

    @Test
    void taskEnd_failedAttempt_closesItsFileAndReportsNothing() throws IOException {
        TaskContextImpl task = TaskContext$.MODULE$.empty();
        JobCounters counters = new JobCounters(sc);
        RejectedSink s = sink(counters, 0, "snappy", new Configuration(), task);
        s.add("a", "e");
        task.markTaskCompleted(scala.Option.apply(new RuntimeException("the task failed")));
        assertEquals(List.of(), counters.rejectedFiles.value());
        String name = String.format(java.util.Locale.ROOT, "part-%05d-attempt-%d.snappy.parquet", task.partitionId(), task.taskAttemptId());
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(taskFile(name), new Configuration()))) {
            assertEquals(1, r.getRecordCount(), "closed, so readable, though the driver will remove it");
        }
    }
}
