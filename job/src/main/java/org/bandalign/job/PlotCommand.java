package org.bandalign.job;

import static org.apache.spark.sql.functions.col;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.bandalign.align.ViterbiPath;
import org.bandalign.job.plot.Heatmap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code plot}: a heatmap of one pair's marginals from the job's output (any layout, packed or
 * not), summed over the three steps as the seed notebook draws them, with the Viterbi path
 * overlaid when the max semiring ran, axes labelled and a colour bar, as PNG.
 */
@Command(name = "plot", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Draw one pair's marginals (summed over the steps) with its Viterbi path, as PNG.")
final class PlotCommand implements Callable<Integer> {
    @Option(names = "--input", required = true, paramLabel = "DIR", description = "The job's output directory (or its marginals/).")
    String input;

    @Option(names = "--id", required = true, description = "The pair to draw.")
    String id;

    @Option(names = "--output", required = true, paramLabel = "FILE.png", description = "Where to write the PNG.")
    String output;

    @Option(names = "--width", defaultValue = "900", description = "Image width in pixels (default: ${DEFAULT-VALUE}).")
    int width;
    @Option(names = "--height", defaultValue = "760", description = "Image height in pixels (default: ${DEFAULT-VALUE}).")
    int height;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: local[*]).")
    String master;

    /** The least and the most pixels a side of the picture may have (below, its labels overlap). */
    static final int LEAST_SIDE = 400;
    static final int MOST_SIDE = 16384;

    @Override
    public Integer call() throws IOException {
        for (int side : new int[] {width, height}) {
            if (side < LEAST_SIDE || side > MOST_SIDE) {
                throw UserError.badFlag("--width and --height must lie in [" + LEAST_SIDE + ", " + MOST_SIDE + "] pixels, got "
                        + width + " x " + height);
            }
        }
        File file = new File(output);
        File parent = file.getAbsoluteFile().getParentFile();
        if (parent == null || !parent.isDirectory()) {
            throw new UserError("--output " + output + ": directory " + parent + " does not exist");
        }
        if (file.isDirectory()) {
            throw new UserError("--output " + output + " is a directory; give the PNG file to write");
        }
        if (!output.toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {   // (a .jpg name got PNG bytes)
            throw new UserError("--output " + output + ": plot writes PNG; name the file .png");
        }
        if (file.exists() ? !file.canWrite() : !parent.canWrite()) {   // (before Spark starts and reads the pair)
            throw new UserError("--output " + output + ": cannot write " + (file.exists() ? "that file" : "in " + parent));
        }
        SparkConf conf = new SparkConf().setIfMissing("spark.app.name", "bandalign plot");
        conf.setMaster(master != null ? master : conf.get("spark.master", "local[*]"));
        SparkSession spark = CommandSession.start(conf, "plot");
        try {
            org.apache.hadoop.fs.Path inPath = HadoopPaths.parse("--input", input);
            org.apache.hadoop.fs.FileSystem fs = inPath.getFileSystem(spark.sparkContext().hadoopConfiguration());
            org.apache.hadoop.fs.FileStatus[] matched = HadoopPaths.matchInput(fs, "--input", input);   // (as align says it)
            boolean outputDir = true;   // (each path matched an output directory, whose marginals/ is read; else a marginals table)
            for (org.apache.hadoop.fs.FileStatus st : matched) {
                outputDir &= st.isDirectory() && fs.isDirectory(new org.apache.hadoop.fs.Path(st.getPath(), "marginals"));
            }
            String dir = outputDir ? new org.apache.hadoop.fs.Path(inPath, "marginals").toString() : input;
            Dataset<Row> table;
            try {
                table = spark.read().parquet(dir);
            } catch (Exception e) {   // (Scala's AnalysisException: a missing path, no Parquet files)
                throw new UserError("--input " + input + " is not an output directory of align: " + firstLine(e));
            }
            for (String column : List.of("id", "n", "m", "layout", "marginals", "sparse")) {
                if (!java.util.Arrays.asList(table.columns()).contains(column)) {
                    throw new UserError("--input " + input + " is not an output directory of align (its table has no '"
                            + column + "' column; an align input cannot be drawn, only its output)");
                }
            }
            List<Row> rows = table.filter(col("id").equalTo(id)).collectAsList();
            if (rows.isEmpty()) {
                throw new UserError("no pair '" + id + "' in " + dir + rejection(spark, fs, inPath, outputDir));
            }
            if (rows.size() > 1) {
                System.err.println("bandalign: note: " + rows.size() + " rows have id '" + id + "'; drawing the first");
            }
            Heatmap map;
            try {
                map = heatmap(rows.get(0));
            } catch (UserError e) {
                throw e;
            } catch (RuntimeException e) {   // (a table written otherwise: nulls, wrong lengths, values off the grid)
                throw new UserError("--input " + input + ": the row of pair '" + id + "' is not as align writes it ("
                        + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
            }
            java.awt.image.BufferedImage picture = map.render(width, height, null);
            try (java.io.OutputStream png = java.nio.file.Files.newOutputStream(file.toPath())) {
                ImageIO.write(picture, "png", png);
            } catch (IOException e) {   // (ImageIO's own file stream prints a stack trace of its own first)
                throw new UserError("--output " + output + ": cannot write it: " + e);
            }
            System.out.println("bandalign: wrote " + output);
            return 0;
        } catch (Exception | Error e) {   // (Spark's checked exceptions too, which javac does not see)
            CommandSession.stop(spark, true);
            throw e;
        } finally {
            spark.stop();
        }
    }

    /**
     * Why the pair was rejected, where the {@code rejected/} of the output directories matched by
     * {@code input} (a path or a glob, on any file system) says, as a clause to append; else "".
     */
    private String rejection(SparkSession spark, org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path input,
                             boolean outputDir) throws IOException {
        org.apache.hadoop.fs.Path rejected = new org.apache.hadoop.fs.Path(input, "rejected");
        org.apache.hadoop.fs.FileStatus[] dirs = outputDir ? fs.globStatus(rejected) : null;
        if (dirs == null || dirs.length == 0 || !java.util.Arrays.stream(dirs).allMatch(org.apache.hadoop.fs.FileStatus::isDirectory)) {
            return "";
        }
        List<Row> why = spark.read().parquet(rejected.toString()).filter(col("id").equalTo(id)).limit(1).collectAsList();
        return why.isEmpty() ? "" : ": align rejected it (" + why.get(0).getAs("error") + ")";
    }

    private static String firstLine(Exception e) {
        return String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName());
    }

    /** Most cells (n x m) of a pair plot draws: each is a box of the picture, held as a double. */
    static final long MOST_CELLS = 1L << 24;

    /** Refuses a pair too large to draw, before anything is allocated for it. */
    static void checkSize(String id, int n, int m) {
        if ((long) n * m > MOST_CELLS) {
            throw new UserError("pair " + id + " is " + n + " x " + m + "; plot draws pairs of at most " + MOST_CELLS
                    + " cells (n x m), each a box of the picture");
        }
    }

    /** The heatmap of one marginals/ row. */
    static Heatmap heatmap(Row r) {
        int n = OutputRows.integer(r, "n");   // (int64 where pyarrow wrote the table)
        int m = OutputRows.integer(r, "m");
        if (n < 1 || m < 1) {
            throw new IllegalArgumentException("lengths n = " + n + ", m = " + m);
        }
        checkSize(r.getAs("id"), n, m);
        double[][] mass = OutputRows.cellMass(r);
        long odd = 0;   // (NaN marks a cell outside the band; align writes none inside it, nor a mass outside [0, 1])
        int lo = OutputRows.integer(r, "diag_lo");
        int hi = OutputRows.integer(r, "diag_hi");
        for (int i = 0; i < n; i++) {
            for (int j = Math.max(0, i + lo); j <= Math.min(m - 1, i + hi); j++) {
                odd += Double.isNaN(mass[i][j]) || mass[i][j] < -1e-3 || mass[i][j] > 1 + 1e-3 ? 1 : 0;   // (beyond any backend's rounding)
            }
        }
        if (odd > 0) {
            throw new IllegalArgumentException(odd + " cell(s) of its band hold a mass (the sum of a cell's three marginals) "
                    + "that is NaN or outside [0, 1]");
        }
        double[][] path = null;
        String cigar = r.getAs("viterbi_cigar");
        if (cigar != null) {
            ViterbiPath p = new ViterbiPath(((Number) r.getAs("viterbi_score")).doubleValue(), cigar,
                    OutputRows.integer(r, "viterbi_start_i"), OutputRows.integer(r, "viterbi_start_j"),
                    OutputRows.integer(r, "viterbi_end_i"), OutputRows.integer(r, "viterbi_end_j"));
            path = pathCells(p, n, m);
        }
        Double logZ = r.getAs("log_partition");
        String title = r.<String>getAs("id") + "  (" + n + " x " + m + ", " + r.<String>getAs("mode")
                + (logZ != null ? String.format(Locale.ROOT, ", log Z = %.6g", logZ) : "") + ")";
        return new Heatmap(title, "i (position in x)", "j (position in y)", mass, path, 0, 1,
                logZ != null ? "P(path visits cell)" : "Viterbi path");
    }

    /** The path's cells; it must stay on the n x m grid (a path visits at most n + m - 1 cells). */
    private static double[][] pathCells(ViterbiPath p, int n, int m) {
        long steps = 0;
        java.util.regex.Matcher run = java.util.regex.Pattern.compile("(\\d+)[MID]").matcher(p.cigar());
        while (run.find()) {
            steps += Long.parseLong(run.group(1));
        }
        if (steps > n + (long) m - 1) {
            throw new IllegalArgumentException("viterbi_cigar " + p.cigar() + " has " + steps + " steps, more than a path on "
                    + n + " x " + m + " takes");
        }
        java.util.List<int[]> cells = new java.util.ArrayList<>();
        p.forEachStep((i, j, k) -> {
            if (i < 0 || i >= n || j < 0 || j >= m) {
                throw new IllegalArgumentException("viterbi_cigar " + p.cigar() + " from (" + p.start()[0] + ", " + p.start()[1]
                        + ") leaves the " + n + " x " + m + " grid at (" + i + ", " + j + ")");
            }
            cells.add(new int[] {i, j});
        });
        double[][] xy = new double[2][cells.size()];
        for (int q = 0; q < cells.size(); q++) {
            xy[0][q] = cells.get(q)[0];
            xy[1][q] = cells.get(q)[1];
        }
        return xy;
    }
}
