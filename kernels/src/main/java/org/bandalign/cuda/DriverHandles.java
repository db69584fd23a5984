package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import jcuda.driver.CUevent;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * Streams and events made through the driver. JCuda (12.0.0) copies its native handle into the
 * Java object even when the driver's call fails, and the driver leaves that handle unset, so
 * the object then holds whatever was on JCuda's stack: a handle is only ever kept once its call
 * succeeded, and destroying one that never was made (cleaning up after a failure half-way) is
 * a no-op rather than a call with garbage, which can crash the driver or hang it.
 */
final class DriverHandles {
    private DriverHandles() {
    }

    /** A new stream of the current context, or a {@link CudaException}. */
    static CUstream stream(int flags) {
        CUstream stream = new CUstream();
        check(JCudaDriver.cuStreamCreate(stream, flags), "cuStreamCreate");
        return stream;
    }

    /** A new event of the current context, or a {@link CudaException}. */
    static CUevent event(int flags) {
        CUevent event = new CUevent();
        check(JCudaDriver.cuEventCreate(event, flags), "cuEventCreate");
        return event;
    }

    /** Destroys {@code stream}, if it was made (null: never made). */
    static void destroy(CUstream stream) {
        if (stream != null) {
            JCudaDriver.cuStreamDestroy(stream);
        }
    }

    /** Destroys {@code event}, if it was made (null: never made). */
    static void destroy(CUevent event) {
        if (event != null) {
            JCudaDriver.cuEventDestroy(event);
        }
    }
}
