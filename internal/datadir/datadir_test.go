package datadir_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/brevet-dev/brevet/internal/datadir"
)

func TestAcquire(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	tests := []struct {
		name string
		// setup prepares dir and returns the directory to lock.
		setup func(t *testing.T, dir string) string
		// wantHolder is the LockedError's holder; "" expects the lock.
		wantHolder string
		wantErr    bool
	}{
		{name: "free", setup: func(t *testing.T, dir string) string { return dir }},
		{name: "held", setup: func(t *testing.T, dir string) string {
			hold(t, dir, "brevet serve")
			return dir
		}, wantHolder: "brevet serve, pid " + pid},
		{name: "released", setup: func(t *testing.T, dir string) string {
			l := hold(t, dir, "brevet serve")
			if err := l.Release(); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
		{name: "left by a process that exited", setup: func(t *testing.T, dir string) string {
			write(t, filepath.Join(dir, datadir.LockFile), "brevet serve, pid 1\n")
			return dir
		}},
		{name: "no such directory", setup: func(t *testing.T, dir string) string {
			return filepath.Join(dir, "missing")
		}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.setup(t, t.TempDir())
			l, err := datadir.Acquire(dir, "brevet keys rotate-master-key")
			var locked *datadir.LockedError
			switch {
			case tt.wantHolder != "":
				if !errors.As(err, &locked) || locked.Holder != tt.wantHolder || locked.Dir != dir {
					t.Fatalf("got %v (%#v), want a LockedError naming %q", err, locked, tt.wantHolder)
				}
				if got, want := err.Error(), dir+" is in use by "+tt.wantHolder; got != want {
					t.Errorf("message: got %q, want %q", got, want)
				}
			case tt.wantErr:
				if err == nil || errors.As(err, &locked) {
					t.Fatalf("got %v, want an error other than LockedError", err)
				}
			default:
				if err != nil {
					t.Fatalf("got %v, want the lock", err)
				}
				defer l.Release()
				data, err := os.ReadFile(filepath.Join(dir, datadir.LockFile))
				if got, want := string(data), "brevet keys rotate-master-key, pid "+pid+"\n"; err != nil || got != want {
					t.Errorf("lock file: got %q, %v; want %q", got, err, want)
				}
			}
		})
	}
}

// hold takes dir's lock for the rest of the test.
func hold(t *testing.T, dir, holder string) *datadir.Lock {
	t.Helper()
	l, err := datadir.Acquire(dir, holder)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Release() })
	return l
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
