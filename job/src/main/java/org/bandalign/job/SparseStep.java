package org.bandalign.job;

import java.io.Serializable;

/** One step of a sparse marginals row: cell (i, j), step k, probability p. */
public final class SparseStep implements Serializable {
    private static final long serialVersionUID = 1L;

    private int i;
    private int j;
    private int k;
    private float p;

    public SparseStep() {
    }

    public int getI() {
        return i;
    }

    public void setI(int i) {
        this.i = i;
    }

    public int getJ() {
        return j;
    }

    public void setJ(int j) {
        this.j = j;
    }

    public int getK() {
        return k;
    }

    public void setK(int k) {
        this.k = k;
    }

    public float getP() {
        return p;
    }

    public void setP(float p) {
        this.p = p;
    }
}
