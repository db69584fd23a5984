package org.bandalign.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.junit.jupiter.api.Test;

/**
 * What is particular to the CPU engine beyond the backend contract ({@link
 * CpuAlignerContractTest}): one thread (no pool), the worker pool's failure and interrupt
 * paths, and the reuse of per-thread scratch arrays. (A mutation sweep with PIT found these
 * paths untested.)
 */
class CpuAlignerTest {
    private static Pair zeros(String id, int n, int m) {
        return Pair.dense(id, n, m, new float[n * m * 3]);
    }

    @Test
    void alignAll_oneThread_runsOnTheCallerAndMatchesAlign() {
        CpuAligner one = new CpuAligner(1);
        assertEquals(1, one.threads());
        assertEquals("cpu", one.backend());
        List<Pair> pairs = List.of(zeros("a", 3, 4), zeros("b", 5, 2));
        List<AlignmentResult> rs = one.alignAll(pairs, AlignOptions.defaults());
        for (int k = 0; k < pairs.size(); k++) {
            assertEquals(one.align(pairs.get(k), AlignOptions.defaults()).logPartition(), rs.get(k).logPartition(), 0.0);
        }
        // all-zero scores: Z counts the paths, the Delannoy numbers D(2, 3) = 25 and D(4, 1) = 9
        assertEquals(Math.log(25), rs.get(0).logPartition(), 1e-12);
        assertEquals(Math.log(9), rs.get(1).logPartition(), 1e-12);
        one.close();
    }

