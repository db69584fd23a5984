package org.bandalign.job;

/** Which engine the alignment tasks use (SPEC section 5, {@code --backend}). */
enum Backend {
    /** CUDA when the task holds a GPU (or, in local mode, device 0 exists) and the driver loads; else the CPU. */
    AUTO,
    /** CUDA only: a task that cannot get a device fails. */
    CUDA,
    /** The CPU engine only. */
    CPU
}
