-- Version 5: revocation no longer walks the issuance records down a chain
-- (a session token carries its lineage), so nothing looks records up by
-- parent key: that index, keyed by random ids, goes.

DROP INDEX sessions_parent;
