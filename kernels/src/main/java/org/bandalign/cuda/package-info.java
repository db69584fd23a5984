/**
 * The CUDA backend: the kernels of {@code src/main/cuda} (shipped as fatbins on the class path)
 * driven through JCuda's driver API. The only package that imports {@code jcuda.*}; the
 * alignment engine is reached through {@link org.bandalign.align.Aligner#cuda(int)} and
 * {@link org.bandalign.align.Aligner#auto()}.
 *
 * <p>For users: {@link org.bandalign.cuda.CudaDevices} (the devices the driver shows),
 * {@link org.bandalign.cuda.CudaBandedMatrix} (BandedMatrix products on a GPU) and
 * {@link org.bandalign.cuda.CudaUnavailableException}. The rest is public only for the Spark job
 * and the benchmarks ({@code CudaAligner}'s {@code open}, its timings, kernel counts and
 * budget) and may change.
 */
package org.bandalign.cuda;
