// Package sqlite is the embedded store backend: one SQLite file, opened
// with modernc.org/sqlite (pure Go, so CGO_ENABLED=0 builds work).
//
// It owns the SQL for SQLite and its migrations; it implements the store
// contract and nothing else (no IAM rules). The database runs in WAL mode
// with foreign keys on. Writes go through one connection whose transactions
// begin IMMEDIATE, so writers serialize (in this process on the connection,
// across processes on SQLite's lock with a busy timeout) and every Tx is
// serializable; reads use a separate pool of read-only connections and never
// block on writers.
package sqlite
