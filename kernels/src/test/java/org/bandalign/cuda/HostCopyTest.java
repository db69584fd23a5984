package org.bandalign.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The parallel host copies of every transfer, against a plain sequential copy. */
class HostCopyTest {
    private static float[][] arrays(SplittableRandom rnd, int count, int maxLength) {
        float[][] a = new float[count][];
        for (int k = 0; k < count; k++) {
            a[k] = new float[rnd.nextInt(5) == 0 ? 0 : rnd.nextInt(maxLength + 1)];
            for (int q = 0; q < a[k].length; q++) {
                a[k][q] = (float) rnd.nextGaussian();
            }
        }
        return a;
    }

    @Test
    void packThenUnpack_anyThreadsAndRanges_matchesASequentialCopy() {
        SplittableRandom rnd = new SplittableRandom(3);
        int checked = 0;
        for (int threads = 1; threads <= 5; threads++) {
            HostCopy copy = new HostCopy(threads, 4 * (1 + rnd.nextInt(64)));
            for (int round = 0; round < 20; round++) {
                float[][] a = arrays(rnd, 1 + rnd.nextInt(12), 300);
                int from = rnd.nextInt(a.length);
                int to = from + rnd.nextInt(a.length - from + 1);
                int offset = 4 * rnd.nextInt(16);
                ByteBuffer buf = ByteBuffer.allocateDirect(offset + 4 * 12 * 300 + 64).order(ByteOrder.nativeOrder());
                copy.pack(a, from, to, buf, offset);

                int at = offset;
                for (int k = from; k < to; k++) {
                    for (float f : a[k]) {
                        assertEquals(f, buf.getFloat(at), "threads " + threads + " array " + k);
                        at += 4;
                    }
                }
                int[] lengths = new int[a.length];
                for (int k = 0; k < a.length; k++) {
                    lengths[k] = a[k].length;
                }
                float[][] back = new float[a.length][];
                copy.unpack(buf, offset, lengths, from, to, back);
                for (int k = 0; k < a.length; k++) {
                    if (k < from || k >= to) {
                        assertEquals(null, back[k], "arrays outside [from, to) are left alone");
                    } else {
                        assertArrayEquals(a[k], back[k], "threads " + threads + " array " + k);
                        checked++;
                    }
                }
            }
        }
        assertEquals(true, checked > 200, "arrays round-tripped: " + checked);
    }

    @Test
    void pack_oneLargeArray_isSplitAcrossThreadsAndStaysInOrder() {
        HostCopy copy = new HostCopy(4, 1024);
        float[] big = new float[100_003];
        for (int q = 0; q < big.length; q++) {
            big[q] = q;
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(8 + 4 * big.length).order(ByteOrder.nativeOrder());
        copy.pack(new float[][] {big}, 0, 1, buf, 8);
        for (int q = 0; q < big.length; q++) {
            assertEquals(q, buf.getFloat(8 + 4 * q));
        }
        float[][] back = new float[1][];
        copy.unpack(buf, 8, new int[] {big.length}, 0, 1, back);
        assertArrayEquals(big, back[0]);
    }

    @Test
    void copies_fromSeveralCallersAtOnce_doNotMix() throws Exception {
        HostCopy copy = new HostCopy(3, 512);
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int seed = c;
                done.add(callers.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    for (int round = 0; round < 50; round++) {
                        float[][] a = arrays(rnd, 8, 2000);
                        int[] lengths = new int[a.length];
                        for (int k = 0; k < a.length; k++) {
                            lengths[k] = a[k].length;
                        }
                        ByteBuffer buf = ByteBuffer.allocateDirect(4 * 8 * 2000 + 8).order(ByteOrder.nativeOrder());
                        copy.pack(a, 0, a.length, buf, 0);
                        float[][] back = new float[a.length][];
                        copy.unpack(buf, 0, lengths, 0, a.length, back);
                        for (int k = 0; k < a.length; k++) {
                            assertArrayEquals(a[k], back[k]);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void copy_callerInterrupted_finishesEveryRangeAndKeepsTheInterrupt() {
        HostCopy copy = new HostCopy(4, 1024);
        float[] big = new float[2_000_000];
        java.util.Arrays.fill(big, 7f);
        ByteBuffer buf = ByteBuffer.allocateDirect(4 * big.length).order(ByteOrder.nativeOrder());
        Thread.currentThread().interrupt();
        try {
            copy.pack(new float[][] {big}, 0, 1, buf, 0);
            assertTrue(Thread.currentThread().isInterrupted(), "interrupt kept for the caller");
        } finally {
            Thread.interrupted();
        }
        for (int q = 0; q < big.length; q += 997) {
            assertEquals(7f, buf.getFloat(4 * q), "float " + q + " copied before the call returned");
        }
        assertEquals(7f, buf.getFloat(4 * (big.length - 1)));
    }

    @Test
    void pack_pastTheBuffersEnd_failsInsteadOfWritingElsewhere() {
        HostCopy copy = new HostCopy(2, 64);
        ByteBuffer buf = ByteBuffer.allocateDirect(4 * 100).order(ByteOrder.nativeOrder());
        float[][] a = {new float[60], new float[60]};
        assertThrows(java.nio.BufferOverflowException.class, () -> copy.pack(a, 0, 2, buf, 0));
    }

    @Test
    void forEach_visitsEveryIndexOnce_splitOrNot() {
        HostCopy copy = new HostCopy(4, 64);
        for (long floats : new long[] {0, 10, 1_000_000}) {
            for (int count : new int[] {0, 1, 3, 1000}) {
                java.util.concurrent.atomic.AtomicIntegerArray seen = new java.util.concurrent.atomic.AtomicIntegerArray(count);
                copy.forEach(count, floats, seen::incrementAndGet);
                for (int k = 0; k < count; k++) {
                    assertEquals(1, seen.get(k), "index " + k + " of " + count + " with " + floats + " floats");
                }
            }
        }
    }

    @Test
    void pack_scatteredPieces_landAtTheirOwnPlaces() {
        HostCopy copy = new HostCopy(3, 64);
        float[] a = new float[5000];
        for (int q = 0; q < a.length; q++) {
            a[q] = q;
        }
        HostCopy.Pieces pieces = new HostCopy.Pieces();
        for (int r = 0; r < 40; r++) {   // 40 rows of 100 floats, each from its own offset, with gaps
            pieces.add(a, 100 * r + r, 100, 130L * r + 7);
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(4 * 130 * 41).order(ByteOrder.nativeOrder());
        copy.pack(pieces, 5, 40, buf);   // a sub-range, as one chunk of a launch
        for (int r = 0; r < 40; r++) {
            for (int q = 0; q < 100; q++) {
                float expected = r < 5 ? 0f : a[100 * r + r + q];
                assertEquals(expected, buf.getFloat(4 * (130 * r + 7 + q)), "row " + r + " float " + q);
            }
            assertEquals(0f, buf.getFloat(4 * (130 * r + 3)), "gap before row " + r + " untouched");
        }
    }

    @Test
    void constructor_noThreads_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> new HostCopy(0));
    }
}
