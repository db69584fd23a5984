package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/** Reading a {@code marginals/} row back as each cell's probability mass (what {@code plot} draws), in every layout. */
class OutputRowsTest {
    private static final StructType STEP = new StructType().add("i", DataTypes.IntegerType).add("j", DataTypes.IntegerType)
            .add("k", DataTypes.IntegerType).add("p", DataTypes.FloatType);
    private static final StructType ROW = new StructType().add("n", DataTypes.IntegerType).add("m", DataTypes.IntegerType)
            .add("diag_lo", DataTypes.IntegerType).add("diag_hi", DataTypes.IntegerType).add("layout", DataTypes.StringType)
            .add("marginals", DataTypes.createArrayType(DataTypes.FloatType))
            .add("sparse", DataTypes.createArrayType(STEP));
    private static final double NAN = Double.NaN;
    /** A 3 x 3 pair in the band -1..1: each in-band cell's mass, NaN outside the band. */
    private static final double[][] MASS = {{1, 2, NAN}, {3, 4, 5}, {NAN, 6, 7}};

    private static Row row(String layout, Float[] marginals, List<Row> sparse) {
        return new GenericRowWithSchema(new Object[] {3, 3, -1, 1, layout,
            marginals == null ? null : CollectionConverters.asScala(Arrays.asList((Object[]) marginals)).toSeq(),
            sparse == null ? null : CollectionConverters.asScala(sparse).toSeq()}, ROW);
    }

    @Test
    void cellMass_denseAndBandLayouts_sumEachCellsSteps_andLeaveCellsOutsideTheBandNaN() {
        Float[] dense = new Float[3 * 3 * 3];
        Float[] band = new Float[3 * 3 * 3];   // n * W * 3 with W = 3
        Arrays.fill(dense, 0f);
        Arrays.fill(band, 0f);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                if (!Double.isNaN(MASS[i][j])) {
                    float v = (float) MASS[i][j];
                    int d = (i * 3 + j) * 3;
                    int b = (i * 3 + (j - i + 1)) * 3;
                    dense[d] = v / 2;
                    dense[d + 1] = v / 4;
                    dense[d + 2] = v / 4;
                    band[b] = v / 4;
                    band[b + 1] = v / 2;
                    band[b + 2] = v / 4;
                }
            }
        }
        assertArrayEquals(MASS, OutputRows.cellMass(row("dense", dense, null)));
        assertArrayEquals(MASS, OutputRows.cellMass(row("band", band, null)));
    }

    @Test
    void cellMass_sparseLayout_addsItsSteps_andInBandCellsWithoutAStepAreZero() {
        List<Row> steps = List.of(new GenericRowWithSchema(new Object[] {0, 0, 1, 0.5f}, STEP),
                new GenericRowWithSchema(new Object[] {1, 2, 0, 0.25f}, STEP),
                new GenericRowWithSchema(new Object[] {1, 2, 2, 0.125f}, STEP));
        assertArrayEquals(new double[][] {{0.5, 0, NAN}, {0, 0, 0.375}, {NAN, 0, 0}}, OutputRows.cellMass(row("sparse", null, steps)));
    }
}
