package org.bandalign.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.BitSet;
import java.util.Set;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.bandalign.align.InvalidPairException;

/**
 * The rows of one Parquet column chunk of binary scores (a top-level {@code BINARY} or
 * {@code FIXED_LEN_BYTE_ARRAY} column, each value a tensor as little-endian float32 bytes), read
 * from their pages' bytes straight into floats as the bytes come: the binary counterpart of
 * {@link FloatListChunk}.
 *
 * <p>Why. parquet-mr's column reader holds a page whole, as stored and decompressed, and a
 * chunk's dictionary page whole for as long as the chunk is read. pyarrow dictionary-encodes
 * binaries by default and ends a page only after a batch of 1,024 values, so its default write
 * of 200 x 200 tensors (480 KB each) holds a dictionary page of 491 MB and data pages as large:
 * read by parquet-mr, two tasks ran out of memory at {@code -Xmx2g}.
 *
 * <p>Design. Each entry of a chunk is a row: a definition level where the column is optional
 * (below it, the row's scores are null) and, where set, a value. A data page of at most
 * {@link #WHOLE_PAGE_BYTES} (as stored and decompressed) that fits beside the row is read whole;
 * a larger one is read as a stream where {@link StreamedPages} can stream it (its codec
 * decompresses as its bytes come and no CRC is to be checked). Either way its definition levels
 * are decoded first (at most a few bytes a row), then its values in order, each read through a
 * window of {@link #WINDOW_BYTES} into the row's floats, or passed over for a row skipped.
 * Plain values are a 4-byte length and the bytes ({@code BINARY}) or the type's length of bytes
 * ({@code FIXED_LEN_BYTE_ARRAY}); dictionary indices are decoded from the same window
 * ({@link FloatListChunk.Hybrid}) as rows ask. A large page that cannot be streamed is weighed
 * from its header and refuses the rows that need it where it does not fit.
 *
 * <p>The dictionary page is kept whole where it is at most {@link #HELD_DICTIONARY_BYTES}
 * decompressed and fits beside the row (the size check); a larger one is written, as its
 * bytes are decompressed, to a scratch file in the first of Spark's local directories
 * ({@link ScratchFiles#directory()}: {@code spark.local.dir} or what overrides it; else the JVM's
 * temporary directory), its values then read from
 * there by offset, and the file deleted once the chunk is done ({@link #release}); one kept on
 * the heap moves there where a later page or row does not fit beside it. A
 * dictionary that can be neither (its codec decompresses only whole pages here) is weighed
 * whole and refuses the row where it does not fit.
 *
 * <p>Values encoded plain or by dictionary, levels RLE or (deprecated) bit-packed: a chunk in
 * other encodings (the DELTA ones, byte-stream split) is read by parquet-mr's column reader
 * ({@link ParquetScores}). A row is checked as {@link ParquetScores} checks a binary read by
 * parquet-mr: the size check on its length first, then a length that is no whole number of
 * floats rejected ({@link PairDecoder#unpack(String, ByteBuffer)}'s words). A page that
 * contradicts itself (a value that runs past its page, an index beyond the dictionary) fails
 * the read with {@link IllegalStateException}, as a corrupt file fails Spark's reader.
 * Not thread-safe.
 */
final class BinaryChunk implements ParquetScores.Rows {
    /** The window values and indices are read through. */
    private static final int WINDOW_BYTES = 64 << 10;

    /** A window of indices is moved on once fewer than this are left in it (more than a {@link FloatListChunk.Hybrid#nextRun} reads). */
    private static final int REFILL_BYTES = 8 << 10;

    /** The largest page read whole (as stored and decompressed); a larger one is read as a stream where it can be. */
    static final long WHOLE_PAGE_BYTES = 4L << 20;

    /** The largest dictionary kept on the heap, decompressed; a larger one is read from a scratch file. */
    static final long HELD_DICTIONARY_BYTES = 4L << 20;

    /** The encodings this reader reads: values plain or by dictionary, levels RLE or bit-packed. */
    static final Set<Encoding> SUPPORTED = Set.of(Encoding.PLAIN, Encoding.RLE, Encoding.BIT_PACKED, Encoding.PLAIN_DICTIONARY,
            Encoding.RLE_DICTIONARY);

    /** Chunks read here since the JVM started (tests: that this reader ran). */
    static final java.util.concurrent.atomic.AtomicLong CHUNKS = new java.util.concurrent.atomic.AtomicLong();

