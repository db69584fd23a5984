package org.bandalign.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Score tensors of real protein pairs for the sample input: BLOSUM62 log-odds for the diagonal
 * step and a linear gap penalty for the two others (the three-step model has no affine gaps),
 * all in nats (BLOSUM62 is in half-bits: one unit is ln(2)/2). The sequences are UniProtKB
 * entries bundled as {@code proteins.fasta}; the matrix is NCBI's {@code BLOSUM62}.
 */
final class ProteinScores {
    /** One BLOSUM62 unit in nats. */
    static final double LAMBDA = Math.log(2) / 2;
    /** Score of a gap step (I or D), in BLOSUM62 units. */
    static final int GAP = -6;

    private ProteinScores() {
    }

    /** Entry name (e.g. HBA_HUMAN) to sequence, in file order. */
    static Map<String, String> proteins() {
        Map<String, String> out = new LinkedHashMap<>();
        String name = null;
        for (String line : lines("proteins.fasta")) {
            if (line.startsWith(">")) {
                name = line.substring(1).split("\\s+")[1];
                out.put(name, "");
            } else if (!line.isBlank() && !line.startsWith(";")) {
                out.put(name, out.get(name) + line.trim());
            }
        }
        return out;
    }

    /**
     * The BLOSUM62 matrix, in half-bits: {@code [a][b]} scores residue {@code alphabet[a]}
     * against {@code alphabet[b]}, the letters written into {@code alphabet} (25 of them).
     */
    static int[][] blosum62(String[] alphabet) {
        List<String> rows = new ArrayList<>();
        for (String line : lines("BLOSUM62")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                rows.add(line);
            }
        }
        String[] header = rows.get(0).trim().split("\\s+");
        int[][] m = new int[header.length][header.length];
        for (int r = 1; r < rows.size(); r++) {
            String[] f = rows.get(r).trim().split("\\s+");
            for (int c = 1; c < f.length; c++) {
                m[r - 1][c - 1] = Integer.parseInt(f[c]);
            }
        }
        System.arraycopy(header, 0, alphabet, 0, header.length);
        return m;
    }

    /** The dense {@code n x m x 3} score tensor of aligning x against y. */
    static float[] scores(String x, String y) {
        String[] alphabet = new String[25];
        int[][] b62 = blosum62(alphabet);
        String letters = String.join("", alphabet);
        int n = x.length();
        int m = y.length();
        float[] s = new float[n * m * 3];
        float gap = (float) (GAP * LAMBDA);
        for (int i = 0; i < n; i++) {
            int a = letters.indexOf(x.charAt(i));
            for (int j = 0; j < m; j++) {
                int b = letters.indexOf(y.charAt(j));
                int q = (i * m + j) * 3;
                s[q] = gap;
                s[q + 1] = (float) (b62[a][b] * LAMBDA);
                s[q + 2] = gap;
            }
        }
        return s;
    }

    private static List<String> lines(String resource) {
        try (InputStream in = ProteinScores.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<String> out = new ArrayList<>();
            for (String line; (line = r.readLine()) != null; ) {
                out.add(line);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
