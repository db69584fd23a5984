package org.bandalign.job.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYDataset;
import org.jfree.data.xy.DefaultXYZDataset;

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

    /** The chart: a block renderer for the cells, a line for the path, the colour bar on the right. */
    public JFreeChart chart() {
        int rows = values.length;
        int cols = rows == 0 ? 0 : values[0].length;
        DefaultXYZDataset cells = new DefaultXYZDataset();
        double[] xs = new double[rows * cols];
        double[] ys = new double[rows * cols];
        double[] zs = new double[rows * cols];
        int q = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                xs[q] = j;
                ys[q] = i;
                zs[q] = values[i][j];
                q++;
            }
        }
        cells.addSeries("cells", new double[][] {xs, ys, zs});
        NumberAxis x = new NumberAxis(columnLabel);
        x.setRange(-0.5, cols - 0.5);
        x.setAutoRangeIncludesZero(false);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        NumberAxis y = new NumberAxis(rowLabel);
        y.setRange(-0.5, rows - 0.5);
        y.setInverted(true);
        y.setAutoRangeIncludesZero(false);
        y.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        XYBlockRenderer blocks = new XYBlockRenderer();
        PaintScale scale = new Viridis(lower, upper);
        blocks.setPaintScale(scale);
        blocks.setSeriesVisibleInLegend(0, false);
        XYPlot plot = new XYPlot(cells, x, y, blocks);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        if (path != null) {
            DefaultXYDataset line = new DefaultXYDataset();
            line.addSeries("Viterbi path", new double[][] {path[1], path[0]});
            XYLineAndShapeRenderer lr = new XYLineAndShapeRenderer(true, false);
            lr.setSeriesPaint(0, new Color(255, 60, 60));
            lr.setSeriesStroke(0, new BasicStroke(1.5f));
            plot.setDataset(1, line);
            plot.setRenderer(1, lr);
            plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);   // the path on top of the cells
        }
        JFreeChart chart = new JFreeChart(title, new Font("SansSerif", Font.BOLD, 14), plot, path != null);
        NumberAxis scaleAxis = new NumberAxis(scaleLabel);
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

    /** Renders the chart; {@code dataArea} receives the pixel rectangle of the cells. */
    public BufferedImage render(int width, int height, Rectangle2D dataArea) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        ChartRenderingInfo info = new ChartRenderingInfo();
        chart().draw(g, new Rectangle2D.Double(0, 0, width, height), info);
        g.dispose();
        if (dataArea != null) {
            dataArea.setRect(info.getPlotInfo().getDataArea());
        }
        return image;
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
