package org.bandalign.job;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.dictionary.DictionaryValuesWriter.PlainIntegerDictionaryValuesWriter;
import org.apache.parquet.column.values.factory.DefaultValuesWriterFactory;
import org.apache.parquet.column.values.factory.ValuesWriterFactory;
import org.apache.parquet.column.values.fallback.FallbackValuesWriter;
import org.apache.parquet.column.values.plain.PlainValuesWriter;

/**
 * parquet-mr's values writers for the leaves of {@link StructListColumns}, with two of them made
 * cheaper per value; the bytes they write are the same.
 *
 * <ul>
 * <li>An int column's dictionary (the sparse steps' i, j and k) looks up small non-negative
 *     values in an array before parquet-mr's hash map: each value is hashed once per row group,
 *     when it first comes, instead of at every step (JFR: the map's get and put took about a
 *     sixth of a sparse output's samples).</li>
 * <li>A float column without a dictionary (the steps' p) is gathered in one byte array, four
 *     bytes at a time, instead of a byte at a time through parquet-mr's little-endian stream.</li>
 * </ul>
 * Every other column, and these under other settings (no dictionary for an int column, byte
 * stream split, a dictionary for floats), get parquet-mr's default writers unchanged.
 */
final class LeafValuesWriters implements ValuesWriterFactory {
    private final DefaultValuesWriterFactory defaults = new DefaultValuesWriterFactory();
    private ParquetProperties props;

    /** {@code props} with these writers. */
    static ParquetProperties with(ParquetProperties props) {
        return ParquetProperties.copy(props).withValuesWriterFactory(new LeafValuesWriters()).build();
    }

    @Override
    public void initialize(ParquetProperties properties) {
        this.props = properties;
        defaults.initialize(properties);
    }

    @Override
    public ValuesWriter newValuesWriter(ColumnDescriptor column) {
        ValuesWriter w = defaults.newValuesWriter(column);
        if (w instanceof FallbackValuesWriter<?, ?> f && f.initialWriter.getClass() == PlainIntegerDictionaryValuesWriter.class) {
            Encoding data = f.initialWriter.getEncoding();
            // (the dictionary page's encoding parquet-mr pairs with that of the data pages)
            Encoding dictionary = data == Encoding.PLAIN_DICTIONARY ? Encoding.PLAIN_DICTIONARY : Encoding.PLAIN;
            f.initialWriter.close();
            return FallbackValuesWriter.of(new SmallIntDictionary(props.getDictionaryPageSizeThreshold(), data, dictionary, props),
                    f.fallBackWriter);
        }
        if (w.getClass() == PlainValuesWriter.class
                && column.getPrimitiveType().getPrimitiveTypeName() == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.FLOAT) {
            w.close();
            return new PlainFloats(props.getInitialSlabSize());
        }
        return w;
    }

    /**
     * parquet-mr's int dictionary writer, with the ids of values 0 to {@link #MOST_CACHED} kept
     * in an array beside its map. A value not in the array goes through the map as before and,
     * if small, is put in the array with the id the map gave it: the dictionary, its ids and its
     * size are the map's.
     */
    static final class SmallIntDictionary extends PlainIntegerDictionaryValuesWriter {
        /** Values above this are left to the map (the array would take 4 bytes for each value below). */
        static final int MOST_CACHED = (1 << 20) - 1;
        /** Id + 1 of each value seen in this row group, 0 for the others. */
        private int[] ids = new int[64];

        SmallIntDictionary(int maxDictionaryByteSize, Encoding data, Encoding dictionary, ParquetProperties props) {
            super(maxDictionaryByteSize, data, dictionary, props.getAllocator());
        }

        @Override
        public void writeInteger(int v) {
            if (v >= 0 && v < ids.length && ids[v] != 0) {
                encodedValues.add(ids[v] - 1);
                return;
            }
            int size = getDictionarySize();
            super.writeInteger(v);
            if (v >= 0 && v <= MOST_CACHED && getDictionarySize() == size + 1) {   // (new in the map: its id is the old size)
                if (v >= ids.length) {
                    ids = Arrays.copyOf(ids, (int) Math.min(MOST_CACHED + 1L, Math.max(2L * ids.length, v + 1L)));
                }
                ids[v] = size + 1;
            }
        }

        @Override
        protected void clearDictionaryContent() {
            super.clearDictionaryContent();
            Arrays.fill(ids, 0);
        }
    }

    /** PLAIN float values: little-endian float32, gathered in one growing byte array. */
    static final class PlainFloats extends ValuesWriter {
        private static final VarHandle FLOATS = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
        private byte[] bytes;
        private int size;

        PlainFloats(int initialBytes) {
            bytes = new byte[Math.max(64, initialBytes)];
        }

        @Override
        public void writeFloat(float v) {
            if (size + 4 > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(2 * bytes.length, size + 4));
            }
            FLOATS.set(bytes, size, v);
            size += 4;
        }

        @Override
        public long getBufferedSize() {
            return size;
        }

        /** The page's values; valid until {@link #reset} (parquet-mr copies a page's bytes before that). */
        @Override
        public BytesInput getBytes() {
            return ParquetWriting.sliced(bytes, 0, size);
        }

        @Override
        public Encoding getEncoding() {
            return Encoding.PLAIN;
        }

        @Override
        public void reset() {
            size = 0;
        }

        @Override
        public void close() {
            size = 0;
            bytes = new byte[0];
        }

        @Override
        public long getAllocatedSize() {
            return bytes.length;
        }

        @Override
        public String memUsageString(String prefix) {
            return prefix + " PlainFloats " + size + " bytes of " + bytes.length;
        }
    }
}
