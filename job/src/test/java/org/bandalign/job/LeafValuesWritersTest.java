package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.dictionary.DictionaryValuesWriter.PlainIntegerDictionaryValuesWriter;
import org.apache.parquet.column.values.factory.DefaultValuesWriterFactory;
import org.apache.parquet.column.values.fallback.FallbackValuesWriter;
import org.apache.parquet.column.values.plain.PlainValuesWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link LeafValuesWriters} writes the same bytes as parquet-mr's default values writers, fed the
 * same values: data pages, dictionary pages, and the fallback to plain values when a dictionary
 * grows too large, over several row groups.
 */
class LeafValuesWritersTest {
    private static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
            "message m { optional group sparse (LIST) { repeated group list { optional group element {"
            + " required int32 i; required float p; required int64 l; } } } }");

    private static ColumnDescriptor column(String leaf) {
        return SCHEMA.getColumnDescription(new String[] {"sparse", "list", "element", leaf});
    }

    private static ParquetProperties props(ParquetProperties.WriterVersion version, int dictionaryBytes, boolean floatDictionary) {
        return ParquetProperties.builder().withWriterVersion(version).withDictionaryPageSize(dictionaryBytes)
                .withDictionaryEncoding("sparse.list.element.p", floatDictionary).build();
    }

    /** The values of three row groups of three pages: small, repeated, negative and past the array's reach. */
    private static List<int[]> intPages(long seed) {
        Random random = new Random(seed);
        List<int[]> pages = new ArrayList<>();
        for (int p = 0; p < 9; p++) {
            int[] v = new int[1000 + random.nextInt(1000)];
            for (int q = 0; q < v.length; q++) {
                int pick = random.nextInt(100);
                v[q] = pick < 70 ? random.nextInt(300) : pick < 80 ? -random.nextInt(50) - 1
                        : pick < 85 ? LeafValuesWriters.SmallIntDictionary.MOST_CACHED + random.nextInt(3) - 1
                        : pick < 99 ? random.nextInt(5000) : random.nextInt();
            }
            pages.add(v);
        }
        return pages;
    }

    /**
     * What the writers of {@code writers} write of {@code pages}, three pages to a row group: each
     * page's bytes, then the row group's dictionary. A column writer's store takes new writers
     * for each row group; {@code reuse}: one writer for all, its dictionary reset between them.
     */
    private static List<String> write(java.util.function.Supplier<ValuesWriter> writers, List<int[]> pages, boolean reuse)
            throws IOException {
        List<String> out = new ArrayList<>();
        ValuesWriter w = writers.get();
        for (int p = 0; p < pages.size(); p++) {
            for (int v : pages.get(p)) {
                w.writeInteger(v);
            }
            out.add(w.getEncoding() + " " + java.util.Arrays.toString(w.getBytes().toByteArray()));
            w.reset();
            if (p % 3 == 2) {
                DictionaryPage d = w.toDictPageAndClose();
                out.add(d == null ? "no dictionary"
                        : d.getEncoding() + " " + d.getDictionarySize() + " " + java.util.Arrays.toString(d.getBytes().toByteArray()));
                w.resetDictionary();
                if (!reuse) {
                    w = writers.get();
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(ParquetProperties.WriterVersion.class)
    void intColumn_sameBytesAsParquetMr_pagesDictionariesAndFallback(ParquetProperties.WriterVersion version) throws IOException {
        for (int dictionaryBytes : new int[] {1 << 20, 2000}) {   // (2000 bytes: the dictionary falls back within a row group)
            ParquetProperties ours = LeafValuesWriters.with(props(version, dictionaryBytes, false));
            ParquetProperties theirs = props(version, dictionaryBytes, false);
            DefaultValuesWriterFactory defaults = new DefaultValuesWriterFactory();
            defaults.initialize(theirs);
            ValuesWriter fast = ours.newValuesWriter(column("i"));
            FallbackValuesWriter<?, ?> f = assertInstanceOf(FallbackValuesWriter.class, fast);
            assertInstanceOf(LeafValuesWriters.SmallIntDictionary.class, f.initialWriter);
            ValuesWriter plain = defaults.newValuesWriter(column("i"));
            assertSame(PlainIntegerDictionaryValuesWriter.class, ((FallbackValuesWriter<?, ?>) plain).initialWriter.getClass());
            List<int[]> pages = intPages(dictionaryBytes);
            boolean reuse = dictionaryBytes > 2000;   // (parquet-mr's own writer cannot be reused after a fallback)
            List<String> expected = write(() -> defaults.newValuesWriter(column("i")), pages, reuse);
            assertEquals(expected, write(() -> ours.newValuesWriter(column("i")), pages, reuse),
                    version + ", dictionary of at most " + dictionaryBytes + " bytes");
            assertTrue(expected.stream().anyMatch(s -> s.startsWith("PLAIN_DICTIONARY") || s.startsWith("RLE_DICTIONARY")),
                    "dictionary pages: " + expected.stream().map(s -> s.substring(0, Math.min(20, s.length()))).toList());
            if (dictionaryBytes == 2000) {
                assertTrue(expected.stream().anyMatch(s -> s.startsWith("PLAIN [") || s.startsWith("DELTA_BINARY_PACKED [")), "the dictionary fell back");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void floatColumn_plainValues_sameBytesAsParquetMr(boolean dictionary) throws IOException {
        ParquetProperties theirs = props(ParquetProperties.WriterVersion.PARQUET_1_0, 1 << 20, dictionary);
        ValuesWriter fast = LeafValuesWriters.with(theirs).newValuesWriter(column("p"));
        DefaultValuesWriterFactory defaults = new DefaultValuesWriterFactory();
        defaults.initialize(theirs);
        ValuesWriter plain = defaults.newValuesWriter(column("p"));
        if (dictionary) {   // left to parquet-mr
            assertSame(plain.getClass(), fast.getClass());
            return;
        }
        assertInstanceOf(LeafValuesWriters.PlainFloats.class, fast);
        assertSame(PlainValuesWriter.class, plain.getClass());
        float[] special = {0f, -0f, 1e-4f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, 1f};
        Random random = new Random(5);
        for (int page = 0; page < 4; page++) {
            int count = page == 1 ? 0 : 10_000 * page + 7;   // (an empty page too; pages past the first buffer's size)
            for (int q = 0; q < count; q++) {
                float v = q < special.length ? special[q] : random.nextFloat();
                fast.writeFloat(v);
                plain.writeFloat(v);
            }
            assertEquals(plain.getBufferedSize(), fast.getBufferedSize());
            assertEquals(Encoding.PLAIN, fast.getEncoding());
            assertArrayEquals(plain.getBytes().toByteArray(), fast.getBytes().toByteArray(), "page " + page);
            fast.reset();
            plain.reset();
        }
        assertEquals(null, fast.toDictPageAndClose());
        assertNotNull(fast.memUsageString("p"));
    }

    @Test
    void otherColumnsAndSettings_keepParquetMrsWriters() {
        ParquetProperties theirs = props(ParquetProperties.WriterVersion.PARQUET_1_0, 1 << 20, false);
        DefaultValuesWriterFactory defaults = new DefaultValuesWriterFactory();
        defaults.initialize(theirs);
        ValuesWriter ours = LeafValuesWriters.with(theirs).newValuesWriter(column("l"));
        ValuesWriter plain = defaults.newValuesWriter(column("l"));
        assertSame(plain.getClass(), ours.getClass());
        assertSame(((FallbackValuesWriter<?, ?>) plain).initialWriter.getClass(), ((FallbackValuesWriter<?, ?>) ours).initialWriter.getClass());
        ParquetProperties noDictionary = ParquetProperties.builder().withDictionaryEncoding(false).build();
        assertSame(PlainValuesWriter.class, LeafValuesWriters.with(noDictionary).newValuesWriter(column("i")).getClass());
    }
}
