package org.bandalign.cuda;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;
import jcuda.driver.JCudaDriver;
import org.opentest4j.TestAbortedException;

/**
 * The CPU stand-in for the NVIDIA driver, {@code src/test/cuda-emulator/fake_libcuda.cpp}: a
 * {@code libcuda.so.1} that runs the project's real kernels on the CPU, so that JCuda and the
 * CUDA backend's host side run in tests without a GPU. For the kernel module's
 * {@code emulated-gpu} test run and the job's tests (through the test jar).
 *
 * <p>Two ways in: {@link #load()} puts it into this JVM before JCuda's own library, whose
 * dependency on {@code libcuda.so.1} the dynamic linker then resolves to it; for other JVMs
 * (Spark executors), put {@link #build()}'s folder on their library path
 * ({@code spark.executor.extraLibraryPath}) and set {@code BANDALIGN_FAKE_CUDA_DEVICES} in their
 * environment for more than one device.
 */
public final class FakeCudaDriver {
    /** System property: true runs this JVM's GPU tests on the stand-in driver. */
    public static final String PROPERTY = "bandalign.test.fakeDriver";

    private FakeCudaDriver() {
    }

    /** Whether this JVM's GPU tests are to run on the stand-in driver ({@value #PROPERTY}). */
    public static boolean requested() {
        return Boolean.getBoolean(PROPERTY);
    }

