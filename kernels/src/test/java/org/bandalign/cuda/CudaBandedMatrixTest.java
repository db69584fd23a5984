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
}
