package org.bandalign.cuda;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** Skips (not fails) GPU tests where no CUDA driver or device loads, so CI without a GPU stays green. */
final class CudaTestSupport {
    static final String REQUIRE_GPU_PROPERTY = "bandalign.test.requireGpu";
    private static String unavailable;
    private static boolean probed;

    private CudaTestSupport() {
    }

    static synchronized String whyUnavailable() {
        if (!probed) {
            probed = true;
            if (FakeCudaDriver.requested() && !FakeCudaDriver.load()) {
                unavailable = "the stand-in driver (FakeCudaDriver) cannot be built here: no g++";
                return unavailable;
            }
            try {
                CudaDevice.deviceCount();
            } catch (CudaUnavailableException e) {
                unavailable = e.getMessage();
            }
        }
        return unavailable;
    }

    /** Whether the GPU tests run on the CPU stand-in driver in this JVM. */
    static boolean emulated() {
        return FakeCudaDriver.requested();
    }

    /**
     * Skips the test where no GPU loads, or, under {@value #REQUIRE_GPU_PROPERTY}=true (the GPU
     * machine's run, where a missing driver must not pass as a run of skipped tests), fails it.
     */
    static void assumeGpu() {
        String why = whyUnavailable();
        if (why != null && Boolean.getBoolean(REQUIRE_GPU_PROPERTY)) {
            Assertions.fail("a GPU is required here (" + REQUIRE_GPU_PROPERTY + "), but none loads: " + why);
        }
        Assumptions.assumeTrue(why == null, () -> "no GPU here, skipped: " + why);
    }
}
