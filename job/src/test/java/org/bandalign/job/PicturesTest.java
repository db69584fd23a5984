package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.bandalign.job.plot.Heatmap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pictures carry the right content: pixel colours at known cells, and pixel statistics that
 * tell a right seed-example heatmap from a blank one or a float32-wrong one.
 */
class PicturesTest {
    private static final Color HOT = new Color(253, 231, 37);
    private static final Color COLD = new Color(68, 1, 84);

    @TempDir
    Path tmp;

    @Test
    void plotSize_pairsPast2To24Cells_areRefusedSayingSo() {
        PlotCommand.checkSize("ok", 4096, 4096);
        PlotCommand.checkSize("thin", 1, Integer.MAX_VALUE / 128);
        UserError e = org.junit.jupiter.api.Assertions.assertThrows(UserError.class,
                () -> PlotCommand.checkSize("long", 100_000, 100_000));   // a band-layout row can hold this in 6 MB
        assertTrue(e.getMessage().contains("pair long is 100000 x 100000") && e.getMessage().contains("at most 16777216 cells"),
                e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(UserError.class, () -> PlotCommand.checkSize("wide", 4097, 4096));
    }

    @Test
    void heatmap_diagonalMatrix_isHotOnTheDiagonalAndColdElsewhere() {
        double[][] v = new double[50][50];
        for (int i = 0; i < 50; i++) {
            v[i][i] = 1;
        }
        Rectangle2D area = new Rectangle2D.Double();
        BufferedImage img = new Heatmap("diag", "i", "j", v, null, 0, 1, "p").render(600, 500, area);
        assertEquals(600, img.getWidth());
        assertEquals(500, img.getHeight());
        assertNear(HOT, cellColour(img, area, 50, 50, 10, 10), "cell (10, 10)");
        assertNear(COLD, cellColour(img, area, 50, 50, 10, 40), "cell (10, 40)");
        assertNear(COLD, cellColour(img, area, 50, 50, 45, 2), "cell (45, 2): row 45 is drawn near the bottom");
    }

    /**
     * A matrix with more rows than the picture has pixels: each box stands for several cells and
     * takes the largest, so a path one cell wide stays hot (boxes smaller than a pixel, drawn one
     * over another, left a 2000 x 2000 pair's path a faint line).
     */
    @Test
    void heatmap_largerThanItsPixels_keepsAPathOneCellWideHot() {
        int n = 2000;
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
            v[i][(i + 7) % n] = Double.NaN;   // blank cells beside it are left out of the largest
        }
        Rectangle2D area = new Rectangle2D.Double();
        BufferedImage img = new Heatmap("diag", "i", "j", v, null, 0, 1, "p").render(900, 760, area);
        int pool = Heatmap.poolFor(n, n, area);
        assertTrue(pool >= 3 && area.getHeight() * pool >= n && area.getHeight() * (pool - 1) < n, "pool " + pool + " for " + area);
        // A box is a pixel or so: the cell's pixel, or one beside it, is the box's.
        for (int i : new int[] {10, 500, 1000, 1500, 1990}) {
            assertTrue(nearby(img, area, n, n, i, i).stream().anyMatch(c -> distance(c, HOT) < 1),
                    "diagonal cell (" + i + ", " + i + "): hot, at full colour, where a pixel held " + n / area.getHeight() + " cells");
            int j = (i + 700) % n;
            assertTrue(nearby(img, area, n, n, i, j).stream().allMatch(c -> distance(c, COLD) < 1), "cell (" + i + ", " + j + ")");
        }
        assertEquals(1, Heatmap.poolFor(50, 50, area), "a small matrix: a box a cell");
        assertEquals(1, Heatmap.poolFor(0, 0, area));
    }

