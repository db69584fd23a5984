package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.ViterbiPath;

/**
 * One launch of {@code banded_align.cu} over a group of pairs: packs their scores and
 * descriptors into pinned memory, copies them to the device, runs {@code banded_forward_backward}
 * and/or {@code banded_viterbi} (one block per pair), and copies the marginals, log Z and paths
 * back. Device buffers live for one launch; the pinned staging buffers are reused. One launch
 * context: a stream, its events and its staging; not thread-safe, so {@link CudaAligner} gives
 * each launch in flight its own.
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
    }

    /** Total kernel time so far, in milliseconds (CUDA events around each launch). */
    synchronized double kernelMillis() {
        return kernelMillis;
    }

    private void timedLaunch(CUfunction f, int blocks, int threads, int sharedBytes, Pointer params, String name) {
        check(JCudaDriver.cuEventRecord(kernelStart, stream), "cuEventRecord");
        check(JCudaDriver.cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, sharedBytes, stream, params, null),
                "cuLaunchKernel(" + name + ")");
        check(JCudaDriver.cuEventRecord(kernelStop, stream), "cuEventRecord");
        check(JCudaDriver.cuEventSynchronize(kernelStop), name);
        float[] ms = new float[1];
        check(JCudaDriver.cuEventElapsedTime(ms, kernelStart, kernelStop), "cuEventElapsedTime");
        synchronized (this) {
            kernelMillis += ms[0];
        }
    }

    /** Aligns a group of checked pairs in one launch; results in the group's order. */
    List<AlignmentResult> run(List<PreparedPair> group, AlignOptions options) {
        device.makeCurrent();
        LaunchLayout launch = new LaunchLayout(group, options);
        int count = launch.count;
        boolean log = options.semiring().computesLog();
        boolean max = options.semiring().computesMax();
        long hostBytes = Math.max(4 * launch.scoreFloats, (log ? 4 * launch.outFloats : 0) + 8L * count)
                + 8L * launch.desc.length + launch.pathBytes + 32L * count;
        ByteBuffer host = staging(hostBytes);

        try (DeviceBuffer dDesc = new DeviceBuffer(8L * launch.desc.length);
             DeviceBuffer dScores = new DeviceBuffer(4 * launch.scoreFloats)) {
            host.clear();
            host.asLongBuffer().put(launch.desc);
            dDesc.upload(staging.ptr, 8L * launch.desc.length, stream);
            check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
            FloatBuffer fb = host.asFloatBuffer();
            for (PreparedPair p : group) {
                fb.put(p.pair.scores());
            }
            dScores.upload(staging.ptr, 4 * launch.scoreFloats, stream);
            check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");

            double[] logZ = null;
            float[][] marginals = null;
            if (log) {
                marginals = new float[count][];
                logZ = forwardBackward(launch, dDesc, dScores, marginals);
            }
            ViterbiPath[] paths = max ? viterbi(launch, dDesc, dScores) : null;
            return launch.results(logZ, marginals, paths);
        }
    }

    private double[] forwardBackward(LaunchLayout launch, DeviceBuffer dDesc, DeviceBuffer dScores, float[][] marginals) {
        int count = launch.count;
        long outFloats = launch.outFloats;
        long rollBytes = 12L * launch.rollLen * 8;
        long shared = rollBytes + 8L * launch.threads;
        boolean inShared = shared <= Math.max(DEFAULT_SHARED, device.sharedMemoryOptIn);
        try (DeviceBuffer dOut = new DeviceBuffer(4 * outFloats);
             DeviceBuffer dAlpha = new DeviceBuffer(8 * launch.cells);
             DeviceBuffer dLogZ = new DeviceBuffer(8L * count);
             DeviceBuffer dRoll = inShared ? null : new DeviceBuffer(rollBytes * count)) {
            // Band-layout padding slots are never written by the kernel: they must read 0.
            check(JCudaDriver.cuMemsetD8Async(dOut.ptr, (byte) 0, 4 * outFloats, stream), "cuMemsetD8Async(marginals)");
            int sharedBytes = (int) (inShared ? shared : 8L * launch.threads);
            if (sharedBytes > DEFAULT_SHARED) {
                check(JCudaDriver.cuFuncSetAttribute(forwardBackward,
                        CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes),
                        "cuFuncSetAttribute(banded_forward_backward shared memory)");
            }
            Pointer params = Pointer.to(dDesc.param(), dScores.param(), dOut.param(), dAlpha.param(), dLogZ.param(),
                    dRoll == null ? Pointer.to(new jcuda.driver.CUdeviceptr()) : dRoll.param());
            timedLaunch(forwardBackward, count, launch.threads, sharedBytes, params, "banded_forward_backward");
            dOut.download(staging.ptr, 4 * outFloats, stream);
            dLogZ.download(staging.ptr.withByteOffset(4 * outFloats), 8L * count, stream);
            check(JCudaDriver.cuStreamSynchronize(stream), "banded_forward_backward");
            ByteBuffer host = staging.buffer;
            host.clear();
            FloatBuffer fb = host.asFloatBuffer();
            for (int k = 0; k < count; k++) {
                marginals[k] = new float[launch.group.get(k).outFloats];
                fb.get(marginals[k]);
            }
            host.position((int) (4 * outFloats));
            DoubleBuffer db = host.slice().order(host.order()).asDoubleBuffer();
            double[] logZ = new double[count];
            db.get(logZ);
            return logZ;
        }
    }

    private ViterbiPath[] viterbi(LaunchLayout launch, DeviceBuffer dDesc, DeviceBuffer dScores) {
        int count = launch.count;
        long rollBytes = 3L * launch.rollLen * 8;
        boolean inShared = rollBytes + VITERBI_STATIC_SHARED <= Math.max(DEFAULT_SHARED, device.sharedMemoryOptIn);
        try (DeviceBuffer dBack = new DeviceBuffer(launch.cells);
             DeviceBuffer dBest = new DeviceBuffer(8L * count);
             DeviceBuffer dEnd = new DeviceBuffer(8L * count);
             DeviceBuffer dLen = new DeviceBuffer(4L * count);
             DeviceBuffer dPath = new DeviceBuffer(launch.pathBytes);
             DeviceBuffer dRoll = inShared ? null : new DeviceBuffer(rollBytes * count)) {
            int sharedBytes = (int) (inShared ? rollBytes : 0);
            if (sharedBytes + VITERBI_STATIC_SHARED > DEFAULT_SHARED) {
                check(JCudaDriver.cuFuncSetAttribute(viterbi,
                        CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes),
                        "cuFuncSetAttribute(banded_viterbi shared memory)");
            }
            Pointer params = Pointer.to(dDesc.param(), dScores.param(), dBack.param(), dBest.param(), dEnd.param(),
                    dLen.param(), dPath.param(), dRoll == null ? Pointer.to(new jcuda.driver.CUdeviceptr()) : dRoll.param());
            timedLaunch(viterbi, count, launch.threads, sharedBytes, params, "banded_viterbi");
            long o1 = 8L * count;
            long o2 = o1 + 8L * count;
            long o3 = o2 + 4L * count;
            dBest.download(staging.ptr, 8L * count, stream);
            dEnd.download(staging.ptr.withByteOffset(o1), 8L * count, stream);
            dLen.download(staging.ptr.withByteOffset(o2), 4L * count, stream);
            dPath.download(staging.ptr.withByteOffset(o3), launch.pathBytes, stream);
            check(JCudaDriver.cuStreamSynchronize(stream), "banded_viterbi");
            ByteBuffer host = staging.buffer.duplicate().order(staging.buffer.order());
            double[] best = new double[count];
            int[] end = new int[2 * count];
            int[] len = new int[count];
            byte[] path = new byte[(int) launch.pathBytes];
            host.clear();
            host.asDoubleBuffer().get(best);
            host.position((int) o1);
            IntBuffer ib = host.slice().order(host.order()).asIntBuffer();
            ib.get(end);
            ib.get(len);
            host.position((int) o3);
            host.get(path);
            return launch.paths(best, end, len, path);
        }
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
        JCudaDriver.cuEventDestroy(kernelStart);
        JCudaDriver.cuEventDestroy(kernelStop);
        JCudaDriver.cuStreamDestroy(stream);
    }
}
