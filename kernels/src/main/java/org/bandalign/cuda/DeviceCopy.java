package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;

/**
 * Measures copy bandwidths: device to device (the roofline of a memory-bound kernel) and pinned
 * host to device (the roofline of moving scores in and marginals out).
 */
final class DeviceCopy {
    private DeviceCopy() {
    }

    /** Bytes per second of {@code cuMemcpyDtoD} of {@code bytes}, best of {@code rounds}; counts read + write. */
    static double bandwidth(CudaDevice device, long bytes, int rounds) {
        device.makeCurrent();
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        check(JCudaDriver.cuEventCreate(start, 0), "cuEventCreate");
        check(JCudaDriver.cuEventCreate(stop, 0), "cuEventCreate");
        try (DeviceBuffer a = new DeviceBuffer(bytes); DeviceBuffer b = new DeviceBuffer(bytes)) {
            double best = 0;
            for (int r = 0; r < rounds; r++) {
                check(JCudaDriver.cuEventRecord(start, null), "cuEventRecord");
                check(JCudaDriver.cuMemcpyDtoD(b.ptr, a.ptr, bytes), "cuMemcpyDtoD");
                check(JCudaDriver.cuEventRecord(stop, null), "cuEventRecord");
                check(JCudaDriver.cuEventSynchronize(stop), "cuEventSynchronize");
                float[] ms = new float[1];
                check(JCudaDriver.cuEventElapsedTime(ms, start, stop), "cuEventElapsedTime");
                best = Math.max(best, 2.0 * bytes / (ms[0] / 1e3));
            }
            return best;
        } finally {
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(stop);
        }
    }

    /** Bytes per second of {@code cuMemcpyHtoD} from pinned memory, best of {@code rounds}. */
    static double hostToDevice(CudaDevice device, long bytes, int rounds) {
        device.makeCurrent();
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        check(JCudaDriver.cuEventCreate(start, 0), "cuEventCreate");
        check(JCudaDriver.cuEventCreate(stop, 0), "cuEventCreate");
        try (PinnedBuffer host = new PinnedBuffer(bytes); DeviceBuffer dev = new DeviceBuffer(bytes)) {
            double best = 0;
            for (int r = 0; r < rounds; r++) {
                check(JCudaDriver.cuEventRecord(start, null), "cuEventRecord");
                check(JCudaDriver.cuMemcpyHtoD(dev.ptr, host.ptr, bytes), "cuMemcpyHtoD");
                check(JCudaDriver.cuEventRecord(stop, null), "cuEventRecord");
                check(JCudaDriver.cuEventSynchronize(stop), "cuEventSynchronize");
                float[] ms = new float[1];
                check(JCudaDriver.cuEventElapsedTime(ms, start, stop), "cuEventElapsedTime");
                best = Math.max(best, bytes / (ms[0] / 1e3));
            }
            return best;
        } finally {
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(stop);
        }
    }
}
