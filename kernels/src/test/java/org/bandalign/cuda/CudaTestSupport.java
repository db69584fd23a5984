package org.bandalign.cuda;

import org.junit.jupiter.api.Assumptions;

/** Skips (not fails) GPU tests where no CUDA driver or device loads, so CI without a GPU stays green. */
final class CudaTestSupport {
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

    static void assumeGpu() {
        String why = whyUnavailable();
        Assumptions.assumeTrue(why == null, () -> "no GPU here, skipped: " + why);
    }
}
