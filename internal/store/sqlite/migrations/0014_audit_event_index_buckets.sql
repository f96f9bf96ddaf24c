-- Version 14: the audit event index's two indexes on random values (the
-- event id, a UUID, and the issued access key id) become bucketed, so
-- that the index writer appends to them instead of inserting at random.
-- An insert at a random place in a B-tree dirties a page of its own,
-- which the commit writes to the WAL and the checkpoint writes again:
-- two such inserts an event were most of the index writer's cost (about
-- 130 of 180 µs an event in the index's benchmark). Each index now holds
-- the event's bucket (its value's last character's code point modulo 8),
-- then key: events append at the end of their bucket, so that a batch
-- dirties at most eight pages in each. A lookup by event id or issued key
-- reads its bucket newest first (an eighth of the account's events, in
-- the index alone) instead of one entry. issued_key_id's index keeps only
-- the events that issued a key; FindEvents names its condition so that
-- SQLite uses it.
DROP INDEX audit_events_event_id;
DROP INDEX audit_events_issued_key;
CREATE INDEX audit_events_event_id ON audit_events (account_id, unicode(substr(event_id, -1)) % 8, key, event_id);
CREATE INDEX audit_events_issued_key ON audit_events (account_id, unicode(substr(issued_key_id, -1)) % 8, key, issued_key_id)
    WHERE issued_key_id != '';
