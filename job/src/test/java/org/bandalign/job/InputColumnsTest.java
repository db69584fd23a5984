package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The input's columns as SPEC section 5 names them: each one missing is named, with what the input has. */
class InputColumnsTest {
    @Test
    void format_eachRequiredColumnMissing_isNamedWithTheColumnsFound() {
        StructType all = new StructType().add("id", DataTypes.StringType).add("n", DataTypes.IntegerType)
                .add("m", DataTypes.IntegerType).add("scores", DataTypes.BinaryType);
        for (String missing : new String[] {"id", "n", "m", "scores"}) {
            StructType without = new StructType();
            StringBuilder found = new StringBuilder();
            for (var f : all.fields()) {
                if (!f.name().equals(missing)) {
                    without = without.add(f);
                    found.append(found.length() == 0 ? "" : ", ").append(f.name()).append(' ').append(f.dataType().simpleString());
                }
            }
            StructType schema = without;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InputColumns.format(schema));
            assertEquals("input has no column '" + missing + "' (SPEC section 5 needs id, n, m, scores; found: " + found + ")",
                    e.getMessage());
        }
    }
}
