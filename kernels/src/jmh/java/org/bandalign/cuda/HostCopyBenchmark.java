package org.bandalign.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The host side of a CUDA launch without the GPU: {@link HostCopy} packing the scores of 256
 * pairs of 200 x 200 (123 MB) into a direct buffer and copying the same number of bytes back
 * out into new result arrays, as {@code BandedAlignKernels} does around its transfers
 * ({@code packAndUnpack}), and the whole host side of a launch ({@code wholeHostSide}).
 * {@code threads = 1} is the baseline (one bulk {@code FloatBuffer} copy per pair on the
 * caller, which is what the backend did before {@link HostCopy}). The {@code bytes} counter is
 * the rate to compare with the pinned host-to-device bandwidth ({@code CudaBench} measures it):
 * {@code alignAll} cannot move data faster than the host copies it.
 *
 * <p>Run, from the repository root:
 * <pre>
 * mvn -B -q -Pbench -pl kernels -am -DskipTests package
 * mvn -B -q -Pbench -pl kernels dependency:build-classpath -Dmdep.outputFile=/tmp/jmh.cp
 * java -cp "kernels/target/bench/classes:$(cat /tmp/jmh.cp)" org.openjdk.jmh.Main HostCopyBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class HostCopyBenchmark {
    private static final int PAIRS = 256;
    private static final int FLOATS = 200 * 200 * 3;

    @Param({"1", "2", "4", "8"})
    public int threads;

    private HostCopy copy;
    private float[][] scores;
    private int[] lengths;
    private ByteBuffer staging;
    private ByteBuffer descriptors;
    private List<PreparedPair> prepared;
    private static final AlignOptions OPTIONS = AlignOptions.builder().semiring(Semiring.LOG).build();

    @Setup(Level.Trial)
    public void setUp() {
        copy = new HostCopy(threads);
        SplittableRandom rnd = new SplittableRandom(1);
        scores = new float[PAIRS][FLOATS];
        lengths = new int[PAIRS];
        for (int k = 0; k < PAIRS; k++) {
            for (int q = 0; q < FLOATS; q++) {
                scores[k][q] = (float) rnd.nextDouble();
            }
            lengths[k] = FLOATS;
        }
        staging = ByteBuffer.allocateDirect(4 * PAIRS * FLOATS).order(ByteOrder.nativeOrder());
        prepared = new ArrayList<>();
        for (int k = 0; k < PAIRS; k++) {
            Pair p = Pair.dense("p" + k, 200, 200, scores[k]);
            prepared.add(new PreparedPair(k, p, BandGeometry.of(p, OPTIONS)));
        }
    }

    /** Bytes copied (in plus out), reported by JMH as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class ByteCounter {
        public long bytes;
    }

    /** Pack every pair into the buffer, then copy the buffer back out into new arrays. */
    @Benchmark
    public void packAndUnpack(ByteCounter counter, Blackhole bh) {
        copy.pack(scores, 0, PAIRS, staging, 0);
        float[][] out = new float[PAIRS][];
        copy.unpack(staging, 0, lengths, 0, PAIRS, out);
        bh.consume(out);
        counter.bytes += 2L * 4 * PAIRS * FLOATS;
    }

    /**
     * Everything {@code BandedAlignKernels.run} does on the host around the device work, with the
     * launch's own layout: descriptors, packing chunk by chunk, unpacking chunk by chunk (the
     * staging buffer stands in for the downloaded marginals) and assembling the results. Its
     * bytes rate is the most {@code alignAll} could move with an infinitely fast GPU and bus.
     */
    @Benchmark
    public void wholeHostSide(ByteCounter counter, Blackhole bh) {
        LaunchLayout launch = new LaunchLayout(prepared, OPTIONS, LaunchLayout.CHUNK_BYTES, LaunchLayout.MAX_THREADS);
        for (int c = 0; c < launch.chunkCount(); c++) {
            launch.packScores(copy, staging, c);
        }
        launch.putDescriptors(hostStaging(launch));
        float[][] marginals = new float[PAIRS][];
        for (int c = 0; c < launch.chunkCount(); c++) {
            launch.unpackMarginals(copy, staging, c, marginals);
        }
        int[] bad = new int[PAIRS];
        java.util.Arrays.fill(bad, Integer.MAX_VALUE);
        bh.consume(launch.results(bad, new double[PAIRS], marginals, null));
        counter.bytes += 2L * 4 * PAIRS * FLOATS;
    }

    private ByteBuffer hostStaging(LaunchLayout launch) {
        if (descriptors == null || descriptors.capacity() < launch.stagingBytes) {
            descriptors = ByteBuffer.allocateDirect((int) launch.stagingBytes).order(ByteOrder.nativeOrder());
        }
        return descriptors;
    }
}
