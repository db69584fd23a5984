package org.bandalign.job;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

/**
 * Snappy for Parquet pages in one call of the library on Java arrays, where parquet-mr's own
 * codec streams every page through Hadoop's codec streams and the library's direct buffers.
 *
 * <p>Why. Pages of marginals and scores are large (megabytes) and compress little, so on a GPU
 * executor the job's time goes to moving their bytes. parquet-mr's compressor copies a page into
 * a direct buffer, compresses it into another, then copies the result out twice more (its codec
 * stream's buffer, then its own output buffer); its decompressor likewise copies each page in and
 * out of direct buffers. Here a page is copied once into an array that is kept, compressed from
 * there straight into another (snappy-java reads and writes Java arrays in place), and
 * decompressed from the page as read straight into the array that holds it.
 *
 * <p>The bytes are the same: both call the same raw Snappy block format ({@code Snappy.compress}),
 * which is what Parquet's SNAPPY codec is. {@code OutputParquetFormatTest} compares the files
 * with Spark's writer and {@code SnappyPagesTest} the bytes with parquet-mr's codec.
 *
 * <p>As parquet-mr's own compressor, a compressor returns its result in a buffer it reuses at its
 * next call, and parquet-mr's page writer copies what it keeps; a buffer grown for an unusually
 * large page is given back at the next page that does not need it. Not thread-safe: one per page
 * writer, as parquet-mr's.
 */
final class SnappyPages {
    private SnappyPages() {
    }

    /** Parquet's SNAPPY compressor, as above. */
    static final class Compressor implements CompressionCodecFactory.BytesInputCompressor {
        private final int usualPage;
        private final ArraySink sink = new ArraySink();
        private byte[] out = new byte[0];

        /** {@code usualPage}: the page size; buffers grown past about twice it are not kept. */
        Compressor(int usualPage) {
            this.usualPage = Math.min(usualPage, 1 << 28);
        }

        @Override
        public BytesInput compress(BytesInput bytes) throws IOException {
            int n = Math.toIntExact(bytes.size());
            // (Snappy's bound on its output, 32 + n + n / 6, must fit an array: the library does
            // not check the array it writes into)
            if (32L + n + n / 6 > ParquetScores.MAX_ARRAY) {
                throw new IOException("a page of " + n + " bytes is too large for Snappy's output to fit one array");
            }
            byte[] in = sink.fill(bytes, n, usualPage);
            int most = Snappy.maxCompressedLength(n);
            int usual = Snappy.maxCompressedLength(usualPage);
            if (out.length < most || out.length > 2L * usual && most <= usual) {
                out = new byte[Math.max(most, usual)];
            }
            int size = Snappy.compress(in, 0, n, out, 0);
            return BytesInput.from(out, 0, size);
        }

        @Override
        public CompressionCodecName getCodecName() {
            return CompressionCodecName.SNAPPY;
        }

        @Override
        public void release() {
            out = new byte[0];
            sink.release();
        }
    }

    /** Parquet's SNAPPY decompressor, as above; each page is decompressed into an array of its own. */
    static final class Decompressor implements CompressionCodecFactory.BytesInputDecompressor {
        private final CompressionCodecFactory.BytesInputDecompressor direct;

        /** {@code direct}: parquet-mr's, for pages outside the heap. */
        Decompressor(CompressionCodecFactory.BytesInputDecompressor direct) {
            this.direct = direct;
        }

        @Override
        public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
            ByteBuffer page = bytes.toByteBuffer();
            byte[] in;
            int from;
            int n = page.remaining();
            if (page.hasArray()) {
                in = page.array();
                from = page.arrayOffset() + page.position();
            } else {   // a page read outside the heap (not by the job's readers)
                in = new byte[n];
                page.duplicate().get(in);
                from = 0;
            }
            // (the length the block claims, checked before the library writes that much)
            int claimed = Snappy.uncompressedLength(in, from, n);
            if (claimed != uncompressedSize) {
                throw new IOException("a Snappy page holds " + claimed + " bytes, not the " + uncompressedSize + " its header gives");
            }
            byte[] out = new byte[uncompressedSize];
            Snappy.uncompress(in, from, n, out, 0);
            return BytesInput.from(out);
        }

        /** The form parquet-mr takes for buffers outside the heap: parquet-mr's own. */
        @Override
        public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize) throws IOException {
            direct.decompress(input, compressedSize, output, uncompressedSize);
        }

        @Override
        public void release() {
            direct.release();
        }
    }

    /**
     * parquet-mr's codecs, with {@link Decompressor} for SNAPPY: the factory a Parquet file
     * reader of the job's takes ({@code ParquetReadOptions.Builder#withCodecFactory}).
     */
    static CompressionCodecFactory reading(CompressionCodecFactory parquets) {
        return new CompressionCodecFactory() {
            private Decompressor snappy;

            @Override
            public BytesInputCompressor getCompressor(CompressionCodecName codec) {
                return parquets.getCompressor(codec);
            }

            @Override
            public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
                if (codec != CompressionCodecName.SNAPPY) {
                    return parquets.getDecompressor(codec);
                }
                if (snappy == null) {
                    snappy = new Decompressor(parquets.getDecompressor(codec));
                }
                return snappy;
            }

            @Override
            public void release() {
                parquets.release();
            }
        };
    }

    /** An output stream into an array that is kept between uses: a page's bytes gathered in one place. */
    private static final class ArraySink extends OutputStream {
        private byte[] bytes = new byte[0];
        private int size;

        /** {@code page}'s {@code n} bytes, in an array kept where it is no larger than about twice {@code usual}. */
        byte[] fill(BytesInput page, int n, int usual) throws IOException {
            if (bytes.length < n || bytes.length > 2L * usual + (1 << 16) && n <= usual) {
                bytes = new byte[n];
            }
            size = 0;
            page.writeAllTo(this);
            if (size != n) {
                throw new IOException("a page of " + n + " bytes wrote " + size);
            }
            return bytes;
        }

        void release() {
            bytes = new byte[0];
        }

        @Override
        public void write(int b) {
            bytes[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }
    }
}
