-- Version 3: issuance records of temporary credentials and the revocation
-- list. Neither references accounts: a record outlives nothing it names,
-- and both are pruned once what they describe has expired.

CREATE TABLE sessions (
    access_key_id        TEXT PRIMARY KEY,
    session_id           TEXT NOT NULL,
    account_id           TEXT NOT NULL,
    principal_arn        TEXT NOT NULL,
    session_arn          TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    session_name         TEXT NOT NULL,
    source_ip            TEXT NOT NULL,
    parent_access_key_id TEXT NOT NULL,
    root_access_key_id   TEXT NOT NULL,
    issued_at            INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL
);
CREATE INDEX sessions_principal ON sessions (principal_arn, issued_at);
CREATE INDEX sessions_parent ON sessions (parent_access_key_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE revocations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    account_id TEXT NOT NULL,
    target     TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX revocations_expires ON revocations (expires_at);
