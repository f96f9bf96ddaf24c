-- Version 8: the table of store/sqlite's 0008_bucket_policies.sql: the
-- policies of buckets behind the S3 gateway, which Brevet holds itself
-- (store.BucketPolicies), one per (account, bucket). document is the JSON
-- the client sent; bindings ties the users and roles it names to their
-- unique ids when it was saved, encoded as roles' trust_bindings
-- (store.EncodeTrustBindings: NULL unbound, else a JSON array of
-- {"ARN", "ID"}). updated_at is microseconds since the epoch.
CREATE TABLE bucket_policies (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    bucket     TEXT COLLATE "C" NOT NULL,
    document   TEXT NOT NULL,
    bindings   TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, bucket)
);