    @Test
    void plot_seedExample_drawsAThinPathThroughOneArm() throws Exception {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("PicturesTest").getOrCreate();
        String out = tmp.resolve("seed-out").toString();
        try {
            String in = tmp.resolve("seed-in").toString();
            spark.createDataset(List.of(PairGenerator.seedExample(1)), Encoders.bean(GeneratedRow.class))
                    .selectExpr("id", "n", "m", "scores")
                    .unionByName(spark.sql("select 'three-floats' as id, 2 as n, 2 as m, array(1f, 2f, 3f) as scores"))
                    .write().parquet(in);
            AlignCommand cmd = new AlignCommand();
            new picocli.CommandLine(cmd).parseArgs("--input", in, "--output", out, "--semiring", "both", "--packed");
            AlignJob.run(spark, cmd.request(spark.sparkContext().getConf()));
            Row row = spark.read().parquet(out + "/marginals").collectAsList().get(0);
            Heatmap map = PlotCommand.heatmap(row);
            Rectangle2D area = new Rectangle2D.Double();
            BufferedImage img = map.render(900, 760, area);
            File png = tmp.resolve("seed.png").toFile();
            ImageIO.write(img, "png", png);
            assertTrue(png.length() > 10_000, "PNG written");

            double[][] mass = OutputRows.cellMass(row);
            boolean alongRow0 = mass[0][100] > 0.5;
            Color arm = alongRow0 ? cellColour(img, area, 200, 200, 0, 100) : cellColour(img, area, 200, 200, 100, 0);
            assertTrue(distance(arm, COLD) > 100, "the arm carrying the path is drawn hot: " + arm);
            assertNear(COLD, cellColour(img, area, 200, 200, 100, 100), "cell (100, 100) is off every likely path");
            double hot = hotFraction(img, area);
            assertTrue(hot > 0.002 && hot < 0.05, "a thin path, not a blank or saturated picture: hot fraction " + hot);
        } finally {
            spark.stop();
        }
        // The command on a glob of output directories (found by a review: taken as no output directory of align).
        String drawn = tmp.resolve("seed-glob.png").toString();
        assertEquals(0, BandAlign.run("plot", "--input", tmp.resolve("seed-o?t").toString(), "--id", PairGenerator.seedExample(1).getId(),
                "--output", drawn, "--master", "local[1]"));
        assertTrue(new File(drawn).length() > 10_000, "PNG written");
        // A rejected pair: plot says why, from rejected/ of the directories the glob matched (it
        // looked for a directory named by the glob itself, so said nothing of why).
        java.io.StringWriter err = new java.io.StringWriter();
        assertEquals(2, BandAlign.run(null, new java.io.PrintWriter(err, true), "plot", "--input", tmp.resolve("seed-o?t").toString(),
                "--id", "three-floats", "--output", drawn, "--master", "local[1]"));
        assertTrue(err.toString().contains("no pair 'three-floats' in ") && err.toString().contains(": align rejected it (")
                && err.toString().contains("12"), err.toString());
    }

    @Test
    void plot_outputDirectoryMissingOrInputNotAnAlignOutput_isTheUsersError() {
        String png = tmp.resolve("no-such-dir").resolve("x.png").toString();
        assertEquals(2, BandAlign.run("plot", "--input", "../data/sample", "--id", "seed-example", "--output", png));
        String here = tmp.resolve("x.png").toString();
        assertEquals(2, BandAlign.run("plot", "--input", "../data/sample", "--id", "seed-example", "--output", here,
                "--master", "local[1]"));
        assertFalse(new File(here).exists());
        // An existing directory as --output (exit 1 with ImageIO's words before).
        assertEquals(2, BandAlign.run("plot", "--input", "../data/sample", "--id", "seed-example", "--output", tmp.toString()));
        // Found by a probe: a .jpg name got PNG bytes.
        String jpg = tmp.resolve("x.jpg").toString();
        assertEquals(2, BandAlign.run("plot", "--input", "../data/sample", "--id", "seed-example", "--output", jpg));
        assertFalse(new File(jpg).exists());
        // Found by a newcomer's walk-through: a missing --input showed Spark's [PATH_NOT_FOUND] ... SQLSTATE: 42K03.
        java.io.StringWriter err = new java.io.StringWriter();
        String missing = tmp.resolve("no-such-output").toString();
        assertEquals(2, BandAlign.run(null, new java.io.PrintWriter(err, true), "plot", "--input", missing, "--id", "x", "--output",
                here, "--master", "local[1]"));
        assertEquals("bandalign: --input " + missing + " does not exist", err.toString().strip());
    }

