package org.bandalign.job;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.bandalign.banded.BandedMatrix;
import org.bandalign.job.plot.Heatmap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code banded-demo}: replays the seed notebook's eleven {@link BandedMatrix} calls and writes
 * each result as a PNG with the band storage (n x width, row c = column c of the matrix) and the
 * dense matrix side by side, like the notebook's {@code show}.
 */
@Command(name = "banded-demo", mixinStandardHelpOptions = true,
        description = "Replay the seed notebook's BandedMatrix calls as PNGs (band storage beside the dense matrix).")
final class BandedDemoCommand implements Callable<Integer> {
    static final int PANEL_WIDTH = 520;
    static final int HEIGHT = 480;

    @Option(names = {"--output", "--out"}, required = true, paramLabel = "DIR", description = "Directory for the PNGs (--out also works).")
    File out;

    @Override
    public Integer call() throws IOException {
        if (out.exists() && !out.isDirectory()) {
            throw new UserError("--output " + out + " is a file; give the directory for the pictures");
        }
        if (!out.isDirectory() && !out.mkdirs()) {
            throw new UserError("--output " + out + ": cannot create that directory");
        }
        int k = 1;
        for (Map.Entry<String, BandedMatrix> call : calls().entrySet()) {
            File png = new File(out, String.format(java.util.Locale.ROOT, "%02d-%s.png", k++, fileName(call.getKey())));
            ImageIO.write(picture(call.getKey(), call.getValue()), "png", png);
            System.out.println("bandalign: wrote " + png + "  (" + call.getKey() + ")");
        }
        return 0;
    }

    /** The eleven calls, in the notebook's order, by their expressions. */
    static Map<String, BandedMatrix> calls() {
        int n = 20;
        int width = 4;
        float[] base = new float[n * width];
        for (int c = 0; c < n; c++) {
            for (int s = 0; s < width; s++) {
                base[c * width + s] = (c + 1) / 21f;
            }
        }
        BandedMatrix bm = BandedMatrix.fromData(base, 1, n, 2, 1, 0f);
        Map<String, BandedMatrix> calls = new LinkedHashMap<>();
        calls.put("BandedMatrix(base, 2, 1)", bm);
        calls.put("bm.transpose()", bm.transpose());
        calls.put("bm.op(bm, (a+b)/2)", bm.op(bm, (a, b) -> (a + b) / 2));
        calls.put("bm.op(bm.transpose(), (a+b)/2)", bm.op(bm.transpose(), (a, b) -> (a + b) / 2));
        calls.put("bm.multiply(bm)", bm.multiply(bm));
        calls.put("bm.band_shift(1)", bm.bandShift(1));
        calls.put("bm.band_shift(-1)", bm.bandShift(-1));
        calls.put("bm.col_shift(1)", bm.colShift(1));
        calls.put("bm.col_shift(-1)", bm.colShift(-1));
        calls.put("bm.multiply(bm.transpose()).multiply(bm.transpose()).multiply(bm.transpose())",
                bm.multiply(bm.transpose()).multiply(bm.transpose()).multiply(bm.transpose()));
        calls.put("bm.multiply(bm.band_shift(1).band_shift(1))", bm.multiply(bm.bandShift(1).bandShift(1)));
        return calls;
    }

    /** Band storage (left) and dense matrix (right) of batch element 0, on one colour scale. */
    static BufferedImage picture(String expr, BandedMatrix x) {
        int n = x.n();
        int w = x.width();
        float[] data = x.data();
        float[] dense = x.toDense();
        double[][] storage = new double[n][w];
        double[][] full = new double[n][n];
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) {
            for (int s = 0; s < w; s++) {
                storage[c][s] = data[c * w + s];
            }
            for (int j = 0; j < n; j++) {
                full[c][j] = dense[c * n + j];
            }
        }
        for (float v : data) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        for (float v : dense) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        String band = "lu=" + x.lu() + ", ld=" + x.ld();
        BufferedImage left = new Heatmap("band storage (" + band + ")", "c (column of the matrix)", "k (slot; diagonal k - lu)",
                storage, null, lo, hi, "value").render(PANEL_WIDTH, HEIGHT, null);
        BufferedImage right = new Heatmap("dense", "row", "column", full, null, lo, hi, "value").render(PANEL_WIDTH, HEIGHT, null);
        BufferedImage out = new BufferedImage(2 * PANEL_WIDTH, HEIGHT + 30, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font("SansSerif", Font.PLAIN, 13));
        g.drawString(expr, 10, 20);
        g.drawImage(left, 0, 30, null);
        g.drawImage(right, PANEL_WIDTH, 30, null);
        g.dispose();
        return out;
    }

    private static String fileName(String expr) {
        return expr.replace("BandedMatrix(base, 2, 1)", "bm").replaceAll("[^A-Za-z0-9_-]+", "_").replaceAll("_+$", "");
    }
}
