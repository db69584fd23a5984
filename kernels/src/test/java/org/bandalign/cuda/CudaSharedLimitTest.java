package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.junit.jupiter.api.Test;

/**
 * Pairs whose rolling state just fits the device's shared memory per block, fits only if the
 * kernels' static shared memory is nothing (CUDA 13's sm_90 cubins carry a 1 KB reserved section
 * the driver may count), and does not fit: each launches (the shared or the global form, as the
 * driver's figures say) and gives the CPU engine's results, with the one-block and the split
 * forward-backward. Sized from the device (on an H100/H200: pairs of about 2,390 x 2,390). Runs
 * on a real GPU (the GPU run's whole-package selection); skipped elsewhere, and not in the
 * emulated-gpu run, where pairs this large take long on the CPU stand-in (rehearse it with
 * {@code mvn -pl kernels surefire:test@emulated-gpu -Dtest=CudaSharedLimitTest}).
 */
class CudaSharedLimitTest {
    private static final AlignOptions LOG = AlignOptions.builder().semiring(Semiring.LOG).build();

    @Test
    void alignAll_rollingStateAtTheSharedMemoryLimit_launchesAndEqualsCpu() {
        CudaTestSupport.assumeGpu();
        int optIn;
        try (CudaDevice device = CudaDevice.open(0)) {
            optIn = device.kernelSharedLimit();
        }
        // forward-backward's dynamic shared memory at 256 threads: 96 bytes a rolling slot
        // (L = widest + 4) and 8 a thread of reduction scratch
        int edge = (optIn - 8 * 256) / 96 - 4;                // fits only with no static shared memory
        int surely = (optIn - 8 * 256 - 1024 - 96) / 96 - 4;  // fits with up to 1 KB of it
        Random rnd = new Random(77);
        List<Pair> pairs = new ArrayList<>();
        for (int w : new int[] {surely, edge, edge + 1}) {
            float[] s = new float[w * w * 3];
            for (int q = 0; q < s.length; q++) {
                s[q] = rnd.nextFloat() * 2 - 1;
            }
            pairs.add(Pair.dense("w" + w, w, w, s));
        }
        try (Aligner cpu = Aligner.cpu()) {
            List<AlignmentResult> expected = cpu.alignAll(pairs, LOG);
            for (String split : new String[] {"never", "always"}) {   // one block a pair, then alpha and beta apart
                System.setProperty("bandalign.cuda.split", split);
                try (CudaAligner cuda = CudaAligner.open(0, 0)) {
                    for (int k = 0; k < pairs.size(); k++) {   // one launch a pair
                        AlignmentResult g = cuda.alignAll(List.of(pairs.get(k)), LOG).get(0);
                        AlignmentResult e = expected.get(k);
                        String what = pairs.get(k).id() + " split=" + split;
                        assertTrue(g.isValid(), () -> what + ": " + g.error());
                        assertEquals(e.logPartition(), g.logPartition(), 1e-9 * Math.abs(e.logPartition()), what);
                        float[] me = e.marginalsDense();
                        float[] mg = g.marginalsDense();
                        for (int q = 0; q < me.length; q++) {
                            assertEquals(me[q], mg[q], 1e-5, what + " marginal " + q);   // SPEC, scores of magnitude <= 1
                        }
                    }
                    Map<String, Long> launched = cuda.launchesByKernels();
                    System.out.println("CudaSharedLimitTest (split=" + split + ", opt-in " + optIn + " B, pairs " + surely + ", "
                            + edge + ", " + (edge + 1) + "): " + launched + "\n" + cuda.kernelResources());
                    assertTrue(launched.keySet().stream().anyMatch(key -> key.endsWith("rolling state in global memory)")),
                            launched.toString());
                    assertTrue(launched.keySet().stream().anyMatch(key -> !key.contains("global")), launched.toString());
                }
            }
        } finally {
            System.clearProperty("bandalign.cuda.split");
        }
    }
}