    /**
     * Found by a probe of the secondary commands: a marginals table written otherwise (pyarrow
     * by hand) with a short marginals array, or a CIGAR of two billion steps, ended in an
     * ArrayIndexOutOfBoundsException or an OutOfMemoryError (exit 1); a picture of 0 pixels was
     * refused only after Spark had read the pair, exit 1.
     */
    @Test
    void plot_rowNotAsAlignWritesIt_orPictureSizeOutOfRange_isTheUsersError() throws Exception {
        String in = tmp.resolve("hand-written").toString();
        SparkSession spark = SparkSession.builder().master("local[1]").appName("PicturesTest-hand").getOrCreate();
        try {
            String fields = "3 as n, 3 as m, 'global' as mode, -1 as diag_lo, 2 as diag_hi, 'dense' as layout, "
                    + "cast(null as double) as log_partition, cast(null as array<struct<i:int,j:int,k:int,p:float>>) as sparse, "
                    + "0.0d as viterbi_score, 0 as viterbi_start_i, 0 as viterbi_start_j, 2 as viterbi_end_i, 2 as viterbi_end_j";
            spark.sql("select 'short' as id, array(cast(0.1 as float)) as marginals, '3M' as viterbi_cigar, " + fields
                    + " union all select 'long-path' as id, array_repeat(cast(0.1 as float), 27) as marginals, "
                    + "'1M2000000000I' as viterbi_cigar, " + fields
                    + " union all select 'too-long' as id, array_repeat(cast(0.1 as float), 100) as marginals, '3M' as viterbi_cigar, "
                    + fields
                    + " union all select 'above-one' as id, array_repeat(cast(0.5 as float), 27) as marginals, '3M' as viterbi_cigar, "
                    + fields
                    + " union all select 'off-grid' as id, array_repeat(cast(0.1 as float), 27) as marginals, "
                    + "'1M2000000000I' as viterbi_cigar, " + fields.replace("2 as viterbi_end_i, 2 as viterbi_end_j",
                            "2000000000 as viterbi_end_i, 0 as viterbi_end_j")).write().parquet(in);
        } finally {
            spark.stop();
        }
        java.io.StringWriter err = new java.io.StringWriter();
        String png = tmp.resolve("hand.png").toString();
        assertEquals(2, BandAlign.run(null, new java.io.PrintWriter(err, true), "plot", "--input", in, "--id", "short", "--output",
                png, "--master", "local[1]"));
        assertTrue(err.toString().startsWith("bandalign: --input " + in + ": the row of pair 'short' is not as align writes it ("),
                err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, BandAlign.run(null, new java.io.PrintWriter(err, true), "plot", "--input", in, "--id", "long-path",
                "--output", png, "--master", "local[1]"));
        // (ViterbiPath finds it first: its steps lead elsewhere than the row's end, 2000000001 cells on a 3 x 3 grid)
        assertTrue(err.toString().contains("the CIGAR '1M2000000000I' leads from (0, 0) to (2000000000, 0), not to its end (2, 2)"),
                err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, BandAlign.run(null, new java.io.PrintWriter(err, true), "plot", "--input", in, "--id", "off-grid",
                "--output", png, "--master", "local[1]"));
        assertTrue(err.toString().contains("viterbi_cigar 1M2000000000I has 2000000001 steps, more than a path on 3 x 3 takes"),
                "a path whose steps do lead to its end, off the grid: " + err);
        assertFalse(new File(png).exists());
        for (String[] drawnBefore : new String[][] {{"too-long", "its dense marginals hold 100 floats where 3 x 3 takes 27"},
            {"above-one", "8 cell(s) of its band hold a mass (the sum of a cell's three marginals) that is NaN or outside [0, 1]"}}) {
            err.getBuffer().setLength(0);
            assertEquals(2, BandAlign.run(null, new java.io.PrintWriter(err, true), "plot", "--input", in, "--id", drawnBefore[0],
                    "--output", png, "--master", "local[1]"));
            assertTrue(err.toString().contains(drawnBefore[1]), err.toString());
        }
        assertFalse(new File(png).exists());
        err.getBuffer().setLength(0);
        assertEquals(2, BandAlign.run(null, new java.io.PrintWriter(err, true), "plot", "--input", in, "--id", "short", "--output",
                png, "--width", "0"));
        assertEquals("bandalign: --width and --height must lie in [400, 16384] pixels, got 0 x 760\n"
                + "bandalign: see 'bandalign plot --help'", err.toString().strip());
    }

