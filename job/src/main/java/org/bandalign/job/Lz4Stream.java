package org.bandalign.job;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A raw LZ4 block (Parquet's LZ4_RAW codec: one block a page, as pyarrow's and polars'
 * {@code compression="lz4"} write it) decompressed as a stream, holding the last 64 KiB it gave
 * out instead of the whole block.
 *
 * <p>Why. As {@link SnappyStream}: a page too large to hold whole is read as a stream
 * ({@link StreamedPages#streamNextPage}), and the LZ4 libraries at hand (aircompressor, lz4-java)
 * decompress a raw block only whole, into one array.
 *
 * <p>Design. The block is a run of sequences, each a token byte (its high 4 bits a literal
 * length, its low 4 a match length less 4; 15 in either goes on in the bytes after, each 255 but
 * the last), the literal's bytes, then a 2-byte little-endian offset back in the output and the
 * match length's extra bytes. The last sequence is literals alone, ending the block where the
 * decompressed length (the page header's) is reached. An offset is at most 65,535 bytes, so the
 * buffer keeps {@link #HISTORY} bytes before what is not yet read, and one {@link #STEP} past it;
 * a literal or a match longer than the room left (a long run of zeros is one match of offset 1)
 * is decoded in parts, what is left of it kept between calls.
 */
final class Lz4Stream extends DecodedStream {
    /** How far back a match may reach: the largest 2-byte offset, and one. */
    static final int HISTORY = 1 << 16;
    /** What is decoded at a time past the history. */
    private static final int STEP = 1 << 16;

    private final InputStream in;
    private final long length;
    private long produced;
    /** What is left of the literal or the match being decoded, and the match's offset. */
    private long literalLeft;
    private long matchLeft;
    private int matchOffset;
    /** The low 4 bits of the token whose literal is being decoded: its match, due once the literal is done. */
    private int matchToken = -1;

    /** The block read from {@code in}, which ends where the block does, decompressing to {@code length} bytes. */
    Lz4Stream(InputStream in, long length) {
        super((int) bufferBytes(length));   // (the history and a step past it, or the whole block where that is less)
        this.in = in;
        this.length = length;
    }

    /** What a stream of a block decompressing to {@code length} bytes holds. */
    static long bufferBytes(long length) {
        if (length < 0) {
            throw new IllegalArgumentException("a block of " + length + " bytes");
        }
        return Math.min(HISTORY + STEP, length);
    }

    /**
     * Decodes the next bytes of the block once those decoded are all read, keeping the last
     * {@link #HISTORY} of them; false where the block is done.
     */
    @Override
    protected boolean decodeMore() throws IOException {
        if (produced == length) {
            return false;
        }
        if (filled == out.length) {
            keepLast(HISTORY);
        }
        int start = filled;
        while (produced < length && filled < out.length) {
            if (literalLeft > 0) {
                int n = (int) Math.min(literalLeft, out.length - filled);
                int read = in.readNBytes(out, filled, n);
                if (read != n) {
                    throw corrupt("it ends inside a literal, " + (length - produced - read) + " bytes short");
                }
                filled += n;
                produced += n;
                literalLeft -= n;
            } else if (matchLeft > 0) {
                int n = (int) Math.min(matchLeft, out.length - filled);
                copyBack(matchOffset, n);
                produced += n;
                matchLeft -= n;
            } else if (matchToken >= 0) {
                matchOffset = readByte() | readByte() << 8;
                if (matchOffset == 0 || matchOffset > produced) {
                    throw corrupt("a match from " + matchOffset + " bytes back, " + produced + " bytes into the block");
                }
                matchLeft = extended(matchToken) + 4;
                matchToken = -1;
                if (matchLeft > length - produced) {
                    throw corrupt("a match of " + matchLeft + " bytes where " + (length - produced) + " are left");
                }
            } else {
                int token = readByte();
                literalLeft = extended(token >>> 4);
                if (literalLeft > length - produced) {
                    throw corrupt("a literal of " + literalLeft + " bytes where " + (length - produced) + " are left");
                }
                matchToken = token & 15;
            }
            if (produced == length && literalLeft == 0) {
                matchToken = -1;   // (the last sequence: literals alone)
            }
        }
        return filled > start;
    }

    /** A length whose first 4 bits are {@code nibble}, with its extra bytes where they are 15. */
    private long extended(int nibble) throws IOException {
        long value = nibble;
        if (nibble == 15) {
            int b;
            do {
                b = readByte();
                value += b;
                if (value > length) {
                    throw corrupt("a length past the block's " + length + " bytes");
                }
            } while (b == 255);
        }
        return value;
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw corrupt("it ends " + (length - produced) + " bytes short");
        }
        return b;
    }

    private static EOFException corrupt(String what) {
        return new EOFException("corrupt LZ4 block: " + what);
    }
}
