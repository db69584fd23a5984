package org.bandalign.cuda;

import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/** A CUDA driver call failed; carries the driver's result code and names the call. */
final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int result;
    private final String call;

    CudaException(String call, int result) {
        super(call + " failed: " + name(result) + " (" + result + ")");
        this.result = result;
        this.call = call;
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
