package main

import (
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/datadir"
	"github.com/brevet-dev/brevet/internal/node"
)

// rotate-master-key's lock is refused while a server holds the data
// directory, with a message that says what to do, and granted once it
// stops.
func TestLockForMasterKeyRotation(t *testing.T) {
	dir := t.TempDir()
	server, err := datadir.Acquire(dir, node.LockHolder)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockForMasterKeyRotation(dir)
	if want := "a server is running on " + dir + "; stop it first (" + dir + " is in use by brevet serve, pid "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("while served: got %v, want %q...", err, want)
	}
	if err := server.Release(); err != nil {
		t.Fatal(err)
	}
	l, err := lockForMasterKeyRotation(dir)
	if err != nil {
		t.Fatalf("after the server stopped: %v", err)
	}
	l.Release()
}
