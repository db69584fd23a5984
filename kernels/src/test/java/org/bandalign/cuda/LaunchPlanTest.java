package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.junit.jupiter.api.Test;

/**
 * How the CUDA backend cuts a call into launches and a launch into transfer chunks, without a
 * GPU: every pair lands in exactly one launch and one chunk, in order; launches respect the
 * device budget and the staging cap; the staging buffer holds both what goes up and what comes
 * back, with nothing overlapping.
 */
class LaunchPlanTest {
    private static List<PreparedPair> pairs(SplittableRandom rnd, int count, AlignOptions options) {
        List<PreparedPair> out = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            int n = 1 + rnd.nextInt(300);
            int m = 1 + rnd.nextInt(300);
            Pair p = Pair.dense("p" + k, n, m, new float[n * m * 3]);
            out.add(new PreparedPair(k, p, BandGeometry.of(p, options)));
        }
        return out;
    }

    /**
     * The fill policy against the occupancy of an H100 or H200 SM (65536 registers, 72 a
     * thread allocated in warps, at most 32 blocks and 2048 threads; the shared memory each
     * block needs given as a number of blocks), where 4096 pairs of 200 x 200 take 224 threads
     * under the widest policy: 4 resident blocks, 28 warps an SM.
     */
    @Test
    void fillThreads_keepsTheWidestPolicysResidentWarpsWithFewerAWarp() {
        java.util.function.IntUnaryOperator h200 = t -> Math.min(Math.min(65536 / (72 * t), 32), Math.min(2048 / t, 11));
        assertEquals(4, h200.applyAsInt(224));
        assertEquals(128, BandedAlignKernels.fillThreads(4096, 224, 132, h200), "7 blocks of 4 warps: 28, as 4 of 7");
        // few pairs: any block smaller than the widest would hold fewer warps on the SMs
        assertEquals(224, BandedAlignKernels.fillThreads(132, 224, 132, h200), "one block an SM: keep 7 warps");
        assertEquals(256, BandedAlignKernels.fillThreads(256, 256, 132, t -> 3), "2 blocks an SM, 8 warps: keep them");
        // registers no object: one warp a block gives as many warps as the widest
        assertEquals(32, BandedAlignKernels.fillThreads(100_000, 256, 132, t -> 2048 / t));
        assertEquals(32, BandedAlignKernels.fillThreads(0, 32, 132, t -> 1), "a one-warp launch stays one warp");
        assertEquals(96, BandedAlignKernels.fillThreads(1000, 96, 2, t -> 0), "nothing launchable: the widest");
    }

    @Test
    void groups_coverEveryPairOnceInOrder_withinBudgetAndStagingCap() {
        SplittableRandom rnd = new SplittableRandom(8);
        AlignOptions options = AlignOptions.builder().semiring(Semiring.BOTH).build();
        List<PreparedPair> ready = pairs(rnd, 400, options);
        for (long budget : new long[] {1, 3_000_000, 50_000_000, Long.MAX_VALUE}) {
            for (long cap : new long[] {1, 2_000_000, CudaAligner.GROUP_STAGING}) {
                List<List<PreparedPair>> groups = CudaAligner.groups(ready, options, budget, cap, Integer.MAX_VALUE);
                int next = 0;
                for (List<PreparedPair> g : groups) {
                    assertTrue(!g.isEmpty());
                    long device = 0;
                    long host = 0;
                    for (PreparedPair p : g) {
                        assertEquals(next++, p.index, "pairs in order, each once");
                        device += p.deviceBytes(options);
                        host += p.hostBytes(options);
                    }
                    if (g.size() > 1) {
                        assertTrue(device <= budget, "budget " + budget);
                        assertTrue(host <= cap, "staging cap " + cap);
                    }
                    LaunchLayout layout = new LaunchLayout(g, options);
                    assertTrue(layout.stagingBytes <= host, "staging " + layout.stagingBytes + " within the pairs' host bytes " + host);
                }
                assertEquals(ready.size(), next);
            }
        }
        // Without a device budget to speak of, the staging cap alone cuts a call into launches.
        assertTrue(CudaAligner.groups(ready, options, Long.MAX_VALUE, 2_000_000, Integer.MAX_VALUE).size() > 10);
        assertEquals(1, CudaAligner.groups(ready, options, Long.MAX_VALUE, CudaAligner.GROUP_STAGING, Integer.MAX_VALUE).size());
    }

    /**
     * A call larger than one launch is cut into launches of equal size, not filled to the limit
     * with a small one left over: the staging limit that held 1117 pairs of 200 x 200 cut 4096
     * of them into 1117, 1117, 1117 and 745, each launch ending in a wave of blocks that keeps
     * few SMs busy. (Here pairs of 20 x 20 under a limit of 1117 of them: the same cut.)
     */
    @Test
    void groups_moreThanOneLaunch_cutsThemEqual() {
        AlignOptions options = AlignOptions.builder().semiring(Semiring.LOG).build();
        List<PreparedPair> ready = new ArrayList<>();
        for (int k = 0; k < 4096; k++) {
            Pair p = Pair.dense("p" + k, 20, 20, new float[20 * 20 * 3]);
            ready.add(new PreparedPair(k, p, BandGeometry.of(p, options)));
        }
        long cap = 1117 * ready.get(0).hostBytes(options);
        List<Integer> sizes = CudaAligner.groups(ready, options, Long.MAX_VALUE, cap, Integer.MAX_VALUE).stream().map(List::size).toList();
        assertEquals(List.of(1024, 1024, 1024, 1024), sizes);
        assertEquals(List.of(1117, 1117, 1117, 745), CudaAligner.fill(ready, options, Long.MAX_VALUE, cap, Integer.MAX_VALUE)
                .stream().map(List::size).toList(), "each filled in turn (-Dbandalign.cuda.balance=false)");
        long budget = 1117 * ready.get(0).deviceBytes(options) + CudaAligner.LAUNCH_SLACK;
        sizes = CudaAligner.groups(ready, options, budget, Long.MAX_VALUE, Integer.MAX_VALUE).stream().map(List::size).toList();
        assertEquals(4, sizes.size(), "the device budget alone: " + sizes);
        assertTrue(sizes.stream().allMatch(n -> n >= 1018 && n <= 1030), "equal within the 1/1024 steps: " + sizes);
        assertEquals(List.of(4096), CudaAligner.groups(ready, options, Long.MAX_VALUE, 4096 * ready.get(0).hostBytes(options),
                Integer.MAX_VALUE).stream().map(List::size).toList(), "one launch holds them all");
    }

    /**
     * The marginals are cleared before the kernels only where some slot is never written: a
     * pair aligned in a band (dense or band layout), not one aligned over its whole grid, band
     * layout included.
     */
    @Test
    void outputCovered_onlyWhereEveryPairIsAlignedOverItsWholeGrid() {
        AlignOptions whole = AlignOptions.builder().semiring(Semiring.LOG).build();
        Pair dense = Pair.dense("d", 5, 7, new float[5 * 7 * 3]);
        Pair fullBand = Pair.band("f", 5, 7, -4, 6, new float[5 * 11 * 3]);
        Pair narrow = Pair.band("b", 5, 7, -1, 3, new float[5 * 5 * 3]);
        assertTrue(layout(whole, dense, fullBand).outputCovered);
        assertTrue(!layout(whole, dense, narrow).outputCovered, "a band-layout row in its own band");
        assertTrue(!layout(AlignOptions.builder().semiring(Semiring.LOG).band(1).build(), dense).outputCovered, "a job band");
        assertTrue(layout(AlignOptions.builder().semiring(Semiring.LOG).band(10).build(), dense).outputCovered,
                "a band wider than the grid is the whole grid");
    }

    private static LaunchLayout layout(AlignOptions options, Pair... pairs) {
        List<PreparedPair> group = new ArrayList<>();
        for (Pair p : pairs) {
            group.add(new PreparedPair(group.size(), p, BandGeometry.of(p, options)));
        }
        return new LaunchLayout(group, options);
    }

    /**
     * Pairs too wide for shared memory make their launch keep every pair's rolling state in
     * global memory at their length: they get launches of their own, and that scratch counts
     * against the budget (one wide pair among thousands of small ones once asked for 40 times
     * its budget).
     */
    @Test
    void groups_widePairs_launchApartAndPayForGlobalRollingScratch() {
        AlignOptions options = AlignOptions.builder().semiring(Semiring.BOTH).build();
        List<PreparedPair> ready = new ArrayList<>();
        for (int k = 0; k < 300; k++) {
            Pair p = Pair.dense("s" + k, 8, 8, new float[8 * 8 * 3]);
            ready.add(new PreparedPair(k, p, BandGeometry.of(p, options)));
        }
        for (int k = 0; k < 6; k++) {
            Pair p = Pair.dense("w" + k, 300, 300, new float[300 * 300 * 3]);
            ready.add(new PreparedPair(300 + k, p, BandGeometry.of(p, options)));
        }
        int sharedRollLen = 100;   // the 8 x 8 pairs fit, the 300 x 300 ones do not
        long wide = ready.get(300).deviceBytes(options);
        long roll = PreparedPair.rollBytes(options, ready.get(300).rollLen());
        long budget = 3 * (wide + roll) + CudaAligner.LAUNCH_SLACK;   // three wide pairs with their scratch
        List<List<PreparedPair>> groups = CudaAligner.groups(ready, options, budget, Long.MAX_VALUE, sharedRollLen);
        assertEquals(3, groups.size(), "small pairs, then two launches of three wide pairs");
        assertEquals(300, groups.get(0).size());
        assertEquals(3, groups.get(1).size());
        assertEquals(3, groups.get(2).size());

        // When even the small pairs exceed the shared-memory limit, each pays for its scratch.
        List<PreparedPair> small = ready.subList(0, 300);
        long perPair = small.get(0).deviceBytes(options) + PreparedPair.rollBytes(options, small.get(0).rollLen());
        long fits100 = 100 * perPair + CudaAligner.LAUNCH_SLACK;
        List<List<PreparedPair>> tight = CudaAligner.groups(small, options, fits100, Long.MAX_VALUE, 5);
        assertEquals(100, tight.get(0).size(), "the budget holds 100 pairs with their scratch");
        assertTrue(fits100 >= 140 * small.get(0).deviceBytes(options), "without the scratch, 140 would have fitted");
    }

    /** A dense pair aligned in a band sends only its band, in band layout: bytes follow the band's cells. */
    @Test
    void layout_densePairInABand_uploadsBandLayoutOnly() {
        AlignOptions banded = AlignOptions.builder().semiring(Semiring.LOG).band(8).build();
        float[] s = new float[2000 * 2000 * 3];
        for (int q = 0; q < s.length; q++) {
            s[q] = q;   // each score names its own index
        }
        Pair dense = Pair.dense("d", 2000, 2000, s);
        PreparedPair p = new PreparedPair(0, dense, BandGeometry.of(dense, banded));
        assertTrue(p.sentAsBand);
        assertEquals(3L * 2000 * 17, p.uploadFloats, "n rows of the 17 band slots, not n x m");
        LaunchLayout l = new LaunchLayout(List.of(p), banded);
        assertEquals(p.uploadFloats, l.scoreFloats);
        java.nio.ByteBuffer staging = java.nio.ByteBuffer.allocateDirect((int) l.stagingBytes)
                .order(java.nio.ByteOrder.nativeOrder());
        for (int c = 0; c < l.chunkCount(); c++) {
            l.packScores(new HostCopy(3, 1024), staging, c);
        }
        // Band slot (i, slot) holds column j = i - 8 + slot of the dense row.
        for (int[] cell : new int[][] {{0, 0}, {0, 8}, {1, 9}, {500, 503}, {1999, 1991}, {1999, 1999}}) {
            int i = cell[0];
            int j = cell[1];
            for (int k = 0; k < 3; k++) {
                int slot = j - i + 8;
                assertEquals(s[(i * 2000 + j) * 3 + k], staging.getFloat(4 * ((i * 17 + slot) * 3 + k)), "cell " + i + "," + j);
            }
        }
        // A tall pair's band reaches corner to corner, wider than its rows: sent as it is.
        Pair tall = Pair.dense("t", 2000, 10, new float[2000 * 10 * 3]);
        PreparedPair t = new PreparedPair(0, tall, BandGeometry.of(tall, banded));
        assertTrue(!t.sentAsBand, t.geometry.toString());
        assertEquals(2000 * 10 * 3, t.uploadFloats);
        Pair noBand = Pair.dense("d", 2000, 2000, s);
        PreparedPair whole = new PreparedPair(0, noBand, BandGeometry.of(noBand, AlignOptions.defaults()));
        assertTrue(!whole.sentAsBand);
        assertEquals(s.length, whole.uploadFloats);
    }

    @Test
    void layout_chunksAndStagingRegions_tileWithoutOverlap() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (Semiring semiring : Semiring.values()) {
            AlignOptions options = AlignOptions.builder().semiring(semiring).build();
            List<PreparedPair> group = pairs(rnd, 50, options);
            for (long chunkBytes : new long[] {1, 100_000, 1_000_000, LaunchLayout.CHUNK_BYTES}) {
                LaunchLayout l = new LaunchLayout(group, options, chunkBytes);
                assertEquals(0, l.chunkStart[0]);
                assertEquals(l.count, l.chunkStart[l.chunkCount()]);
                assertEquals(0, l.scoreOffset(0));
                for (int c = 0; c < l.chunkCount(); c++) {
                    assertTrue(l.chunkStart[c] < l.chunkStart[c + 1], "no empty chunk");
                    assertTrue(l.scoreOffset(c) < l.scoreOffset(c + 1));
                }
                assertEquals(4 * l.scoreFloats, l.scoreOffset(l.chunkCount()));
                assertEquals(4 * l.outFloats, l.marginalOffset(l.chunkCount()));
                // Up: scores, then the descriptors.
                assertTrue(l.descOffset >= 4 * l.scoreFloats && l.descOffset % 8 == 0);
                assertTrue(l.descOffset + 8L * l.desc.length <= l.stagingBytes);
                // Down: marginals (log only), log Z, best, end cells, step counts, bad-score flags, path steps.
                long marginalsEnd = semiring.computesLog() ? 4 * l.outFloats : 0;
                assertTrue(l.logZOffset >= marginalsEnd && l.logZOffset % 8 == 0);
                assertEquals(l.logZOffset + 8L * l.count, l.bestOffset);
                assertEquals(l.bestOffset + 8L * l.count, l.endOffset);
                assertEquals(l.endOffset + 8L * l.count, l.lenOffset);
                assertEquals(l.lenOffset + 4L * l.count, l.badOffset);
                assertEquals(l.badOffset + 4L * l.count, l.pathOffset);
                assertTrue(l.pathOffset + l.pathBytes <= l.stagingBytes);
                if (chunkBytes == 1) {
                    assertEquals(l.count, l.chunkCount(), "every pair its own chunk");
                }
            }
        }
    }
}
