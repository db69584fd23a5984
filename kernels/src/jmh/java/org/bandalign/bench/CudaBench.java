package org.bandalign.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.bandalign.cuda.CudaAligner;

/**
 * GPU benchmark of the CUDA backend (a plain main, for a GPU machine without Maven):
 * G cells/s for (a) 4096 pairs of 200 x 200 dense, (b) 256 of 512 x 512 dense, (c) 256 of
 * 2048 x 2048 with band 64, each as kernel time and as {@code alignAll} end to end (host packing
 * and transfers included), next to the device-to-device copy bandwidth measured in the same run,
 * with the bytes each cell moves (about 52 in one block a pair; the split variant for few long
 * pairs moves about 80, so for it the fraction is of the 52-byte design) and the fraction of the
 * copy bandwidth reached.
 *
 * Each workload runs on the default aligner, then with other limits on threads per block and
 * with each forward-backward variant forced, so one GPU run shows which settings to ship.
 *
 * <p>Run: {@code bin/gpu-checks} prepares {@code .gpu/}; on the GPU machine
 * {@code bash .gpu/run-all.sh} (the CUDA tests, this, and the host-copy benchmark).
 */
public final class CudaBench {
    private static final double BYTES_PER_CELL = 52;

    private CudaBench() {
    }

    /**
     * Settings tried besides the default, kernel time only: other limits on threads per block,
     * and each forward-backward variant forced (the default picks one per launch).
     */
    private static final String[][] VARIANTS = {
        {"bandalign.cuda.threads", "fill"},
        {"bandalign.cuda.kernels", "cuda12"},   // the CUDA 12.4 build older drivers load (the same where the driver is older than R580)
        {"bandalign.cuda.maxThreads", "32"},
        {"bandalign.cuda.maxThreads", "64"},
        {"bandalign.cuda.maxThreads", "128"},
        {"bandalign.cuda.maxThreads", "512"},
        {"bandalign.cuda.prefetch", "always"},
        {"bandalign.cuda.prefetch", "never"},
        {"bandalign.cuda.split", "always"},
        {"bandalign.cuda.split", "never"},
        {"bandalign.cuda.regcap", "true"},
        {"bandalign.cuda.sharedLimit", "0"},   // every kernel's rolling state in global memory
        {"bandalign.cuda.balance", "false"},   // launches filled in turn (a small last one), not cut equal
    };

