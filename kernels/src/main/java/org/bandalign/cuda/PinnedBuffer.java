package org.bandalign.cuda;

import static org.bandalign.cuda.CudaException.check;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

/** Page-locked host memory for fast transfers, freed by {@link #close()}. */
final class PinnedBuffer implements AutoCloseable {
    final Pointer ptr = new Pointer();
    final long bytes;
    final ByteBuffer buffer;
    private boolean freed;

    PinnedBuffer(long bytes) {
        this.bytes = Math.max(bytes, 8);
        check(JCudaDriver.cuMemHostAlloc(ptr, this.bytes, 0), "cuMemHostAlloc(" + this.bytes + " bytes)");
        this.buffer = ptr.getByteBuffer(0, this.bytes).order(ByteOrder.nativeOrder());
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            JCudaDriver.cuMemFreeHost(ptr);
        }
    }
}
