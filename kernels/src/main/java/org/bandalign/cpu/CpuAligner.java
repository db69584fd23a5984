package org.bandalign.cpu;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.Aligner;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Pair;
import org.bandalign.align.PairChecks;
import org.bandalign.align.ViterbiPath;

/**
 * The CPU backend: float64 anti-diagonal forward-backward ({@link LogForwardBackward}) and
 * Viterbi ({@link MaxViterbi}), with {@link #alignAll} spread over a fixed pool of worker
 * threads. Thread-safe; scratch memory is pooled per concurrent caller and grows to the largest
 * pair seen. {@link #close()} lets the threads and that memory go at once; an aligner left
 * unclosed lets them go once the garbage collector finds it unreachable.
 *
 * <p>{@code alignAll} hands out pairs largest first (by band cells) so that one big pair at the
 * end of a batch does not leave the other threads idle, and returns results in input order.
 */
public final class CpuAligner implements Aligner {
    private static final AtomicInteger POOL_IDS = new AtomicInteger();
    /**
     * Shuts down the worker threads of an aligner that became unreachable without
     * {@link #close()} (SPEC section 6's own example never closes its aligner): idle pool threads
     * wait for work for ever, so each such aligner would keep its threads for the JVM's life.
     */
    private static final Cleaner UNCLOSED = Cleaner.create(r -> {
        Thread t = new Thread(r, "bandalign-cpu-cleaner");
        t.setDaemon(true);
        return t;
    });

    private final int threads;
    private final ExecutorService pool;
    private final ConcurrentLinkedQueue<Workspace> workspaces = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    /**
     * Heap an alignment takes beyond the pair's own scores, about, per band cell: the float64
     * softmax weights (24 bytes, 32 in local mode), local mode's alpha (8), the float32
     * marginals (12) and Viterbi's back-pointers (1). For the message of a pair the heap cannot hold.
     */
    static final long WORK_BYTES_PER_CELL = 53;
    /**
     * And per row: the rolling anti-diagonals of alpha (or the Viterbi score) and of the
     * backward flows, 12 doubles a row, which outweigh the cells in a narrow band.
     */
    static final long WORK_BYTES_PER_ROW = 96;

    /** The heap {@link #alignWith} takes beyond the pair's scores, about: per cell, per row, per anti-diagonal. */
    static long workBytes(BandGeometry g) {
        return g.cells() * WORK_BYTES_PER_CELL + (g.n() + 3L) * WORK_BYTES_PER_ROW + (g.n() + (long) g.m()) * Integer.BYTES;
    }

