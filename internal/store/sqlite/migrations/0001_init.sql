-- Brevet IAM schema, version 1.
-- Portable SQL: the PostgreSQL backend uses the same tables with BIGINT for
-- INTEGER times, BYTEA for BLOB and BIGSERIAL/identity for changes.seq.
-- Times are microseconds since the Unix epoch, UTC. name_key is the
-- lower-cased name: IAM names are unique per account case-insensitively.

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    alias      TEXT UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id),
    name               TEXT NOT NULL,
    name_key           TEXT NOT NULL,
    path               TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    password_last_used INTEGER,
    boundary_arn       TEXT NOT NULL DEFAULT '',
    tags               TEXT NOT NULL DEFAULT '[]',
    UNIQUE (account_id, name_key)
);

CREATE TABLE iam_groups (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL,
    path       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, name_key)
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES iam_groups (id),
    user_id  TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE roles (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts (id),
    name                TEXT NOT NULL,
    name_key            TEXT NOT NULL,
    path                TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    trust_policy        TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    max_session         INTEGER NOT NULL,
    boundary_arn        TEXT NOT NULL DEFAULT '',
    tags                TEXT NOT NULL DEFAULT '[]',
    last_used_at        INTEGER,
    last_used_region    TEXT NOT NULL DEFAULT '',
    UNIQUE (account_id, name_key)
);

CREATE TABLE policies (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL,
    path            TEXT NOT NULL,
    arn             TEXT NOT NULL UNIQUE,
    description     TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    default_version TEXT NOT NULL,
    version_seq     INTEGER NOT NULL,
    tags            TEXT NOT NULL DEFAULT '[]',
    UNIQUE (account_id, name_key)
);

CREATE TABLE policy_versions (
    policy_id  TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    version_id TEXT NOT NULL,
    version_no INTEGER NOT NULL,
    document   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (policy_id, version_id)
);

CREATE TABLE user_policies (
    user_id  TEXT NOT NULL REFERENCES users (id),
    name     TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
);

CREATE TABLE group_policies (
    group_id TEXT NOT NULL REFERENCES iam_groups (id),
    name     TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (group_id, name)
);

CREATE TABLE role_policies (
    role_id  TEXT NOT NULL REFERENCES roles (id),
    name     TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (role_id, name)
);

CREATE TABLE user_attachments (
    user_id   TEXT NOT NULL REFERENCES users (id),
    policy_id TEXT NOT NULL REFERENCES policies (id),
    PRIMARY KEY (user_id, policy_id)
);
CREATE INDEX user_attachments_policy ON user_attachments (policy_id);

CREATE TABLE group_attachments (
    group_id  TEXT NOT NULL REFERENCES iam_groups (id),
    policy_id TEXT NOT NULL REFERENCES policies (id),
    PRIMARY KEY (group_id, policy_id)
);
CREATE INDEX group_attachments_policy ON group_attachments (policy_id);

CREATE TABLE role_attachments (
    role_id   TEXT NOT NULL REFERENCES roles (id),
    policy_id TEXT NOT NULL REFERENCES policies (id),
    PRIMARY KEY (role_id, policy_id)
);
CREATE INDEX role_attachments_policy ON role_attachments (policy_id);

CREATE INDEX users_boundary ON users (boundary_arn);
CREATE INDEX roles_boundary ON roles (boundary_arn);

CREATE TABLE access_keys (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id),
    status            TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    secret            BLOB NOT NULL,
    last_used_at      INTEGER,
    last_used_service TEXT NOT NULL DEFAULT '',
    last_used_region  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_keys_user ON access_keys (user_id);

CREATE TABLE mfa_devices (
    serial     TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    path       TEXT NOT NULL,
    seed       BLOB NOT NULL,
    user_id    TEXT REFERENCES users (id),
    enabled_at INTEGER,
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    tags       TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX mfa_devices_user ON mfa_devices (user_id);

CREATE TABLE key_material (
    purpose    TEXT NOT NULL,
    id         TEXT NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (purpose, id)
);

CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    at         INTEGER NOT NULL
);
