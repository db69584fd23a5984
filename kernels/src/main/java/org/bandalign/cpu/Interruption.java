package org.bandalign.cpu;

/**
 * How the engine's anti-diagonal loops see an interrupt of the thread aligning: every
 * {@value #EVERY} anti-diagonals they look at the thread's interrupt status (a field read), so
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

    /** Throws {@link Stop} where {@code t} is a multiple of {@link #EVERY} and the thread is interrupted. */
    static void check(int t) {
        if ((t & (EVERY - 1)) == 0 && Thread.currentThread().isInterrupted()) {
            throw new Stop();
        }
    }
}
