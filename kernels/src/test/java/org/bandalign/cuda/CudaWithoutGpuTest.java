package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bandalign.align.Aligner;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

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
        String why = CudaTestSupport.whyUnavailable();   // (first: on the emulated run it loads the stand-in driver)
        try (Aligner a = Aligner.auto()) {
            if (why != null) {
                assertEquals("cpu", a.backend());
            } else {
                assertEquals("cuda:0", a.backend());
            }
        }
    }

    @Test
    void cuda_badOrdinal_namesTheValidRange() {
        CudaTestSupport.assumeGpu();
        int count = CudaDevice.deviceCount();
        for (int ordinal : new int[] {999, count, -1}) {
            CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> Aligner.cuda(ordinal));
            assertTrue(e.getMessage().startsWith("no CUDA device " + ordinal + ": this machine has " + count
                    + " (valid ordinals 0.." + (count - 1) + ";"), e.getMessage());
        }
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
    void assumeGpu_withoutGpu_skipsOrFailsWhereAGpuIsRequired() {
        String why = CudaTestSupport.whyUnavailable();
        Assumptions.assumeTrue(why != null, "a GPU is present");
        String given = System.clearProperty(CudaTestSupport.REQUIRE_GPU_PROPERTY);   // (set where a GPU is required)
        try {
            assertThrows(TestAbortedException.class, CudaTestSupport::assumeGpu);
            System.setProperty(CudaTestSupport.REQUIRE_GPU_PROPERTY, "true");
            AssertionFailedError e = assertThrows(AssertionFailedError.class, CudaTestSupport::assumeGpu);
            assertTrue(e.getMessage().contains(why), e.getMessage());
        } finally {
            if (given == null) {
                System.clearProperty(CudaTestSupport.REQUIRE_GPU_PROPERTY);
            } else {
                System.setProperty(CudaTestSupport.REQUIRE_GPU_PROPERTY, given);
            }
        }
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

    @Test
    void kernelImage_followsTheDriversCudaVersion_unlessOneIsAskedFor() {
        assertEquals("banded_align.fatbin", KernelModule.imageFor("banded_align", 13000, "auto"));
        assertEquals("banded_align.fatbin", KernelModule.imageFor("banded_align", 13020, "auto"));
        assertEquals("banded_align.cuda12.fatbin", KernelModule.imageFor("banded_align", 12090, "auto"));
        assertEquals("banded_align.cuda12.fatbin", KernelModule.imageFor("banded_align", 12000, "auto"));
        assertEquals("banded_matrix.cuda12.fatbin", KernelModule.imageFor("banded_matrix", 13000, "cuda12"));
        assertEquals("banded_matrix.fatbin", KernelModule.imageFor("banded_matrix", 13000, "cuda13"));
        CudaUnavailableException old = assertThrows(CudaUnavailableException.class,
                () -> KernelModule.imageFor("banded_align", 11080, "auto"));
        assertTrue(old.getMessage().startsWith("the NVIDIA driver supports CUDA 11.8 only"), old.getMessage());
        assertThrows(CudaUnavailableException.class, () -> KernelModule.imageFor("banded_align", 11080, "cuda12"));
        CudaUnavailableException forced = assertThrows(CudaUnavailableException.class,
                () -> KernelModule.imageFor("banded_align", 12090, "cuda13"));
        assertTrue(forced.getMessage().contains("supports CUDA 12.9 only (the CUDA 13 build needs R580 or newer)"), forced.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KernelModule.imageFor("banded_align", 13000, "cuda11"));
        // both builds ship
        for (String image : new String[] {"banded_align.fatbin", "banded_align.cuda12.fatbin", "banded_matrix.fatbin",
            "banded_matrix.cuda12.fatbin"}) {
            assertTrue(KernelModule.resource(image).length > 1000, image);
        }
    }
}
