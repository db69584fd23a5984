package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import org.bandalign.banded.BandedMatrix;

/**
 * {@link BandedMatrix} products on the GPU ({@code banded_matrix.cu}): the same results as
 * {@link BandedMatrix#multiply}, {@link BandedMatrix#multiplyLog} and
 * {@link BandedMatrix#multiplyMax}, for large batches, of operands whose {@code lu} and
 * {@code ld} are both at least 0 (others are refused: pad or shift them first on the CPU).
 * Thread-safe (calls are serialised).
 *
 * <pre>{@code
 * try (CudaBandedMatrix gpu = CudaBandedMatrix.open(0)) {
 *     BandedMatrix z = gpu.multiplyLog(x, y);   // Y^T X in the log semiring
 * }
 * }</pre>
 */
public final class CudaBandedMatrix implements AutoCloseable {
    private static final int STANDARD = 0;
    private static final int LOG = 1;
    private static final int MAX = 2;
    private static final int THREADS = 256;

    private final CudaDevice device;
    final KernelModule module;
    private final CUfunction multiply;
    private final CUstream stream;
    private final long retainedStaging = BandedAlignKernels.retainedStaging();
    /** What it holds on the device and in pinned memory: released by close(), or once this is unreachable. */
    private final Held held;
    private final java.lang.ref.Cleaner.Cleanable release;
    private boolean closed;
    /** The failure that left the device context unusable (later calls would only echo it), or null. */
    private String broken;

    private CudaBandedMatrix(CudaDevice device) {
        this.device = device;
        device.makeCurrent();
        this.module = new KernelModule("banded_matrix");
        try {
            this.multiply = module.function("banded_multiply");
            this.stream = DriverHandles.stream(CUstream_flags.CU_STREAM_NON_BLOCKING);
        } catch (RuntimeException e) {   // (the caller releases the device)
            module.close();
            throw e;
        }
        this.held = new Held(device, module, stream);
        this.release = CudaDevice.UNCLOSED.register(this, held);
    }

    /**
     * The device's context, module, stream and pinned staging, released once; it must not refer
     * to the CudaBandedMatrix (the cleaner would never see that unreachable).
     */
    private static final class Held implements Runnable {
        private final CudaDevice device;
        private final KernelModule module;
        private final CUstream stream;
        /**
         * Pinned staging, reused and grown as needed (pinning is slow); one grown past what the
         * aligner's launches keep ({@code bandalign.cuda.retainedStaging}, 512 MB) is given back
         * after its call, as pinned memory counts against the process's container.
         */
        private PinnedBuffer host;

        Held(CudaDevice device, KernelModule module, CUstream stream) {
            this.device = device;
            this.module = module;
            this.stream = stream;
        }

        @Override
        public void run() {
            try (CudaDevice.CallerContext caller = device.enter()) {
                if (host != null) {
                    host.close();
                }
                DriverHandles.destroy(stream);
                module.close();
            } finally {
                device.close();   // the primary context's reference goes back whatever failed above
            }
        }
    }

    /**
     * Opens device {@code ordinal}.
     *
     * @param ordinal the CUDA device ordinal
     * @return the products on that device; close it to release the device
     * @throws CudaUnavailableException when the driver, a device or that ordinal is missing, or
     *         the device cannot be used (held by another process, out of memory)
     */
    public static CudaBandedMatrix open(int ordinal) {
        return CudaDevice.openFor(ordinal, CudaBandedMatrix::new);
    }

    /**
     * {@code x.multiply(y)}: {@code Y^T X}, sum-product; fill 0.
     *
     * @param x the left operand, {@code lu, ld >= 0}
     * @param y the right operand, of the same batch and size, {@code lu, ld >= 0}
     * @return the product, a new matrix with {@code lu = x.lu + y.ld}, {@code ld = x.ld + y.lu}
     * @throws IllegalArgumentException where the operands differ in batch or size, a band is negative,
     *                                  or the operands or result are larger than one pinned staging buffer
     * @throws IllegalStateException    when this is closed, or unusable after a failure on the device
     */
    public BandedMatrix multiply(BandedMatrix x, BandedMatrix y) {
        return run(x, y, STANDARD, 0f);
    }

    /**
     * {@code x.multiplyLog(y)}: log-sum-exp product; fill -inf.
     *
     * @param x the left operand, {@code lu, ld >= 0}
     * @param y the right operand, of the same batch and size, {@code lu, ld >= 0}
     * @return the product, a new matrix with the band of {@link #multiply}
     * @throws IllegalArgumentException as {@link #multiply}
     */
    public BandedMatrix multiplyLog(BandedMatrix x, BandedMatrix y) {
        return run(x, y, LOG, Float.NEGATIVE_INFINITY);
    }

    /**
     * {@code x.multiplyMax(y)}: max-plus product; fill -inf.
     *
     * @param x the left operand, {@code lu, ld >= 0}
     * @param y the right operand, of the same batch and size, {@code lu, ld >= 0}
     * @return the product, a new matrix with the band of {@link #multiply}
     * @throws IllegalArgumentException as {@link #multiply}
     */
    public BandedMatrix multiplyMax(BandedMatrix x, BandedMatrix y) {
        return run(x, y, MAX, Float.NEGATIVE_INFINITY);
    }

