package backup_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/backup"
	"github.com/brevet-dev/brevet/internal/datadir"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/store/storetest"
)

// live is a data directory being written: a store and an audit trail
// that rotates every few events and signs a digest every few
// milliseconds, as a busy server's would.
type live struct {
	dir   string
	st    *sqlite.Store
	aud   *audit.Auditor
	users int // committed by the writer so far, read after stop
}

func openLive(t *testing.T) *live {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(dir, "brevet.db"), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Accounts().Create(t.Context(), iam.Account{ID: storetest.Account, Created: storetest.Now}); err != nil {
		t.Fatal(err)
	}
	aud, err := audit.Open(audit.Options{Dir: filepath.Join(dir, "audit"), MaxFileBytes: 4 << 10, DigestInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { aud.Close() })
	if err := os.WriteFile(filepath.Join(dir, "master.key"), []byte("not a real key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &live{dir: dir, st: st, aud: aud}
}

// write commits a user and appends its event, in order, until ctx ends
// or n users are written (n < 0: no limit).
func (l *live) write(ctx context.Context, n int) error {
	for i := 0; ctx.Err() == nil && i != n; i++ {
		u := iam.User{Account: storetest.Account, ID: fmt.Sprintf("AIDA%016d", i), Name: fmt.Sprintf("u-%06d", i), Path: "/", Created: storetest.Now}
		if err := l.st.Users().Create(ctx, u); err != nil {
			return err
		}
		l.users = i + 1
		e := &audit.Event{EventVersion: "1.08", EventName: "CreateUser", EventSource: "iam.amazonaws.com", EventTime: time.Now().UTC().Format(time.RFC3339),
			RequestParameters: map[string]any{"userName": u.Name}}
		if _, err := l.aud.AppendEvent(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

func (l *live) source(withKey bool) backup.Source {
	src := backup.Source{StorePath: filepath.Join(l.dir, "brevet.db"), AuditDir: filepath.Join(l.dir, "audit"), Now: storetest.Now, Version: "test"}
	if withKey {
		src.MasterKeyFile = filepath.Join(l.dir, "master.key")
	}
	return src
}

// TestBackupRestoreUnderConcurrentWrites backs up a data directory while a
// writer commits users and appends audit events (with rotations and
// digests going on), restores each backup into a new directory, and checks
// that every restore holds a gapless prefix of the users and a trail that
// verifies.
func TestBackupRestoreUnderConcurrentWrites(t *testing.T) {
	l := openLive(t)
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := l.write(ctx, -1); err != nil && ctx.Err() == nil {
			writeErr = err
		}
	}()
	var counts []int
	for k := range 3 {
		time.Sleep(30 * time.Millisecond)
		out := filepath.Join(t.TempDir(), "backup")
		m, err := backup.Create(t.Context(), l.source(k == 0), out)
		if err != nil {
			stop()
			wg.Wait()
			t.Fatalf("Create: %v", err)
		}
		if got, want := m.MasterKey, k == 0; got != want {
			t.Errorf("backup %d: MasterKey %v, want %v", k, got, want)
		}
		target := filepath.Join(t.TempDir(), "restored")
		r, err := backup.Restore(t.Context(), out, backup.Target{DataDir: target, Holder: "test restore"})
		if err != nil {
			stop()
			wg.Wait()
			t.Fatalf("Restore of backup %d: %v", k, err)
		}
		if r.Audit == nil || r.Audit.Events == 0 {
			t.Errorf("backup %d: restored trail %+v, want events", k, r.Audit)
		}
		counts = append(counts, checkUsers(t, filepath.Join(target, "brevet.db")))
		if _, err := os.Stat(filepath.Join(target, "master.key")); (err == nil) != (k == 0) {
			t.Errorf("backup %d: master.key restored: %v, want %v", k, err == nil, k == 0)
		}
	}
	stop()
	wg.Wait()
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	if counts[len(counts)-1] == 0 {
		t.Errorf("the backups saw no writes (%v)", counts)
	}
	t.Logf("users in the backups: %v", counts)
}

// checkUsers checks that the database holds users u-0 .. u-(n-1) and
// returns n.
func checkUsers(t *testing.T, path string) int {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: path, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	users, err := st.Users().List(t.Context(), storetest.Account, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range users {
		if got, want := u.Name, fmt.Sprintf("u-%06d", i); got != want {
			t.Fatalf("%s: user %d is %s, want %s", path, i, got, want)
		}
	}
	return len(users)
}

func quietBackup(t *testing.T) string {
	t.Helper()
	l := openLive(t)
	if err := l.write(t.Context(), 20); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "backup")
	if _, err := backup.Create(t.Context(), l.source(false), out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRestoreRefuses(t *testing.T) {
	out := quietBackup(t)
	tests := []struct {
		name  string
		setup func(t *testing.T, backupDir, target string)
		want  string
	}{
		{"non-empty target", func(t *testing.T, _, target string) {
			writeFile(t, filepath.Join(target, "something"), "x")
		}, "is not empty"},
		{"running server", func(t *testing.T, _, target string) {
			if err := os.MkdirAll(target, 0o700); err != nil {
				t.Fatal(err)
			}
			l, err := datadir.Acquire(target, "brevet serve")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Release() })
		}, "in use by brevet serve"},
		{"changed file", func(t *testing.T, b, _ string) {
			f, err := os.OpenFile(filepath.Join(b, "brevet.db"), os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("x"))
			f.Close()
		}, "backup file brevet.db: size"},
		{"missing manifest", func(t *testing.T, b, _ string) {
			os.Remove(filepath.Join(b, backup.ManifestFile))
		}, "no manifest.json"},
		{"manifest naming a path outside", func(t *testing.T, b, _ string) {
			editManifest(t, b, func(m *backup.Manifest) {
				m.Files = append(m.Files, backup.File{Path: "audit/../../etc/passwd", Kind: backup.KindAudit})
			})
		}, "not a name"},
		{"unknown format", func(t *testing.T, b, _ string) {
			editManifest(t, b, func(m *backup.Manifest) { m.Format = "brevet-backup/99" })
		}, "format"},
		{"tampered audit event", func(t *testing.T, b, _ string) {
			tamperEvent(t, b)
		}, "the audit trail does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := filepath.Join(t.TempDir(), "b")
			copyTree(t, out, b)
			target := filepath.Join(t.TempDir(), "target")
			tt.setup(t, b, target)
			_, err := backup.Restore(t.Context(), b, backup.Target{DataDir: target, Holder: "test restore"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Restore: %v, want an error containing %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(target, "brevet.db")); err == nil {
				t.Error("a refused restore wrote brevet.db")
			}
		})
	}
}

func TestCreateRefusesNonEmptyOut(t *testing.T) {
	l := openLive(t)
	out := t.TempDir()
	writeFile(t, filepath.Join(out, "old"), "x")
	_, err := backup.Create(t.Context(), l.source(false), out)
	var ne *backup.NotEmptyError
	if !errors.As(err, &ne) {
		t.Fatalf("Create into a non-empty directory: %v, want *NotEmptyError", err)
	}
}

func TestManifestListsEveryFile(t *testing.T) {
	out := quietBackup(t)
	m, err := backup.Check(out)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, f := range m.Files {
		listed = append(listed, f.Path)
	}
	var onDisk []string
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != backup.ManifestFile {
			rel, _ := filepath.Rel(out, p)
			onDisk = append(onDisk, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(listed)
	sort.Strings(onDisk)
	if diff := cmp.Diff(onDisk, listed); diff != "" {
		t.Errorf("files (-on disk +manifest):\n%s", diff)
	}
	for _, want := range []string{"brevet.db", "audit/digests.jsonl", "audit/signing-key.pem"} {
		if !strings.Contains(strings.Join(listed, " "), want) {
			t.Errorf("manifest lacks %s: %v", want, listed)
		}
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func editManifest(t *testing.T, dir string, edit func(*backup.Manifest)) {
	t.Helper()
	p := filepath.Join(dir, backup.ManifestFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m backup.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	b, _ = json.Marshal(&m)
	writeFile(t, p, string(b))
}

// tamperEvent edits an event in the backup's newest plain event file and
// fixes the manifest's checksum, as an attacker who can rewrite the backup
// but not sign digests would.
func tamperEvent(t *testing.T, dir string) {
	t.Helper()
	m, err := backup.Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range m.Files {
		if !strings.HasSuffix(f.Path, ".jsonl") || !strings.HasPrefix(f.Path, "audit/trail-") {
			continue
		}
		p := filepath.Join(dir, f.Path)
		b, _ := os.ReadFile(p)
		if !strings.Contains(string(b), "u-0") {
			continue
		}
		b = []byte(strings.Replace(string(b), "u-0", "x-0", 1))
		writeFile(t, p, string(b))
		editManifest(t, dir, func(mm *backup.Manifest) {
			mm.Files[i].Size, mm.Files[i].SHA256 = hashOf(b)
		})
		return
	}
	t.Fatal("no event file to tamper with")
}