    /**
     * {@code --smoke}: the same steps on tiny workloads, to rehearse the run on the CPU stand-in
     * for the driver before a GPU is at hand ({@code bin/gpu-checks} does); its figures mean nothing.
     */
    public static void main(String[] args) {
        boolean smoke = List.of(args).contains("--smoke");
        int profile = List.of(args).indexOf("--profile");
        if (profile >= 0) {
            profileOnce(args.length > profile + 1 ? args[profile + 1] : "a", smoke);
            return;
        }
        long probeBytes = smoke ? 16L << 20 : 1L << 30;
        double copy;
        double h2d;
        // The devices as the driver lists them (compare the UUIDs with nvidia-smi -L above).
        System.out.println("CUDA driver " + org.bandalign.cuda.CudaDevices.driverVersion());
        org.bandalign.cuda.CudaDevices.list().forEach(d -> System.out.println("device " + d));
        holdContext();
        try (CudaAligner gpu = CudaAligner.open(0, 0)) {
            copy = gpu.copyBandwidth(probeBytes, 5);
            h2d = gpu.hostToDeviceBandwidth(probeBytes, 5);
            System.out.printf(Locale.ROOT, "device %s: copy bandwidth %.0f GB/s (read + write), pinned host-to-device "
                    + "%.1f GB/s, budget %.1f GB a launch%n", gpu.deviceName(), copy / 1e9, h2d / 1e9, gpu.budgetBytes() / 1e9);
            System.out.println("kernels " + gpu.kernelImage());
            System.out.print(gpu.kernelResources());
        }
        // Every workload on the defaults first, then each other setting: if the run is cut
        // short, the figures that matter most are already out.
        String[] names = {"a: 4096 x 200x200 dense", "b: 256 x 512x512 dense", "c: 256 x 2048x2048 band 64",
            "e: 64 x 1024x1024 dense"};   // e: the reference point for too few blocks for 132 SMs
        List<List<Pair>> workloads = smoke
                ? List.of(pairs(24, 20, -1), pairs(4, 40, -1), pairs(4, 96, 8), pairs(2, 64, -1))
                : List.of(pairs(4096, 200, -1), pairs(256, 512, -1), pairs(256, 2048, 64), pairs(64, 1024, -1));
        if (smoke) {
            for (int w = 0; w < names.length; w++) {
                names[w] = "smoke sizes, " + names[w].substring(0, 1);
            }
        }
        AlignOptions defaults = AlignOptions.defaults();
        for (int w = 0; w < names.length; w++) {
            measureOnAFreshAligner(names[w] + " [default]", workloads.get(w), defaults, copy, h2d);
        }
        try (CudaAligner gpu = CudaAligner.open(0, 0)) {
            jobBatches(gpu, workloads.get(0), smoke ? 5 : 100, h2d);
        } catch (RuntimeException e) {
            failed("a in job-sized calls [default]", e);
        }
        // Viterbi: alone (max) and with forward-backward (both), on (a) and (b), local mode too.
        for (int w = 0; w < 2; w++) {
            for (Semiring semiring : new Semiring[] {Semiring.MAX, Semiring.BOTH}) {
                for (Mode mode : Mode.values()) {
                    measureOnAFreshAligner(names[w] + " [" + semiring.name().toLowerCase(Locale.ROOT) + ", "
                                    + mode.name().toLowerCase(Locale.ROOT) + "]", workloads.get(w),
                            AlignOptions.builder().semiring(semiring).mode(mode).build(), copy, h2d);
                }
            }
        }
        for (String[] v : VARIANTS) {
            System.setProperty(v[0], v[1]);
            try {
                for (int w = 0; w < names.length; w++) {
                    measureOnAFreshAligner(names[w] + " [" + v[0].substring("bandalign.cuda.".length()) + "=" + v[1] + "]",
                            workloads.get(w), defaults, copy, h2d);
                }
            } finally {
                System.clearProperty(v[0]);
            }
        }
        System.out.println(failures == 0 ? "every row's results were right" : failures + " rows FAILED");
        System.exit(failures == 0 ? 0 : 1);
    }

    /**
     * {@code --profile a|c}: one {@code alignAll} call of workload (a) or (c) on the defaults,
     * and its cells, for a profiler (NVIDIA's {@code ncu}, which {@code .gpu/run-all.sh} runs
     * this under) to measure what the kernels read and write in device memory: its bytes over
     * these cells are the bytes a cell moves, measured rather than designed.
     */
    private static void profileOnce(String workload, boolean smoke) {
        List<Pair> pairs = switch (workload) {
            case "a" -> smoke ? pairs(24, 20, -1) : pairs(4096, 200, -1);
            case "c" -> smoke ? pairs(4, 96, 8) : pairs(256, 2048, 64);
            default -> throw new IllegalArgumentException("--profile takes a or c, not " + workload);
        };
        try (CudaAligner gpu = CudaAligner.open(0, 0)) {
            List<AlignmentResult> rs = gpu.alignAll(pairs, AlignOptions.defaults());
            String check = check(pairs, rs, AlignOptions.defaults());
            System.out.printf(Locale.ROOT, "profiled %s: %d pairs, %d cells, launches by kernels %s, results %s%n", workload,
                    pairs.size(), rs.stream().mapToLong(AlignmentResult::cells).sum(), gpu.launchesByKernels(), check);
        }
    }

    /** Rows whose results were wrong or whose run failed; the exit status says whether there were any. */
    private static int failures;

    /** One row and its launches line; a failure is printed as the row and the run goes on (the GPU's time is scarce). */
    private static void measureOnAFreshAligner(String name, List<Pair> pairs, AlignOptions opts, double copy, double h2d) {
        try (CudaAligner gpu = CudaAligner.open(0, 0)) {
            measure(gpu, name, pairs, opts, copy, h2d);
            System.out.printf(Locale.ROOT, "%-48s launches by kernels: %s%n", "", gpu.launchesByKernels());
        } catch (RuntimeException e) {
            failed(name, e);
        }
    }

