package org.bandalign.job;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.CRC32;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.format.DataPageHeader;
import org.apache.parquet.format.DataPageHeaderV2;
import org.apache.parquet.format.DictionaryPageHeader;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.SeekableInputStream;

/**
 * The pages of one column chunk read from the file one at a time, as they are asked for, where
 * parquet-mr's {@code readRowGroup} reads a row group's chunk whole before its first page.
 *
 * <p>Why. A row group is as large as its writer made it: pyarrow's default is a million rows, so
 * a file of a few thousand score tensors is often one row group of gigabytes, which a task would
 * hold whole while it reads. Read a page at a time, the scores take a page and the row being
 * read, whatever the row group.
 *
 * <p>Design. The chunk's bytes are read in order from where its metadata says it starts,
 * through a 64 KiB buffer: a page header (Parquet's Thrift struct, read by parquet-format's own
 * {@link Util#readPageHeader}), then the page's bytes in one read, decompressed by the codec the
 * chunk names (the same decompressors as parquet-mr's reader, {@link SnappyPages} for Snappy).
 * A dictionary page is read when it is asked for, which must be before the first data page is
 * read or peeked at (else it is passed over); index pages are skipped; pages end once
 * the chunk's values are read. A data page too large to hold whole may instead be handed out as a
 * stream ({@link #streamNextPage}): its stored bytes read through a view that ends with the page
 * and decompressed as they are read ({@link SnappyStream}, {@link Lz4Stream}, the JDK's gzip, zstd-jni's stream),
 * what of it the reader leaves unread passed over before the next header. Where {@code parquet.page.verify-checksum.enabled} is set, a page
 * with a CRC in its header is checked against it, as parquet-mr checks it. Encrypted chunks are
 * not read here (their headers and pages need the file's decryptors): {@link ParquetScores}
 * reads those through parquet-mr. Statistics are not read (the pages carry empty ones). Not
 * thread-safe; reads from {@code file}, which the caller closes.
 */
final class StreamedPages implements FloatListChunk.PeekablePages {
    /** Chunks read here since the JVM started (tests: that pages were streamed, not read with their row group). */
    static final java.util.concurrent.atomic.AtomicLong CHUNKS = new java.util.concurrent.atomic.AtomicLong();

    /** Pages read as a stream since the JVM started (tests: that a page too large to hold was streamed). */
    static final java.util.concurrent.atomic.AtomicLong PAGES_STREAMED = new java.util.concurrent.atomic.AtomicLong();

    /** What is read ahead of a page: its header, in several small reads. */
    private static final int BUFFER_BYTES = 64 << 10;

    private final InputStream in;
    private final ColumnChunkMetaData chunk;
    private final CompressionCodecFactory.BytesInputDecompressor decompressor;
    private final boolean verifyChecksums;
    private final long totalValues;
    /** The dictionary page's header while its page is still to be read ({@link #readDictionaryPage}); else null. */
    private PageHeader dictionaryHeader;
    /** Whether the dictionary page was read, or passed over ({@link #readDictionaryPage} then fails). */
    private boolean dictionaryGone;
    /** The next page's header where it is read before its page: the first, while looking for the dictionary, or a peek ({@link #nextPageBytes}). */
    private PageHeader pending;
    /** A page handed out as a stream ({@link #streamNextPage}), whose stored bytes not read yet are passed over before the next header. */
    private Bounded streaming;
    private long valuesRead;
    private long bytesLeft;

    /**
     * The pages of {@code chunk}, read from {@code file} (seeked to the chunk's start here),
     * decompressed by {@code decompressor} (the chunk's codec's).
     */
    StreamedPages(SeekableInputStream file, ColumnChunkMetaData chunk, CompressionCodecFactory.BytesInputDecompressor decompressor,
                  boolean verifyChecksums) throws IOException {
        this.chunk = chunk;
        this.decompressor = decompressor;
        this.verifyChecksums = verifyChecksums;
        this.totalValues = chunk.getValueCount();
        file.seek(chunk.getStartingPos());
        this.in = new BufferedInputStream(file, BUFFER_BYTES);
        this.bytesLeft = chunk.getTotalSize();
        PageHeader first = totalValues > 0 || bytesLeft > 0 ? nextHeader() : null;
        if (first != null && first.isSetDictionary_page_header()) {
            dictionaryHeader = first;
        } else {
            pending = first;
        }
        CHUNKS.incrementAndGet();
    }

