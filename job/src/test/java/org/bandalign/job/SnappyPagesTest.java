package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;

/** {@link SnappyPages} gives parquet-mr's bytes, page for page, and reads them back. */
class SnappyPagesTest {
    private static final int PAGE = 1 << 20;

    /** Pages as the job writes them: levels, then floats (random, or a probability's few values), in parts. */
    private static BytesInput page(Random r, int floats, boolean compressible) {
        ByteBuffer values = ByteBuffer.allocate(4 * floats).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < floats; i++) {
            values.putFloat(compressible ? (i % 7 == 0 ? 1f : 0f) : r.nextFloat());
        }
        byte[] levels = new byte[6 + r.nextInt(10)];
        r.nextBytes(levels);
        return BytesInput.concat(BytesInput.from(levels), BytesInput.from(values.array(), 0, values.position()));
    }

    @Test
    void compress_givesParquetMrsBytes_andBothDecompressorsReadThemBack() throws IOException {
        CodecFactory parquets = new CodecFactory(new Configuration(false), PAGE);
        CompressionCodecFactory.BytesInputCompressor theirs = parquets.getCompressor(CompressionCodecName.SNAPPY);
        SnappyPages.Compressor ours = new SnappyPages.Compressor(PAGE);
        CompressionCodecFactory reading = SnappyPages.reading(new CodecFactory(new Configuration(false), 0));
        CompressionCodecFactory.BytesInputDecompressor ourReader = reading.getDecompressor(CompressionCodecName.SNAPPY);
        CompressionCodecFactory.BytesInputDecompressor theirReader = parquets.getDecompressor(CompressionCodecName.SNAPPY);
        assertEquals(CompressionCodecName.SNAPPY, ours.getCodecName());
        Random r = new Random(5);
        // ordinary pages, a page far larger than the page size (a large row), then small ones again
        int[] sizes = {1, 1000, 250_000, 100, 3 * PAGE, 70_000, 0, 262_144};
        for (int k = 0; k < sizes.length; k++) {
            for (boolean compressible : new boolean[] {false, true}) {
                BytesInput page = page(r, sizes[k], compressible);
                byte[] raw = page.toByteArray();
                byte[] expected = theirs.compress(page).toByteArray();
                byte[] got = ours.compress(page).toByteArray();
                assertArrayEquals(expected, got, "page " + k + (compressible ? ", compressible" : ""));
                assertArrayEquals(raw, ourReader.decompress(BytesInput.from(got), raw.length).toByteArray(), "ours back, page " + k);
                assertArrayEquals(raw, theirReader.decompress(BytesInput.from(got), raw.length).toByteArray(), "theirs back, page " + k);
                // a page as a slice of a larger buffer, as the file reader hands them out
                byte[] framed = new byte[got.length + 11];
                System.arraycopy(got, 0, framed, 7, got.length);
                BytesInput slice = BytesInput.from(ByteBuffer.wrap(framed, 7, got.length).slice());
                assertArrayEquals(raw, ourReader.decompress(slice, raw.length).toByteArray(), "from a slice, page " + k);
                if (compressible && raw.length > 1000) {
                    assertTrue(got.length < raw.length / 4, "compressed: " + got.length + " of " + raw.length);
                }
            }
        }
        parquets.release();
        reading.release();
    }

    /** The result stays valid until the next page: parquet-mr's page writer copies it before that. */
    @Test
    void compress_resultReusesItsBufferAtTheNextPage_asParquetMrsDoes() throws IOException {
        SnappyPages.Compressor ours = new SnappyPages.Compressor(PAGE);
        Random r = new Random(9);
        byte[] first = ours.compress(page(r, 5000, false)).toByteArray();
        BytesInput again = ours.compress(page(new Random(9), 5000, false));
        assertArrayEquals(first, again.toByteArray());
    }

    /** A page whose block claims another length than its header is refused before anything is written. */
    @Test
    void decompress_lengthOtherThanTheHeaders_isRefused() throws IOException {
        BytesInput page = page(new Random(3), 1000, false);
        int raw = (int) page.size();
        byte[] got = new SnappyPages.Compressor(PAGE).compress(page).toByteArray();
        CompressionCodecFactory.BytesInputDecompressor reader = SnappyPages.reading(new CodecFactory(new Configuration(false), 0))
                .getDecompressor(CompressionCodecName.SNAPPY);
        IOException e = assertThrows(IOException.class, () -> reader.decompress(BytesInput.from(got), 10));
        assertTrue(e.getMessage().contains("not the 10 its header gives"), e.getMessage());
        byte[] cut = Arrays.copyOf(got, got.length / 2);
        assertThrows(IOException.class, () -> reader.decompress(BytesInput.from(cut), raw));
    }

    /** Other codecs stay parquet-mr's. */
    @Test
    void reading_otherCodecs_areParquetMrs() {
        CodecFactory parquets = new CodecFactory(new Configuration(false), 0);
        CompressionCodecFactory reading = SnappyPages.reading(parquets);
        assertTrue(!(reading.getDecompressor(CompressionCodecName.GZIP) instanceof SnappyPages.Decompressor));
        assertTrue(reading.getDecompressor(CompressionCodecName.SNAPPY) instanceof SnappyPages.Decompressor);
        reading.release();
    }
}
