// Package postgres is the PostgreSQL backend of package store, for
// clusters: any number of stateless Brevet nodes share one database. It
// implements store.Store with pgx v5 and passes the same conformance suite
// (storetest) as the embedded SQLite backend, whose semantics it mirrors
// statement for statement.
//
// What differs from SQLite, and why:
//   - Transactions are SERIALIZABLE and retried on serialization failure
//     (40001) and deadlock (40P01), because PostgreSQL has many concurrent
//     writers where SQLite has one; Store.Tx documents that fn may run more
//     than once.
//   - The change feed's sequence numbers are drawn under a transaction-level
//     advisory lock, so seq order is commit order and a reader that has seen
//     seq N has seen everything before it, as the store contract requires.
//     Every change also sends pg_notify('brevet_changes', seq) in the same
//     transaction; Store.Listen turns those into callbacks.
//   - Every text column is COLLATE "C", so listings sort by bytes whatever
//     the database locale.
//   - Schema migrations (embedded, schema_migrations) are applied on Open
//     under pg_advisory_xact_lock, so several nodes may start at once.
//     Store.Exclusive takes the same lock (session-level, around its
//     transactions), so a node's first start waits for another's to commit.
//
// It owns only persistence: no IAM rules, no wire errors.
package postgres
