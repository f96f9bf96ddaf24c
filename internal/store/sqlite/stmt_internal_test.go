package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestStmtCacheCloseWaitsForFills: close returns only once the statements
// being prepared in the background are done with their connection. One
// still preparing held a read connection past Store.Close, and SQLite
// created the -wal and -shm files beside the database after it, which
// made t.TempDir's cleanup fail now and then ("directory not empty").
func TestStmtCacheCloseWaitsForFills(t *testing.T) {
	for round := range 20 {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db")+"?_pragma=journal_mode(WAL)")
		if err != nil {
			t.Fatal(err)
		}
		c := newStmtCache(db)
		if st := c.lookup("SELECT 1"); st != nil {
			t.Fatalf("round %d: a statement cached before any fill", round)
		}
		c.close()
		c.mu.Lock()
		filling := len(c.filling)
		c.mu.Unlock()
		if filling != 0 {
			t.Fatalf("round %d: close returned with %d statements still being prepared", round, filling)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
