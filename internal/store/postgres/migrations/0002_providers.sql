-- IAM identity providers (OIDC and SAML), one row each, addressed by ARN:
-- the table of store/sqlite's 0002_providers.sql. Lists and tags are JSON
-- arrays; times are microseconds since the epoch.
CREATE TABLE identity_providers (
    arn         TEXT COLLATE "C" PRIMARY KEY,
    account_id  TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    kind        TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    url         TEXT COLLATE "C" NOT NULL DEFAULT '',
    client_ids  TEXT NOT NULL DEFAULT '[]',
    thumbprints TEXT NOT NULL DEFAULT '[]',
    metadata    TEXT NOT NULL DEFAULT '',
    uuid        TEXT COLLATE "C" NOT NULL DEFAULT '',
    valid_until BIGINT,
    tags        TEXT NOT NULL DEFAULT '[]',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX identity_providers_account ON identity_providers (account_id, kind, arn);
