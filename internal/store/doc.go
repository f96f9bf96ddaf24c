// Package store defines the persistence contract for Brevet's IAM state:
// small interfaces per aggregate (accounts, users, groups, roles, managed and
// inline policies, attachments, access keys, MFA devices, key material,
// the S3 gateway's bucket policies), a
// transaction that spans them, a change feed for cache invalidation, and the
// read model authorization uses on the hot path.
//
// It owns the contract and its two errors, ErrNotFound and ErrConflict; it
// does not own IAM rules. Backends enforce only what a database can enforce
// (uniqueness, referential integrity, atomicity); validation, quotas and
// AWS's error messages belong to the IAM service, which turns these errors
// into iam domain errors. Package storetest is the conformance suite every
// backend runs; store/sqlite is the embedded backend.
//
// Conventions for every backend:
//   - Names of users, groups, roles and managed policies are unique per
//     account case-insensitively (iam.NameKey); lookups by name are
//     case-insensitive too, and return the name as stored.
//   - Inline policy names are unique per owner and compared exactly.
//   - Times are passed in by the caller in the entities; a backend stores them
//     with at least microsecond precision and returns them in UTC. Change-feed
//     timestamps come from the clock the backend was opened with.
//   - Slices from List methods are in a stable order (by lower-cased name, or
//     as documented) so that callers can page with ListOptions.After. Order
//     is byte order (PostgreSQL: COLLATE "C"), never locale order.
//   - Every write appends to the change feed in the same transaction.
//
// Notes for backend authors (PostgreSQL comes next): the schema in
// store/sqlite/migrations is plain SQL meant to be carried over table for
// table; migrations are embedded, numbered NNNN_name.sql, recorded in
// schema_migrations and applied on open in one transaction that also
// serializes concurrent openers (SQLite: BEGIN IMMEDIATE; PostgreSQL: take
// pg_advisory_xact_lock first). Tx must be serializable: SQLite gets that
// from its single writer; PostgreSQL should use SERIALIZABLE and retry fn on
// SQLSTATE 40001, which the Tx contract allows. Quota checks in the service
// (count, then insert, inside Tx) rely on it; storetest's ConcurrentQuota
// test proves it.
package store
