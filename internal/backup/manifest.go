package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Names inside a backup directory.
const (
	ManifestFile  = "manifest.json"
	StoreFile     = "brevet.db"
	AuditDir      = "audit"
	MasterKeyFile = "master.key"
)

// Format is the manifest's format tag; Restore refuses any other.
const Format = "brevet-backup/1"

// Kinds of file in a backup.
const (
	KindStore     = "store"
	KindAudit     = "audit"
	KindMasterKey = "master-key"
)

// Manifest describes one backup. It is written last, so a directory
// without one is an unfinished backup.
type Manifest struct {
	Format  string    `json:"format"`
	Created time.Time `json:"created"`
	// Brevet is the version of brevet that made the backup.
	Brevet string `json:"brevet_version"`
	// MasterKey says whether master.key is in the backup.
	MasterKey bool   `json:"master_key_included"`
	Files     []File `json:"files"`
}

// File is one file of a backup.
type File struct {
	// Path is relative to the backup directory, with forward slashes.
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ManifestError reports a backup that does not match its manifest, or a
// manifest that is not one.
type ManifestError struct {
	Path   string // the file concerned, "" for the manifest itself
	Reason string
}

func (e *ManifestError) Error() string {
	if e.Path == "" {
		return "backup manifest: " + e.Reason
	}
	return "backup file " + e.Path + ": " + e.Reason
}

// Check reads dir's manifest and checks every file it lists: its name,
// size and checksum. It returns the manifest, or a *ManifestError.
func Check(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, &ManifestError{Reason: "no " + ManifestFile + " in " + dir + " (not a backup, or an unfinished one)"}
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, &ManifestError{Reason: "not valid JSON: " + err.Error()}
	}
	if m.Format != Format {
		return nil, &ManifestError{Reason: fmt.Sprintf("format %q, want %q", m.Format, Format)}
	}
	seen := map[string]bool{}
	stores := 0
	for _, f := range m.Files {
		if err := checkName(f); err != nil {
			return nil, err
		}
		if seen[f.Path] {
			return nil, &ManifestError{Path: f.Path, Reason: "listed twice"}
		}
		seen[f.Path] = true
		if f.Kind == KindStore {
			stores++
		}
		size, sum, err := hashFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			return nil, &ManifestError{Path: f.Path, Reason: err.Error()}
		}
		if size != f.Size || sum != f.SHA256 {
			return nil, &ManifestError{Path: f.Path, Reason: fmt.Sprintf("size %d sha256 %s, the manifest says size %d sha256 %s", size, sum, f.Size, f.SHA256)}
		}
	}
	if stores != 1 {
		return nil, &ManifestError{Reason: fmt.Sprintf("%d store files, want 1", stores)}
	}
	if m.MasterKey != seen[MasterKeyFile] {
		return nil, &ManifestError{Reason: "master_key_included does not match the files listed"}
	}
	return &m, nil
}

// checkName accepts only the names a backup holds, so that a hostile
// manifest cannot make Restore write outside the data directory.
func checkName(f File) error {
	p := f.Path
	bad := p == "" || strings.Contains(p, `\`) || path.IsAbs(p) || path.Clean(p) != p || strings.HasPrefix(p, "../") || p == ".."
	if !bad {
		switch f.Kind {
		case KindStore:
			bad = p != StoreFile
		case KindMasterKey:
			bad = p != MasterKeyFile
		case KindAudit:
			dir, base := path.Split(p)
			bad = dir != AuditDir+"/" || base == "" || strings.HasPrefix(base, ".")
		default:
			return &ManifestError{Path: p, Reason: fmt.Sprintf("unknown kind %q", f.Kind)}
		}
	}
	if bad {
		return &ManifestError{Path: p, Reason: "not a name a " + f.Kind + " file has in a backup"}
	}
	return nil
}

// hashFile returns the size and hex SHA-256 of a regular file.
func hashFile(p string) (int64, string, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return 0, "", err
	}
	if !fi.Mode().IsRegular() {
		return 0, "", errors.New("not a regular file")
	}
	f, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// writeManifest writes m into dir atomically, fsynced.
func writeManifest(dir string, m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ManifestFile+".tmp")
	if err := writeFileSync(tmp, append(data, '\n')); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, ManifestFile)); err != nil {
		return err
	}
	return syncDir(dir)
}

func writeFileSync(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
