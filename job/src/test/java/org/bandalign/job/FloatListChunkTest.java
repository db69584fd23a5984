package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.bandalign.align.InvalidPairException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page-at-a-time reader of float lists ({@link FloatListChunk}) against what was written:
 * pages built here with parquet-mr's own encoders, cut anywhere (rows spanning pages included),
 * and files of parquet-mr's writer in every page layout, read through {@link ParquetScores}
 * both a page at a time and value by value.
 */
class FloatListChunkTest {
    @TempDir
    Path dir;

    /** A list column's shapes: where its list and element may be null. */
    private static final String[] SCHEMAS = {
        "message m { optional group scores (LIST) { repeated group list { optional float element; } } }",
        "message m { optional group scores (LIST) { repeated group list { required float element; } } }",
        "message m { required group scores (LIST) { repeated group list { required float element; } } }",
        "message m { optional group scores (LIST) { repeated float array; } }",
        "message m { repeated float scores; }",
    };

    /** One row as written: null (values null), or values with null elements at the indexes in {@code nulls}. */
    private record Written(float[] values, List<Integer> nulls) {
        boolean isNull() {
            return values == null;
        }
    }

    /** How {@link #rows} draws values: varied, few (7 distinct), or runs of one value out of 700 (wide dictionary indices in RLE runs). */
    private static final int VARIED = 0;
    private static final int FEW = 1;
    private static final int RUNS = 2;

