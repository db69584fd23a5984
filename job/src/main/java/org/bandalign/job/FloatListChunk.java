package org.bandalign.job;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
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
 * The rows of one Parquet column chunk of float lists (the input's {@code scores} as
 * {@code array<float>}, or as {@code array<double>} narrowed to floats), read a page at a time
 * instead of a value at a time: the reading counterpart of {@link FloatListPages}.
 *
 * <p>Design. A data page holds, for each entry, a repetition level (0 where a row starts), a
 * definition level (the deepest level set: the top value's, the list's, the element's) and, for
 * the entries at the deepest level, a value. A row of {@code k} floats is levels {@code 0, 1 x
 * (k-1)} and {@code maxDef x k}: a few runs of the RLE/bit-packing hybrid encoding whatever
 * {@code k}. So a page's levels are decoded once into two short lists, the entries where a row
 * starts and the entries below the deepest level ("odd": a null or empty row, a null element),
 * and a row's values, the entries between two row starts less its odd ones, are copied in one
 * bulk little-endian copy out of a plain page, or looked up in the dictionary for a dictionary
 * page. The value of entry {@code e} is value {@code e - (odd entries before e)} of its page.
 * A row may span pages (writers other than parquet-mr's may split one); its parts are gathered.
 *
 * <p>Doubles (as NumPy's float64 arrays are written) are narrowed as they are copied, as
 * Spark's cast to float narrows them (to the nearest float); a row holding a finite double
 * beyond float32's range is rejected for it, as {@link PairDecoder} rejects it, its first null
 * element being reported first.
 *
 * <p>Reads version-1 and version-2 data pages in every encoding Parquet allows for floats
 * ({@link #SUPPORTED}: plain, dictionary, byte-stream split, whose values are gathered from
 * their streams as they are copied), as parquet-mr's page reader hands them out: decompressed, decrypted, checked. A chunk
 * whose metadata lists another encoding (levels bit-packed, as very old writers wrote them) is
 * read by parquet-mr's value-at-a-time column reader instead ({@link ParquetScores}). A page that contradicts itself (levels beyond the column's, values
 * fewer than its levels say, a dictionary index beyond the dictionary) fails the read with
 * {@link IllegalStateException}, as a corrupt file fails Spark's reader.
 *
 * <p>Memory: the page being read, decompressed (its values read from it as they are copied:
 * byte-stream split ones gathered, dictionary indices decoded a run at a time, those of rows
 * skipped passed over, never held apart); and the
 * chunk's dictionary, decoded (read before the chunk's first data page, not before a row is
 * asked for). Where the pages say so from their headers ({@link PeekablePages}), the size check a
 * row is read with is asked before the dictionary and each page are read whether they fit
 * beside what is held, so that a page or a dictionary too large for the heap refuses the row
 * that needs it instead of running out of memory (pyarrow writes a huge row's values into one
 * page with a dictionary of up to all their distinct values). A page that does not fit whole
 * but can be read as a stream ({@link PeekablePages#streamNextPage}) is read so where that fits:
 * its levels whole, its values as rows ask for them, plain ones through a window of
 * {@link #WINDOW_BYTES}, dictionary indices through the same window moved on between runs,
 * those of rows skipped passed over; a row is still gathered whole.
 * Not thread-safe.
 */
final class FloatListChunk implements ParquetScores.Rows {
    /** Pages that say what reading the next one takes before it is read ({@link StreamedPages}). */
    interface PeekablePages extends PageReader {
        /** What reading the next data page holds at its peak, from its header alone; 0 where none is left. */
        long nextPageBytes();

        /**
         * What reading the chunk's dictionary page and decoding it holds at its peak, from its
         * header alone; 0 where the chunk has none or it is read. Asked before the dictionary is
         * read, which is before any data page is read or peeked at.
         */
        long dictionaryBytes();

        /**
         * What reading the next data page as a stream holds ({@link #streamNextPage}), from its
         * header alone; -1 where it cannot be streamed, 0 where no page is left.
         */
        long nextPageStreamBytes();

        /** The next data page as a stream of its bytes decompressed (where {@link #nextPageStreamBytes} is not -1). */
        PageStream streamNextPage();

        /** Why the next data page cannot be read as a stream, in words for a rejection; null where it can be, or none is left. */
        default String nextPageHeldWholeBecause() {
            return null;
        }

        /**
         * Whether the next data page is known to start a row, from its header or the chunk's
         * metadata alone: a version-2 page, or a chunk with an offset index (Parquet requires
         * both to start on row boundaries).
         */
        boolean nextPageStartsARow();
    }

    /**
     * A data page as a stream ({@link PeekablePages#streamNextPage}): its entries, its values'
     * encoding, its levels where the page stores them apart (version 2; else null, and they lead
     * {@code data}), how its levels are encoded (a version-2 page's are RLE), and its bytes
     * decompressed as they are read.
     */
    record PageStream(int entries, Encoding encoding, byte[] repetitionLevels, byte[] definitionLevels,
                      Encoding repetitionEncoding, Encoding definitionEncoding, java.io.InputStream data) {
    }

    /** The window of a streamed page's dictionary indices, and the buffer its plain values are read through. */
    private static final int WINDOW_BYTES = 64 << 10;

    /** What this reader holds beside a page it reads as a stream: its window, and the levels decoded (counted with the page's). */
    static final long STREAM_BYTES = WINDOW_BYTES;
    /** A streamed page's indices are read on once fewer than this are left in the window (more than a {@link Hybrid#nextRun} reads). */
    private static final int REFILL_BYTES = 8 << 10;

    /** The encodings this reader reads: levels in RLE, values plain, dictionary-encoded or byte-stream-split. */
    static final Set<Encoding> SUPPORTED = Set.of(Encoding.PLAIN, Encoding.RLE, Encoding.PLAIN_DICTIONARY,
            Encoding.RLE_DICTIONARY, Encoding.BYTE_STREAM_SPLIT);

    /** Chunks read here since the JVM started (tests: that the page-at-a-time path ran). */
    static final java.util.concurrent.atomic.AtomicLong CHUNKS = new java.util.concurrent.atomic.AtomicLong();

    private final PageReader pages;
    private final int maxDefinition;
    /** The definition level at which the row's list itself is set (below it, the row is null). */
    private final int setLevel;
    private final boolean elementMayBeNull;
    private final int definitionWidth;
    /** The dictionary's values, narrowed to floats where the leaf holds doubles (null: none, or not read yet). */
    private float[] dictionary;
    /** Whether the leaf holds doubles, narrowed as they are copied ({@link #wide}). */
    private final boolean wide;
    /** A double leaf's dictionary as stored, for the values that narrow to an infinity. */
    private double[] wideDictionary;
    /** Whether the dictionary page, if any, is read (before the first data page). */
    private boolean dictionaryRead;
    /** Entries of the chunk in pages not yet loaded. */
    private long entriesInLaterPages;

    /** The current page: its entries, the next one to read, and how its values are stored. */
    private int pageEntries;
    private int position;
    private FloatBuffer plain;
    /** The current page's plain values where the leaf holds doubles. */
    private DoubleBuffer widePlain;
    private boolean dictionaryPage;
    /** The values of a page read as a stream ({@link #loadStreamed}); null for a page read whole. */
    private java.io.InputStream streamed;
    /** Of a streamed page: the value its stream stands at (plain values), whether it is read to its end, and its window. */
    private long streamedAt;
    private boolean streamEnded;
    private byte[] window;
    /** On a dictionary page, the value whose index {@link #hybrid} decodes next: indices are decoded as their values are copied, never all at once. */
    private int indexAt;
    /** A byte-stream-split page's values, as stored (byte {@code k} of value {@code i} at {@code k * splitCount + i}); null for other pages. */
    private ByteBuffer split;
    private int splitCount;
    /** Rows begun ({@link #rowsBegun}), and whether the last one's next page was refused before it could end. */
    private long rowsBegun;
    private boolean midRow;
    /** What the current page holds while it is read: its bytes decompressed (or, streamed, its buffers and levels). */
    private long pageHeld;
    /** Entries of the current page where a row starts, in order, and the next at or after {@link #position}. */
    private int[] rowStarts = new int[64];
    private int rowStartCount;
    private int rowCursor;
    /** Entries of the current page below the deepest level, their levels, and how many lie before {@link #position}. */
    private int[] odd = new int[16];
    private int[] oddLevel = new int[16];
    private int oddCount;
    private int oddCursor;
    private final Hybrid hybrid = new Hybrid();

    /** What a row read holds: its values, and where its first null element is (-1: none). */
    private float[] gathered = NO_FLOATS;
    private static final float[] NO_FLOATS = new float[0];
    private int count;
    private int firstNull;
    /** Where the row's first finite double beyond float32's range is (-1: none), and that double. */
    private int beyondRange;
    private double beyondValue;
    /** The id of the pair whose row is being read, for the messages that reject it. */
    private String rowId;
    /**
     * While a row is read: how many floats its shape says it holds, and the check that a row
     * holding more (a row to be rejected for its length) must pass before more of it is kept;
     * {@link #dropping} once it did not: the rest of the row is counted, not kept.
     */
    private long rowExpected = Long.MAX_VALUE;
    private ParquetScores.SizeCheck rowFits;
    private boolean dropping;

    /**
     * The rows of one column chunk, its pages from {@code pages}; {@code column} is the scores
     * leaf (a float or a double, one repetition level); {@code setLevel} the definition level
     * where a row's list is set.
     */
    FloatListChunk(PageReader pages, ColumnDescriptor column, int setLevel, boolean elementMayBeNull) {
        PrimitiveTypeName type = column.getPrimitiveType().getPrimitiveTypeName();
        if (column.getMaxRepetitionLevel() != 1 || type != PrimitiveTypeName.FLOAT && type != PrimitiveTypeName.DOUBLE) {
            throw new IllegalArgumentException("not a list of floats or doubles: " + column);
        }
        this.wide = type == PrimitiveTypeName.DOUBLE;
        this.pages = pages;
        this.maxDefinition = column.getMaxDefinitionLevel();
        this.setLevel = setLevel;
        this.elementMayBeNull = elementMayBeNull;
        this.definitionWidth = 32 - Integer.numberOfLeadingZeros(maxDefinition);
        this.entriesInLaterPages = pages.getTotalValueCount();
        CHUNKS.incrementAndGet();
    }

    /**
     * Reads the chunk's dictionary page, if it has one and it is not read yet, asking
     * {@code fits} first (where not null) whether reading it fits beside the {@code floats} of
     * pair {@code id}'s row, where the pages say what it takes ({@link PeekablePages#dictionaryBytes}).
     */
    private void readDictionaryIfDue(String id, long floats, ParquetScores.SizeCheck fits) {
        if (dictionaryRead) {
            return;
        }
        if (fits != null && pages instanceof PeekablePages peekable) {
            long bytes = peekable.dictionaryBytes();
            if (bytes > 0) {
                fits.check(id, floats, bytes);
            }
        }
        DictionaryPage page = pages.readDictionaryPage();
        wideDictionary = wide ? wideDictionary(page) : null;
        dictionary = wide ? narrowed(wideDictionary) : dictionary(page);
        dictionaryRead = true;
    }

    /** What the decoded dictionary holds for the rest of the chunk. */
    private long dictionaryHeld() {
        return (dictionary == null ? 0 : (long) Float.BYTES * dictionary.length)
                + (wideDictionary == null ? 0 : (long) Double.BYTES * wideDictionary.length);
    }

    /** Whether a chunk stored in {@code encodings} is read here. */
    static boolean reads(Set<Encoding> encodings) {
        return SUPPORTED.containsAll(encodings);
    }

    private static float[] dictionary(DictionaryPage page) {
        if (page == null) {
            return null;
        }
        ByteBuffer bytes = dictionaryBytes(page, Float.BYTES, "floats");
        float[] values = new float[page.getDictionarySize()];
        bytes.asFloatBuffer().get(values);
        return values;
    }

    private static double[] wideDictionary(DictionaryPage page) {
        if (page == null) {
            return null;
        }
        ByteBuffer bytes = dictionaryBytes(page, Double.BYTES, "doubles");
        double[] values = new double[page.getDictionarySize()];
        bytes.asDoubleBuffer().get(values);
        return values;
    }

    private static ByteBuffer dictionaryBytes(DictionaryPage page, int width, String what) {
        try {
            ByteBuffer bytes = page.getBytes().toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            if (page.getDictionarySize() < 0 || bytes.remaining() < (long) width * page.getDictionarySize()) {
                throw corrupt("a dictionary page of " + page.getDictionarySize() + " " + what + " in " + bytes.remaining() + " bytes");
            }
            return bytes;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static float[] narrowed(double[] values) {
        if (values == null) {
            return null;
        }
        float[] floats = new float[values.length];
        for (int k = 0; k < values.length; k++) {
            floats[k] = (float) values[k];
        }
        return floats;
    }

    /** Entries of the chunk not yet read (a row holds at least one). */
    long entriesLeft() {
        return entriesInLaterPages + pageEntries - position;
    }

    /** Moves past the next row without copying its values. */
    void skipRow() {
        skipRow(null, null);
    }

    /**
     * Moves past the next row without copying its values, on the way to pair {@code id}'s row:
     * {@code fits} is asked first whether each page to be read fits (where null, nothing is).
     */
    @Override
    public void skipRow(String id, ParquetScores.SizeCheck fits) {
        walkRow(false, 0, id, fits);
    }

    /**
     * The next row's floats, or null where the row is null. {@code expected} is how many its
     * shape says it holds, and {@code fits} is asked first (but not for a null row) whether that
     * many fit, or fewer where the row holds fewer: its own entries where its page holds it
     * whole, else the entries left in the chunk. A row of exactly {@code expected} floats is read
     * into an array of that size, with no copy. Where its pages say their size before they are
     * read ({@link PeekablePages}: pages read from the file), {@code fits} is also asked, before
     * each of its pages is read, whether that page fits: a huge row's page is refused from its
     * header, not after it is read.
     *
     * @throws InvalidPairException naming {@code id} where the row holds a null element, or from {@code fits}
     */
    @Override
    public float[] readRow(String id, long expected, ParquetScores.SizeCheck fits) {
        if (midRow) {
            finishRow(id, fits);
        }
        loadPageIfDone(id, 0, fits);
        if (atNullRow()) {
            walkRow(false, 0, null, null);   // one entry, nothing to size
            return null;
        }
        int next = rowCursor + 1;   // (the row starts at rowStarts[rowCursor], checked as it is read)
        long held = position < pageEntries && next < rowStartCount ? rowStarts[next] - position : entriesLeft();
        long size = Math.min(expected, held);
        fits.check(id, size, pageHeld + dictionaryHeld());
        rowId = id;
        rowExpected = expected;
        rowFits = fits;
        boolean present;
        try {
            present = walkRow(true, (int) Math.min(size, ParquetScores.MAX_ARRAY), id, fits);
        } finally {
            rowExpected = Long.MAX_VALUE;
            rowFits = null;
        }
        if (dropping) {
            gathered = NO_FLOATS;
            throw ParquetScores.longerThanShape(id, count, expected);
        }
        if (!present) {
            return null;
        }
        if (firstNull >= 0) {
            throw new InvalidPairException(id, PairDecoder.nullElement(firstNull));
        }
        if (beyondRange >= 0) {
            throw new InvalidPairException(id, PairDecoder.beyondFloatRange(beyondValue, beyondRange));
        }
        float[] row = gathered.length == count && count == expected ? gathered : Arrays.copyOf(gathered, count);
        if (row == gathered || gathered.length > (1 << 20)) {
            gathered = NO_FLOATS;   // (handed out, or too large to keep: the next row presizes its own)
        }
        return row;
    }

    /**
     * Reads the next row: its values into {@link #gathered} (presized to {@code presize} where
     * larger) where {@code keep}, its count and first null element into {@link #count} and
     * {@link #firstNull}. Returns false where the row is null. Each page to be read is first
     * offered to {@code fits} as pair {@code id}'s where {@code fits} is not null.
     */
    private boolean walkRow(boolean keep, int presize, String id, ParquetScores.SizeCheck fits) {
        if (midRow) {
            finishRow(id, fits);
        }
        count = 0;
        firstNull = -1;
        beyondRange = -1;
        dropping = false;
        loadPageIfDone(id, 0, fits);
        if (position == pageEntries) {
            throw new IllegalStateException("the column chunk has no row left to read");
        }
        if (rowCursor == rowStartCount || rowStarts[rowCursor] != position) {
            throw corrupt("entry " + position + " of a page, where a row should start, continues a row");
        }
        if (keep && presize > gathered.length) {
            gathered = new float[presize];
        }
        rowsBegun++;
        if (atNullRow()) {
            advance(position + 1);   // one entry
            return false;
        }
        rowCursor++;
        midRow = true;   // (until the row is walked to its end: a refused page, or a row too long, leaves it so)
        while (true) {
            int end = rowCursor < rowStartCount ? rowStarts[rowCursor] : pageEntries;
            take(end, keep);
            if (end < pageEntries) {
                midRow = false;
                return true;
            }
            try {
                loadPageIfDone(id, keep ? gathered.length : 0, fits);
            } catch (InvalidPairException refused) {
                if (pages instanceof PeekablePages peekable && peekable.nextPageStartsARow()) {
                    midRow = false;   // the row ends with its page: the refused page is the next row's
                    return true;
                }
                throw refused;
            }
            if (position == pageEntries || (rowCursor < rowStartCount && rowStarts[rowCursor] == position)) {
                midRow = false;
                return true;   // the chunk ended, or the next page starts a row
            }
        }
    }

    /**
     * Moves past the rest of a row whose next page {@code fits} refused ({@link #midRow}), its
     * pages offered to {@code fits} as pair {@code id}'s.
     */
    private void finishRow(String id, ParquetScores.SizeCheck fits) {
        while (true) {
            loadPageIfDone(id, 0, fits);
            if (position == pageEntries || (rowCursor < rowStartCount && rowStarts[rowCursor] == position)) {
                break;
            }
            int end = rowCursor < rowStartCount ? rowStarts[rowCursor] : pageEntries;
            take(end, false);
            if (end < pageEntries) {
                break;
            }
        }
        midRow = false;
    }

    /**
     * How many rows this chunk's reads have begun, each counted once its first entry is taken,
     * even where it is then rejected or one of its later pages refused (the rest is passed over
     * before the next row); a row refused before its first page is read is not begun.
     */
    @Override
    public long rowsBegun() {
        return rowsBegun;
    }

    /** Whether the entry at {@link #position} is a null row (below the level where a row's list is set). */
    private boolean atNullRow() {
        return position < pageEntries && oddCursor < oddCount && odd[oddCursor] == position && oddLevel[oddCursor] < setLevel;
    }

    /** Reads entries from {@link #position} up to {@code end}, all of one row. */
    private void take(int end, boolean keep) {
        int value = position - oddCursor;
        if (oddCursor == oddCount || odd[oddCursor] >= end) {
            int n = end - position;
            if (keep && firstNull < 0 && !dropping) {
                copy(value, n);
            }
            count = (int) Math.min(Integer.MAX_VALUE, (long) count + n);   // (a dropped row may pass 2^31 entries)
        } else {
            for (int e = position; e < end; e++) {
                if (oddCursor < oddCount && odd[oddCursor] == e) {
                    int level = oddLevel[oddCursor++];
                    if (elementMayBeNull && level == maxDefinition - 1) {
                        if (firstNull < 0) {
                            firstNull = count;
                        }
                        count++;   // (a null element holds its place)
                    }
                    // (else the one entry of an empty list)
                } else {
                    if (keep && firstNull < 0 && !dropping) {
                        copy(value, 1);
                    }
                    value++;
                    count++;
                }
            }
        }
        advance(end);
    }

    /** Copies {@code n} values of the page from value {@code value} to {@link #gathered} at {@link #count}. */
    private void copy(int value, int n) {
        if (count + n > gathered.length) {
            long grown = Math.max((long) count + n, 2L * gathered.length);
            if (count + (long) n > rowExpected && rowFits != null) {
                // (a row longer than its shape says, to be rejected for that: kept only while it fits, as its
                // shape was checked to; a list of millions of floats under a 10 x 10 shape ran the heap out)
                try {
                    rowFits.check(rowId, grown, pageHeld + dictionaryHeld());
                } catch (InvalidPairException tooMany) {
                    dropping = true;
                    return;
                }
            }
            if (count + (long) n > ParquetScores.MAX_ARRAY) {
                throw new InvalidPairException(rowId, "scores hold more than " + ParquetScores.MAX_ARRAY
                        + " values, more than one array holds");
            }
            gathered = Arrays.copyOf(gathered, (int) Math.min(ParquetScores.MAX_ARRAY, grown));
        }
        if (dictionaryPage) {
            while (indexAt < value) {   // (past the indices of rows skipped)
                refillIfLow();
                indexAt += hybrid.nextRun(value - indexAt);
            }
            for (int k = 0; k < n; ) {
                refillIfLow();
                int run = hybrid.nextRun(n - k);
                for (int j = 0; j < run; j++) {
                    int index = hybrid.packed ? hybrid.packedValues[j] : hybrid.runValue;
                    if (index < 0 || index >= dictionary.length) {
                        throw corrupt("dictionary index " + index + " in a dictionary of " + dictionary.length);
                    }
                    float v = dictionary[index];
                    if (wide && Float.isInfinite(v)) {
                        checkRange(wideDictionary[index], count + k + j);
                    }
                    gathered[count + k + j] = v;
                }
                k += run;
            }
            indexAt = value + n;
        } else if (streamed != null) {
            copyStreamed(value, n);
        } else if (split != null) {
            copySplit(value, n);
        } else if (wide) {
            for (int k = 0; k < n; k++) {
                double d = widePlain.get(value + k);
                float v = (float) d;
                if (Float.isInfinite(v)) {
                    checkRange(d, count + k);
                }
                gathered[count + k] = v;
            }
        } else {
            plain.get(value, gathered, count, n);
        }
    }

    /**
     * {@link #copy} from a byte-stream-split page: byte {@code k} of value {@code i} is byte
     * {@code i} of stream {@code k}, each stream {@link #splitCount} bytes long (4 streams of
     * floats, 8 of doubles), gathered as the values are copied (never unsplit whole).
     */
    private void copySplit(int value, int n) {
        int at = split.position();
        if (wide) {
            for (int k = 0; k < n; k++) {
                long bits = 0;
                for (int b = 0, from = at + value + k; b < 8; b++, from += splitCount) {
                    bits |= (split.get(from) & 0xFFL) << (8 * b);
                }
                double d = Double.longBitsToDouble(bits);
                float v = (float) d;
                if (Float.isInfinite(v)) {
                    checkRange(d, count + k);
                }
                gathered[count + k] = v;
            }
        } else {
            for (int k = 0, i = at + value; k < n; k++, i++) {
                gathered[count + k] = Float.intBitsToFloat((split.get(i) & 0xFF) | (split.get(i + splitCount) & 0xFF) << 8
                        | (split.get(i + 2 * splitCount) & 0xFF) << 16 | (split.get(i + 3 * splitCount) & 0xFF) << 24);
            }
        }
    }

    /** {@link #copy} from a streamed page of plain values: those before {@code value} passed over, then {@code n} read through the window. */
    private void copyStreamed(int value, int n) {
        int width = wide ? Double.BYTES : Float.BYTES;
        try {
            streamed.skipNBytes((value - streamedAt) * width);
            for (int done = 0; done < n; ) {
                int m = Math.min(n - done, window.length / width);
                if (streamed.readNBytes(window, 0, m * width) != m * width) {
                    throw corrupt("a page whose plain values end before its levels do");
                }
                ByteBuffer bytes = ByteBuffer.wrap(window, 0, m * width).order(ByteOrder.LITTLE_ENDIAN);
                if (wide) {
                    for (int k = 0; k < m; k++) {
                        double d = bytes.getDouble(k * 8);
                        float v = (float) d;
                        if (Float.isInfinite(v)) {
                            checkRange(d, count + done + k);
                        }
                        gathered[count + done + k] = v;
                    }
                } else {
                    bytes.asFloatBuffer().get(gathered, count + done, m);
                }
                done += m;
            }
            streamedAt = value + (long) n;
        } catch (java.io.EOFException e) {
            throw corrupt("a page whose plain values end before its levels do");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("reading a page of scores as a stream: " + e.getMessage(), e);
        }
    }

    /** On a streamed dictionary page, between runs: moves the window on where few of its bytes are left. */
    private void refillIfLow() {
        if (streamed == null || streamEnded || hybrid.bytesLeft() >= REFILL_BYTES) {
            return;
        }
        try {
            streamEnded = hybrid.refill(window, streamed);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("reading a page of scores as a stream: " + e.getMessage(), e);
        }
    }

    /** Notes {@code d}, element {@code at} of the row, where it is the row's first finite double beyond float32's range. */
    private void checkRange(double d, int at) {
        if (!Double.isInfinite(d) && beyondRange < 0) {
            beyondRange = at;
            beyondValue = d;
        }
    }

    /** Moves {@link #position} to {@code end}, with the cursors of row starts and odd entries. */
    private void advance(int end) {
        position = end;
        while (rowCursor < rowStartCount && rowStarts[rowCursor] < end) {
            rowCursor++;
        }
        while (oddCursor < oddCount && odd[oddCursor] < end) {
            oddCursor++;
        }
    }

    /**
     * Loads the next page where the current one is read (the chunk's dictionary before its first),
     * asking {@code fits} first (where not null) whether the page fits beside the {@code floats}
     * of pair {@code id}'s row already gathered and the dictionary, where the pages say what
     * reading it takes ({@link PeekablePages#nextPageBytes}).
     */
    private void loadPageIfDone(String id, long floats, ParquetScores.SizeCheck fits) {
        while (position == pageEntries && entriesInLaterPages > 0) {
            readDictionaryIfDue(id, floats, fits);
            plain = null;   // (the page read is done with: let it go before the next is read)
            split = null;
            widePlain = null;
            release();
            if (fits != null && pages instanceof PeekablePages peekable) {
                long bytes = peekable.nextPageBytes();
                if (bytes > 0) {
                    try {
                        fits.check(id, floats, bytes + dictionaryHeld());
                    } catch (InvalidPairException tooLarge) {
                        long streamBytes = peekable.nextPageStreamBytes();
                        String heldWhole = streamBytes < 0 ? peekable.nextPageHeldWholeBecause() : null;
                        if (heldWhole != null) {
                            String reason = tooLarge.reason() + "; the page is read whole, not as a stream, as " + heldWhole;
                            throw tooLarge.isHeapLimit() ? InvalidPairException.tooLargeForFreeHeap(tooLarge.pairId(), reason)
                                    : new InvalidPairException(tooLarge.pairId(), reason);
                        }
                        if (streamBytes < 0 || streamBytes + STREAM_BYTES >= bytes) {
                            throw tooLarge;   // (as a stream, no less)
                        }
                        // (too large to hold whole: read as its bytes come, if that fits)
                        fits.check(id, floats, streamBytes + STREAM_BYTES + dictionaryHeld());
                        loadStreamed(peekable.streamNextPage(), streamBytes + STREAM_BYTES);
                        continue;
                    }
                }
            }
            DataPage page = pages.readPage();
            if (page == null) {
                throw corrupt("the column chunk ends " + entriesInLaterPages + " entries before its metadata says");
            }
            load(page);
        }
    }

    /**
     * Lets a page read as a stream go: its decoder closed, so that what it holds outside the heap
     * (zlib's and zstd's state and window) goes now rather than when the collector finds it. The
     * page's stored bytes not read are passed over by the pages, before the next header.
     */
    @Override
    public void release() {
        if (streamed != null) {
            try {
                streamed.close();
            } catch (java.io.IOException e) {
                // (nothing of the file is closed by it: the stream ends at the page)
            }
            streamed = null;
        }
    }

    /** Starts a page of {@code entries} that holds {@code held} bytes while it is read. */
    private void begin(int entries, long held) {
        if (entries < 0 || entries > entriesInLaterPages) {
            throw corrupt("a page of " + entries + " entries where " + entriesInLaterPages + " are left");
        }
        entriesInLaterPages -= entries;
        pageEntries = entries;
        pageHeld = held;
        position = 0;
        rowCursor = 0;
        oddCursor = 0;
    }

    /**
     * Starts a page read as a stream, holding {@code held} bytes: its levels read whole (from the
     * stream's start, for a version-1 page), its values left in the stream, read as rows ask for
     * them: plain values through a buffer, dictionary indices through a window that moves on.
     */
    private void loadStreamed(PageStream page, long held) {
        if (page.repetitionEncoding() != Encoding.RLE || page.definitionEncoding() != Encoding.RLE) {
            throw new IllegalStateException("levels encoded as " + page.repetitionEncoding() + "/" + page.definitionEncoding()
                    + ", not RLE");
        }
        begin(page.entries(), held);
        try {
            java.io.InputStream data = page.data();
            byte[] repetition = page.repetitionLevels() != null ? page.repetitionLevels() : lengthPrefixed(data);
            byte[] definition = page.definitionLevels() != null ? page.definitionLevels() : lengthPrefixed(data);
            levels(ByteBuffer.wrap(repetition), 0, repetition.length, 1, page.entries(), true);
            levels(ByteBuffer.wrap(definition), 0, definition.length, definitionWidth, page.entries(), false);
            if (window == null) {
                window = new byte[WINDOW_BYTES];
            }
            streamed = data;
            streamEnded = false;
            if (page.encoding() == Encoding.PLAIN) {
                streamedAt = 0;
                dictionaryPage = false;
            } else if ((page.encoding() == Encoding.PLAIN_DICTIONARY || page.encoding() == Encoding.RLE_DICTIONARY) && dictionary != null) {
                int width = data.read();
                if (width < 0) {
                    throw corrupt("a dictionary-encoded page without its index width");
                }
                if (width > 32) {
                    throw corrupt("dictionary indices " + width + " bits wide");
                }
                int read = data.readNBytes(window, 0, window.length);
                streamEnded = read < window.length;
                hybrid.start(ByteBuffer.wrap(window).order(ByteOrder.LITTLE_ENDIAN), 0, read, width, streamEnded);
                indexAt = 0;
                dictionaryPage = true;
            } else {
                throw new IllegalStateException("values encoded as " + page.encoding() + (dictionary == null ? " without a dictionary" : "")
                        + " in a page read as a stream");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("reading a page of scores as a stream: " + e.getMessage(), e);
        }
    }

    /** A version-1 page's levels from its stream: their 4-byte length, then their bytes. */
    static byte[] lengthPrefixed(java.io.InputStream data) throws java.io.IOException {
        byte[] prefix = data.readNBytes(4);
        if (prefix.length < 4) {
            throw corrupt("a page too short for its levels");
        }
        int length = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getInt();
        byte[] levels = length < 0 ? prefix : data.readNBytes(length);
        if (length < 0 || levels.length != length) {
            throw corrupt("levels of " + length + " bytes in a page that ends before them");
        }
        return levels;
    }

    private void load(DataPage page) {
        begin(page.getValueCount(), Math.max(0, page.getUncompressedSize()));
        int entries = pageEntries;
        try {
            ByteBuffer values;
            Encoding encoding;
            if (page instanceof DataPageV1) {
                DataPageV1 v1 = (DataPageV1) page;
                if (v1.getRlEncoding() != Encoding.RLE || v1.getDlEncoding() != Encoding.RLE) {
                    throw new IllegalStateException("levels encoded as " + v1.getRlEncoding() + "/" + v1.getDlEncoding()
                            + ", not RLE");
                }
                ByteBuffer bytes = v1.getBytes().toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                int at = bytes.position();
                at = levels(bytes, at + 4, lengthAt(bytes, at), 1, entries, true);
                at = levels(bytes, at + 4, lengthAt(bytes, at), definitionWidth, entries, false);
                values = bytes.duplicate().position(at).slice().order(ByteOrder.LITTLE_ENDIAN);
                encoding = v1.getValueEncoding();
            } else {
                DataPageV2 v2 = (DataPageV2) page;
                ByteBuffer repetition = v2.getRepetitionLevels().toByteBuffer();
                ByteBuffer definition = v2.getDefinitionLevels().toByteBuffer();
                levels(repetition, repetition.position(), repetition.remaining(), 1, entries, true);
                levels(definition, definition.position(), definition.remaining(), definitionWidth, entries, false);
                values = v2.getData().toByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
                encoding = v2.getDataEncoding();
            }
            int valueCount = entries - oddCount;
            if (encoding == Encoding.PLAIN) {
                if (values.remaining() < (wide ? 8L : 4L) * valueCount) {
                    throw corrupt("a page of " + valueCount + " plain " + (wide ? "doubles" : "floats") + " in " + values.remaining()
                            + " bytes");
                }
                if (wide) {
                    widePlain = values.asDoubleBuffer();
                } else {
                    plain = values.asFloatBuffer();
                }
                dictionaryPage = false;
            } else if (encoding == Encoding.BYTE_STREAM_SPLIT) {
                if (values.remaining() < (wide ? 8L : 4L) * valueCount) {
                    throw corrupt("a page of " + valueCount + " byte-stream-split " + (wide ? "doubles" : "floats") + " in "
                            + values.remaining() + " bytes");
                }
                split = values;   // (values gathered from their streams as they are copied)
                splitCount = valueCount;
                dictionaryPage = false;
            } else if ((encoding == Encoding.PLAIN_DICTIONARY || encoding == Encoding.RLE_DICTIONARY) && dictionary != null) {
                if (!values.hasRemaining()) {
                    throw corrupt("a dictionary-encoded page without its index width");
                }
                int width = values.get(values.position()) & 0xFF;
                if (width > 32) {
                    throw corrupt("dictionary indices " + width + " bits wide");
                }
                hybrid.start(values, values.position() + 1, values.limit(), width);   // (indices decoded as values are copied)
                indexAt = 0;
                dictionaryPage = true;
            } else {
                throw new IllegalStateException("values encoded as " + encoding + (dictionary == null ? " without a dictionary" : ""));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int lengthAt(ByteBuffer bytes, int at) {
        if (at + 4 > bytes.limit()) {
            throw corrupt("a page too short for its levels");
        }
        int length = bytes.getInt(at);
        if (length < 0 || at + 4 + (long) length > bytes.limit()) {
            throw corrupt("levels of " + length + " bytes in a page of " + bytes.limit());
        }
        return length;
    }

    /**
     * Decodes {@code entries} levels from {@code length} bytes at {@code at}: the row starts
     * (repetition levels, {@code repetition}) or the odd entries (definition levels). Returns
     * the offset past those bytes.
     */
    private int levels(ByteBuffer bytes, int at, int length, int width, int entries, boolean repetition) {
        if (repetition) {
            rowStartCount = 0;
        } else {
            oddCount = 0;
        }
        int max = repetition ? 1 : maxDefinition;
        hybrid.start(bytes, at, at + length, width);
        int e = 0;
        while (e < entries) {
            int n = hybrid.nextRun(entries - e);
            int level = hybrid.runValue;
            for (int k = 0; k < n; k++) {
                if (hybrid.packed) {
                    level = hybrid.packedValues[k];
                }
                if (level > max) {
                    throw corrupt((repetition ? "repetition" : "definition") + " level " + level + " above the column's " + max);
                }
                if (repetition && level == 0) {
                    if (rowStartCount == rowStarts.length) {
                        rowStarts = Arrays.copyOf(rowStarts, 2 * rowStartCount);
                    }
                    rowStarts[rowStartCount++] = e + k;
                } else if (!repetition && level < maxDefinition) {
                    if (oddCount == odd.length) {
                        odd = Arrays.copyOf(odd, 2 * oddCount);
                        oddLevel = Arrays.copyOf(oddLevel, 2 * oddCount);
                    }
                    odd[oddCount] = e + k;
                    oddLevel[oddCount++] = level;
                } else if (!hybrid.packed) {
                    break;   // (a run of continuing entries, or of values: nothing to note)
                }
            }
            e += n;
        }
        return at + length;
    }

    private static IllegalStateException corrupt(String what) {
        return new IllegalStateException("corrupt Parquet page of float scores: " + what);
    }

    /**
     * A reader of Parquet's RLE/bit-packing hybrid encoding: runs of one value, and groups of 8
     * values bit-packed, least significant bit first.
     */
    static final class Hybrid {
        /** Values a bit-packed run is decoded in at a time (64 groups: at most 2 KiB of its bytes). */
        private static final int BLOCK = 512;

        private ByteBuffer bytes;
        private int at;
        private int end;
        private int width;
        /** Whether {@link #end} is where the bytes end (false: more are to come, {@link #moreBytes}). */
        private boolean whole;
        /** The run {@link #nextRun} read: a repeated value, or (packed) values in {@link #packedValues}. */
        boolean packed;
        int runValue;
        final int[] packedValues = new int[BLOCK];
        /** What is left of the current run, decoded or not. */
        private long left;
        /** Of a bit-packed run: its values decoded and not yet read, from {@code packedAt} to {@code packedFilled}. */
        private int packedAt;
        private int packedFilled;

        void start(ByteBuffer bytes, int at, int end, int width) {
            start(bytes, at, end, width, true);
        }

        /** Starts on the bytes from {@code at} to {@code end}, or (not {@code whole}) the first of them, the rest to come. */
        void start(ByteBuffer bytes, int at, int end, int width, boolean whole) {
            this.bytes = bytes;
            this.at = at;
            this.end = end;
            this.width = width;
            this.whole = whole;
            this.left = 0;
            this.packedAt = 0;
            this.packedFilled = 0;
        }

        /**
         * Goes on in {@code bytes}, from 0 to {@code end}, where the bytes from {@link #at()}
         * went (moved to their front, more after them), the run read so far kept; between
         * {@link #nextRun} calls, which leave no run's bytes half read.
         */
        void moreBytes(ByteBuffer bytes, int end, boolean whole) {
            this.bytes = bytes;
            this.at = 0;
            this.end = end;
            this.whole = whole;
        }

        /**
         * Goes on in {@code window}, which holds the bytes read so far: those not read yet moved
         * to its front, then as many more of {@code in} as fit after them ({@link #moreBytes});
         * returns whether {@code in} is read to its end.
         */
        boolean refill(byte[] window, java.io.InputStream in) throws java.io.IOException {
            int left = bytesLeft();
            System.arraycopy(window, at, window, 0, left);
            int read = in.readNBytes(window, left, window.length - left);
            boolean ended = left + read < window.length;
            moreBytes(ByteBuffer.wrap(window).order(ByteOrder.LITTLE_ENDIAN), left + read, ended);
            return ended;
        }

        /** Bytes not read yet, from {@link #at()}. */
        int bytesLeft() {
            return end - at;
        }

        int at() {
            return at;
        }

        /**
         * Reads up to {@code most} entries of the current run, or of the next where it is done;
         * returns how many ({@link #runValue} or {@link #packedValues} from 0 hold them). A call
         * reads at most a run header and {@link #BLOCK} values' bytes.
         */
        int nextRun(int most) {
            if (left == 0) {
                header();
            }
            int n;
            if (packed) {
                if (packedAt == packedFilled) {
                    decodeBlock();
                }
                n = Math.min(packedFilled - packedAt, most);
                if (packedAt > 0) {
                    System.arraycopy(packedValues, packedAt, packedValues, 0, n);
                }
                packedAt += n;
            } else {
                n = (int) Math.min(left, most);
            }
            left -= n;
            return n;
        }

        private void header() {
            int header = varInt();
            packedAt = 0;
            packedFilled = 0;
            if ((header & 1) == 0) {
                packed = false;
                left = header >>> 1;
                int value = 0;
                for (int b = 0; b < (width + 7) / 8; b++) {
                    value |= (byte_() & 0xFF) << (8 * b);
                }
                runValue = value;
                if (left == 0) {
                    throw Hybrid.corrupt("an empty run");
                }
            } else {
                packed = true;
                long groups = header >>> 1;
                if (groups == 0 || whole && groups * width > end - at) {
                    throw Hybrid.corrupt("a bit-packed run of " + groups + " groups of " + width + " bits in " + (end - at) + " bytes");
                }
                left = groups * 8;
            }
        }

        /** Decodes the next {@link #BLOCK} values of the bit-packed run, or what is left of it. */
        private void decodeBlock() {
            int values = (int) Math.min(left, BLOCK);
            if (values / 8 * width > end - at) {
                throw Hybrid.corrupt("a bit-packed run of " + left / 8 + " more groups of " + width + " bits where "
                        + (end - at) + " bytes are left");
            }
            long buffer = 0;
            int bits = 0;
            long mask = (1L << width) - 1;
            for (int k = 0; k < values; k++) {
                while (bits < width) {
                    buffer |= (long) (bytes.get(at++) & 0xFF) << bits;
                    bits += 8;
                }
                packedValues[k] = (int) (buffer & mask);
                buffer >>>= width;
                bits -= width;
            }
            packedAt = 0;
            packedFilled = values;
        }

        private int varInt() {
            int value = 0;
            for (int shift = 0; shift < 35; shift += 7) {
                int b = byte_();
                value |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return value;
                }
            }
            throw Hybrid.corrupt("a run header longer than 5 bytes");
        }

        /** A contradiction in levels or dictionary indices, of a list's page or a binary's. */
        private static IllegalStateException corrupt(String what) {
            return new IllegalStateException("corrupt Parquet page of scores: " + what);
        }

        private int byte_() {
            if (at >= end) {
                throw Hybrid.corrupt("levels or indices end early");
            }
            return bytes.get(at++);
        }
    }
}
