package org.bandalign.job;

import java.io.IOException;
import java.util.List;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet columns of one top-level list of structs of numbers (such as the sparse marginals,
 * {@code array<struct<i:int, j:int, k:int, p:float>>}), written value by value straight into
 * parquet-mr's column writers.
 *
 * <p>Design. Spark's writer takes such a list through parquet-mr's record consumer, which opens
 * and closes a group for the list, each element and each field, and tracks the fields written in
 * bit sets: most of the time a sparse output took (JFR). Here each element's fields go to their
 * columns' writers directly, each with its repetition level (0 for a row's first element, 1 for
 * the others) and definition level (the leaf's maximum for a value; one less for a null element;
 * 1 for an empty list; 0 for a null list, whose columns each get one null). Everything else is
 * parquet-mr's own column writing, as in Spark's writer: the pages, their dictionary encoding and
 * its fallback, the statistics and size statistics, under the file's settings (with two of its
 * values writers made cheaper per value, {@link LeafValuesWriters}). Its column writers form a
 * store of their own, whose pages go into the file's page store beside the other columns'.
 */
final class StructListColumns implements PageColumn {
    private final MessageType schema;
    private final ParquetProperties props;
    /** Each field's type: {@link #INT}, {@link #FLOAT}, {@link #LONG} or {@link #DOUBLE}. */
    private final int[] kinds;
    private static final int INT = 0;
    private static final int FLOAT = 1;
    private static final int LONG = 2;
    private static final int DOUBLE = 3;
    private final int valueLevel;
    private final int nullElementLevel;
    private final int emptyLevel;
    private ColumnWriteStore store;
    private ColumnWriter[] writers;
    private final ColumnDescriptor[] columns;

    /**
     * Whether {@code field} is written here: a nullable list of structs whose fields are numbers
     * that cannot be null ({@code int}, {@code long}, {@code float}, {@code double}), its leaves
     * {@code leaves} (one a field, in order) under one repeated group, as Spark's schema converter
     * lays it out.
     */
    static boolean takes(StructField field, List<ColumnDescriptor> leaves) {
        if (!field.nullable() || !(field.dataType() instanceof org.apache.spark.sql.types.ArrayType a)
                || !(a.elementType() instanceof StructType struct) || struct.size() == 0 || leaves.size() != struct.size()) {
            return false;
        }
        for (int f = 0; f < struct.size(); f++) {
            StructField s = struct.fields()[f];
            ColumnDescriptor c = leaves.get(f);
            if (s.nullable() || !NUMBERS.contains(s.dataType()) || c.getPath().length != 4 || !c.getPath()[3].equals(s.name())
                    || c.getMaxRepetitionLevel() != 1 || c.getMaxDefinitionLevel() != (a.containsNull() ? 3 : 2)) {
                return false;
            }
        }
        return true;
    }

    /** The field types taken, in the order of their kinds. */
    private static final List<DataType> NUMBERS = List.of(DataTypes.IntegerType, DataTypes.FloatType, DataTypes.LongType,
            DataTypes.DoubleType);

    /** {@code field} ({@link #takes} it), whose Parquet type is {@code parquetField} of the file's schema. */
    StructListColumns(StructField field, org.apache.parquet.schema.Type parquetField, ParquetProperties props) {
        this.schema = new MessageType("field", parquetField);
        this.props = LeafValuesWriters.with(props);
        StructType struct = (StructType) ((org.apache.spark.sql.types.ArrayType) field.dataType()).elementType();
        this.kinds = new int[struct.size()];
        for (int f = 0; f < kinds.length; f++) {
            kinds[f] = NUMBERS.indexOf(struct.fields()[f].dataType());
        }
        this.columns = schema.getColumns().toArray(new ColumnDescriptor[0]);
        this.valueLevel = columns[0].getMaxDefinitionLevel();
        this.nullElementLevel = valueLevel - 1;   // (used only where elements may be null: the element's group is then optional)
        this.emptyLevel = 1;
    }

    @Override
    public void startRowGroup(ColumnChunkPageWriteStore pages) {
        store = props.newColumnWriteStore(schema, pages, pages);
        writers = new ColumnWriter[columns.length];
        for (int f = 0; f < columns.length; f++) {
            writers[f] = store.getColumnWriter(columns[f]);
        }
    }

    @Override
    public void add(InternalRow row, int ordinal) throws IOException {
        if (row.isNullAt(ordinal)) {
            nulls(0, 0);
        } else {
            ArrayData list = row.getArray(ordinal);
            int n = list.numElements();
            if (n == 0) {
                nulls(0, emptyLevel);
            }
            for (int e = 0; e < n; e++) {
                int repetition = e == 0 ? 0 : 1;
                if (list.isNullAt(e)) {
                    nulls(repetition, nullElementLevel);
                    continue;
                }
                InternalRow element = list.getStruct(e, kinds.length);
                for (int f = 0; f < kinds.length; f++) {
                    switch (kinds[f]) {
                        case INT -> writers[f].write(element.getInt(f), repetition, valueLevel);
                        case FLOAT -> writers[f].write(element.getFloat(f), repetition, valueLevel);
                        case LONG -> writers[f].write(element.getLong(f), repetition, valueLevel);
                        default -> writers[f].write(element.getDouble(f), repetition, valueLevel);
                    }
                }
            }
        }
        store.endRecord();
    }

    private void nulls(int repetition, int definition) {
        for (ColumnWriter w : writers) {
            w.writeNull(repetition, definition);
        }
    }

    @Override
    public long bufferedBytes() {
        return store.getBufferedSize();
    }

    @Override
    public void flushPage() {
        store.flush();
    }

    @Override
    public void endRowGroup() {
        store.close();
    }
}
