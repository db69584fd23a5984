package org.bandalign.job;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.BandGeometry;
import org.bandalign.align.InvalidPairException;
import org.bandalign.align.Pair;

/**
 * Turns one input row ({@link InputColumns} order) into a {@link Pair}, or throws
 * {@link InvalidPairException} naming the row's id and what is wrong: a null id, n, m or scores,
 * a null score element, a binary length that is not whole floats, half a band, and every shape
 * error of SPEC section 1. Copies what it keeps: Spark reuses the row object.
 */
final class PairDecoder {
    private PairDecoder() {
    }

    static Pair decode(InternalRow r, InputColumns.Format format) {
        return decode(r, id -> r.isNullAt(InputColumns.SCORES) ? null : format.binary
                ? unpack(id, r.getBinary(InputColumns.SCORES))
                : floats(id, r.getArray(InputColumns.SCORES), format.elementsMayBeNull, format.wide), format.binary);
    }

    /** Where a row's scores come from: its own column, or, for a file of large rows, {@link ParquetScores}. */
    @FunctionalInterface
    interface ScoresSource {
        /**
         * The scores of the row of pair {@code id}, or null where they are null.
         *
         * @throws InvalidPairException where they are unusable
         */
        float[] scores(String id);
    }

    /**
     * {@link #decode(InternalRow, InputColumns.Format)}, with the row's scores from {@code source};
     * {@code binary}: they are packed bytes, whose most common mistake (float64 bytes, twice the
     * floats the shape needs) the rejection then names.
     */
    static Pair decode(InternalRow r, ScoresSource source, boolean binary) {
        if (r.isNullAt(InputColumns.ID)) {
            throw new InvalidPairException(null, "id is null");
        }
        String id = r.getUTF8String(InputColumns.ID).toString();
        if (id.indexOf('\uFFFD') >= 0) {
            byte[] bytes = r.getUTF8String(InputColumns.ID).getBytes();
            if (!utf8(bytes)) {   // (a binary id: two such ids would become one string, each byte U+FFFD)
                throw new InvalidPairException(id, "id is not UTF-8 text (its bytes: " + hex(bytes) + "); SPEC section 5's ids are"
                        + " strings: store it as one (e.g. in hex)");
            }
        }
        if (r.isNullAt(InputColumns.N) || r.isNullAt(InputColumns.M)) {
            boolean nBad = r.isNullAt(InputColumns.N);
            throw new InvalidPairException(id, unusableValue(r, nBad ? "n" : "m", nBad ? InputColumns.N_GIVEN : InputColumns.M_GIVEN));
        }
        int n = r.getInt(InputColumns.N);
        int m = r.getInt(InputColumns.M);
        for (int k : new int[] {InputColumns.DIAG_LO_GIVEN, InputColumns.DIAG_HI_GIVEN}) {
            if (given(r, k) != null) {
                throw new InvalidPairException(id, unusableValue(r, k == InputColumns.DIAG_LO_GIVEN ? "diag_lo" : "diag_hi", k));
            }
        }
        boolean noLo = r.isNullAt(InputColumns.DIAG_LO);
        boolean noHi = r.isNullAt(InputColumns.DIAG_HI);
        if (noLo != noHi) {   // (checked, like the bounds, before the scores are copied)
            throw new InvalidPairException(id, "diag_lo and diag_hi must both be set (band layout) or both be null (dense)");
        }
        float[] scores = source.scores(id);
        if (scores == null) {
            throw new InvalidPairException(id, "scores are null");
        }
        try {
            return noLo ? Pair.dense(id, n, m, scores)
                    : Pair.band(id, n, m, r.getInt(InputColumns.DIAG_LO), r.getInt(InputColumns.DIAG_HI), scores);
        } catch (InvalidPairException e) {
            long needs = 3L * n * (noLo ? m : (long) r.getInt(InputColumns.DIAG_HI) - r.getInt(InputColumns.DIAG_LO) + 1);
            // (the length the reason, not the band: a band that misses a corner is no packing mistake)
            if (binary && needs > 0 && scores.length == 2 * needs && e.reason().endsWith(", got " + scores.length)) {
                throw new InvalidPairException(id, e.reason() + ", twice as many: were they packed as float64? Binary scores are "
                        + "little-endian float32 (with numpy: S.astype('<f4').tobytes())");
            }
            throw e;
        }
    }

