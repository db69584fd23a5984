package org.bandalign.job;

import java.io.Serializable;

/** One input row that was not aligned, and why (SPEC section 5, {@code rejected/}). */
public final class RejectedRecord implements Serializable {
    private static final long serialVersionUID = 1L;

    private String id;
    private String error;

    public RejectedRecord() {
    }

    public String getId() {
        return id;
    }

    public void setId(String id) {
        this.id = id;
    }

    public String getError() {
        return error;
    }

    public void setError(String error) {
        this.error = error;
    }
}
