// Package backup owns Brevet's backup format for a data directory with the
// embedded (SQLite) store: making a consistent copy while the server runs,
// checking a copy against its manifest, and restoring it into an empty data
// directory.
//
// A backup is a directory holding brevet.db (a snapshot taken through
// SQLite's online backup API), audit/ (the audit trail: its signed digests,
// its event files, the active one up to its last complete record, and its
// signing key), master.key only when the operator asked for it, and
// manifest.json, written last, listing every file with its size and SHA-256.
//
// It knows file layouts and nothing of IAM; it must not open the store for
// anything but the snapshot and a final integrity check. PostgreSQL stores
// are backed up with PostgreSQL's own tools (docs/operations.md).
package backup
