package org.bandalign.job;

import static org.apache.spark.sql.functions.col;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.apache.spark.SparkConf;
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
public final class PlotCommand implements Callable<Integer> {
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

    @Override
    public Integer call() throws IOException {
        SparkConf conf = new SparkConf().setIfMissing("spark.app.name", "bandalign plot");
        conf.setMaster(master != null ? master : conf.get("spark.master", "local[*]"));
        SparkSession spark = CommandSession.start(conf, "plot");
        try {
            String dir = new File(input, "marginals").isDirectory() ? new File(input, "marginals").getPath() : input;
            List<Row> rows = spark.read().parquet(dir).filter(col("id").equalTo(id)).collectAsList();
            if (rows.isEmpty()) {
                throw new UserError("no pair '" + id + "' in " + dir);
            }
            Heatmap map = heatmap(rows.get(0));
            ImageIO.write(map.render(width, height, null), "png", new File(output));
            System.out.println("bandalign: wrote " + output);
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** The heatmap of one marginals/ row. */
    static Heatmap heatmap(Row r) {
        int n = r.getAs("n");
        int m = r.getAs("m");
        double[][] mass = OutputRows.cellMass(r);
        double[][] path = null;
        String cigar = r.getAs("viterbi_cigar");
        if (cigar != null) {
            ViterbiPath p = new ViterbiPath(r.<Double>getAs("viterbi_score"), cigar, r.<Integer>getAs("viterbi_start_i"),
                    r.<Integer>getAs("viterbi_start_j"), r.<Integer>getAs("viterbi_end_i"), r.<Integer>getAs("viterbi_end_j"));
            path = pathCells(p);
        }
        Double logZ = r.getAs("log_partition");
        String title = r.<String>getAs("id") + "  (" + n + " x " + m + ", " + r.<String>getAs("mode")
                + (logZ != null ? String.format(Locale.ROOT, ", log Z = %.6g", logZ) : "") + ")";
        return new Heatmap(title, "i (position in x)", "j (position in y)", mass, path, 0, 1,
                logZ != null ? "P(path visits cell)" : "Viterbi path");
    }

    private static double[][] pathCells(ViterbiPath p) {
        java.util.List<int[]> cells = new java.util.ArrayList<>();
        p.forEachStep((i, j, k) -> cells.add(new int[] {i, j}));
        double[][] xy = new double[2][cells.size()];
        for (int q = 0; q < cells.size(); q++) {
            xy[0][q] = cells.get(q)[0];
            xy[1][q] = cells.get(q)[1];
        }
        return xy;
    }
}
