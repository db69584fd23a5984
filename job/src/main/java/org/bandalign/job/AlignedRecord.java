package org.bandalign.job;

import java.io.Serializable;
import java.util.List;

/**
 * One output row of {@code marginals/} as a Spark bean; {@link OutputColumns} renames and orders
 * the columns as SPEC section 5 prints them and keeps one of {@code marginals} and
 * {@code packedMarginals}.
 */
public final class AlignedRecord implements Serializable {
    private static final long serialVersionUID = 1L;

    private String id;
    private int n;
    private int m;
    private String mode;
    private int diagLo;
    private int diagHi;
    private String layout;
    private Double logPartition;
    private float[] marginals;
    private byte[] packedMarginals;
    private List<SparseStep> sparse;
    private Double viterbiScore;
    private String viterbiCigar;
    private Integer viterbiStartI;
    private Integer viterbiStartJ;
    private Integer viterbiEndI;
    private Integer viterbiEndJ;

    public AlignedRecord() {
    }

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

    public String getMode() {
        return mode;
    }

    public void setMode(String mode) {
        this.mode = mode;
    }

    public int getDiagLo() {
        return diagLo;
    }

    public void setDiagLo(int diagLo) {
        this.diagLo = diagLo;
    }

    public int getDiagHi() {
        return diagHi;
    }

    public void setDiagHi(int diagHi) {
        this.diagHi = diagHi;
    }

    public String getLayout() {
        return layout;
    }

    public void setLayout(String layout) {
        this.layout = layout;
    }

    public Double getLogPartition() {
        return logPartition;
    }

    public void setLogPartition(Double logPartition) {
        this.logPartition = logPartition;
    }

    public float[] getMarginals() {
        return marginals;
    }

    public void setMarginals(float[] marginals) {
        this.marginals = marginals;
    }

    public byte[] getPackedMarginals() {
        return packedMarginals;
    }

    public void setPackedMarginals(byte[] packedMarginals) {
        this.packedMarginals = packedMarginals;
    }

    public List<SparseStep> getSparse() {
        return sparse;
    }

    public void setSparse(List<SparseStep> sparse) {
        this.sparse = sparse;
    }

    public Double getViterbiScore() {
        return viterbiScore;
    }

    public void setViterbiScore(Double viterbiScore) {
        this.viterbiScore = viterbiScore;
    }

    public String getViterbiCigar() {
        return viterbiCigar;
    }

    public void setViterbiCigar(String viterbiCigar) {
        this.viterbiCigar = viterbiCigar;
    }

    public Integer getViterbiStartI() {
        return viterbiStartI;
    }

    public void setViterbiStartI(Integer viterbiStartI) {
        this.viterbiStartI = viterbiStartI;
    }

    public Integer getViterbiStartJ() {
        return viterbiStartJ;
    }

    public void setViterbiStartJ(Integer viterbiStartJ) {
        this.viterbiStartJ = viterbiStartJ;
    }

    public Integer getViterbiEndI() {
        return viterbiEndI;
    }

    public void setViterbiEndI(Integer viterbiEndI) {
        this.viterbiEndI = viterbiEndI;
    }

    public Integer getViterbiEndJ() {
        return viterbiEndJ;
    }

    public void setViterbiEndJ(Integer viterbiEndJ) {
        this.viterbiEndJ = viterbiEndJ;
    }
}
