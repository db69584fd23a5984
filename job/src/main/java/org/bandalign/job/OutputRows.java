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
        int n = integer(r, "n");
        int m = integer(r, "m");
        int lo = integer(r, "diag_lo");
        int hi = integer(r, "diag_hi");
        double[][] mass = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                mass[i][j] = j - i >= lo && j - i <= hi ? 0 : Double.NaN;
            }
        }
        String layout = r.getAs("layout");
        if (Layout.SPARSE.wireName().equals(layout)) {
            List<Row> steps = r.getList(r.fieldIndex("sparse"));
            for (Row s : steps) {
                mass[integer(s, "i")][integer(s, "j")] += ((Number) s.getAs("p")).doubleValue();
            }
            return mass;
        }
        boolean dense = Layout.DENSE.wireName().equals(layout);
        if (!dense && !Layout.BAND.wireName().equals(layout)) {
            throw new IllegalArgumentException("layout '" + layout + "' is none of dense, band, sparse");
        }
        float[] mu = marginals(r);
        int w = hi - lo + 1;
        long expected = 3L * n * (dense ? m : w);
        if (w < 1 || mu.length != expected) {
            throw new IllegalArgumentException("its " + layout + " marginals hold " + mu.length + " floats where " + n + " x "
                    + m + (w >= 1 && !dense ? " in a band " + w + " wide" : "") + " takes " + expected);
        }
        for (int i = 0; i < n; i++) {
            for (int j = Math.max(0, i + lo); j <= Math.min(m - 1, i + hi); j++) {
                int q = dense ? (i * m + j) * 3 : (i * w + (j - i - lo)) * 3;
                mass[i][j] = mu[q] + mu[q + 1] + mu[q + 2];
            }
        }
        return mass;
    }

    /** Column {@code name} of {@code r} as an int: align writes int32, a table rewritten by pyarrow may hold int64. */
    static int integer(Row r, String name) {
        return Math.toIntExact(((Number) r.getAs(name)).longValue());
    }

    /** The marginals column as floats, from array<float> (or array<double>) or packed binary. */
    static float[] marginals(Row r) {
        Object v = r.getAs("marginals");
        if (v instanceof byte[]) {
            return PairDecoder.unpack((byte[]) v);
        }
        List<Object> list = r.getList(r.fieldIndex("marginals"));
        float[] out = new float[list.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = ((Number) list.get(k)).floatValue();   // (float as align writes it; double where a table was rewritten)
        }
        return out;
    }
}
