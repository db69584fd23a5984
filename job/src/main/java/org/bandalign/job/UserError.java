package org.bandalign.job;

/** A mistake in how the job was invoked; printed without a stack trace. */
final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Whether the mistake is a flag's value, which the command's --help describes. */
    final boolean badFlag;

    UserError(String message) {
        this(message, false);
    }

    /** A mistake found in the input (a bad row, where the run was asked to stop at one), {@code cause} the row's own error. */
    UserError(String message, Throwable cause) {
        super(message, cause);
        this.badFlag = false;
    }

    private UserError(String message, boolean badFlag) {
        super(message);
        this.badFlag = badFlag;
    }

    /** A flag given a value it does not take: printed with a pointer to the command's --help, as picocli's own parse errors are. */
    static UserError badFlag(String message) {
        return new UserError(message, true);
    }
}
