-- IAM identity providers (OIDC and SAML), one row each, addressed by ARN.
-- Lists and tags are JSON arrays; times are microseconds since the epoch.
CREATE TABLE identity_providers (
    arn         TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL DEFAULT '',
    client_ids  TEXT NOT NULL DEFAULT '[]',
    thumbprints TEXT NOT NULL DEFAULT '[]',
    metadata    TEXT NOT NULL DEFAULT '',
    uuid        TEXT NOT NULL DEFAULT '',
    valid_until INTEGER,
    tags        TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX identity_providers_account ON identity_providers (account_id, kind, arn);
