-- Version 11: the tables of store/sqlite's 0011_login_profiles.sql: IAM
-- login profiles and account password policies (store.LoginProfiles,
-- store.PasswordPolicies). A user has at most one login profile, keyed by
-- the user's id, whose foreign key keeps a user with a password from being
-- deleted. password_hash is the PHC string of an argon2id hash (package
-- credential/password), never the password. Times are microseconds since
-- the epoch.
CREATE TABLE login_profiles (
    user_id             TEXT COLLATE "C" PRIMARY KEY REFERENCES users (id),
    password_hash       TEXT NOT NULL,
    reset_required      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);
-- One password policy per account; the columns are AWS's PasswordPolicy.
CREATE TABLE password_policies (
    account_id                   TEXT COLLATE "C" PRIMARY KEY REFERENCES accounts (id),
    minimum_length               INTEGER NOT NULL,
    require_symbols              BOOLEAN NOT NULL,
    require_numbers              BOOLEAN NOT NULL,
    require_uppercase            BOOLEAN NOT NULL,
    require_lowercase            BOOLEAN NOT NULL,
    allow_users_to_change        BOOLEAN NOT NULL,
    max_password_age             INTEGER NOT NULL,
    password_reuse_prevention    INTEGER NOT NULL,
    hard_expiry                  BOOLEAN NOT NULL
);
