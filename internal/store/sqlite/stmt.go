package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared read statements on the read pool. Preparing is
// most of the cost of a small query in SQLite (the principal read model
// spent 60% of its time in the parser before this), and the texts are a
// small fixed set, so the cache is bounded without eviction.
//
// A statement is prepared in the background the first time its text is
// seen, never by the reader that asked: a reader inside a read
// transaction holds one of the pool's connections, and preparing on the
// pool takes another, so a burst of such readers on a cold cache, as many
// as the pool has connections, would each wait for a connection the
// others hold until their contexts ended. The first readers of a text run
// it unprepared instead.
//
// close waits for the statements being prepared: one still preparing
// would hold a read connection past the store's Close, and SQLite would
// then create and delete the -wal and -shm files beside the database
// after the store said it was closed (a test's t.TempDir cleanup saw
// them appear).
type stmtCache struct {
	db      *sql.DB
	ctx     context.Context // ended by close, so a fill waiting for a connection gives up
	cancel  context.CancelFunc
	fills   sync.WaitGroup
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	filling map[string]bool
	closed  bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	ctx, cancel := context.WithCancel(context.Background())
	return &stmtCache{db: db, ctx: ctx, cancel: cancel}
}

// lookup returns the prepared statement for text, or nil when there is
// none yet; it then starts preparing one in the background.
func (c *stmtCache) lookup(text string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[text]; ok {
		return st
	}
	if !c.closed && !c.filling[text] {
		if c.filling == nil {
			c.filling = make(map[string]bool)
		}
		c.filling[text] = true
		c.fills.Add(1)
		go c.fill(text)
	}
	return nil
}

// fill prepares text on the pool, waiting for a free connection while
// holding nothing, and caches it.
func (c *stmtCache) fill(text string) {
	defer c.fills.Done()
	st, err := c.db.PrepareContext(c.ctx, text)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.filling, text)
	switch {
	case err != nil:
		// Not cached; the next reader of text tries again.
	case c.closed:
		st.Close()
	default:
		if c.m == nil {
			c.m = make(map[string]*sql.Stmt)
		}
		c.m[text] = st
	}
}

// close closes the cached statements and waits for those being prepared,
// which it closes too: no statement or connection of the cache outlives
// it.
func (c *stmtCache) close() {
	c.mu.Lock()
	for _, st := range c.m {
		st.Close()
	}
	c.m, c.closed = nil, true
	c.mu.Unlock()
	c.cancel()
	c.fills.Wait()
}

// cachedReader runs queries through the statement cache, on the read pool
// (tx nil) or within a read transaction of that pool.
type cachedReader struct {
	c  *stmtCache
	tx *sql.Tx
}

// stmt is the prepared statement for query, bound to the transaction if
// there is one; nil when the cache does not have it yet.
func (r cachedReader) stmt(ctx context.Context, query string) *sql.Stmt {
	st := r.c.lookup(query)
	if st == nil || r.tx == nil {
		return st
	}
	// database/sql reuses the statement already prepared on the
	// transaction's connection; the wrapper dies with the transaction.
	return r.tx.StmtContext(ctx, st)
}

func (r cachedReader) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if r.tx != nil {
		return r.tx.ExecContext(ctx, query, args...)
	}
	return r.c.db.ExecContext(ctx, query, args...)
}

func (r cachedReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	if r.tx != nil {
		return r.tx.QueryContext(ctx, query, args...)
	}
	return r.c.db.QueryContext(ctx, query, args...)
}

func (r cachedReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	if r.tx != nil {
		return r.tx.QueryRowContext(ctx, query, args...)
	}
	return r.c.db.QueryRowContext(ctx, query, args...)
}
