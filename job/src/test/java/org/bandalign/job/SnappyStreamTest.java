package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class SnappyStreamTest {
    /**
     * Blocks of Snappy's own compressor (snappy-java), of every kind of content and of sizes
     * around its 64 KiB fragments and the stream's history, read back in reads of any size and
     * skips, give the bytes compressed.
     */
    @Test
    void read_blocksOfSnappysCompressor_inReadsAndSkipsOfAnySize_theBytesCompressed() throws IOException {
        Random random = new Random(3);
        for (int size : new int[] {0, 1, 63, 64, 65, 65_535, 65_536, 65_537, 300_000, SnappyStream.HISTORY + 12_345, 5_000_000}) {
            for (String content : new String[] {"random", "floats", "runs", "text"}) {
                byte[] data = content(content, size, random);
                byte[] block = Snappy.compress(data);
                for (int mode = 0; mode < 3; mode++) {
                    SnappyStream s = new SnappyStream(new ByteArrayInputStream(block));
                    assertEquals(size, s.length());
                    String what = content + " " + size + " mode " + mode;
                    assertArrayEquals(data, readBack(s, data, mode, random), what);
                    assertEquals(-1, s.read(), what + ": done");
                }
            }
        }
    }

    /**
     * What a stream of {@code data} gives: in one-byte reads and large ones ({@code mode} 0), in
     * reads of odd sizes (1), or in reads and skips (2: a skipped byte is taken as {@code data}'s).
     */
    static byte[] readBack(java.io.InputStream s, byte[] data, int mode, Random random) throws IOException {
        int size = data.length;
        byte[] got = new byte[size];
        int at = 0;
        while (at < size) {
            if (mode == 0) {
                if (at % 3 == 0) {
                    int b = s.read();
                    assertTrue(b >= 0);
                    got[at++] = (byte) b;
                } else {
                    int n = s.read(got, at, size - at);
                    assertTrue(n > 0);
                    at += n;
                }
            } else {
                int want = 1 + random.nextInt(mode == 1 ? 5000 : 200_000);
                if (mode == 2 && random.nextBoolean()) {
                    long skipped = s.skip(Math.min(want, size - at));
                    assertEquals(Math.min(want, size - at), skipped);
                    System.arraycopy(data, at, got, at, (int) skipped);
                    at += (int) skipped;
                    continue;
                }
                int n = s.read(got, at, Math.min(want, size - at));
                assertTrue(n > 0);
                at += n;
            }
        }
        return got;
    }

    /** {@code size} bytes of {@code kind}: random, floats of few values, runs of few values, or text. */
    static byte[] content(String kind, int size, Random random) {
        byte[] data = new byte[size];
        switch (kind) {
            case "random" -> random.nextBytes(data);
            case "floats" -> {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                while (b.remaining() >= 4) {
                    b.putFloat(random.nextInt(8) / 2f);
                }
            }
            case "runs" -> {
                for (int k = 0; k < size; ) {
                    int run = 1 + random.nextInt(300);
                    byte v = (byte) random.nextInt(4);
                    for (int j = 0; j < run && k < size; j++) {
                        data[k++] = v;
                    }
                }
            }
            default -> {
                byte[] words = "the quick brown fox jumps over the lazy dog; band cells and marginals ".getBytes(
                        java.nio.charset.StandardCharsets.US_ASCII);
                for (int k = 0; k < size; k++) {
                    data[k] = words[(k * 7 + k / 1000) % words.length];
                }
            }
        }
        return data;
    }

    /**
     * A block whose copy reaches further back than the stream keeps (valid Snappy, which Snappy's
     * compressor does not write) fails saying so; a truncated or corrupt block fails as corrupt.
     */
    @Test
    void read_copiesBeyondTheHistory_orCorruptBlocks_failSayingWhy() throws IOException {
        int literal = 2 * SnappyStream.HISTORY;   // (the stream keeps at least its history, and less than twice it)
        ByteArrayOutputStream far = new ByteArrayOutputStream();
        varint(far, literal + 8);
        far.write(63 << 2);   // a literal whose length - 1 is in the next 4 bytes
        for (int k = 0; k < 4; k++) {
            far.write((literal - 1) >>> (8 * k));
        }
        byte[] bytes = new byte[literal];
        new Random(4).nextBytes(bytes);
        far.write(bytes);
        far.write(((8 - 1) << 2) | 3);   // a copy of 8 bytes from a 32-bit offset
        for (int k = 0; k < 4; k++) {
            far.write(literal >>> (8 * k));
        }
        byte[] block = far.toByteArray();
        byte[] whole = Snappy.uncompress(block);   // (valid Snappy: the library decompresses it whole)
        assertArrayEquals(java.util.Arrays.copyOf(bytes, 8), java.util.Arrays.copyOfRange(whole, literal, literal + 8));
        SnappyStream s = new SnappyStream(new ByteArrayInputStream(block));
        IOException e = assertThrows(IOException.class, () -> s.readNBytes(literal + 8));
        assertTrue(e.getMessage().contains("further than the " + SnappyStream.HISTORY), e.getMessage());

        byte[] good = Snappy.compress(content("text", 100_000, new Random(5)));
        SnappyStream cut = new SnappyStream(new ByteArrayInputStream(java.util.Arrays.copyOf(good, good.length / 2)));
        assertTrue(assertThrows(IOException.class, () -> cut.readNBytes(100_000)).getMessage().startsWith("corrupt Snappy block"));
        ByteArrayOutputStream early = new ByteArrayOutputStream();
        varint(early, 10);
        early.write(((4 - 1) << 2) | 2);   // a copy from 5 bytes back, at the block's start
        early.write(5);
        early.write(0);
        SnappyStream nothingBefore = new SnappyStream(new ByteArrayInputStream(early.toByteArray()));
        assertTrue(assertThrows(IOException.class, nothingBefore::read).getMessage().contains("a copy from 5 bytes back, 0 bytes"));
    }

    private static void varint(ByteArrayOutputStream out, int value) {
        while ((value & ~0x7F) != 0) {
            out.write((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.write(value);
    }
}
