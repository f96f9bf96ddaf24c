package node

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a log sink the node writes to while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDataDirFileModes starts a node on a data directory that exists with
// mode 0755 (made by an installer, say, under umask 022): the node warns
// about the directory, and every file it writes there, the SQLite
// database and its -wal and -shm files included, is 0600 (and every
// directory 0700), whatever the umask.
func TestDataDirFileModes(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dataDir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	var logs lockedBuffer
	n, stop := startNode(t, dataDir, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	// A request writes the trail and the store, so that the WAL is in use.
	if code, body := signedPost(t, n.URL(), adminCreds(t, dataDir), "Action=GetCallerIdentity&Version=2011-06-15"); code != 200 {
		t.Fatalf("GetCallerIdentity: %d %s", code, body)
	}
	modes := map[string]fs.FileMode{}
	err := filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dataDir, path)
		modes[rel] = fi.Mode()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"brevet.db", "brevet.db-wal", "brevet.db-shm", "master.key", "admin-credentials"} {
		if _, ok := modes[name]; !ok {
			t.Errorf("%s is not in the data directory; want it checked (found %v)", name, modes)
		}
	}
	for rel, m := range modes {
		switch {
		case rel == ".":
			// The operator's directory: warned about, not changed.
		case m.IsDir() && m.Perm() != 0o700:
			t.Errorf("directory %s: mode %v; want 0700", rel, m.Perm())
		case m.Type().IsRegular() && m.Perm() != 0o600:
			t.Errorf("file %s: mode %v; want 0600", rel, m.Perm())
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"msg":"`+dataDirModeWarning) || !strings.Contains(logs.String(), `"mode":"0755"`) {
		t.Errorf("no warning about the data directory's mode 0755 in the log:\n%s", logs.String())
	}
}
