package sqlite

import (
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func openAt(t *testing.T, path string) (*Store, error) {
	return Open(t.Context(), Config{Path: path, Now: func() time.Time { return testNow }})
}

func schemaVersions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.rdb.QueryContext(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestMigrationsApplyOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	s, err := openAt(t, path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	want := len(ms)
	if got := schemaVersions(t, s); len(got) != want {
		t.Errorf("versions after first open: got %v, want %d", got, want)
	}
	s.Close()
	s, err = openAt(t, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got := schemaVersions(t, s); len(got) != want {
		t.Errorf("versions after reopen: got %v, want %d", got, want)
	}
	var mode string
	if err := s.rdb.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := s.wdb.QueryRowContext(t.Context(), `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

// Several processes starting at once against a new file: simulated with
// independent Stores (separate connection pools) opening concurrently. All
// succeed and the schema is applied exactly once.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = openAt(t, path)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	ms, _ := loadMigrations()
	if got := schemaVersions(t, stores[0]); len(got) != len(ms) {
		t.Errorf("versions: got %v, want %d", got, len(ms))
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	s, err := openAt(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.wdb.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := openAt(t, path); err == nil {
		s.Close()
		t.Fatalf("Open of a newer schema: got nil error")
	}
}

func TestOpenConfig(t *testing.T) {
	if _, err := Open(t.Context(), Config{Now: time.Now}); err == nil {
		t.Errorf("no Path: got nil error")
	}
	if _, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "x.db")}); err == nil {
		t.Errorf("no Now: got nil error")
	}
}
