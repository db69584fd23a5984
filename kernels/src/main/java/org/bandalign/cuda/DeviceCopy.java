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
        try (DeviceBuffer a = new DeviceBuffer(bytes); DeviceBuffer b = new DeviceBuffer(bytes)) {
            return 2.0 * bytes / bestSeconds(rounds, () -> check(JCudaDriver.cuMemcpyDtoD(b.ptr, a.ptr, bytes), "cuMemcpyDtoD"));
        }
    }

    /** Bytes per second of {@code cuMemcpyHtoD} from pinned memory, best of {@code rounds}. */
    static double hostToDevice(CudaDevice device, long bytes, int rounds) {
        device.makeCurrent();
        try (PinnedBuffer host = new PinnedBuffer(bytes); DeviceBuffer dev = new DeviceBuffer(bytes)) {
            return bytes / bestSeconds(rounds, () -> check(JCudaDriver.cuMemcpyHtoD(dev.ptr, host.ptr, bytes), "cuMemcpyHtoD"));
        }
    }

    /** The shortest time of {@code rounds} runs of {@code copy}, in seconds, timed by events on the default stream. */
    private static double bestSeconds(int rounds, Runnable copy) {
        CUevent start = null;
        CUevent stop = null;
        try {
            start = DriverHandles.event(0);
            stop = DriverHandles.event(0);
            double best = Double.POSITIVE_INFINITY;
            for (int r = 0; r < rounds; r++) {
                check(JCudaDriver.cuEventRecord(start, null), "cuEventRecord");
                copy.run();
                check(JCudaDriver.cuEventRecord(stop, null), "cuEventRecord");
                check(JCudaDriver.cuEventSynchronize(stop), "cuEventSynchronize");
                float[] ms = new float[1];
                check(JCudaDriver.cuEventElapsedTime(ms, start, stop), "cuEventElapsedTime");
                best = Math.min(best, ms[0] / 1e3);
            }
            return best;
        } finally {
            DriverHandles.destroy(start);
            DriverHandles.destroy(stop);
        }
    }
}
