package org.bandalign.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bandalign.align.BandGeometry;

/**
 * The sample input in {@code data/sample} ({@code bin/bandalign generate --sample}): every kind
 * of row the job meets, small enough to ship (a few MB).
 * <ul>
 *   <li>{@code seed-example}: the seed notebook's 200 x 200 example;</li>
 *   <li>real protein pairs (hemoglobins, myoglobins, ubiquitins) scored with BLOSUM62 and a
 *       linear gap penalty ({@link ProteinScores}), one of them in band layout;</li>
 *   <li>random pairs of many shapes: 1 x 1, 1 x k, k x 1, n != m, some in band layout;</li>
 *   <li>two bad rows (a NaN score, a scores array of the wrong length) that end in rejected/.</li>
 * </ul>
 */
final class SampleData {
    private SampleData() {
    }

    static List<GeneratedRow> rows(long seed) {
        List<GeneratedRow> rows = new ArrayList<>();
        rows.add(PairGenerator.seedExample(seed));
        Map<String, String> p = ProteinScores.proteins();
        rows.add(protein(p, "HBA_HUMAN", "HBB_HUMAN", null));
        rows.add(protein(p, "MYG_PHYMC", "MYG_HUMAN", null));
        rows.add(protein(p, "UBC_HUMAN", "UBI4P_YEAST", null));
        rows.add(protein(p, "HBA_HUMAN", "MYG_HUMAN", null));
        rows.add(protein(p, "HBB_HUMAN", "MYG_PHYMC", null));
        rows.add(protein(p, "HBA_HUMAN", "HBB_HUMAN", 12));
        int[][] shapes = {{1, 1}, {1, 7}, {9, 1}, {2, 3}, {5, 5}, {17, 40}, {64, 31}, {100, 100}, {150, 97}, {3, 120}};
        for (int k = 0; k < shapes.length; k++) {
            int n = shapes[k][0];
            int m = shapes[k][1];
            rows.add(PairGenerator.shaped(seed, k, "shape-" + n + "x" + m, n, m));
        }
        for (int b = 0; b < 24; b++) {
            rows.add(PairGenerator.random(seed, 1000 + b, 20, 160, b % 4 == 0 ? 1.0 : 0.0, 6));
        }
        GeneratedRow nan = PairGenerator.shaped(seed, 2000, "bad-nan-example", 12, 12);
        nan.getScores()[7] = Float.NaN;
        nan.setSource("bad row: a NaN score");
        rows.add(nan);
        GeneratedRow shortRow = PairGenerator.shaped(seed, 2001, "bad-length-example", 12, 12);
        shortRow.setM(13);
        shortRow.setSource("bad row: m does not match the scores' length");
        rows.add(shortRow);
        return rows;
    }

    private static GeneratedRow protein(Map<String, String> p, String a, String b, Integer band) {
        String x = p.get(a);
        String y = p.get(b);
        float[] dense = ProteinScores.scores(x, y);
        GeneratedRow r = new GeneratedRow();
        r.setN(x.length());
        r.setM(y.length());
        r.setSource("UniProt " + a + " vs " + b + ", BLOSUM62 / linear gap " + ProteinScores.GAP + " (half-bits), in nats");
        if (band == null) {
            r.setId(a + "-vs-" + b);
            r.setScores(dense);
            return r;
        }
        int n = x.length();
        int m = y.length();
        int lo = Math.min(0, m - n) - band;
        int hi = Math.max(0, m - n) + band;
        float[] s = BandGeometry.of(n, m, lo, hi).denseToBand(dense);
        r.setId(a + "-vs-" + b + "-band" + band);
        r.setScores(s);
        r.setDiagLo(lo);
        r.setDiagHi(hi);
        return r;
    }
}
