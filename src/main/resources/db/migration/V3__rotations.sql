-- The rotation journal. Portable SQL as in V1: text times, base64 text for ciphertext.
-- A value (credpool's proposed one, or what the issuer returned) is kept only as AES-256-GCM
-- ciphertext under a key derived from the master key; never plaintext in any column.

-- One row per rotation: what it is about and what it has learnt so far (version ids, times).
CREATE TABLE rotations (
    id                  VARCHAR(40)    NOT NULL PRIMARY KEY,
    credential          VARCHAR(128)   NOT NULL,
    status              VARCHAR(16)    NOT NULL,
    issuer              VARCHAR(64)    NOT NULL,
    old_version         VARCHAR(64),
    new_version         VARCHAR(64),
    proposed_nonce      VARCHAR(32),
    proposed_ciphertext VARCHAR(131072),
    issued_nonce        VARCHAR(32),
    issued_ciphertext   VARCHAR(131072),
    abort_requested     INTEGER        NOT NULL,
    cutover_at          VARCHAR(40),
    drained_at          VARCHAR(40),
    confirmation        VARCHAR(2000),
    error               VARCHAR(4000),
    created_at          VARCHAR(40)    NOT NULL,
    updated_at          VARCHAR(40)    NOT NULL
);
CREATE INDEX rotations_by_credential ON rotations (credential);

-- Each effect: a STARTED row before it happens, then DONE, FAILED or UNAVAILABLE after.
CREATE TABLE rotation_steps (
    rotation_id VARCHAR(40)   NOT NULL REFERENCES rotations (id),
    seq         INTEGER       NOT NULL,
    step        VARCHAR(32)   NOT NULL,
    phase       VARCHAR(16)   NOT NULL,
    at          VARCHAR(40)   NOT NULL,
    detail      VARCHAR(2000),
    PRIMARY KEY (rotation_id, seq)
);

-- At most one unfinished rotation per credential: the primary key is the lock, held from the
-- rotation's first row until it is finished, in the same transactions.
CREATE TABLE rotation_locks (
    credential  VARCHAR(128) NOT NULL PRIMARY KEY,
    rotation_id VARCHAR(40)  NOT NULL REFERENCES rotations (id)
);
