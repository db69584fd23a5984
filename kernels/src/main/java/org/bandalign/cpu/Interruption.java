package org.bandalign.cpu;

/**
 * How the engine's anti-diagonal loops see an interrupt of the thread aligning: every
 * {@value #EVERY} anti-diagonals they look at the thread's interrupt status, so
 * an interrupted call, or a worker that {@link CpuAligner#close()} interrupts, stops within a
 * few milliseconds even in a pair of millions of cells, instead of running it to its end (a
 * library user's review: a 4000 x 4000 {@code align} went on for 1.8 s after its interrupt).
 */
final class Interruption {
    /** Anti-diagonals between looks (a power of two). */
    static final int EVERY = 64;

    private Interruption() {
    }

    /** Thrown out of a loop whose thread was interrupted; the interrupt stays set. */
    static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stop() {
            super("interrupted while aligning", null, false, false);
        }
    }

    /**
     * Throws {@link Stop} where the thread is interrupted. Called between runs of {@link #EVERY}
     * anti-diagonals, outside the loop over them: within it, the status's volatile read cost the
     * engine about 5% on 200 x 200 pairs (bin/bench-cpu -wi 8 -p threads=1 -p workload=dense200,
     * alternating with the build before, four runs a side: 52.4 against 55.1 M cells/s); outside,
     * 52.1 against 52.4 (three runs a side, 2026-12-02).
     */
    static void check() {
        if (Thread.currentThread().isInterrupted()) {
            throw new Stop();
        }
    }
}
