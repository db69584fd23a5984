package org.bandalign.cuda;

import static org.bandalign.cuda.CudaTestSupport.freeDeviceMemory;
import static org.bandalign.cuda.CudaTestSupport.primaryContextActive;
import static org.bandalign.cuda.CudaTestSupport.randomPair;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import jcuda.driver.CUresult;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.bandalign.banded.BandedMatrix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Driver calls that fail where a GPU run rarely makes them fail, on the stand-in for the driver
 * ({@link FakeCudaDriver#failCall}): what the backend says and what it gives back. Found by a
 * review of the CUDA host side's error paths. Skipped outside the emulated-gpu run.
 */
class EmulatedDriverFailureTest {
    private static final AlignOptions LOG = AlignOptions.builder().semiring(Semiring.LOG).build();

    @BeforeEach
    void onlyOnTheEmulation() {
        CudaTestSupport.assumeEmulatedGpu();
    }

    @AfterEach
    void stopFailing() {
        if (CudaTestSupport.emulated()) {
            for (FakeCudaDriver.Call call : FakeCudaDriver.Call.values()) {
                FakeCudaDriver.stopFailing(call);
            }
        }
    }

    /**
     * A stream or event the driver does not make while an aligner opens: JCuda leaves garbage in
     * the handle of a failed create, which the clean-up used to hand the driver to destroy (the
     * stand-in stopped the JVM, or hung it). Now: the driver's reason, nothing destroyed that was
     * never made, the primary context and device memory given back, and a later open works.
     */
    @Test
    void open_streamOrEventNotMade_saysWhyAndGivesEverythingBack() {
        long free = freeDeviceMemory();
        boolean active = primaryContextActive();
        for (FakeCudaDriver.Call call : List.of(FakeCudaDriver.Call.STREAM_CREATE, FakeCudaDriver.Call.EVENT_CREATE)) {
            for (int nth = 1; nth <= (call == FakeCudaDriver.Call.EVENT_CREATE ? 3 : 1); nth++) {
                FakeCudaDriver.failCall(call, nth, CUresult.CUDA_ERROR_OUT_OF_MEMORY, false);
                CudaUnavailableException full = assertThrows(CudaUnavailableException.class, () -> CudaAligner.open(0, 0));
                assertTrue(full.getMessage().contains(call == FakeCudaDriver.Call.STREAM_CREATE ? "cuStreamCreate" : "cuEventCreate")
                        && full.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY"), full.getMessage());
                // Any failure on the way is a device that cannot be used, with the driver's error as its cause
                // (found by a library user's review: CUDA_ERROR_UNKNOWN escaped Aligner.auto() as a package-private type).
                FakeCudaDriver.failCall(call, nth, CUresult.CUDA_ERROR_UNKNOWN, false);
                CudaUnavailableException other = assertThrows(CudaUnavailableException.class, () -> CudaAligner.open(0, 0));
                assertTrue(other.getMessage().contains("CUDA_ERROR_UNKNOWN") && other.getCause() instanceof CudaException
                        && ((CudaException) other.getCause()).driverResult() == CUresult.CUDA_ERROR_UNKNOWN, other.getMessage());
                FakeCudaDriver.failCall(call, nth, CUresult.CUDA_ERROR_UNKNOWN, false);
                try (org.bandalign.align.Aligner auto = org.bandalign.align.Aligner.auto()) {
                    assertEquals("cpu", auto.backend(), call + " " + nth);
                }
                assertEquals(active, primaryContextActive(), call + " " + nth + ": the primary context released");
                assertEquals(free, freeDeviceMemory(), call + " " + nth + ": device memory given back");
            }
        }
        FakeCudaDriver.failCall(FakeCudaDriver.Call.STREAM_CREATE, 1, CUresult.CUDA_ERROR_OUT_OF_MEMORY, false);
        assertThrows(CudaUnavailableException.class, () -> CudaBandedMatrix.open(0));
        assertEquals(active, primaryContextActive(), "CudaBandedMatrix: the primary context released");
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            assertTrue(cuda.alignAll(List.of(randomPair(new Random(1), "after", 20, 30)), LOG).get(0).isValid());
        }
    }

    /**
     * Pinned host memory refused (a container's locked-memory limit): each pair's result says so,
     * not that the device lacks memory (it said "needs N bytes of device memory" of an empty
     * device); the pairs remain ones the CPU may take, and the aligner stays usable.
     */
    @Test
    void alignAll_pinnedMemoryRefused_saysPinnedHostMemory() {
        Random rnd = new Random(2);
        List<Pair> pairs = List.of(randomPair(rnd, "p0", 40, 50), randomPair(rnd, "p1", 60, 45), randomPair(rnd, "p2", 33, 33));
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            FakeCudaDriver.failCall(FakeCudaDriver.Call.HOST_ALLOC, 1, CUresult.CUDA_ERROR_OUT_OF_MEMORY, true);
            List<AlignmentResult> refused = cuda.alignAll(pairs, LOG);
            for (int k = 0; k < pairs.size(); k++) {
                AlignmentResult r = refused.get(k);
                assertFalse(r.isValid());
                String message = r.error().getMessage();
                assertTrue(message.contains("p" + k) && message.contains("pinned host memory") && message.contains("cuMemHostAlloc")
                        && !message.contains("bytes of device memory"), message);
                assertTrue(r.error().isDeviceLimit(), "a valid pair the GPU path cannot take: the job aligns it on the CPU");
            }
            FakeCudaDriver.stopFailing(FakeCudaDriver.Call.HOST_ALLOC);
            assertFalse(cuda.isBroken());
            assertTrue(cuda.alignAll(pairs, LOG).stream().allMatch(AlignmentResult::isValid));
        }
    }

    /**
     * Pinned memory refused while a launch context grows its staging: the idle contexts' pinned
     * staging is given back before it tries again (it gave back their device arenas, which
     * cannot help), and the pair runs.
     */
    @Test
    void alignAll_pinnedMemoryRefusedOnce_idleContextsGiveTheirStagingBack() {
        Random rnd = new Random(6);
        List<Pair> small = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            small.add(randomPair(rnd, "s" + k, 30, 30));
        }
        long one = new PreparedPair(0, small.get(0), BandGeometry.of(small.get(0), LOG)).deviceBytes(LOG);
        try (CudaAligner cuda = CudaAligner.open(0, 2 * one)) {   // several launches, two in flight: two contexts
            assertTrue(cuda.alignAll(small, LOG).stream().allMatch(AlignmentResult::isValid));
            long twoStagings = cuda.pinnedStagingBytes();
            assertEquals(2 << 20, twoStagings, "two contexts, each with the least staging (1 MiB)");
            Pair large = randomPair(rnd, "large", 330, 330);   // 1.3 MB of scores: its context grows its staging
            FakeCudaDriver.failCall(FakeCudaDriver.Call.HOST_ALLOC, 1, CUresult.CUDA_ERROR_OUT_OF_MEMORY, false);
            AlignmentResult r = cuda.alignAll(List.of(large), LOG).get(0);
            assertTrue(r.isValid(), () -> r.error().getMessage());
            long needs = new PreparedPair(0, large, BandGeometry.of(large, LOG)).hostBytes(LOG);
            long held = cuda.pinnedStagingBytes();
            // (one context's staging, about what the pair needs; with the idle one's 1 MiB it was more)
            assertTrue(held > 1 << 20 && held < needs + (1 << 19), "only the grown staging is held (the idle context's 1 MiB "
                    + "was given back): " + held + " bytes for a pair needing about " + needs);
        }
    }

    /**
     * No memory left on the device for one more launch context (stream and events) while another
     * launch holds the only one: the launch waits for it. It used to split its pairs down to
     * single ones and report each "too large for the GPU".
     */
    @Test
    void alignAll_noRoomForAnotherLaunchContext_waitsForTheOneInUse() {
        Random rnd = new Random(3);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 16; k++) {
            pairs.add(randomPair(rnd, "w" + k, 30 + k, 40));
        }
        long one = new PreparedPair(0, pairs.get(15), BandGeometry.of(pairs.get(15), LOG)).deviceBytes(LOG);
        List<AlignmentResult> expected;
        try (Aligner cpu = Aligner.cpu(1)) {
            expected = cpu.alignAll(pairs, LOG);
        }
        try (CudaAligner cuda = CudaAligner.open(0, 3 * one)) {   // several launches, two in flight at once
            FakeCudaDriver.failCall(FakeCudaDriver.Call.STREAM_CREATE, 1, CUresult.CUDA_ERROR_OUT_OF_MEMORY, true);
            List<AlignmentResult> got = cuda.alignAll(pairs, LOG);
            for (int k = 0; k < pairs.size(); k++) {
                AlignmentResult r = got.get(k);
                assertTrue(r.isValid(), () -> r.error().getMessage());
                assertEquals(expected.get(k).logPartition(), r.logPartition(), 1e-6 * Math.abs(r.logPartition()));
            }
            assertEquals(0, cuda.outOfMemorySplits());
        }
    }

    /**
     * A launch that fails names the device and its pairs (first few ids, and how many), and the
     * aligner's later refusals repeat that first failure.
     */
    @Test
    void alignAll_launchFails_messageNamesTheDeviceAndThePairs() {
        Random rnd = new Random(4);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 5; k++) {
            pairs.add(randomPair(rnd, "id-" + k, 20, 20));
        }
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            FakeCudaDriver.failCall(FakeCudaDriver.Call.COPY_IN, 1, 700, false);   // CUDA_ERROR_ILLEGAL_ADDRESS, sticky
            CudaException thrown = assertThrows(CudaException.class, () -> cuda.alignAll(pairs, LOG));
            String message = thrown.getMessage();
            assertTrue(message.contains("cuMemcpyHtoDAsync") && message.contains("CUDA_ERROR_ILLEGAL_ADDRESS")
                    && message.contains("cuda:0") && message.contains("a launch of 5 pairs: id-") && message.contains("and 2 more"), message);
            assertEquals(message, cuda.brokenBy());
            IllegalStateException later = assertThrows(IllegalStateException.class, () -> cuda.alignAll(pairs, LOG));
            assertTrue(later.getMessage().endsWith("unusable after: " + message), later.getMessage());
            // Closed then (as the job closes it while other tasks may still hold it): calls still give the fault.
            cuda.close();
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> cuda.alignAll(pairs, LOG));
            assertEquals("CUDA aligner for cuda:0 is closed (unusable after: " + message + ")", closed.getMessage());
        }
    }

    /**
     * A launch the driver refuses (more resources than a block may have: nothing ran, and the
     * context stays usable) fails that call alone; the aligner takes the next call and its results
     * are right. A few such refusals are forgiven; one more leaves the aligner unusable, as a
     * fault does, and names the refusal. Found by a review: one odd group used to take the
     * device from every later one.
     */
    @Test
    void alignAll_launchRefused_failsThatCallAlone_untilRefusedOnceTooOften() {
        Random rnd = new Random(7);
        List<Pair> pairs = List.of(randomPair(rnd, "r0", 25, 31), randomPair(rnd, "r1", 40, 22));
        List<AlignmentResult> expected;
        try (Aligner cpu = Aligner.cpu()) {
            expected = cpu.alignAll(pairs, LOG);
        }
        try (CudaAligner cuda = CudaAligner.open(0, 0)) {
            FakeCudaDriver.failCall(FakeCudaDriver.Call.LAUNCH, 1, CUresult.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, false);
            CudaException refused = assertThrows(CudaException.class, () -> cuda.alignAll(pairs, LOG));
            assertTrue(refused.getMessage().contains("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES") && refused.getMessage().contains("r0"),
                    refused.getMessage());
            assertFalse(cuda.isBroken(), "a refused launch leaves the device usable");
            assertEquals(1, cuda.refusedLaunches());
            List<AlignmentResult> after = cuda.alignAll(pairs, LOG);
            for (int k = 0; k < pairs.size(); k++) {
                assertTrue(after.get(k).isValid(), pairs.get(k).id());
                assertEquals(expected.get(k).logPartition(), after.get(k).logPartition(), 1e-9, pairs.get(k).id());
            }

            FakeCudaDriver.failCall(FakeCudaDriver.Call.LAUNCH, 1, CUresult.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, true);
            for (int k = 2; k <= CudaAligner.REFUSALS_FORGIVEN; k++) {
                assertThrows(CudaException.class, () -> cuda.alignAll(pairs, LOG));
                assertFalse(cuda.isBroken(), "refusal " + k + " is forgiven");
            }
            CudaException last = assertThrows(CudaException.class, () -> cuda.alignAll(pairs, LOG));
            assertTrue(cuda.isBroken(), "refused once too often");
            assertEquals(last.getMessage() + " (the driver refused a launch in 4 calls; 3 are forgiven)", cuda.brokenBy());
            FakeCudaDriver.stopFailing(FakeCudaDriver.Call.LAUNCH);
            IllegalStateException later = assertThrows(IllegalStateException.class, () -> cuda.alignAll(pairs, LOG));
            assertTrue(later.getMessage().endsWith("unusable after: " + cuda.brokenBy()), later.getMessage());
        }
    }

    /**
     * A call of many launches whose launches are all refused counts once, and makes no launch
     * after the first failure. Found by a review: the launcher threads went on through the
     * queue until the caller's wait reached the refused launch, each refusal counted, and one
     * call could use up every forgiven refusal (and launch on after its caller had given up).
     */
    @Test
    void alignAll_manyLaunchesRefused_countOnceAndStop() {
        Random rnd = new Random(8);
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 40; k++) {
            pairs.add(randomPair(rnd, "m" + k, 25 + k, 31));
        }
        try (CudaAligner cuda = CudaAligner.open(0, 120_000)) {   // (a small budget: many launches a call)
            long launchesBefore = launches(cuda);
            assertTrue(cuda.alignAll(pairs, LOG).stream().allMatch(AlignmentResult::isValid));
            long perCall = launches(cuda) - launchesBefore;
            assertTrue(perCall >= 10, "a call of many launches: " + perCall);
            // Every launch refused from the second on: while the caller waits for the first, the launches the other
            // launcher thread tries are those begun before the refusal, not the rest of the queue.
            FakeCudaDriver.failCall(FakeCudaDriver.Call.LAUNCH, 2, CUresult.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, true);
            for (int call = 1; call <= CudaAligner.REFUSALS_FORGIVEN; call++) {
                long before = FakeCudaDriver.launchAttempts();
                CudaException refused = assertThrows(CudaException.class, () -> cuda.alignAll(pairs, LOG));
                long tried = FakeCudaDriver.launchAttempts() - before;
                assertTrue(CudaAligner.isRefusedLaunch(refused), refused.getMessage());
                assertEquals(call, cuda.refusedLaunches(), "one count a call");
                assertFalse(cuda.isBroken(), "call " + call);
                assertTrue(tried <= 2 * CudaAligner.LAUNCHES_IN_FLIGHT, "kernel launches tried in call " + call + ", with refusals: "
                        + tried + "; a call without refusals launches " + perCall + " times");
            }
            assertThrows(CudaException.class, () -> cuda.alignAll(pairs, LOG));
            assertTrue(cuda.isBroken(), "the fourth call with a refusal");
        }
    }

    /** Launches an aligner completed so far, of any kernels. */
    private static long launches(CudaAligner cuda) {
        return cuda.launchesByKernels().values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * After a kernel fault, a {@link CudaBandedMatrix} says it is unusable and why, as the aligner
     * does: its next call blamed a memory allocation.
     */
    @Test
    void products_kernelFault_laterCallsSayWhy() {
        BandedMatrix x = BandedProducts.random(new Random(5), 3, 20, 2, 1, 0);
        try (CudaBandedMatrix gpu = CudaBandedMatrix.open(0)) {
            gpu.multiplyLog(x, x);
            FakeCudaDriver.failLaunch(1);
            CudaException fault = assertThrows(CudaException.class, () -> gpu.multiplyLog(x, x));
            assertTrue(fault.getMessage().contains("CUDA_ERROR_LAUNCH_FAILED"), fault.getMessage());
            IllegalStateException later = assertThrows(IllegalStateException.class, () -> gpu.multiplyMax(x, x));
            assertTrue(later.getMessage().contains("unusable after: " + fault.getMessage()), later.getMessage());
        }
    }
}