    /** Dictionaries written to a scratch file since the JVM started (tests: that a large one was). */
    static final java.util.concurrent.atomic.AtomicLong SPILLED = new java.util.concurrent.atomic.AtomicLong();

    private final PageReader pages;
    private final boolean optional;
    /** The bytes of a {@code FIXED_LEN_BYTE_ARRAY} value; -1 for {@code BINARY}, whose values say their length. */
    private final int fixedLength;
    private final String path;
    private long entriesInLaterPages;
    private long rowsBegun;

    /** The current page: its entries, the next one, the null ones, its values' stream and encoding. */
    private int pageEntries;
    private int position;
    private final BitSet nulls = new BitSet();
    private InputStream values;
    private boolean dictionaryEncoded;
    /** What the current page holds while it is read: its buffers and levels, or its bytes where read whole. */
    private long pageHeld;
    private final byte[] window = new byte[WINDOW_BYTES];
    /** Of a dictionary-encoded page, its indices' decoder over {@link #window}, and whether the page's bytes are all in it. */
    private final FloatListChunk.Hybrid indices = new FloatListChunk.Hybrid();
    private boolean indicesEnded;

    /** Whether the dictionary page, if any, is read (before the first data page). */
    private boolean dictionaryRead;
    /** The dictionary's values: where each starts (in {@link #held} or {@link #scratch}) and its length; null: none. */
    private long[] dictionaryStarts;
    private int[] dictionaryLengths;
    private ByteBuffer held;
    private ScratchFiles.Scratch scratch;
    /** What values are read from the scratch file through (the window may hold a page's indices meanwhile). */
    private byte[] scratchWindow;

    /** The rows of one column chunk, its pages from {@code pages}; {@code column} is the top-level binary scores leaf. */
    BinaryChunk(PageReader pages, ColumnDescriptor column) {
        PrimitiveTypeName type = column.getPrimitiveType().getPrimitiveTypeName();
        if (column.getMaxRepetitionLevel() != 0 || column.getMaxDefinitionLevel() > 1
                || type != PrimitiveTypeName.BINARY && type != PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY) {
            throw new IllegalArgumentException("not a top-level binary column: " + column);
        }
        this.pages = pages;
        this.optional = column.getMaxDefinitionLevel() == 1;
        this.fixedLength = type == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY ? column.getPrimitiveType().getTypeLength() : -1;
        this.path = String.join(".", column.getPath());
        this.entriesInLaterPages = pages.getTotalValueCount();
        CHUNKS.incrementAndGet();
    }

    /** Whether a chunk stored in {@code encodings} is read here. */
    static boolean reads(Set<Encoding> encodings) {
        return SUPPORTED.containsAll(encodings);
    }

    @Override
    public long rowsBegun() {
        return rowsBegun;
    }

    @Override
    public void skipRow(String id, ParquetScores.SizeCheck fits) {
        begin(id, fits);
        try {
            if (nulls.get(position)) {
                return;
            }
            if (dictionaryEncoded) {
                nextIndex();
            } else {
                skipBytes(valueLength());
            }
        } finally {
            position++;
        }
    }

    @Override
    public float[] readRow(String id, long expected, ParquetScores.SizeCheck fits) {
        begin(id, fits);
        try {
            if (nulls.get(position)) {
                return null;
            }
            if (dictionaryEncoded) {
                int index = nextIndex();
                int length = dictionaryLengths[index];
                check(id, length, fits);
                long start = dictionaryStarts[index];   // (after the check, which may move the dictionary to a scratch file)
                return held != null ? floats(held.duplicate().position((int) start).limit((int) (start + length)))
                                : scratchFloats(start, length);
            }
            long length = valueLength();
            try {
                check(id, length, fits);
            } catch (InvalidPairException refused) {
                skipBytes(length);   // (its bytes passed over: the next row reads as usual)
                throw refused;
            }
            float[] row = new float[(int) (length / 4)];
            readFloats(row);
            return row;
        } finally {
            position++;
        }
    }

    /**
     * Starts the next row: the next page loaded where the current one is read (the dictionary
     * before the first), each weighed by {@code fits} as pair {@code id}'s; the row counts as
     * begun once its page is there.
     */
    private void begin(String id, ParquetScores.SizeCheck fits) {
        while (position == pageEntries) {
            if (entriesInLaterPages == 0) {
                throw new IllegalStateException("no row is left in the column chunk " + path);
            }
            readDictionaryIfDue(id, fits);
            release(false);
            loadPage(id, fits);
        }
        rowsBegun++;
    }

