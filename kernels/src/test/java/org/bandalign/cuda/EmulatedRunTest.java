package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The build's {@code emulated-gpu} run really runs the GPU tests on the CPU stand-in for the
 * driver, or says why not. Its other classes check for a GPU before their first test, so where
 * the stand-in cannot be had they report no tests at all, and the run passes looking like one
 * that ran nothing (a test-suite review found that with g++ taken off the path). Here that
 * shows as one skipped test naming g++; and where g++ is at hand, a stand-in that was built but
 * gives no device fails.
 */
class EmulatedRunTest {
    @Test
    void emulatedGpuRun_runsOnTheStandInDriver_orIsSkippedNamingG() {
        Assumptions.assumeTrue(CudaTestSupport.emulated(), "runs in the emulated-gpu test run only");
        Assumptions.assumeTrue(FakeCudaDriver.build().isPresent(),
                "g++ is not installed, so every test of the emulated GPU run was skipped: install g++ to run them");
        assertNull(CudaTestSupport.whyUnavailable(), "the stand-in driver was built, but no device loads through it");
    }
}
