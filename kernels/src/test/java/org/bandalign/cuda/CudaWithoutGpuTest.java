package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bandalign.align.Aligner;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** What a user sees where CUDA is missing, and a bad ordinal where it is present. */
class CudaWithoutGpuTest {
    @Test
    void cuda_withoutDriverOrDevice_failsWithAClearMessage() {
        String why = CudaTestSupport.whyUnavailable();
        Assumptions.assumeTrue(why != null, "a GPU is present; covered by cuda_badOrdinal_namesTheValidRange");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> Aligner.cuda(0));
        assertTrue(e.getMessage().contains("no CUDA"), e.getMessage());
        assertTrue(e.getMessage().contains("libcuda.so.1") || e.getMessage().contains("device"), e.getMessage());
        // asking twice gives the same answer, not a NoClassDefFoundError from a half-loaded class
        assertThrows(CudaUnavailableException.class, () -> Aligner.cuda(0));
    }

    @Test
    void auto_withoutGpu_isTheCpuEngine() {
        try (Aligner a = Aligner.auto()) {
            if (CudaTestSupport.whyUnavailable() != null) {
                assertEquals("cpu", a.backend());
            } else {
                assertEquals("cuda:0", a.backend());
            }
        }
    }

    @Test
    void cuda_badOrdinal_namesTheValidRange() {
        CudaTestSupport.assumeGpu();
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> Aligner.cuda(999));
        assertTrue(e.getMessage().contains("no CUDA device 999"), e.getMessage());
    }
}