    /**
     * {@code fits} asked whether a value of {@code length} bytes fits beside what is held, then
     * the length refused where it is no whole number of floats (in that order, as a binary read
     * by parquet-mr is checked).
     */
    private void check(String id, long length, ParquetScores.SizeCheck fits) {
        fitsBesideDictionary(id, length / 4, pageHeld, fits);
        if (length % 4 != 0) {
            throw new InvalidPairException(id, "binary scores hold " + length + " bytes, not a whole number of little-endian float32 values");
        }
    }

    /**
     * {@code fits} asked whether {@code floats} and {@code bytes} fit beside the dictionary; where
     * they do not and the dictionary is on the heap, it is moved to a scratch file and
     * {@code fits} asked again.
     */
    private void fitsBesideDictionary(String id, long floats, long bytes, ParquetScores.SizeCheck fits) {
        if (fits == null) {
            return;
        }
        try {
            fits.check(id, floats, bytes + dictionaryHeld());
        } catch (InvalidPairException tooLarge) {
            if (held == null) {
                throw tooLarge;
            }
            moveDictionaryToScratch();
            fits.check(id, floats, bytes + dictionaryHeld());
        }
    }

    /** What the dictionary holds for the rest of the chunk: its bytes on the heap, or its values' offsets. */
    private long dictionaryHeld() {
        return (held == null ? 0 : held.capacity()) + (dictionaryStarts == null ? 0 : 12L * dictionaryStarts.length)
                + (scratchWindow == null ? 0 : scratchWindow.length);
    }

