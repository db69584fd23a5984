package org.bandalign.align;

import java.util.Random;

/**
 * The seed notebook's own example: a 200 x 200 tensor of uniform [0, 1) scores with every score
 * in rows >= 180 and every score in columns >= 180 set to 1e6 (log Z about 2.19e8: the best
 * paths run along row 0 to column 180, then take 219 cells of the 1e6 region, 199 of them
 * down steps). Only that reading of "rows >= 180 and columns >= 180" gives the stated log Z;
 * the 20 x 20 corner block alone would give about 3.9e7.
 */
final class SeedExample {
    private SeedExample() {
    }

    static float[] scores() {
        int n = 200;
        int m = 200;
        Random rnd = new Random(2024);
        float[] s = new float[n * m * 3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                for (int k = 0; k < 3; k++) {
                    s[(i * m + j) * 3 + k] = i >= 180 || j >= 180 ? 1e6f : rnd.nextFloat();
                }
            }
        }
        return s;
    }
}
