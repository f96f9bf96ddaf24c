package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/datadir"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

// Target names where Restore puts a backup.
type Target struct {
	// DataDir is the data directory to restore into: it must not exist,
	// or be empty. Restore holds its lock (datadir) while it works, so it
	// refuses a directory a server is running on.
	DataDir string
	// StorePath is where the database goes (default DataDir/brevet.db,
	// as `brevet serve` uses); it must not exist.
	StorePath string
	// Holder is how Restore names itself in the data directory's lock.
	Holder string
}

// Restored describes a finished restore.
type Restored struct {
	Manifest *Manifest
	// Audit is the restored trail's verification, nil when the backup
	// holds no trail.
	Audit *audit.VerifyReport
}

// Restore checks the backup in from (its manifest and checksums, the
// database's integrity, the audit trail's chain and signed digests) and,
// only if all of that holds, copies it into t. A failed check writes
// nothing.
func Restore(ctx context.Context, from string, t Target) (*Restored, error) {
	m, err := Check(from)
	if err != nil {
		return nil, err
	}
	if err := sqlite.IntegrityCheck(ctx, filepath.Join(from, StoreFile)); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	rep, err := verifyAudit(filepath.Join(from, AuditDir))
	if err != nil {
		return nil, err
	}
	if t.StorePath == "" {
		t.StorePath = filepath.Join(t.DataDir, StoreFile)
	}
	if err := os.MkdirAll(t.DataDir, 0o700); err != nil {
		return nil, err
	}
	lock, err := datadir.Acquire(t.DataDir, t.Holder)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if err := checkEmpty(t); err != nil {
		return nil, err
	}
	for _, f := range m.Files {
		dst := filepath.Join(t.DataDir, filepath.FromSlash(f.Path))
		if f.Kind == KindStore {
			dst = t.StorePath
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return nil, err
		}
		if err := copyFile(filepath.Join(from, filepath.FromSlash(f.Path)), dst, -1); err != nil {
			return nil, fmt.Errorf("backup: restore %s: %w", f.Path, err)
		}
	}
	for _, d := range []string{filepath.Dir(t.StorePath), filepath.Join(t.DataDir, AuditDir), t.DataDir} {
		if err := syncDir(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return &Restored{Manifest: m, Audit: rep}, nil
}

// checkEmpty refuses a data directory holding anything but its lock file,
// and a database file that exists.
func checkEmpty(t Target) error {
	ents, err := os.ReadDir(t.DataDir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Name() != datadir.LockFile {
			return &NotEmptyError{Dir: t.DataDir}
		}
	}
	if _, err := os.Lstat(t.StorePath); err == nil {
		return fmt.Errorf("backup: %s exists; restore into a new database", t.StorePath)
	}
	return nil
}

// verifyAudit verifies the trail in dir with its own key; a backup with no
// trail verifies as nil.
func verifyAudit(dir string) (*audit.VerifyReport, error) {
	keyPath := filepath.Join(dir, audit.KeyFile)
	if _, err := os.Stat(keyPath); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, audit.DigestFile)); err == nil {
			return nil, errors.New("backup: the audit trail has digests but no signing key")
		}
		return nil, nil
	}
	signer, err := audit.LoadOrCreateKey(keyPath)
	if err != nil {
		return nil, fmt.Errorf("backup: audit signing key: %w", err)
	}
	rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: signer.Public()})
	if err != nil {
		return nil, fmt.Errorf("backup: the audit trail does not verify: %w", err)
	}
	return rep, nil
}
