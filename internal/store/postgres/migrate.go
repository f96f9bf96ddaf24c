package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migration %q: name must be NNNN_description.sql", base)
		}
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("postgres: two migrations numbered %d", ms[i].version)
		}
	}
	return ms, nil
}

// migrateLockKey is the advisory-lock key of a schema ($1): migrate takes
// it for its transaction, Store.Exclusive for its call.
const migrateLockKey = `hashtext('brevet:migrate:' || $1::text)`

// migrate applies pending migrations in one transaction that first takes
// an advisory lock keyed by the schema, so nodes starting at once against
// a new database serialize: the first applies the migrations, the others
// wait, then find them recorded and do nothing. DDL is transactional in
// PostgreSQL, so a failed migration leaves nothing behind.
func migrate(ctx context.Context, pool *pgxpool.Pool, now time.Time) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var schema *string
		if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
		if schema == nil {
			return fmt.Errorf("postgres: migrate: no schema of the search_path exists; create it first")
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(`+migrateLockKey+`)`, *schema); err != nil {
			return fmt.Errorf("postgres: migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
		if n := len(ms); n > 0 && current > ms[n-1].version {
			return fmt.Errorf("postgres: database schema version %d is newer than this binary's %d", current, ms[n-1].version)
		}
		for _, m := range ms {
			if m.version <= current {
				continue
			}
			// No arguments: pgx sends it with the simple protocol, which
			// runs every statement of the file.
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, toMicros(now)); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}