    private static List<Written> rows(Random random, int count, boolean listMayBeNull, boolean elementMayBeNull, int valueMode) {
        float[] specials = {Float.NaN, -0.0f, 0.0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.MIN_VALUE, -Float.MAX_VALUE};
        List<Written> rows = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            int kind = random.nextInt(20);
            if (kind == 0 && listMayBeNull) {
                rows.add(new Written(null, List.of()));
                continue;
            }
            int length = kind == 1 ? 0 : kind < 8 ? 1 + random.nextInt(4) : kind < 18 ? random.nextInt(200) : 1000 + random.nextInt(3000);
            float[] values = new float[length];
            for (int k = 0; k < length; k++) {
                if (valueMode == RUNS) {   // (a run of 8 to 40, cut by the row's end)
                    int end = Math.min(length, k + 8 + random.nextInt(33));
                    java.util.Arrays.fill(values, k, end, 0.5f * random.nextInt(700));
                    k = end - 1;
                    continue;
                }
                values[k] = valueMode == FEW ? random.nextInt(7) - 3 : random.nextInt(30) == 0 ? specials[random.nextInt(specials.length)]
                        : (float) random.nextGaussian() * 1e3f;
            }
            List<Integer> nulls = new ArrayList<>();
            if (elementMayBeNull && length > 0 && random.nextInt(12) == 0) {
                nulls.add(random.nextInt(length));
                if (random.nextBoolean()) {
                    nulls.add(length - 1);
                }
            }
            rows.add(new Written(values, nulls.stream().distinct().sorted().toList()));
        }
        return rows;
    }

    /**
     * The levels and values of {@code rows} in column {@code c}: entries, as parquet-mr's record
     * writer would make them; a double column's values are {@link #wide}, the floats widened
     * unless a test sets some.
     */
    private static final class Entries {
        final List<int[]> levels = new ArrayList<>();   // {repetition, definition}
        final List<Float> values = new ArrayList<>();
        final List<Double> wide = new ArrayList<>();

        Entries(List<Written> rows, ColumnDescriptor c, boolean elementMayBeNull) {
            int max = c.getMaxDefinitionLevel();
            int empty = max - (elementMayBeNull ? 2 : 1);
            for (Written w : rows) {
                if (w.isNull()) {
                    levels.add(new int[] {0, 0});
                } else if (w.values().length == 0) {
                    levels.add(new int[] {0, empty});
                } else {
                    for (int k = 0; k < w.values().length; k++) {
                        boolean isNull = w.nulls().contains(k);
                        levels.add(new int[] {k == 0 ? 0 : 1, isNull ? max - 1 : max});
                        if (!isNull) {
                            values.add(w.values()[k]);
                            wide.add((double) w.values()[k]);
                        }
                    }
                }
            }
        }
    }

    /** Hand-made pages of {@code entries}, cut at {@code cuts} (entry indexes), version 1 or 2, plain or dictionary-encoded. */
    private static PageReader pages(Entries entries, ColumnDescriptor c, List<Integer> cuts, boolean v2, boolean dictionary)
            throws Exception {
        return pages(entries, c, cuts, v2, dictionary ? Encoding.RLE_DICTIONARY : Encoding.PLAIN);
    }

    /**
     * Hand-made pages of {@code entries}, cut at {@code cuts} (entry indexes), version 1 or 2,
     * values in {@code encoding}: floats, or doubles ({@link Entries#wide}) for a double column.
     */
    private static PageReader pages(Entries entries, ColumnDescriptor c, List<Integer> cuts, boolean v2, Encoding encoding)
            throws Exception {
        boolean dictionary = encoding == Encoding.RLE_DICTIONARY;
        boolean doubles = c.getPrimitiveType().getPrimitiveTypeName() == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.DOUBLE;
        int width = doubles ? 8 : 4;
        List<Long> bits = new ArrayList<>();   // (each value's bits, as stored)
        for (int k = 0; k < entries.values.size(); k++) {
            bits.add(doubles ? Double.doubleToLongBits(entries.wide.get(k)) : Float.floatToIntBits(entries.values.get(k)));
        }
        List<Long> distinct = bits.stream().distinct().toList();
        Map<Long, Integer> ids = new HashMap<>();
        for (int k = 0; k < distinct.size(); k++) {
            ids.put(distinct.get(k), k);
        }
        int idWidth = 32 - Integer.numberOfLeadingZeros(Math.max(0, distinct.size() - 1));
        List<DataPage> pages = new ArrayList<>();
        int value = 0;
        int defWidth = 32 - Integer.numberOfLeadingZeros(c.getMaxDefinitionLevel());
        Statistics<?> stats = Statistics.getBuilderForReading(c.getPrimitiveType()).build();
        for (int p = 0; p + 1 < cuts.size(); p++) {
            RunLengthBitPackingHybridEncoder rep = encoder(1);
            RunLengthBitPackingHybridEncoder def = encoder(defWidth);
            ByteArrayOutputStream plain = new ByteArrayOutputStream();
            RunLengthBitPackingHybridEncoder indexes = encoder(idWidth);
            int values = 0;
            for (int e = cuts.get(p); e < cuts.get(p + 1); e++) {
                int[] l = entries.levels.get(e);
                rep.writeInt(l[0]);
                def.writeInt(l[1]);
                if (l[1] == c.getMaxDefinitionLevel()) {
                    long v = bits.get(value++);
                    values++;
                    if (dictionary) {
                        indexes.writeInt(ids.get(v));
                    } else {
                        plain.write(Arrays.copyOf(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array(), width));
                    }
                }
            }
            byte[] plainBytes = plain.toByteArray();
            if (encoding == Encoding.BYTE_STREAM_SPLIT) {   // byte k of value i at k * values + i
                byte[] split = new byte[plainBytes.length];
                for (int i = 0; i < values; i++) {
                    for (int k = 0; k < width; k++) {
                        split[k * values + i] = plainBytes[width * i + k];
                    }
                }
                plainBytes = split;
            }
            BytesInput data = dictionary ? BytesInput.concat(BytesInput.from(new byte[] {(byte) idWidth}), indexes.toBytes())
                    : BytesInput.from(plainBytes);
            int count = cuts.get(p + 1) - cuts.get(p);
            if (v2) {
                pages.add(DataPageV2.uncompressed(count, count - values, count, rep.toBytes(), def.toBytes(), encoding, data, stats));
            } else {
                BytesInput bytes = BytesInput.concat(lengthPrefixed(rep.toBytes()), lengthPrefixed(def.toBytes()), data);
                pages.add(new DataPageV1(BytesInput.copy(bytes), count, (int) bytes.size(), stats, Encoding.RLE, Encoding.RLE, encoding));
            }
        }
        ByteBuffer dict = ByteBuffer.allocate(width * distinct.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : distinct) {
            if (doubles) {
                dict.putLong(v);
            } else {
                dict.putInt((int) v);
            }
        }
        DictionaryPage dictionaryPage = dictionary ? new DictionaryPage(BytesInput.from(dict.array()), distinct.size(), Encoding.PLAIN) : null;
        long total = entries.levels.size();
        return new PageReader() {
            private int next;

            @Override
            public DictionaryPage readDictionaryPage() {
                return dictionaryPage;
            }

            @Override
            public long getTotalValueCount() {
                return total;
            }

            @Override
            public DataPage readPage() {
                return next < pages.size() ? pages.get(next++) : null;
            }
        };
    }

    private static RunLengthBitPackingHybridEncoder encoder(int width) {
        return new RunLengthBitPackingHybridEncoder(width, 64, 1 << 20, new HeapByteBufferAllocator());
    }

    private static BytesInput lengthPrefixed(BytesInput b) throws Exception {
        return BytesInput.concat(BytesInput.fromInt((int) b.size()), b);
    }

    /** Requires {@code read} (a row's outcome) to be what {@code w} holds: null, its first null element's rejection, or its values bit for bit. */
    private static void assertRow(Written w, Object read, String what) {
        if (w.isNull()) {
            assertNull(read, what);
        } else if (!w.nulls().isEmpty()) {
            assertEquals("pair 'p': " + PairDecoder.nullElement(w.nulls().get(0)), read, what);
        } else {
            assertTrue(read instanceof float[], what + ": " + read);
            float[] got = (float[]) read;
            assertEquals(w.values().length, got.length, what);
            for (int k = 0; k < got.length; k++) {
                if (Float.floatToIntBits(w.values()[k]) != Float.floatToIntBits(got[k])) {
                    throw new AssertionError(what + ": value " + k + " is " + got[k] + ", written " + w.values()[k]);
                }
            }
        }
    }

    private static Object outcome(java.util.function.Supplier<float[]> read) {
        try {
            return read.get();
        } catch (InvalidPairException e) {
            return e.getMessage();
        }
    }

    /**
     * Rows of every shape (null, empty, one to four values, so that levels are bit-packed, long
     * rows, null elements) in pages cut at random entries, so that rows span two or more pages,
     * of each version and value encoding: each row read, or skipped, is what was written; the
     * size check sees the row's claim capped by its own entries where its page holds it whole,
     * else by the entries left, and is not asked for a null row. Stored as floats, and as
     * doubles (the same values widened, so they read back the same).
     */
    private static final Encoding[] ENCODINGS = {Encoding.PLAIN, Encoding.RLE_DICTIONARY, Encoding.BYTE_STREAM_SPLIT};

    /** A chunk of random rows, its entries, its page boundaries, and what the case is called. */
    private record Fuzzed(List<Written> rows, Entries entries, List<Integer> cuts, FloatListChunk chunk, String what) {
    }

    /**
     * 300 random rows of schema {@code s} (its elements {@code stored}), in the variant's
     * encoding and page version, varied values below variant 6, few distinct values below
     * {@code runsFrom}, long runs from there, cut into random pages.
     */
    private static Fuzzed fuzzed(String stored, int s, int variant, Random random, int runsFrom) throws Exception {
        MessageType schema = MessageTypeParser.parseMessageType(SCHEMAS[s].replace(" float ", " " + stored + " "));
        ColumnDescriptor c = schema.getColumns().get(0);
        boolean listMayBeNull = s < 2;
        boolean elementMayBeNull = s == 0;
        boolean v2 = (variant & 1) != 0;
        Encoding encoding = ENCODINGS[(variant >> 1) % 3];
        List<Written> rows = rows(random, 300, listMayBeNull, elementMayBeNull, variant < 6 ? VARIED : variant < runsFrom ? FEW : RUNS);
        Entries entries = new Entries(rows, c, elementMayBeNull);
        List<Integer> cuts = randomCuts(random, entries.levels.size());
        FloatListChunk chunk = new FloatListChunk(pages(entries, c, cuts, v2, encoding), c, listMayBeNull ? 1 : 0, elementMayBeNull);
        return new Fuzzed(rows, entries, cuts, chunk, "schema " + s + " variant " + variant + " (" + encoding + (v2 ? ", v2" : "") + ")");
    }

    /** Page boundaries for {@code entries} level entries: pages of 1 to 3000 entries, some empty. */
    private static List<Integer> randomCuts(Random random, int entries) {
        List<Integer> cuts = new ArrayList<>(List.of(0));
        while (cuts.get(cuts.size() - 1) < entries) {
            int size = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(random.nextBoolean() ? 20 : 3000);
            cuts.add(Math.min(entries, cuts.get(cuts.size() - 1) + size));
        }
        return cuts;
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "stored as {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"float", "double"})
    void readRow_pagesCutAnywhere_eachRowAsWritten(String stored) throws Exception {
        int checked = 0;
        for (int s = 0; s < 3; s++) {
            for (int variant = 0; variant < 16; variant++) {
                Random random = new Random(31 * s + variant);
                Fuzzed fuzz = fuzzed(stored, s, variant, random, 10);
                List<Written> rows = fuzz.rows();
                Entries entries = fuzz.entries();
                List<Integer> cuts = fuzz.cuts();
                FloatListChunk chunk = fuzz.chunk();
                String what = fuzz.what();
                long entriesLeft = entries.levels.size();
                for (int r = 0; r < rows.size(); r++) {
                    assertEquals(entriesLeft, chunk.entriesLeft(), what + " row " + r);
                    Written w = rows.get(r);
                    int held = w.isNull() ? 0 : w.values().length;
                    int start = entries.levels.size() - (int) entriesLeft;
                    entriesLeft -= Math.max(1, held);
                    if (random.nextInt(4) == 0) {
                        chunk.skipRow();
                        continue;
                    }
                    long expected = random.nextInt(3) == 0 ? held + random.nextInt(5) - 2 : random.nextInt(10) == 0 ? 1L << 40 : held;
                    long[] claimed = {-1};
                    boolean[] asked = {false};
                    // (the first check is the row's claim; a row longer than its shape is checked again as it grows)
                    Object read = outcome(() -> chunk.readRow("p", expected, (id, floats, page) -> {
                        if (!asked[0]) {
                            asked[0] = true;
                            claimed[0] = floats;
                        }
                    }));
                    int end = start + Math.max(1, held);
                    int pageEnd = cuts.stream().filter(cut -> cut > start).findFirst().orElseThrow();
                    long bound = end < pageEnd ? end - start : entriesLeft + Math.max(1, held);   // (its own entries where its page holds it)
                    assertEquals(w.isNull() ? -1 : Math.min(expected, bound), claimed[0], what + " row " + r);
                    assertRow(w, read, what + " row " + r);
                    checked++;
                }
                assertEquals(0, chunk.entriesLeft(), what);
                assertThrows(IllegalStateException.class, chunk::skipRow, what);
            }
        }
        assertTrue(checked > 3 * 12 * 200, "rows checked: " + checked);
    }

    /**
     * Rows far longer than their shapes (a shape of 0 to 2 floats), refused by the size check at a
     * random point as they grow, in every encoding and page version, rows cut across pages, null
     * elements: each is dropped saying how many floats it holds, or read whole where the check
     * let it, and the rows after it read as written (a review of the reader's dropping).
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "stored as {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"float", "double"})
    void readRow_rowsFarLongerThanTheirShapes_droppedAtAnyPoint_theNextRowReads(String stored) throws Exception {
        int dropped = 0;
        int checked = 0;
        for (int s = 0; s < 3; s++) {
            for (int variant = 0; variant < 18; variant++) {
                Random random = new Random(77 * s + variant);
                Fuzzed fuzz = fuzzed(stored, s, variant, random, 12);
                List<Written> rows = fuzz.rows();
                Entries entries = fuzz.entries();
                List<Integer> cuts = fuzz.cuts();
                FloatListChunk chunk = fuzz.chunk();
                String what = fuzz.what();
                for (int r = 0; r < rows.size(); r++) {
                    Written w = rows.get(r);
                    int held = w.isNull() ? 0 : w.values().length;
                    if (random.nextInt(5) == 0) {
                        chunk.skipRow();
                        continue;
                    }
                    boolean liar = held > 10 && random.nextBoolean();
                    long expected = liar ? random.nextInt(3) : held;
                    int limit = liar ? random.nextInt(held) : Integer.MAX_VALUE;
                    Object read = outcome(() -> chunk.readRow("p", expected, (id, floats, page) -> {
                        if (floats > limit && floats > expected) {
                            throw new InvalidPairException(id, "too many " + floats);
                        }
                    }));
                    if (liar) {
                        if (read instanceof String str && str.contains("too many to read")) {
                            dropped++;
                            assertEquals(ParquetScores.longerThanShape("p", held, expected).getMessage(), read, what + " row " + r);
                        } else if (read instanceof float[] f) {
                            assertRow(w, read, what + " row " + r);
                        } else {
                            assertTrue(!w.nulls().isEmpty(), what + " row " + r + ": " + read);
                            assertRow(w, read, what + " row " + r);
                        }
                    } else {
                        assertRow(w, read, what + " row " + r);
                    }
                    checked++;
                }
                assertEquals(0, chunk.entriesLeft(), what);
            }
        }
        assertTrue(dropped > 100, "dropped " + dropped);
    }

    /**
     * Doubles beyond float32's range in rows cut across pages, in each version and encoding: the
     * row is rejected naming the first such double and its index within the row (null elements
     * counted), a null element before or after it is reported instead, and the rows around
     * read as written, narrowed to the nearest floats.
     */
    @Test
    void readRow_doublesBeyondFloatRangeAcrossPages_rejectNamingTheIndexInTheRow() throws Exception {
        ColumnDescriptor c = MessageTypeParser.parseMessageType(SCHEMAS[0].replace(" float ", " double ")).getColumns().get(0);
        float[] ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        List<Written> rows = List.of(new Written(ten, List.of()), new Written(ten, List.of(2)), new Written(ten, List.of(8)),
                new Written(new float[] {1, 2, 3}, List.of()));
        int checked = 0;
        for (Encoding encoding : new Encoding[] {Encoding.PLAIN, Encoding.RLE_DICTIONARY, Encoding.BYTE_STREAM_SPLIT}) {
            for (boolean v2 : new boolean[] {false, true}) {
                Entries entries = new Entries(rows, c, true);
                // row 0: beyond at 7 (its third page); row 1: null at 2, beyond at 6; row 2: beyond at 1, null at 8;
                // row 3: 0.1, and a double just past float32's largest that still rounds to it
                entries.wide.set(7, 1e39);
                entries.wide.set(10 + 5, -1e300);   // (row 1's values: 9, its null taking no value)
                entries.wide.set(19 + 1, Double.MAX_VALUE);
                entries.wide.set(28, 0.1);
                entries.wide.set(29, Float.MAX_VALUE * (1 + 0x1p-25));
                FloatListChunk chunk = new FloatListChunk(pages(entries, c, List.of(0, 3, 6, 9, 12, 16, 30, 33), v2, encoding), c, 1,
                        true);
                String what = encoding + (v2 ? ", v2" : "");
                assertEquals("pair 'p': " + PairDecoder.beyondFloatRange(1e39, 7), outcome(() -> chunk.readRow("p", 10, (id, n, page) -> { })),
                        what);
                assertEquals("pair 'p': " + PairDecoder.nullElement(2), outcome(() -> chunk.readRow("p", 10, (id, n, page) -> { })), what);
                assertEquals("pair 'p': " + PairDecoder.nullElement(8), outcome(() -> chunk.readRow("p", 10, (id, n, page) -> { })), what);
                float[] last = chunk.readRow("p", 3, (id, n, page) -> { });
                assertArrayEquals(new float[] {0.1f, Float.MAX_VALUE, 3}, last, what);
                assertEquals(0, chunk.entriesLeft(), what);
                checked++;
            }
        }
        assertEquals(6, checked);
    }

    /** A row the size check refuses is not read: the next read is that row again, whole. */
    @Test
    void readRow_refusedBySizeCheck_rowStaysToRead() throws Exception {
        ColumnDescriptor c = MessageTypeParser.parseMessageType(SCHEMAS[1]).getColumns().get(0);
        List<Written> rows = List.of(new Written(new float[] {1, 2, 3}, List.of()), new Written(new float[] {4}, List.of()));
        Entries entries = new Entries(rows, c, false);
        FloatListChunk chunk = new FloatListChunk(pages(entries, c, List.of(0, 2, 4), false, false), c, 1, false);
        assertThrows(InvalidPairException.class, () -> chunk.readRow("p", 3, (id, n, page) -> {
            throw new InvalidPairException(id, "too large");
        }));
        assertEquals(4, chunk.entriesLeft());
        assertRow(rows.get(0), chunk.readRow("p", 3, (id, n, page) -> { }), "row 0 again");
        assertRow(rows.get(1), chunk.readRow("p", 1, (id, n, page) -> { }), "row 1");
    }

    /**
     * Pages that say their size before they are read ({@link FloatListChunk.PeekablePages}, as
     * the file's pages do) are offered to the size check first: a page refused is not read, the
     * row it belongs to (or the row past it) refused; a row refused after its first page, in a
     * later one, is passed over before the next row is read, once its pages fit; whether read or
     * skipped, the rows after come out as written.
     */
    @Test
    void readRow_pagesOfferedBeforeTheyAreRead_aRefusedOneIsNotRead_andTheRowsAfterReadOnceItFits() throws Exception {
        ColumnDescriptor c = MessageTypeParser.parseMessageType(SCHEMAS[1]).getColumns().get(0);
        float[] forty = new float[40];
        for (int k = 0; k < forty.length; k++) {
            forty[k] = k;
        }
        List<Written> rows = List.of(new Written(new float[] {1, 2, 3}, List.of()), new Written(forty, List.of()),
                new Written(new float[] {4, 5}, List.of()), new Written(new float[] {6, 7, 8, 9, 10}, List.of()));
        Entries entries = new Entries(rows, c, false);
        List<Integer> cuts = List.of(0, 3, 13, 43, 45, 50);   // row 1 in a page of 10 entries and one of 30
        for (boolean skipping : new boolean[] {false, true}) {
            List<DataPage> read = new ArrayList<>();
            Peeked peekable = new Peeked(pages(entries, c, cuts, false, false), false, read);
            long[] limit = {100};   // (the pages of 2 to 10 entries take under 100 bytes, that of 30 more)
            List<String> offered = new ArrayList<>();
            ParquetScores.SizeCheck fits = (id, floats, page) -> {
                offered.add(id + " " + floats + " " + (page > 0));
                if (page > limit[0]) {
                    throw new InvalidPairException(id, "page of " + page);
                }
            };
            FloatListChunk chunk = new FloatListChunk(peekable, c, 1, false);
            String what = skipping ? "skipping" : "reading";
            if (skipping) {
                chunk.skipRow("p0", fits);
                assertThrows(InvalidPairException.class, () -> chunk.skipRow("p1", fits));   // (refused in its second page, yet begun)
            } else {
                assertRow(rows.get(0), chunk.readRow("p0", 3, fits), what);
                assertTrue(outcome(() -> chunk.readRow("p1", 40, fits)).toString().startsWith("pair 'p1': page of "), what);
            }
            assertEquals(2, chunk.rowsBegun(), what);
            assertEquals(2, read.size(), what + ": the page of 30 entries was not read");
            assertEquals(what.equals("reading") ? "p1 40 true" : "p1 0 true", offered.get(offered.size() - 1),
                    what + ": row 1's floats gathered, beside its second page");
            assertTrue(outcome(() -> chunk.readRow("p2", 2, fits)).toString().startsWith("pair 'p2': page of "), what);
            assertEquals(2, chunk.rowsBegun(), what + ": row 2 not begun");
            assertEquals(2, read.size(), what);
            limit[0] = Long.MAX_VALUE;
            assertRow(rows.get(2), chunk.readRow("p2", 2, fits), what + ": row 2, row 1's rest passed over");
            assertRow(rows.get(3), chunk.readRow("p3", 5, fits), what);
            assertEquals(0, chunk.entriesLeft(), what);
            assertEquals(4, chunk.rowsBegun(), what);
            assertEquals(5, read.size(), what);
        }
    }

    /**
     * A row that ends with its page, the next page refused: it is whole where that page is known
     * to start a row (a version-2 page, a chunk with an offset index), and refused otherwise (a
     * version-1 page may go on with it), the chunk then passing over what is left of it.
     */
    @Test
    void readRow_aRowEndingWithItsPage_theNextRefused_wholeWhereThatPageStartsARow() throws Exception {
        ColumnDescriptor c = MessageTypeParser.parseMessageType(SCHEMAS[1]).getColumns().get(0);
        List<Written> rows = List.of(new Written(new float[] {1, 2, 3}, List.of()), new Written(new float[40], List.of()),
                new Written(new float[] {4, 5}, List.of()));
        Entries entries = new Entries(rows, c, false);
        for (boolean startsARow : new boolean[] {true, false}) {
            List<DataPage> read = new ArrayList<>();
            FloatListChunk chunk = new FloatListChunk(new Peeked(pages(entries, c, List.of(0, 3, 43, 45), false, false), startsARow, read),
                    c, 1, false);
            long[] limit = {100};
            ParquetScores.SizeCheck fits = (id, floats, page) -> {
                if (page > limit[0]) {
                    throw new InvalidPairException(id, "page of " + page);
                }
            };
            String what = startsARow ? "the next page starts a row" : "a version-1 page";
            if (startsARow) {
                assertRow(rows.get(0), chunk.readRow("p0", 3, fits), what);
            } else {
                assertTrue(outcome(() -> chunk.readRow("p0", 3, fits)).toString().startsWith("pair 'p0': page of "), what);
            }
            assertEquals(1, chunk.rowsBegun(), what);
            assertEquals(1, read.size(), what + ": the page of 40 entries was not read");
            assertTrue(outcome(() -> chunk.readRow("p1", 40, fits)).toString().startsWith("pair 'p1': page of "), what);
            assertEquals(1, chunk.rowsBegun(), what + ": row 1 not begun");
            limit[0] = Long.MAX_VALUE;
            assertRow(rows.get(1), chunk.readRow("p1", 40, fits), what);
            assertRow(rows.get(2), chunk.readRow("p2", 2, fits), what);
            assertEquals(0, chunk.entriesLeft(), what);
        }
    }

    /**
     * A page read as a stream lets its decoder go once it is done (closed, so that what zlib and
     * zstd hold outside the heap goes at once): as the next page is read, and the last one when
     * the chunk is let go.
     */
    @Test
    void readRow_streamedPages_eachDecoderClosedOnceItsPageIsDone() throws Exception {
        ColumnDescriptor c = MessageTypeParser.parseMessageType(SCHEMAS[1]).getColumns().get(0);
        Random random = new Random(10);
        List<Written> rows = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            float[] values = new float[20_000];
            for (int k = 0; k < values.length; k++) {
                values[k] = random.nextFloat();
            }
            rows.add(new Written(values, List.of()));
        }
        PageReader all = pages(new Entries(rows, c, false), c, List.of(0, 20_000, 40_000, 60_000), false, false);
        List<Boolean> closed = new ArrayList<>();
        FloatListChunk.PeekablePages streaming = new Peeked(all, true, new ArrayList<>()) {
            @Override
            public long nextPageStreamBytes() {
                return nextPageBytes() == 0 ? 0 : 1;
            }

            @Override
            public FloatListChunk.PageStream streamNextPage() {
                DataPageV1 page = (DataPageV1) take();
                int at = closed.size();
                closed.add(false);
                try {
                    return new FloatListChunk.PageStream(page.getValueCount(), page.getValueEncoding(), null, null, page.getRlEncoding(),
                            page.getDlEncoding(),
                            new java.io.ByteArrayInputStream(page.getBytes().toByteArray()) {
                                @Override
                                public void close() {
                                    closed.set(at, true);
                                }
                            });
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }

            @Override
            public DataPage readPage() {
                throw new AssertionError("a page too large to hold, read whole");
            }
        };
        ParquetScores.SizeCheck fits = (id, floats, page) -> {   // (a page of 20,000 floats whole: refused; as a stream: 64 KiB)
            if (page > 70_000) {
                throw new InvalidPairException(id, "page of " + page);
            }
        };
        FloatListChunk chunk = new FloatListChunk(streaming, c, 1, false);
        for (int r = 0; r < rows.size(); r++) {
            assertRow(rows.get(r), chunk.readRow("p", 20_000, fits), "row " + r);
        }
        assertEquals(List.of(true, true, false), closed, "each page's decoder closed as the next is read");
        chunk.release();
        assertEquals(List.of(true, true, true), closed, "the last one, as the chunk is let go");
    }

    /** Pages that say their size before they are read, and whether the next starts a row, as given; those read are kept in {@code read}. */
    private static class Peeked implements FloatListChunk.PeekablePages {
        private final PageReader all;
        private final boolean startsARow;
        private final List<DataPage> read;
        private DataPage next;

        Peeked(PageReader all, boolean startsARow, List<DataPage> read) {
            this.all = all;
            this.startsARow = startsARow;
            this.read = read;
        }

        @Override
        public long nextPageBytes() {
            next = next != null ? next : all.readPage();
            return next == null ? 0 : next.getUncompressedSize();
        }

        @Override
        public long dictionaryBytes() {
            return 0;   // (the chunks these tests read have no dictionary)
        }

        @Override
        public long nextPageStreamBytes() {
            return -1;   // (these pages are held whole)
        }

        @Override
        public FloatListChunk.PageStream streamNextPage() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean nextPageStartsARow() {
            return startsARow;
        }

        @Override
        public DataPage readPage() {
            DataPage page = take();
            if (page != null) {
                read.add(page);
            }
            return page;
        }

        /** The next page, peeked at or not. */
        final DataPage take() {
            DataPage page = next != null ? next : all.readPage();
            next = null;
            return page;
        }

        @Override
        public DictionaryPage readDictionaryPage() {
            return all.readDictionaryPage();
        }

        @Override
        public long getTotalValueCount() {
            return all.getTotalValueCount();
        }
    }

    /** Pages that contradict themselves fail the read, saying the page is corrupt, rather than giving wrong floats. */
    @Test
    void readRow_corruptPages_failNamingTheProblem() throws Exception {
        ColumnDescriptor c = MessageTypeParser.parseMessageType(SCHEMAS[1]).getColumns().get(0);
        List<Written> rows = List.of(new Written(new float[] {1, 2, 3}, List.of()), new Written(new float[] {4, 5}, List.of()));
        Entries entries = new Entries(rows, c, false);
        // a chunk whose first page continues a row
        PageReader cutMidRow = pages(entries, c, List.of(0, 1, 5), false, false);
        cutMidRow.readPage();
        FloatListChunk fromSecond = new FloatListChunk(new PageReader() {
            @Override
            public DictionaryPage readDictionaryPage() {
                return null;
            }

            @Override
            public long getTotalValueCount() {
                return 4;
            }

            @Override
            public DataPage readPage() {
                return cutMidRow.readPage();
            }
        }, c, 1, false);
        assertTrue(assertThrows(IllegalStateException.class, () -> fromSecond.readRow("p", 3, (id, n, page) -> { }))
                .getMessage().contains("continues a row"));
        // plain values fewer than the levels say
        DataPageV2 short_ = DataPageV2.uncompressed(2, 0, 5, levels(1, 0, 1, 1, 0, 1), levels(2, 2, 2, 2, 2, 2), Encoding.PLAIN,
                BytesInput.from(new byte[12]), Statistics.getBuilderForReading(c.getPrimitiveType()).build());
        assertTrue(assertThrows(IllegalStateException.class, () -> new FloatListChunk(one(short_, 5), c, 1, false)
                .readRow("p", 3, (id, n, page) -> { })).getMessage().contains("5 plain floats in 12 bytes"));
        // a definition level above the column's
        DataPageV2 deep = DataPageV2.uncompressed(1, 0, 2, levels(1, 0, 1), levels(2, 2, 3), Encoding.PLAIN,
                BytesInput.from(new byte[8]), Statistics.getBuilderForReading(c.getPrimitiveType()).build());
        assertTrue(assertThrows(IllegalStateException.class, () -> new FloatListChunk(one(deep, 2), c, 1, false)
                .readRow("p", 2, (id, n, page) -> { })).getMessage().contains("definition level 3 above the column's 2"));
    }

    private static BytesInput levels(int width, int... levels) throws Exception {
        RunLengthBitPackingHybridEncoder e = encoder(width);
        for (int l : levels) {
            e.writeInt(l);
        }
        return BytesInput.copy(e.toBytes());
    }

    private static PageReader one(DataPage page, long entries) {
        return new PageReader() {
            private boolean read;

            @Override
            public DictionaryPage readDictionaryPage() {
                return null;
            }

            @Override
            public long getTotalValueCount() {
                return entries;
            }

            @Override
            public DataPage readPage() {
                DataPage p = read ? null : page;
                read = true;
                return p;
            }
        };
    }

    /**
     * Files of parquet-mr's writer, of each list shape, in version-1 and version-2 pages, with
     * and without a dictionary (and with one that it gives up on mid-chunk), plain or
     * byte-stream split, in small and large
     * pages and row groups, under each codec: every row read by {@link ParquetScores} a page at a
     * time is what it reads value by value, and what was written, in order and with rows skipped.
     */
    @Test
    void parquetScores_filesOfParquetMr_pageAtATimeAsValueByValue() throws Exception {
        CompressionCodecName[] codecs = {CompressionCodecName.UNCOMPRESSED, CompressionCodecName.SNAPPY, CompressionCodecName.GZIP,
                CompressionCodecName.ZSTD};
        long chunksBefore = FloatListChunk.CHUNKS.get();
        long streamedBefore = StreamedPages.CHUNKS.get();
        int files = 0;
        int checked = 0;
        for (int s = 0; s < SCHEMAS.length; s++) {
            MessageType schema = MessageTypeParser.parseMessageType(SCHEMAS[s]);
            boolean listMayBeNull = s != 2 && s != 4;
            boolean elementMayBeNull = s == 0;
            for (int variant = 0; variant < 8; variant++) {
                Random random = new Random(100 * s + variant);
                boolean v2 = (variant & 1) != 0;
                boolean dictionary = (variant & 2) != 0;
                boolean small = (variant & 4) != 0;
                List<Written> rows = rows(random, 400, listMayBeNull, elementMayBeNull, dictionary && variant % 3 == 0 ? FEW : VARIED);
                org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("f-" + s + "-" + variant + ".parquet").toUri());
                try (ParquetWriter<Group> w = ExampleParquetWriter.builder(file).withType(schema).withConf(new Configuration())
                        .withWriterVersion(v2 ? ParquetProperties.WriterVersion.PARQUET_2_0 : ParquetProperties.WriterVersion.PARQUET_1_0)
                        .withDictionaryEncoding(dictionary).withDictionaryPageSize(small ? 256 : 1 << 20)
                        .withByteStreamSplitEncoding(variant % 3 == 1)
                        .withPageSize(small ? 512 : 1 << 20).withRowGroupSize(small ? 16 << 10 : 128 << 20)
                        .withCompressionCodec(codecs[(s + variant) % codecs.length]).build()) {
                    for (Written row : rows) {
                        w.write(group(schema, s, row));
                    }
                }
                files++;
                String what = "schema " + s + " variant " + variant;
                for (int order = 0; order < 2; order++) {
                    Random pick = new Random(order);
                    try (ParquetScores byPage = new ParquetScores(Configuration::new, true);
                         ParquetScores byValue = new ParquetScores(Configuration::new, false)) {
                        for (int r = 0; r < rows.size(); r++) {
                            if (order == 1 && pick.nextInt(3) == 0) {
                                continue;   // (skipped rows)
                            }
                            int row = r;
                            Written w = rows.get(r);
                            long held = w.isNull() ? 0 : w.values().length;
                            Object a = outcome(() -> byPage.read(file.toString(), row, "p", held, (id, n, page) -> { }));
                            Object b = outcome(() -> byValue.read(file.toString(), row, "p", held, (id, n, page) -> { }));
                            assertRow(w, a, what + " row " + r + " a page at a time");
                            assertRow(w, b, what + " row " + r + " value by value");
                            checked++;
                        }
                    }
                }
            }
        }
        assertEquals(SCHEMAS.length * 8, files);
        assertTrue(checked > files * 600, "rows checked: " + checked);
        assertTrue(FloatListChunk.CHUNKS.get() - chunksBefore >= 2L * files, "chunks read a page at a time: "
                + (FloatListChunk.CHUNKS.get() - chunksBefore));
        assertEquals(FloatListChunk.CHUNKS.get() - chunksBefore, StreamedPages.CHUNKS.get() - streamedBefore,
                "of them, streamed from the file a page at a time");
    }

    /**
     * Files of float64 lists (as NumPy's arrays are written), of each list shape, version-1 and
     * version-2 pages, plain, dictionary-encoded or byte-stream split, under each codec, with
     * doubles that narrow to floats, to zero, to float32's largest value, and beyond its range:
     * every row read a page at a time is what the value-by-value reader gives (which
     * {@code PairDecoder} and Spark's cast agree with): the nearest floats, or the rejection for
     * its first null element, else for its first finite double beyond float32's range.
     */
    @Test
    void parquetScores_doubleFiles_pageAtATimeAsValueByValue_narrowedAsSparksCast() throws Exception {
        double[] specials = {Double.NaN, -0.0, 0.0, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, Double.MIN_VALUE, 1e-50,
            Float.MAX_VALUE, -(double) Float.MAX_VALUE * (1 + 0x1p-25), 0.1, 1 / 3.0};
        double[] beyond = {1e39, -1e300, Double.MAX_VALUE, (double) Float.MAX_VALUE * (1 + 0x1p-23)};
        CompressionCodecName[] codecs = {CompressionCodecName.UNCOMPRESSED, CompressionCodecName.SNAPPY, CompressionCodecName.ZSTD};
        long chunksBefore = FloatListChunk.CHUNKS.get();
        int files = 0;
        int rejectedForRange = 0;
        int checked = 0;
        for (int s = 0; s < SCHEMAS.length; s++) {
            MessageType schema = MessageTypeParser.parseMessageType(SCHEMAS[s].replace(" float ", " double "));
            boolean listMayBeNull = s != 2 && s != 4;
            boolean elementMayBeNull = s == 0;
            for (int variant = 0; variant < 6; variant++) {
                Random random = new Random(700 * s + variant);
                boolean v2 = (variant & 1) != 0;
                boolean dictionary = variant / 2 == 1;
                List<Written> shapes = rows(random, 300, listMayBeNull, elementMayBeNull, dictionary ? FEW : VARIED);
                List<double[]> doubles = new ArrayList<>();
                for (Written w : shapes) {
                    double[] d = w.isNull() ? null : new double[w.values().length];
                    for (int k = 0; d != null && k < d.length; k++) {
                        int pick = random.nextInt(200);
                        d[k] = pick < 4 ? specials[random.nextInt(specials.length)] : pick == 4 && random.nextInt(8) == 0
                                ? beyond[random.nextInt(beyond.length)] : dictionary ? w.values()[k] : random.nextGaussian() * 1e3;
                    }
                    doubles.add(d);
                }
                org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("d-" + s + "-" + variant + ".parquet").toUri());
                try (ParquetWriter<Group> w = ExampleParquetWriter.builder(file).withType(schema).withConf(new Configuration())
                        .withWriterVersion(v2 ? ParquetProperties.WriterVersion.PARQUET_2_0 : ParquetProperties.WriterVersion.PARQUET_1_0)
                        .withDictionaryEncoding(dictionary).withByteStreamSplitEncoding(variant / 2 == 2)
                        .withPageSize(variant % 3 == 0 ? 512 : 1 << 20).withRowGroupSize(variant % 3 == 0 ? 16 << 10 : 128 << 20)
                        .withCompressionCodec(codecs[(s + variant) % codecs.length]).build()) {
                    for (int r = 0; r < shapes.size(); r++) {
                        w.write(doubleGroup(schema, s, doubles.get(r), shapes.get(r).nulls()));
                    }
                }
                files++;
                String what = "schema " + s + " variant " + variant;
                try (ParquetScores byPage = new ParquetScores(Configuration::new, true);
                     ParquetScores byValue = new ParquetScores(Configuration::new, false)) {
                    for (int r = 0; r < shapes.size(); r++) {
                        int row = r;
                        double[] d = doubles.get(r);
                        long held = d == null ? 0 : d.length;
                        Object a = outcome(() -> byPage.read(file.toString(), row, "p", held, (id, n, page) -> { }));
                        Object b = outcome(() -> byValue.read(file.toString(), row, "p", held, (id, n, page) -> { }));
                        Object expected = expectedNarrowed(d, shapes.get(r).nulls());
                        assertSameOutcome(expected, a, what + " row " + r + " a page at a time");
                        assertSameOutcome(expected, b, what + " row " + r + " value by value");
                        rejectedForRange += expected instanceof String m && m.contains("beyond float32's range") ? 1 : 0;
                        checked++;
                    }
                }
            }
        }
        assertEquals(SCHEMAS.length * 6, files);
        assertTrue(checked == files * 300 && rejectedForRange > 5, "rows checked: " + checked + ", rejected for range: " + rejectedForRange);
        assertTrue(FloatListChunk.CHUNKS.get() - chunksBefore >= files, "chunks read a page at a time: "
                + (FloatListChunk.CHUNKS.get() - chunksBefore));
    }

    /**
     * What a row of {@code doubles} with null elements at {@code nulls} reads as: null, a
     * rejection's message, or its floats, as {@link PairDecoder} narrows Spark's doubles.
     */
    private static Object expectedNarrowed(double[] doubles, List<Integer> nulls) {
        if (doubles == null) {
            return null;
        }
        if (!nulls.isEmpty()) {
            return "pair 'p': " + PairDecoder.nullElement(nulls.get(0));
        }
        return outcome(() -> PairDecoder.narrow("p", doubles));
    }

    private static void assertSameOutcome(Object expected, Object read, String what) {
        if (expected instanceof float[] e) {
            assertTrue(read instanceof float[], what + ": " + read);
            float[] got = (float[]) read;
            assertEquals(e.length, got.length, what);
            for (int k = 0; k < got.length; k++) {
                if (Float.floatToIntBits(e[k]) != Float.floatToIntBits(got[k])) {
                    throw new AssertionError(what + ": value " + k + " is " + got[k] + ", expected " + e[k]);
                }
            }
        } else {
            assertEquals(expected, read, what);
        }
    }

    /** Row {@code doubles} (null elements at {@code nulls}) as parquet-mr's example group of schema {@code s}, of doubles. */
    private static Group doubleGroup(MessageType schema, int s, double[] doubles, List<Integer> nulls) {
        Group g = new SimpleGroupFactory(schema).newGroup();
        if (doubles == null) {
            return g;
        }
        if (s == 4) {
            for (double v : doubles) {
                g.append("scores", v);
            }
            return g;
        }
        Group list = g.addGroup("scores");
        for (int k = 0; k < doubles.length; k++) {
            if (s == 3) {
                list.append("array", doubles[k]);
            } else {
                Group e = list.addGroup("list");
                if (!nulls.contains(k)) {
                    e.append("element", doubles[k]);
                }
            }
        }
        return g;
    }

    /**
     * Pages streamed from the file are checked against the CRC in their headers where
     * {@code parquet.page.verify-checksum.enabled} is set: a byte changed inside a page fails the
     * read, saying so; unset, as by default, the page is read as it is.
     */
    @Test
    void parquetScores_streamedPages_checkTheirCrcWhereAsked() throws Exception {
        MessageType schema = MessageTypeParser.parseMessageType(SCHEMAS[1]);
        float[] values = new float[1000];
        Arrays.fill(values, 1.5f);
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("crc.parquet").toUri());
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(file).withType(schema).withConf(new Configuration())
                .withDictionaryEncoding(false).withPageWriteChecksumEnabled(true).build()) {
            w.write(group(schema, 1, new Written(values, List.of())));
        }
        java.nio.file.Path local = dir.resolve("crc.parquet");
        byte[] bytes = java.nio.file.Files.readAllBytes(local);
        int at = -1;
        for (int k = 4; k + 4 <= bytes.length && at < 0; k++) {   // (a float of the values, inside the page)
            at = Float.intBitsToFloat((bytes[k] & 0xFF) | (bytes[k + 1] & 0xFF) << 8 | (bytes[k + 2] & 0xFF) << 16
                    | (bytes[k + 3] & 0xFF) << 24) == 1.5f ? k + 400 : -1;
        }
        bytes[at + 3] ^= 0x01;
        java.nio.file.Files.write(local, bytes);
        java.nio.file.Files.delete(dir.resolve(".crc.parquet.crc"));   // (Hadoop's checksum of the file as written)
        Configuration checking = new Configuration();
        checking.setBoolean(org.apache.parquet.hadoop.ParquetInputFormat.PAGE_VERIFY_CHECKSUM_ENABLED, true);
        try (ParquetScores reader = new ParquetScores(() -> checking)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> reader.read(file.toString(), 0, "p", values.length, (id, n, page) -> { }));
            assertTrue(e.getMessage().contains("do not match the CRC"), e.getMessage());
        }
        try (ParquetScores reader = new ParquetScores(Configuration::new)) {
            float[] read = reader.read(file.toString(), 0, "p", values.length, (id, n, page) -> { });
            int unchanged = 0;
            for (float v : read) {
                unchanged += v == 1.5f ? 1 : 0;
            }
            assertEquals(values.length - 1, unchanged, "one float changed, read as it is");
        }
    }

    /**
     * A file's pages are offered to the size check from their headers, before they are read: a
     * huge row's page (as stored by Snappy and decompressed) refuses that row and, while it does,
     * the rows behind it in its row group, which cannot be reached without reading it (here not
     * even as a stream); once the page fits, they read as written.
     */
    @Test
    void parquetScores_hugePage_refusedFromItsHeader_rowsBehindItReadOnceItFits() throws Exception {
        MessageType schema = MessageTypeParser.parseMessageType(SCHEMAS[1]);
        java.util.Random random = new java.util.Random(5);
        float[] huge = new float[100_000];
        for (int k = 0; k < huge.length; k++) {
            huge[k] = random.nextFloat();
        }
        List<Written> rows = List.of(new Written(huge, List.of()), new Written(new float[] {1, 2, 3}, List.of()),
                new Written(new float[] {4, 5}, List.of()));
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("huge-page.parquet").toUri());
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(file).withType(schema).withConf(new Configuration())
                .withDictionaryEncoding(false).withCompressionCodec(org.apache.parquet.hadoop.metadata.CompressionCodecName.SNAPPY)
                .withPageSize(1024).withMinRowCountForPageSizeCheck(1).build()) {
            for (Written r : rows) {
                w.write(group(schema, 1, r));   // (the huge row's page is its own, the two small ones share the next)
            }
        }
        long[] limit = {100_000};
        List<Long> offered = new ArrayList<>();
        ParquetScores.SizeCheck fits = (id, floats, page) -> {
            if (floats == 0) {
                offered.add(page);
            }
            if (4 * floats + page > limit[0]) {
                throw new InvalidPairException(id, "takes " + (4 * floats + page));
            }
        };
        long streamed = StreamedPages.CHUNKS.get();
        try (ParquetScores reader = new ParquetScores(Configuration::new)) {
            Object first = outcome(() -> reader.read(file.toString(), 0, "huge", huge.length, fits));
            assertTrue(first.toString().startsWith("pair 'huge': takes "), first.toString());
            assertTrue(offered.get(0) > 1.5 * 4 * huge.length, "its page as stored and decompressed: " + offered);
            Object behind = outcome(() -> reader.read(file.toString(), 1, "behind", 3, fits));
            assertTrue(behind.toString().startsWith("pair 'behind': takes "), "the page before it in its row group: " + behind);
            long asAStream = Long.parseLong(behind.toString().substring("pair 'behind': takes ".length()));
            assertTrue(asAStream > 100_000 && asAStream < offered.get(0), "too large even as a stream, which takes less: " + behind);
            limit[0] = Long.MAX_VALUE;
            assertRow(rows.get(1), reader.read(file.toString(), 1, "behind", 3, fits), "row 1, once the page fits");
            assertRow(rows.get(2), reader.read(file.toString(), 2, "last", 2, fits), "row 2");
            assertRow(rows.get(0), reader.read(file.toString(), 0, "huge", huge.length, fits), "row 0 again");
        }
        assertTrue(StreamedPages.CHUNKS.get() > streamed, "read a page at a time from the file");
    }

    /**
     * A chunk's dictionary is weighed from its header before it is read, not read with the
     * chunk: too large, it refuses the row asked for (nothing of the chunk read); once it fits,
     * it is read once, before the first data page, and each page after is weighed beside what
     * the decoded dictionary holds. (pyarrow gives a huge row's page a dictionary of up to all
     * its distinct values: 67 MB for a 6000 x 6000 pair.) Its page is read once, and not after
     * the data pages have begun.
     */
    @Test
    void parquetScores_largeDictionary_refusedFromItsHeader_thenHeldBesideEachPage() throws Exception {
        MessageType schema = MessageTypeParser.parseMessageType(SCHEMAS[1]);
        java.util.Random random = new java.util.Random(6);
        float[] distinct = new float[25_000];
        for (int k = 0; k < distinct.length; k++) {
            distinct[k] = k + random.nextFloat() / 2;   // (each its own)
        }
        float[] varied = new float[5 * distinct.length];   // (each value five times: a dictionary parquet-mr keeps)
        for (int k = 0; k < varied.length; k++) {
            varied[k] = distinct[k % distinct.length];
        }
        List<Written> rows = List.of(new Written(new float[] {varied[0], varied[1]}, List.of()), new Written(varied, List.of()),
                new Written(new float[] {varied[7], varied[8], varied[9]}, List.of()));
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("large-dictionary.parquet").toUri());
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(file).withType(schema).withConf(new Configuration())
                .withDictionaryEncoding(true).withDictionaryPageSize(1 << 20).withCompressionCodec(CompressionCodecName.SNAPPY)
                .withPageSize(4096).withMinRowCountForPageSizeCheck(1).build()) {
            for (Written r : rows) {
                w.write(group(schema, 1, r));
            }
        }
        long[] limit = {150_000};
        List<Long> offered = new ArrayList<>();
        ParquetScores.SizeCheck fits = (id, floats, page) -> {
            offered.add(page);
            if (4 * floats + page > limit[0]) {
                throw new InvalidPairException(id, "takes " + (4 * floats + page));
            }
        };
        try (ParquetScores reader = new ParquetScores(Configuration::new)) {
            Object first = outcome(() -> reader.read(file.toString(), 0, "first", 2, fits));
            assertEquals("pair 'first': takes " + offered.get(0), first.toString());
            assertEquals(1, offered.size(), "the dictionary alone was weighed: " + offered);
            assertTrue(offered.get(0) >= 2 * 4L * distinct.length, "its page decompressed, and decoded, at least: " + offered);
            limit[0] = Long.MAX_VALUE;
            offered.clear();
            assertRow(rows.get(0), reader.read(file.toString(), 0, "first", 2, fits), "row 0, once the dictionary fits");
            assertRow(rows.get(1), reader.read(file.toString(), 1, "varied", varied.length, fits), "row 1");
            assertRow(rows.get(2), reader.read(file.toString(), 2, "last", 3, fits), "row 2");
            assertTrue(offered.size() > 4, "the dictionary, and the pages: " + offered);
            assertTrue(offered.stream().allMatch(b -> b >= 4L * distinct.length), "each beside the decoded dictionary: " + offered);
        }
        Configuration conf = new Configuration();
        try (org.apache.parquet.hadoop.ParquetFileReader footer = InputFooters.open(file.toUri().toString(), conf);
             org.apache.parquet.io.SeekableInputStream in = org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(file, conf).newStream()) {
            org.apache.parquet.hadoop.metadata.ColumnChunkMetaData chunk = footer.getFooter().getBlocks().get(0).getColumns().get(0);
            org.apache.parquet.compression.CompressionCodecFactory codecs = SnappyPages.reading(new org.apache.parquet.hadoop.CodecFactory(conf, 0));
            StreamedPages once = new StreamedPages(in, chunk, codecs.getDecompressor(chunk.getCodec()), false);
            assertTrue(once.dictionaryBytes() > 0);
            assertEquals(distinct.length, once.readDictionaryPage().getDictionarySize());
            assertEquals(0, once.dictionaryBytes(), "read: nothing more to weigh");
            assertThrows(IllegalStateException.class, once::readDictionaryPage, "read once");
            StreamedPages passedOver = new StreamedPages(in, chunk, codecs.getDecompressor(chunk.getCodec()), false);
            assertTrue(passedOver.readPage().getValueCount() > 0);
            assertThrows(IllegalStateException.class, passedOver::readDictionaryPage, "not after the data pages have begun");
        }
    }

    /**
     * A page too large to hold whole (pyarrow puts a row group's rows in one page beside a huge
     * row) is read as a stream where that fits: its levels whole, its values as rows ask for
     * them, so the rows beside the huge one read as written, and the huge one too where its own
     * floats fit; in every codec that streams, page version, plain and dictionary-encoded, of
     * floats and of doubles, read in order or reached by skipping. Held whole, the same rows.
     */
    @Test
    void parquetScores_pageTooLargeToHold_readAsAStream_rowsBesideTheHugeOneAsWritten() throws Exception {
        java.util.Random random = new java.util.Random(8);
        for (String type : new String[] {"float", "double"}) {
            MessageType schema = MessageTypeParser.parseMessageType("message m { optional group scores (LIST) { "
                    + "repeated group list { optional " + type + " element; } } }");
            for (CompressionCodecName codec : new CompressionCodecName[] {CompressionCodecName.UNCOMPRESSED, CompressionCodecName.SNAPPY,
                    CompressionCodecName.GZIP, CompressionCodecName.ZSTD, CompressionCodecName.LZ4_RAW}) {
                for (boolean v2 : new boolean[] {false, true}) {
                    for (boolean dictionary : new boolean[] {false, true}) {
                        String what = type + " " + codec + (v2 ? " v2" : " v1") + (dictionary ? " dictionary" : " plain");
                        List<Written> rows = new ArrayList<>();
                        for (int size : new int[] {3, 7, -1, 200_000, 2, 5}) {   // (-1: a null row; row 1 holds a null element)
                            float[] values = size < 0 ? null : new float[size];
                            for (int k = 0; k < size; k++) {
                                values[k] = dictionary ? random.nextInt(6_000) / 4f : random.nextFloat();
                            }
                            rows.add(new Written(values, rows.size() == 1 ? List.of(2) : List.of()));
                        }
                        int huge = 3;
                        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("streamed-" + what.replace(' ', '-')
                                + ".parquet").toUri());
                        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(file).withType(schema).withConf(new Configuration())
                                .withDictionaryEncoding(dictionary).withCompressionCodec(codec).withPageSize(64 << 20)
                                .withWriterVersion(v2 ? ParquetProperties.WriterVersion.PARQUET_2_0 : ParquetProperties.WriterVersion.PARQUET_1_0)
                                .build()) {
                            for (Written r : rows) {
                                Group g = new SimpleGroupFactory(schema).newGroup();
                                Group list = r.isNull() ? null : g.addGroup("scores");
                                for (int k = 0; list != null && k < r.values().length; k++) {
                                    Group element = list.addGroup("list");
                                    if (r.nulls().contains(k)) {
                                        continue;
                                    }
                                    if (type.equals("float")) {
                                        element.append("element", r.values()[k]);
                                    } else {
                                        element.append("element", (double) r.values()[k]);
                                    }
                                }
                                w.write(g);
                            }
                        }
                        long whole = wholePageBytes(file, what);
                        ParquetScores.SizeCheck fits = (id, floats, page) -> {
                            if (4 * floats + page >= whole) {
                                throw new InvalidPairException(id, "takes " + (4 * floats + page));
                            }
                        };
                        long streamed = StreamedPages.PAGES_STREAMED.get();
                        try (ParquetScores reader = new ParquetScores(Configuration::new)) {
                            for (int r = 0; r < rows.size(); r++) {
                                Object got = read(reader, file, r, rows.get(r), fits);
                                if (r == huge && !(got instanceof float[])) {
                                    assertTrue(got.toString().startsWith("pair 'p': takes "), what + ": " + got);
                                } else {
                                    assertRow(rows.get(r), got, what + ", row " + r);
                                }
                            }
                        }
                        assertTrue(StreamedPages.PAGES_STREAMED.get() > streamed, what + ": read as a stream");
                        try (ParquetScores reader = new ParquetScores(Configuration::new)) {
                            assertRow(rows.get(5), read(reader, file, 5, rows.get(5), fits), what + ": row 5, past the others");
                        }
                        try (ParquetScores reader = new ParquetScores(Configuration::new)) {
                            for (int r : new int[] {1, 2, 3, 4}) {
                                assertRow(rows.get(r), read(reader, file, r, rows.get(r), (id, floats, page) -> { }),
                                        what + ": held whole, row " + r);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * A streamed dictionary page whose indices are one bit-packed run far longer than the window
     * they are read through (the format allows a run of any length; parquet-mr and Arrow cut
     * them at 504 and 512 values) reads as written, the run decoded a block at a time as the
     * window moves on, whether its rows are read or passed over; a run that claims more groups
     * than the page holds fails as corrupt, streamed or not.
     */
    @Test
    void parquetScores_streamedDictionaryPage_aBitPackedRunLongerThanItsWindow_readAsWritten() throws Exception {
        MessageType schema = MessageTypeParser.parseMessageType(SCHEMAS[1]);
        ColumnDescriptor c = schema.getColumns().get(0);
        Random random = new Random(9);
        int distinct = 100_000;   // (indices 17 bits wide)
        ByteBuffer dictionary = ByteBuffer.allocate(4 * distinct).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < distinct; k++) {
            dictionary.putFloat(k + 0.25f);
        }
        List<Written> rows = new ArrayList<>();
        List<Integer> indices = new ArrayList<>();
        for (int size : new int[] {3, 400_000, 2, 5}) {
            float[] values = new float[size];
            for (int k = 0; k < size; k++) {
                int index = random.nextInt(distinct);
                indices.add(index);
                values[k] = index + 0.25f;
            }
            rows.add(new Written(values, List.of()));
        }
        Entries entries = new Entries(rows, c, false);
        for (int extraGroups : new int[] {0, 1000}) {
            RunLengthBitPackingHybridEncoder rep = encoder(1);
            RunLengthBitPackingHybridEncoder def = encoder(32 - Integer.numberOfLeadingZeros(c.getMaxDefinitionLevel()));
            for (int[] l : entries.levels) {
                rep.writeInt(l[0]);
                def.writeInt(l[1]);
            }
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            data.write(17);
            int groups = (indices.size() + 7) / 8;
            for (int header = ((groups + extraGroups) << 1) | 1; ; header >>>= 7) {   // (its varint)
                data.write(header > 0x7F ? header & 0x7F | 0x80 : header);
                if (header <= 0x7F) {
                    break;
                }
            }
            long buffer = 0;
            int bits = 0;
            for (int k = 0; k < 8 * groups; k++) {   // 17 bits each, least significant first
                buffer |= (long) (k < indices.size() ? indices.get(k) : 0) << bits;
                for (bits += 17; bits >= 8; bits -= 8) {
                    data.write((int) buffer & 0xFF);
                    buffer >>>= 8;
                }
            }
            BytesInput page = BytesInput.concat(lengthPrefixed(rep.toBytes()), lengthPrefixed(def.toBytes()), BytesInput.from(data.toByteArray()));
            Configuration conf = new Configuration();
            org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("one-run-" + extraGroups + ".parquet").toUri());
            org.apache.parquet.hadoop.ParquetFileWriter w = new org.apache.parquet.hadoop.ParquetFileWriter(
                    org.apache.parquet.hadoop.util.HadoopOutputFile.fromPath(file, conf), schema,
                    org.apache.parquet.hadoop.ParquetFileWriter.Mode.CREATE, 128 << 20, 0);
            w.start();
            w.startBlock(rows.size());
            w.startColumn(c, entries.levels.size(), CompressionCodecName.UNCOMPRESSED);
            w.writeDictionaryPage(new DictionaryPage(BytesInput.from(dictionary.array()), distinct, Encoding.PLAIN_DICTIONARY));
            w.writeDataPage(entries.levels.size(), (int) page.size(), page, Statistics.getBuilderForReading(c.getPrimitiveType()).build(),
                    rows.size(), Encoding.RLE, Encoding.RLE, Encoding.PLAIN_DICTIONARY);
            w.endColumn();
            w.endBlock();
            w.end(Map.of());
            assertTrue(page.size() > 10 * (64 << 10), "the run spans many windows: " + page.size());
            ParquetScores.SizeCheck streams = (id, floats, bytes) -> {   // (the page held whole takes more, as a stream less)
                if (bytes > 1_000_000) {
                    throw new InvalidPairException(id, "takes " + bytes);
                }
            };
            String what = extraGroups == 0 ? "one run" : "a run claiming " + extraGroups + " groups more than it has";
            for (ParquetScores.SizeCheck fits : new ParquetScores.SizeCheck[] {streams, (id, floats, bytes) -> { }}) {
                long streamed = StreamedPages.PAGES_STREAMED.get();
                if (extraGroups == 0) {
                    try (ParquetScores reader = new ParquetScores(Configuration::new)) {
                        for (int r = 0; r < rows.size(); r++) {
                            assertRow(rows.get(r), reader.read(file.toString(), r, "p", rows.get(r).values().length, fits), what + ", row " + r);
                        }
                    }
                    try (ParquetScores reader = new ParquetScores(Configuration::new)) {
                        assertRow(rows.get(3), reader.read(file.toString(), 3, "p", 5, fits), what + ": row 3, past the others");
                    }
                } else {
                    try (ParquetScores reader = new ParquetScores(Configuration::new)) {
                        IllegalStateException e = assertThrows(IllegalStateException.class,
                                () -> reader.read(file.toString(), 3, "p", 5, fits), what);
                        assertTrue(e.getMessage().contains("corrupt Parquet page of scores: a bit-packed run of "), e.getMessage());
                    }
                }
                assertEquals(fits == streams, StreamedPages.PAGES_STREAMED.get() > streamed, what + ": streamed where it does not fit whole");
            }
        }
    }

    /**
     * A page too large to hold that cannot be read as a stream (its values byte-stream split, its
     * checksum to be verified) refuses the rows that need it saying why it is read whole, so that
     * the user knows the remedy besides more memory; the same page without either is streamed.
     */
    @Test
    void parquetScores_pageTooLargeThatCannotBeStreamed_refusedSayingWhy() throws Exception {
        MessageType schema = MessageTypeParser.parseMessageType(SCHEMAS[1]);
        Random random = new Random(11);
        List<Written> rows = rowsOfSizes(random::nextFloat, 3, 7, 200_000, 2);
        ParquetScores.SizeCheck fits = (id, floats, page) -> {   // (the page whole takes over 800 KB, as a stream under 200 KB)
            if (page > 300_000) {
                throw new InvalidPairException(id, "page of " + page);
            }
        };
        Configuration checking = new Configuration();
        checking.setBoolean(org.apache.parquet.hadoop.ParquetInputFormat.PAGE_VERIFY_CHECKSUM_ENABLED, true);
        String[][] cases = {{"split", "its values are byte-stream split, each gathered from streams across the whole page"},
            {"checksum", "its checksum is verified (parquet.page.verify-checksum.enabled), which takes the whole page"}, {"plain", null}};
        for (String[] c : cases) {
            org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("held-whole-" + c[0] + ".parquet").toUri());
            try (ParquetWriter<Group> w = ExampleParquetWriter.builder(file).withType(schema).withConf(new Configuration())
                    .withDictionaryEncoding(false).withByteStreamSplitEncoding(c[0].equals("split"))
                    .withPageWriteChecksumEnabled(c[0].equals("checksum")).withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
                    .withPageSize(64 << 20).build()) {
                for (Written r : rows) {
                    w.write(group(schema, 1, r));
                }
            }
            long streamed = StreamedPages.PAGES_STREAMED.get();
            try (ParquetScores reader = new ParquetScores(() -> checking)) {
                Object got = read(reader, file, 1, rows.get(1), fits);
                if (c[1] == null) {
                    assertRow(rows.get(1), got, c[0]);
                    assertTrue(StreamedPages.PAGES_STREAMED.get() > streamed, c[0] + ": streamed");
                } else {
                    assertTrue(got.toString().startsWith("pair 'p': page of ") && got.toString().endsWith(
                            "; the page is read whole, not as a stream, as " + c[1] + (c[0].equals("split")
                                    ? " (written without it, a page is read as a stream)" : "")), c[0] + ": " + got);
                }
            }
        }
    }

    /**
     * A row across version-1 pages (other writers cut a long row's pages inside it; hand-made
     * here, written by {@code ParquetFileWriter} without an offset index), those too large to
     * hold whole read as streams, a smaller one between them held whole: its parts are gathered
     * as written, and the rows around it read as written, whether the rows before it are read or
     * skipped.
     */
    @Test
    void parquetScores_rowAcrossPagesSomeReadAsStreams_gatheredAsWritten() throws Exception {
        MessageType schema = MessageTypeParser.parseMessageType(SCHEMAS[1]);
        ColumnDescriptor c = schema.getColumns().get(0);
        Random random = new Random(12);
        List<Written> rows = rowsOfSizes(() -> random.nextInt(3000) / 8f, 3, 7, 300_000, 2);
        Entries entries = new Entries(rows, c, false);
        // pages of 6 entries (row 0 and part of row 1), 100,000 and 20,000 (row 2's), 100,000, then the rest
        List<Integer> cuts = List.of(0, 6, 100_006, 120_006, 220_006, 300_012);
        for (boolean dictionary : new boolean[] {false, true}) {
            String what = dictionary ? "dictionary" : "plain";
            org.apache.hadoop.fs.Path file = handMadeFile("across-" + what, schema, entries, cuts, dictionary);
            ParquetScores.SizeCheck fits = (id, floats, page) -> {   // (pages of 100,000 whole refused, as streams taken)
                if (page > 140_000) {
                    throw new InvalidPairException(id, "page of " + page);
                }
            };
            for (boolean skipFirst : new boolean[] {false, true}) {
                long streamed = StreamedPages.PAGES_STREAMED.get();
                try (ParquetScores reader = new ParquetScores(Configuration::new)) {
                    for (int r = skipFirst ? 2 : 0; r < rows.size(); r++) {
                        assertRow(rows.get(r), read(reader, file, r, rows.get(r), fits), what + ", row " + r);
                    }
                }
                assertEquals(dictionary ? 2 : 3, StreamedPages.PAGES_STREAMED.get() - streamed,
                        what + ": the pages of 100,000 streamed, and the last of 80,000 where its values are plain");
            }
            try (ParquetScores reader = new ParquetScores(Configuration::new)) {
                assertRow(rows.get(3), read(reader, file, 3, rows.get(3), fits), what + ": row 3 alone, past the long one");
            }
            // rows within two streamed pages: one read in the first, one skipped and one read in the second
            List<Written> four = rowsOfSizes(() -> random.nextInt(3000) / 8f, 60_000, 60_000, 30_000, 30_000);
            org.apache.hadoop.fs.Path two = handMadeFile("two-streamed-" + what, schema, new Entries(four, c, false),
                    List.of(0, 120_000, 180_000), dictionary);
            try (ParquetScores reader = new ParquetScores(Configuration::new)) {
                assertRow(four.get(1), read(reader, two, 1, four.get(1), fits), what + ": row 1, the second of the first page");
                assertRow(four.get(3), read(reader, two, 3, four.get(3), fits), what + ": row 3, past row 2 in the next page");
            }
        }
    }

    /**
     * A file of {@code entries} in hand-made version-1 pages cut at {@code cuts}, uncompressed,
     * written without an offset index (pages written without their row counts), so that a page
     * may start inside a row.
     */
    private org.apache.hadoop.fs.Path handMadeFile(String name, MessageType schema, Entries entries, List<Integer> cuts,
                                                   boolean dictionary) throws Exception {
        ColumnDescriptor c = schema.getColumns().get(0);
        PageReader pages = pages(entries, c, cuts, false, dictionary);
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve(name + ".parquet").toUri());
        org.apache.parquet.hadoop.ParquetFileWriter w = new org.apache.parquet.hadoop.ParquetFileWriter(
                org.apache.parquet.hadoop.util.HadoopOutputFile.fromPath(file, new Configuration()), schema,
                org.apache.parquet.hadoop.ParquetFileWriter.Mode.CREATE, 128 << 20, 0);
        w.start();
        w.startBlock(entries.levels.stream().filter(l -> l[0] == 0).count());
        w.startColumn(c, entries.levels.size(), CompressionCodecName.UNCOMPRESSED);
        if (dictionary) {
            w.writeDictionaryPage(pages.readDictionaryPage());
        }
        for (DataPage page = pages.readPage(); page != null; page = pages.readPage()) {
            DataPageV1 v1 = (DataPageV1) page;
            w.writeDataPage(v1.getValueCount(), v1.getUncompressedSize(), v1.getBytes(), v1.getStatistics(),
                    Encoding.RLE, Encoding.RLE, v1.getValueEncoding());
        }
        w.endColumn();
        w.endBlock();
        w.end(Map.of());
        return file;
    }

    /** Rows of {@code sizes} values, without nulls, each drawn by {@code value}. */
    private static List<Written> rowsOfSizes(java.util.function.Supplier<Float> value, int... sizes) {
        List<Written> rows = new ArrayList<>();
        for (int size : sizes) {
            float[] values = new float[size];
            for (int k = 0; k < size; k++) {
                values[k] = value.get();
            }
            rows.add(new Written(values, List.of()));
        }
        return rows;
    }

    /** Row {@code r} of {@code file} as {@code reader} reads it, or its rejection's message ({@link #outcome}). */
    private static Object read(ParquetScores reader, org.apache.hadoop.fs.Path file, int r, Written w, ParquetScores.SizeCheck fits) {
        return outcome(() -> reader.read(file.toString(), r, "p", w.isNull() ? 0 : w.values().length, fits));
    }

    /** What reading the one data page of {@code file}'s first chunk takes held whole, beside its dictionary decoded ({@link StreamedPages}). */
    private static long wholePageBytes(org.apache.hadoop.fs.Path file, String what) throws java.io.IOException {
        Configuration conf = new Configuration();
        try (org.apache.parquet.hadoop.ParquetFileReader footer = InputFooters.open(file.toUri().toString(), conf);
             org.apache.parquet.io.SeekableInputStream in = org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(file, conf).newStream()) {
            org.apache.parquet.hadoop.metadata.ColumnChunkMetaData chunk = footer.getFooter().getBlocks().get(0).getColumns().get(0);
            org.apache.parquet.compression.CompressionCodecFactory codecs = SnappyPages.reading(new org.apache.parquet.hadoop.CodecFactory(conf, 0));
            StreamedPages pages = new StreamedPages(in, chunk, codecs.getDecompressor(chunk.getCodec()), false);
            DictionaryPage dictionary = pages.readDictionaryPage();
            long bytes = pages.nextPageBytes() + (dictionary == null ? 0
                    : (long) dictionary.getDictionarySize() * (chunk.getPrimitiveType().getPrimitiveTypeName()
                            == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.DOUBLE ? 12 : 4));
            assertTrue(pages.nextPageStreamBytes() > 0, what + ": streamable");
            assertTrue(pages.readPage() != null && pages.readPage() == null, what + ": one data page");
            return bytes;
        }
    }

    /** The key of {@link TestKeys}, which decrypts the files of {@link #parquetScores_encryptedFile_readWithTheConfiguredKeys}. */
    private static final byte[] KEY = "0123456789012345".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * A crypto factory (as {@code parquet.crypto.factory.class} names one) that gives every file
     * {@link #KEY}, once it is told which file (as parquet-mr's key tools, which may keep a
     * file's key material beside it, need to be).
     */
    public static final class TestKeys implements org.apache.parquet.crypto.DecryptionPropertiesFactory {
        @Override
        public org.apache.parquet.crypto.FileDecryptionProperties getFileDecryptionProperties(Configuration conf,
                                                                                             org.apache.hadoop.fs.Path file) {
            return file == null ? null : org.apache.parquet.crypto.FileDecryptionProperties.builder().withFooterKey(KEY).build();
        }
    }

    /**
     * A file whose footer and columns are encrypted is read with the keys of the crypto factory
     * the configuration names, as Spark's reader reads it; without them it cannot be read.
     */
    @Test
    void parquetScores_encryptedFile_readWithTheConfiguredKeys() throws Exception {
        MessageType schema = MessageTypeParser.parseMessageType(SCHEMAS[0]);
        List<Written> rows = rows(new Random(5), 50, true, true, VARIED);
        org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve("encrypted.parquet").toUri());
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(file).withType(schema).withConf(new Configuration())
                .withEncryption(org.apache.parquet.crypto.FileEncryptionProperties.builder(KEY).build()).build()) {
            for (Written row : rows) {
                w.write(group(schema, 0, row));
            }
        }
        java.util.function.Supplier<Configuration> keys = () -> {
            Configuration conf = new Configuration();
            conf.set(org.apache.parquet.crypto.DecryptionPropertiesFactory.CRYPTO_FACTORY_CLASS_PROPERTY_NAME, TestKeys.class.getName());
            return conf;
        };
        long chunks = FloatListChunk.CHUNKS.get();
        long streamed = StreamedPages.CHUNKS.get();
        try (ParquetScores reader = new ParquetScores(keys)) {
            for (int r = 0; r < rows.size(); r++) {
                int row = r;
                long held = rows.get(r).isNull() ? 0 : rows.get(r).values().length;
                assertRow(rows.get(r), outcome(() -> reader.read(file.toString(), row, "p", held, (id, n, page) -> { })), "row " + r);
            }
        }
        assertEquals(chunks + 1, FloatListChunk.CHUNKS.get());
        assertEquals(streamed, StreamedPages.CHUNKS.get(), "encrypted pages are read through parquet-mr, which decrypts them");
        try (ParquetScores reader = new ParquetScores(Configuration::new)) {
            assertThrows(RuntimeException.class, () -> reader.read(file.toString(), 0, "p", 1, (id, n, page) -> { }));
        }
    }

    /** Row {@code w} as parquet-mr's example group of schema {@code s}. */
    private static Group group(MessageType schema, int s, Written w) {
        Group g = new SimpleGroupFactory(schema).newGroup();
        if (w.isNull()) {
            return g;
        }
        if (s == 4) {
            for (float v : w.values()) {
                g.append("scores", v);
            }
            return g;
        }
        Group list = g.addGroup("scores");
        for (int k = 0; k < w.values().length; k++) {
            if (s == 3) {
                list.append("array", w.values()[k]);
            } else {
                Group e = list.addGroup("list");
                if (!w.nulls().contains(k)) {
                    e.append("element", w.values()[k]);
                }
            }
        }
        return g;
    }
}
