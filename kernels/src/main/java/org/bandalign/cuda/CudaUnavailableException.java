package org.bandalign.cuda;

/**
 * No usable CUDA device: the message says what is missing (the NVIDIA driver's
 * {@code libcuda.so.1}, any device, or the requested ordinal) and what to do about it.
 */
public final class CudaUnavailableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * No usable device, for the reason {@code message} gives.
     *
     * @param message what is missing and what to do about it
     */
    public CudaUnavailableException(String message) {
        super(message);
    }

    /**
     * No usable device, for the reason {@code message} gives, found through {@code cause}.
     *
     * @param message what is missing and what to do about it
     * @param cause   the failure that showed it
     */
    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
