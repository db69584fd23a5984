/**
 * The CPU engine: the reference backend, always available, and fast enough to be the fallback
 * of the Spark job. {@link org.bandalign.cpu.CpuAligner} is created through
 * {@link org.bandalign.align.Aligner#cpu()}.
 */
package org.bandalign.cpu;
