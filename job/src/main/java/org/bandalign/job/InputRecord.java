package org.bandalign.job;

import java.io.Serializable;

/**
 * One input row as the job decodes it (a Spark bean: typed float[] and byte[] arrays, no boxed
 * floats). Exactly one of {@code scores} and {@code packedScores} is set, per the input's
 * scores column type; {@code scoresHaveNull} is true when an array<float> holds a null element.
 */
public final class InputRecord implements Serializable {
    private static final long serialVersionUID = 1L;

    private String id;
    private Integer n;
    private Integer m;
    private float[] scores;
    private byte[] packedScores;
    private Boolean scoresHaveNull;
    private Integer diagLo;
    private Integer diagHi;

    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
    }

    public Integer getN() {
        return n;
    }

    public void setN(Integer n) {
        this.n = n;
    }

    public Integer getM() {
        return m;
    }

    public void setM(Integer m) {
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

    public Boolean getScoresHaveNull() {
        return scoresHaveNull;
    }

    public void setScoresHaveNull(Boolean scoresHaveNull) {
        this.scoresHaveNull = scoresHaveNull;
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
}
