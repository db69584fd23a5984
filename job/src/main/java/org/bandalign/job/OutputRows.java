package org.bandalign.job;

import java.util.List;
import org.apache.spark.sql.Row;

/** Reads marginals back from a {@code marginals/} row, whatever its layout and packing. */
final class OutputRows {
    private OutputRows() {
    }

    /**
     * The probability mass of each cell (the sum of its three steps), {@code [n][m]}; cells outside
     * the band are NaN, so that a picture can leave them blank.
     */
    static double[][] cellMass(Row r) {
        int n = r.getAs("n");
        int m = r.getAs("m");
        int lo = r.getAs("diag_lo");
        int hi = r.getAs("diag_hi");
        double[][] mass = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                mass[i][j] = j - i >= lo && j - i <= hi ? 0 : Double.NaN;
            }
        }
        String layout = r.getAs("layout");
        if ("sparse".equals(layout)) {
            List<Row> steps = r.getList(r.fieldIndex("sparse"));
            for (Row s : steps) {
                mass[s.<Integer>getAs("i")][s.<Integer>getAs("j")] += s.<Float>getAs("p");
            }
            return mass;
        }
        if (!"dense".equals(layout) && !"band".equals(layout)) {
            throw new IllegalArgumentException("layout '" + layout + "' is none of dense, band, sparse");
        }
        float[] mu = marginals(r);
        int w = hi - lo + 1;
        long expected = 3L * n * ("dense".equals(layout) ? m : w);
        if (w < 1 || mu.length != expected) {
            throw new IllegalArgumentException("its " + layout + " marginals hold " + mu.length + " floats where " + n + " x "
                    + m + (w >= 1 && "band".equals(layout) ? " in a band " + w + " wide" : "") + " takes " + expected);
        }
        for (int i = 0; i < n; i++) {
            for (int j = Math.max(0, i + lo); j <= Math.min(m - 1, i + hi); j++) {
                int q = "dense".equals(layout) ? (i * m + j) * 3 : (i * w + (j - i - lo)) * 3;
                mass[i][j] = mu[q] + mu[q + 1] + mu[q + 2];
            }
        }
        return mass;
    }

    /** The marginals column as floats, from array<float> or packed binary. */
    static float[] marginals(Row r) {
        Object v = r.getAs("marginals");
        if (v instanceof byte[]) {
            return PairDecoder.unpack((byte[]) v);
        }
        List<Object> list = r.getList(r.fieldIndex("marginals"));
        float[] out = new float[list.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = (Float) list.get(k);
        }
        return out;
    }
}
