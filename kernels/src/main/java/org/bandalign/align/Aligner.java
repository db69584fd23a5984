package org.bandalign.align;

import java.util.List;
import org.bandalign.cpu.CpuAligner;
import org.bandalign.cuda.CudaAligner;
import org.bandalign.cuda.CudaUnavailableException;

/**
 * Aligns sequence pairs: log-partition and step marginals (forward-backward, log semiring)
 * and/or the best path (Viterbi, max semiring), globally or locally, optionally in a band.
 *
 * <pre>{@code
 * try (Aligner aligner = Aligner.cpu()) {
 *     AlignOptions opts = AlignOptions.builder().mode(Mode.GLOBAL).semiring(Semiring.BOTH).band(8).build();
 *     AlignmentResult r = aligner.align(Pair.dense("id-1", n, m, scores), opts);
 *     List<AlignmentResult> rs = aligner.alignAll(pairs, opts);   // the fast path
 * }
 * }</pre>
 *
 * <p>Implementations are thread-safe: several threads may share one aligner.
 *
 * <p>A null pair, list or options is a {@link NullPointerException} naming the argument; a
 * call on a closed aligner, or one that {@link #close()} or an interrupt of the calling thread
 * ends, is an {@link IllegalStateException} saying which (the thread keeps its interrupt), and
 * never returns partial results. Log partitions are natural logarithms.
 */
public interface Aligner extends AutoCloseable {

    /** {@return the CPU engine, using every available core for {@link #alignAll}} */
    static Aligner cpu() {
        return new CpuAligner(Runtime.getRuntime().availableProcessors());
    }

    /**
     * {@return the CPU engine, using {@code threads} worker threads for {@link #alignAll}}
     *
     * @param threads worker threads, at least 1
     * @throws IllegalArgumentException where {@code threads < 1}
     */
    static Aligner cpu(int threads) {
        return new CpuAligner(threads);
    }

    /**
     * {@return the CUDA engine on device {@code device}} It uses the device's primary context; a
     * launch may use 40% of the device memory free when it opens.
     *
     * @param device the CUDA device ordinal, as this process sees the devices ({@code CUDA_VISIBLE_DEVICES})
     * @throws CudaUnavailableException saying what is missing: the NVIDIA driver
     *         ({@code libcuda.so.1}), any device, or that ordinal; or why the device could not be
     *         opened (the driver's error, which is its cause)
     */
    static Aligner cuda(int device) {
        return CudaAligner.open(device, 0);
    }

    /**
     * {@return CUDA device 0 when the driver and a device load, else the CPU engine on every core}
     * {@link #backend()} says which ({@code cuda:0} or {@code cpu}), and the reason CUDA was not
     * used is logged ({@link System.Logger}, level INFO: without a logging library, java.util.logging
     * prints it to standard error). Trying CUDA loads JCuda's native library, which JCuda first
     * copies out of its jar into {@code java.io.tmpdir}.
     */
    static Aligner auto() {
        try {
            return cuda(0);
        } catch (CudaUnavailableException e) {
            System.getLogger(Aligner.class.getName()).log(System.Logger.Level.INFO, "using the CPU engine: " + e.getMessage());
            return cpu();
        }
    }

    /** {@return which backend this is, as the job's summary reports it ({@code cpu}, {@code cuda:0}, ...)} */
    String backend();

    /**
     * Aligns one pair on the calling thread.
     *
     * @param pair    the pair, not null
     * @param options how to align it, not null
     * @return the pair's result, always valid
     * @throws InvalidPairException when the pair cannot be aligned (the message names it and says why)
     * @throws IllegalStateException when the aligner is closed, or closed or interrupted during the call
     * @throws org.bandalign.cuda.CudaException on the CUDA backend, when a driver call fails (a kernel
     *         fault, a device lost, a launch refused; the message names the call and the driver's error)
     */
    AlignmentResult align(Pair pair, AlignOptions options);

    /**
     * Aligns many pairs at once, using the backend's parallelism. Returns one result per pair,
     * in input order, as an unmodifiable list. An invalid pair does not fail the call: its result has
     * {@link AlignmentResult#isValid()} false and {@link AlignmentResult#error()} says why (a null
     * entry too: its error gives its index in {@code pairs}).
     *
     * @param pairs   the pairs, not null (null entries allowed)
     * @param options how to align every pair, not null
     * @return one result per pair, in input order
     * @throws IllegalStateException when the aligner is closed, or closed or interrupted during the call
     * @throws org.bandalign.cuda.CudaException on the CUDA backend, as for {@link #align}
     */
    List<AlignmentResult> alignAll(List<Pair> pairs, AlignOptions options);

    /**
     * Releases threads (CPU) or the device context and memory (CUDA). A call in progress on
     * another thread then either completes or ends with an {@link IllegalStateException}; it
     * never returns partial results, and later calls fail saying the aligner is closed. An
     * aligner never closed gives all that back once it is unreachable and the garbage collector
     * has seen so; close it to have it back at once (a CUDA aligner holds up to 40% of the
     * device memory free when it opened for each launch it keeps, about 90% in all with one
     * caller at a time, more with several: see {@link org.bandalign.cuda.CudaAligner}).
     */
    @Override
    void close();
}