    /**
     * The chunk's dictionary page, read from the file now (null where the chunk has none). It is
     * read once, and only before the first data page is read or peeked at: the caller decodes it
     * and keeps what it needs, so that its bytes are not held while the chunk is read.
     *
     * @throws IllegalStateException where it was read or passed over already
     */
    @Override
    public DictionaryPage readDictionaryPage() {
        if (dictionaryHeader == null) {
            if (dictionaryGone) {
                throw new IllegalStateException("the dictionary page of " + chunk.getPath()
                        + " is read once, before the chunk's data pages, and that time is past");
            }
            return null;
        }
        PageHeader header = dictionaryHeader;
        dictionaryHeader = null;
        dictionaryGone = true;
        try {
            return dictionaryPage(header);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the dictionary page of " + chunk.getPath() + ": " + e.getMessage(), e);
        }
    }

    /**
     * What reading the dictionary page and decoding it holds at its peak, from its header alone
     * (none of its bytes are read yet): its bytes as stored and decompressed, and its values
     * decoded ({@link FloatListChunk}: floats, or doubles and the floats they narrow to), as
     * {@link #peak} counts them; 0 where the chunk has none or it is read.
     */
    @Override
    public long dictionaryBytes() {
        if (dictionaryHeader == null) {
            return 0;
        }
        long stored = dictionaryHeader.getCompressed_page_size();
        long size = dictionaryHeader.getUncompressed_page_size();
        long values = Math.max(0, dictionaryHeader.getDictionary_page_header().getNum_values());
        long decoded = values * (chunk.getPrimitiveType().getPrimitiveTypeName()
                == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.DOUBLE ? Double.BYTES + Float.BYTES : Float.BYTES);
        return peak(stored, size, decoded, true);
    }

    /**
     * What a page of {@code stored} bytes, {@code size} decompressed, holds at its peak with
     * {@code made} bytes more made from it: read as stored, its bytes and what is made;
     * decompressed by Snappy ({@link SnappyPages}) or zstd (which parquet-mr copies out of its
     * stream) into an array of its own, its bytes and the larger of the stored bytes and what is
     * made; by parquet-mr's other decompressors, which read the stored bytes as the page is read
     * and keep them with it, all three.
     */
    private long peak(long stored, long size, long made, boolean compressed) {
        CompressionCodecName codec = chunk.getCodec();
        if (!compressed || codec == CompressionCodecName.UNCOMPRESSED) {
            return size + made;
        }
        if (codec == CompressionCodecName.SNAPPY || codec == CompressionCodecName.ZSTD) {
            return size + Math.max(stored, made);
        }
        return stored + size + made;
    }

    @Override
    public long getTotalValueCount() {
        return totalValues;
    }

