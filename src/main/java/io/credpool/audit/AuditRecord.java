package io.credpool.audit;

import java.time.Instant;
import java.util.Objects;

/**
 * One stored audit record: the event, its place in the chain, and the hashes that link it to
 * the record before. Fields that do not apply are null.
 */
public record AuditRecord(
        long sequence,
        Instant time,
        AuditEventKind kind,
        String taskId,
        String taskType,
        String sessionId,
        String credential,
        String versionId,
        String scope,
        String detail,
        String previousHash,
        String hash) {

    public AuditRecord {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(previousHash, "previousHash");
        Objects.requireNonNull(hash, "hash");
    }

    /** The event this record holds. */
    public AuditEvent event() {
        return new AuditEvent(kind, taskId, taskType, sessionId, credential, versionId, scope,
                detail);
    }
}
