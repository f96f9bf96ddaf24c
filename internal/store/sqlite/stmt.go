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
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, text string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[text]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	c.m[text] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// cachedReader runs queries through the statement cache, on the read pool
// (tx nil) or within a read transaction of that pool.
type cachedReader struct {
	c  *stmtCache
	tx *sql.Tx
}

func (r cachedReader) stmt(ctx context.Context, text string) (*sql.Stmt, error) {
	st, err := r.c.get(ctx, text)
	if err != nil || r.tx == nil {
		return st, err
	}
	// database/sql reuses the statement already prepared on the
	// transaction's connection; the wrapper dies with the transaction.
	return r.tx.StmtContext(ctx, st), nil
}

func (r cachedReader) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if r.tx != nil {
		return r.tx.ExecContext(ctx, query, args...)
	}
	return r.c.db.ExecContext(ctx, query, args...)
}

func (r cachedReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := r.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (r cachedReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := r.stmt(ctx, query)
	if err != nil {
		// Let database/sql report the same preparation error through a Row.
		if r.tx != nil {
			return r.tx.QueryRowContext(ctx, query, args...)
		}
		return r.c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