    /**
     * A CPU aligner whose {@link #alignAll} uses {@code threads} worker threads.
     *
     * @param threads worker threads, at least 1 (1: {@code alignAll} runs on the calling thread)
     * @throws IllegalArgumentException where {@code threads < 1}
     */
    public CpuAligner(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, daemonThreads());
        if (pool != null) {
            ExecutorService workers = pool;   // (the action must not hold this aligner)
            UNCLOSED.register(this, workers::shutdown);
        }
    }

    private static ThreadFactory daemonThreads() {
        int poolId = POOL_IDS.incrementAndGet();
        AtomicInteger ids = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "bandalign-cpu-" + poolId + "-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** {@return the worker threads used by {@link #alignAll}} */
    public int threads() {
        return threads;
    }

    /** {@return the backend, its threads and whether it is closed, for logs} */
    @Override
    public String toString() {
        return "CpuAligner[" + threads + (threads == 1 ? " thread" : " threads") + (closed ? ", closed" : "") + "]";
    }

    @Override
    public String backend() {
        return "cpu";
    }

    @Override
    public AlignmentResult align(Pair pair, AlignOptions options) {
        Objects.requireNonNull(pair, "pair");
        Objects.requireNonNull(options, "options");
        checkOpen();
        Workspace ws = takeWorkspace();
        try {
            return alignWith(pair, options, ws);
        } catch (OutOfMemoryError e) {
            ws = null;   // dropped: the next try starts from no scratch memory at all
        } catch (Interruption.Stop e) {
            throw stopped();
        } finally {
            if (ws != null) {
                giveBack(ws);
            }
        }
        AlignmentResult again;
        try {
            again = alignAgainAlone(pair, options);
        } catch (Interruption.Stop e) {
            throw stopped();
        }
        if (!again.isValid()) {
            throw again.error();
        }
        return again;
    }

    /**
     * Aligns once more a pair that ran the heap out of memory, with as much of the heap free as
     * this aligner can give it: the idle workspaces, which hold up to a few hundred MiB each
     * (the largest pair each has seen, below {@link Workspace#RETAINED_DOUBLES}), are let go
     * first, and the pair gets a workspace of its own. Without that, a pair that the heap holds
     * alone was reported too large after the other workers' scratch had filled it (a probe:
     * two pairs of 2000 x 2000 under -Xmx300m).
     */
    private AlignmentResult alignAgainAlone(Pair pair, AlignOptions options) {
        workspaces.clear();
        Workspace ws = new Workspace();
        try {
            return alignOrReport(pair, options, ws);
        } catch (OutOfMemoryError e) {
            ws = null;
            return AlignmentResult.failed(tooLargeForHeap(pair, options));
        } finally {
            if (ws != null) {
                giveBack(ws);
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>A pair that runs the heap out of memory while others are aligned beside it is aligned
     * again once they are done, alone; if it still does not fit, its result is an
     * {@link InvalidPairException} saying so (SPEC section 1: too large for the configured
     * memory), and the other pairs are not affected. An interrupted caller gets an
     * {@link IllegalStateException}, and the workers take no further pairs of the call; so does
     * a call in progress or waiting for the workers when the aligner is closed (never results
     * with gaps, never a call that waits for ever).
     */
    @Override
    public List<AlignmentResult> alignAll(List<Pair> given, AlignOptions options) {
        Objects.requireNonNull(given, "pairs");
        Objects.requireNonNull(options, "options");
        checkOpen();
        List<Pair> pairs = PairChecks.indexable(given);
        int count = pairs.size();
        AlignmentResult[] results = new AlignmentResult[count];
        Integer[] order = largestFirst(pairs, options);
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Integer> outOfMemory = new ConcurrentLinkedQueue<>();
        Runnable worker = () -> {
            Workspace ws = takeWorkspace();
            try {
                for (int k; !stop.get() && (k = next.getAndIncrement()) < count; ) {
                    // the caller interrupted, a worker's cancel(true), or close()
                    if (Thread.currentThread().isInterrupted() || closed) {
                        stop.set(true);
                        break;
                    }
                    int idx = order[k];
                    try {
                        Pair pair = pairs.get(idx);
                        results[idx] = pair == null ? AlignmentResult.failed(PairChecks.nullPair(idx)) : alignOrReport(pair, options, ws);
                    } catch (OutOfMemoryError e) {
                        ws.trim();   // (what a smaller pair needs stays)
                        outOfMemory.add(idx);
                    } catch (Interruption.Stop e) {   // interrupted within the pair (see Interruption)
                        stop.set(true);
                        break;
                    }
                }
            } finally {
                giveBack(ws);
            }
        };
        int workers = pool == null ? 1 : Math.min(threads, count);
        if (workers <= 1) {
            worker.run();
        } else {
            runOnPool(worker, workers, stop);
        }
        if (stop.get()) {   // some pairs were never aligned: no result list with gaps
            throw stopped();
        }
        for (Integer idx : outOfMemory) {   // alone now, with the others' memory free
            try {
                results[idx] = alignAgainAlone(pairs.get(idx), options);
            } catch (Interruption.Stop e) {
                throw stopped();
            }
        }
        return Collections.unmodifiableList(Arrays.asList(results));
    }

    /** The error of a pair whose alignment the heap cannot hold. */
    private static InvalidPairException tooLargeForHeap(Pair pair, AlignOptions options) {
        BandGeometry g = BandGeometry.of(pair, options);
        return InvalidPairException.tooLargeForFreeHeap(pair.id(), "too large for this JVM's memory: aligning its " + g.cells()
                + " band cells in " + g.n() + " rows takes about " + (workBytes(g) >> 20) + " MiB beyond its scores, more than the heap ("
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB at most) had free; give the JVM more memory (-Xmx)");
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this CPU aligner is closed");
        }
    }

    /** Why a call stopped before aligning every pair: close() or an interrupt (which stays set). */
    private IllegalStateException stopped() {
        return new IllegalStateException(closed ? "the CPU aligner was closed while aligning" : "interrupted while aligning");
    }

    private void runOnPool(Runnable worker, int workers, AtomicBoolean stop) {
        List<Future<?>> futures = new ArrayList<>(workers);
        try {
            for (int w = 0; w < workers; w++) {
                futures.add(pool.submit(worker));
            }
        } catch (RejectedExecutionException e) {   // close() came between checkOpen and here
            stop.set(true);
            futures.forEach(x -> x.cancel(true));
        }
        Throwable failure = null;
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (CancellationException e) {   // dropped from the queue by close()
                stop.set(true);
            } catch (ExecutionException e) {
                failure = failure == null ? e.getCause() : failure;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop.set(true);   // the workers finish the pair in hand and take no other
                futures.forEach(x -> x.cancel(true));
                throw new IllegalStateException("interrupted while aligning", e);
            }
        }
        if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        } else if (failure instanceof Error) {
            throw (Error) failure;
        } else if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    private static Integer[] largestFirst(List<Pair> pairs, AlignOptions options) {
        long[] size = new long[pairs.size()];
        Integer[] order = new Integer[pairs.size()];
        for (int k = 0; k < order.length; k++) {
            Pair p = pairs.get(k);
            size[k] = p == null ? 0 : BandGeometry.of(p, options).cells();
            order[k] = k;
        }
        Arrays.sort(order, Comparator.comparingLong((Integer k) -> size[k]).reversed());
        return order;
    }

    private static AlignmentResult alignOrReport(Pair pair, AlignOptions options, Workspace ws) {
        try {
            return alignWith(pair, options, ws);
        } catch (InvalidPairException e) {
            return AlignmentResult.failed(e);
        }
    }

    private static AlignmentResult alignWith(Pair pair, AlignOptions options, Workspace ws) {
        BandGeometry g = BandGeometry.of(pair, options);
        PairChecks.check(pair, g, options);
        float[] marginals = new float[CellWalk.outLength(g)];
        double logZ = Double.NaN;
        if (options.semiring().computesLog()) {
            logZ = LogForwardBackward.run(pair, g, options.mode(), ws, marginals);
        }
        ViterbiPath path = null;
        if (options.semiring().computesMax()) {
            path = MaxViterbi.run(pair, g, options.mode(), ws);
            if (!options.semiring().computesLog()) {
                markPath(path, g, marginals);
            }
        }
        return AlignmentResult.of(pair.id(), options.mode(), options.semiring(), g, logZ, marginals, path);
    }

    private static void markPath(ViterbiPath path, BandGeometry g, float[] out) {
        boolean dense = g.isDense();
        path.forEachStep((i, j, k) -> out[(dense ? (i * g.m() + j) * 3 : g.bandIndex(i, j)) + k] = 1f);
    }

    private Workspace takeWorkspace() {
        Workspace ws = workspaces.poll();
        return ws != null ? ws : new Workspace();
    }

    /** Returns a workspace to the pool, its outsized arrays dropped; a closed aligner keeps none. */
    private void giveBack(Workspace ws) {
        ws.trim();
        if (!closed) {
            workspaces.add(ws);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (pool != null) {
            // Workers in flight are interrupted and take no further pair; those still queued are
            // cancelled, so that the calls waiting for them end (with an IllegalStateException).
            for (Runnable queued : pool.shutdownNow()) {
                if (queued instanceof Future<?> f) {
                    f.cancel(false);
                }
            }
        }
        workspaces.clear();
    }
}
