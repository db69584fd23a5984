package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.AlignmentResult;

/**
 * One launch of {@code banded_align.cu} over a group of pairs. Everything goes on one stream
 * and the host waits only where it must:
 * <ol>
 *   <li>the scores, in chunks of about {@link LaunchLayout#CHUNK_BYTES}: each chunk is copied
 *       into pinned memory by {@link HostCopy} (several threads) and its DMA is queued at once,
 *       so the host fills chunk c + 1 while chunk c crosses the bus; then the descriptors;</li>
 *   <li>{@code banded_forward_backward} and/or {@code banded_viterbi} (one block per pair),
 *       between two timing events;</li>
 *   <li>log Z and the Viterbi outputs, then the marginals in the same chunks, each followed by
 *       an event; the host copies chunk c out into the result arrays as soon as its event
 *       fires, while chunk c + 1 is still in flight.</li>
 * </ol>
 * Device buffers live for one launch; the pinned staging buffer is reused (the downloads land
 * where the scores were, which the stream orders after the kernels). One launch context: a
 * stream, its events and its staging; not thread-safe, so {@link CudaAligner} gives each launch
 * in flight its own.
 */
final class BandedAlignKernels {
    /** Largest pinned staging buffer (a ByteBuffer's limit). */
    static final long MAX_STAGING = Integer.MAX_VALUE - 8;
    /** Shared memory a block may use without opting in. */
    private static final int DEFAULT_SHARED = 48 * 1024;
    /** Static shared memory of banded_viterbi (best value, row and column per thread). */
    private static final int VITERBI_STATIC_SHARED = 1024 * 16;

    private final CudaDevice device;
    private final CUfunction forwardBackward;
    private final CUfunction viterbi;
    private final CUstream stream = new CUstream();
    private final CUevent kernelStart = new CUevent();
    private final CUevent kernelStop = new CUevent();
    /** One event per marginal chunk in flight, recorded after its download. */
    private final List<CUevent> chunkEvents = new ArrayList<>();
    private PinnedBuffer staging;
    /** Milliseconds spent in kernels (forward-backward and Viterbi) since this object was made. */
    private double kernelMillis;

    BandedAlignKernels(CudaDevice device, KernelModule module) {
        this.device = device;
        device.makeCurrent();   // may be made on any task thread
        this.forwardBackward = module.function("banded_forward_backward");
        this.viterbi = module.function("banded_viterbi");
        check(JCudaDriver.cuStreamCreate(stream, 0), "cuStreamCreate");
        check(JCudaDriver.cuEventCreate(kernelStart, 0), "cuEventCreate");
        check(JCudaDriver.cuEventCreate(kernelStop, 0), "cuEventCreate");
        // Allow the most dynamic shared memory once, for good: setting it per launch would race
        // with launches of other contexts on the same function.
        int optIn = Math.max(DEFAULT_SHARED, device.sharedMemoryOptIn);
        check(JCudaDriver.cuFuncSetAttribute(forwardBackward,
                CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, optIn),
                "cuFuncSetAttribute(banded_forward_backward shared memory)");
        check(JCudaDriver.cuFuncSetAttribute(viterbi,
                CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, optIn - VITERBI_STATIC_SHARED),
                "cuFuncSetAttribute(banded_viterbi shared memory)");
    }

    /** Total kernel time so far, in milliseconds (CUDA events around each launch). */
    synchronized double kernelMillis() {
        return kernelMillis;
    }

