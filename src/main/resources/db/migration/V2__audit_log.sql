-- The append-only, hash-chained audit log. Never a secret value in any column.
CREATE TABLE audit_log (
    seq         BIGINT        NOT NULL PRIMARY KEY,
    recorded_at VARCHAR(40)   NOT NULL,
    kind        VARCHAR(40)   NOT NULL,
    task_id     VARCHAR(200),
    task_type   VARCHAR(200),
    session_id  VARCHAR(200),
    credential  VARCHAR(128),
    version_id  VARCHAR(64),
    scope       VARCHAR(32),
    detail      VARCHAR(4000),
    prev_hash   VARCHAR(64)   NOT NULL,
    hash        VARCHAR(64)   NOT NULL
);
CREATE INDEX audit_log_by_task ON audit_log (task_id);
CREATE INDEX audit_log_by_credential ON audit_log (credential, version_id);

-- The chain's head: the single row whose UPDATE serializes appenders and that lets verify()
-- notice records cut off the end of the log.
CREATE TABLE audit_head (
    id        INTEGER     NOT NULL PRIMARY KEY,
    last_seq  BIGINT      NOT NULL,
    last_hash VARCHAR(64) NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
