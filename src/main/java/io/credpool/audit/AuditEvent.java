package io.credpool.audit;

import java.util.Objects;

/**
 * What a caller asks the audit log to record; the log adds sequence number, time and hashes.
 * Fields that do not apply are null. Never put a secret value in any field, {@code detail}
 * included: it is stored in plaintext.
 */
public record AuditEvent(
        AuditEventKind kind,
        String taskId,
        String taskType,
        String sessionId,
        String credential,
        String versionId,
        String scope,
        String detail) {

    /** Column widths of the audit_log table, enforced here so PostgreSQL never truncates. */
    static final int MAX_ID = 200;
    static final int MAX_CREDENTIAL = 128;
    static final int MAX_VERSION = 64;
    static final int MAX_SCOPE = 32;
    static final int MAX_DETAIL = 4000;

    public AuditEvent {
        Objects.requireNonNull(kind, "kind");
        checkLength("taskId", taskId, MAX_ID);
        checkLength("taskType", taskType, MAX_ID);
        checkLength("sessionId", sessionId, MAX_ID);
        checkLength("credential", credential, MAX_CREDENTIAL);
        checkLength("versionId", versionId, MAX_VERSION);
        checkLength("scope", scope, MAX_SCOPE);
        checkLength("detail", detail, MAX_DETAIL);
    }

    /** An event of this kind with every other field empty; add them with the {@code with} methods. */
    public static AuditEvent of(AuditEventKind kind) {
        return new AuditEvent(kind, null, null, null, null, null, null, null);
    }

    public AuditEvent withTask(String taskId, String taskType) {
        return new AuditEvent(kind, taskId, taskType, sessionId, credential, versionId, scope,
                detail);
    }

    public AuditEvent withSession(String sessionId) {
        return new AuditEvent(kind, taskId, taskType, sessionId, credential, versionId, scope,
                detail);
    }

    public AuditEvent withCredential(String credential, String versionId) {
        return new AuditEvent(kind, taskId, taskType, sessionId, credential, versionId, scope,
                detail);
    }

    public AuditEvent withScope(String scope) {
        return new AuditEvent(kind, taskId, taskType, sessionId, credential, versionId, scope,
                detail);
    }

    public AuditEvent withDetail(String detail) {
        return new AuditEvent(kind, taskId, taskType, sessionId, credential, versionId, scope,
                detail);
    }

    private static void checkLength(String field, String value, int max) {
        if (value != null && value.length() > max) {
            // Length only: the text itself could be anything, so it stays out of the message.
            throw new IllegalArgumentException("audit field " + field + " is " + value.length()
                    + " characters; the limit is " + max);
        }
    }
}
