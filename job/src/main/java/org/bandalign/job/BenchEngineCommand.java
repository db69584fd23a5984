package org.bandalign.job;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench-engine}: the engine's own {@code alignAll} rate on the same kind of pairs the job
 * benchmark generates (no Spark, no Parquet), so that bin/bench-job can put the job beside the
 * engine in one run, and so that anyone with the launcher can see what the CPU engine does on
 * their machine for a pair size, mode and semiring. The JMH benchmark (bin/bench-cpu) is the
 * careful measurement.
 */
@Command(name = "bench-engine", mixinStandardHelpOptions = true,
        description = "Time the CPU engine's alignAll on generated pairs.")
final class BenchEngineCommand implements Callable<Integer> {
    @Option(names = "--pairs", defaultValue = "256", description = "Pairs a round (default: ${DEFAULT-VALUE}).") int pairs;
    @Option(names = "--len", defaultValue = "200", description = "n and m of every pair (default: ${DEFAULT-VALUE}).") int len;
    @Option(names = "--mode", defaultValue = "global", paramLabel = "global|local", description = "Alignment mode (default: ${DEFAULT-VALUE}).")
    String mode;
    @Option(names = "--semiring", defaultValue = "log", paramLabel = "log|max|both", description = "log: marginals; max: Viterbi; both (default: ${DEFAULT-VALUE}).")
    String semiring;
    @Option(names = "--band", paramLabel = "W", description = "Band half-width w >= 0 (default: none).") Integer band;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random scores (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds; the best is reported (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--threads", defaultValue = "0", description = "Worker threads; 0: all cores (default: ${DEFAULT-VALUE}).") int threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (pairs < 1 || len < 1 || rounds < 1 || threads < 0) {
            throw UserError.badFlag("--pairs, --len and --rounds must be >= 1 and --threads >= 0");
        }
        if (3L * len * len > ParquetScores.MAX_ARRAY) {
            throw UserError.badFlag("--len " + len + " gives pairs of " + 3L * len * len
                    + " scores, more than one Java array holds");
        }
        if (band != null && band < 0) {
            throw UserError.badFlag("--band must be >= 0, got " + band);
        }
        AlignOptions.Builder builder = AlignOptions.builder()
                .mode(AlignCommand.parse(Mode.class, mode, "--mode"))
                .semiring(AlignCommand.parse(Semiring.class, semiring, "--semiring"));
        if (band != null) {
            builder.band(band);
        }
        AlignOptions options = builder.build();
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        long heapNeeded = heapNeeded(pairs, len, t, options);
        long heap = Runtime.getRuntime().maxMemory();
        if (heapNeeded > heap) {
            throw new UserError(tooLarge(heapNeeded, heap));
        }
        try {
            return run(options, t);
        } catch (OutOfMemoryError e) {   // the estimate was short of what this JVM's collector needs
            throw new IllegalStateException("ran out of memory: " + tooLarge(heapNeeded, heap), e);
        }
    }

    /**
     * The heap a run holds at its peak: every pair's scores and its result's marginals, 12 bytes
     * a cell each (the marginals in the pair's own dense layout, banded or not), and each worker
     * thread's work on its pair's band cells (the forward weights, local mode's alpha and
     * Viterbi's back-pointers: 33 bytes a cell).
     */
    static long heapNeeded(int pairs, int len, int threads, AlignOptions options) {
        long dense = (long) len * len;
        long band = org.bandalign.align.BandGeometry.of(len, len, -(len - 1), len - 1, options).cells();
        return pairs * dense * 24 + Math.min(threads, pairs) * band * 33;
    }

    private String tooLarge(long heapNeeded, long heap) {
        long suggestGiB = (long) Math.ceil(1.5 * heapNeeded / (1L << 30));   // the old generation holds the pairs: 2/3 of the heap
        return String.format(Locale.ROOT, "--pairs %d of %d x %d hold about %.1f GB of heap (scores and marginals, 24 bytes a cell,"
                + " and each thread's work), more than this JVM's %d MiB: give fewer --pairs or a smaller --len, or more heap"
                + " (BANDALIGN_JAVA_OPTS=-Xmx%dg)", pairs, len, len, heapNeeded / 1e9, heap >> 20, Math.max(1, suggestGiB));
    }

    private int run(AlignOptions options, int t) {
        List<Pair> batch = new ArrayList<>();
        for (int k = 0; k < pairs; k++) {
            GeneratedRow r = PairGenerator.shaped(seed, k, "pair-" + k, len, len);
            batch.add(Pair.dense(r.getId(), len, len, r.getScores()));
        }
        PrintWriter out = spec.commandLine().getOut();
        double best = 0;
        try (Aligner aligner = Aligner.cpu(t)) {
            for (int round = 0; round < rounds; round++) {
                long start = System.nanoTime();
                List<AlignmentResult> rs = aligner.alignAll(batch, options);
                double seconds = (System.nanoTime() - start) / 1e9;
                long cells = 0;
                for (AlignmentResult r : rs) {
                    if (!r.isValid()) {
                        throw new IllegalStateException("bench-engine: " + r.error().getMessage());
                    }
                    cells += r.cells();
                }
                best = Math.max(best, cells / seconds);
                out.printf(Locale.ROOT, "round %d: %.1f M cells/s%n", round, cells / seconds / 1e6);
            }
        }
        out.printf(Locale.ROOT, "engine: best %.1f M cells/s on %d threads (%d pairs of %d x %d, %s, %s%s)%n",
                best / 1e6, t, pairs, len, len, options.mode().name().toLowerCase(Locale.ROOT),
                options.semiring().name().toLowerCase(Locale.ROOT), band == null ? "" : ", band " + band);
        out.flush();
        return 0;
    }
}
