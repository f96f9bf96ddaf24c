-- Version 4: issuance records are no longer unique by access key id
-- (store.Sessions says why; store/sqlite's 0004_sessions_rowid.sql drops
-- the key there, for the cost of inserting random ids). PostgreSQL keeps
-- an index on the id, now non-unique, so listing or revoking one key
-- stays an index lookup. The column stays NOT NULL, which the primary key
-- implied.

ALTER TABLE sessions DROP CONSTRAINT sessions_pkey, ALTER COLUMN access_key_id SET NOT NULL;
CREATE INDEX sessions_access_key ON sessions (access_key_id);
