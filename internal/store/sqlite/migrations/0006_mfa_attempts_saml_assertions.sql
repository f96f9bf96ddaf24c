-- Version 6: records that refuse guesses and replays across every process
-- sharing the store (issue 13). Both expire on their own and housekeeping
-- prunes them; `brevet migrate` does not copy them.
--
-- mfa_attempts: failed MFA attempts and lockouts per device serial and
-- per principal (store.MFAAttempt). Times are microseconds, NULL for none.
CREATE TABLE mfa_attempts (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start INTEGER,
    lockouts     INTEGER NOT NULL,
    locked_until INTEGER,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX mfa_attempts_expires ON mfa_attempts (expires_at);

-- saml_assertions: redeemed SAML assertions, keyed by
-- store.AssertionKey(issuer, id), kept until their NotOnOrAfter.
CREATE TABLE saml_assertions (
    key        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX saml_assertions_expires ON saml_assertions (expires_at);
