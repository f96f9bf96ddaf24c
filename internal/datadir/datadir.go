package datadir

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the name of the lock file in the data directory.
const LockFile = ".lock"

// Lock is a held lock on a data directory.
type Lock struct {
	f *os.File
}

// LockedError reports that another process holds the lock.
type LockedError struct {
	Dir string
	// Holder is what the holder wrote into the lock file: its description
	// and process id, such as "brevet serve, pid 4242"; "" if unknown.
	Holder string
}

func (e *LockedError) Error() string {
	if e.Holder == "" {
		return e.Dir + " is in use by another process"
	}
	return e.Dir + " is in use by " + e.Holder
}

// Acquire takes the lock on dir without waiting, and records holder (what
// the process is, such as "brevet serve") and the process id in the lock
// file for the error another process will see. It returns a *LockedError
// while another process, or another Lock of this process, holds it.
func Acquire(dir, holder string) (*Lock, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("datadir: %w", err)
	}
	locked, err := flock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("datadir: locking %s: %w", path, err)
	}
	if !locked {
		f.Close()
		return nil, &LockedError{Dir: dir, Holder: readHolder(path)}
	}
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt([]byte(holder+", pid "+strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("datadir: writing %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Release gives the lock up. The lock file stays.
func (l *Lock) Release() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("datadir: %w", err)
	}
	return nil
}

// readHolder returns the first line of the lock file, "" if none.
func readHolder(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(line)
}
