package org.bandalign.job.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYDataset;

/**
 * A heatmap of a matrix (row i down, column j across, as the seed notebook draws marginals)
 * with an optional path overlaid, axis labels and a colour bar, drawn with JFreeChart.
 */
public final class Heatmap {
    private final String title;
    private final String rowLabel;
    private final String columnLabel;
    private final double[][] values;
    private final double[][] path;
    private final double lower;
    private final double upper;
    private final String scaleLabel;

    /**
     * @param values     values[i][j]; NaN cells are left blank
     * @param path       the path's cells as {rows, columns}, or null
     * @param lower      value drawn in the coldest colour
     * @param upper      value drawn in the hottest colour
     */
    public Heatmap(String title, String rowLabel, String columnLabel, double[][] values, double[][] path,
                   double lower, double upper, String scaleLabel) {
        this.title = title;
        this.rowLabel = rowLabel;
        this.columnLabel = columnLabel;
        this.values = values;
        this.path = path;
        this.lower = lower;
        this.upper = upper > lower ? upper : lower + 1;
        this.scaleLabel = scaleLabel;
    }

    /**
     * The chart: the cells as an image in the plot's data area, a line for the path, the colour
     * bar on the right. Each box of the image stands for {@code pool x pool} cells, drawn in the
     * colour of the largest of them: a matrix larger than the picture's pixels keeps a path one
     * cell wide at its full value, where boxes smaller than a pixel would blend it away.
     */
    private JFreeChart chart(int pool) {
        int rows = values.length;
        int cols = rows == 0 ? 0 : values[0].length;
        PaintScale scale = new Viridis(lower, upper);
        BufferedImage boxes = boxes(pool, scale);
        NumberAxis x = new NumberAxis(columnLabel);
        x.setRange(-0.5, cols - 0.5);
        x.setAutoRangeIncludesZero(false);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        NumberAxis y = new NumberAxis(rowLabel);
        y.setRange(-0.5, rows - 0.5);
        y.setInverted(true);
        y.setAutoRangeIncludesZero(false);
        y.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        XYPlot plot = new CellPlot(x, y, boxes, pool, rows, cols);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        if (path != null) {
            DefaultXYDataset line = new DefaultXYDataset();
            line.addSeries("Viterbi path", new double[][] {path[1], path[0]});
            XYLineAndShapeRenderer lr = new XYLineAndShapeRenderer(true, false);
            lr.setSeriesPaint(0, new Color(255, 60, 60));
            lr.setSeriesStroke(0, new BasicStroke(1.5f));
            plot.setDataset(0, line);
            plot.setRenderer(0, lr);
        }
        JFreeChart chart = new JFreeChart(title, new Font("SansSerif", Font.BOLD, 14), plot, path != null);
        NumberAxis scaleAxis = new NumberAxis(pool == 1 ? scaleLabel : scaleLabel + ", largest of " + pool + " x " + pool + " cells");
        scaleAxis.setRange(lower, this.upper);
        PaintScaleLegend legend = new PaintScaleLegend(scale, scaleAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(4, 4, 40, 4);
        legend.setStripWidth(14);
        legend.setFrame(BlockBorder.NONE);
        chart.addSubtitle(legend);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /**
     * Renders the chart; {@code dataArea} receives the pixel rectangle of the cells. Where the
     * matrix has more rows or columns than that rectangle has pixels, each box stands for several
     * cells ({@link #poolFor}), drawn in the colour of the largest.
     */
    public BufferedImage render(int width, int height, Rectangle2D dataArea) {
        int rows = values.length;
        int cols = rows == 0 ? 0 : values[0].length;
        // The cells' rectangle, from the same chart drawn with one box (quickly: the layout does not depend on the boxes).
        int pool = poolFor(rows, cols, draw(chart(Math.max(1, Math.max(rows, cols))), width, height));
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        Rectangle2D area = draw(chart(pool), g, width, height);
        g.dispose();
        if (dataArea != null) {
            dataArea.setRect(area);
        }
        return image;
    }

    /** The fewest cells a side of a box may stand for, so that no box is narrower or lower than a pixel. */
    public static int poolFor(int rows, int cols, Rectangle2D area) {
        double perPixel = Math.max(rows / Math.max(1.0, Math.floor(area.getHeight())), cols / Math.max(1.0, Math.floor(area.getWidth())));
        return Math.max(1, (int) Math.ceil(perPixel));
    }

    private static Rectangle2D draw(JFreeChart chart, int width, int height) {
        BufferedImage scratch = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scratch.createGraphics();
        Rectangle2D area = draw(chart, g, width, height);
        g.dispose();
        return area;
    }

    private static Rectangle2D draw(JFreeChart chart, Graphics2D g, int width, int height) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        ChartRenderingInfo info = new ChartRenderingInfo();
        chart.draw(g, new Rectangle2D.Double(0, 0, width, height), info);
        return info.getPlotInfo().getDataArea();
    }

    /** The largest value of the {@code pool x pool} cells from (i0, j0) on, NaN cells left out (NaN where all are). */
    private double largest(int i0, int j0, int pool) {
        double best = Double.NaN;
        for (int i = i0; i < Math.min(values.length, i0 + pool); i++) {
            double[] row = values[i];
            for (int j = j0; j < Math.min(row.length, j0 + pool); j++) {
                double v = row[j];
                if (!Double.isNaN(v) && !(v <= best)) {
                    best = v;
                }
            }
        }
        return best;
    }

    /** One pixel a box of {@code pool x pool} cells, in the colour of its largest value (white where all are NaN). */
    private BufferedImage boxes(int pool, PaintScale scale) {
        int rows = values.length;
        int cols = rows == 0 ? 0 : values[0].length;
        BufferedImage image = new BufferedImage(Math.max(1, (cols + pool - 1) / pool), Math.max(1, (rows + pool - 1) / pool),
                BufferedImage.TYPE_INT_RGB);
        for (int bi = 0; bi * pool < rows; bi++) {
            for (int bj = 0; bj * pool < cols; bj++) {
                image.setRGB(bj, bi, ((Color) scale.getPaint(largest(bi * pool, bj * pool, pool))).getRGB());
            }
        }
        return image;
    }

    /**
     * A plot whose background, inside its data area, is the boxes' image: box (bi, bj) covers
     * the cells from (bi * pool, bj * pool), scaled with nearest-neighbour sampling, so every
     * pixel takes exactly one box's colour (boxes drawn as shapes blend at their edges, and at a
     * pixel or two wide a path one box wide lost half its colour). The axes' ranges are the
     * cells', -0.5 to rows - 0.5 and cols - 0.5, the data area's edges.
     */
    private static final class CellPlot extends XYPlot {
        private static final long serialVersionUID = 1L;
        private final transient BufferedImage boxes;
        private final int pool;
        private final int rows;
        private final int cols;

        CellPlot(NumberAxis x, NumberAxis y, BufferedImage boxes, int pool, int rows, int cols) {
            super(null, x, y, null);
            this.boxes = boxes;
            this.pool = pool;
            this.rows = Math.max(1, rows);
            this.cols = Math.max(1, cols);
        }

        @Override
        public void drawBackground(Graphics2D g2, Rectangle2D area) {
            super.drawBackground(g2, area);
            Shape clip = g2.getClip();
            Object interpolation = g2.getRenderingHint(RenderingHints.KEY_INTERPOLATION);
            g2.clip(area);
            g2.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            // a box is pool cells a side; the area is cols cells wide and rows high (a last box may overhang it)
            AffineTransform place = new AffineTransform(area.getWidth() * pool / cols, 0, 0, area.getHeight() * pool / rows,
                    area.getX(), area.getY());
            g2.drawImage(boxes, place, null);
            g2.setClip(clip);
            if (interpolation != null) {
                g2.setRenderingHint(RenderingHints.KEY_INTERPOLATION, interpolation);
            }
        }
    }

    /** The viridis colour map (matplotlib's default), interpolated from 9 anchors; NaN is white. */
    static final class Viridis implements PaintScale, java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private static final int[][] ANCHORS = {
            {68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
            {39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37}};
        private final double lower;
        private final double upper;

        Viridis(double lower, double upper) {
            this.lower = lower;
            this.upper = upper;
        }

        @Override
        public double getLowerBound() {
            return lower;
        }

        @Override
        public double getUpperBound() {
            return upper;
        }

        @Override
        public java.awt.Paint getPaint(double value) {
            if (Double.isNaN(value)) {
                return Color.WHITE;
            }
            double f = Math.max(0, Math.min(1, (value - lower) / (upper - lower))) * (ANCHORS.length - 1);
            int k = Math.min(ANCHORS.length - 2, (int) f);
            double u = f - k;
            int[] a = ANCHORS[k];
            int[] b = ANCHORS[k + 1];
            return new Color((int) Math.round(a[0] + u * (b[0] - a[0])), (int) Math.round(a[1] + u * (b[1] - a[1])),
                    (int) Math.round(a[2] + u * (b[2] - a[2])));
        }
    }
}
