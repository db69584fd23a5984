package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/** Device memory, freed by {@link #close()}; use in try-with-resources. */
final class DeviceBuffer implements AutoCloseable {
    final CUdeviceptr ptr = new CUdeviceptr();
    final long bytes;
    private boolean freed;

    DeviceBuffer(long bytes) {
        this.bytes = Math.max(bytes, 8);
        check(JCudaDriver.cuMemAlloc(ptr, this.bytes), "cuMemAlloc(" + this.bytes + " bytes)");
    }

    void upload(Pointer host, long length, CUstream stream) {
        check(JCudaDriver.cuMemcpyHtoDAsync(ptr, host, length, stream), "cuMemcpyHtoDAsync");
    }

    void download(Pointer host, long length, CUstream stream) {
        check(JCudaDriver.cuMemcpyDtoHAsync(host, ptr, length, stream), "cuMemcpyDtoHAsync");
    }

    /** A kernel parameter pointing at this buffer. */
    Pointer param() {
        return Pointer.to(ptr);
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            JCudaDriver.cuMemFree(ptr);
        }
    }
}
