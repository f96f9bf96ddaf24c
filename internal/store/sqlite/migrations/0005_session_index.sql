-- Version 5: issuance records are an index written behind the audit trail
-- (revocation.Indexer). This one row says up to which sequence number of
-- this data directory's trail the index is complete: at start the indexer
-- reads the trail after it, so a crash between acknowledging a request and
-- indexing what it issued loses nothing. It starts unknown (-1): the
-- events written before this version name nothing to index (their records
-- were written as they were issued), so the first start takes the trail's
-- head as it is instead of reading the whole trail.
--
-- Revocation no longer walks the records down a chain (a session token
-- carries its lineage), so nothing looks records up by parent key: that
-- index, keyed by random ids and so the dearest to insert into, goes.

CREATE TABLE session_index_position (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO session_index_position (id, seq) VALUES (1, -1);

DROP INDEX sessions_parent;