    /**
     * Builds {@code target/cuda-emulator/libcuda.so.1} once per JVM (g++, a few seconds) and
     * returns it; empty where g++ or the emulator sources are missing.
     */
    public static Optional<Path> build() {
        try {
            return Optional.of(KernelEmulator.buildFakeDriver());
        } catch (TestAbortedException missing) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** cuCtxSetLimit's "limit" that asks the stand-in for a kernel fault (see fake_libcuda.cpp). */
    private static final int FAULT_AFTER_LAUNCHES = 0x42410001;

    /**
     * Makes the {@code nth} kernel launch from now on (in this JVM, on any device) fail as it
     * runs, with the sticky {@code CUDA_ERROR_LAUNCH_FAILED} a real kernel fault leaves: every
     * later call fails too, until every primary context is released. Only with the stand-in loaded.
     */
    public static void failLaunch(int nth) {
        request(FAULT_AFTER_LAUNCHES, nth, "fault");
    }

    /** cuCtxSetLimit's "limit" that makes the stand-in refuse a device (see fake_libcuda.cpp). */
    private static final int DEVICE_UNAVAILABLE_REQUEST = 0x42410002;

    /**
     * Makes device {@code ordinal} refuse its primary context with
     * {@code CUDA_ERROR_DEVICE_UNAVAILABLE}, as a GPU in exclusive-process mode that another
     * process holds does, until {@link #makeAvailable()}. Only with the stand-in loaded; device
     * 0 stays the one that carries the request.
     */
    public static void makeUnavailable(int ordinal) {
        requestUnavailable(ordinal + 1);
    }

    /** cuCtxSetLimit's "limit" that sets the stand-in's driver version (see fake_libcuda.cpp). */
    private static final int DRIVER_VERSION_REQUEST = 0x42410003;

    /**
     * Makes the stand-in report driver version {@code version} (as {@code cuDriverGetVersion}
     * gives it, e.g. 12040; 13000 by default) and, below 13000, refuse kernel images built by
     * CUDA 13, as a CUDA 12 driver does. Only with the stand-in loaded.
     */
    public static void setDriverVersion(int version) {
        request(DRIVER_VERSION_REQUEST, version, "version");
    }

    /** cuCtxSetLimit's "limit" that sets the stand-in devices' compute capability (see fake_libcuda.cpp). */
    private static final int DEVICE_ARCH_REQUEST = 0x42410004;

    /**
     * Makes the stand-in's devices report compute capability {@code arch / 10}.{@code arch % 10}
     * (90 by default) and load only kernel images with code that runs there, as a GPU of that
     * generation does (70: a Volta). Only with the stand-in loaded.
     */
    public static void setDeviceArch(int arch) {
        request(DEVICE_ARCH_REQUEST, arch, "architecture");
    }

    /** cuCtxSetLimit's "limit" that adds to every kernel's static shared memory (see fake_libcuda.cpp). */
    private static final int STATIC_SHARED_REQUEST = 0x42410005;

    /**
     * Makes the stand-in report {@code bytes} more static shared memory for every kernel than
     * ptxas gives (0 by default), as a driver would that counts the 1 KB reserved section of
     * CUDA 13's sm_90 cubins; the opt-in limit and occupancy count it too. Every loaded
     * function reports it at once, so set it before opening an aligner (which reads it once)
     * and set it back to 0 after. Only with the stand-in loaded.
     */
    public static void addStaticShared(int bytes) {
        request(STATIC_SHARED_REQUEST, bytes, "static shared memory");
    }

    /** cuCtxSetLimit's first "limit" that makes a driver call fail (see fake_libcuda.cpp). */
    private static final int FAIL_CALL_REQUEST = 0x42410100;

    /** The driver calls {@link #failCall} can make fail, in fake_libcuda.cpp's order ({@code FailingCall}). */
    public enum Call {
        MEM_ALLOC, HOST_ALLOC, COPY_IN, COPY_OUT, LAUNCH, STREAM_CREATE, EVENT_CREATE, EVENT_SYNC
    }

    /**
     * Makes the {@code nth} call of kind {@code call} from now on (in this JVM, on any device) fail
     * with driver result {@code code} before doing anything, and with {@code everyAfter} each
     * later one too, until asked again ({@link #stopFailing}). A kernel fault's codes (700, 719)
     * also leave the context's sticky error. Only with the stand-in loaded.
     */
    public static void failCall(Call call, int nth, int code, boolean everyAfter) {
        if (nth < 1 || nth >= 1 << 19) {
            throw new IllegalArgumentException("nth must be 1 .. 2^19 - 1: " + nth);
        }
        request(FAIL_CALL_REQUEST + call.ordinal(), nth | (everyAfter ? 1L << 19 : 0) | (long) code << 20, "failing " + call);
    }

    /** Ends {@link #failCall} for {@code call}. */
    public static void stopFailing(Call call) {
        request(FAIL_CALL_REQUEST + call.ordinal(), 0, "failing " + call);
    }

    /** Ends {@link #makeUnavailable(int)}. */
    public static void makeAvailable() {
        requestUnavailable(0);
    }

    private static void requestUnavailable(int devicePlusOne) {
        request(DEVICE_UNAVAILABLE_REQUEST, devicePlusOne, "device");
    }

    /** cuCtxGetLimit's "limit" that asks the stand-in how many launches were asked for (see fake_libcuda.cpp). */
    private static final int LAUNCH_ATTEMPTS_QUERY = 0x42410006;

    /** Launches asked of the stand-in so far in this JVM, on any device, refused ones included. Only with the stand-in loaded. */
    public static long launchAttempts() {
        try (CudaDevice device = CudaDevice.open(0); CudaDevice.CallerContext caller = device.enter()) {
            long[] value = new long[1];
            CudaException.check(JCudaDriver.cuCtxGetLimit(value, LAUNCH_ATTEMPTS_QUERY),
                    "cuCtxGetLimit (the stand-in driver's launch count; is it loaded?)");
            return value[0];
        }
    }

    /** Sends the stand-in one of its requests: cuCtxSetLimit with a "limit" no real driver has, through device 0. */
    private static void request(int limit, long value, String what) {
        try (CudaDevice device = CudaDevice.open(0); CudaDevice.CallerContext caller = device.enter()) {
            CudaException.check(JCudaDriver.cuCtxSetLimit(limit, value),
                    "cuCtxSetLimit (the stand-in driver's " + what + " request; is it loaded?)");
        }
    }

    /**
     * Builds the stand-in and loads it into this JVM; must come before anything loads JCuda
     * here. Returns false (and loads nothing) where it cannot be built.
     */
    public static synchronized boolean load() {
        Optional<Path> library = build();
        library.ifPresent(p -> System.load(p.toString()));
        return library.isPresent();
    }
}
