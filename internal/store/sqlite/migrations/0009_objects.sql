-- Version 9: service objects (store.Objects), the documents in which
-- Roles Anywhere keeps its trust anchors, profiles and CRLs and IoT its
-- certificates, things and role aliases, one per (account, kind, id). The
-- store does not look inside body; the owning service encodes it.
-- created_at and updated_at are microseconds since the epoch.
CREATE TABLE objects (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    body       BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, kind, id)
);
-- Find: a certificate presented to the IoT endpoint names no account.
CREATE INDEX objects_by_id ON objects (kind, id);
