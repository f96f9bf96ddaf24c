package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options configures Open.
type Options struct {
	// Now stamps change-feed entries. Required: time is passed in.
	Now func() time.Time
	// MaxConns caps the connection pool (0: pgxpool's default, or the DSN's
	// pool_max_conns).
	MaxConns int32
	// MaxAttempts caps how many times a transaction runs when it keeps
	// losing serialization races (default 20).
	MaxAttempts int
}

// Store is an open PostgreSQL database. It implements store.Store.
type Store struct {
	repos
	pool        *pgxpool.Pool
	now         func() time.Time
	maxAttempts int
}

var _ store.Store = (*Store)(nil)

// Open connects to the database named by dsn (postgres://user@host/db?...;
// the schema is the first of the search_path), applies pending migrations
// and returns the store. Several processes may open the same database at
// once: migrations are serialized by an advisory lock.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Now == nil {
		return nil, errors.New("postgres: Options.Now is required")
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 20
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included: do not wrap it.
		return nil, errors.New("postgres: the DSN does not parse (check quoting and %XX escapes in the password)")
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool, opts.Now()); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, now: opts.Now, maxAttempts: opts.MaxAttempts}
	s.repos = repos{conn{s: s}}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Tx implements store.Store. fn runs in a SERIALIZABLE transaction; if
// PostgreSQL aborts it for a serialization failure or a deadlock, fn runs
// again (up to Options.MaxAttempts times), as the store.Store contract
// allows.
func (s *Store) Tx(ctx context.Context, fn func(store.Repos) error) error {
	return s.serializable(ctx, func(tx pgx.Tx) error { return fn(repos{conn{s: s, tx: tx}}) })
}

// Exclusive implements store.Store. On one pooled connection it takes the
// schema's migration lock (see migrate) as a session-level advisory lock,
// then runs fn as Tx does, in SERIALIZABLE transactions begun once the lock
// is granted: their snapshots see everything the previous holder
// committed, so fn does not have to lose a serialization race to find it.
// A connection that may still hold the lock after an error is closed
// rather than returned to the pool.
func (s *Store) Exclusive(ctx context.Context, fn func(store.Repos) error) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: exclusive: %w", err)
	}
	defer c.Release()
	var schema string
	if err := c.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("postgres: exclusive: %w", err)
	}
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock(`+migrateLockKey+`)`, schema); err != nil {
		c.Conn().Close(context.WithoutCancel(ctx))
		return fmt.Errorf("postgres: exclusive: lock: %w", err)
	}
	defer func() {
		if _, uerr := c.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+migrateLockKey+`)`, schema); uerr != nil {
			c.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	return s.serializableOn(ctx, c, func(tx pgx.Tx) error { return fn(repos{conn{s: s, tx: tx}}) })
}

// beginner is what *pgxpool.Pool and *pgxpool.Conn have in common.
type beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// serializable runs fn in a SERIALIZABLE transaction and retries it, with
// jittered exponential backoff, while it fails with 40001 or 40P01.
func (s *Store) serializable(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.serializableOn(ctx, s.pool, fn)
}

// serializableOn is serializable on db (the pool, or one connection).
func (s *Store) serializableOn(ctx context.Context, db beginner, fn func(pgx.Tx) error) error {
	backoff := time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.once(ctx, db, fn)
		if err == nil || !retryable(err) || attempt >= s.maxAttempts {
			return unavailable(err)
		}
		sleep := backoff/2 + rand.N(backoff)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(sleep):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

func (s *Store) once(ctx context.Context, db beginner, fn func(pgx.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(context.WithoutCancel(ctx)); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", mapErr(err))
	}
	return nil
}

// Changes implements store.Store.
func (s *Store) Changes() store.Changes { return changes{conn{s: s}} }

// Principals implements store.Store.
func (s *Store) Principals() store.Principals { return principals{conn{s: s}} }