    private synchronized BandedMatrix run(BandedMatrix x, BandedMatrix y, int semiring, float fill) {
        String operation = semiring == STANDARD ? "multiply" : semiring == LOG ? "multiplyLog" : "multiplyMax";
        java.util.Objects.requireNonNull(x, operation + ": x must not be null");
        java.util.Objects.requireNonNull(y, operation + ": y must not be null");
        if (closed) {
            throw new IllegalStateException("CudaBandedMatrix for device " + device.ordinal + " is closed");
        }
        if (broken != null) {
            throw new IllegalStateException("CudaBandedMatrix for device " + device.ordinal + " is unusable after: " + broken);
        }
        try (CudaDevice.CallerContext caller = device.enter()) {
            return runHere(operation, x, y, semiring, fill);
        } catch (CudaException e) {
            if (!e.isOutOfMemory()) {
                broken = e.getMessage();   // as the aligner: a fault leaves the context unusable (sticky error)
            }
            throw e;
        } finally {
            java.lang.ref.Reference.reachabilityFence(this);   // not cleaned (CudaDevice.UNCLOSED) while it runs
        }
    }

    private BandedMatrix runHere(String operation, BandedMatrix x, BandedMatrix y, int semiring, float fill) {
        if (x.n() != y.n() || x.batch() != y.batch()) {
            throw new IllegalArgumentException(operation + ": operands differ: x is " + x.batch() + " x " + x.n() + ", y is "
                    + y.batch() + " x " + y.n());
        }
        if (x.lu() < 0 || x.ld() < 0 || y.lu() < 0 || y.ld() < 0) {
            throw new IllegalArgumentException(operation + ": x has lu = " + x.lu() + ", ld = " + x.ld() + " and y lu = " + y.lu()
                    + ", ld = " + y.ld() + "; the GPU products need lu, ld >= 0 (a band that leaves out the main diagonal): "
                    + "take this product on the CPU, with BandedMatrix's own " + operation);
        }
        int lu = x.lu() + y.ld();
        int ld = x.ld() + y.lu();
        long slots = (long) x.batch() * x.n() * (lu + ld + 1);
        if (slots > BandedAlignKernels.MAX_STAGING / 4) {
            throw new IllegalArgumentException("result of " + slots + " slots is more than one array holds");
        }
        float[] xd = x.data();
        float[] yd = y.data();
        if (4L * ((long) xd.length + yd.length) > BandedAlignKernels.MAX_STAGING) {
            throw new IllegalArgumentException("operands of " + xd.length + " + " + yd.length
                    + " slots are more than one pinned staging buffer holds");
        }
        float[] z = new float[0];
        device.makeCurrent();
        long stagingBytes = 4L * Math.max(slots, (long) xd.length + yd.length);
        if (held.host == null || held.host.bytes < stagingBytes) {
            PinnedBuffer bigger = new PinnedBuffer(stagingBytes);
            if (held.host != null) {
                held.host.close();
            }
            held.host = bigger;
        }
        PinnedBuffer host = held.host;
        try (DeviceBuffer dx = new DeviceBuffer(4L * xd.length);
             DeviceBuffer dy = new DeviceBuffer(4L * yd.length);
             DeviceBuffer dz = new DeviceBuffer(4L * slots)) {
            // x and y side by side in pinned memory, copied in by several threads; z comes back
            // through the same buffer after the kernel (stream order).
            HostCopy copy = HostCopy.shared();
            copy.pack(new float[][] {xd, yd}, 0, 2, host.buffer, 0);
            try {
                dx.upload(host.ptr, 4L * xd.length, stream);
                dy.upload(host.ptr.withByteOffset(4L * xd.length), 4L * yd.length, stream);
                if (slots > 0) {
                    Pointer params = Pointer.to(dx.param(), dy.param(), dz.param(),
                            Pointer.to(new int[] {x.batch()}), Pointer.to(new int[] {x.n()}),
                            Pointer.to(new int[] {x.lu()}), Pointer.to(new int[] {x.ld()}),
                            Pointer.to(new int[] {y.lu()}), Pointer.to(new int[] {y.ld()}),
                            Pointer.to(new int[] {semiring}));
                    int blocks = (int) ((slots + THREADS - 1) / THREADS);
                    check(JCudaDriver.cuLaunchKernel(multiply, blocks, 1, 1, THREADS, 1, 1, 0, stream, params, null),
                            "cuLaunchKernel(banded_multiply)");
                    dz.download(host.ptr, 4L * slots, stream);
                }
                check(JCudaDriver.cuStreamSynchronize(stream), "banded_multiply");
            } finally {
                JCudaDriver.cuStreamSynchronize(stream);   // nothing queued may outlive the buffers
            }
            if (slots > 0) {
                float[][] out = new float[1][];
                copy.unpack(host.buffer, 0, new int[] {(int) slots}, 0, 1, out);
                z = out[0];
            }
        } finally {
            if (host.bytes > retainedStaging) {
                host.close();
                held.host = null;
            }
        }
        return BandedMatrix.fromData(z, x.batch(), x.n(), lu, ld, semiring == STANDARD ? 0f : fill);
    }

    /** Pinned staging bytes held between calls. */
    synchronized long pinnedStagingBytes() {
        return held.host == null ? 0 : held.host.bytes;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            release.clean();
        }
    }
}