    /**
     * Held open between the rows, each of which opens an aligner of its own (the variants are
     * read when one opens): it keeps the device's primary context alive between them, so that
     * closing one does not destroy the context for the next to create again (on a large GPU
     * that takes long, and the GPU's time is scarce). Null where it could not be opened (the
     * rows then run without it, as they did before it).
     */
    private static org.bandalign.cuda.CudaBandedMatrix contextKeeper;

    private static void holdContext() {
        try {
            contextKeeper = org.bandalign.cuda.CudaBandedMatrix.open(0);
        } catch (RuntimeException e) {
            System.out.println("(the primary context is not held between rows: " + e + ")");
        }
    }

    /**
     * A row that failed: counted and printed, and the context let go and taken again, since a
     * kernel fault leaves the context unusable until every user has closed it; the rows after
     * it then start on a fresh one.
     */
    private static void failed(String row, RuntimeException e) {
        failures++;
        System.out.printf(Locale.ROOT, "%-48s FAILED: %s%n", row, e);
        if (contextKeeper != null) {
            try {
                contextKeeper.close();
            } catch (RuntimeException closing) {   // (a context that faulted may refuse even that)
            }
            contextKeeper = null;
        }
        holdContext();
    }

    /**
     * Whether the GPU's results hold up: every result valid, and the first and last pair as the
     * CPU engine computes them (log Z to 1e-6 relative and marginals to 1e-4, as the contract
     * tests; the Viterbi score to 1e-6 relative and the same path), so that each row of figures
     * also says its variant computes the right thing.
     */
    private static String check(List<Pair> pairs, List<AlignmentResult> got, AlignOptions opts) {
        for (AlignmentResult r : got) {
            if (!r.isValid()) {
                return "INVALID: " + r.error().getMessage();
            }
        }
        try (Aligner cpu = Aligner.cpu()) {
            for (int k : new int[] {0, pairs.size() - 1}) {
                AlignmentResult want = cpu.align(pairs.get(k), opts);
                AlignmentResult have = got.get(k);
                if (want.hasLogPartition()) {
                    if (!close(want.logPartition(), have.logPartition())) {
                        return "MISMATCH: pair " + k + " log Z " + have.logPartition() + ", CPU " + want.logPartition();
                    }
                    float[] a = want.marginalsKeptDense() ? want.marginalsDense() : want.marginalsBand();
                    float[] b = have.marginalsKeptDense() ? have.marginalsDense() : have.marginalsBand();
                    for (int q = 0; q < a.length; q++) {
                        if (!(Math.abs(a[q] - b[q]) <= 1e-4)) {
                            return "MISMATCH: pair " + k + " marginal " + q + " = " + b[q] + ", CPU " + a[q];
                        }
                    }
                }
                if (want.hasViterbi()) {
                    if (!close(want.viterbiScore(), have.viterbiScore()) || !want.viterbiCigar().equals(have.viterbiCigar())) {
                        return "MISMATCH: pair " + k + " Viterbi " + have.viterbiScore() + " " + have.viterbiCigar() + ", CPU "
                                + want.viterbiScore() + " " + want.viterbiCigar();
                    }
                }
            }
        }
        return "ok";
    }

    private static boolean close(double want, double have) {
        return Math.abs(want - have) <= 1e-6 * Math.max(1, Math.abs(want));
    }