    /** Aligns a group of checked pairs in one launch; results in the group's order. */
    List<AlignmentResult> run(List<PreparedPair> group, AlignOptions options) {
        device.makeCurrent();
        LaunchLayout launch = new LaunchLayout(group, options);
        int count = launch.count;
        boolean log = options.semiring().computesLog();
        boolean max = options.semiring().computesMax();
        ByteBuffer host = staging(launch.stagingBytes);
        HostCopy copy = HostCopy.shared();
        DeviceBuffer dOut = null;
        DeviceBuffer dAlpha = null;
        DeviceBuffer dLogZ = null;
        DeviceBuffer dRollFb = null;
        DeviceBuffer dBack = null;
        DeviceBuffer dVit = null;
        DeviceBuffer dPath = null;
        DeviceBuffer dRollVit = null;
        try (DeviceBuffer dDesc = new DeviceBuffer(8L * launch.desc.length);
             DeviceBuffer dScores = new DeviceBuffer(4 * launch.scoreFloats)) {
            long fbShared = 12L * launch.rollLen * 8 + 8L * launch.threads;
            boolean fbInShared = fbShared <= Math.max(DEFAULT_SHARED, device.sharedMemoryOptIn);
            long vitRoll = 3L * launch.rollLen * 8;
            boolean vitInShared = vitRoll + VITERBI_STATIC_SHARED <= Math.max(DEFAULT_SHARED, device.sharedMemoryOptIn);
            if (log) {
                dOut = new DeviceBuffer(4 * launch.outFloats);
                dAlpha = new DeviceBuffer(8 * launch.cells);
                dLogZ = new DeviceBuffer(8L * count);
                dRollFb = fbInShared ? null : new DeviceBuffer(12L * launch.rollLen * 8 * count);
            }
            if (max) {
                dBack = new DeviceBuffer(launch.cells);
                dVit = new DeviceBuffer(20L * count);   // best (8 a pair), end cells (8), step counts (4)
                dPath = new DeviceBuffer(launch.pathBytes);
                dRollVit = vitInShared ? null : new DeviceBuffer(vitRoll * count);
            }

            // Upload: copy chunk c into pinned memory while the DMA of chunk c - 1 runs.
            for (int c = 0; c < launch.chunkCount(); c++) {
                launch.packScores(copy, host, c);
                long off = launch.scoreOffset(c);
                long len = launch.scoreOffset(c + 1) - off;
                check(JCudaDriver.cuMemcpyHtoDAsync(dScores.ptr.withByteOffset(off), staging.ptr.withByteOffset(off), len,
                        stream), "cuMemcpyHtoDAsync(scores)");
            }
            launch.putDescriptors(host);
            dDesc.upload(staging.ptr.withByteOffset(launch.descOffset), 8L * launch.desc.length, stream);

            check(JCudaDriver.cuEventRecord(kernelStart, stream), "cuEventRecord");
            if (log) {
                // Band-layout padding slots are never written by the kernel: they must read 0.
                check(JCudaDriver.cuMemsetD8Async(dOut.ptr, (byte) 0, 4 * launch.outFloats, stream),
                        "cuMemsetD8Async(marginals)");
                int sharedBytes = (int) (fbInShared ? fbShared : 8L * launch.threads);
                launch(forwardBackward, count, launch.threads, sharedBytes, "banded_forward_backward",
                        dDesc.param(), dScores.param(), dOut.param(), dAlpha.param(), dLogZ.param(), rollParam(dRollFb));
            }
            if (max) {
                launch(viterbi, count, launch.threads, (int) (vitInShared ? vitRoll : 0), "banded_viterbi",
                        dDesc.param(), dScores.param(), dBack.param(), Pointer.to(dVit.ptr),
                        Pointer.to(dVit.ptr.withByteOffset(8L * count)), Pointer.to(dVit.ptr.withByteOffset(16L * count)),
                        dPath.param(), rollParam(dRollVit));
            }
            check(JCudaDriver.cuEventRecord(kernelStop, stream), "cuEventRecord");

            // Download the small outputs first, then the marginals chunk by chunk, each chunk
            // followed by an event, so the host copies chunk c out while chunk c + 1 is in flight.
            if (log) {
                dLogZ.download(staging.ptr.withByteOffset(launch.logZOffset), 8L * count, stream);
            }
            if (max) {
                dVit.download(staging.ptr.withByteOffset(launch.bestOffset), 20L * count, stream);
                dPath.download(staging.ptr.withByteOffset(launch.pathOffset), launch.pathBytes, stream);
            }
            float[][] marginals = null;
            if (log) {
                for (int c = 0; c < launch.chunkCount(); c++) {
                    long off = launch.marginalOffset(c);
                    long len = launch.marginalOffset(c + 1) - off;
                    check(JCudaDriver.cuMemcpyDtoHAsync(staging.ptr.withByteOffset(off), dOut.ptr.withByteOffset(off), len,
                            stream), "cuMemcpyDtoHAsync(marginals)");
                    check(JCudaDriver.cuEventRecord(chunkEvent(c), stream), "cuEventRecord");
                }
                check(JCudaDriver.cuEventSynchronize(kernelStop), max ? "banded_viterbi" : "banded_forward_backward");
                marginals = new float[count][];
                for (int c = 0; c < launch.chunkCount(); c++) {
                    check(JCudaDriver.cuEventSynchronize(chunkEvent(c)), "cuMemcpyDtoHAsync(marginals)");
                    launch.unpackMarginals(copy, host, c, marginals);
                }
            }
            check(JCudaDriver.cuStreamSynchronize(stream), max ? "banded_viterbi" : "banded_forward_backward");
            addKernelTime();
            return launch.results(log ? launch.logZ(host) : null, marginals, max ? launch.paths(host) : null);
        } finally {
            for (DeviceBuffer b : new DeviceBuffer[] {dOut, dAlpha, dLogZ, dRollFb, dBack, dVit, dPath, dRollVit}) {
                if (b != null) {
                    b.close();
                }
            }
        }
    }

    private static Pointer rollParam(DeviceBuffer roll) {
        return roll == null ? Pointer.to(new CUdeviceptr()) : roll.param();
    }

    private void launch(CUfunction f, int blocks, int threads, int sharedBytes, String name, Pointer... args) {
        check(JCudaDriver.cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, sharedBytes, stream, Pointer.to(args), null),
                "cuLaunchKernel(" + name + ")");
    }

    private void addKernelTime() {
        float[] ms = new float[1];
        check(JCudaDriver.cuEventElapsedTime(ms, kernelStart, kernelStop), "cuEventElapsedTime");
        synchronized (this) {
            kernelMillis += ms[0];
        }
    }

    /** The event recorded after chunk {@code c}'s download (made on first use, kept for reuse). */
    private CUevent chunkEvent(int c) {
        while (chunkEvents.size() <= c) {
            CUevent e = new CUevent();
            check(JCudaDriver.cuEventCreate(e, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
            chunkEvents.add(e);
        }
        return chunkEvents.get(c);
    }

    private ByteBuffer staging(long bytes) {
        if (staging == null || staging.bytes < bytes) {
            if (bytes > MAX_STAGING) {
                throw new CudaException("staging buffer of " + bytes + " bytes", jcuda.driver.CUresult.CUDA_ERROR_OUT_OF_MEMORY);
            }
            PinnedBuffer bigger = new PinnedBuffer(Math.max(bytes, 1 << 20));   // allocate first: on failure the old one stays valid
            if (staging != null) {
                staging.close();
            }
            staging = bigger;
        }
        return staging.buffer;
    }

    void close() {
        if (staging != null) {
            staging.close();
        }
        chunkEvents.forEach(JCudaDriver::cuEventDestroy);
        JCudaDriver.cuEventDestroy(kernelStart);
        JCudaDriver.cuEventDestroy(kernelStop);
        JCudaDriver.cuStreamDestroy(stream);
    }
}
