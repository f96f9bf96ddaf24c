// Package teststores runs a service's tests on each store backend: the
// embedded SQLite, and PostgreSQL in a schema of its own (pgtest), which
// skips without BREVET_TEST_POSTGRES_DSN and fails without it under
// CI=true.
//
// It is test support only; production code never imports it.
package teststores

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

// SQLite opens a fresh embedded store in the test's temporary directory,
// closed when the test ends. now is the store's clock.
func SQLite(t testing.TB, now func() time.Time) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Postgres opens a PostgreSQL store in a fresh schema, closed (and the
// schema dropped) when the test ends.
func Postgres(t testing.TB, now func() time.Time) store.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), pgtest.DSN(t), postgres.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Each runs test as the subtests "sqlite" and "postgres", each on a fresh
// store of that backend.
func Each(t *testing.T, now func() time.Time, test func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) { test(t, SQLite(t, now)) })
	t.Run("postgres", func(t *testing.T) { test(t, Postgres(t, now)) })
}
