package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Aligner;
import org.bandalign.align.AlignmentResult;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * CUDA against the CPU engine on random pairs: sizes 1 to 700, n != m, bands, both modes,
 * -inf steps, magnitudes up to 1e6, in one alignAll batch per configuration (so the packing of
 * unlike pairs into launches is exercised too). Skipped where no GPU is present.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaVsCpuDifferentialTest {
    private Aligner cuda;
    private Aligner cpu;

    @BeforeAll
    void open() {
        CudaTestSupport.assumeGpu();
        cuda = Aligner.cuda(0);
        cpu = Aligner.cpu();
    }

    @AfterAll
    void close() {
        if (cuda != null) {
            cuda.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }

    @Test
    void alignAll_randomPairs_cudaEqualsCpu() {
        Random rnd = new Random(2718);
        int compared = 0;
        for (Mode mode : Mode.values()) {
            for (int band : new int[] {-1, 0, 5, 40}) {
                List<Pair> pairs = new ArrayList<>();
                List<Float> magnitudes = new ArrayList<>();
                for (int k = 0; k < 40; k++) {
                    int n = 1 + (k % 5 == 0 ? rnd.nextInt(700) : rnd.nextInt(120));
                    int m = 1 + (k % 7 == 0 ? rnd.nextInt(700) : rnd.nextInt(120));
                    float magnitude = k % 6 == 5 ? 1e6f : k % 3 == 1 ? 30f : 3f;
                    float[] s = new float[n * m * 3];
                    for (int q = 0; q < s.length; q++) {
                        s[q] = rnd.nextDouble() < 0.03 ? Float.NEGATIVE_INFINITY : (float) ((rnd.nextDouble() * 2 - 1) * magnitude);
                    }
                    pairs.add(Pair.dense("p" + k, n, m, s));
                    magnitudes.add(magnitude);
                }
                AlignOptions.Builder ob = AlignOptions.builder().mode(mode).semiring(Semiring.BOTH);
                if (band >= 0) {
                    ob.band(band);
                }
                AlignOptions opts = ob.build();
                List<AlignmentResult> a = cpu.alignAll(pairs, opts);
                List<AlignmentResult> b = cuda.alignAll(pairs, opts);
                for (int k = 0; k < pairs.size(); k++) {
                    String what = mode + " band " + band + " pair " + k + " " + pairs.get(k);
                    assertEquals(a.get(k).isValid(), b.get(k).isValid(), what);
                    if (!a.get(k).isValid()) {
                        continue;
                    }
                    double z = a.get(k).logPartition();
                    assertEquals(z, b.get(k).logPartition(), 1e-6 * Math.max(1, Math.abs(z)), what + " logZ");
                    double v = a.get(k).viterbiScore();
                    assertEquals(v, b.get(k).viterbiScore(), 1e-6 * Math.max(1, Math.abs(v)), what + " viterbi");
                    float[] ma = a.get(k).marginalsDense();
                    float[] mb = b.get(k).marginalsDense();
                    double tol = magnitudes.get(k) <= 10 ? 1e-5 : 1e-4;
                    for (int q = 0; q < ma.length; q++) {
                        assertEquals(ma[q], mb[q], tol, what + " marginal " + q);
                    }
                    compared++;
                }
            }
        }
        assertTrue(compared > 250, "pairs compared: " + compared);
    }
}
