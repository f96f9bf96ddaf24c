-- Version 11: IAM login profiles and account password policies
-- (store.LoginProfiles, store.PasswordPolicies). A user has at most one
-- login profile, keyed by the user's id, whose foreign key keeps a user
-- with a password from being deleted. password_hash is the PHC string of
-- an argon2id hash (package credential/password), never the password.
-- Times are microseconds since the epoch.
CREATE TABLE login_profiles (
    user_id             TEXT PRIMARY KEY REFERENCES users (id),
    password_hash       TEXT NOT NULL,
    reset_required      INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
);
-- One password policy per account; the columns are AWS's PasswordPolicy.
CREATE TABLE password_policies (
    account_id                   TEXT PRIMARY KEY REFERENCES accounts (id),
    minimum_length               INTEGER NOT NULL,
    require_symbols              INTEGER NOT NULL,
    require_numbers              INTEGER NOT NULL,
    require_uppercase            INTEGER NOT NULL,
    require_lowercase            INTEGER NOT NULL,
    allow_users_to_change        INTEGER NOT NULL,
    max_password_age             INTEGER NOT NULL,
    password_reuse_prevention    INTEGER NOT NULL,
    hard_expiry                  INTEGER NOT NULL
);
