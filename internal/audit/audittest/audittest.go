// Package audittest has trail files that stand in for real ones through
// audit.Options.OpenFile, to measure what the trail's I/O costs: the
// in-process benchmarks use them, and so does the benchmark build of
// brevet (-tags benchknobs). A server never opens them otherwise, and no
// flag or setting can make it.
package audittest

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/brevet-dev/brevet/internal/audit"
)

// nullFile is a trail file that stores nothing and syncs instantly: with
// it the server still converts, encodes and hash-chains every event, but
// does no I/O.
type nullFile struct{}

func (nullFile) Write(p []byte) (int, error) { return len(p), nil }
func (nullFile) Sync() error                 { return nil }
func (nullFile) Close() error                { return nil }
func (nullFile) Truncate(int64) error        { return nil }

// noSyncFile writes for real and never fsyncs: events survive a crash of
// the process, not of the machine.
type noSyncFile struct{ *os.File }

func (noSyncFile) Sync() error { return nil }

// isEventFile reports whether name is one of the trail's event files
// (the digests and the signing key are opened for real).
func isEventFile(name string) bool { return strings.HasPrefix(filepath.Base(name), "trail-") }

// OpenNull opens event files as nullFile.
func OpenNull(name string, flag int, perm os.FileMode) (audit.File, error) {
	if isEventFile(name) {
		return nullFile{}, nil
	}
	return os.OpenFile(name, flag, perm)
}

// OpenNoSync opens event files as noSyncFile.
func OpenNoSync(name string, flag int, perm os.FileMode) (audit.File, error) {
	f, err := os.OpenFile(name, flag, perm)
	switch {
	case err != nil:
		return nil, err
	case isEventFile(name):
		return noSyncFile{f}, nil
	}
	return f, nil
}