    /** Whether {@code bytes} are well-formed UTF-8. */
    private static boolean utf8(byte[] bytes) {
        try {
            java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    /** The first 32 of {@code bytes} in hex, "..." after them where there are more. */
    private static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (int k = 0; k < Math.min(32, bytes.length); k++) {
            out.append(String.format(java.util.Locale.ROOT, "%02x", bytes[k]));
        }
        return bytes.length > 32 ? out + "..." : out.toString();
    }

        /** What is wrong with a null integer column: null, or a value that is no 32-bit integer. */
    private static String unusableValue(InternalRow r, String column, int givenField) {
        String v = given(r, givenField);
        if (v == null) {
            return column + " is null";
        }
        // (text that is empty or has blanks at its ends is quoted, so that it shows)
        String shown = v.isEmpty() || !v.equals(v.strip()) ? "'" + v + "'" : v;
        return column + " is " + shown + ", not a whole number that fits 32 bits";
    }

    /** The {@code *_GIVEN} field {@code k} ({@link InputColumns#N_GIVEN}): the unusable value, or null. */
    private static String given(InternalRow r, int k) {
        return r.numFields() > k && !r.isNullAt(k) ? r.getUTF8String(k).toString() : null;
    }

    /** A size check on a pair's shape: its id, the band it is aligned in, and whether its input is in band layout. */
    interface SizeCheck {
        /** @throws InvalidPairException when the pair is too large */
        void check(String id, BandGeometry g, boolean bandLayout);
    }

    /**
     * Runs {@code check} on the row's shape alone, before {@link #decode} copies its scores: a
     * row too large for the configured memory (SPEC section 1) is then rejected without ever
     * being copied. A row whose id, lengths or band are missing or bad passes; decode says what
     * is wrong with it.
     *
     * @throws InvalidPairException from {@code check}
     */
    static void checkSizeFirst(InternalRow r, AlignOptions options, SizeCheck check) {
        if (r.isNullAt(InputColumns.ID) || r.isNullAt(InputColumns.N) || r.isNullAt(InputColumns.M)
                || r.isNullAt(InputColumns.DIAG_LO) != r.isNullAt(InputColumns.DIAG_HI)
                || given(r, InputColumns.DIAG_LO_GIVEN) != null || given(r, InputColumns.DIAG_HI_GIVEN) != null) {
            return;
        }
        int n = r.getInt(InputColumns.N);
        int m = r.getInt(InputColumns.M);
        boolean band = !r.isNullAt(InputColumns.DIAG_LO);
        BandGeometry g;
        try {
            g = BandGeometry.of(n, m, band ? r.getInt(InputColumns.DIAG_LO) : -(n - 1), band ? r.getInt(InputColumns.DIAG_HI) : m - 1,
                    options);
        } catch (IllegalArgumentException badShape) {
            return;
        }
        check.check(r.getUTF8String(InputColumns.ID).toString(), g, band);
    }

    private static float[] floats(String id, ArrayData a, boolean mayHaveNull, boolean wide) {
        if (mayHaveNull) {
            for (int k = 0, len = a.numElements(); k < len; k++) {
                if (a.isNullAt(k)) {
                    throw new InvalidPairException(id, nullElement(k));
                }
            }
        }
        return wide ? narrow(id, a.toDoubleArray()) : a.toFloatArray();
    }

    /**
     * Doubles to floats, refusing a finite value that float32 cannot hold (it would become an
     * infinity). (The page reader narrows as it copies, {@code FloatListChunk}; its tests hold it
     * to this.)
     */
    static float[] narrow(String id, double[] values) {
        float[] out = new float[values.length];
        for (int k = 0; k < values.length; k++) {
            double v = values[k];
            out[k] = (float) v;
            if (Float.isInfinite(out[k]) && !Double.isInfinite(v)) {
                throw new InvalidPairException(id, beyondFloatRange(v, k));
            }
        }
        return out;
    }

    /** Why a row whose scores hold a null element at {@code index} is rejected. */
    static String nullElement(int index) {
        return "scores contain a null element (at index " + index + "; pandas' to_parquet writes a NaN inside an array as null)";
    }

    /** Why a row whose score {@code v} at {@code index} is a finite value beyond float32's range is rejected. */
    static String beyondFloatRange(double v, int index) {
        return "score " + v + " (at index " + index + ") is beyond float32's range, in which BandAlign reads scores (|s| <= "
                + Float.MAX_VALUE + ")";
    }

    /** Little-endian float32 bytes to floats, refusing a length that is no whole number of them. */
    static float[] unpack(String id, byte[] packed) {
        return unpack(id, ByteBuffer.wrap(packed));
    }

    /** {@link #unpack(String, byte[])} of the bytes {@code packed} has left, which it leaves where they are. */
    static float[] unpack(String id, ByteBuffer packed) {
        if (packed.remaining() % 4 != 0) {
            throw new InvalidPairException(id, "binary scores hold " + packed.remaining()
                    + " bytes, not a whole number of little-endian float32 values");
        }
        float[] out = new float[packed.remaining() / 4];
        packed.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
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
