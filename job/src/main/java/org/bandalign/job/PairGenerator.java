package org.bandalign.job;

import java.util.SplittableRandom;

/**
 * Deterministic synthetic pairs: row {@code k} of seed {@code s} is always the same, whichever
 * task makes it, so inputs of any size can be generated in parallel and regenerated exactly.
 */
final class PairGenerator {
    private PairGenerator() {
    }

    /**
     * Row {@code k}: uniform [-1, 1) scores, n and m uniform in [minLen, maxLen], in band layout
     * of half-width {@code bandWidth} with probability {@code bandFraction}.
     */
    static GeneratedRow random(long seed, long k, int minLen, int maxLen, double bandFraction, int bandWidth) {
        SplittableRandom rnd = rng(seed, k);
        int n = minLen + rnd.nextInt(maxLen - minLen + 1);
        int m = minLen + rnd.nextInt(maxLen - minLen + 1);
        boolean band = rnd.nextDouble() < bandFraction;
        return uniform(rnd, "pair-" + k, n, m, band ? bandWidth : -1);
    }

    /** An n x m dense pair with uniform [-1, 1) scores, drawn from stream {@code k} of the seed. */
    static GeneratedRow shaped(long seed, long k, String id, int n, int m) {
        return uniform(rng(seed, k), id, n, m, -1);
    }

    private static SplittableRandom rng(long seed, long k) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + k);
    }

    /** Uniform scores, dense ({@code bandWidth < 0}) or in band layout of that half-width (padding 0). */
    private static GeneratedRow uniform(SplittableRandom rnd, String id, int n, int m, int bandWidth) {
        GeneratedRow row = new GeneratedRow();
        row.setId(id);
        row.setN(n);
        row.setM(m);
        row.setSource("random");
        if (bandWidth < 0) {
            float[] s = new float[n * m * 3];
            for (int q = 0; q < s.length; q++) {
                s[q] = (float) (rnd.nextDouble() * 2 - 1);
            }
            row.setScores(s);
            return row;
        }
        int lo = Math.min(0, m - n) - bandWidth;
        int hi = Math.max(0, m - n) + bandWidth;
        int w = hi - lo + 1;
        float[] s = new float[n * w * 3];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < w; c++) {
                int j = i + lo + c;
                for (int q = 0; q < 3; q++) {
                    s[(i * w + c) * 3 + q] = j >= 0 && j < m ? (float) (rnd.nextDouble() * 2 - 1) : 0f;
                }
            }
        }
        row.setScores(s);
        row.setDiagLo(lo);
        row.setDiagHi(hi);
        return row;
    }

    /**
     * The seed notebook's example, id {@code seed-example}: 200 x 200 uniform [0, 1) scores, every
     * score in rows >= 180 and every score in columns >= 180 set to 1e6 (log Z about 2.19e8).
     */
    static GeneratedRow seedExample(long seed) {
        int n = 200;
        int m = 200;
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] s = new float[n * m * 3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                for (int q = 0; q < 3; q++) {
                    s[(i * m + j) * 3 + q] = i >= 180 || j >= 180 ? 1e6f : (float) rnd.nextDouble();
                }
            }
        }
        GeneratedRow row = new GeneratedRow();
        row.setId("seed-example");
        row.setN(n);
        row.setM(m);
        row.setScores(s);
        row.setSource("seed notebook example");
        return row;
    }
}
