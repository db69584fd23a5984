/**
 * The CUDA backend: the kernels of {@code src/main/cuda} (shipped as fatbins on the class path)
 * driven through JCuda's driver API. The only package that imports {@code jcuda.*}; everything
 * else reaches it through {@link org.bandalign.align.Aligner#cuda(int)} and
 * {@link org.bandalign.align.Aligner#auto()}.
 */
package org.bandalign.cuda;
