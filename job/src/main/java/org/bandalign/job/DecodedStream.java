package org.bandalign.job;

import java.io.IOException;
import java.io.InputStream;

/**
 * A block decompressed as a stream into a bounded buffer ({@link SnappyStream},
 * {@link Lz4Stream}): what it gives out is read, or skipped, from the buffer, and a subclass
 * decodes more into it once all that is there is read, moving the history its format reaches
 * back into to the buffer's front ({@link #keepLast}).
 */
abstract class DecodedStream extends InputStream {
    /** Decoded bytes: up to {@link #filled}; those from {@link #next} not yet read. */
    protected final byte[] out;
    protected int filled;
    protected int next;

    DecodedStream(int bufferBytes) {
        this.out = new byte[bufferBytes];
    }

    /**
     * Decodes more of the block into {@link #out} past {@link #filled}, all of it before being
     * read; false where the block is done.
     */
    protected abstract boolean decodeMore() throws IOException;

    /**
     * Decodes {@code n} bytes copied from {@code offset} back (at most {@link #filled}), byte by
     * byte where they overlap what they make (a run: offset 1 repeats the last byte).
     */
    protected final void copyBack(int offset, int n) {
        int from = filled - offset;
        if (offset >= n) {
            System.arraycopy(out, from, out, filled, n);
        } else {
            for (int k = 0; k < n; k++) {
                out[filled + k] = out[from + k];
            }
        }
        filled += n;
    }

    /** Moves the last {@code keep} bytes decoded, all read, to the buffer's front. */
    protected final void keepLast(int keep) {
        System.arraycopy(out, filled - keep, out, 0, keep);
        next -= filled - keep;
        filled = keep;
    }

    @Override
    public final int read() throws IOException {
        if (next == filled && !decodeMore()) {
            return -1;
        }
        return out[next++] & 0xFF;
    }

    @Override
    public final int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (next == filled && !decodeMore()) {
            return -1;
        }
        int n = Math.min(len, filled - next);
        System.arraycopy(out, next, b, off, n);
        next += n;
        return n;
    }

    @Override
    public final long skip(long n) throws IOException {
        long skipped = 0;
        while (skipped < n && (next < filled || decodeMore())) {
            int step = (int) Math.min(n - skipped, filled - next);
            next += step;
            skipped += step;
        }
        return skipped;
    }

    @Override
    public final int available() {
        return filled - next;
    }
}
