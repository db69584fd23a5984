package org.bandalign.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;

class Lz4StreamTest {
    /**
     * Raw blocks of LZ4's fast and high-compression compressors (lz4-java), of every kind of
     * content (runs of one byte make matches far longer than the stream's buffer) and of sizes
     * around its history, read back in reads of any size and skips, give the bytes compressed.
     */
    @Test
    void read_blocksOfLz4sCompressors_inReadsAndSkipsOfAnySize_theBytesCompressed() throws IOException {
        Random random = new Random(3);
        LZ4Factory lz4 = LZ4Factory.fastestJavaInstance();
        for (int size : new int[] {0, 1, 12, 13, 65_535, 65_536, 65_537, 2 * Lz4Stream.HISTORY - 1, 300_000, 5_000_000}) {
            for (String content : new String[] {"random", "floats", "runs", "text", "zeros"}) {
                byte[] data = content.equals("zeros") ? new byte[size] : SnappyStreamTest.content(content, size, random);
                for (LZ4Compressor compressor : new LZ4Compressor[] {lz4.fastCompressor(), lz4.highCompressor()}) {
                    byte[] block = compressor.compress(data);
                    for (int mode = 0; mode < 3; mode++) {
                        Lz4Stream s = new Lz4Stream(new ByteArrayInputStream(block), size);
                        String what = content + " " + size + " " + compressor + " mode " + mode;
                        assertArrayEquals(data, SnappyStreamTest.readBack(s, data, mode, random), what);
                        assertEquals(-1, s.read(), what + ": done");
                    }
                }
            }
        }
    }

    /** A truncated or corrupt block fails as corrupt, saying where. */
    @Test
    void read_corruptBlocks_failSayingWhy() throws IOException {
        byte[] data = SnappyStreamTest.content("text", 100_000, new Random(5));
        byte[] good = LZ4Factory.fastestJavaInstance().fastCompressor().compress(data);
        Lz4Stream cut = new Lz4Stream(new ByteArrayInputStream(Arrays.copyOf(good, good.length / 2)), data.length);
        assertTrue(assertThrows(IOException.class, () -> cut.readNBytes(data.length)).getMessage().startsWith("corrupt LZ4 block"));

        ByteArrayOutputStream early = new ByteArrayOutputStream();
        early.write(0x10);   // one literal byte, then a match of 4
        early.write('a');
        early.write(5);   // from 5 bytes back, 1 byte into the block
        early.write(0);
        Lz4Stream before = new Lz4Stream(new ByteArrayInputStream(early.toByteArray()), 10);
        assertTrue(assertThrows(IOException.class, () -> before.readNBytes(10)).getMessage()
                .contains("a match from 5 bytes back, 1 bytes into the block"));

        ByteArrayOutputStream tooLong = new ByteArrayOutputStream();
        tooLong.write(0xF0);   // a literal of 15 + 255 + 3 bytes in a block of 100
        tooLong.write(255);
        tooLong.write(3);
        Lz4Stream past = new Lz4Stream(new ByteArrayInputStream(tooLong.toByteArray()), 100);
        assertTrue(assertThrows(IOException.class, past::read).getMessage().contains("a length past the block's 100 bytes"));
    }
}
