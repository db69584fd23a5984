package org.bandalign.job;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.Pair;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench-engine}: the engine's own {@code alignAll} rate on the same kind of pairs the job
 * benchmark generates (no Spark, no Parquet), so that bin/bench-job can put the job beside the
 * engine in one run. The JMH benchmark (bin/bench-cpu) is the careful measurement.
 */
@Command(name = "bench-engine", mixinStandardHelpOptions = true,
        description = "Time the CPU engine's alignAll on generated pairs (global, log semiring).")
public final class BenchEngineCommand implements Callable<Integer> {
    @Option(names = "--pairs", defaultValue = "256", description = "Pairs a round (default: ${DEFAULT-VALUE}).") int pairs;
    @Option(names = "--len", defaultValue = "200", description = "n and m of every pair (default: ${DEFAULT-VALUE}).") int len;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random scores (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds; the best is reported (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--threads", defaultValue = "0", description = "0: all cores") int threads;

    @Override
    public Integer call() {
        List<Pair> batch = new ArrayList<>();
        for (int k = 0; k < pairs; k++) {
            GeneratedRow r = PairGenerator.shaped(seed, k, "pair-" + k, len, len);
            batch.add(Pair.dense(r.getId(), len, len, r.getScores()));
        }
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        double best = 0;
        try (Aligner aligner = Aligner.cpu(t)) {
            for (int round = 0; round < rounds; round++) {
                long start = System.nanoTime();
                List<AlignmentResult> rs = aligner.alignAll(batch, AlignOptions.defaults());
                double seconds = (System.nanoTime() - start) / 1e9;
                long cells = rs.stream().mapToLong(AlignmentResult::cells).sum();
                best = Math.max(best, cells / seconds);
                System.out.printf(java.util.Locale.ROOT, "round %d: %.1f M cells/s%n", round, cells / seconds / 1e6);
            }
        }
        System.out.printf(java.util.Locale.ROOT, "engine: best %.1f M cells/s on %d threads (%d pairs of %d x %d)%n",
                best / 1e6, t, pairs, len, len);
        return 0;
    }
}
