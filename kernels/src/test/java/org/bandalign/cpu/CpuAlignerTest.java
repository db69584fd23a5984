package org.bandalign.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.Pair;
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
        one.close();
    }

    @Test
    void alignAll_workerThrows_theCallerGetsThatException() {
        RuntimeException boom = new RuntimeException("boom");
        List<Pair> base = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            base.add(zeros("p" + k, 5, 5));
        }
        // a list that fails only when the pool's workers read it
        List<Pair> pairs = new AbstractList<>() {
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
    }
}
