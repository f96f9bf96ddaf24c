package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/store/storetest"
)

// TestFileModes: the database and the -wal and -shm files SQLite creates
// beside it are 0600, in a directory anyone may read; a database that
// exists keeps its mode.
func TestFileModes(t *testing.T) {
	tests := []struct {
		name string
		// before is the mode of a database made before Open, 0 for none.
		before os.FileMode
		want   os.FileMode
	}{
		{name: "new", want: 0o600},
		{name: "existing 0640", before: 0o640, want: 0o640},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "brevet.db")
			if tt.before != 0 {
				if err := os.WriteFile(path, nil, tt.before); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.before); err != nil { // whatever the umask
					t.Fatal(err)
				}
			}
			s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path, Now: func() time.Time { return storetest.Now }})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// A write, so that the WAL and its index are in use.
			if err := s.Tx(t.Context(), func(r store.Repos) error {
				_, err := r.Accounts().List(t.Context())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"brevet.db", "brevet.db-wal", "brevet.db-shm"} {
				fi, err := os.Stat(filepath.Join(dir, name))
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if got := fi.Mode().Perm(); got != tt.want {
					t.Errorf("%s: mode %04o; want %04o", name, got, tt.want)
				}
			}
		})
	}
}
