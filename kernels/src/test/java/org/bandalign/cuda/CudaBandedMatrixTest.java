package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.bandalign.banded.BandedMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** GPU products equal the CPU library's on random batches; skipped where no GPU is present. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaBandedMatrixTest {
    private CudaBandedMatrix gpu;

    @BeforeAll
    void open() {
        CudaTestSupport.assumeGpu();
        gpu = CudaBandedMatrix.open(0);
    }

    @AfterAll
    void close() {
        if (gpu != null) {
            gpu.close();
        }
    }

    @Test
    void products_randomBatches_equalTheCpuLibrary() {
        Random rnd = new Random(7);
        int covered = 0;
        for (int trial = 0; trial < 60; trial++) {
            int batch = 1 + rnd.nextInt(4);
            int n = 1 + rnd.nextInt(300);
            BandedMatrix x = BandedProducts.random(rnd, batch, n, rnd.nextInt(6), rnd.nextInt(6), 0);
            BandedMatrix y = BandedProducts.random(rnd, batch, n, rnd.nextInt(6), rnd.nextInt(6), 0);
            BandedProducts.assertClose(x.multiply(y), gpu.multiply(x, y), "multiply " + trial);
            BandedProducts.assertClose(x.multiplyLog(y), gpu.multiplyLog(x, y), "multiplyLog " + trial);
            BandedProducts.assertClose(x.multiplyMax(y), gpu.multiplyMax(x, y), "multiplyMax " + trial);
            covered += 3;
        }
        assertEquals(180, covered);
    }

    /**
     * Found by a probe: with +inf or NaN entries the GPU's products differed from the CPU's (the
     * log product took exp(inf - inf) = NaN where the CPU gives +inf; the max product's fmax
     * dropped NaN where Math.max keeps it). Now they agree on every special value.
     */
    @Test
    void products_infinitiesAndNaNs_equalTheCpuLibrary() {
        Random rnd = new Random(8);
        float[] special = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0f, -0f};
        int covered = 0;
        for (int trial = 0; trial < 40; trial++) {
            int n = 1 + rnd.nextInt(12);
            BandedMatrix[] xy = new BandedMatrix[2];
            for (int side = 0; side < 2; side++) {
                int lu = rnd.nextInt(3);
                int ld = rnd.nextInt(3);
                float[] data = new float[n * (lu + ld + 1)];
                for (int q = 0; q < data.length; q++) {
                    data[q] = rnd.nextDouble() < 0.15 ? special[rnd.nextInt(special.length)] : (float) rnd.nextGaussian();
                }
                xy[side] = BandedMatrix.fromData(data, 1, n, lu, ld, trial % 2 == 0 ? 0f : Float.NEGATIVE_INFINITY);
            }
            BandedProducts.assertClose(xy[0].multiply(xy[1]), gpu.multiply(xy[0], xy[1]), "multiply " + trial);
            BandedProducts.assertClose(xy[0].multiplyLog(xy[1]), gpu.multiplyLog(xy[0], xy[1]), "multiplyLog " + trial);
            BandedProducts.assertClose(xy[0].multiplyMax(xy[1]), gpu.multiplyMax(xy[0], xy[1]), "multiplyMax " + trial);
            covered += 3;
        }
        assertEquals(120, covered);
        BandedMatrix inf = BandedMatrix.fromData(new float[] {Float.POSITIVE_INFINITY}, 1, 1, 0, 0, Float.NEGATIVE_INFINITY);
        BandedMatrix nan = BandedMatrix.fromData(new float[] {Float.NaN}, 1, 1, 0, 0, Float.NEGATIVE_INFINITY);
        BandedMatrix zero = BandedMatrix.fromData(new float[] {0f}, 1, 1, 0, 0, Float.NEGATIVE_INFINITY);
        assertEquals(Float.POSITIVE_INFINITY, gpu.multiplyLog(inf, zero).data()[0]);
        assertEquals(Float.NaN, gpu.multiplyMax(nan, zero).data()[0]);
        assertEquals(Float.NaN, nan.multiplyLog(zero).data()[0], "the CPU: a NaN term alone read as -inf");
    }
}
