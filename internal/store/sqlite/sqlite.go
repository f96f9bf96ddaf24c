package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Config configures Open.
type Config struct {
	// Path is the database file; it is created, mode 0600, if missing.
	Path string
	// Now stamps change-feed entries. Required: time is passed in.
	Now func() time.Time
	// ReadConns caps the read pool (default 4).
	ReadConns int
	// BusyTimeout is how long a writer waits for another process's write
	// lock before failing (default 5s).
	BusyTimeout time.Duration
}

// Store is an open SQLite database. It implements store.Store.
type Store struct {
	repos
	wdb   *sql.DB    // one connection, BEGIN IMMEDIATE
	rdb   *sql.DB    // read-only pool
	stmts *stmtCache // prepared statements on rdb
	// insertSession, prepared on wdb at Open, adds an issuance record: it
	// runs on every AssumeRole, and parsing it anew would be a good part
	// of its cost. Not prepared lazily: preparing on wdb waits for its one
	// connection, which a caller's Tx may be holding.
	insertSession *sql.Stmt
	// insertSessions adds insertChunk records at once, the same way.
	insertSessions *sql.Stmt
	now            func() time.Time
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at cfg.Path and applies any
// pending migrations.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Path == "" {
		return nil, errors.New("sqlite: Config.Path is required")
	}
	if cfg.Now == nil {
		return nil, errors.New("sqlite: Config.Now is required")
	}
	if cfg.ReadConns <= 0 {
		cfg.ReadConns = 4
	}
	if cfg.BusyTimeout <= 0 {
		cfg.BusyTimeout = 5 * time.Second
	}
	if err := createPrivate(cfg.Path); err != nil {
		return nil, err
	}
	wdb, err := sql.Open("sqlite", dsn(cfg, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	if err := migrate(ctx, wdb, cfg.Now()); err != nil {
		wdb.Close()
		return nil, err
	}
	ins, err := wdb.PrepareContext(ctx, insertSessionSQL)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	insMany, err := wdb.PrepareContext(ctx, insertChunkSQL)
	if err != nil {
		ins.Close()
		wdb.Close()
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	rdb, err := sql.Open("sqlite", dsn(cfg, true))
	if err != nil {
		ins.Close()
		insMany.Close()
		wdb.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	rdb.SetMaxOpenConns(cfg.ReadConns)
	rdb.SetMaxIdleConns(cfg.ReadConns)
	s := &Store{wdb: wdb, rdb: rdb, now: cfg.Now, stmts: newStmtCache(rdb), insertSession: ins, insertSessions: insMany}
	s.repos = repos{conn{s: s}}
	return s, nil
}

// createPrivate creates the database file, empty and with mode 0600, when
// it does not exist. SQLite would create it 0644 (less the umask), and on
// unix it gives the -wal and -shm files it creates beside the database
// the database file's mode, so all three stay private to the owner. A
// file that exists keeps its mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil
	case err != nil:
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return f.Close()
}

func dsn(cfg Config, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(cfg.BusyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "1")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Set("_synchronous", "NORMAL")
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_txlock", "immediate")
		// A statement that inserts many rows (the event index's) keeps
		// a statement journal, which SQLite writes to a temporary file
		// by default: in memory it costs no system calls.
		q.Add("_pragma", "temp_store(MEMORY)")
	}
	return "file:" + (&url.URL{Path: cfg.Path}).EscapedPath() + "?" + q.Encode()
}

// Close closes both pools.
func (s *Store) Close() error {
	s.stmts.close()
	return errors.Join(s.insertSession.Close(), s.insertSessions.Close(), s.rdb.Close(), s.wdb.Close())
}

// Tx implements store.Store. Writers are serialized by the single write
// connection and BEGIN IMMEDIATE, so fn runs exactly once.
func (s *Store) Tx(ctx context.Context, fn func(store.Repos) error) (err error) {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(repos{conn{s: s, tx: tx}}); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", mapErr(err))
	}
	return nil
}

// Exclusive implements store.Store. Tx is exclusive already: BEGIN
// IMMEDIATE takes the database's write lock, which other processes on the
// same file wait for (up to Config.BusyTimeout), before fn reads anything.
func (s *Store) Exclusive(ctx context.Context, fn func(store.Repos) error) error {
	return s.Tx(ctx, fn)
}

// Changes implements store.Store.
func (s *Store) Changes() store.Changes { return changes{conn{s: s}} }

// Principals implements store.Store.
func (s *Store) Principals() store.Principals { return principals{conn{s: s}} }
