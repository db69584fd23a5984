package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Mode;
import org.bandalign.align.PairChecks;
import org.bandalign.align.ViterbiPath;

/**
 * One launch of {@code banded_align.cu} over a group of pairs: packs their scores and
 * descriptors into pinned memory, copies them to the device, runs {@code banded_forward_backward}
 * and/or {@code banded_viterbi} (one block per pair), and copies the marginals, log Z and paths
 * back. Device buffers live for one launch; the pinned staging buffers are reused.
 * Not thread-safe: {@link CudaAligner} serialises launches.
 */
final class BandedAlignKernels {
    /** 64-bit fields per pair descriptor; matches DESC_FIELDS in banded_align.cu. */
    static final int DESC_FIELDS = 14;
    private static final int D_N = 0;
    private static final int D_M = 1;
    private static final int D_DIAG_LO = 2;
    private static final int D_DIAG_HI = 3;
    private static final int D_S_ROW = 4;
    private static final int D_S_OFF = 5;
    private static final int D_S_BASE = 6;
    private static final int D_O_ROW = 7;
    private static final int D_O_OFF = 8;
    private static final int D_O_BASE = 9;
    private static final int D_CELL_BASE = 10;
    private static final int D_LOCAL = 11;
    private static final int D_ROLL_LEN = 12;
    private static final int D_PATH_BASE = 13;
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
        this.forwardBackward = module.function("banded_forward_backward");
        this.viterbi = module.function("banded_viterbi");
        check(JCudaDriver.cuStreamCreate(stream, 0), "cuStreamCreate");
        check(JCudaDriver.cuEventCreate(kernelStart, 0), "cuEventCreate");
        check(JCudaDriver.cuEventCreate(kernelStop, 0), "cuEventCreate");
    }

    /** Total kernel time so far, in milliseconds (CUDA events around each launch). */
    double kernelMillis() {
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
        kernelMillis += ms[0];
    }

    /** Aligns a group of checked pairs in one launch; results in the group's order. */
    List<AlignmentResult> run(List<PreparedPair> group, AlignOptions options) {
        device.makeCurrent();
        int count = group.size();
        int widest = 0;
        long scoreFloats = 0;
        long outFloats = 0;
        long cells = 0;
        long pathBytes = 0;
        for (PreparedPair p : group) {
            widest = Math.max(widest, p.maxRows);
            scoreFloats += p.pair.scores().length;
            outFloats += p.outFloats;
            cells += p.cells;
            pathBytes += p.geometry.n() + p.geometry.m();
        }
        int rollLen = widest + 4;
        int threads = Math.min(256, Math.max(32, Integer.highestOneBit(Math.max(1, widest - 1)) << 1));
        long[] desc = new long[count * DESC_FIELDS];
        long sBase = 0;
        long oBase = 0;
        long cellBase = 0;
        long pathBase = 0;
        for (int k = 0; k < count; k++) {
            PreparedPair p = group.get(k);
            BandGeometry g = p.geometry;
            int q = k * DESC_FIELDS;
            desc[q + D_N] = g.n();
            desc[q + D_M] = g.m();
            desc[q + D_DIAG_LO] = g.diagLo();
            desc[q + D_DIAG_HI] = g.diagHi();
            if (p.pair.isBandLayout()) {
                desc[q + D_S_ROW] = (p.pair.diagHi() - p.pair.diagLo() + 1) - 2;
                desc[q + D_S_OFF] = -p.pair.diagLo();
            } else {
                desc[q + D_S_ROW] = g.m() - 1;
                desc[q + D_S_OFF] = 0;
            }
            desc[q + D_S_BASE] = sBase;
            desc[q + D_O_ROW] = g.isDense() ? g.m() - 1 : g.width() - 2;
            desc[q + D_O_OFF] = g.isDense() ? 0 : -g.diagLo();
            desc[q + D_O_BASE] = oBase;
            desc[q + D_CELL_BASE] = cellBase;
            desc[q + D_LOCAL] = options.mode() == Mode.LOCAL ? 1 : 0;
            desc[q + D_ROLL_LEN] = rollLen;
            desc[q + D_PATH_BASE] = pathBase;
            sBase += p.pair.scores().length;
            oBase += p.outFloats;
            cellBase += p.cells;
            pathBase += g.n() + g.m();
        }

        boolean log = options.semiring().computesLog();
        boolean max = options.semiring().computesMax();
        long hostBytes = Math.max(4 * scoreFloats, (log ? 4 * outFloats : 0) + 8L * count)
                + 8L * desc.length + pathBytes + 32L * count;
        ByteBuffer host = staging(hostBytes);

        try (DeviceBuffer dDesc = new DeviceBuffer(8L * desc.length);
             DeviceBuffer dScores = new DeviceBuffer(4 * scoreFloats)) {
            host.clear();
            host.asLongBuffer().put(desc);
            dDesc.upload(staging.ptr, 8L * desc.length, stream);
            check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
            FloatBuffer fb = host.asFloatBuffer();
            for (PreparedPair p : group) {
                fb.put(p.pair.scores());
            }
            dScores.upload(staging.ptr, 4 * scoreFloats, stream);
            check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");

            double[] logZ = null;
            float[][] marginals = new float[count][];
            if (log) {
                logZ = forwardBackward(group, dDesc, dScores, outFloats, cells, rollLen, threads, marginals);
            }
            ViterbiPath[] paths = max ? viterbi(group, dDesc, dScores, cells, pathBytes, rollLen, threads) : null;

            List<AlignmentResult> results = new ArrayList<>(count);
            for (int k = 0; k < count; k++) {
                PreparedPair p = group.get(k);
                try {
                    results.add(result(p, options, logZ == null ? Double.NaN : logZ[k], marginals[k],
                            paths == null ? null : paths[k]));
                } catch (InvalidPairException e) {
                    results.add(AlignmentResult.failed(e));
                }
            }
            return results;
        }
    }

    private double[] forwardBackward(List<PreparedPair> group, DeviceBuffer dDesc, DeviceBuffer dScores, long outFloats,
                                     long cells, int rollLen, int threads, float[][] marginals) {
        int count = group.size();
        long rollBytes = 12L * rollLen * 8;
        long shared = rollBytes + 8L * threads;
        boolean inShared = shared <= Math.max(DEFAULT_SHARED, device.sharedMemoryOptIn);
        try (DeviceBuffer dOut = new DeviceBuffer(4 * outFloats);
             DeviceBuffer dAlpha = new DeviceBuffer(8 * cells);
             DeviceBuffer dLogZ = new DeviceBuffer(8L * count);
             DeviceBuffer dRoll = inShared ? null : new DeviceBuffer(rollBytes * count)) {
            int sharedBytes = (int) (inShared ? shared : 8L * threads);
            if (sharedBytes > DEFAULT_SHARED) {
                check(JCudaDriver.cuFuncSetAttribute(forwardBackward,
                        CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes),
                        "cuFuncSetAttribute(banded_forward_backward shared memory)");
            }
            Pointer params = Pointer.to(dDesc.param(), dScores.param(), dOut.param(), dAlpha.param(), dLogZ.param(),
                    dRoll == null ? Pointer.to(new jcuda.driver.CUdeviceptr()) : dRoll.param());
            timedLaunch(forwardBackward, count, threads, sharedBytes, params, "banded_forward_backward");
            dOut.download(staging.ptr, 4 * outFloats, stream);
            dLogZ.download(staging.ptr.withByteOffset(4 * outFloats), 8L * count, stream);
            check(JCudaDriver.cuStreamSynchronize(stream), "banded_forward_backward");
            ByteBuffer host = staging.buffer;
            host.clear();
            FloatBuffer fb = host.asFloatBuffer();
            for (int k = 0; k < count; k++) {
                marginals[k] = new float[group.get(k).outFloats];
                fb.get(marginals[k]);
            }
            host.position((int) (4 * outFloats));
            DoubleBuffer db = host.slice().order(host.order()).asDoubleBuffer();
            double[] logZ = new double[count];
            db.get(logZ);
            return logZ;
        }
    }

    private ViterbiPath[] viterbi(List<PreparedPair> group, DeviceBuffer dDesc, DeviceBuffer dScores, long cells,
                                  long pathBytes, int rollLen, int threads) {
        int count = group.size();
        long rollBytes = 3L * rollLen * 8;
        boolean inShared = rollBytes + VITERBI_STATIC_SHARED <= Math.max(DEFAULT_SHARED, device.sharedMemoryOptIn);
        try (DeviceBuffer dBack = new DeviceBuffer(cells);
             DeviceBuffer dBest = new DeviceBuffer(8L * count);
             DeviceBuffer dEnd = new DeviceBuffer(8L * count);
             DeviceBuffer dLen = new DeviceBuffer(4L * count);
             DeviceBuffer dPath = new DeviceBuffer(pathBytes);
             DeviceBuffer dRoll = inShared ? null : new DeviceBuffer(rollBytes * count)) {
            int sharedBytes = (int) (inShared ? rollBytes : 0);
            if (sharedBytes + VITERBI_STATIC_SHARED > DEFAULT_SHARED) {
                check(JCudaDriver.cuFuncSetAttribute(viterbi,
                        CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes),
                        "cuFuncSetAttribute(banded_viterbi shared memory)");
            }
            Pointer params = Pointer.to(dDesc.param(), dScores.param(), dBack.param(), dBest.param(), dEnd.param(),
                    dLen.param(), dPath.param(), dRoll == null ? Pointer.to(new jcuda.driver.CUdeviceptr()) : dRoll.param());
            timedLaunch(viterbi, count, threads, sharedBytes, params, "banded_viterbi");
            long o1 = 8L * count;
            long o2 = o1 + 8L * count;
            long o3 = o2 + 4L * count;
            dBest.download(staging.ptr, 8L * count, stream);
            dEnd.download(staging.ptr.withByteOffset(o1), 8L * count, stream);
            dLen.download(staging.ptr.withByteOffset(o2), 4L * count, stream);
            dPath.download(staging.ptr.withByteOffset(o3), pathBytes, stream);
            check(JCudaDriver.cuStreamSynchronize(stream), "banded_viterbi");
            ByteBuffer host = staging.buffer.duplicate().order(staging.buffer.order());
            double[] best = new double[count];
            int[] end = new int[2 * count];
            int[] len = new int[count];
            host.clear();
            host.asDoubleBuffer().get(best);
            host.position((int) o1);
            IntBuffer ib = host.slice().order(host.order()).asIntBuffer();
            ib.get(end);
            ib.get(len);
            ViterbiPath[] paths = new ViterbiPath[count];
            long pathAt = o3;
            for (int k = 0; k < count; k++) {
                BandGeometry g = group.get(k).geometry;
                byte[] steps = new byte[Math.max(0, len[k])];
                host.position((int) pathAt);
                host.get(steps);
                pathAt += g.n() + g.m();
                paths[k] = path(best[k], end[2 * k], end[2 * k + 1], steps);
            }
            return paths;
        }
    }

    /** A path from the kernel's steps, stored from the end cell back to the start. */
    private static ViterbiPath path(double score, int endI, int endJ, byte[] steps) {
        if (score == Double.NEGATIVE_INFINITY || steps.length == 0) {
            return null;
        }
        int i = endI;
        int j = endJ;
        StringBuilder cigar = new StringBuilder();
        int k = steps.length - 1;
        while (k >= 0) {
            char op = (char) steps[k];
            int run = 0;
            while (k >= 0 && steps[k] == op) {
                run++;
                k--;
            }
            cigar.append(run).append(op);
        }
        for (int s = 0; s < steps.length - 1; s++) {
            switch ((char) steps[s]) {
                case 'M': i--; j--; break;
                case 'I': i--; break;
                default: j--; break;
            }
        }
        return new ViterbiPath(score, cigar.toString(), i, j, endI, endJ);
    }

    private static AlignmentResult result(PreparedPair p, AlignOptions options, double logZ, float[] marginals, ViterbiPath path) {
        boolean log = options.semiring().computesLog();
        boolean max = options.semiring().computesMax();
        if (log && logZ == Double.NEGATIVE_INFINITY || max && path == null) {
            throw PairChecks.noFinitePath(p.pair, p.geometry, options.mode());
        }
        float[] out = marginals;
        if (!log) {
            out = new float[p.outFloats];
            float[] o = out;
            BandGeometry g = p.geometry;
            path.forEachStep((i, j, k) -> o[(g.isDense() ? (i * g.m() + j) * 3 : g.bandIndex(i, j)) + k] = 1f);
        }
        return AlignmentResult.of(p.pair.id(), options.mode(), options.semiring(), p.geometry, logZ, out, path);
    }

    private ByteBuffer staging(long bytes) {
        if (staging == null || staging.bytes < bytes) {
            if (staging != null) {
                staging.close();
            }
            if (bytes > Integer.MAX_VALUE) {
                throw new CudaException("staging buffer of " + bytes + " bytes", jcuda.driver.CUresult.CUDA_ERROR_OUT_OF_MEMORY);
            }
            staging = new PinnedBuffer(Math.max(bytes, 1 << 20));
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
