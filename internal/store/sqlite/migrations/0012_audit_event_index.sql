-- Version 12: the audit event index (store.EventIndex), written behind the
-- audit trail (eventindex.Indexer) for the console's audit explorer and
-- LookupEvents: one row per event and account it concerns, keyed by the
-- event's sequence number in the trail, with the event's JSON, so that a
-- page of events is one index range read. time is seconds since the
-- epoch. Each index ends in key, so that newest-first pages read in order.
CREATE TABLE audit_events (
    account_id    TEXT    NOT NULL,
    key           INTEGER NOT NULL,
    time          INTEGER NOT NULL,
    event_id      TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    principal_arn TEXT    NOT NULL,
    issuer_arn    TEXT    NOT NULL,
    username      TEXT    NOT NULL,
    access_key_id TEXT    NOT NULL,
    issued_key_id TEXT    NOT NULL,
    error_code    TEXT    NOT NULL,
    read_only     INTEGER NOT NULL,
    management    INTEGER NOT NULL,
    event         TEXT    NOT NULL
);
CREATE UNIQUE INDEX audit_events_key ON audit_events (account_id, key);
CREATE INDEX audit_events_management ON audit_events (account_id, key) WHERE management;
CREATE INDEX audit_events_time ON audit_events (account_id, time, key);
CREATE INDEX audit_events_name ON audit_events (account_id, name, key);
CREATE INDEX audit_events_username ON audit_events (account_id, username, key);
CREATE INDEX audit_events_principal ON audit_events (account_id, principal_arn, key);
CREATE INDEX audit_events_access_key ON audit_events (account_id, access_key_id, key);
CREATE INDEX audit_events_issued_key ON audit_events (account_id, issued_key_id) WHERE issued_key_id != '';
CREATE INDEX audit_events_error ON audit_events (account_id, error_code, key) WHERE error_code != '';
CREATE INDEX audit_events_errors ON audit_events (account_id, key) WHERE error_code != '';
CREATE INDEX audit_events_event_id ON audit_events (account_id, event_id);

-- Up to which sequence number of this data directory's trail the event
-- index is complete: at start the indexer reads the trail after it.
CREATE TABLE audit_event_index_position (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO audit_event_index_position (id, seq) VALUES (1, 0);
