package org.bandalign.job;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A raw Snappy block (Parquet's SNAPPY codec: one block a page) decompressed as a stream, holding
 * a bounded history of what it gave out instead of the whole block.
 *
 * <p>Why. The job reads a page of scores whole where it fits the heap; a page that does not (a
 * huge pair's, pyarrow putting a row group's rows in one page beside it) is read as a stream
 * ({@link StreamedPages#streamNextPage}), and Snappy's library decompresses a block only whole,
 * into one array.
 *
 * <p>Design. The block is a varint of its decompressed length, then elements: a literal (tag
 * {@code 00}: its length in the tag, or in the 1 to 4 bytes after it, then its bytes) or a copy
 * of 1 to 64 bytes from an offset back in the output (tags {@code 01}, {@code 10}, {@code 11}:
 * offsets of 11, 16 and 32 bits). Output is decoded into a buffer that keeps the last
 * {@link #HISTORY} bytes before what is not yet read; a copy reaching further back fails with an
 * {@link IOException} saying so. Snappy's own compressor (which snappy-java, Arrow and Spark call)
 * compresses 64 KiB at a time and never reaches further than that, nor do the other known
 * writers; the format allows it, and such a page is not read as a stream.
 */
final class SnappyStream extends DecodedStream {
    /** How far back a copy may reach: 16 times the 64 KiB Snappy's compressor reaches. */
    static final int HISTORY = 1 << 20;
    /** What is decoded at a time past the history. */
    private static final int STEP = 1 << 16;
    /** The longest copy an element makes. */
    private static final int LONGEST_COPY = 64;

    private final InputStream in;
    private final long length;
    private long produced;
    /** What is left of a literal whose bytes did not all fit the buffer. */
    private long literalLeft;

    /** The block read from {@code in}, which ends where the block does (the page's bytes as stored). */
    SnappyStream(InputStream in) throws IOException {
        this(in, preamble(in));
    }

    /** Its buffer: the history and a step past it, or the whole block where that is less. */
    private SnappyStream(InputStream in, long length) {
        super((int) bufferBytes(length));
        this.in = in;
        this.length = length;
    }

    /** The block's decompressed length, the varint it starts with. */
    private static long preamble(InputStream in) throws IOException {
        long value = 0;
        for (int shift = 0; ; shift += 7) {
            if (shift > 28) {
                throw corrupt("a length longer than 5 bytes");
            }
            int b = in.read();
            if (b < 0) {
                throw corrupt("no length");
            }
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
    }

    /** What a stream of a block decompressing to {@code length} bytes holds. */
    static long bufferBytes(long length) {
        return Math.min(HISTORY + STEP, length + LONGEST_COPY);
    }

    /** The block's decompressed length, as its preamble says. */
    long length() {
        return length;
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
        if (filled > HISTORY) {
            keepLast(HISTORY);
        }
        int start = filled;
        while (produced < length && filled <= out.length - LONGEST_COPY) {
            if (literalLeft > 0) {
                int n = (int) Math.min(literalLeft, out.length - filled);
                readFully(out, filled, n);
                filled += n;
                produced += n;
                literalLeft -= n;
                continue;
            }
            int tag = readByte();
            switch (tag & 3) {
                case 0 -> {
                    long literal = tag >>> 2;
                    if (literal >= 60) {
                        int bytes = (int) literal - 59;
                        literal = 0;
                        for (int k = 0; k < bytes; k++) {
                            literal |= (long) readByte() << (8 * k);
                        }
                    }
                    literal += 1;
                    if (literal > length - produced) {
                        throw corrupt("a literal of " + literal + " bytes where " + (length - produced) + " are left");
                    }
                    literalLeft = literal;
                }
                case 1 -> copy(((tag >>> 2) & 7) + 4, ((tag >>> 5) << 8) | readByte());
                case 2 -> copy((tag >>> 2) + 1, readByte() | readByte() << 8);
                default -> copy((tag >>> 2) + 1, (long) readByte() | (long) readByte() << 8 | (long) readByte() << 16
                        | (long) readByte() << 24);
            }
        }
        return filled > start;
    }

    /** Copies {@code n} bytes from {@code offset} back in the output, byte by byte where they overlap. */
    private void copy(int n, long offset) throws IOException {
        if (offset == 0 || offset > produced) {
            throw corrupt("a copy from " + offset + " bytes back, " + produced + " bytes into the block");
        }
        if (offset > filled) {
            throw new IOException("Snappy block copies from " + offset + " bytes back, further than the " + HISTORY
                    + " bytes a streamed page keeps (its writer is not Snappy's own compressor)");
        }
        if (n > length - produced) {
            throw corrupt("a copy of " + n + " bytes where " + (length - produced) + " are left");
        }
        copyBack((int) offset, n);
        produced += n;
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw corrupt("the block ends " + (length - produced) + " bytes short");
        }
        return b;
    }

    private void readFully(byte[] b, int off, int n) throws IOException {
        int read = in.readNBytes(b, off, n);
        if (read != n) {
            throw corrupt("the block ends " + (length - produced - read) + " bytes short");
        }
    }

    private static EOFException corrupt(String what) {
        return new EOFException("corrupt Snappy block: " + what);
    }
}
