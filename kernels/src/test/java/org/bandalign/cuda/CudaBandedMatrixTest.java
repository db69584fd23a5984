package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /**
     * Found by a probe: a null operand got the JVM's bare NullPointerException, and negative band
     * widths (which the CPU library takes) were refused without the class saying so; now both
     * are said as the CPU library says them, and a refused call leaves the products usable.
     */
    @Test
    void products_badOperands_areRefusedClearly() {
        BandedMatrix x = BandedProducts.random(new Random(10), 2, 12, 1, 2, 0);
        NullPointerException none = assertThrows(NullPointerException.class, () -> gpu.multiplyLog(x, null));
        assertEquals("multiplyLog: y must not be null", none.getMessage());
        none = assertThrows(NullPointerException.class, () -> gpu.multiplyMax(null, x));
        assertEquals("multiplyMax: x must not be null", none.getMessage());   // (the operands by their parameter names: a review)
        IllegalArgumentException shifted = assertThrows(IllegalArgumentException.class, () -> gpu.multiply(x.bandShift(-2), x));   // lu -1
        assertTrue(shifted.getMessage().startsWith("multiply: x has lu = -1, ld = 4 and y lu = 1, ld = 2; the GPU products need lu, ld >= 0")
                && shifted.getMessage().endsWith("on the CPU, with BandedMatrix's own multiply"), shifted.getMessage());
        BandedProducts.assertClose(x.multiply(x), gpu.multiply(x, x), "after the refusals");
    }

    /**
     * Found by a probe: the products' pinned staging only grew, and was held until close(); one
     * grown past the retained limit (here 1 MiB) is given back after its call.
     */
    @Test
    void products_stagingPastTheRetainedLimit_isGivenBackAfterItsCall() {
        System.setProperty(BandedAlignKernels.RETAINED_STAGING_PROPERTY, String.valueOf(1 << 20));
        try (CudaBandedMatrix products = CudaBandedMatrix.open(0)) {
            Random rnd = new Random(9);
            BandedMatrix small = BandedProducts.random(rnd, 1, 100, 1, 1, 0);
            BandedProducts.assertClose(small.multiply(small), products.multiply(small, small), "small");
            long kept = products.pinnedStagingBytes();
            assertTrue(kept > 0 && kept <= 1 << 20, "kept for the next call: " + kept);
            BandedMatrix large = BandedProducts.random(rnd, 1, 200_000, 1, 1, 0);   // 4.8 MB of operands
            float[] cpu = large.multiply(large).data();
            float[] gpuData = products.multiply(large, large).data();
            assertEquals(cpu.length, gpuData.length);
            for (int q = 0; q < cpu.length; q++) {
                assertEquals(cpu[q], gpuData[q], 1e-5 * Math.max(1, Math.abs(cpu[q])), "large, slot " + q);
            }
            assertEquals(0, products.pinnedStagingBytes(), "given back");
        } finally {
            System.clearProperty(BandedAlignKernels.RETAINED_STAGING_PROPERTY);
        }
    }
}
