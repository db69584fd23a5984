package org.bandalign.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * The host side of every transfer: copies between Java {@code float[]} arrays and a direct
 * (pinned) buffer, split into contiguous ranges of about equal size that run on a small shared
 * pool of threads plus the caller.
 *
 * <p>Why: one thread fills pinned memory from a Java array at only a few GB/s (an H200 host
 * measured 6 GB/s through {@code FloatBuffer.put}), an order of magnitude below pinned PCIe
 * (about 55 GB/s), so a single-threaded copy, not the bus or the kernel, would set the speed
 * of {@code alignAll}. Each range is a bulk {@code FloatBuffer} copy (a memory copy in native
 * byte order), and {@link BandedAlignKernels} overlaps the copy of one chunk with the DMA of
 * the previous one.
 *
 * <p>No CUDA call here, so the tests and benchmarks run it without a GPU. Thread-safe: calls
 * from several launch contexts share the pool (their ranges queue).
 */
final class HostCopy {
    /** Ranges smaller than this are not split further (a task hand-off costs microseconds). */
    static final int MIN_PART_BYTES = 1 << 20;
    /** Upper bound on copy threads: past it the host's memory bandwidth, not threads, limits. */
    static final int MAX_COPY_THREADS = 8;
    /** System property overriding the number of copy threads (1 = copy on the caller only). */
    static final String THREADS_PROPERTY = "bandalign.cuda.copyThreads";

    private static volatile HostCopy shared;

    private final int threads;
    private final int minPartBytes;
    private final ExecutorService pool;

    /** A copier using {@code threads} threads in all (the caller and {@code threads - 1} pool threads). */
    HostCopy(int threads) {
        this(threads, MIN_PART_BYTES);
    }

