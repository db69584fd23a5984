package org.bandalign.job;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Pair;

/**
 * Turns one {@link InputRecord} into a {@link Pair}, or throws {@link InvalidPairException}
 * naming the row's id and what is wrong (null id, n, m or scores, a null score element, a
 * binary length that is not whole floats, half a band, and every shape error of SPEC section 1).
 */
final class PairDecoder {
    private PairDecoder() {
    }

    static Pair decode(InputRecord r) {
        String id = r.getId();
        if (id == null) {
            throw new InvalidPairException(null, "id is null");
        }
        if (r.getN() == null || r.getM() == null) {
            throw new InvalidPairException(id, (r.getN() == null ? "n" : "m") + " is null");
        }
        float[] scores = scores(r);
        int n = r.getN();
        int m = r.getM();
        if (r.getDiagLo() == null && r.getDiagHi() == null) {
            return Pair.dense(id, n, m, scores);
        }
        if (r.getDiagLo() == null || r.getDiagHi() == null) {
            throw new InvalidPairException(id, "diag_lo and diag_hi must both be set (band layout) or both be null (dense)");
        }
        return Pair.band(id, n, m, r.getDiagLo(), r.getDiagHi(), scores);
    }

    private static float[] scores(InputRecord r) {
        if (r.getScores() != null) {
            if (Boolean.TRUE.equals(r.getScoresHaveNull())) {
                throw new InvalidPairException(r.getId(), "scores contain a null element");
            }
            return r.getScores();
        }
        byte[] packed = r.getPackedScores();
        if (packed == null) {
            throw new InvalidPairException(r.getId(), "scores are null");
        }
        if (packed.length % 4 != 0) {
            throw new InvalidPairException(r.getId(), "binary scores hold " + packed.length
                    + " bytes, not a whole number of little-endian float32 values");
        }
        return unpack(packed);
    }

    /** Little-endian float32 bytes to floats, in bulk. */
    static float[] unpack(byte[] packed) {
        float[] out = new float[packed.length / 4];
        ByteBuffer.wrap(packed).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** Floats to little-endian float32 bytes, in bulk. */
    static byte[] pack(float[] values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values);
        return buf.array();
    }
}