    /**
     * SPEC section 6's example never closes its aligner: found by a library user's probe, 100
     * such aligners left 200 idle worker threads for the JVM's life. Now they end once the
     * aligner is unreachable.
     */
    @Test
    void unclosedAligner_unreachable_letsItsWorkerThreadsGo() throws InterruptedException {
        java.util.Set<Thread> before = java.util.Set.copyOf(Thread.getAllStackTraces().keySet());
        List<CpuAligner> unclosed = new ArrayList<>();   // (held until their workers are counted: a GC could end them first)
        for (int k = 0; k < 5; k++) {
            unclosed.add(new CpuAligner(2));
            assertTrue(unclosed.get(k).alignAll(List.of(zeros("a", 30, 30), zeros("b", 30, 30)), AlignOptions.defaults())
                    .get(1).isValid());
        }
        List<Thread> workers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.getName().startsWith("bandalign-cpu-") && !t.getName().endsWith("cleaner"))
                .toList();
        assertEquals(10, workers.size(), "two workers each: " + workers);
        unclosed.clear();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (workers.stream().anyMatch(Thread::isAlive) && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(100);
        }
        assertEquals(List.of(), workers.stream().filter(Thread::isAlive).toList(), "workers of unreachable, unclosed aligners");
    }

    @Test
    void alignAll_workerThrows_theCallerGetsThatException() {
        RuntimeException boom = new RuntimeException("boom");
        List<Pair> base = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            base.add(zeros("p" + k, 5, 5));
        }
        // a list that fails only when the pool's workers read it
        List<Pair> pairs = new org.bandalign.align.testing.IndexedList<>() {
            @Override
            public Pair get(int i) {
                if (Thread.currentThread().getName().startsWith("bandalign-cpu-")) {
                    throw boom;
                }
                return base.get(i);
            }

            @Override
            public int size() {
                return base.size();
            }
        };
        try (CpuAligner cpu = new CpuAligner(4)) {
            assertSame(boom, assertThrows(RuntimeException.class, () -> cpu.alignAll(pairs, AlignOptions.defaults())));
        }
    }

    @Test
    void alignAll_callerInterrupted_throwsAndKeepsTheInterruptFlag() {
        List<Pair> pairs = new ArrayList<>();
        for (int k = 0; k < 16; k++) {
            pairs.add(zeros("p" + k, 300, 300));
        }
        try (CpuAligner cpu = new CpuAligner(2)) {
            Thread.currentThread().interrupt();
            try {
                assertThrows(IllegalStateException.class, () -> cpu.alignAll(pairs, AlignOptions.defaults()));
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt stays set for the caller (and is cleared here)");
            }
        }
    }

    /**
     * Found by a library user's review: {@code align} went on with an interrupted caller's pair
     * (returning normally where CUDA's align throws, as the javadoc says both do), and a
     * 4000 x 4000 pair ran for 1.8 s after its interrupt. Now the anti-diagonal loops look at
     * the interrupt status, so the call throws, the flag stays set, and the aligner is usable.
     */
    @Test
    void align_callerInterrupted_throwsWithinThePairAndKeepsTheInterruptFlag() throws Exception {
        try (CpuAligner cpu = new CpuAligner(1)) {
            Pair small = zeros("small", 50, 60);
            for (Semiring semiring : Semiring.values()) {
                AlignOptions opts = AlignOptions.builder().semiring(semiring).build();
                Thread.currentThread().interrupt();
                try {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> cpu.align(small, opts), semiring.name());
                    assertEquals("interrupted while aligning", e.getMessage());
                } finally {
                    assertTrue(Thread.interrupted(), "the interrupt stays set for the caller (and is cleared here)");
                }
                assertTrue(cpu.align(small, opts).isValid(), "usable afterwards");
            }
            // Interrupted a tenth of the way into a pair: the call throws instead of finishing it.
            Pair large = zeros("large", 1500, 1500);
            long full = Long.MAX_VALUE;
            for (int k = 0; k < 3; k++) {   // (warm: the shortest of three)
                long t0 = System.nanoTime();
                cpu.align(large, AlignOptions.defaults());
                full = Math.min(full, System.nanoTime() - t0);
            }
            java.util.concurrent.atomic.AtomicReference<Object> outcome = new java.util.concurrent.atomic.AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    outcome.set(cpu.align(large, AlignOptions.defaults()));
                } catch (RuntimeException e) {
                    outcome.set(e);
                }
            });
            t.start();
            Thread.sleep(Math.max(1, full / 10_000_000));
            t.interrupt();
            t.join(60_000);
            assertTrue(outcome.get() instanceof IllegalStateException, "interrupted after a tenth of " + full / 1e6 + " ms: " + outcome.get());
        }
    }

    /**
     * Found by an adversarial run: in local mode a score of 1e17 or more made marginals of up to
     * 4 (alpha beyond about 1e13, log Z no longer resolved the end terms exp(alpha - log Z)).
     * Outside SPEC's accuracy range (magnitudes to 1e6), but a marginal is a probability.
     */
    @Test
    void align_localModeAtHugeMagnitudes_marginalsStayProbabilities() {
        java.util.Random rnd = new java.util.Random(5);
        for (float huge : new float[] {1e13f, 1e16f, 1e17f, 1e30f}) {
            float[] s = new float[4 * 4 * 3];
            for (int k = 0; k < s.length; k++) {
                s[k] = (float) rnd.nextGaussian();
            }
            s[(2 * 4 + 2) * 3 + 1] = huge;
            float[] mu = new CpuAligner(1).align(Pair.dense("x", 4, 4, s),
                    AlignOptions.builder().mode(org.bandalign.align.Mode.LOCAL).build()).marginalsDense();
            for (int k = 0; k < mu.length; k++) {
                assertTrue(mu[k] >= 0 && mu[k] <= 1, "score " + huge + ": marginal " + k + " = " + mu[k]);
            }
        }
    }

    /** Found by an adversarial run: the workers went on with every pair of the abandoned call. */
    @Test
    void alignAll_callerInterrupted_workersTakeNoFurtherPairs() throws InterruptedException {
        java.util.concurrent.atomic.AtomicInteger taken = new java.util.concurrent.atomic.AtomicInteger();
        List<Pair> pairs = new org.bandalign.align.testing.IndexedList<>() {
            @Override
            public Pair get(int i) {
                if (Thread.currentThread().getName().startsWith("bandalign-cpu-")) {
                    taken.incrementAndGet();
                }
                return zeros("p" + i, 300, 300);
            }

            @Override
            public int size() {
                return 64;
            }
        };
        try (CpuAligner cpu = new CpuAligner(2)) {
            Thread.currentThread().interrupt();
            assertThrows(IllegalStateException.class, () -> cpu.alignAll(pairs, AlignOptions.defaults()));
            assertTrue(Thread.interrupted());
            Thread.sleep(1000);   // what the workers still take, they take in this time
            assertTrue(taken.get() <= 4, taken.get() + " of 64 pairs taken after the caller gave up");
        }
    }

    /** Found by a review: with one thread (no pool) an interrupted caller aligned every pair. */
    @Test
    void alignAll_oneThreadCallerInterrupted_throwsBeforeAligning() {
        java.util.concurrent.atomic.AtomicInteger taken = new java.util.concurrent.atomic.AtomicInteger();
        List<Pair> pairs = new org.bandalign.align.testing.IndexedList<>() {
            @Override
            public Pair get(int i) {
                taken.incrementAndGet();
                return zeros("p" + i, 50, 50);
            }

            @Override
            public int size() {
                return 64;
            }
        };
        try (CpuAligner one = new CpuAligner(1)) {
            Thread.currentThread().interrupt();
            try {
                assertThrows(IllegalStateException.class, () -> one.alignAll(pairs, AlignOptions.defaults()));
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt stays set");
            }
            // each pair is read once to size it (largest first), then once more to align it
            assertTrue(taken.get() - 64 <= 1, (taken.get() - 64) + " of 64 pairs read to be aligned");
        }
    }

    /** Found by an adversarial run: after close, one pair ran and several gave a RejectedExecutionException. */
    @Test
    void alignAndAlignAll_afterClose_failSayingClosed() {
        CpuAligner cpu = new CpuAligner(2);
        cpu.close();
        cpu.close();   // twice is fine
        for (Runnable call : List.<Runnable>of(() -> cpu.align(zeros("a", 2, 2), AlignOptions.defaults()),
                () -> cpu.alignAll(List.of(zeros("a", 2, 2)), AlignOptions.defaults()),
                () -> cpu.alignAll(List.of(zeros("a", 2, 2), zeros("b", 2, 2), zeros("c", 2, 2)), AlignOptions.defaults()))) {
            assertEquals("this CPU aligner is closed", assertThrows(IllegalStateException.class, call::run).getMessage());
        }
    }

    /**
     * Found by a probe: close() during an alignAll on another thread made that call return its
     * results with gaps (nulls for the pairs never aligned), and made a second call, queued
     * behind the first, wait for ever. Both now end with an IllegalStateException.
     */
    @Test
    void close_whileCallsAreInProgressOrQueued_theyEndSayingSoInsteadOfGapsOrWaiting() throws Exception {
        java.util.concurrent.CountDownLatch workersIn = new java.util.concurrent.CountDownLatch(2);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        List<Pair> base = new ArrayList<>();
        for (int k = 0; k < 40; k++) {
            base.add(zeros("p" + k, 20, 20));
        }
        // a list whose first read by each worker waits (uninterruptibly) until the test releases it
        List<Pair> held = new org.bandalign.align.testing.IndexedList<>() {
            private final ThreadLocal<Boolean> seen = ThreadLocal.withInitial(() -> false);

            @Override
            public Pair get(int i) {
                if (Thread.currentThread().getName().startsWith("bandalign-cpu-") && !seen.get()) {
                    seen.set(true);
                    workersIn.countDown();
                    boolean interrupted = false;
                    while (true) {
                        try {
                            release.await();
                            break;
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
                return base.get(i);
            }

            @Override
            public int size() {
                return base.size();
            }
        };
        CpuAligner cpu = new CpuAligner(2);
        java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.concurrent.Future<List<AlignmentResult>> first = callers.submit(() -> cpu.alignAll(held, AlignOptions.defaults()));
            assertTrue(workersIn.await(30, java.util.concurrent.TimeUnit.SECONDS), "both workers hold the first call");
            java.util.concurrent.Future<List<AlignmentResult>> queued = callers.submit(() -> cpu.alignAll(base, AlignOptions.defaults()));
            Thread.sleep(200);   // its workers wait in the pool's queue behind the first call's
            cpu.close();
            release.countDown();
            for (java.util.concurrent.Future<List<AlignmentResult>> call : List.of(first, queued)) {
                java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> call.get(30, java.util.concurrent.TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
                assertEquals("the CPU aligner was closed while aligning", e.getCause().getMessage());
            }
        } finally {
            release.countDown();
            callers.shutdownNow();
        }
    }

    /** The same on one thread (no pool): a call that sees the aligner closed stops, saying so. */
    @Test
    void close_whileAOneThreadCallAligns_thatCallEndsSayingSo() {
        CpuAligner one = new CpuAligner(1);
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        List<Pair> pairs = new org.bandalign.align.testing.IndexedList<>() {
            @Override
            public Pair get(int i) {
                if (reads.incrementAndGet() == size() + 1) {   // the first pair read to be aligned (after sizing)
                    one.close();
                }
                return zeros("p" + i, 6, 6);
            }

            @Override
            public int size() {
                return 8;
            }
        };
        assertEquals("the CPU aligner was closed while aligning",
                assertThrows(IllegalStateException.class, () -> one.alignAll(pairs, AlignOptions.defaults())).getMessage());
    }

    /**
     * Found by an adversarial run: two large pairs under maxCells that the heap could not hold
     * failed the whole alignAll with an OutOfMemoryError (SPEC section 1: a pair too large for
     * the configured memory is that pair's error). A JVM of 256 MiB holds the scores of two
     * 2500 x 2500 pairs (75 MB each) but not their alignment (225 MB each, or one alone).
     */
    @Test
    void alignAll_pairsTheHeapCannotHold_failAloneAndTheOthersAlign() throws Exception {
        String out = heapProbe("256m", "too-large");
        assertTrue(out.contains("small-a: ok") && out.contains("small-b: ok"), out);
        assertTrue(out.contains("huge-1: pair 'huge-1': too large for this JVM's memory")
                && out.contains("huge-2: pair 'huge-2': too large for this JVM's memory"), out);
        assertTrue(out.contains("alone: pair 'huge-1': too large for this JVM's memory"), out);
        // marked as a limit of the free heap, which the job retries on an executor whose other work is done
        assertEquals(3, out.lines().filter(l -> l.contains("too large for this JVM's memory") && l.endsWith("[heap limit]")).count(), out);
    }

    /**
     * Found by a probe: two pairs of 2000 x 2000 (log and Viterbi) that a heap of 300 MiB holds
     * one at a time. Aligned side by side, one ran the heap out and was tried again alone, but
     * in the other worker's workspace, whose arrays (kept for the next pair, up to a few
     * hundred MiB) still filled the heap; it was reported too large for the JVM's memory. The
     * second try now starts with the idle workspaces let go.
     */
    @Test
    void alignAll_pairThatFitsAlone_isAlignedWhenTriedAgainAfterTheOthers() throws Exception {
        String out = heapProbe("300m", "fits-alone");
        assertEquals(2, out.lines().filter(l -> l.matches("huge-[12]: ok")).count(), out);
    }

    /** Runs {@link HeapProbe} in a JVM of {@code heap} and returns what it printed. */
    private static String heapProbe(String heap, String which) throws Exception {
        java.nio.file.Path log = java.nio.file.Files.createTempFile("heap-probe", ".log");
        try {
            Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx" + heap, "-XX:+UseSerialGC", "-cp", location(HeapProbe.class) + java.io.File.pathSeparator + location(CpuAligner.class),
                    HeapProbe.class.getName(), which).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the probe ends");
            String out = java.nio.file.Files.readString(log);
            assertEquals(0, p.exitValue(), out);
            return out;
        } finally {
            java.nio.file.Files.deleteIfExists(log);
        }
    }

    private static String location(Class<?> c) throws Exception {
        return java.nio.file.Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /**
     * The child JVM of the tests above: prints each result as "id: ok" or "id: error".
     * {@code too-large}: two pairs of 2500 x 2500 between two small ones, global log, then the
     * first huge pair alone ("alone: ..."); {@code fits-alone}: one pair of 2000 x 2000 twice,
     * log and Viterbi.
     */
    static final class HeapProbe {
        public static void main(String[] args) {
            boolean fitsAlone = args.length > 0 && args[0].equals("fits-alone");
            int len = fitsAlone ? 2000 : 2500;
            float[] big = new float[len * len * 3];
            java.util.Random random = new java.util.Random(2);
            for (int k = 0; k < big.length; k++) {
                big[k] = random.nextInt(6) - 3;
            }
            List<Pair> pairs = fitsAlone ? List.of(Pair.dense("huge-1", len, len, big), Pair.dense("huge-2", len, len, big))
                    : List.of(zeros("small-a", 3, 3), Pair.dense("huge-1", len, len, big),
                    Pair.dense("huge-2", len, len, big.clone()), zeros("small-b", 3, 3));
            AlignOptions options = fitsAlone ? AlignOptions.builder().semiring(Semiring.BOTH).build() : AlignOptions.defaults();
            try (CpuAligner cpu = new CpuAligner(2)) {
                List<AlignmentResult> rs = cpu.alignAll(pairs, options);
                for (int k = 0; k < pairs.size(); k++) {
                    System.out.println(pairs.get(k).id() + ": " + (rs.get(k).isValid() ? "ok" : rs.get(k).error().getMessage()
                            + (rs.get(k).error().isHeapLimit() ? " [heap limit]" : "")));
                }
                if (fitsAlone) {   // (with both results held, a third alignment would not fit)
                    return;
                }
                try {
                    cpu.align(pairs.get(1), options);
                    System.out.println("alone: ok");
                } catch (org.bandalign.align.InvalidPairException e) {
                    System.out.println("alone: " + e.getMessage() + (e.isHeapLimit() ? " [heap limit]" : ""));
                }
            }
        }
    }

    @Test
    void workspace_sameLengthAgain_reusesTheArrays() {
        Workspace ws = new Workspace();
        double[] w = ws.weights(10);
        assertSame(w, ws.weights(10));
        double[] alpha = ws.alpha(10);
        assertSame(alpha, ws.alpha(10));
        byte[] back = ws.backPointers(10);
        assertSame(back, ws.backPointers(10));
        ws.resetRolling(5, 0);
        double[] rolling = ws.rolling[0];
        ws.resetRolling(5, 1);
        assertSame(rolling, ws.rolling[0]);
        assertEquals(1.0, ws.rolling[0][0], "reset to the new value");
        ws.resetFlows(5);
        double[] flows = ws.flows[0];
        ws.resetFlows(5);
        assertSame(flows, ws.flows[0]);
        ws.trim();
        assertSame(rolling, ws.rolling[0], "ordinary arrays stay for the next pair");
        assertSame(flows, ws.flows[0]);
    }

    /**
     * Found by a probe: after a pair of millions of rows in a narrow band, the rolling arrays (96
     * bytes a row) stayed with the aligner for its life (only the per-cell arrays were let go),
     * so a second such pair no longer fitted a heap the first had fitted.
     */
    @Test
    void workspaceTrim_rollingArraysOfALongNarrowPair_areLetGo() {
        Workspace ws = new Workspace();
        int rows = Workspace.RETAINED_DOUBLES / 12 + 1;
        ws.resetRolling(rows, 0);
        ws.resetFlows(rows);
        ws.trim();
        for (int r = 0; r < 3; r++) {
            assertEquals(null, ws.rolling[r]);
            assertEquals(null, ws.flows[r]);
        }
        ws.resetRolling(4, 0);   // and they come back when a pair needs them
        ws.resetFlows(4);
        assertEquals(0.0, ws.rolling[2][6]);
        assertEquals(0.0, ws.flows[2][20]);
    }

    /** Found by a probe: the heap message of a 4 million row pair in a band of one counted its cells only (202 of about 560 MiB). */
    @Test
    void workBytes_countsRowsAndAntiDiagonalsBesideCells() {
        int n = 4_000_000;
        org.bandalign.align.BandGeometry g = org.bandalign.align.BandGeometry.of(Pair.band("narrow", n, n, 0, 0, new float[3 * n]),
                AlignOptions.defaults());
        assertEquals(n, g.cells());
        assertEquals(n * 53L + (n + 3L) * 96 + 2L * n * 4, CpuAligner.workBytes(g));
    }
}