    /** As {@link #HostCopy(int)}, splitting copies into ranges of at least {@code minPartBytes}. */
    HostCopy(int threads, int minPartBytes) {
        this.minPartBytes = minPartBytes;
        if (threads < 1) {
            throw new IllegalArgumentException("copy threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "bandalign-host-copy");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The process-wide copier: {@code min(8, available processors)} threads, or the value of
     * the system property {@value #THREADS_PROPERTY}.
     */
    static HostCopy shared() {
        HostCopy c = shared;
        if (c == null) {
            synchronized (HostCopy.class) {
                c = shared;
                if (c == null) {
                    int n = Integer.getInteger(THREADS_PROPERTY,
                            Math.min(MAX_COPY_THREADS, Runtime.getRuntime().availableProcessors()));
                    c = new HostCopy(Math.max(1, n));
                    shared = c;
                }
            }
        }
        return c;
    }

    int threads() {
        return threads;
    }

    /**
     * Copies {@code arrays[from..to)} one after another into {@code dst}, starting at byte
     * {@code dstOffset} (a multiple of 4), in the platform's byte order.
     */
    void pack(float[][] arrays, int from, int to, ByteBuffer dst, int dstOffset) {
        pack(Pieces.concatenation(arrays, from, to, floatOffset(dstOffset)), 0, to - from, dst);
    }

    /** Copies pieces {@code [from, to)} of {@code pieces} into {@code dst}, each to its own place. */
    void pack(Pieces pieces, int from, int to, ByteBuffer dst) {
        long[] starts = pieces.starts(from, to);
        run(starts[to - from], (lo, hi) -> copy(pieces, from, starts, lo, hi, dst, true));
    }

    /**
     * Copies out of {@code src}, from byte {@code srcOffset} on (a multiple of 4), into new
     * arrays {@code out[from..to)} of {@code lengths[from..to)} floats, the inverse of
     * {@link #pack}.
     */
    void unpack(ByteBuffer src, int srcOffset, int[] lengths, int from, int to, float[][] out) {
        long[] starts = new long[to - from + 1];
        for (int k = from; k < to; k++) {
            starts[k - from + 1] = starts[k - from] + lengths[k];
        }
        long total = starts[to - from];
        // Allocation zeroes memory: spread it over the threads too, by ranges of pairs.
        run(total, (lo, hi) -> {
            for (int k = firstPiece(starts, lo); k < to - from && starts[k] < hi; k++) {
                if (starts[k] >= lo) {
                    out[from + k] = new float[lengths[from + k]];
                }
            }
        });
        for (int k = from; k < to; k++) {   // arrays of length 0 own no float to start a range
            if (out[k] == null) {
                out[k] = new float[0];
            }
        }
        Pieces pieces = Pieces.concatenation(out, from, to, floatOffset(srcOffset));
        run(total, (lo, hi) -> copy(pieces, 0, starts, lo, hi, src, false));
    }

    private static long floatOffset(int byteOffset) {
        if (byteOffset % 4 != 0) {
            throw new IllegalArgumentException("buffer offset " + byteOffset + " is not a whole float");
        }
        return byteOffset / 4;
    }

    /**
     * Pieces of Java arrays and their places in a buffer: piece k is {@code length[k]} floats of
     * {@code array[k]} from {@code arrayOffset[k]}, at float {@code bufferOffset[k]} of the
     * buffer. A whole pair is one piece; a dense pair sent in band layout is one piece a row.
     */
    static final class Pieces {
        private float[][] array = new float[16][];
        private int[] arrayOffset = new int[16];
        private int[] length = new int[16];
        private long[] bufferOffset = new long[16];
        private int size;

        /** Appends a piece; returns its index. */
        int add(float[] source, int sourceOffset, int floats, long targetFloat) {
            if (size == array.length) {
                int grown = 2 * size;
                array = java.util.Arrays.copyOf(array, grown);
                arrayOffset = java.util.Arrays.copyOf(arrayOffset, grown);
                length = java.util.Arrays.copyOf(length, grown);
                bufferOffset = java.util.Arrays.copyOf(bufferOffset, grown);
            }
            array[size] = source;
            arrayOffset[size] = sourceOffset;
            length[size] = floats;
            bufferOffset[size] = targetFloat;
            return size++;
        }

        int size() {
            return size;
        }

        /** arrays[from..to) whole, one after another from float {@code firstFloat} of the buffer. */
        static Pieces concatenation(float[][] arrays, int from, int to, long firstFloat) {
            Pieces p = new Pieces();
            long at = firstFloat;
            for (int k = from; k < to; k++) {
                p.add(arrays[k], 0, arrays[k].length, at);
                at += arrays[k].length;
            }
            return p;
        }

        /** Running totals of the lengths of pieces [from, to), starting at 0. */
        long[] starts(int from, int to) {
            long[] starts = new long[to - from + 1];
            for (int k = from; k < to; k++) {
                starts[k - from + 1] = starts[k - from] + length[k];
            }
            return starts;
        }
    }

    /** Index (relative) of the piece that holds float {@code at} of the pieces laid end to end. */
    private static int firstPiece(long[] starts, long at) {
        int lo = 0;
        int hi = starts.length - 2;
        while (lo < hi) {   // last k with starts[k] <= at
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= at) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /**
     * Copies floats [lo, hi) of pieces[from..] laid end to end ({@code starts}) to or from their
     * places in the buffer.
     */
    private static void copy(Pieces pieces, int from, long[] starts, long lo, long hi, ByteBuffer buf, boolean toBuffer) {
        ByteBuffer view = buf.duplicate().order(ByteOrder.nativeOrder());
        for (int k = firstPiece(starts, lo); k < starts.length - 1 && starts[k] < hi; k++) {
            int a = (int) (Math.max(lo, starts[k]) - starts[k]);
            int b = (int) (Math.min(hi, starts[k + 1]) - starts[k]);
            if (b <= a) {
                continue;
            }
            int piece = from + k;
            view.limit(view.capacity()).position(Math.toIntExact(4 * (pieces.bufferOffset[piece] + a)));
            if (toBuffer) {
                view.asFloatBuffer().put(pieces.array[piece], pieces.arrayOffset[piece] + a, b - a);
            } else {
                view.asFloatBuffer().get(pieces.array[piece], pieces.arrayOffset[piece] + a, b - a);
            }
        }
    }

    private interface Range {
        void run(long lo, long hi);
    }

    /**
     * Runs {@code body.accept(k)} for every k in [0, count) on the pool, in contiguous ranges,
     * split as a copy of {@code floats} floats would be (for per-pair work proportional to the
     * pairs' sizes, such as building result arrays).
     */
    void forEach(int count, long floats, IntConsumer body) {
        run(parts(floats), count, (lo, hi) -> {
            for (long k = lo; k < hi; k++) {
                body.accept((int) k);
            }
        });
    }

    /** Ranges worth splitting {@code floats} floats of copying into (1 to {@link #threads}). */
    private int parts(long floats) {
        return (int) Math.max(1, Math.min(threads, 4 * floats / minPartBytes));
    }

    /** Runs {@code body} over [0, total) in up to {@link #threads} contiguous ranges. */
    private void run(long total, Range body) {
        run(parts(total), total, body);
    }

    /** Runs {@code body} over [0, total) in {@code parts} contiguous ranges (the caller takes the first). */
    private void run(int parts, long total, Range body) {
        parts = (int) Math.max(1, Math.min(parts, total));
        if (parts == 1) {
            body.run(0, total);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        for (int p = 1; p < parts; p++) {
            long lo = total * p / parts;
            long hi = total * (p + 1) / parts;
            futures.add(pool.submit(() -> body.run(lo, hi)));
        }
        Throwable failure = null;
        try {
            body.run(0, total / parts);
        } catch (Throwable e) {   // even an OutOfMemoryError: the other ranges must end first
            failure = e;
        }
        // Wait for every range, interrupted or not: a copy that outlived this call could write
        // into a staging buffer that has been handed to the next launch, or freed.
        boolean interrupted = false;
        for (Future<?> f : futures) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();   // the copy is whole; the caller sees the interrupt next
        }
        if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        }
        if (failure instanceof Error) {
            throw (Error) failure;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }
}
