package io.credpool.audit;

/**
 * What an audit record is about. Stored by name: a new kind is a new constant here and needs no
 * migration; never rename or remove a constant that old records may carry.
 */
public enum AuditEventKind {
    TASK_STARTED,
    CREDENTIAL_RECEIVED,
    TASK_FINISHED,
    TASK_REFUSED,
    SESSION_OPENED,
    SESSION_CLOSED,
    SECRET_PUT,
    SECRET_PROMOTED,
    SESSION_REKEYED,
    ROTATION_STARTED,
    ROTATION_STEP,
    ROTATION_FINISHED
}