    @Override
    public DataPage readPage() {
        try {
            PageHeader header = nextDataHeader();
            pending = null;
            if (header == null) {
                return null;
            }
            return header.isSetData_page_header() ? dataPage(header, header.getData_page_header())
                    : dataPageV2(header, header.getData_page_header_v2());
        } catch (IOException e) {
            throw new UncheckedIOException("reading a page of " + chunk.getPath() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The heap that reading the next data page takes at its peak, from its header alone (none
     * of its bytes are read yet): its bytes as stored and decompressed ({@link #peak}; its values
     * are read from them as rows ask, byte-stream split values gathered, dictionary indices
     * decoded, never held apart: {@link FloatListChunk}); 0 where no page is left.
     */
    @Override
    public long nextPageBytes() {
        PageHeader header = peek();
        if (header == null) {
            return 0;
        }
        long stored = header.getCompressed_page_size();
        long size = header.getUncompressed_page_size();
        boolean compressed = header.isSetData_page_header() || !header.getData_page_header_v2().isSetIs_compressed()
                || header.getData_page_header_v2().isIs_compressed();
        return peak(stored, size, 0, compressed);
    }

    /**
     * What reading the next data page as a stream holds ({@link #streamNextPage}), from its
     * header alone: the decompressor's buffers, and its levels, which are read whole (a version-2
     * page says their size; a version-1 page's are counted at 4 bits an entry, beyond what
     * writers use for lists of floats); -1 where it cannot be streamed
     * ({@link #nextPageHeldWholeBecause}); 0 where no page is left.
     */
    @Override
    public long nextPageStreamBytes() {
        PageHeader header = peek();
        if (header == null) {
            return 0;
        }
        if (nextPageHeldWholeBecause() != null) {
            return -1;
        }
        long levels = header.isSetData_page_header_v2()
                ? (long) header.getData_page_header_v2().getRepetition_levels_byte_length()
                        + header.getData_page_header_v2().getDefinition_levels_byte_length()
                : Math.max(0, header.getData_page_header().getNum_values()) / 2;
        return streamBuffers(header) + levels;
    }

    /** What the chunk's codec's stream holds while it decompresses the page of {@code header} ({@link #decompressing}). */
    private long streamBuffers(PageHeader header) {
        return switch (chunk.getCodec()) {
            case SNAPPY -> SnappyStream.bufferBytes(Math.max(0, header.getUncompressed_page_size()));
            case GZIP -> 64 << 10;
            case ZSTD -> 256 << 10;   // (zstd-jni's buffers; its window is native memory)
            case LZ4_RAW -> Lz4Stream.bufferBytes(Math.max(0, header.getUncompressed_page_size()));
            default -> 0;   // (uncompressed)
        };
    }

    /**
     * Why the next data page cannot be read as a stream, only whole: its codec decompresses only
     * whole pages here (Hadoop's framed LZ4, Brotli, LZO), its values are byte-stream split
     * (gathered from streams across the whole page), or its CRC is to be checked; null where it can be, or no
     * page is left.
     */
    @Override
    public String nextPageHeldWholeBecause() {
        PageHeader header = peek();
        if (header == null) {
            return null;
        }
        org.apache.parquet.format.Encoding encoding = header.isSetData_page_header() ? header.getData_page_header().getEncoding()
                : header.getData_page_header_v2().getEncoding();
        return encoding == org.apache.parquet.format.Encoding.BYTE_STREAM_SPLIT && streamableCodec()
                ? "its values are byte-stream split, each gathered from streams across the whole page (written without it, a "
                        + "page is read as a stream)"
                : heldWholeBecause(header);
    }

    /** Whether the chunk's codec decompresses as its bytes come here ({@link #decompressing}). */
    private boolean streamableCodec() {
        return switch (chunk.getCodec()) {
            case UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW -> true;
            default -> false;
        };
    }

    /** Why the page of {@code header}, whatever it holds, cannot be read as a stream: its codec, or its CRC to check; else null. */
    private String heldWholeBecause(PageHeader header) {
        if (!streamableCodec()) {
            return "its codec, " + chunk.getCodec() + ", is decompressed only whole here (pages without compression, or "
                    + "compressed with snappy, gzip, zstd or lz4_raw, are read as a stream)";
        }
        return verifyChecksums && header.isSetCrc()
                ? "its checksum is verified (parquet.page.verify-checksum.enabled), which takes the whole page" : null;
    }

    /**
     * What reading the chunk's dictionary page whole holds at its peak, its values not decoded
     * (its bytes as stored and decompressed, {@link #peak}); 0 where the chunk has none or it is
     * read.
     */
    long dictionaryPageBytes() {
        return dictionaryHeader == null ? 0
                : peak(dictionaryHeader.getCompressed_page_size(), dictionaryHeader.getUncompressed_page_size(), 0, true);
    }

    /** The dictionary page's size decompressed, from its header; 0 where the chunk has none or it is read. */
    long dictionaryPageSize() {
        return dictionaryHeader == null ? 0 : Math.max(0, dictionaryHeader.getUncompressed_page_size());
    }

    /**
     * Why the chunk's dictionary page cannot be read as a stream ({@link #streamDictionaryPage}),
     * in words; null where it can be, or the chunk has none or it is read.
     */
    String dictionaryHeldWholeBecause() {
        return dictionaryHeader == null ? null : heldWholeBecause(dictionaryHeader);
    }

    /**
     * The chunk's dictionary page as a stream of its bytes decompressed, where it can be read so
     * ({@link #dictionaryHeldWholeBecause} null): its values, {@code entries} of them, plain. What
     * of it is not read is passed over before the first data page. Like
     * {@link #readDictionaryPage}, once and before the first data page.
     *
     * @throws IllegalStateException where the chunk has no dictionary page, it is read or passed over, or it cannot be streamed
     */
    FloatListChunk.PageStream streamDictionaryPage() {
        if (dictionaryHeader == null) {
            throw new IllegalStateException("no dictionary page of " + chunk.getPath() + " is left to read");
        }
        if (heldWholeBecause(dictionaryHeader) != null) {
            throw new IllegalStateException("the dictionary page of " + chunk.getPath() + " cannot be read as a stream");
        }
        PageHeader header = dictionaryHeader;
        dictionaryHeader = null;
        dictionaryGone = true;
        int size = header.getCompressed_page_size();
        try {
            if (size > bytesLeft) {
                throw corrupt("a dictionary page of " + size + " bytes where the column chunk has " + bytesLeft + " left");
            }
            bytesLeft -= size;
            streaming = new Bounded(in, size);
            DictionaryPageHeader d = header.getDictionary_page_header();
            return new FloatListChunk.PageStream(d.getNum_values(), encoding(d.getEncoding()), null, null, null, null,
                    decompressing(streaming, true, header.getUncompressed_page_size()));
        } catch (IOException e) {
            throw new UncheckedIOException("reading the dictionary page of " + chunk.getPath() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The next data page as a stream of its bytes decompressed, where it can be
     * ({@link #nextPageStreamBytes} not -1): for a page too large to hold whole, whose rows are
     * read, or passed over, as its bytes come. What of it is not read is passed over before the
     * next page. Not for a page whose CRC is to be checked (see {@link #nextPageStreamBytes}).
     *
     * @throws IllegalStateException where no page is left or it cannot be streamed
     */
    @Override
    public FloatListChunk.PageStream streamNextPage() {
        if (nextPageStreamBytes() < 0) {
            throw new IllegalStateException("the next page of " + chunk.getPath() + " cannot be read as a stream");
        }
        PageHeader header = peek();
        if (header == null) {
            throw new IllegalStateException("no page of " + chunk.getPath() + " is left");
        }
        pending = null;
        PAGES_STREAMED.incrementAndGet();
        int size = header.getCompressed_page_size();
        try {
            if (size > bytesLeft) {
                throw corrupt("a page of " + size + " bytes where the column chunk has " + bytesLeft + " left");
            }
            bytesLeft -= size;
            streaming = new Bounded(in, size);
            if (header.isSetData_page_header()) {
                DataPageHeader d = header.getData_page_header();
                valuesRead += d.getNum_values();
                return new FloatListChunk.PageStream(d.getNum_values(), encoding(d.getEncoding()), null, null,
                        encoding(d.getRepetition_level_encoding()), encoding(d.getDefinition_level_encoding()),
                        decompressing(streaming, true, header.getUncompressed_page_size()));
            }
            DataPageHeaderV2 d = header.getData_page_header_v2();
            valuesRead += d.getNum_values();
            int repetition = d.getRepetition_levels_byte_length();
            int definition = d.getDefinition_levels_byte_length();
            if (repetition < 0 || definition < 0 || (long) repetition + definition > size) {
                throw corrupt("a version-2 page of " + size + " bytes with levels of " + repetition + " and " + definition);
            }
            byte[] r = streaming.readNBytes(repetition);
            byte[] l = streaming.readNBytes(definition);
            return new FloatListChunk.PageStream(d.getNum_values(), encoding(d.getEncoding()), r, l, Encoding.RLE, Encoding.RLE,
                    decompressing(streaming, !d.isSetIs_compressed() || d.isIs_compressed(),
                            (long) header.getUncompressed_page_size() - repetition - definition));
        } catch (IOException e) {
            throw new UncheckedIOException("reading a page of " + chunk.getPath() + ": " + e.getMessage(), e);
        }
    }

    /** {@code stored} decompressed by the chunk's codec as it is read, where {@code compressed}, to {@code length} bytes. */
    private InputStream decompressing(InputStream stored, boolean compressed, long length) throws IOException {
        if (!compressed) {
            return stored;
        }
        return switch (chunk.getCodec()) {
            case UNCOMPRESSED -> stored;
            case SNAPPY -> new SnappyStream(stored);
            case GZIP -> new java.util.zip.GZIPInputStream(stored, 64 << 10);
            case ZSTD -> new com.github.luben.zstd.ZstdInputStream(stored);
            case LZ4_RAW -> new Lz4Stream(stored, Math.max(0, length));
            default -> throw new IllegalStateException("a " + chunk.getCodec() + " page cannot be read as a stream");
        };
    }

    @Override
    public boolean nextPageStartsARow() {
        PageHeader header = peek();
        return header != null && (header.isSetData_page_header_v2() || chunk.getOffsetIndexReference() != null);
    }

    /** {@link #nextDataHeader}, read ahead of its page. */
    private PageHeader peek() {
        try {
            return nextDataHeader();
        } catch (IOException e) {
            throw new UncheckedIOException("reading a page header of " + chunk.getPath() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The header of the next data page ({@link #pending}), the index pages before it skipped;
     * null where the chunk's values are all read, or its bytes.
     */
    private PageHeader nextDataHeader() throws IOException {
        if (dictionaryHeader != null) {   // (not asked for: passed over)
            pending = dictionaryHeader;
            dictionaryHeader = null;
            dictionaryGone = true;
        }
        while (valuesRead < totalValues) {
            if (pending == null) {
                pending = nextHeader();
                if (pending == null) {
                    return null;
                }
            }
            if (pending.isSetData_page_header() || pending.isSetData_page_header_v2()) {
                return pending;
            }
            skip(pending.getCompressed_page_size());   // (an index page, or a dictionary where none belongs)
            pending = null;
        }
        return null;
    }

    /** The next page's header, or null where the chunk's bytes are all read. */
    private PageHeader nextHeader() throws IOException {
        if (streaming != null) {
            streaming.passOver();
            streaming = null;
        }
        if (bytesLeft <= 0) {
            return null;
        }
        Counting counting = new Counting(in);
        PageHeader header = Util.readPageHeader(counting);
        bytesLeft -= counting.count;
        if (header.getCompressed_page_size() < 0 || header.getUncompressed_page_size() < 0) {
            throw corrupt("a page header with sizes " + header.getCompressed_page_size() + " and " + header.getUncompressed_page_size());
        }
        return header;
    }

    private DictionaryPage dictionaryPage(PageHeader header) throws IOException {
        DictionaryPageHeader d = header.getDictionary_page_header();
        byte[] stored = pageBytes(header);
        return new DictionaryPage(decompress(stored, header.getUncompressed_page_size()), header.getUncompressed_page_size(),
                d.getNum_values(), encoding(d.getEncoding()));
    }

    private DataPage dataPage(PageHeader header, DataPageHeader d) throws IOException {
        byte[] stored = pageBytes(header);
        valuesRead += d.getNum_values();
        return new DataPageV1(decompress(stored, header.getUncompressed_page_size()), d.getNum_values(),
                header.getUncompressed_page_size(), Statistics.getBuilderForReading(chunk.getPrimitiveType()).build(),
                encoding(d.getRepetition_level_encoding()), encoding(d.getDefinition_level_encoding()), encoding(d.getEncoding()));
    }

    private DataPage dataPageV2(PageHeader header, DataPageHeaderV2 d) throws IOException {
        byte[] stored = pageBytes(header);
        int repetition = d.getRepetition_levels_byte_length();
        int definition = d.getDefinition_levels_byte_length();
        int dataStored = stored.length - repetition - definition;
        int dataSize = header.getUncompressed_page_size() - repetition - definition;
        if (repetition < 0 || definition < 0 || dataStored < 0 || dataSize < 0) {
            throw corrupt("a version-2 page of " + stored.length + " bytes with levels of " + repetition + " and " + definition);
        }
        valuesRead += d.getNum_values();
        BytesInput data = BytesInput.from(stored, repetition + definition, dataStored);
        if (!d.isSetIs_compressed() || d.isIs_compressed()) {
            data = decompressor.decompress(data, dataSize);
        }
        // (the levels copied out, so that the stored bytes go once decompressed: see peak)
        return DataPageV2.uncompressed(d.getNum_rows(), d.getNum_nulls(), d.getNum_values(),
                BytesInput.from(java.util.Arrays.copyOfRange(stored, 0, repetition)),
                BytesInput.from(java.util.Arrays.copyOfRange(stored, repetition, repetition + definition)), encoding(d.getEncoding()), data,
                Statistics.getBuilderForReading(chunk.getPrimitiveType()).build());
    }

    /** A page's bytes as stored, checked against its header's CRC where asked to. */
    private byte[] pageBytes(PageHeader header) throws IOException {
        int size = header.getCompressed_page_size();
        if (size > bytesLeft) {
            throw corrupt("a page of " + size + " bytes where the column chunk has " + bytesLeft + " left");
        }
        byte[] stored = in.readNBytes(size);
        if (stored.length != size) {
            throw corrupt("the file ends inside a page of " + size + " bytes");
        }
        bytesLeft -= size;
        if (verifyChecksums && header.isSetCrc()) {
            CRC32 crc = new CRC32();
            crc.update(stored);
            if ((int) crc.getValue() != header.getCrc()) {
                throw corrupt("a page whose bytes do not match the CRC in its header");
            }
        }
        return stored;
    }

    private BytesInput decompress(byte[] stored, int uncompressedSize) throws IOException {
        return decompressor.decompress(BytesInput.from(stored), uncompressedSize);
    }

    private void skip(long bytes) throws IOException {
        if (bytes > bytesLeft) {
            throw corrupt("a page of " + bytes + " bytes where the column chunk has " + bytesLeft + " left");
        }
        in.skipNBytes(bytes);
        bytesLeft -= bytes;
    }

    private static Encoding encoding(org.apache.parquet.format.Encoding e) {
        return Encoding.valueOf(e.name());   // (as parquet-mr's metadata converter maps them)
    }

    private IllegalStateException corrupt(String what) {
        return new IllegalStateException("corrupt Parquet column chunk " + chunk.getPath() + ": " + what);
    }

    /** The next {@code size} bytes of {@code in}: a page read as a stream. */
    private static final class Bounded extends java.io.FilterInputStream {
        private long left;

        Bounded(InputStream in, long size) {
            super(in);
            this.left = size;
        }

        @Override
        public int read() throws IOException {
            if (left == 0) {
                return -1;
            }
            int b = super.read();
            if (b < 0) {
                throw new java.io.EOFException("the file ends inside a page");
            }
            left--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return len == 0 ? 0 : -1;
            }
            int n = super.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new java.io.EOFException("the file ends inside a page");
            }
            left -= n;
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(Math.min(n, left));
            left -= skipped;
            return skipped;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(left, super.available());
        }

        @Override
        public void close() {
            // (the file's stream is the chunk's, closed by its owner)
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        /** Passes over what is left of the page. */
        void passOver() throws IOException {
            in.skipNBytes(left);
            left = 0;
        }
    }

    /** Counts the bytes a header's reader takes. */
    private static final class Counting extends java.io.FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
