-- The embedded secrets store. Plain, portable SQL (SQLite now, PostgreSQL later): no BLOBs,
-- binary data is base64 text; times are ISO-8601 instants as text.

-- One row per secret name. UPDATE of last_version is the per-secret write lock (a row lock on
-- PostgreSQL, the database write lock on SQLite) and hands out monotonic version numbers.
CREATE TABLE secrets (
    name         VARCHAR(128) NOT NULL PRIMARY KEY,
    last_version INTEGER      NOT NULL,
    created_at   VARCHAR(40)  NOT NULL
);

-- One row per version: AES-256-GCM ciphertext (with tag) and its nonce, base64.
-- A label names at most one version of a secret: UNIQUE (name, label) with NULL for no label
-- (NULLs are distinct in a UNIQUE constraint on both SQLite and PostgreSQL).
CREATE TABLE secret_versions (
    name        VARCHAR(128)    NOT NULL REFERENCES secrets (name),
    version_no  INTEGER         NOT NULL,
    label       VARCHAR(16),
    nonce       VARCHAR(32)     NOT NULL,
    ciphertext  VARCHAR(131072) NOT NULL,
    created_at  VARCHAR(40)     NOT NULL,
    PRIMARY KEY (name, version_no),
    CONSTRAINT secret_versions_one_per_label UNIQUE (name, label)
);
