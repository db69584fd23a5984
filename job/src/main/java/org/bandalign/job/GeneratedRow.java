package org.bandalign.job;

import java.io.Serializable;

/** One row written by {@code generate} (SPEC section 5 input; one of the two scores fields is set). */
public final class GeneratedRow implements Serializable {
    private static final long serialVersionUID = 1L;

    private String id;
    private int n;
    private int m;
    private float[] scores;
    private byte[] packedScores;
    private Integer diagLo;
    private Integer diagHi;
    private String source;

    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
    }

    public int getN() {
        return n;
    }

    public void setN(int n) {
        this.n = n;
    }

    public int getM() {
        return m;
    }

    public void setM(int m) {
        this.m = m;
    }

    public float[] getScores() {
        return scores;
    }

    public void setScores(float[] scores) {
        this.scores = scores;
    }

    public byte[] getPackedScores() {
        return packedScores;
    }

    public void setPackedScores(byte[] packedScores) {
        this.packedScores = packedScores;
    }

    public Integer getDiagLo() {
        return diagLo;
    }

    public void setDiagLo(Integer diagLo) {
        this.diagLo = diagLo;
    }

    public Integer getDiagHi() {
        return diagHi;
    }

    public void setDiagHi(Integer diagHi) {
        this.diagHi = diagHi;
    }

    public String getSource() {
        return source;
    }

    public void setSource(String source) {
        this.source = source;
    }
}