    /**
     * Found by a maintainability review: plot read n and m of a table pyarrow rewrote (int64) as
     * numbers, but the cells' mass read them, and the bounds and the sparse steps, as int32
     * (ClassCastException: "not as align writes it").
     */
    @Test
    void heatmap_rowsWithInt64LengthsAndDoubleProbabilities_asPyarrowRewritesThem_areDrawn() {
        org.apache.spark.sql.types.StructType step = new org.apache.spark.sql.types.StructType()
                .add("i", org.apache.spark.sql.types.DataTypes.LongType).add("j", org.apache.spark.sql.types.DataTypes.LongType)
                .add("k", org.apache.spark.sql.types.DataTypes.LongType).add("p", org.apache.spark.sql.types.DataTypes.DoubleType);
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("id", org.apache.spark.sql.types.DataTypes.StringType).add("n", org.apache.spark.sql.types.DataTypes.LongType)
                .add("m", org.apache.spark.sql.types.DataTypes.LongType).add("diag_lo", org.apache.spark.sql.types.DataTypes.LongType)
                .add("diag_hi", org.apache.spark.sql.types.DataTypes.LongType).add("layout", org.apache.spark.sql.types.DataTypes.StringType)
                .add("marginals", org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.DoubleType))
                .add("sparse", org.apache.spark.sql.types.DataTypes.createArrayType(step))
                .add("mode", org.apache.spark.sql.types.DataTypes.StringType)
                .add("log_partition", org.apache.spark.sql.types.DataTypes.DoubleType)
                .add("viterbi_score", org.apache.spark.sql.types.DataTypes.DoubleType)
                .add("viterbi_cigar", org.apache.spark.sql.types.DataTypes.StringType)
                .add("viterbi_start_i", org.apache.spark.sql.types.DataTypes.LongType)
                .add("viterbi_start_j", org.apache.spark.sql.types.DataTypes.LongType)
                .add("viterbi_end_i", org.apache.spark.sql.types.DataTypes.LongType)
                .add("viterbi_end_j", org.apache.spark.sql.types.DataTypes.LongType);
        Object[] viterbi = {"global", 0.0, 2.0, "2M", 0L, 0L, 1L, 1L};
        // A 2 x 2 pair on its diagonal path: (0, 0) started, (1, 1) entered diagonally.
        List<Object> dense = new java.util.ArrayList<>();
        for (int q = 0; q < 12; q++) {
            dense.add(q == 1 || q == 10 ? 1.0 : 0.0);
        }
        Row denseRow = new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(withViterbi(viterbi, "d", 2L, 2L, -1L, 1L, "dense",
            scala.jdk.javaapi.CollectionConverters.asScala(dense).toSeq(), null), schema);
        Row stepOf00 = new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(new Object[] {0L, 0L, 1L, 1.0}, step);
        Row stepOf11 = new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(new Object[] {1L, 1L, 1L, 1.0}, step);
        Row sparseRow = new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(withViterbi(viterbi, "s", 2L, 2L, -1L, 1L, "sparse",
            null, scala.jdk.javaapi.CollectionConverters.asScala(List.of(stepOf00, stepOf11)).toSeq()), schema);
        for (Row r : List.of(denseRow, sparseRow)) {
            double[][] mass = OutputRows.cellMass(r);
            assertEquals(1.0, mass[0][0], r.getString(0));
            assertEquals(0.0, mass[0][1], r.getString(0));
            assertEquals(1.0, mass[1][1], r.getString(0));
            assertTrue(PlotCommand.heatmap(r).render(400, 400, new Rectangle2D.Double()).getWidth() == 400, r.getString(0));
        }
    }

    private static Object[] withViterbi(Object[] viterbi, Object... first) {
        Object[] all = java.util.Arrays.copyOf(first, first.length + viterbi.length);
        System.arraycopy(viterbi, 0, all, first.length, viterbi.length);
        return all;
    }

    @Test
    void bandedDemo_writesElevenPicturesWithBandStorageAndDenseMatrix() throws Exception {
        File dir = tmp.resolve("demo").toFile();
        assertEquals(0, BandAlign.run("banded-demo", "--output", dir.getPath()));
        java.io.StringWriter err = new java.io.StringWriter();
        File png = new File(dir, "01-bm.png");
        assertEquals(2, BandAlign.run(null, new java.io.PrintWriter(err, true), "banded-demo", "--out", png.getPath()));
        assertTrue(err.toString().startsWith("bandalign: --output " + png + " is a file"), "--out also works, the message names --output: " + err);
        File[] pngs = dir.listFiles((d, name) -> name.endsWith(".png"));
        assertEquals(11, pngs.length);
        BufferedImage first = ImageIO.read(new File(dir, "01-bm.png"));
        assertEquals(2 * BandedDemoCommand.PANEL_WIDTH, first.getWidth());
        assertEquals(BandedDemoCommand.HEIGHT + 30, first.getHeight());
        // The dense panel of BandedMatrix(base, 2, 1): in the band the matrix is nonzero, far from it 0 (coldest).
        Rectangle2D area = new Rectangle2D.Double();
        BufferedImage dense = new Heatmap("dense", "row", "column", denseOf(BandedDemoCommand.calls().get("BandedMatrix(base, 2, 1)")),
                null, 0, 20 / 21.0, "value").render(BandedDemoCommand.PANEL_WIDTH, BandedDemoCommand.HEIGHT, area);
        assertNear(COLD, cellColour(dense, area, 20, 20, 0, 15), "far above the band: fill 0");
        assertTrue(distance(cellColour(dense, area, 20, 20, 19, 19), COLD) > 100, "the band's last entry is the largest");
    }

    private static double[][] denseOf(org.bandalign.banded.BandedMatrix x) {
        float[] d = x.toDense();
        double[][] out = new double[x.n()][x.n()];
        for (int i = 0; i < x.n(); i++) {
            for (int j = 0; j < x.n(); j++) {
                out[i][j] = d[i * x.n() + j];
            }
        }
        return out;
    }

    private static Color cellColour(BufferedImage img, Rectangle2D area, int rows, int cols, int i, int j) {
        int x = (int) (area.getX() + (j + 0.5) * area.getWidth() / cols);
        int y = (int) (area.getY() + (i + 0.5) * area.getHeight() / rows);
        return new Color(img.getRGB(x, y));
    }

    /** The colours of the pixel at cell (i, j)'s centre and of the eight around it. */
    private static List<Color> nearby(BufferedImage img, Rectangle2D area, int rows, int cols, int i, int j) {
        int x = (int) (area.getX() + (j + 0.5) * area.getWidth() / cols);
        int y = (int) (area.getY() + (i + 0.5) * area.getHeight() / rows);
        List<Color> around = new java.util.ArrayList<>();
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                around.add(new Color(img.getRGB(x + dx, y + dy)));
            }
        }
        return around;
    }

    private static double hotFraction(BufferedImage img, Rectangle2D area) {
        long hot = 0;
        long all = 0;
        for (int y = (int) area.getMinY() + 1; y < area.getMaxY() - 1; y++) {
            for (int x = (int) area.getMinX() + 1; x < area.getMaxX() - 1; x++) {
                Color c = new Color(img.getRGB(x, y));
                hot += distance(c, COLD) > 100 && !(c.getRed() > 200 && c.getGreen() < 120) ? 1 : 0;
                all++;
            }
        }
        return (double) hot / all;
    }

    private static double distance(Color a, Color b) {
        int dr = a.getRed() - b.getRed();
        int dg = a.getGreen() - b.getGreen();
        int db = a.getBlue() - b.getBlue();
        return Math.sqrt(dr * dr + dg * dg + db * db);
    }

    private static void assertNear(Color expected, Color actual, String what) {
        assertTrue(distance(expected, actual) < 40, what + ": expected about " + expected + " but was " + actual);
    }
}
