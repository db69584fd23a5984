package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.apache.parquet.schema.MessageTypeParser;
import org.bandalign.align.InvalidPairException;
import org.junit.jupiter.api.Test;

/**
 * {@link BinaryChunk} on hand-made pages of the forms parquet-mr's writer does not make for
 * binaries (it writes version-2 pages of binaries in the DELTA encodings; ParquetScoresTest reads
 * the files it does write): version-2 pages, plain and dictionary-encoded, with null rows;
 * version-1 pages whose definition levels are in the deprecated bit-packed encoding; and pages
 * that contradict themselves.
 */
class BinaryChunkTest {
    private static final ColumnDescriptor OPTIONAL = MessageTypeParser.parseMessageType("message m { optional binary scores; }")
            .getColumns().get(0);

    /** Rows of a few floats each, every fifth null, drawn from 6 distinct tensors (so that a dictionary holds them). */
    private static List<float[]> rows(int count) {
        Random random = new Random(count);
        float[][] distinct = new float[6][];
        for (int k = 0; k < distinct.length; k++) {
            distinct[k] = new float[3 * (1 + random.nextInt(40))];
            for (int f = 0; f < distinct[k].length; f++) {
                distinct[k][f] = (float) random.nextGaussian();
            }
        }
        List<float[]> rows = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            rows.add(r % 5 == 2 ? null : distinct[random.nextInt(distinct.length)]);
        }
        return rows;
    }

    private static byte[] bytes(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    /** Reads every row, passing over every third, and checks each against {@code rows}. */
    private static void readAll(BinaryChunk chunk, List<float[]> rows) {
        for (int r = 0; r < rows.size(); r++) {
            if (r % 3 == 1) {
                chunk.skipRow("p" + r, (id, n, page) -> { });
                continue;
            }
            float[] read = chunk.readRow("p" + r, 0, (id, n, page) -> { });
            if (rows.get(r) == null) {
                assertNull(read, "row " + r);
            } else {
                assertArrayEquals(rows.get(r), read, "row " + r);
            }
        }
        assertEquals(rows.size(), chunk.rowsBegun());
    }

    @Test
    void version2Pages_plainAndDictionary_readEveryRow() throws Exception {
        List<float[]> rows = rows(50);
        for (boolean dictionary : new boolean[] {false, true}) {
            BinaryChunk chunk = new BinaryChunk(pages(rows, List.of(0, 17, 18, 50), dictionary, true, Encoding.RLE), OPTIONAL);
            readAll(chunk, rows);
            chunk.release();
        }
    }

    /** A required column's version-2 pages hold empty definition levels (pyarrow's nullable=False; found by a review). */
    @Test
    void version2Pages_requiredColumn_readEveryRow() throws Exception {
        ColumnDescriptor required = MessageTypeParser.parseMessageType("message m { required binary scores; }").getColumns().get(0);
        List<byte[]> values = List.of(bytes(new float[] {1, 2, 3}), bytes(new float[] {4, 5, 6, 7, 8, 9}), bytes(new float[] {10, 11, 12}));
        DataPage page = DataPageV2.uncompressed(3, 0, 3, BytesInput.empty(), BytesInput.empty(), Encoding.PLAIN,
                BytesInput.from(lengthPrefixed(values)), stats());
        BinaryChunk chunk = new BinaryChunk(one(page, 3), required);
        assertArrayEquals(new float[] {1, 2, 3}, chunk.readRow("a", 0, (id, n, p) -> { }));
        chunk.skipRow("b", (id, n, p) -> { });
        assertArrayEquals(new float[] {10, 11, 12}, chunk.readRow("c", 0, (id, n, p) -> { }));
    }

    @Test
    void version1Pages_bitPackedDefinitionLevels_readEveryRow() throws Exception {
        List<float[]> rows = rows(29);
        for (boolean dictionary : new boolean[] {false, true}) {
            readAll(new BinaryChunk(pages(rows, List.of(0, 11, 29), dictionary, false, Encoding.BIT_PACKED), OPTIONAL), rows);
        }
    }

    @Test
    void rowRefusedOrRagged_isPassedOver_andTheNextReads() throws Exception {
        List<float[]> rows = new ArrayList<>(rows(6));
        rows.set(0, new float[] {1, 2, 3});
        rows.set(1, new float[] {4, 5, 6, 7, 8, 9});
        rows.set(3, new float[] {10, 11, 12});
        BinaryChunk chunk = new BinaryChunk(pages(rows, List.of(0, 6), false, true, Encoding.RLE), OPTIONAL);
        InvalidPairException refused = assertThrows(InvalidPairException.class, () -> chunk.readRow("big", 0, (id, n, page) -> {
            throw new InvalidPairException(id, "refused: " + n + " floats");
        }));
        assertEquals("refused: 3 floats", refused.reason());
        assertArrayEquals(rows.get(1), chunk.readRow("p1", 0, (id, n, page) -> { }));
        assertNull(chunk.readRow("p2", 0, (id, n, page) -> { }));
        assertArrayEquals(rows.get(3), chunk.readRow("p3", 0, (id, n, page) -> { }));
        assertEquals(4, chunk.rowsBegun());

        // a value of 13 bytes: no whole number of floats, after the size check, as parquet-mr's path rejects it
        List<byte[]> ragged = List.of(new byte[13], bytes(new float[] {1, 2, 3}));
        BinaryChunk raggedChunk = new BinaryChunk(one(plainV2(ragged), 2), OPTIONAL);
        List<Long> asked = new ArrayList<>();
        InvalidPairException e = assertThrows(InvalidPairException.class, () -> raggedChunk.readRow("r", 0, (id, n, page) -> asked.add(n)));
        assertTrue(e.reason().contains("13 bytes, not a whole number of little-endian float32 values"), e.reason());
        assertEquals(List.of(3L), asked);
        assertArrayEquals(new float[] {1, 2, 3}, raggedChunk.readRow("s", 0, (id, n, page) -> { }));
    }

    @Test
    void contradictions_failTheRead() throws Exception {
        List<float[]> rows = rows(4);
        // an index beyond the dictionary
        RunLengthBitPackingHybridEncoder indices = encoder(4);
        for (int k = 0; k < 4; k++) {
            indices.writeInt(k == 2 ? 9 : 0);
        }
        DataPage page = DataPageV2.uncompressed(4, 0, 4, BytesInput.empty(), levels(1, 1, 1, 1), Encoding.RLE_DICTIONARY,
                BytesInput.concat(BytesInput.from(new byte[] {4}), indices.toBytes()), stats());
        DictionaryPage dictionary = new DictionaryPage(BytesInput.from(lengthPrefixed(List.of(bytes(new float[] {1, 2, 3})))), 1,
                Encoding.PLAIN);
        BinaryChunk chunk = new BinaryChunk(reader(dictionary, List.of(page), 4), OPTIONAL);
        chunk.readRow("a", 0, (id, n, p) -> { });
        chunk.skipRow("b", (id, n, p) -> { });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> chunk.readRow("c", 0, (id, n, p) -> { }));
        assertTrue(e.getMessage().contains("dictionary index 9 where the dictionary holds 1 values"), e.getMessage());

        // a value that runs past its page
        byte[] cut = Arrays.copyOf(lengthPrefixed(List.of(bytes(rows.get(0) == null ? new float[] {1} : rows.get(0)))), 6);
        DataPage short_ = DataPageV2.uncompressed(1, 0, 1, BytesInput.empty(), levels(1, 1), Encoding.PLAIN, BytesInput.from(cut), stats());
        e = assertThrows(IllegalStateException.class, () -> new BinaryChunk(one(short_, 1), OPTIONAL).readRow("d", 0, (id, n, p) -> { }));
        assertTrue(e.getMessage().contains("ends inside its value 0"), e.getMessage());

        // more rows asked for than the chunk holds
        BinaryChunk two = new BinaryChunk(one(plainV2(List.of(bytes(new float[] {1, 2, 3}))), 1), OPTIONAL);
        two.skipRow("e", (id, n, p) -> { });
        e = assertThrows(IllegalStateException.class, () -> two.readRow("f", 0, (id, n, p) -> { }));
        assertTrue(e.getMessage().contains("no row is left"), e.getMessage());
    }

    /** Pages of {@code rows}, cut at {@code cuts}, version 2 or 1 (levels in {@code levelEncoding}), plain or by dictionary. */
    private static PageReader pages(List<float[]> rows, List<Integer> cuts, boolean dictionary, boolean v2, Encoding levelEncoding)
            throws Exception {
        List<byte[]> distinct = new ArrayList<>();
        for (float[] r : rows) {
            if (r != null && distinct.stream().noneMatch(d -> Arrays.equals(d, bytes(r)))) {
                distinct.add(bytes(r));
            }
        }
        int width = 32 - Integer.numberOfLeadingZeros(Math.max(1, distinct.size() - 1));
        List<DataPage> pages = new ArrayList<>();
        for (int p = 0; p + 1 < cuts.size(); p++) {
            int count = cuts.get(p + 1) - cuts.get(p);
            int[] defined = new int[count];
            List<byte[]> values = new ArrayList<>();
            RunLengthBitPackingHybridEncoder indices = encoder(width);
            for (int e = 0; e < count; e++) {
                float[] r = rows.get(cuts.get(p) + e);
                defined[e] = r == null ? 0 : 1;
                if (r != null) {
                    values.add(bytes(r));
                    for (int k = 0; k < distinct.size(); k++) {
                        if (Arrays.equals(distinct.get(k), bytes(r))) {
                            indices.writeInt(k);
                        }
                    }
                }
            }
            BytesInput data = dictionary ? BytesInput.concat(BytesInput.from(new byte[] {(byte) width}), indices.toBytes())
                    : BytesInput.from(lengthPrefixed(values));
            Encoding encoding = dictionary ? Encoding.RLE_DICTIONARY : Encoding.PLAIN;
            int nulls = count - values.size();
            if (v2) {
                pages.add(DataPageV2.uncompressed(count, nulls, count, BytesInput.empty(), levels(defined), encoding, data, stats()));
            } else {
                BytesInput levels = levelEncoding == Encoding.BIT_PACKED ? BytesInput.from(bitPacked(defined))
                        : BytesInput.concat(BytesInput.fromInt((int) levels(defined).size()), levels(defined));
                BytesInput bytes = BytesInput.copy(BytesInput.concat(levels, data));
                pages.add(new DataPageV1(bytes, count, (int) bytes.size(), stats(), Encoding.BIT_PACKED, levelEncoding, encoding));
            }
        }
        DictionaryPage page = dictionary ? new DictionaryPage(BytesInput.from(lengthPrefixed(distinct)), distinct.size(), Encoding.PLAIN)
                : null;
        return reader(page, pages, rows.size());
    }

    /** The deprecated BIT_PACKED encoding of levels of one bit: the most significant bit first, no header. */
    private static byte[] bitPacked(int[] levels) {
        byte[] out = new byte[(levels.length + 7) / 8];
        for (int e = 0; e < levels.length; e++) {
            out[e / 8] |= (byte) (levels[e] << (7 - e % 8));
        }
        return out;
    }

    private static DataPage plainV2(List<byte[]> values) throws Exception {
        int[] defined = new int[values.size()];
        Arrays.fill(defined, 1);
        return DataPageV2.uncompressed(values.size(), 0, values.size(), BytesInput.empty(), levels(defined), Encoding.PLAIN,
                BytesInput.from(lengthPrefixed(values)), stats());
    }

    private static byte[] lengthPrefixed(List<byte[]> values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] v : values) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v.length).array());
            out.writeBytes(v);
        }
        return out.toByteArray();
    }

    private static BytesInput levels(int... levels) throws Exception {
        RunLengthBitPackingHybridEncoder e = encoder(1);
        for (int l : levels) {
            e.writeInt(l);
        }
        return BytesInput.copy(e.toBytes());
    }

    private static RunLengthBitPackingHybridEncoder encoder(int width) {
        return new RunLengthBitPackingHybridEncoder(width, 64, 1 << 20, new HeapByteBufferAllocator());
    }

    private static Statistics<?> stats() {
        return Statistics.getBuilderForReading(OPTIONAL.getPrimitiveType()).build();
    }

    private static PageReader one(DataPage page, long entries) {
        return reader(null, List.of(page), entries);
    }

    private static PageReader reader(DictionaryPage dictionary, List<DataPage> pages, long entries) {
        return new PageReader() {
            private int next;

            @Override
            public DictionaryPage readDictionaryPage() {
                return dictionary;
            }

            @Override
            public long getTotalValueCount() {
                return entries;
            }

            @Override
            public DataPage readPage() {
                return next < pages.size() ? pages.get(next++) : null;
            }
        };
    }
}
