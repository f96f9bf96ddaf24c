-- Version 4: issuance records are no longer unique by access key id
-- (store.Sessions says why), and sessions becomes a rowid table with no
-- key or index on access_key_id. Ids are random, so a B-tree keyed by them
-- made every insert dirty a page of its own; rows are now appended in
-- rowid order and the remaining indexes are keyed by mostly rising values.
-- A lookup by access key id scans the table: that is an administrator's
-- call (listing or revoking one key), rare next to issuance.

CREATE TABLE sessions_new (
    access_key_id        TEXT NOT NULL,
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
INSERT INTO sessions_new (access_key_id, session_id, account_id, principal_arn, session_arn, kind, session_name,
        source_ip, parent_access_key_id, root_access_key_id, issued_at, expires_at)
    SELECT access_key_id, session_id, account_id, principal_arn, session_arn, kind, session_name,
        source_ip, parent_access_key_id, root_access_key_id, issued_at, expires_at
    FROM sessions ORDER BY issued_at, access_key_id;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_principal ON sessions (principal_arn, issued_at);
CREATE INDEX sessions_parent ON sessions (parent_access_key_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
