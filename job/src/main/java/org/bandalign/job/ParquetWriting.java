package org.bandalign.job;

import org.apache.spark.sql.DataFrameWriter;

/**
 * Parquet writer settings for rows of many megabytes. Parquet measures a page only every
 * {@code page.size.row.check.min} rows (100 by default): with 0.5 MB rows that is a 50 MB page
 * before the first check, held in memory. Checking every row keeps pages near their 1 MB target.
 * Columns of float data (scores, marginals) are written without dictionary encoding: the writer
 * otherwise hashes every value of each column chunk into a dictionary until that passes its
 * 1 MB limit, then writes the chunk plain anyway, as such values hardly repeat (a tenth of the
 * I/O-only job's task time on 200 x 200 pairs in array&lt;float&gt;, measured in the notes on
 * this change). So are the output's columns whose values are each row's own, such as the id
 * ({@link OutputColumns#NO_DICTIONARY}). Write options reach the Hadoop configuration of the
 * Parquet writer.
 */
final class ParquetWriting {
    private ParquetWriting() {
    }

    /** Bytes a page's values are handed to a codec's stream in at most: see {@link #sliced}. */
    static final int SLICE = 64 << 10;

    /**
     * {@code len} bytes of {@code bytes} from {@code off}, written to a codec's stream in slices
     * of at most {@link #SLICE}. Hadoop's block compressor stream, which parquet-mr's LZ4 codec
     * (Parquet's deprecated Hadoop-framed LZ4) writes through, turns one write larger than its
     * buffer (256 KiB) into one block of several compressed chunks, a form that Arrow's reader
     * (pyarrow) refuses as corrupt; writes that fit the buffer give blocks of one chunk each, as
     * parquet-mr's own value writers (which hand over their bytes in slabs) give. The other
     * codecs read the same bytes either way.
     */
    static org.apache.parquet.bytes.BytesInput sliced(byte[] bytes, int off, int len) {
        if (len <= SLICE) {
            return org.apache.parquet.bytes.BytesInput.from(bytes, off, len);
        }
        java.util.List<org.apache.parquet.bytes.BytesInput> slices = new java.util.ArrayList<>(len / SLICE + 1);
        for (int at = 0; at < len; at += SLICE) {
            slices.add(org.apache.parquet.bytes.BytesInput.from(bytes, off + at, Math.min(SLICE, len - at)));
        }
        return org.apache.parquet.bytes.BytesInput.concat(slices);
    }

    /** The codec names Spark's Parquet writer knows (lzo and brotli also need their native libraries). */
    static final java.util.List<String> CODECS = java.util.List.of("none", "uncompressed", "snappy", "gzip", "lzo", "brotli",
            "lz4", "lz4_raw", "zstd");

    /**
     * Refuses, before any work is done, a codec name Spark's Parquet writer does not know, and one
     * whose codec class is not on the class path (lzo and brotli ship with neither Spark nor
     * BandAlign: without this check a run failed only when it wrote its first output).
     */
    static void checkCodec(String codec, String what) {
        String name = codec.toLowerCase(java.util.Locale.ROOT);
        if (!CODECS.contains(name)) {
            String message = what + " must be one of " + String.join(", ", CODECS) + ", got '" + codec + "'";
            throw what.startsWith("--") ? UserError.badFlag(message) : new UserError(message);
        }
        if (name.equals("none") || name.equals("uncompressed")) {
            return;
        }
        String codecClass = org.apache.parquet.hadoop.metadata.CompressionCodecName.valueOf(name.toUpperCase(java.util.Locale.ROOT))
                .getHadoopCompressionCodecClassName();
        try {
            Class.forName(codecClass, false, ParquetWriting.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new UserError(what + " " + codec + " needs " + codecClass + " on the class path, which is not there;"
                    + " use snappy, zstd, gzip, lz4_raw or none");
        }
    }

    /**
     * The writer's options: the codec, a page-size check every row, and no dictionary for the
     * columns {@code plainColumns}, given as Parquet column paths ({@code "scores.list.element"}
     * for an array's elements, {@code "scores"} for a binary column).
     */
    static <T> DataFrameWriter<T> configure(DataFrameWriter<T> writer, String compression, String... plainColumns) {
        DataFrameWriter<T> w = writer.option("compression", compression)
                .option("parquet.page.size.row.check.min", "1")
                .option("parquet.page.size.row.check.max", "100");
        for (String column : plainColumns) {
            w = w.option(DICTIONARY_KEY_PREFIX + column, "false");
        }
        return w;
    }

    /** parquet-mr's per-column form of {@code parquet.enable.dictionary}: the key, then the column's path. */
    static final String DICTIONARY_KEY_PREFIX = "parquet.enable.dictionary#";
}
