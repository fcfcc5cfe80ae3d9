package io.credpool.task;

/**
 * A task was refused before any sandbox started: nothing was injected. The message names the
 * task type and credential and says what to do; it never carries a value.
 */
public final class TaskRefusedException extends RuntimeException {
    /** Why, as a stable code for the CLI's exit status and the API's error body. */
    public enum Reason {
        UNKNOWN_TASK_TYPE, UNKNOWN_CREDENTIAL, UNDECLARED_CREDENTIAL, PROVIDER_UNAVAILABLE,
        UNKNOWN_SESSION, SESSION_MISMATCH, SESSION_REQUIRED, NO_SANDBOX, BAD_REQUEST,
        /** The workspace holds a known secret value or a secret-shaped string. */
        WORKSPACE_HAS_SECRET,
        /** The workspace could not be scanned completely (too large, unreadable, bad allowlist). */
        WORKSPACE_NOT_SCANNED
    }

    private final Reason reason;
    private final String credential;
    private final String auditDetail;

    public TaskRefusedException(Reason reason, String message) {
        this(reason, null, message, null);
    }

    /** A refusal about one credential, named so the audit log and the API can say which. */
    public TaskRefusedException(Reason reason, String credential, String message, Throwable cause) {
        this(reason, credential, message, cause, null);
    }

    /**
     * @param auditDetail what the audit record says beyond the reason code (file:line, names,
     *     versions: never values), or null
     */
    public TaskRefusedException(Reason reason, String credential, String message, Throwable cause, String auditDetail) {
        super(message, cause);
        this.reason = reason;
        this.credential = credential;
        this.auditDetail = auditDetail;
    }

    /** The reason code, and the detail when there is one, for the audit log. */
    public String auditDetail() {
        String d = auditDetail == null ? code() : code() + ": " + auditDetail;
        return d.length() <= 4000 ? d : d.substring(0, 3990) + " …";
    }

    public java.util.Optional<String> credential() {
        return java.util.Optional.ofNullable(credential);
    }

    public Reason reason() {
        return reason;
    }

    public String code() {
        return reason.name().toLowerCase(java.util.Locale.ROOT);
    }
}
