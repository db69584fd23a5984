package org.bandalign.align.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.bandalign.align.AlignOptions;
import org.bandalign.align.Mode;
import org.bandalign.align.Pair;
import org.bandalign.align.Semiring;

/** One case of {@code reference/alignment_cases.json} (SPEC section 4), float64 truth. */
public final class ReferenceCase {
    public final String name;
    public final int n;
    public final int m;
    public final Mode mode;
    public final Integer band;
    public final int diagLo;
    public final int diagHi;
    public final String kind;
    public final float[] scores;
    public final double logPartition;
    public final double[] marginals;
    public final double viterbiScore;
    public final String viterbiCigar;
    public final int[] viterbiStart;
    public final int[] viterbiEnd;
    public final double[] viterbiIndicator;

    private ReferenceCase(int index, JsonNode c) {
        n = c.get("n").asInt();
        m = c.get("m").asInt();
        mode = Mode.valueOf(c.get("mode").asText().toUpperCase(java.util.Locale.ROOT));
        band = c.get("band").isNull() ? null : c.get("band").asInt();
        diagLo = c.get("diag_lo").asInt();
        diagHi = c.get("diag_hi").asInt();
        kind = c.get("kind").asText();
        scores = floats(c.get("scores"));
        logPartition = c.get("log_partition").asDouble();
        marginals = doubles(c.get("marginals"));
        viterbiScore = c.get("viterbi_score").asDouble();
        viterbiCigar = c.get("viterbi_cigar").asText();
        viterbiStart = new int[] {c.get("viterbi_start").get(0).asInt(), c.get("viterbi_start").get(1).asInt()};
        viterbiEnd = new int[] {c.get("viterbi_end").get(0).asInt(), c.get("viterbi_end").get(1).asInt()};
        viterbiIndicator = doubles(c.get("viterbi_indicator"));
        name = "case" + index + "-" + kind + "-" + mode.wireName() + "-" + n + "x" + m + (band == null ? "" : "-w" + band);
    }

    /** All cases of the bundled reference file. */
    public static List<ReferenceCase> all() {
        try (InputStream in = ReferenceCase.class.getResourceAsStream("/reference/alignment_cases.json")) {
            if (in == null) {
                throw new IllegalStateException("test resource /reference/alignment_cases.json is missing");
            }
            JsonNode root = new ObjectMapper().readTree(in);
            List<ReferenceCase> cases = new ArrayList<>();
            int index = 0;
            for (JsonNode c : root.get("cases")) {
                cases.add(new ReferenceCase(index++, c));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True where the reference's best path is not unique, so only its weight is checked. */
    public boolean hasViterbiTies() {
        return kind.equals("seedlike");
    }

    /** Marginal tolerance required by SPEC "Numerics" for this case's magnitudes. */
    public double marginalTolerance() {
        double max = 0;
        for (float s : scores) {
            if (Float.isFinite(s)) {
                max = Math.max(max, Math.abs(s));
            }
        }
        return max <= 10 ? 1e-5 : 1e-4;
    }

    public Pair densePair() {
        return Pair.dense(name, n, m, scores.clone());
    }

    /** The same scores in band layout over the case's own band (SPEC section 2), padding NaN. */
    public Pair bandPair() {
        return Pair.band(name, n, m, diagLo, diagHi, toBandLayout(scores, n, m, diagLo, diagHi));
    }

    /**
     * Dense scores copied into band layout over {@code [lo, hi]}; padding slots hold NaN, which an
     * engine must ignore.
     */
    public static float[] toBandLayout(float[] dense, int n, int m, int lo, int hi) {
        int w = hi - lo + 1;
        float[] band = new float[n * w * 3];
        java.util.Arrays.fill(band, Float.NaN);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < w; c++) {
                int j = i + lo + c;
                if (j >= 0 && j < m) {
                    System.arraycopy(dense, (i * m + j) * 3, band, (i * w + c) * 3, 3);
                }
            }
        }
        return band;
    }

    public AlignOptions options(Semiring semiring) {
        AlignOptions.Builder b = AlignOptions.builder().mode(mode).semiring(semiring);
        if (band != null) {
            b.band(band);
        }
        return b.build();
    }

    @Override
    public String toString() {
        return name;
    }

    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = a.get(k).isNull() ? Float.NEGATIVE_INFINITY : (float) a.get(k).asDouble();
        }
        return out;
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = a.get(k).isNull() ? Double.NEGATIVE_INFINITY : a.get(k).asDouble();
        }
        return out;
    }
}
