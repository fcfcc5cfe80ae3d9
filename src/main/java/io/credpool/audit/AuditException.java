package io.credpool.audit;

/** The audit log could not be read or written; nothing was half-appended. */
public final class AuditException extends RuntimeException {
    public AuditException(String message, Throwable cause) {
        super(message, cause);
    }
}