    /** Reads the chunk's dictionary page, if it has one and it is not read yet ({@link BinaryChunk}'s note says where it goes). */
    private void readDictionaryIfDue(String id, ParquetScores.SizeCheck fits) {
        if (dictionaryRead) {
            return;
        }
        if (pages instanceof StreamedPages streamed && streamed.dictionaryPageSize() > 0) {
            InvalidPairException refused = null;
            if (fits != null) {
                try {
                    fits.check(id, 0, streamed.dictionaryPageBytes());
                } catch (InvalidPairException tooLarge) {
                    refused = tooLarge;
                }
            }
            String heldWhole = streamed.dictionaryHeldWholeBecause();
            if ((refused != null || streamed.dictionaryPageSize() > HELD_DICTIONARY_BYTES) && heldWhole == null) {
                dictionaryRead = true;
                spill(streamed.streamDictionaryPage());
                return;
            }
            if (refused != null) {
                String reason = refused.reason() + "; the column chunk's dictionary is read whole, as " + heldWhole;
                throw refused.isHeapLimit() ? InvalidPairException.tooLargeForFreeHeap(refused.pairId(), reason)
                        : new InvalidPairException(refused.pairId(), reason);
            }
        }
        dictionaryRead = true;   // (not before: a dictionary refused by the size check is weighed again for the next row)
        DictionaryPage page = pages.readDictionaryPage();
        if (page == null) {
            return;
        }
        try {
            ByteBuffer bytes = page.getBytes().toByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
            long[] starts = new long[page.getDictionarySize()];
            int[] lengths = new int[starts.length];
            int at = 0;
            for (int k = 0; k < page.getDictionarySize(); k++) {
                int length = fixedLength;
                if (fixedLength < 0) {
                    if (at + 4 > bytes.limit()) {
                        throw corrupt("a dictionary page that ends before its value " + k);
                    }
                    length = bytes.getInt(at);
                    at += 4;
                }
                if (length < 0 || at + (long) length > bytes.limit()) {
                    throw corrupt("a dictionary value of " + length + " bytes where its page has " + (bytes.limit() - at) + " left");
                }
                starts[k] = at;
                lengths[k] = length;
                at += length;
            }
            dictionaryStarts = starts;
            dictionaryLengths = lengths;
            held = bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the dictionary page of " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes the dictionary's values, as its page's bytes are decompressed, to a scratch file,
     * noting where each starts.
     */
    private void spill(FloatListChunk.PageStream page) {
        int entries = page.entries();
        if (entries < 0) {
            throw corrupt("a dictionary of " + entries + " values");
        }
        long[] starts = new long[entries];
        int[] lengths = new int[entries];
        try (InputStream in = page.data()) {
            java.io.OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(openScratch()),
                    WINDOW_BYTES);
            long at = 0;
            for (int k = 0; k < entries; k++) {
                int length = fixedLength >= 0 ? fixedLength : lengthFrom(in, "dictionary value " + k);
                starts[k] = at;
                lengths[k] = length;
                copy(in, out, length, "dictionary value " + k);
                at += length;
            }
            out.flush();   // (not closed: that would close the channel, which the values are read through)
        } catch (IOException e) {
            throw scratchFailed(e);
        }
        dictionaryStarts = starts;
        dictionaryLengths = lengths;
    }

    /**
     * Moves the dictionary held on the heap to a scratch file, where what a page or a row needs
     * does not fit beside it (a dictionary is kept on the heap where it fits when it is read, and
     * may fill the room that later pages need).
     */
    private void moveDictionaryToScratch() {
        try {
            FileChannel channel = openScratch();
            long at = 0;
            for (int k = 0; k < dictionaryStarts.length; k++) {
                ByteBuffer value = held.duplicate();
                value.limit((int) dictionaryStarts[k] + dictionaryLengths[k]).position((int) dictionaryStarts[k]);
                while (value.hasRemaining()) {
                    channel.write(value);
                }
                dictionaryStarts[k] = at;
                at += dictionaryLengths[k];
            }
        } catch (IOException e) {
            throw scratchFailed(e);
        }
        held = null;
    }

    /** A new scratch file, open to write and read, with the window its values are read through. */
    private FileChannel openScratch() throws IOException {
        scratch = ScratchFiles.create();
        scratchWindow = new byte[WINDOW_BYTES];
        SPILLED.incrementAndGet();
        return scratch.channel;
    }

    /** {@code e}, from writing the dictionary to a scratch file, saying where; the file deleted. */
    private UncheckedIOException scratchFailed(IOException e) {
        String where = scratch == null ? "in " + ScratchFiles.directory() : scratch.file.toString();
        release(true);
        return new UncheckedIOException("writing the dictionary page of " + path + " to a scratch file (" + where + "; Spark's "
                + "spark.local.dir says where): " + e.getMessage(), e);
    }

    /** Copies {@code length} bytes of {@code in} to {@code out}, through the window. */
    private void copy(InputStream in, java.io.OutputStream out, long length, String what) throws IOException {
        for (long left = length; left > 0; ) {
            int n = in.readNBytes(window, 0, (int) Math.min(left, window.length));
            if (n == 0) {
                throw corrupt("a page that ends inside its " + what);
            }
            out.write(window, 0, n);
            left -= n;
        }
    }

    /**
     * Loads the next data page, weighed by {@code fits} (where not null) as pair {@code id}'s:
     * whole where it holds at most {@link #WHOLE_PAGE_BYTES} and fits, else as a stream where it
     * can be read so and that fits.
     */
    private void loadPage(String id, ParquetScores.SizeCheck fits) {
        if (pages instanceof FloatListChunk.PeekablePages peekable) {
            long bytes = peekable.nextPageBytes();
            long streamBytes = peekable.nextPageStreamBytes();
            boolean whole = bytes <= WHOLE_PAGE_BYTES || streamBytes < 0;
            InvalidPairException refused = null;
            if (whole && fits != null && bytes > 0) {
                try {
                    fits.check(id, 0, bytes + dictionaryHeld());
                } catch (InvalidPairException tooLarge) {
                    refused = tooLarge;
                }
            }
            if (refused != null && streamBytes < 0) {
                String heldWhole = peekable.nextPageHeldWholeBecause();
                String reason = refused.reason() + (heldWhole == null ? "" : "; the page is read whole, not as a stream, as " + heldWhole);
                throw refused.isHeapLimit() ? InvalidPairException.tooLargeForFreeHeap(refused.pairId(), reason)
                        : new InvalidPairException(refused.pairId(), reason);
            }
            if (!whole || refused != null) {
                long holds = streamBytes + WINDOW_BYTES;
                fitsBesideDictionary(id, 0, holds, fits);
                loadStreamed(peekable.streamNextPage(), holds);
                return;
            }
        }
        DataPage page = pages.readPage();
        if (page == null) {
            throw corrupt("the column chunk ends " + entriesInLaterPages + " entries before its metadata says");
        }
        try {
            long size = Math.max(0, page.getUncompressedSize());
            if (page instanceof DataPageV1 v1) {
                loadStreamed(new FloatListChunk.PageStream(v1.getValueCount(), v1.getValueEncoding(), null, null, v1.getRlEncoding(),
                        v1.getDlEncoding(), v1.getBytes().toInputStream()), size);
            } else {
                DataPageV2 v2 = (DataPageV2) page;
                loadStreamed(new FloatListChunk.PageStream(v2.getValueCount(), v2.getDataEncoding(),
                        v2.getRepetitionLevels().toByteArray(), v2.getDefinitionLevels().toByteArray(), Encoding.RLE, Encoding.RLE,
                        v2.getData().toInputStream()), size);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading a page of " + path + ": " + e.getMessage(), e);
        }
    }

    /** Starts a page of {@code page.entries()} holding {@code holds} bytes: its levels read, its values left in its stream. */
    private void loadStreamed(FloatListChunk.PageStream page, long holds) {
        int entries = page.entries();
        if (entries < 0 || entries > entriesInLaterPages) {
            throw corrupt("a page of " + entries + " entries where " + entriesInLaterPages + " are left");
        }
        entriesInLaterPages -= entries;
        pageEntries = entries;
        position = 0;
        pageHeld = holds;
        values = page.data();
        nulls.clear();
        try {
            if (!optional) {
                // (a required column stores no levels: none in a version-1 page, empty ones in a version-2 page)
            } else if (page.definitionLevels() != null) {
                definitionLevels(page.definitionLevels(), Encoding.RLE, entries);
            } else {
                // (a version-1 page: its repetition levels, none for a top-level column, then its definition levels)
                definitionLevels(page.definitionEncoding() == Encoding.RLE ? FloatListChunk.lengthPrefixed(values)
                        : values.readNBytes((entries + 7) / 8), page.definitionEncoding(), entries);
            }
            Encoding encoding = page.encoding();
            if (encoding == Encoding.PLAIN) {
                dictionaryEncoded = false;
            } else if (encoding == Encoding.PLAIN_DICTIONARY || encoding == Encoding.RLE_DICTIONARY) {
                if (dictionaryStarts == null) {
                    throw corrupt("a dictionary-encoded page in a column chunk without a dictionary");
                }
                int width = values.read();
                if (width < 0 && entries > nulls.cardinality()) {
                    throw corrupt("a dictionary-encoded page without its index width");
                }
                if (width > 32) {
                    throw corrupt("dictionary indices " + width + " bits wide");
                }
                int read = values.readNBytes(window, 0, window.length);
                indicesEnded = read < window.length;
                indices.start(ByteBuffer.wrap(window).order(ByteOrder.LITTLE_ENDIAN), 0, read, Math.max(0, width), indicesEnded);
                dictionaryEncoded = true;
            } else {
                throw new IllegalStateException("binary scores encoded as " + encoding + " in a page of " + path
                        + ", which BandAlign's page reader does not read");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading a page of " + path + ": " + e.getMessage(), e);
        }
    }

    /** Notes the page's null entries from its definition levels, {@code levels} in {@code encoding}. */
    private void definitionLevels(byte[] levels, Encoding encoding, int entries) {
        if (encoding == Encoding.BIT_PACKED) {   // (deprecated: a bit an entry, the most significant first)
            if (levels.length < (entries + 7) / 8) {
                throw corrupt("a page too short for its levels");
            }
            for (int e = 0; e < entries; e++) {
                if ((levels[e >>> 3] >>> (7 - (e & 7)) & 1) == 0) {
                    nulls.set(e);
                }
            }
            return;
        }
        if (encoding != Encoding.RLE) {
            throw new IllegalStateException("definition levels encoded as " + encoding + " in a page of " + path);
        }
        FloatListChunk.Hybrid hybrid = new FloatListChunk.Hybrid();
        hybrid.start(ByteBuffer.wrap(levels).order(ByteOrder.LITTLE_ENDIAN), 0, levels.length, 1);
        for (int e = 0; e < entries; ) {
            int n = hybrid.nextRun(entries - e);
            for (int k = 0; k < n; k++) {
                int level = hybrid.packed ? hybrid.packedValues[k] : hybrid.runValue;
                if (level > 1) {
                    throw corrupt("definition level " + level + " above the column's 1");
                }
                if (level == 0) {
                    nulls.set(e + k);
                } else if (!hybrid.packed) {
                    break;   // (a run of values: nothing to note)
                }
            }
            e += n;
        }
    }

    /** The next value's length in bytes: its 4-byte prefix, or the fixed length. */
    private long valueLength() {
        if (fixedLength >= 0) {
            return fixedLength;
        }
        try {
            return lengthFrom(values, "value " + position);
        } catch (IOException e) {
            throw new UncheckedIOException("reading a page of " + path + ": " + e.getMessage(), e);
        }
    }

    private int lengthFrom(InputStream in, String what) throws IOException {
        if (in.readNBytes(window, 0, 4) != 4) {
            throw corrupt("a page that ends before the length of its " + what);
        }
        int length = ByteBuffer.wrap(window, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (length < 0) {
            throw corrupt("a " + what + " of " + length + " bytes");
        }
        return length;
    }

    private void skipBytes(long length) {
        try {
            values.skipNBytes(length);
        } catch (java.io.EOFException e) {
            throw corrupt("a page that ends inside its value " + position);
        } catch (IOException e) {
            throw new UncheckedIOException("reading a page of " + path + ": " + e.getMessage(), e);
        }
    }

    /** Reads {@code row.length} floats of the page's stream into {@code row}, through the window. */
    private void readFloats(float[] row) {
        try {
            for (int done = 0; done < row.length; ) {
                int m = Math.min(row.length - done, window.length / Float.BYTES);
                if (values.readNBytes(window, 0, m * Float.BYTES) != m * Float.BYTES) {
                    throw corrupt("a page that ends inside its value " + position);
                }
                ByteBuffer.wrap(window, 0, m * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(row, done, m);
                done += m;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading a page of " + path + ": " + e.getMessage(), e);
        }
    }

    private static float[] floats(ByteBuffer bytes) {
        float[] row = new float[bytes.remaining() / Float.BYTES];
        bytes.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(row);
        return row;
    }

    /** A dictionary value of {@code length} bytes at {@code start} of the scratch file, as floats. */
    private float[] scratchFloats(long start, int length) {
        float[] row = new float[length / Float.BYTES];
        ByteBuffer buffer = ByteBuffer.wrap(scratchWindow).order(ByteOrder.LITTLE_ENDIAN);
        try {
            for (int done = 0; done < row.length; ) {
                int m = Math.min(row.length - done, scratchWindow.length / Float.BYTES);
                buffer.clear().limit(m * Float.BYTES);
                long at = start + (long) done * Float.BYTES;
                while (buffer.hasRemaining()) {
                    if (scratch.channel.read(buffer, at + buffer.position()) < 0) {
                        throw new java.io.EOFException("the scratch file " + scratch.file + " ends early");
                    }
                }
                buffer.flip();
                buffer.asFloatBuffer().get(row, done, m);
                done += m;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the dictionary of " + path + " from " + scratch.file + ": " + e.getMessage(), e);
        }
        return row;
    }

    /** The next dictionary index of a dictionary-encoded page, checked against the dictionary. */
    private int nextIndex() {
        if (!indicesEnded && indices.bytesLeft() < REFILL_BYTES) {
            try {
                indicesEnded = indices.refill(window, values);
            } catch (IOException e) {
                throw new UncheckedIOException("reading a page of " + path + ": " + e.getMessage(), e);
            }
        }
        indices.nextRun(1);
        int index = indices.packed ? indices.packedValues[0] : indices.runValue;
        if (index < 0 || index >= dictionaryStarts.length) {
            throw corrupt("a dictionary index " + Integer.toUnsignedString(index) + " where the dictionary holds "
                    + dictionaryStarts.length + " values");
        }
        return index;
    }

    @Override
    public void release() {
        release(true);
    }

    /** Lets the current page go (its decoder closed), and, where {@code all}, the dictionary with its scratch file. */
    private void release(boolean all) {
        if (values != null) {
            try {
                values.close();
            } catch (IOException e) {
                // (nothing of the file is closed by it: the stream ends at the page)
            }
            values = null;
        }
        if (all) {
            held = null;
            dictionaryStarts = null;
            dictionaryLengths = null;
            scratchWindow = null;
            if (scratch != null) {
                scratch.close();
                scratch = null;
            }
        }
    }

    private IllegalStateException corrupt(String what) {
        return new IllegalStateException("corrupt Parquet page of binary scores in " + path + ": " + what);
    }
}
