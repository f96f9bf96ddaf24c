-- Brevet IAM schema, version 1: the tables of store/sqlite's 0001_init.sql,
-- carried over one for one. Times are microseconds since the Unix epoch,
-- UTC (BIGINT), so both backends hold exactly the same values. Every text
-- column is COLLATE "C": ORDER BY compares bytes, as SQLite does, whatever
-- the database's locale. name_key is the lower-cased name: IAM names are
-- unique per account case-insensitively.

CREATE TABLE accounts (
    id         TEXT COLLATE "C" PRIMARY KEY,
    alias      TEXT COLLATE "C" UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    account_id         TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    name               TEXT COLLATE "C" NOT NULL,
    name_key           TEXT COLLATE "C" NOT NULL,
    path               TEXT COLLATE "C" NOT NULL,
    created_at         BIGINT NOT NULL,
    password_last_used BIGINT,
    boundary_arn       TEXT COLLATE "C" NOT NULL DEFAULT '',
    tags               TEXT NOT NULL DEFAULT '[]',
    UNIQUE (account_id, name_key)
);

CREATE TABLE iam_groups (
    id         TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    name       TEXT COLLATE "C" NOT NULL,
    name_key   TEXT COLLATE "C" NOT NULL,
    path       TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, name_key)
);

CREATE TABLE group_members (
    group_id TEXT COLLATE "C" NOT NULL REFERENCES iam_groups (id),
    user_id  TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE roles (
    id               TEXT COLLATE "C" PRIMARY KEY,
    account_id       TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    name             TEXT COLLATE "C" NOT NULL,
    name_key         TEXT COLLATE "C" NOT NULL,
    path             TEXT COLLATE "C" NOT NULL,
    created_at       BIGINT NOT NULL,
    trust_policy     TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    max_session      INTEGER NOT NULL,
    boundary_arn     TEXT COLLATE "C" NOT NULL DEFAULT '',
    tags             TEXT NOT NULL DEFAULT '[]',
    last_used_at     BIGINT,
    last_used_region TEXT NOT NULL DEFAULT '',
    UNIQUE (account_id, name_key)
);

CREATE TABLE policies (
    id              TEXT COLLATE "C" PRIMARY KEY,
    account_id      TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    name            TEXT COLLATE "C" NOT NULL,
    name_key        TEXT COLLATE "C" NOT NULL,
    path            TEXT COLLATE "C" NOT NULL,
    arn             TEXT COLLATE "C" NOT NULL UNIQUE,
    description     TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    default_version TEXT COLLATE "C" NOT NULL,
    version_seq     INTEGER NOT NULL,
    tags            TEXT NOT NULL DEFAULT '[]',
    UNIQUE (account_id, name_key)
);

CREATE TABLE policy_versions (
    policy_id  TEXT COLLATE "C" NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    version_id TEXT COLLATE "C" NOT NULL,
    version_no INTEGER NOT NULL,
    document   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (policy_id, version_id)
);

CREATE TABLE user_policies (
    user_id  TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    name     TEXT COLLATE "C" NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
);

CREATE TABLE group_policies (
    group_id TEXT COLLATE "C" NOT NULL REFERENCES iam_groups (id),
    name     TEXT COLLATE "C" NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (group_id, name)
);

CREATE TABLE role_policies (
    role_id  TEXT COLLATE "C" NOT NULL REFERENCES roles (id),
    name     TEXT COLLATE "C" NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (role_id, name)
);

CREATE TABLE user_attachments (
    user_id   TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    policy_id TEXT COLLATE "C" NOT NULL REFERENCES policies (id),
    PRIMARY KEY (user_id, policy_id)
);
CREATE INDEX user_attachments_policy ON user_attachments (policy_id);

CREATE TABLE group_attachments (
    group_id  TEXT COLLATE "C" NOT NULL REFERENCES iam_groups (id),
    policy_id TEXT COLLATE "C" NOT NULL REFERENCES policies (id),
    PRIMARY KEY (group_id, policy_id)
);
CREATE INDEX group_attachments_policy ON group_attachments (policy_id);

CREATE TABLE role_attachments (
    role_id   TEXT COLLATE "C" NOT NULL REFERENCES roles (id),
    policy_id TEXT COLLATE "C" NOT NULL REFERENCES policies (id),
    PRIMARY KEY (role_id, policy_id)
);
CREATE INDEX role_attachments_policy ON role_attachments (policy_id);

CREATE INDEX users_boundary ON users (boundary_arn);
CREATE INDEX roles_boundary ON roles (boundary_arn);

CREATE TABLE access_keys (
    id                TEXT COLLATE "C" PRIMARY KEY,
    user_id           TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    status            TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    secret            BYTEA NOT NULL,
    last_used_at      BIGINT,
    last_used_service TEXT NOT NULL DEFAULT '',
    last_used_region  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_keys_user ON access_keys (user_id);

CREATE TABLE mfa_devices (
    serial     TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    name       TEXT COLLATE "C" NOT NULL,
    path       TEXT COLLATE "C" NOT NULL,
    seed       BYTEA NOT NULL,
    user_id    TEXT COLLATE "C" REFERENCES users (id),
    enabled_at BIGINT,
    last_step  BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    tags       TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX mfa_devices_user ON mfa_devices (user_id);
CREATE INDEX mfa_devices_account ON mfa_devices (account_id);

CREATE TABLE key_material (
    purpose    TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    ciphertext BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (purpose, id)
);

-- seq comes from a sequence; writers take a transaction-level advisory lock
-- before drawing it (see db.go), so seq order is commit order.
CREATE TABLE changes (
    seq        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL,
    kind       TEXT COLLATE "C" NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    at         BIGINT NOT NULL
);

-- brevet_record_change appends one change in the caller's transaction. The
-- advisory lock (one per schema, held to commit) makes seq order commit
-- order; pg_notify is delivered on commit, so listeners hear only of
-- changes that happened.
CREATE FUNCTION brevet_record_change(p_account TEXT, p_kind TEXT, p_key TEXT, p_at BIGINT)
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    s BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('brevet:changes:' || current_schema()));
    INSERT INTO changes (account_id, kind, key, at) VALUES (p_account, p_kind, p_key, p_at)
        RETURNING seq INTO s;
    PERFORM pg_notify('brevet_changes', s::text);
    RETURN s;
END
$$;
