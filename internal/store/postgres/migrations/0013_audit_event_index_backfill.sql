-- Version 13: the events the PostgreSQL trail (brevet_audit_events) held
-- before version 12 have no rows in the audit event index, which the audit
-- sink writes only for the events it inserts after it; LookupEvents,
-- answered from the index, would no longer find them. upto is the last of
-- those events (0: none, a new database); seq is how far a node has
-- indexed them: a node indexes the events after seq up to upto at start
-- (eventindex.Indexer.CatchUpTo, many nodes at once harmlessly).
CREATE TABLE audit_event_index_position (
    id   integer PRIMARY KEY CHECK (id = 1),
    seq  bigint  NOT NULL,
    upto bigint  NOT NULL
);
INSERT INTO audit_event_index_position (id, seq, upto) VALUES (1, 0, 0);
DO $$
BEGIN
    IF to_regclass('brevet_audit_events') IS NOT NULL THEN
        UPDATE audit_event_index_position SET upto = (SELECT coalesce(max(id), 0) FROM brevet_audit_events);
    END IF;
END
$$;