    /**
     * The Spark job's shape: alignAll calls of {@code perCall} pairs one after another (the
     * job's default batch, spark.bandalign.batch.cells = 4e6, is 100 pairs of 200 x 200), end to
     * end, so the fixed cost of a call shows next to the large calls above.
     */
    private static void jobBatches(CudaAligner gpu, List<Pair> pairs, int perCall, double h2d) {
        AlignOptions opts = AlignOptions.defaults();
        gpu.alignAll(pairs.subList(0, perCall), opts);   // warm up
        double best = 0;
        long cells = 0;
        long pcieBytes = pcieBytes(pairs, opts);
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            cells = 0;
            for (int from = 0; from < pairs.size(); from += perCall) {
                for (AlignmentResult r : gpu.alignAll(pairs.subList(from, Math.min(pairs.size(), from + perCall)), opts)) {
                    cells += r.cells();
                }
            }
            best = Math.max(best, cells / ((System.nanoTime() - t0) / 1e9));
        }
        System.out.printf(Locale.ROOT, "%-48s alignAll end to end %7.2f G cells/s = %3.0f%% of what pinned PCIe allows "
                        + "(%d calls of %d pairs, one after another)%n", "a in job-sized calls [default]", best / 1e9,
                100 * (pcieBytes / h2d) / (cells / best), (pairs.size() + perCall - 1) / perCall, perCall);
    }

    /**
     * Bytes over PCIe for {@code pairs}: scores in and, with the log semiring, marginals (same
     * layout and size) out (a Viterbi path is a few bytes a pair).
     */
    private static long pcieBytes(List<Pair> pairs, AlignOptions opts) {
        long bytes = 0;
        for (Pair p : pairs) {
            bytes += 4L * p.scores().length * (opts.semiring().computesLog() ? 2 : 1);
        }
        return bytes;
    }

    private static List<Pair> pairs(int count, int len, int band) {
        List<Pair> pairs = new ArrayList<>(count);
        SplittableRandom rnd = new SplittableRandom(count * 31L + len);
        int lo = band < 0 ? -(len - 1) : -band;
        int hi = band < 0 ? len - 1 : band;
        int w = hi - lo + 1;
        for (int k = 0; k < count; k++) {
            float[] s = new float[len * (band < 0 ? len : w) * 3];
            for (int q = 0; q < s.length; q++) {
                s[q] = (float) (rnd.nextDouble() * 2 - 1);
            }
            pairs.add(band < 0 ? Pair.dense("p" + k, len, len, s) : Pair.band("p" + k, len, len, lo, hi, s));
        }
        return pairs;
    }

    /** Consecutive slices of at most {@code bytes} of scores (one pair at least). */
    private static List<List<Pair>> slices(List<Pair> pairs, long bytes) {
        List<List<Pair>> out = new ArrayList<>();
        int from = 0;
        long size = 0;
        for (int k = 0; k < pairs.size(); k++) {
            long b = 4L * pairs.get(k).scores().length;
            if (k > from && size + b > bytes) {
                out.add(pairs.subList(from, k));
                from = k;
                size = 0;
            }
            size += b;
        }
        out.add(pairs.subList(from, pairs.size()));
        return out;
    }

    private static void measure(CudaAligner gpu, String name, List<Pair> pairs, AlignOptions opts, double copy, double h2d) {
        int count = pairs.size();
        gpu.alignAll(pairs.subList(0, Math.min(count, 16)), opts);   // warm up: module, JIT, staging
        double bestKernel = 0;
        double bestEnd = 0;
        long cells = 0;
        long pcieBytes = pcieBytes(pairs, opts);
        String check = "";
        for (int round = 0; round < 3; round++) {
            // End to end: the whole list in one call (launches overlap, two in flight).
            long t0 = System.nanoTime();
            List<AlignmentResult> rs = gpu.alignAll(pairs, opts);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (round == 0) {
                check = check(pairs, rs, opts);
                if (!check.equals("ok")) {
                    failures++;   // still timed: the figures may tell where it goes wrong
                    check = "FAILED " + check;
                }
            }
            cells = rs.stream().mapToLong(AlignmentResult::cells).sum();
            bestEnd = Math.max(bestEnd, cells / seconds);
            // Kernel: slices of one launch each, one after another, so no two kernels' timing
            // intervals overlap and their sum is the time the kernels took.
            double k0 = gpu.kernelMillis();
            for (List<Pair> slice : slices(pairs, 480L << 20)) {   // within one launch's 512 MB staging
                gpu.alignAll(slice, opts);
            }
            double kernelSeconds = (gpu.kernelMillis() - k0) / 1e3;
            bestKernel = Math.max(bestKernel, cells / kernelSeconds);
        }
        double pcieSeconds = pcieBytes / h2d;
        double endSeconds = cells / bestEnd;
        System.out.printf(Locale.ROOT, "%-48s kernel %7.2f G cells/s (%4.0f%% of copy bandwidth at %.0f B/cell)  "
                        + "alignAll end to end %7.2f G cells/s = %3.0f%% of what pinned PCIe allows for its %.2f GB  (%d cells, "
                        + "results %s)%n",
                name, bestKernel / 1e9, 100 * bestKernel * BYTES_PER_CELL / copy, BYTES_PER_CELL, bestEnd / 1e9,
                100 * pcieSeconds / endSeconds, pcieBytes / 1e9, cells, check);
    }
}
