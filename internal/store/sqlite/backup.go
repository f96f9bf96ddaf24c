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

	"modernc.org/sqlite"
)

// defaultBusyTimeout is how long Snapshot and IntegrityCheck wait for a
// lock another connection holds (as Open's default).
const defaultBusyTimeout = 5 * time.Second

func escapePath(p string) string { return (&url.URL{Path: p}).EscapedPath() }

// backuper is what modernc.org/sqlite's driver connection offers for
// SQLite's online backup API (sqlite3_backup_*).
type backuper interface {
	NewBackup(dstURI string) (*sqlite.Backup, error)
}

// Snapshot copies the database at src into a new file dst through SQLite's
// online backup API, while other connections and processes (a running
// server) go on reading and writing src. The copy is made in one backup
// step, inside one read transaction on src, so it is the database as of
// one committed transaction: a write committed meanwhile is either wholly
// in it or wholly out (in WAL mode a reader never waits for writers, nor
// they for it). dst must not exist; it is created with mode 0600 and left
// as a complete database file with no -wal beside it.
func Snapshot(ctx context.Context, src, dst string) (err error) {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("sqlite: snapshot source: %w", err)
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("sqlite: snapshot destination %s exists", dst)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: snapshot destination: %w", err)
	}
	if err := createPrivate(dst); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(dst)
		}
	}()
	db, err := sql.Open("sqlite", dsn(Config{Path: src, BusyTimeout: defaultBusyTimeout}, true))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", src, err)
	}
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", src, err)
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		b, ok := dc.(backuper)
		if !ok {
			return errors.New("sqlite: the driver has no backup API")
		}
		bk, err := b.NewBackup("file:" + escapePath(dst))
		if err != nil {
			return fmt.Errorf("sqlite: backup to %s: %w", dst, err)
		}
		_, stepErr := bk.Step(-1) // every page at once: one read transaction
		if err := errors.Join(stepErr, bk.Finish()); err != nil {
			return fmt.Errorf("sqlite: backup to %s: %w", dst, err)
		}
		return nil
	})
}

// IntegrityCheck runs PRAGMA integrity_check on the database file at path,
// read-only, and returns an error describing the first problems found.
func IntegrityCheck(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(Config{Path: path, BusyTimeout: defaultBusyTimeout}, true))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check(10)").Scan(&res); err != nil {
		return fmt.Errorf("sqlite: integrity check of %s: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("sqlite: integrity check of %s: %s", path, res)
	}
	return nil
}
