package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.bandalign.banded.BandedMatrix;

/** Random banded operands and the comparison the GPU product tests share. */
final class BandedProducts {
    private BandedProducts() {
    }

    /** Gaussian entries, a fraction {@code minusInf} of them -inf; fill 0. */
    static BandedMatrix random(Random rnd, int batch, int n, int lu, int ld, double minusInf) {
        float[] data = new float[batch * n * (lu + ld + 1)];
        for (int q = 0; q < data.length; q++) {
            data[q] = rnd.nextDouble() < minusInf ? Float.NEGATIVE_INFINITY : (float) rnd.nextGaussian();
        }
        return BandedMatrix.fromData(data, batch, n, lu, ld, 0f);
    }

    /** Same band, and the same dense matrix within 1e-5 relative (NaN equals NaN). */
    static void assertClose(BandedMatrix cpu, BandedMatrix gpu, String what) {
        assertEquals(cpu.lu(), gpu.lu(), what);
        assertEquals(cpu.ld(), gpu.ld(), what);
        float[] a = cpu.toDense();
        float[] b = gpu.toDense();
        for (int q = 0; q < a.length; q++) {
            if (a[q] != b[q] && !(Float.isNaN(a[q]) && Float.isNaN(b[q]))) {
                assertEquals(a[q], b[q], 1e-5 * Math.max(1, Math.abs(a[q])), what + " at " + q);
            }
        }
    }
}
