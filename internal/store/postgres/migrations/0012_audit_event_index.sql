-- Version 12: the tables of store/sqlite's 0012_audit_event_index.sql: the
-- audit event index (store.EventIndex), one row per event and account it
-- concerns, keyed by the event's id in brevet_audit_events (the
-- PostgreSQL trail), written by the audit sink in the transaction that
-- inserts the events. time is seconds since the epoch.
CREATE TABLE audit_events (
    account_id    text    NOT NULL,
    key           bigint  NOT NULL,
    time          bigint  NOT NULL,
    event_id      text    NOT NULL,
    source        text    NOT NULL,
    name          text    NOT NULL,
    principal_arn text    NOT NULL,
    issuer_arn    text    NOT NULL,
    username      text    NOT NULL,
    access_key_id text    NOT NULL,
    issued_key_id text    NOT NULL,
    error_code    text    NOT NULL,
    read_only     boolean NOT NULL,
    management    boolean NOT NULL,
    event         text    NOT NULL,
    PRIMARY KEY (account_id, key)
);
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
