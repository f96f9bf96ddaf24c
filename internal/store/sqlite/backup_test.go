package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/store/storetest"
)

// TestSnapshotUnderConcurrentWrites takes snapshots while a writer commits
// transactions that each add two users, a-N and b-N, in order: every
// snapshot must hold both users of a prefix of the transactions and
// nothing else, and be a sound database with no -wal beside it.
func TestSnapshotUnderConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "brevet.db")
	now := func() time.Time { return storetest.Now }
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: src, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	if err := s.Accounts().Create(ctx, iam.Account{ID: storetest.Account, Created: storetest.Now}); err != nil {
		t.Fatal(err)
	}
	user := func(prefix string, i int) iam.User {
		return iam.User{Account: storetest.Account, ID: fmt.Sprintf("AIDA%s%016d", prefix, i), Name: fmt.Sprintf("%s-%06d", prefix, i),
			Path: "/", Created: storetest.Now}
	}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var writeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; wctx.Err() == nil; i++ {
			err := s.Tx(wctx, func(r store.Repos) error {
				if err := r.Users().Create(wctx, user("A", i)); err != nil {
					return err
				}
				return r.Users().Create(wctx, user("B", i))
			})
			if err != nil && !errors.Is(err, context.Canceled) && wctx.Err() == nil {
				writeErr = err
				return
			}
		}
	}()
	var sizes []int
	for k := range 6 {
		time.Sleep(20 * time.Millisecond)
		dst := filepath.Join(dir, fmt.Sprintf("snap-%d.db", k))
		if err := sqlite.Snapshot(ctx, src, dst); err != nil {
			stop()
			wg.Wait()
			t.Fatalf("Snapshot: %v", err)
		}
		sizes = append(sizes, checkSnapshot(t, dst, now))
	}
	stop()
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("writer: %v", writeErr)
	}
	if sizes[len(sizes)-1] == 0 {
		t.Errorf("snapshots saw no writes (%v): the test did not test concurrency", sizes)
	}
	t.Logf("transactions in the snapshots: %v", sizes)
}

// checkSnapshot checks one snapshot and returns how many transactions it
// holds.
func checkSnapshot(t *testing.T, path string, now func() time.Time) int {
	t.Helper()
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Errorf("%s-wal left beside the snapshot", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Errorf("snapshot mode %v, want %v", got, want)
	}
	if err := sqlite.IntegrityCheck(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	users, err := s.Users().List(t.Context(), storetest.Account, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(users)%2 != 0 {
		t.Fatalf("%s: %d users, want both users of each transaction", path, len(users))
	}
	n := len(users) / 2
	for i, u := range users {
		prefix, idx := "A", i
		if i >= n {
			prefix, idx = "B", i-n
		}
		if got, want := u.Name, fmt.Sprintf("%s-%06d", prefix, idx); got != want {
			t.Fatalf("%s: user %d is %s, want %s (a torn or out-of-order copy)", path, i, got, want)
		}
	}
	return n
}

func TestSnapshotRefusesExistingDestination(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "exists.db")
	if err := os.WriteFile(dst, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "src.db")
	s2, err := sqlite.Open(t.Context(), sqlite.Config{Path: src, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if err := sqlite.Snapshot(t.Context(), src, dst); err == nil {
		t.Fatal("Snapshot over an existing file: nil error")
	}
	if got, _ := os.ReadFile(dst); string(got) != "keep" {
		t.Errorf("existing destination changed to %q", got)
	}
	if err := sqlite.Snapshot(t.Context(), filepath.Join(dir, "missing.db"), filepath.Join(dir, "new.db")); err == nil {
		t.Error("Snapshot of a missing source: nil error")
	}
}

func TestIntegrityCheckFindsDamage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "brevet.db")
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := sqlite.IntegrityCheck(t.Context(), path); err != nil {
		t.Fatalf("sound database: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The first byte of every page after the first is its b-tree page type.
	for i := 4096; i < len(data); i += 4096 {
		data[i] = 0x7f
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.IntegrityCheck(t.Context(), path); err == nil {
		t.Error("damaged database: nil error")
	}
}
