-- Version 6: the tables of store/sqlite's 0006_mfa_attempts_saml_assertions.sql,
-- carried over one for one: failed MFA attempts and lockouts per device
-- serial and per principal, and redeemed SAML assertions. Both expire on
-- their own and housekeeping prunes them; `brevet migrate` does not copy
-- them.
CREATE TABLE mfa_attempts (
    key          TEXT COLLATE "C" PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start BIGINT,
    lockouts     INTEGER NOT NULL,
    locked_until BIGINT,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX mfa_attempts_expires ON mfa_attempts (expires_at);

CREATE TABLE saml_assertions (
    key        TEXT COLLATE "C" PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX saml_assertions_expires ON saml_assertions (expires_at);
