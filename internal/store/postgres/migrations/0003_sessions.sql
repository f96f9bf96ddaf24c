-- Version 3: the tables of store/sqlite's 0003_sessions.sql, carried over
-- one for one: issuance records of temporary credentials and the
-- revocation list.

CREATE TABLE sessions (
    access_key_id        TEXT COLLATE "C" PRIMARY KEY,
    session_id           TEXT COLLATE "C" NOT NULL,
    account_id           TEXT COLLATE "C" NOT NULL,
    principal_arn        TEXT COLLATE "C" NOT NULL,
    session_arn          TEXT COLLATE "C" NOT NULL,
    kind                 TEXT COLLATE "C" NOT NULL,
    session_name         TEXT COLLATE "C" NOT NULL,
    source_ip            TEXT COLLATE "C" NOT NULL,
    parent_access_key_id TEXT COLLATE "C" NOT NULL,
    root_access_key_id   TEXT COLLATE "C" NOT NULL,
    issued_at            BIGINT NOT NULL,
    expires_at           BIGINT NOT NULL
);
CREATE INDEX sessions_principal ON sessions (principal_arn, issued_at);
CREATE INDEX sessions_parent ON sessions (parent_access_key_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE revocations (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       TEXT COLLATE "C" NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL,
    target     TEXT COLLATE "C" NOT NULL,
    not_before BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT COLLATE "C" NOT NULL
);
CREATE INDEX revocations_expires ON revocations (expires_at);
