-- Version 13: the audit event index's indexes read pages newest first
-- without sorting. Every page is ORDER BY key DESC LIMIT n: an index that
-- ends in key gives it in order and stops after n rows, and one that also
-- holds time filters a time range without reading the rows. The time
-- index of version 12 made SQLite sort every event of a range, whole rows
-- (seconds for a wide one over 100,000 events): FindEvents now uses it
-- only for a range of few events (it counts them first), and time rides
-- along in the others. The partial indexes on error_code and issued_key_id were
-- not used for an equality (SQLite cannot tell that it implies the
-- partial condition); they become full ones. read_only gets its own.
DROP INDEX audit_events_management;
DROP INDEX audit_events_name;
DROP INDEX audit_events_username;
DROP INDEX audit_events_principal;
DROP INDEX audit_events_access_key;
DROP INDEX audit_events_issued_key;
DROP INDEX audit_events_error;
DROP INDEX audit_events_errors;
DROP INDEX audit_events_event_id;
CREATE INDEX audit_events_scan ON audit_events (account_id, key, time, read_only, management);
CREATE INDEX audit_events_management ON audit_events (account_id, key, time) WHERE management;
CREATE INDEX audit_events_name ON audit_events (account_id, name, key, time);
CREATE INDEX audit_events_username ON audit_events (account_id, username, key, time);
CREATE INDEX audit_events_principal ON audit_events (account_id, principal_arn, key, time);
CREATE INDEX audit_events_access_key ON audit_events (account_id, access_key_id, key, time);
CREATE INDEX audit_events_issued_key ON audit_events (account_id, issued_key_id, key);
CREATE INDEX audit_events_error ON audit_events (account_id, error_code, key, time);
CREATE INDEX audit_events_errors ON audit_events (account_id, key, time) WHERE error_code != '';
CREATE INDEX audit_events_read_only ON audit_events (account_id, read_only, key, time);
CREATE INDEX audit_events_event_id ON audit_events (account_id, event_id, key);
