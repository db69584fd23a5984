package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;

/** Measures device-to-device copy bandwidth, the roofline of a memory-bound kernel. */
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
}
