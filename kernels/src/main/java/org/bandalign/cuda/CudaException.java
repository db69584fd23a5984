package org.bandalign.cuda;

import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * A CUDA driver call failed while a CUDA aligner or banded-matrix product ran: a kernel fault,
 * a device lost or reset, a launch the driver refused, or memory the device or host could not
 * give even to a single pair. The message names the call, the driver's error and where it
 * happened; {@link #driverResult()} is the driver's code ({@code jcuda.driver.CUresult}).
 * A device that cannot be opened at all is a {@link CudaUnavailableException} instead.
 */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The driver's result code. */
    final int result;
    /** The driver call that failed, as named in the message. */
    private final String call;

    CudaException(String call, int result) {
        this(call + " failed: " + name(result) + " (" + result + ")", call, result);
    }

    private CudaException(String message, String call, int result) {
        super(message);
        this.result = result;
        this.call = call;
    }

    /** {@return the CUDA driver's result code of the failed call} (a {@code jcuda.driver.CUresult} constant) */
    public int driverResult() {
        return result;
    }

    /** The same failure, its message followed by {@code where} (the device, the pairs). */
    CudaException at(String where) {
        CudaException placed = new CudaException(getMessage() + " " + where, call, result);
        placed.initCause(this);   // (the stack of the call that failed)
        return placed;
    }

    /** Whether the driver could not pin host memory ({@code cuMemHostAlloc}), rather than allocate device memory. */
    boolean isPinnedHostMemory() {
        return call.startsWith("cuMemHostAlloc");
    }

    /** The driver call that failed, as named in the message (with the kernels for a launch). */
    String call() {
        return call;
    }

    /**
     * The same failure, said to have happened while {@code kernels} ran: a fault in a kernel
     * surfaces at whichever later call (a copy, an event, a synchronisation) first reports it.
     */
    CudaException whileRunning(String kernels) {
        return call.startsWith(kernels) ? this : new CudaException(kernels + " (reported by " + call + ")", result);
    }

    boolean isOutOfMemory() {
        return result == CUresult.CUDA_ERROR_OUT_OF_MEMORY;
    }

    /**
     * Whether the driver refused a kernel launch as it was asked for (more registers or shared
     * memory than a block may have, or an argument out of range): nothing of that kernel ran,
     * and unlike a kernel fault the context stays usable for other launches.
     */
    boolean isLaunchRefused() {
        return (result == CUresult.CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES || result == CUresult.CUDA_ERROR_INVALID_VALUE)
                && call.contains("cuLaunchKernel(");
    }

    /** Throws unless {@code result} is CUDA_SUCCESS. */
    static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaException(call, result);
        }
    }

    private static String name(int result) {
        String[] name = new String[1];
        return JCudaDriver.cuGetErrorName(result, name) == CUresult.CUDA_SUCCESS && name[0] != null
                ? name[0] : CUresult.stringFor(result);
    }
}
