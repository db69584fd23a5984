package org.bandalign.cuda;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Assumptions;

/** Skips (not fails) GPU tests where no CUDA driver or device loads, so CI without a GPU stays green. */
final class CudaTestSupport {
    private static String unavailable;
    private static boolean probed;

    private CudaTestSupport() {
    }

    /**
     * System property: true runs the GPU tests on {@code fake_libcuda.cpp}, a CPU stand-in for
     * the NVIDIA driver that runs the real kernels (the build's {@code emulated-gpu} test run).
     * It is loaded before JCuda, so this JVM never sees a real driver.
     */
    static final String FAKE_DRIVER_PROPERTY = "bandalign.test.fakeDriver";

    static synchronized String whyUnavailable() {
        if (!probed) {
            probed = true;
            if (Boolean.getBoolean(FAKE_DRIVER_PROPERTY)) {
                loadFakeDriver();
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
        return Boolean.getBoolean(FAKE_DRIVER_PROPERTY);
    }

    private static void loadFakeDriver() {
        try {
            // JCuda's library needs libcuda.so.1; the dynamic linker takes the one already loaded.
            System.load(KernelEmulator.buildFakeDriver().toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void assumeGpu() {
        String why = whyUnavailable();
        Assumptions.assumeTrue(why == null, () -> "no GPU here, skipped: " + why);
    }
}
