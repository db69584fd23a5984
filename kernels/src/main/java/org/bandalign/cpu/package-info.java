/**
 * The CPU engine: the reference backend, always available, and fast enough to be the fallback
 * of the Spark job. {@link org.bandalign.cpu.CpuAligner} is created through
 * {@link org.bandalign.align.Aligner#cpu()} (its public constructor, like the rest of this
 * package, is there for the job and the benchmarks, and may change).
 */
package org.bandalign.cpu;
