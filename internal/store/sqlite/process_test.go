package sqlite_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/store/storetest"
)

const childEnv = "BREVET_SQLITE_TEST_CHILD"

// TestMultiProcess starts several copies of this test binary against one
// new database file: each migrates on open and writes users, so migrations
// and writers are serialized across processes by SQLite's lock, BEGIN
// IMMEDIATE and the busy timeout.
func TestMultiProcess(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		child(t)
		return
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "shared.db")
	const procs, perProc = 3, 20
	var wg sync.WaitGroup
	outs := make([][]byte, procs)
	errs := make([]error, procs)
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestMultiProcess$")
			cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(i), "BREVET_SQLITE_TEST_PATH="+path,
				"BREVET_SQLITE_TEST_N="+strconv.Itoa(perProc))
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i := range procs {
		if errs[i] != nil {
			t.Fatalf("child %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	s := openPath(t, path)
	users, err := s.Users().List(t.Context(), storetest.Account, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != procs*perProc {
		t.Errorf("users: got %d, want %d", len(users), procs*perProc)
	}
}

func openPath(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path, Now: func() time.Time { return storetest.Now }, BusyTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func child(t *testing.T) {
	id := os.Getenv(childEnv)
	n, _ := strconv.Atoi(os.Getenv("BREVET_SQLITE_TEST_N"))
	s := openPath(t, os.Getenv("BREVET_SQLITE_TEST_PATH"))
	// Every child tries to create the account; one wins.
	err := s.Accounts().Create(t.Context(), iam.Account{ID: storetest.Account, Created: storetest.Now})
	if err != nil && !errorsIsConflict(err) {
		t.Fatalf("create account: %v", err)
	}
	for i := range n {
		name := fmt.Sprintf("p%s-u%d", id, i)
		u := iam.User{Account: storetest.Account, ID: fmt.Sprintf("AIDA%-17s", name), Name: name, Path: "/", Created: storetest.Now}
		if err := s.Users().Create(t.Context(), u); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
}
