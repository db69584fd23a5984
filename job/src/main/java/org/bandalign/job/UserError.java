package org.bandalign.job;

/** A mistake in how the job was invoked; printed without a stack trace. */
final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UserError(String message) {
        super(message);
    }
}
