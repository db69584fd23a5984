package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device and its primary context (the context the driver shares with every other
 * user of the device in this process). Spark reuses task threads, so every use makes the
 * context current first: the public methods through {@link #enter()}, which gives the caller's
 * thread its previous context back afterwards, the aligner's own threads with
 * {@link #makeCurrent()}.
 */
final class CudaDevice implements AutoCloseable {
    /**
     * Releases what an aligner or a {@link CudaBandedMatrix} left unclosed holds on its device
     * once the object is unreachable (its own {@code close()} does the same at once). The
     * cleaner's thread makes the device's context current itself.
     */
    static final java.lang.ref.Cleaner UNCLOSED = java.lang.ref.Cleaner.create(r -> {
        Thread t = new Thread(r, "bandalign-cuda-cleaner");
        t.setDaemon(true);
        return t;
    });
    private static Throwable driverFailure;
    private static boolean driverLoaded;

    final int ordinal;
    final CUdevice device = new CUdevice();
    final CUcontext context = new CUcontext();
    final String name;
    final long totalMemory;
    final int sharedMemoryOptIn;
    final int multiprocessors;
    private boolean closed;

    private CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        try {
            makeCurrent();
            this.name = deviceName(device);
            long[] total = new long[1];
            check(JCudaDriver.cuDeviceTotalMem(total, device), "cuDeviceTotalMem");
            this.totalMemory = total[0];
            int[] smem = new int[1];
            check(JCudaDriver.cuDeviceGetAttribute(smem, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, device),
                    "cuDeviceGetAttribute(shared memory opt-in)");
            this.sharedMemoryOptIn = smem[0];
            int[] sms = new int[1];
            check(JCudaDriver.cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device),
                    "cuDeviceGetAttribute(multiprocessor count)");
            this.multiprocessors = sms[0];
        } catch (RuntimeException e) {
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
            throw e;
        }
    }

    static String deviceName(CUdevice device) {
        byte[] nameBytes = new byte[256];
        check(JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
        return new String(nameBytes, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "");
    }

    /**
     * Opens device {@code ordinal}.
     *
     * @throws CudaUnavailableException when the driver does not load, no device exists, or the
     *                                  ordinal is out of range
     */
    static CudaDevice open(int ordinal) {
        int count = deviceCount();
        if (ordinal < 0 || ordinal >= count) {
            throw new CudaUnavailableException("no CUDA device " + ordinal + ": this machine has " + count
                    + " (valid ordinals 0.." + (count - 1) + "; CUDA_VISIBLE_DEVICES="
                    + System.getenv("CUDA_VISIBLE_DEVICES") + ")");
        }
        return new CudaDevice(ordinal);
    }

    /**
     * The sticky results of a kernel that faulted: every later call in that context returns one.
     * NVIDIA's driver documentation says that the process must then be ended and started again
     * to use CUDA (releasing every use of the primary context may or may not be enough).
     */
    private static final java.util.Set<Integer> STICKY = java.util.Set.of(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS,
            CUresult.CUDA_ERROR_LAUNCH_TIMEOUT, CUresult.CUDA_ERROR_ASSERT, CUresult.CUDA_ERROR_HARDWARE_STACK_ERROR,
            CUresult.CUDA_ERROR_ILLEGAL_INSTRUCTION, CUresult.CUDA_ERROR_MISALIGNED_ADDRESS,
            CUresult.CUDA_ERROR_INVALID_ADDRESS_SPACE, CUresult.CUDA_ERROR_INVALID_PC, CUresult.CUDA_ERROR_LAUNCH_FAILED);

    /**
     * Opens device {@code ordinal} and builds what uses it with {@code make}, closing the device
     * again if that fails. A driver call that fails on the way comes out as a
     * {@link CudaUnavailableException} (its cause the driver's error), which callers that may
     * fall back to the CPU catch: a device that cannot be opened is not used, whatever the reason
     * (before, a failure it did not know as "this device cannot be used here now", such as
     * CUDA_ERROR_UNKNOWN from cuStreamCreate, escaped {@code Aligner.auto()} instead of leaving it
     * the CPU; found by a library user's review).
     */
    static <T> T openFor(int ordinal, java.util.function.Function<CudaDevice, T> make) {
        deviceCount();   // (the driver loaded and initialised, or why not)
        CUcontext previous = current();
        try {
            CudaDevice device;
            try {
                device = open(ordinal);
            } catch (CudaException e) {
                throw unusable(ordinal, e);
            }
            try {
                return make.apply(device);
            } catch (CudaException e) {
                device.close();
                throw unusable(ordinal, e);
            } catch (RuntimeException | Error e) {
                device.close();
                throw e;
            }
        } finally {
            JCudaDriver.cuCtxSetCurrent(previous);   // the caller's thread as it was (best effort: a failure above wins)
        }
    }

    private static CudaUnavailableException unusable(int ordinal, CudaException e) {
        String hint = e.result == CUresult.CUDA_ERROR_DEVICE_UNAVAILABLE
                ? " (another process holds it and its compute mode is exclusive-process: see nvidia-smi)"
                : e.isOutOfMemory() ? " (its memory is taken: see nvidia-smi)"
                : STICKY.contains(e.result) ? " (a kernel fault earlier in this process left the device's context unusable;"
                        + " restart the process to use the device again)" : "";
        return new CudaUnavailableException("CUDA device " + ordinal + " cannot be used: " + e.getMessage() + hint, e);
    }

    /**
     * The number of CUDA devices.
     *
     * @throws CudaUnavailableException when the driver cannot be loaded or initialised, or there is no device
     */
    static synchronized int deviceCount() {
        loadDriver();
        int init = JCudaDriver.cuInit(0);
        if (init == CUresult.CUDA_ERROR_NO_DEVICE) {
            throw new CudaUnavailableException("no CUDA device: the NVIDIA driver loaded but reports no GPU "
                    + "(CUDA_VISIBLE_DEVICES=" + System.getenv("CUDA_VISIBLE_DEVICES") + ")");
        }
        if (init != CUresult.CUDA_SUCCESS) {
            throw new CudaUnavailableException("the NVIDIA driver failed to initialise: cuInit returned "
                    + CUresult.stringFor(init) + "; check the driver installation (nvidia-smi)");
        }
        int[] count = new int[1];
        check(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
        if (count[0] == 0) {
            throw new CudaUnavailableException("no CUDA device: the NVIDIA driver reports none");
        }
        return count[0];
    }

    private static void loadDriver() {
        if (driverLoaded) {
            return;
        }
        if (driverFailure == null) {
            try {
                JCudaNativeLibrary.prepare();
                JCudaDriver.setExceptionsEnabled(false);
                driverLoaded = true;
                return;
            } catch (LinkageError | CudaUnavailableException e) {
                driverFailure = e;
            }
        }
        throw new CudaUnavailableException(driverFailureMessage(driverFailure), driverFailure);
    }

    /** Where JCuda's error text gives the cause of its last attempt: loading the library it extracted. */
    private static final String RESOURCE_ATTEMPT = "Stack trace from the attempt to load the library as a resource:";

    /**
     * Why the driver cannot be used in this JVM, from what loading JCuda's library threw: the
     * NVIDIA driver's library missing, or JCuda's own not loadable (a {@code java.io.tmpdir}
     * mounted noexec, a file that cannot be replaced, its natives jar or its classes missing, another
     * platform): starting "no CUDA driver" where the NVIDIA driver is what is missing, else "CUDA
     * unavailable" (JCuda itself: the driver may well be there; a library user's review found
     * every case said "no CUDA driver").
     */
    static String driverFailureMessage(Throwable failure) {
        return driverFailureMessage(failure, System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    /** {@link #driverFailureMessage(Throwable)} on the platform {@code os}, {@code arch}. */
    static String driverFailureMessage(Throwable failure, String os, String arch) {
        if (failure instanceof CudaUnavailableException) {   // (JCuda's library file in tmpdir, which it cannot replace)
            return "CUDA unavailable: " + failure.getMessage();
        }
        String text = String.valueOf(failure.getMessage());
        java.util.List<String> lines = text.lines().toList();
        int at = lines.indexOf(RESOURCE_ATTEMPT);
        String cause = at >= 0 && at + 1 < lines.size()
                ? lines.get(at + 1).replaceFirst("^java\\.lang\\.UnsatisfiedLinkError: ", "")
                : lines.isEmpty() ? "" : lines.get(0);
        if (cause.contains("libcuda.so")) {
            return "no CUDA driver: JCuda could not load the NVIDIA driver library libcuda.so.1 (install the NVIDIA driver, "
                    + "or use the CPU backend): " + cause;
        }
        if (cause.contains("failed to map segment")) {
            return "CUDA unavailable: JCuda's native library could not be loaded from java.io.tmpdir ("
                    + System.getProperty("java.io.tmpdir") + "), which looks mounted noexec; start the JVM with "
                    + "-Djava.io.tmpdir set to a directory that allows executing (for executors: "
                    + "spark.executor.extraJavaOptions): " + cause;
        }
        if (cause.contains("No resource found")) {
            if (os.startsWith("Linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
                return "CUDA unavailable: JCuda's native library for Linux x86-64 is not on the class path: add the jar "
                        + "org.jcuda:jcuda-natives:" + jcuda.JCudaVersion.get() + ":linux-x86_64 (on the module path, JCuda "
                        + "cannot find it: put both JCuda jars on the class path instead): " + cause;
            }
            return "CUDA unavailable: JCuda " + jcuda.JCudaVersion.get() + " has no native library for this platform ("
                    + os + ", " + arch + "); the CUDA backend runs on Linux x86-64: " + cause;
        }
        if (failure instanceof NoClassDefFoundError && !text.startsWith("Could not initialize")) {
            return "CUDA unavailable: JCuda's classes are missing (" + text + "): the CUDA backend needs the jars "
                    + "org.jcuda:jcuda:12.0.0 and org.jcuda:jcuda-natives:12.0.0:linux-x86_64 on the class path";
        }
        return "CUDA unavailable: JCuda's native library could not be loaded: " + cause;
    }

    /**
     * System property: the most shared memory, in bytes, a block of the alignment kernels may
     * use for its rolling state, below the device's own limit; past it the state goes to global
     * memory. For tests (the CPU stand-in for the driver) and the GPU benchmark, which measure
     * that form on pairs of ordinary size.
     */
    static final String SHARED_LIMIT_PROPERTY = "bandalign.cuda.sharedLimit";

    /**
     * Shared memory a block of the alignment kernels may use: the device's opt-in limit (at
     * least the 48 KiB every device allows), or less under {@value #SHARED_LIMIT_PROPERTY}.
     */
    int kernelSharedLimit() {
        int own = Math.max(48 * 1024, sharedMemoryOptIn);
        return Math.min(own, Integer.getInteger(SHARED_LIMIT_PROPERTY, own));
    }

    /** Makes this device's primary context current on the calling thread. */
    void makeCurrent() {
        check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    /** What {@link #enter()} returns: closing it gives the caller's thread its context back. */
    interface CallerContext extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * For a call on a caller's thread (the public methods): makes this device's context current
     * and returns what restores the context that was current there before (none, or another
     * device's or library's), so that a caller mixing BandAlign with other CUDA code on its
     * threads finds them as it left them. The aligner's own threads just {@link #makeCurrent()}.
     */
    CallerContext enter() {
        CUcontext previous = new CUcontext();
        check(JCudaDriver.cuCtxGetCurrent(previous), "cuCtxGetCurrent");
        makeCurrent();
        // Giving the caller's context back cannot fail for a context the caller could use; if it
        // does (the caller's context was destroyed meanwhile), the call itself has succeeded
        // and ours stays current, as it did before this existed: not worth failing the call.
        return () -> JCudaDriver.cuCtxSetCurrent(previous);
    }

    /** The context current on the calling thread (a null pointer for none); for tests. */
    static CUcontext current() {
        CUcontext current = new CUcontext();
        check(JCudaDriver.cuCtxGetCurrent(current), "cuCtxGetCurrent");
        return current;
    }

    /** Free and total device memory, in bytes. */
    long[] memoryInfo() {
        long[] free = new long[1];
        long[] total = new long[1];
        makeCurrent();
        check(JCudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
        }
    }
}
