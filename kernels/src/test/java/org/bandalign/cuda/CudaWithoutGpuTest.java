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

    @Test
    void devices_withoutDriverOrDevice_sayWhyLikeTheAligner() {
        String why = CudaTestSupport.whyUnavailable();
        Assumptions.assumeTrue(why != null, "a GPU is present; EmulatedDeviceTest lists devices");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, CudaDevices::list);
        assertTrue(e.getMessage().contains("no CUDA"), e.getMessage());
        assertThrows(CudaUnavailableException.class, () -> CudaDevices.ordinalOf("GPU-01"));
    }

    @Test
    void uuidString_isNvidiaSmisForm() {
        byte[] bytes = new byte[16];
        for (int i = 0; i < 16; i++) {
            bytes[i] = (byte) (0xf0 + i);
        }
        assertEquals("GPU-f0f1f2f3-f4f5-f6f7-f8f9-fafbfcfdfeff", CudaDevices.uuidString(bytes));
        bytes[0] = 0x0a;
        assertTrue(CudaDevices.uuidString(bytes).startsWith("GPU-0af1"), CudaDevices.uuidString(bytes));
        assertThrows(IllegalArgumentException.class, () -> CudaDevices.uuidString(new byte[15]));
        assertTrue(CudaDevices.isUuid("GPU-0af1") && CudaDevices.isUuid(" gpu-1"));
        assertTrue(!CudaDevices.isUuid("0") && !CudaDevices.isUuid("MIG-1") && !CudaDevices.isUuid(null));
    }
}
