package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashSet;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** Every job key is declared once, documented in the cluster template, and read from a SparkConf. */
class JobKeysTest {
    @Test
    void sparkDefaultsTemplate_listsEveryKeyWithItsDefault() throws IOException {
        String template = Files.readString(Paths.get("..", "conf", "spark-defaults.conf"));
        for (JobKey<?> k : JobKeys.all()) {
            assertTrue(template.matches("(?s).*" + java.util.regex.Pattern.quote(k.name()) + "\\s+"
                    + java.util.regex.Pattern.quote(String.valueOf(k.defaultValue())) + "\\b.*"),
                    k.name() + " with default " + k.defaultValue() + " in conf/spark-defaults.conf");
        }
    }

    @Test
    void keys_areUniqueAndParseFromConf() {
        Set<String> names = new HashSet<>();
        for (JobKey<?> k : JobKeys.all()) {
            assertTrue(names.add(k.name()), "declared once: " + k.name());
            assertTrue(k.name().startsWith("spark.bandalign."), k.name());
        }
        SparkConf conf = new SparkConf(false).set(JobKeys.BATCH_CELLS.name(), "123").set(JobKeys.COMPRESSION.name(), "zstd");
        assertEquals(123L, JobKeys.BATCH_CELLS.get(conf));
        assertEquals("zstd", JobKeys.COMPRESSION.get(conf));
        assertEquals(JobKeys.BATCH_PAIRS.defaultValue(), JobKeys.BATCH_PAIRS.get(conf));
    }

    @Test
    void key_badValue_namesTheKey() {
        SparkConf conf = new SparkConf(false).set(JobKeys.BATCH_PAIRS.name(), "many");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> JobKeys.BATCH_PAIRS.get(conf));
        assertTrue(e.getMessage().contains("spark.bandalign.batch.pairs"), e.getMessage());
    }

    @Test
    void taskGpu_cudaVisibleDevices_mapsSparkAddressToOrdinal() {
        assertEquals(1, TaskGpu.cudaOrdinal("5", "3,5,7"));
        assertEquals(2, TaskGpu.cudaOrdinal("2", null));
        assertEquals(2, TaskGpu.cudaOrdinal("2", ""));
        assertEquals(0, TaskGpu.cudaOrdinal("GPU-abc", "GPU-abc,GPU-def"));
        assertEquals(0, TaskGpu.addresses(null).length);
    }
}
