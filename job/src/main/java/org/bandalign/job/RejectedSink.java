package org.bandalign.job;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.apache.spark.TaskContext;

/**
 * Where one task's rejected rows go (SPEC section 5, {@code rejected/}): the first
 * {@code spark.bandalign.rejected.driverRows} travel to the driver with the task's result
 * (the driver writes them as one file), the rest the task writes itself, as one Parquet file of
 * the same schema ({@code id}, {@code error}: nullable strings) in the output's
 * {@value #TASKS_DIR}, so that millions of bad rows (a producer's bug) never pass through the
 * driver's memory or {@code spark.driver.maxResultSize}. The file is named after the task's
 * partition and attempt; the task reports it only when it succeeds, and the driver moves the
 * reported files into {@code rejected/} and removes the rest (attempts that failed or were
 * killed), so every rejected row is written exactly once.
 */
final class RejectedSink {
    /** The staging directory's folder for the task-written files (hidden from readers by its underscore). */
    static final String TASKS_DIR = "_rejected-by-tasks";

    private static final MessageType SCHEMA = Types.buildMessage()
            .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("id")
            .optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("error")
            .named("spark_schema");

    /** What the tasks need to know to write rejected rows: serialized with the partition function. */
    static final class Settings implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        final int driverRows;
        final String dir;
        final String codec;
        final byte[] configuration;

        /** Rows a task sends the driver, the output (staging) directory, the codec, the driver's Hadoop configuration. */
        Settings(int driverRows, String dir, String codec, Configuration conf) {
            this.driverRows = driverRows;
            this.dir = dir;
            this.codec = codec;
            this.configuration = configurationBytes(conf);
        }
    }

    private final JobCounters counters;
    private final int driverRows;
    private final String dir;
    private final String codec;
    private final byte[] configuration;
    private final TaskContext task;
    private int sentToDriver;
    private ParquetWriter<Group> writer;
    private Path file;
    private boolean finished;

    RejectedSink(JobCounters counters, Settings settings, TaskContext task) {
        this.counters = counters;
        this.driverRows = settings.driverRows;
        this.dir = settings.dir;
        this.codec = settings.codec;
        this.configuration = settings.configuration;
        this.task = task;
    }

    /** One rejected row. */
    void add(String id, String error) {
        counters.rejectedRows.add(1);
        if (sentToDriver < driverRows) {
            RejectedRecord r = new RejectedRecord();
            r.setId(id);
            r.setError(error);
            counters.rejected.add(r);
            sentToDriver++;
            return;
        }
        if (task != null) {
            task.killTaskIfInterrupted();   // a killed attempt (speculation) writes no more
        }
        try {
            if (writer == null) {
                open();
            }
            Group g = new SimpleGroupFactory(SCHEMA).newGroup();
            if (id != null) {
                g.append("id", id);
            }
            g.append("error", error);
            writer.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException("writing rejected rows to " + file, e);
        }
    }

    /** After the task's last row: closes the file and reports it to the driver. */
    void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (writer != null) {
            try {
                writer.close();
            } catch (IOException e) {
                throw new UncheckedIOException("writing rejected rows to " + file, e);
            }
            counters.rejectedFiles.add(file.getName());
        }
    }

    private void open() throws IOException {
        int partition = task == null ? 0 : task.partitionId();
        long attempt = task == null ? 0 : task.taskAttemptId();
        file = new Path(new Path(dir, TASKS_DIR), String.format(Locale.ROOT, "part-%05d-attempt-%d.%s.parquet", partition,
                attempt, codecName().name().toLowerCase(Locale.ROOT)));
        writer = ExampleParquetWriter.builder(file)
                .withConf(configuration(configuration))
                .withType(SCHEMA)
                .withCompressionCodec(codecName())
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build();
        if (task != null) {   // a failed or killed attempt: its file is not reported; close it at least
            task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> {
                if (!finished) {
                    finished = true;
                    try {
                        writer.close();
                    } catch (IOException | RuntimeException ignored) {
                        // the driver removes the files no successful attempt reported
                    }
                }
            });
        }
    }

    private CompressionCodecName codecName() {
        String c = codec.toLowerCase(Locale.ROOT);
        return c.equals("none") || c.equals("uncompressed") ? CompressionCodecName.UNCOMPRESSED
                : CompressionCodecName.valueOf(c.toUpperCase(Locale.ROOT));
    }

    /**
     * On the driver, after the job: moves the files that successful attempts wrote and reported
     * from {@code dir}'s {@value #TASKS_DIR} into its {@code rejected/}, and removes the folder
     * with whatever failed or killed attempts left there.
     */
    static void collect(org.apache.hadoop.fs.FileSystem fs, Path dir, java.util.List<String> reported) {
        Path tasks = new Path(dir, TASKS_DIR);
        Path rejected = new Path(dir, "rejected");
        try {
            for (String name : reported) {
                if (!fs.rename(new Path(tasks, name), new Path(rejected, name))) {
                    throw new IOException("could not move " + new Path(tasks, name) + " into " + rejected);
                }
            }
            fs.delete(tasks, true);
        } catch (IOException e) {
            throw new UncheckedIOException("collecting the tasks' files of rejected rows", e);
        }
    }

    /** The driver's Hadoop configuration as bytes, for the tasks (file system settings, credentials). */
    static byte[] configurationBytes(Configuration conf) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            conf.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The Hadoop configuration of {@link #configurationBytes}. */
    static Configuration configuration(byte[] bytes) throws IOException {
        Configuration conf = new Configuration(false);
        conf.readFields(new DataInputStream(new ByteArrayInputStream(bytes)));
        return conf;
    }
}
