package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

// Source names what Create copies.
type Source struct {
	// StorePath is the SQLite database file.
	StorePath string
	// AuditDir is the audit trail's directory (DATA_DIR/audit); a missing
	// directory is copied as no trail.
	AuditDir string
	// MasterKeyFile, when set, is the master key file to include.
	MasterKeyFile string
	// Now stamps the manifest; Version names the brevet making it.
	Now     time.Time
	Version string
}

// Create makes a backup of src in the directory out, which must not exist
// or be empty, and returns its manifest. The store is copied first, then
// the trail (digests before event files, so every signed digest covers
// events the copy holds), then the master key when asked; the manifest is
// written last. On error the partial backup is left without a manifest.
func Create(ctx context.Context, src Source, out string) (*Manifest, error) {
	if err := makeEmptyDir(out); err != nil {
		return nil, err
	}
	m := &Manifest{Format: Format, Created: src.Now.UTC(), Brevet: src.Version}
	if err := sqlite.Snapshot(ctx, src.StorePath, filepath.Join(out, StoreFile)); err != nil {
		return nil, err
	}
	if err := m.add(out, StoreFile, KindStore); err != nil {
		return nil, err
	}
	names, err := copyAudit(src.AuditDir, filepath.Join(out, AuditDir))
	if err != nil {
		return nil, fmt.Errorf("backup: audit trail: %w", err)
	}
	for _, n := range names {
		if err := m.add(out, AuditDir+"/"+n, KindAudit); err != nil {
			return nil, err
		}
	}
	if src.MasterKeyFile != "" {
		if err := copyFile(src.MasterKeyFile, filepath.Join(out, MasterKeyFile), -1); err != nil {
			return nil, fmt.Errorf("backup: master key: %w", err)
		}
		if err := m.add(out, MasterKeyFile, KindMasterKey); err != nil {
			return nil, err
		}
		m.MasterKey = true
	}
	if err := syncDir(out); err != nil {
		return nil, err
	}
	return m, writeManifest(out, m)
}

func (m *Manifest) add(dir, name, kind string) error {
	size, sum, err := hashFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	m.Files = append(m.Files, File{Path: name, Kind: kind, Size: size, SHA256: sum})
	return nil
}

// makeEmptyDir creates dir (0700), or accepts it if it exists empty.
func makeEmptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, 0o700)
	case err != nil:
		return err
	case len(ents) > 0:
		return &NotEmptyError{Dir: dir}
	}
	return nil
}

// NotEmptyError reports a destination that already holds files.
type NotEmptyError struct{ Dir string }

func (e *NotEmptyError) Error() string { return e.Dir + " is not empty" }

// retries bounds how often copyAudit lists the trail again when an event
// file it listed was pruned by retention before it opened it.
const retries = 5

// copyAudit copies the trail in src into dst and returns the names copied,
// sorted. The digest file is copied first; then the signing key; then the
// event files, listed afresh, each plain one up to its last complete
// record. A rotated file compressed meanwhile is copied compressed
// (copyEvent); one retention prunes meanwhile makes it list and copy the
// event files again, so that the copy holds the record of the pruning.
func copyAudit(src, dst string) ([]string, error) {
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return nil, err
	}
	var names []string
	for _, n := range []string{audit.DigestFile, audit.KeyFile} {
		limit := int64(-1)
		if n == audit.DigestFile {
			limit = 0 // up to the last complete line
		}
		err := copyFile(filepath.Join(src, n), filepath.Join(dst, n), limit)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	for attempt := 0; ; attempt++ {
		copied, err := copyEvents(src, dst)
		if err == nil {
			names = append(names, copied...)
			sort.Strings(names)
			return names, nil
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt == retries {
			return nil, err
		}
		for _, n := range copied {
			os.Remove(filepath.Join(dst, n))
		}
	}
}

// copyEvents copies the event files of src (trail-N.jsonl and
// trail-N.jsonl.gz, the compressed one when both exist).
func copyEvents(src, dst string) ([]string, error) {
	ents, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, e := range ents {
		have[e.Name()] = e.Type().IsRegular()
	}
	var copied []string
	for _, e := range ents {
		n := e.Name()
		if !have[n] || !strings.HasPrefix(n, "trail-") {
			continue
		}
		limit := int64(-1)
		switch {
		case strings.HasSuffix(n, ".jsonl.gz"):
		case strings.HasSuffix(n, ".jsonl"):
			if have[n+".gz"] {
				continue // rotated: its compressed copy is complete
			}
			limit = 0
		default:
			continue // a compression in progress (.gz.tmp)
		}
		got, err := copyEvent(src, dst, n, limit)
		if err != nil {
			return copied, err
		}
		copied = append(copied, got)
	}
	return copied, nil
}

// copyEvent copies the event file n of src into dst and returns the name
// it copied. A plain file listed but gone when opened was rotated and
// compressed meanwhile: the server renames the complete trail-N.jsonl.gz
// into place before it removes trail-N.jsonl, so the compressed copy is
// there and is copied instead. A compressed file gone too was pruned by
// retention: the error wraps fs.ErrNotExist.
//
// Listing again instead would not do: a busy trail rotates and compresses
// a file in less time than it takes to copy and fsync the files before
// it, so every new listing would lose the same race on its newest rotated
// file.
func copyEvent(src, dst, n string, limit int64) (string, error) {
	err := copyFile(filepath.Join(src, n), filepath.Join(dst, n), limit)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasSuffix(n, ".jsonl") {
		return n, err
	}
	gz := n + ".gz"
	if err := copyFile(filepath.Join(src, gz), filepath.Join(dst, gz), -1); err != nil {
		return "", err
	}
	return gz, nil
}

// copyFile copies src into a new file dst (0600) and fsyncs it. With
// limit 0 it copies the lines complete when it starts: up to the last
// newline of the file as it was then (a writer appending meanwhile
// changes nothing of it); with limit -1, the whole file.
func copyFile(src, dst string, limit int64) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	var r io.Reader = in
	if limit == 0 {
		fi, err := in.Stat()
		if err != nil {
			return err
		}
		end, err := lastNewline(in, fi.Size())
		if err != nil {
			return err
		}
		r = io.LimitReader(in, end)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		err = errors.Join(err, out.Close())
		if err != nil {
			os.Remove(dst)
		}
	}()
	if _, err := io.Copy(out, r); err != nil {
		return err
	}
	return out.Sync()
}

// lastNewline returns the length of f's first size bytes up to and
// including their last newline (0 if none).
func lastNewline(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(end-int64(len(buf)), 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}
