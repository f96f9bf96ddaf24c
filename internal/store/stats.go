package store

import "time"

// PoolStats describe one connection pool of a backend, for metrics.
type PoolStats struct {
	// Pool names it: "write" and "read" for SQLite's two, "pool" for
	// PostgreSQL's one.
	Pool string
	// Max is the most connections it opens; Open how many it has, InUse
	// of them serving a caller and Idle waiting for one.
	Max, Open, InUse, Idle int
	// Waits counts the callers that had to wait for a connection, and
	// WaitTime is how long they waited in all.
	Waits    uint64
	WaitTime time.Duration
}
