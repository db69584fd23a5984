package org.bandalign.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Throughput of {@link Aligner#alignAll} on the CPU engine: by default global mode, log semiring
 * (log-partition and step marginals by forward-backward); {@code semiring} (log, max, both) and
 * {@code mode} (global, local) measure Viterbi and local mode too, e.g.
 * {@code bin/bench-cpu -p workload=dense200 -p threads=1 -p semiring=log,max,both -p mode=global,local}.
 *
 * <p>Each invocation aligns one whole batch. Besides invocations per second, JMH reports the
 * {@code cells} counter ({@link CellCounter}) as a rate: band cells aligned per second, the figure
 * to compare across workloads and against the C peer.
 *
 * <p>Workloads ({@code workload} parameter); scores uniform in [-1, 1) from a seeded
 * {@link Random}, a different tensor for every pair:
 * <ul>
 *   <li>{@code dense200}: 256 pairs of 200 x 200, dense scores, no band (40,000 cells a pair);</li>
 *   <li>{@code band2048w32}: 64 pairs of 2048 x 2048, band half-width 32. The scores are given in
 *       band layout (diagonals [-32, 32], 65 slots a row) rather than dense, so the batch holds
 *       100 MB of scores instead of 3.2 GB; the cells aligned are the same (the band's 2048 * 65 -
 *       32 * 33 = 132,064 cells a pair).</li>
 *   <li>{@code dense200forbid}: dense200 with one step score in ten set to -inf (forbidden
 *       steps), so that some of a cell's terms vanish at random;</li>
 *   <li>{@code dense1500}: 8 pairs of 1500 x 1500, dense (2.25 M cells and 27 MB of scores a
 *       pair): large pairs, whose scores, marginals and stored forward weights are far larger
 *       than the caches, against dense200's, which nearly fit.</li>
 * </ul>
 * {@code threads}: the aligner's worker threads, {@code 0} meaning
 * {@link Runtime#availableProcessors()}.
 *
 * <p>Run it (builds, runs, compares with the C peer, JSON into bench-results/):
 * <pre>
 * bin/bench-cpu                 # full run
 * bin/bench-cpu -wi 1 -i 2      # quick run; any JMH arguments pass through
 * </pre>
 * or by hand, from the repository root:
 * <pre>
 * mvn -B -q -Pbench -pl kernels -am -DskipTests package
 * mvn -B -q -Pbench -pl kernels dependency:build-classpath -Dmdep.outputFile=/tmp/jmh.cp
 * java -cp "kernels/target/bench/classes:$(cat /tmp/jmh.cp)" org.openjdk.jmh.Main AlignAllBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx4g"})
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
public class AlignAllBenchmark {

    /** Seed of the score generator; fixed so every run aligns the same batch. */
    static final long SEED = 20240601L;

    @Param({"dense200", "band2048w32", "dense1500", "dense200forbid"})
    public String workload;

    /** Worker threads of the aligner; 0 = every available core. */
    @Param({"0", "1"})
    public int threads;

    /** log, max or both (SPEC section 1's semirings). */
    @Param({"log"})
    public String semiring;

    /** global or local. */
    @Param({"global"})
    public String mode;

    private Aligner aligner;
    private AlignOptions options;
    private List<Pair> pairs;

    /** Band cells aligned, reported by JMH as a rate (cells/s) next to the invocation rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class CellCounter {
        /** Band cells aligned in this iteration. */
        public long cells;

        @Setup(Level.Iteration)
        public void reset() {
            cells = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        Random random = new Random(SEED);
        AlignOptions.Builder opts = AlignOptions.builder().mode(Mode.valueOf(mode.toUpperCase(java.util.Locale.ROOT)))
                .semiring(Semiring.valueOf(semiring.toUpperCase(java.util.Locale.ROOT)));
        switch (workload) {
            case "dense200":
                pairs = densePairs(random, 256, 200, 200, 0);
                break;
            case "dense200forbid":
                pairs = densePairs(random, 256, 200, 200, 0.1);
                break;
            case "dense1500":
                pairs = densePairs(random, 8, 1500, 1500, 0);
                break;
            case "band2048w32":
                pairs = bandPairs(random, 64, 2048, 2048, 32);
                opts.band(32);
                break;
            default:
                throw new IllegalArgumentException("unknown workload '" + workload + "'");
        }
        options = opts.build();
        int workers = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        aligner = Aligner.cpu(workers);

        // One untimed pass: fail loudly rather than measure pairs the engine rejects.
        for (AlignmentResult r : aligner.alignAll(pairs, options)) {
            if (!r.isValid()) {
                throw new IllegalStateException("workload " + workload + ": " + r.error().getMessage());
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (aligner != null) {
            aligner.close();
            aligner = null;
        }
    }

    @Benchmark
    public void alignAll(CellCounter counter, Blackhole bh) {
        List<AlignmentResult> results = aligner.alignAll(pairs, options);
        long cells = 0;
        for (AlignmentResult r : results) {
            cells += r.cells();
            bh.consume(options.semiring().computesLog() ? r.logPartition() : r.viterbiScore());
        }
        bh.consume(results);
        counter.cells += cells;
    }

    /**
     * {@code count} dense pairs of uniform scores, each -inf (forbidden) with probability
     * {@code forbidden}, except in the first and the last cell, which every global path takes.
     */
    private static List<Pair> densePairs(Random random, int count, int n, int m, double forbidden) {
        List<Pair> out = new ArrayList<>(count);
        for (int p = 0; p < count; p++) {
            float[] s = uniform(random, n * m * 3);
            for (int k = 3; forbidden > 0 && k < s.length - 3; k++) {   // the first and last cells keep their steps
                if (random.nextDouble() < forbidden) {
                    s[k] = Float.NEGATIVE_INFINITY;
                }
            }
            out.add(Pair.dense("dense-" + p, n, m, s));
        }
        return out;
    }

    private static List<Pair> bandPairs(Random random, int count, int n, int m, int w) {
        int diagLo = Math.min(0, m - n) - w;
        int diagHi = Math.max(0, m - n) + w;
        int width = diagHi - diagLo + 1;
        List<Pair> out = new ArrayList<>(count);
        for (int p = 0; p < count; p++) {
            out.add(Pair.band("band-" + p, n, m, diagLo, diagHi, uniform(random, n * width * 3)));
        }
        return out;
    }

    private static float[] uniform(Random random, int length) {
        float[] s = new float[length];
        for (int k = 0; k < length; k++) {
            s[k] = random.nextFloat() * 2f - 1f;
        }
        return s;
    }
}
